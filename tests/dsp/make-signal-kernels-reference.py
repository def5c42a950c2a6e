#!/usr/bin/env python3
"""Reference for src/lib/dsp/signal-kernels.spec.ts: MNE 1.3 tfr_array_morlet (complex Morlet CWT),
scipy.stats.mstats.winsorize / trimmed_mean and scipy.stats.sem, numpy.digitize / argmax / polyfit,
a NumPy transcription of liblsl 1.16's postproc_dejitterer recursion, and SciPy's electrocardiogram()
sample (first 30 s, stored as its integer ADC counts) with scipy.signal.find_peaks R peaks. All inputs
are formula-built or stored here. Run with Debian's python3-mne / python3-scipy:
  /usr/bin/python3 tests/dsp/make-signal-kernels-reference.py   → tests/dsp/signal-kernels-reference.json
"""
import json, os, warnings
import numpy as np
import scipy, mne
from scipy.stats import mstats, sem
from scipy.signal import find_peaks
from mne.time_frequency import tfr_array_morlet

here = os.path.dirname(os.path.abspath(__file__))
out = {"source": f"MNE {mne.__version__}, SciPy {scipy.__version__}, NumPy {np.__version__}"}

# ---- Morlet CWT: 2 epochs x 2 channels x 640 samples at 200 Hz (every 10th output sample stored)
fs = 200.0
n = np.arange(640)
sig = lambda e, c: np.sin(2 * np.pi * (6 + 3 * c) * n / fs + e) * np.exp(-((n - 320) / 160.0) ** 2) + 0.3 * np.cos(2 * np.pi * 25 * n / fs + c) + 0.05 * np.sin(0.37 * n * n / 640)
X = np.array([[sig(e, c) for c in range(2)] for e in range(2)])
freqs = [4.0, 8.0, 13.5, 30.0]
cases = []
for ncyc, zm in (([3, 5, 7, 7], False), (7.0, True)):
    tfr = tfr_array_morlet(X, fs, freqs, n_cycles=ncyc, zero_mean=zm, output="complex", verbose=False)
    cases.append({"nCycles": ncyc, "zeroMean": zm, "re": tfr.real[..., ::10].ravel().tolist(), "im": tfr.imag[..., ::10].ravel().tolist()})
out["morlet"] = {"sampleRateHz": fs, "freqs": freqs, "signal": "sin(2π(6+3c)n/fs + e)·exp(−((n−320)/160)²) + 0.3 cos(2π 25 n/fs + c) + 0.05 sin(0.37 n²/640), n = 0…639, epoch e, channel c", "shape": [2, 2, 4, 640], "every": 10, "cases": cases}

# ---- winsorize / digitize / argmax / frequency normalisation / grouped means
v = np.array([3.1, -2.0, 7.5, 0.2, 0.2, 9.9, -5.5, 1.1, 4.4, 4.4, 2.2, -0.7, 8.8, 6.6, -3.3, 0.0, 5.0, 1.9, -9.1, 2.2, 3.3, 7.7, 12.0])
M = np.sin(np.arange(60) * 1.37).reshape(5, 12) * 10
Mn = M.copy(); Mn[1, 3] = np.nan; Mn[3, 7] = np.nan
win = []
for data, axis, lim in ((v, 0, (0.1, 0.2)), (M, 1, (0.2, 0.2)), (M, 0, (0.2, 0.4)), (Mn, 1, (0.25, 0.1))):
    r = mstats.winsorize(np.ma.masked_invalid(data), limits=lim, axis=axis)
    win.append({"data": np.where(np.isnan(data), None, data).tolist(), "axis": axis, "limits": list(lim), "result": np.where(np.ma.getmaskarray(r), None, np.ma.getdata(r)).tolist()})
out["winsorize"] = win
cut, newv = [8.9, 15.1], [0, 1, 0]
x = np.array([3.0, 8.9, 9.0, 15.1, 15.0, 22.0, -1.0, 8.899999])
out["digitize"] = {"x": x.tolist(), "cutoffs": cut, "newValues": newv, "result": np.array(newv)[np.digitize(x, cut)].tolist()}
spec = np.abs(np.sin(np.arange(3 * 4 * 20) * 0.91)).reshape(3, 4, 20); spec[1, 2, 5] = spec[1, 2, 9] = 2.0  # a tie
fr = np.linspace(0, 38, 20)
out["peak"] = {"data": spec.ravel().tolist(), "shape": [3, 4, 20], "freqs": fr.tolist(), "argmaxHz": fr[np.argmax(spec, axis=2)].ravel().tolist(), "argminIdxAxis1": np.argmin(spec, axis=1).ravel().tolist()}
f = np.arange(1, 41) * 0.5
psd = np.stack([10.0 / f ** 1.3 * (1 + 0.5 * np.exp(-((f - 10) / 1.5) ** 2)) * (1 + 0.05 * np.sin(f * c)) for c in range(3)])
fitlo, fithi = 2.0, 18.0
fit = []
for c in range(3):
    sel = (f >= fitlo) & (f <= fithi)
    b, a = np.polyfit(np.log10(f[sel]), np.log10(psd[c, sel]), 1)
    fit.append((psd[c] / 10 ** (a + b * np.log10(f))).tolist())
out["freqnorm"] = {"freqs": f.tolist(), "psd": psd.tolist(), "alpha": 1.3, "times_f_alpha": (psd * f ** 1.3).tolist(), "fitRange": [fitlo, fithi], "fitted": fit}
vals = np.cos(np.arange(14 * 3) * 0.77).reshape(14, 3) * 5 + np.arange(14)[:, None] * 0.1
keys = np.array(["b", "a", "b", "c", "a", "a", "b", "c", "a", "b", "b", "c", "a", "b"])
gm = {"values": vals.tolist(), "keys": keys.tolist(), "groups": sorted(set(keys.tolist()))}
for name, fn in (("mean", lambda a: np.mean(a, 0)), ("median", lambda a: np.median(a, 0)),
                 ("trimmed", lambda a: mstats.trimmed_mean(a, limits=(0.2, 0.1), axis=0).data),
                 ("winsorized", lambda a: np.mean(mstats.winsorize(a, limits=(0.2, 0.2), axis=0), 0).data),
                 ("sem", lambda a: sem(a, axis=0, ddof=1)), ("std", lambda a: np.std(a, 0, ddof=1))):
    gm[name] = [fn(vals[keys == g]).tolist() for g in gm["groups"]]
out["groupedMean"] = gm

# ---- dejitter: liblsl postproc_dejitterer recursion (NumPy transcription), 250 Hz, 120 s, jittered + drifting
rate, half = 250.0, 30.0
k = np.arange(int(120 * rate))
true = 1000.25 + k / rate * (1 + 20e-6)
jit = 0.004 * np.sin(k * 2.399963) * np.cos(k * 0.61803) + 0.002 * np.sin(k * 0.0137)
stamps = true + jit
lam = 2 ** (-1 / (rate * half))
w0, w1, P00, P11, P01 = 0.0, 1 / rate, 1e10, 1e10, 0.0
t0 = stamps[0]
dj = np.empty_like(stamps)
for i, t in enumerate(stamps):
    u1 = float(i); x_ = t - t0
    pi0 = P00 + u1 * P01; pi1 = P01 + u1 * P11
    al = x_ - (w0 + u1 * w1); g_inv = 1 / (lam + pi0 + pi1 * u1); il = 1 / lam
    P00 = il * (P00 - pi0 * pi0 * g_inv); P01 = il * (P01 - pi0 * pi1 * g_inv); P11 = il * (P11 - pi1 * pi1 * g_inv)
    w0 += al * (P00 + P01 * u1); w1 += al * (P01 + P11 * u1)
    dj[i] = w0 + u1 * w1 + t0
out["dejitter"] = {"rate": rate, "halftime": half, "stamps": "1000.25 + k/250·(1 + 20e-6) + 0.004 sin(2.399963 k) cos(0.61803 k) + 0.002 sin(0.0137 k), k = 0…29999",
                   "every": 97, "dejittered_every97": dj[::97].tolist(), "true_every97": true[::97].tolist()}

# ---- ECG: scipy's electrocardiogram(), first 30 s at 360 Hz, R peaks by find_peaks(distance=150, prominence=1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from scipy.misc import electrocardiogram
    ecg = electrocardiogram()[: 30 * 360]
counts = np.round(ecg * 200).astype(int)
assert np.allclose(counts / 200.0, ecg)
peaks, _ = find_peaks(ecg, distance=150, prominence=1.0)
tp = peaks / 360.0
hr = []
start = tp[0]
while start + 10 <= tp[-1] + 1e-12:
    inside = tp[(tp >= start) & (tp <= start + 10)]
    hr.append([start + 10, 60 * (len(inside) - 1) / (inside[-1] - inside[0])])
    start += 3
out["ecg"] = {"sampleRateHz": 360, "counts": counts.tolist(), "mvPerCount": 1 / 200.0, "findPeaks": peaks.tolist(), "heartRateSeconds_10_3": hr,
              "note": "scipy.misc.electrocardiogram (MIT-BIH record 208 excerpt), 5 mV range at 11 bits; peaks: find_peaks(ecg, distance=150, prominence=1.0)"}

json.dump(out, open(os.path.join(here, "signal-kernels-reference.json"), "w"))
print("wrote signal-kernels-reference.json;", len(peaks), "R peaks")
