#!/usr/bin/env python3
"""Reference for src/lib/ml/bad-channels.spec.ts: clean_rawdata 2.11 `clean_channels` re-stated in
NumPy/SciPy (design_fir with SciPy's pchip, filtfilt_fast, MATLAB's randsample on MT19937 — NumPy's
RandomState(5489).random_sample() is MATLAB's rand after rng('default') — sphericalSplineInterpolate,
median RANSAC reconstruction, window correlations, noise z-scores). Positions: MNE 1.3 standard_1005 in
the head frame. Data: the first 60 s of ../shared/data/edf/S001R04.edf, 64 channels at 160 Hz, with two
channels spoilt by formula (stored here). clean_rawdata's defaults: 50 samples, subsets of 0.25.
Run: /usr/bin/python3 tests/ml/make-bad-channels-reference.py  → tests/ml/bad-channels-reference.json
"""
import json, os, sys
import numpy as np
import mne
from scipy.interpolate import PchipInterpolator
from scipy.signal import lfilter

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("NEUROTAB_SHARED") or os.path.abspath(os.path.join(here, "../../../shared"))
sys.path.insert(0, here)
from edf_reader import read_edf  # noqa: E402

labels, eeg, srate = read_edf(os.path.join(shared, "data/edf/S001R04.edf"))
fs = int(srate)
S = 60 * fs
X = eeg[:, :S].copy()
C = X.shape[0]
n = np.arange(S)
spoilt = {"uncorrelated": labels.index("Cz.."), "noisy": labels.index("T8..")}
X[spoilt["uncorrelated"]] = 40 * np.sin(0.9 * n + 0.002 * n * n) + 30 * np.cos(2.7 * n)
X[spoilt["noisy"]] += 60 * np.sin(2 * np.pi * 65 * n / fs) + 40 * np.sin(2 * np.pi * 72.5 * n / fs + 1)

mont = mne.channels.make_standard_montage("standard_1005")
info = mne.create_info([l.rstrip(".") for l in labels], 100.0, "eeg")
raw = mne.io.RawArray(np.zeros((C, 1)), info, verbose=False)
raw.set_montage(mont, match_case=False, verbose=False)
locs = np.array([ch["loc"][:3] for ch in raw.info["chs"]]).T  # 3 x C


def design_fir(N, F, A):
    nfft = max(512, 2 ** int(np.ceil(np.log(N) / np.log(2))))
    Fg = PchipInterpolator(np.round(np.array(F) * nfft), A)(np.arange(nfft + 1))
    Fg = Fg * np.exp(-(0.5 * N) * 1j * np.pi * np.arange(nfft + 1) / nfft)
    B = np.real(np.fft.ifft(np.concatenate([Fg, np.conj(Fg[-2:0:-1])])))
    return B[:N + 1] * (0.54 - 0.46 * np.cos(2 * np.pi * np.arange(N + 1) / N))


def filtfilt_fast(B, x):
    w, t = len(B), len(x)
    ext = np.concatenate([2 * x[0] - x[np.mod(np.arange(w, 0, -1), t)], x, 2 * x[-1] - x[np.mod(np.arange(t - 2, t - w - 2, -1), t)]])
    y = lfilter(B, 1.0, ext)[::-1]
    y = lfilter(B, 1.0, y)[::-1]
    return y[w:w + t]


def interp_g(cosang, order=4, terms=500):
    x = cosang
    P0, P1 = np.ones_like(x), x
    G = 3 * P1 / 2.0 ** order
    for k in range(2, terms + 1):
        P0, P1 = P1, ((2 * k - 1) * x * P1 - (k - 1) * P0) / k
        G = G + (2 * k + 1) * P1 / float(k * k + k) ** order
    return G / (4 * np.pi)


def spherical_spline(src, dest, lam=1e-5):
    src = src / np.sqrt(np.sum(src ** 2, axis=0))
    dest = dest / np.sqrt(np.sum(dest ** 2, axis=0))
    Gss = interp_g(src.T @ src) + lam * np.eye(src.shape[1])
    Gds = interp_g(dest.T @ src)
    M = np.block([[Gss, np.ones((Gss.shape[0], 1))], [np.ones((1, Gss.shape[1])), np.zeros((1, 1))]])
    iC = np.linalg.pinv(M)
    return np.hstack([Gds, np.ones((Gds.shape[0], 1))]) @ iC[:, :-1]


corr_threshold, noise_threshold, window_len, max_broken_time, num_samples, subset_frac = 0.8, 4.0, 5, 0.4, 50, 0.25
subset_size = int(np.round(subset_frac * C))
max_broken = S * max_broken_time if 0 < max_broken_time < 1 else round(fs) * max_broken_time  # clean_channels: a fraction of the data below 1
wl = window_len * round(fs)
offsets = np.arange(0, S - wl, wl)   # MATLAB 1:wl:S-wl, 0-based
B = design_fir(100, [0, 2 * 45 / fs, 2 * 50 / fs, 1], [1, 1, 0, 0])
Xf = np.stack([filtfilt_fast(B, X[c]) for c in range(C)])
mad = lambda v: np.median(np.abs(v - np.median(v, axis=-1, keepdims=True)), axis=-1)
noisiness = mad(X - Xf) / mad(Xf)
znoise = (noisiness - np.median(noisiness)) / (mad(noisiness) * 1.4826)

rs = np.random.RandomState(5489)
mats, subsets = [], []
for k in range(num_samples):
    pool = list(range(C))
    pick = []
    while len(pick) < subset_size:
        j = int(np.round((len(pool) - 1) * rs.random_sample()))
        pick.append(pool.pop(j))
    subsets.append(pick)
    mats.append(spherical_spline(locs[:, pick], locs))   # C x subset
corrs = np.zeros((C, len(offsets)))
for w, o in enumerate(offsets):
    XX = Xf[:, o:o + wl].T
    YY = np.stack([XX[:, s] @ m.T for s, m in zip(subsets, mats)], axis=2)
    YY = np.sort(YY, axis=2)[:, :, int(np.round(num_samples / 2)) - 1]
    corrs[:, w] = np.sum(XX * YY, axis=0) / (np.sqrt(np.sum(XX ** 2, axis=0)) * np.sqrt(np.sum(YY ** 2, axis=0)))
removed = (np.sum(corrs < corr_threshold, axis=1) * wl > max_broken) | (znoise > noise_threshold)
out = {
    "source": f"NumPy {np.__version__} re-statement of clean_rawdata 2.11 clean_channels (positions: MNE {mne.__version__} standard_1005)",
    "recording": "data/edf/S001R04.edf", "seconds": 60, "sampleRateHz": fs, "labels": labels,
    "spoilt": {"uncorrelated": {"channel": spoilt["uncorrelated"], "formula": "40 sin(0.9 n + 0.002 n^2) + 30 cos(2.7 n)"},
               "noisy": {"channel": spoilt["noisy"], "formula": "+ 60 sin(2π 65 n/fs) + 40 sin(2π 72.5 n/fs + 1)"}},
    "options": {"corrThreshold": corr_threshold, "noiseThreshold": noise_threshold, "windowSeconds": window_len, "maxBrokenTime": max_broken_time, "ransacSamples": num_samples, "subsetSize": subset_frac, "seed": 5489},
    "firstSubset": subsets[0], "fir": B.tolist(),
    "noiseZ": znoise.tolist(), "correlations": corrs.tolist(), "removed": [int(i) for i in np.nonzero(removed)[0]],
}
json.dump(out, open(os.path.join(here, "bad-channels-reference.json"), "w"))
print("removed", [labels[i] for i in np.nonzero(removed)[0]])
