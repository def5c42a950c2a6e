#!/usr/bin/python3
"""The fNIRS offline chain in NumPy/SciPy, timed: the peer of bench/fnirs.bench.ts (which writes the
input and runs this script with Debian's python3 in the same run). Steps as the TypeScript library:
optical density (MNE's formula), modified Beer-Lambert (pinv per pair, ppf 6), TDDR (MNE's
reference code), nearest-short-channel regression (MNE-NIRS's formula), the Nilearn design matrix
(spm HRF at 50x oversampling, boxcars convolved with scipy.signal.fftconvolve instead of Nilearn's
numpy.convolve, which would take minutes here), two-step AR(1) GLM and three t contrasts.

usage: fnirs_peer.py <input.json>   prints one JSON line {steps: {name: seconds}, total_s} and writes
the contrasts' t values to <input>.t.f64 for the comparison.
"""
import json
import sys
import time

import numpy as np
from scipy import stats
from scipy.signal import butter, filtfilt, fftconvolve

meta = json.load(open(sys.argv[1]))
C, n, fs = meta['channels'], meta['samples'], meta['sfreq']
raw = np.fromfile(meta['file'], dtype='<f8').reshape(C, n)
steps = {}


def timed(name, fn, *a):
    t0 = time.perf_counter()
    r = fn(*a)
    steps[name] = time.perf_counter() - t0
    return r


def od_of(x):
    x = np.abs(x)
    return -np.log(x / x.mean(axis=1, keepdims=True))


def mbll(od):
    hb = np.empty_like(od)
    for i, j, d in meta['pairs']:  # channel of the shorter, the longer wavelength, distance m
        e = np.array(meta['abs_coef']) * d * 6.0
        hb[[i, j]] = np.linalg.pinv(e) @ od[[i, j]] * 1e-3
    return hb


def tddr_one(signal):
    signal = signal.copy()
    fb, fa = butter(3, 0.5 * 2 / fs)
    mean = signal.mean()
    signal -= mean
    low = filtfilt(fb, fa, signal, padlen=0)
    high = signal - low
    tune, D, mu, it = 4.685, np.sqrt(np.finfo(float).eps), np.inf, 0
    deriv = np.diff(low)
    w = np.ones(deriv.shape)
    while it < 50:
        it += 1
        mu0 = mu
        mu = np.sum(w * deriv) / np.sum(w)
        dev = np.abs(deriv - mu)
        sigma = 1.4826 * np.median(dev)
        if sigma == 0:
            break
        r = dev / (sigma * tune)
        w = ((1 - r ** 2) * (r < 1)) ** 2
        if abs(mu - mu0) < D * max(abs(mu), abs(mu0)):
            break
    low_c = np.cumsum(np.insert(w * (deriv - mu), 0, 0.0))
    return low_c - low_c.mean() + high + mean


def tddr(x):
    return np.vstack([tddr_one(ch) for ch in x])


def ssr(x):
    y = x.copy()
    for l, s in meta['nearest_short'].items():
        l, s = int(l), int(s)
        a = np.dot(x[s], x[l]) / np.dot(x[s], x[s])
        y[l] = x[l] - a * x[s]
    return y


def spm_hrf(tr, o=50):
    dt = tr / o
    ts = np.linspace(0, 32.0, np.rint(32.0 / dt).astype(int))
    h = stats.gamma.pdf(ts, 6.0, loc=dt) - 0.167 * stats.gamma.pdf(ts, 16.0, loc=dt)
    return h / h.sum()


def design():
    f = np.arange(n) / fs
    tr = np.min(np.diff(f))
    o, min_onset = 50, -24.0
    n_hr = ((n - 1) / (f.max() - f.min()) * (f.max() * (1 + 1 / (n - 1)) - f.min() - min_onset) * o) + 1
    g = np.linspace(f.min() + min_onset, f.max() * (1 + 1 / (n - 1)), np.rint(n_hr).astype(int))
    h = spm_hrf(tr, o)
    cols = []
    for cond in sorted(set(meta['conditions'])):
        ev = [(on, du) for on, du, c in zip(meta['onsets'], meta['durations'], meta['conditions']) if c == cond]
        r = np.zeros_like(g)
        on = np.minimum(np.searchsorted(g, [e[0] for e in ev]), g.size - 1)
        off = np.minimum(np.searchsorted(g, [e[0] + e[1] for e in ev]), g.size - 1)
        np.add.at(r, on, 1.0)
        np.add.at(r, off, -1.0)
        c = fftconvolve(np.cumsum(r), h)[:g.size]
        cols.append(np.interp(f, g, c))
    k = int(np.floor(2 * n * 0.01 * (f[-1] - f[0]) / (n - 1)))
    t = np.arange(n)
    for j in range(1, k + 1):
        cols.append(np.sqrt(2.0 / n) * np.cos(np.pi / n * (t + 0.5) * j))
    cols.append(np.ones(n))
    return np.column_stack(cols)


def glm_ar1(y, X):
    beta0 = np.linalg.lstsq(X, y.T, rcond=None)[0]
    e = y.T - X @ beta0
    rho = np.sum(e[1:] * e[:-1], axis=0) / np.sum(e * e, axis=0)
    p = X.shape[1]
    cons = np.zeros((3, p))
    cons[0, 0] = cons[1, 1] = cons[2, 0] = 1
    cons[2, 1] = -1
    t = np.empty((y.shape[0], 3))
    for c in range(y.shape[0]):
        r = rho[c]
        Xw = np.vstack([np.sqrt(1 - r * r) * X[:1], X[1:] - r * X[:-1]])
        yw = np.concatenate([[np.sqrt(1 - r * r) * y[c, 0]], y[c, 1:] - r * y[c, :-1]])
        b, rss = np.linalg.lstsq(Xw, yw, rcond=None)[:2]
        cov = np.linalg.inv(Xw.T @ Xw) * (rss[0] / (n - p))
        t[c] = cons @ b / np.sqrt(np.einsum('ij,jk,ik->i', cons, cov, cons))
    return t


t_all = time.perf_counter()
od = timed('optical density', od_of, raw)
hb = timed('Beer-Lambert', mbll, od)
hb = timed('TDDR', tddr, hb)
hb = timed('short-channel regression', ssr, hb)
X = timed('design matrix', design)
t = timed('AR(1) GLM + 3 contrasts', glm_ar1, hb, X)
total = time.perf_counter() - t_all
t.astype('<f8').tofile(sys.argv[1] + '.t.f64')
print(json.dumps({'steps': steps, 'total_s': total, 'numpy': np.__version__}))
