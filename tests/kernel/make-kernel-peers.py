#!/usr/bin/python3
# Peer outputs for the Kernel pipeline jobs (src/lib/kernel/), made with Debian's python3-scipy and
# python3-mne (run with /usr/bin/python3 from the repository root: tests/kernel/make-kernel-peers.py).
# qc_eeg on shared/data/edf/S001R04.edf: Welch PSD (Hann, 512 samples, 50 % overlap, constant
# detrend, density) in uV^2/Hz, line-noise power (trapezoid over 49-51 and 59-61 Hz), the line ratio
# (mean PSD within +-1 Hz over the mean PSD 2-5 Hz either side, dB) and the RMS after a 4th-order
# Butterworth high-pass at 0.5 Hz applied forward-backward (scipy.signal.sosfiltfilt defaults).
import json, os, sys
import numpy as np
import scipy, scipy.signal as ss, mne

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, '..', '..', '..', 'shared', 'data')

raw = mne.io.read_raw_edf(os.path.join(shared, 'edf', 'S001R04.edf'), preload=True, verbose='error')
x = raw.get_data(picks='eeg') * 1e6  # V -> uV
fs = raw.info['sfreq']
nperseg = 512
f, p = ss.welch(x, fs=fs, window='hann', nperseg=nperseg, noverlap=nperseg // 2, detrend='constant', scaling='density', axis=-1)

def band(lo, hi):
    m = (f >= lo) & (f <= hi)
    return np.trapz(p[:, m], f[m], axis=-1)

def ratio_db(f0):
    inner = (f >= f0 - 1) & (f <= f0 + 1)
    outer = ((f >= f0 - 5) & (f <= f0 - 2)) | ((f >= f0 + 2) & (f <= f0 + 5))
    return 10 * np.log10(p[:, inner].mean(axis=-1) / p[:, outer].mean(axis=-1))

sos = ss.butter(4, 0.5, 'highpass', fs=fs, output='sos')
hp = ss.sosfiltfilt(sos, x, axis=-1)
rms = np.sqrt((hp ** 2).mean(axis=-1))
within = (np.abs(hp) <= 100).mean(axis=-1)

out = {
    'generator': 'tests/kernel/make-kernel-peers.py',
    'versions': {'scipy': scipy.__version__, 'numpy': np.__version__, 'mne': mne.__version__},
    'qc_eeg': {
        'file': 'edf/S001R04.edf',
        'channels': raw.copy().pick('eeg').ch_names,
        'sample_rate_hz': fs,
        'nperseg': nperseg,
        'freqs_hz': f.tolist(),
        'psd_first3_uv2_hz': p[:3].tolist(),
        'line_power_uv2': {'50': band(49, 51).tolist(), '60': band(59, 61).tolist()},
        'line_ratio_db': {'50': ratio_db(50).tolist(), '60': ratio_db(60).tolist()},
        'rms_uv': rms.tolist(),
        'within_100uv_fraction': within.tolist(),
    },
}
with open(os.path.join(here, 'peers.json'), 'w') as fh:
    json.dump(out, fh, indent=1)
print('wrote tests/kernel/peers.json')
