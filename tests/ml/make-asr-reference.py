#!/usr/bin/env python3
"""Reference for src/lib/ml/asr.spec.ts: Artifact Subspace Reconstruction computed by an independent
NumPy/SciPy re-statement of clean_rawdata 2.11 (sccn/clean_rawdata: asr_calibrate.m, asr_process.m and
clean_asr.m's offline use: extrapolated tail, one call over the whole signal), written from the
published algorithm (Kothe & Jung 2016; Chang et al. 2019) and the documented steps of those files.
There is no ASR in Debian's Python, so this is the peer; MATLAB's own yulewalk output (the table of
precomputed shaping filters in asr_calibrate.m) is checked here and in the spec.

Input: 24 channels of ../shared/data/edf/S001R04.edf (EEGMMIDB, 160 Hz, µV, float32 as the EDF reader
gives them), seconds 0-20 for calibration and seconds 0-45 processed, with artifacts injected by a
formula stored in the output (so the spec builds the same signal). Run with Debian's python3
(apt-get install -y python3-scipy):  /usr/bin/python3 tests/ml/make-asr-reference.py
Writes tests/ml/asr-reference.json and asr-reference.f64 (little-endian float64) beside this script.
"""
import json, os, sys
import numpy as np
import scipy
from scipy.signal import lfilter
from scipy.special import gammaincinv, gamma

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("NEUROTAB_SHARED") or os.path.abspath(os.path.join(here, "../../../shared"))
sys.path.insert(0, here)
from edf_reader import read_edf  # noqa: E402


# ---------------- yulewalk (MATLAB's modified Yule-Walker design) ----------------
def yulewalk(na, F, M):
    npt, lap = 513, 20
    Ht = np.zeros(npt)
    nb = 0
    Ht[0] = M[0]
    for i in range(len(F) - 1):
        if F[i + 1] == F[i]:
            nb -= lap // 2
            ne = nb + lap
        else:
            ne = int(np.fix(F[i + 1] * npt)) - 1
        j = np.arange(nb, ne + 1)
        inc = np.zeros(len(j)) if ne == nb else (j - nb) / (ne - nb)
        Ht[nb:ne + 1] = inc * M[i + 1] + (1 - inc) * M[i]
        nb = ne + 1
    Ht = np.concatenate([Ht, Ht[npt - 2:0:-1]])
    n = len(Ht)
    n2 = (n + 1) // 2
    nr = 4 * na
    R = np.real(np.fft.ifft(Ht * Ht))[:nr] * (0.54 + 0.46 * np.cos(np.pi * np.arange(nr) / (nr - 1)))
    Rm = np.array([[R[abs(na + i - j)] for j in range(na)] for i in range(nr - 1 - na)])
    A = np.concatenate([[1.0], np.linalg.lstsq(Rm, -R[na + 1:nr], rcond=None)[0]])
    v = np.roots(A)
    v = np.where(np.abs(v) > 1, 1 / np.conj(v), v)
    A = np.real(np.poly(v)) * A[0]

    def numf(h, a, nb):
        imp = lfilter([1.0], a, np.r_[1.0, np.zeros(len(h) - 1)])
        T = np.array([[imp[i - j] if i >= j else 0.0 for j in range(nb + 1)] for i in range(len(h))])
        return np.linalg.lstsq(T, h, rcond=None)[0]

    Rh = R.copy(); Rh[0] /= 2
    Qh = numf(Rh, A, na)
    Ss = 2 * np.real(np.fft.fft(Qh, n) / np.fft.fft(A, n))
    w = np.r_[0.5, np.ones(n2 - 1), np.zeros(n - n2)]
    hh = np.fft.ifft(np.exp(np.fft.fft(w * np.fft.ifft(np.log(Ss.astype(complex))))))
    B = numf(np.real(hh[:nr]), A, na)
    return B, A


def shaping_filter(srate):
    return yulewalk(8, np.r_[np.array([0, 2, 3, 13, 16, 40, min(80, srate / 2 - 1)]) * 2 / srate, 1], [3, 0.75, 0.33, 0.33, 1, 1, 3, 3])


# MATLAB's yulewalk output as tabulated in clean_rawdata 2.11 asr_calibrate.m (used when the toolbox is missing)
MATLAB = {
    128: ([1.1027301639165037, -2.0025621813611867, 0.8942119516481342, 0.1549979524226999, 0.0192366904488084, 0.1782897770278735, -0.5280306696498717, 0.2913540603407520, -0.0262209802526358],
          [1.0000000000000000, -1.1042042046423233, -0.3319558528606542, 0.5802946221107337, -0.0010360013915635, 0.0382167091925086, -0.2609928034425362, 0.0298719057761086, 0.0935044692959187]),
    256: ([1.7587013141770287, -4.3267624394458641, 5.7999880031015953, -6.2396625463547508, 5.3768079046882207, -3.7938218893374835, 2.1649108095226470, -0.8591392569863763, 0.2569361125627988],
          [1.0000000000000000, -1.7008039639301735, 1.9232830391058724, -2.0826929726929797, 1.5982638742557307, -1.0735854183930011, 0.5679719225652651, -0.1886181499768189, 0.0572954115997261]),
}
for fs, (b, a) in MATLAB.items():
    B, A = shaping_filter(fs)
    assert np.max(np.abs(B - b)) < 1e-9 and np.max(np.abs(A - a)) < 1e-9, f"yulewalk re-statement differs from MATLAB at {fs} Hz"


# ---------------- calibration ----------------
def geometric_median(X, tol=1e-5, max_iter=500):
    y = np.median(X, axis=0)
    for _ in range(max_iter):
        inv = 1 / np.sqrt(np.sum((X - y) ** 2, axis=1))
        old = y
        y = np.sum(X * inv[:, None], axis=0) / np.sum(inv)
        if np.linalg.norm(y - old) / np.linalg.norm(y) < tol:
            break
    return y


def fit_eeg_distribution(X, min_clean_fraction=0.25, max_dropout_fraction=0.1, quants=(0.022, 0.6), step_sizes=(0.01, 0.01), beta=None):
    if beta is None:
        beta = 1.7 + 0.15 * np.arange(13)
    X = np.sort(X)
    n = len(X)
    q = np.array(quants)
    zb = [np.sign(q - 0.5) * gammaincinv(1 / b, np.sign(q - 0.5) * (2 * q - 1)) ** (1 / b) for b in beta]
    rescale = [b / (2 * gamma(1 / b)) for b in beta]
    lower_min, max_width = q[0], q[1] - q[0]
    min_width = min_clean_fraction * max_width
    offs = np.round(n * (lower_min + step_sizes[0] * np.arange(int(np.floor(max_dropout_fraction / step_sizes[0] + 1e-10)) + 1))).astype(int)
    rows = np.arange(1, int(np.round(n * max_width)) + 1)
    Xm = X[rows[:, None] + offs[None, :] - 1]
    X1 = Xm[0, :]
    Xm = Xm - X1
    opt = (np.inf, None, None, None)
    ms = np.round(n * (max_width - step_sizes[1] * np.arange(int(np.floor((max_width - min_width) / step_sizes[1] + 1e-10)) + 1))).astype(int)
    for m in ms:
        nbins = int(np.round(3 * np.log2(1 + m / 2)))
        H = Xm[:m, :] * (nbins / Xm[m - 1, :])
        counts = np.stack([np.histogram(np.minimum(H[:, j], nbins - 1), bins=np.arange(nbins + 1))[0] for j in range(H.shape[1])], axis=1)
        logq = np.log(counts + 0.01)
        for bi, b in enumerate(beta):
            bounds = zb[bi]
            x = bounds[0] + (np.arange(nbins) + 0.5) / nbins * (bounds[1] - bounds[0])
            p = np.exp(-np.abs(x) ** b) * rescale[bi]
            p = p / p.sum()
            kl = np.sum(p[:, None] * (np.log(p)[:, None] - logq), axis=0) + np.log(m)
            idx = int(np.argmin(kl))
            if kl[idx] < opt[0]:
                opt = (kl[idx], b, bounds, (X1[idx], X1[idx] + Xm[m - 1, idx]))
    _, b, bounds, lu = opt
    alpha = (lu[1] - lu[0]) / (bounds[1] - bounds[0])
    mu = lu[0] - bounds[0] * alpha
    sig = np.sqrt(alpha ** 2 * gamma(3 / b) / gamma(1 / b))
    return mu, sig, b


def asr_calibrate(X, srate, cutoff, blocksize, B, A, window_len=0.5, window_overlap=0.66):
    C, S = X.shape
    X = np.where(np.isfinite(X), X, 0)
    Xf, zf = lfilter(B, A, X, axis=1, zi=np.zeros((C, len(A) - 1)))
    Xf = Xf.T
    nblk = len(range(0, S, blocksize))
    U = np.zeros((nblk, C * C))
    for k in range(blocksize):
        idx = np.minimum(S - 1, np.arange(k, S + k, blocksize))[:nblk]
        U += (Xf[idx, :, None] * Xf[idx, None, :]).reshape(nblk, C * C)
    med = geometric_median(U / blocksize).reshape(C, C)
    d, v = np.linalg.eigh(med)
    M = (v * np.sqrt(np.maximum(d, 0))) @ v.T
    N = int(np.round(window_len * srate))
    D, V = np.linalg.eigh(M)
    Y = np.abs(Xf @ V)
    step = N * (1 - window_overlap)
    starts = np.round(1 + step * np.arange(int(np.floor((S - N - 1) / step + 1e-10)) + 1)).astype(int) - 1
    mu = np.zeros(C); sig = np.zeros(C)
    for c in range(C):
        rms = np.sqrt(np.sum(Y[starts[None, :] + np.arange(N)[:, None], c] ** 2, axis=0) / N)
        mu[c], sig[c], _ = fit_eeg_distribution(rms)
    T = np.diag(mu + cutoff * sig) @ V.T
    return dict(M=M, T=T, B=B, A=A, zf=zf)


# ---------------- processing (one call over the whole signal, clean_asr style) ----------------
def asr_process_offline(X, srate, st, windowlen, stepsize, maxdims):
    C, S = X.shape
    windowlen = max(windowlen, 1.5 * C / srate)
    N = int(np.round(windowlen * srate))
    P = int(np.round(windowlen / 2 * srate))
    if maxdims < 1:
        maxdims = int(np.round(C * maxdims))
    tail = 2 * X[:, -1:] - X[:, -2:-P - 2:-1]
    sig = np.concatenate([X, tail], axis=1)              # S' = S + P samples
    Sp = sig.shape[1]
    carry = 2 * sig[:, :1] - sig[:, 1 + np.mod(np.arange(P, 0, -1) - 1, Sp)]   # extrapolated past (dropped)
    data = np.concatenate([carry, sig], axis=1)
    data = np.where(np.isfinite(data), data, 0)
    Xs, _ = lfilter(st["B"], st["A"], data[:, P:P + Sp], axis=1, zi=st["zf"])
    # running mean of outer products over the last N samples (zeros before the start)
    outer = Xs.T[:, :, None] * Xs.T[:, None, :]
    cs = np.cumsum(np.concatenate([np.zeros((1, C, C)), outer]), axis=0)
    update_at = np.r_[1, np.minimum(np.arange(stepsize, Sp + stepsize, stepsize), Sp)]
    M, T = st["M"], st["T"]
    last_R, last_trivial, last_n = np.eye(C), True, 0
    out = data.copy()
    for n in update_at:
        cov = (cs[n] - cs[max(0, n - N)]) / N
        D, V = np.linalg.eigh(cov)
        keep = (D < np.sum((T @ V) ** 2, axis=0)) | (np.arange(1, C + 1) < C - maxdims)
        trivial = bool(np.all(keep))
        R = np.real(M @ np.linalg.pinv(keep[:, None] * (V.T @ M)) @ V.T) if not trivial else np.eye(C)
        if not trivial or not last_trivial:
            sub = np.arange(last_n, n)
            blend = (1 - np.cos(np.pi * np.arange(1, n - last_n + 1) / (n - last_n))) / 2
            out[:, sub] = blend * (R @ data[:, sub]) + (1 - blend) * (last_R @ data[:, sub])
        last_n, last_R, last_trivial = n, R, trivial
    return out[:, P:P + S]


def main():
    labels, eeg, srate = read_edf(os.path.join(shared, "data/edf/S001R04.edf"))
    picks = ["Fp1.", "Fpz.", "Fp2.", "Af3.", "Af4.", "F7..", "F3..", "Fz..", "F4..", "F8..", "Fc5.", "Fc1.", "Fc2.", "Fc6.",
             "C3..", "Cz..", "C4..", "Cp5.", "Cp1.", "Cp2.", "Cp6.", "P3..", "Pz..", "P4.."]
    ch = [labels.index(p) for p in picks]
    fs = int(srate)
    S = 45 * fs
    x = eeg[ch, :S].copy()

    # injected artifacts: Gaussian-windowed bursts, amplitude in µV; each as (channels, centre s, sd s, freq Hz, amplitude)
    artifacts = [
        {"channels": [0, 1, 2, 3, 4], "centreSeconds": 24.0, "sdSeconds": 0.12, "frequencyHz": 0.0, "amplitudeUv": 800.0},     # blink-like
        {"channels": [5, 10, 17], "centreSeconds": 30.0, "sdSeconds": 0.4, "frequencyHz": 37.0, "amplitudeUv": 400.0},        # muscle
        {"channels": list(range(24)), "centreSeconds": 38.5, "sdSeconds": 0.25, "frequencyHz": 2.5, "amplitudeUv": 300.0},    # movement
    ]
    t = np.arange(S) / fs
    for a in artifacts:
        env = a["amplitudeUv"] * np.exp(-0.5 * ((t - a["centreSeconds"]) / a["sdSeconds"]) ** 2)
        wave = env * (np.cos(2 * np.pi * a["frequencyHz"] * (t - a["centreSeconds"])) if a["frequencyHz"] > 0 else 1.0)
        for c in a["channels"]:
            x[c] += wave * (1 + 0.1 * c)

    cutoff, blocksize, stepsize, maxdims, window = 7.5, 10, 32, 0.66, 0.5
    B, A = shaping_filter(srate)
    st = asr_calibrate(x[:, :20 * fs], srate, cutoff, blocksize, B, A, window_len=window)
    y = asr_process_offline(x, srate, st, window, stepsize, maxdims)

    # clean_windows (NeuroPype's ArtifactRemoval defaults: 0.5 s windows, overlap 0.66, z in [-5, 7], 20 % of the channels)
    def clean_windows(X, srate, max_bad_channels=0.2, zthresholds=(-5, 7), window_len=0.5, window_overlap=0.66):
        C, S = X.shape
        if 0 < max_bad_channels < 1:
            max_bad_channels = int(np.round(C * max_bad_channels))
        N = window_len * srate
        wnd = np.arange(0, int(np.floor(N - 1)) + 1)
        hop = N * (1 - window_overlap)
        offsets = np.round(1 + hop * np.arange(int(np.floor((S - N - 1) / hop + 1e-10)) + 1)).astype(int) - 1
        wz = np.zeros((C, len(offsets)))
        for c in range(C):
            r = np.sqrt(np.sum(X[c, offsets[None, :] + wnd[:, None]] ** 2, axis=0) / N)
            mu, sg, _ = fit_eeg_distribution(r)
            wz[c] = (r - mu) / sg
        swz = np.sort(wz, axis=0)
        remove = (swz[C - 1 - max_bad_channels] > max(zthresholds)) | (swz[max_bad_channels] < min(zthresholds))
        return offsets[remove]


    removed_windows = clean_windows(x, srate)

    # fit_eeg_distribution alone on a formula-built sample (the spec builds the same values)
    i = np.arange(1500)
    vals = 10 + 2 * np.sin(1.3 * i) * np.cos(0.7 * i * i) + np.where(i % 7 == 0, 25 + (i % 13), 0)
    mu, sig, beta = fit_eeg_distribution(vals)
    fit_case = {"n": 1500, "formula": "10 + 2 sin(1.3 i) cos(0.7 i^2) + (i % 7 == 0 ? 25 + i % 13 : 0)", "mu": mu, "sigma": sig, "beta": beta}

    every = 4
    out = {
        "source": f"NumPy {np.__version__} / SciPy {scipy.__version__} re-statement of clean_rawdata 2.11 asr_calibrate + asr_process (clean_asr offline)",
        "recording": "data/edf/S001R04.edf", "channels": picks, "sampleRateHz": srate, "samples": S,
        "calibrationSamples": 20 * fs, "artifacts": artifacts, "artifactGain": "each channel c of a burst gets wave·(1 + 0.1·c)",
        "options": {"cutoff": cutoff, "blockSize": blocksize, "stepSamples": stepsize, "maxDims": maxdims, "windowSeconds": window},
        "filter": {"b": B.tolist(), "a": A.tolist()}, "matlabYulewalk": {str(k): {"b": v[0], "a": v[1]} for k, v in MATLAB.items()},
        "inputFirstFrame": x[:, 0].tolist(),
        "fitCase": fit_case,
        "cleanWindowsRemovedStarts": removed_windows.tolist(),
        "outputEvery": every,
    }
    arrays = {"M": st["M"], "T": st["T"], "output": y[:, ::every]}
    offset = 0
    blob = []
    for name, arr in arrays.items():
        out[name] = {"offset": offset, "shape": list(arr.shape)}
        blob.append(np.ascontiguousarray(arr, dtype="<f8").tobytes())
        offset += arr.size
    open(os.path.join(here, "asr-reference.f64"), "wb").write(b"".join(blob))
    json.dump(out, open(os.path.join(here, "asr-reference.json"), "w"), indent=1)
    print("wrote asr-reference.json/.f64;", "T rows", st["T"].shape, "output", y.shape)


if __name__ == "__main__":
    main()
