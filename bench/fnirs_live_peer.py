#!/usr/bin/python3
"""The live fNIRS chain in NumPy/SciPy + MNE's FIR, timed per chunk: the peer of
bench/fnirs-live.bench.ts (which writes the frames and runs this script with Debian's python3 in the
same run). Per chunk: OD against the first 10 s mean (running until then) and HbO/HbR through each
pair's inverted 2x2 extinction matrix (ppf 6, as MNE's beer_lambert_law); once a second, over the
last 10 s, MNE 1.3's scalp coupling index (optical density of the window, mne.filter.filter_data
0.7-1.5 Hz with 0.3 Hz transitions, Pearson correlation per pair) and the coefficient of variation.

usage: fnirs_live_peer.py <input.json>   prints one JSON line {chunks: {n: {p50, p99, max}}, quality}
in microseconds.
"""
import json
import sys
import time

import mne
import numpy as np

meta = json.load(open(sys.argv[1]))
C, T, fs = meta['channels'], meta['samples'], meta['sfreq']
frames = np.fromfile(meta['file'], dtype='<f4').reshape(T, C).astype(np.float64)
dist = np.array(meta['distances'])
eps = np.array(meta['abs_coef'])  # [[HbO, HbR] at 760, at 850], already x 0.2303
P = C // 2
# Per pair p (channels 2p, 2p+1): [HbO, HbR] = inv(eps * d * ppf) @ OD * 1e-3, in µM (x 1e6).
inv = np.stack([np.linalg.inv(eps * dist[2 * p] * 6.0) * 1e-3 * 1e6 for p in range(P)])
W = int(round(10 * fs))


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def quality(win):
    od = -np.log(win / win.mean(axis=0))
    f = mne.filter.filter_data(od.T.copy(), fs, 0.7, 1.5, l_trans_bandwidth=0.3, h_trans_bandwidth=0.3, verbose=False)
    sci = np.array([np.corrcoef(f[2 * p], f[2 * p + 1])[0, 1] for p in range(P)])
    cv = 100 * win.std(axis=0, ddof=1) / win.mean(axis=0)
    return sci, cv


out = {'chunks': {}, 'numpy': np.__version__, 'mne': mne.__version__}
qus = []
for chunk in meta['chunks']:
    base_sum = np.zeros(C)
    base_n = 0
    hist = np.zeros((W, C))
    pos = 0
    us = []
    q = []
    next_q = fs
    for t in range(0, T - chunk + 1, chunk):
        t0 = time.perf_counter()
        x = frames[t:t + chunk]
        if base_n < W:
            base_sum += x.sum(axis=0)
            base_n += chunk
        od = -np.log(x / (base_sum / base_n))
        hb = np.einsum('pij,fpj->fpi', inv, od.reshape(chunk, P, 2)).reshape(chunk, C)
        idx = (pos + np.arange(chunk)) % W
        hist[idx] = x
        pos = (pos + chunk) % W
        if t + chunk >= next_q:
            q0 = time.perf_counter()
            if t + chunk >= W:
                quality(np.roll(hist, -pos, axis=0))
                q.append((time.perf_counter() - q0) * 1e6)
            next_q += fs
        us.append((time.perf_counter() - t0) * 1e6)
    steady = us[int(np.ceil(W / chunk)):]
    out['chunks'][str(chunk)] = {'p50': pct(steady, 50), 'p99': pct(steady, 99), 'max': max(steady)}
    qus = q
out['quality'] = {'p50': pct(qus, 50), 'p99': pct(qus, 99)}
print(json.dumps(out))
