"""ContinuousWaveletTransform node reference: NeuroPype's cmor parameters (bandwidth 1.0, centre 1.5,
scale_range [10, 40]) mapped onto MNE 1.3's complex Morlet as docs/neural.md says (f = C·fs/s,
n_cycles = 2πC·sqrt(B/2), zero_mean False), |tfr_array_morlet(output='complex')| on a formula signal.
Run with Debian's python3-mne: /usr/bin/python3 tests/dsp/make-cwt-node-reference.py
"""
import json
import math
import os

import mne
import numpy as np

fs = 200.0
T = 640
C = 2
B, Cf = 1.0, 1.5
scales = np.arange(10, 40)
freqs = Cf * fs / scales
n_cycles = 2 * math.pi * Cf * math.sqrt(B / 2)
n = np.arange(T)
x = np.array([[np.sin(2 * np.pi * (6 + 3 * c) * n / fs) * np.exp(-(((n - 320) / 160) ** 2)) + 0.3 * np.cos(2 * np.pi * 25 * n / fs + c) for c in range(C)]])
tfr = mne.time_frequency.tfr_array_morlet(x, sfreq=fs, freqs=freqs, n_cycles=n_cycles, zero_mean=False, output="complex", verbose=False)
mag = np.abs(tfr[0])  # channel × frequency × time
every = 8
out = {
    "source": f"MNE {mne.__version__} tfr_array_morlet (complex, zero_mean False), magnitude",
    "signal": "channel c: sin(2π(6+3c)n/fs)·exp(−((n−320)/160)²) + 0.3 cos(2π 25 n/fs + c), n = 0…639",
    "sampleRateHz": fs,
    "samples": T,
    "channels": C,
    "params": {"wavelet": "cmor", "bandwidth_frequency": B, "central_frequency": Cf, "scale_range": [10, 40]},
    "freqs": freqs.tolist(),
    "nCycles": n_cycles,
    "every": every,
    "magnitude": mag[:, :, ::every].tolist(),
}
with open(os.path.join(os.path.dirname(__file__), "cwt-node-reference.json"), "w") as f:
    json.dump(out, f)
