#!/usr/bin/env python3
"""Reference for src/lib/dsp/fir-zero-phase.spec.ts: MNE 1.3's zero-phase FIR (mne.filter.filter_data
with its default method='fir', phase='zero', fir_window='hamming', pad='reflect_limited') on
formula-built signals, covering a filter longer than the signal (the live fNIRS quality window:
10 s at 50 Hz, 551 taps), a signal several FFT blocks long with an odd channel count, a constant
channel, and a short filter. Run with Debian's python3-mne:
  /usr/bin/python3 tests/dsp/make-fir-zero-phase-reference.py   → tests/dsp/fir-zero-phase-reference.json
"""
import json, os
import numpy as np
import scipy, mne

here = os.path.dirname(os.path.abspath(__file__))


def signal(nch, ns, fs, constant):
    """x[c, n] = sin(2π·1.1·t + c) + 0.5·sin(2π·0.23·(c+1)·t) + 0.1·c·n/ns, t = n/fs; channel `constant` = 0.3."""
    n = np.arange(ns)
    t = n / fs
    x = np.array([np.sin(2 * np.pi * 1.1 * t + c) + 0.5 * np.sin(2 * np.pi * 0.23 * (c + 1) * t) + 0.1 * c * n / ns for c in range(nch)])
    if constant is not None:
        x[constant] = 0.3
    return x


cases = []
for name, fs, nch, ns, l, h, trans, constant in (
    ("live window: 551 taps over 500 samples", 50.0, 3, 500, 0.7, 1.5, 0.3, 1),
    ("several FFT blocks, odd channel count", 10.0, 3, 2000, 0.7, 1.5, 0.3, None),
    ("short filter (direct)", 10.0, 2, 300, 2.0, 4.0, 1.0, 0),
):
    x = signal(nch, ns, fs, constant)
    y = mne.filter.filter_data(x, fs, l, h, l_trans_bandwidth=trans, h_trans_bandwidth=trans, verbose=False)
    cases.append({"name": name, "sampleRateHz": fs, "channels": nch, "samples": ns, "lFreqHz": l, "hFreqHz": h, "transHz": trans, "constantChannel": constant, "filtered": y.ravel().tolist()})

out = {
    "source": f"MNE {mne.__version__}, SciPy {scipy.__version__}, NumPy {np.__version__}",
    "signal": "x[c, n] = sin(2π·1.1·t + c) + 0.5·sin(2π·0.23·(c+1)·t) + 0.1·c·n/ns, t = n/fs; the constant channel (if any) = 0.3",
    "cases": cases,
}
with open(os.path.join(here, "fir-zero-phase-reference.json"), "w") as f:
    json.dump(out, f)
print("wrote", len(cases), "cases")
