#!/usr/bin/python3
# A small time-domain fNIRS fixture (no public TD-fNIRS SNIRF file is in shared/data) and its expected
# moments and gates, computed here with NumPy independently of src/lib/kernel/pipelines/td.ts.
# Run with Debian's python3 + python3-h5py from the repository root: tests/kernel/make-td-fixture.py
# Writes tests/kernel/td-gated.snirf (SNIRF 1.1, dataType 201 gated histograms, probe/timeDelays and
# timeDelayWidths in s) and tests/kernel/td-expected.json.
#
# Layout: 2 sources x 3 detectors, 690 and 905 nm (Kernel Flow's), 3 source-detector pairs x 2
# wavelengths = 6 channels; 30 gates of 100 ps from 0; 2 Hz frames over 40 s; photon counts
# Poisson(rate) with rate = amplitude * a gamma-shaped DTOF (mode ~1.2 ns) + a flat baseline;
# channel S2_D3 at 905 nm has a baseline of 30 % of its peak (ambient light), which the histogram
# check must drop. Stims "task" at 12 s and 25 s (5 s each).
import json, os
import numpy as np
import h5py

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20260101)
G, width_ps = 30, 100.0
delays_ps = np.arange(G) * width_ps
centres = delays_ps + width_ps / 2
fs, T = 2.0, 80
times = np.arange(T) / fs
pairs = [(1, 1), (1, 2), (2, 3)]
wls = [690.0, 905.0]
channels = [(s, d, w) for w in wls for (s, d) in pairs]
values = np.zeros((T, len(channels) * G))
for ci, (s, d, w) in enumerate(channels):
    shape = (centres / 1000.0) ** 3 * np.exp(-centres / 400.0)
    shape /= shape.max()
    amp = 4000.0 * (1.0 + 0.2 * ci) * (1 + 0.05 * np.sin(2 * np.pi * 0.1 * times))
    base = 0.3 if (s, d, w) == (2, 3, 905.0) else 0.002
    rate = amp[:, None] * (shape[None, :] + base)
    values[:, ci * G:(ci + 1) * G] = rng.poisson(rate)

path = os.path.join(here, 'td-gated.snirf')
with h5py.File(path, 'w') as f:
    f['formatVersion'] = '1.1'
    n = f.create_group('nirs')
    mt = n.create_group('metaDataTags')
    for k, v in dict(SubjectID='sub-td', MeasurementDate='2026-01-01', MeasurementTime='09:00:00Z', LengthUnit='m', TimeUnit='s', FrequencyUnit='Hz').items():
        mt[k] = v
    d1 = n.create_group('data1')
    d1['dataTimeSeries'] = values
    d1['time'] = times
    k = 0
    for ci, (s, d, w) in enumerate(channels):
        for g in range(G):
            k += 1
            m = d1.create_group(f'measurementList{k}')
            m['sourceIndex'] = np.int32(s)
            m['detectorIndex'] = np.int32(d)
            m['wavelengthIndex'] = np.int32(wls.index(w) + 1)
            m['dataType'] = np.int32(201)
            m['dataTypeIndex'] = np.int32(g + 1)
    p = n.create_group('probe')
    p['wavelengths'] = np.array(wls)
    p['sourcePos3D'] = np.array([[0.0, 0.0, 0.0], [0.03, 0.0, 0.0]])
    p['detectorPos3D'] = np.array([[0.0, 0.03, 0.0], [0.03, 0.0085, 0.0], [0.06, 0.0, 0.0]])
    p['timeDelays'] = delays_ps * 1e-12
    p['timeDelayWidths'] = np.full(G, width_ps) * 1e-12
    st = n.create_group('stim1')
    st['name'] = 'task'
    st['data'] = np.array([[12.0, 5.0, 1.0], [25.0, 5.0, 1.0]])

# Expected: channels passing the checks (median total counts >= 100; baseline = mean of the first two
# gates over the mean peak gate <= 0.1), frames kept by Kernel's trimming rule (drop the first and last
# 5 s, keep >= 1 s around the events), moments 0/1/2 at gate centres, and 15 gates summing pairs.
hist = values.reshape(T, len(channels), G)
mean_g = hist.mean(axis=0)
peak = mean_g.argmax(axis=1)
ratio = mean_g[:, :2].mean(axis=1) / mean_g[np.arange(len(channels)), peak]
keep = [ci for ci in range(len(channels)) if np.median(hist[:, ci].sum(axis=1)) >= 100 and ratio[ci] <= 0.1]
sel = (times >= min(times[0] + 5, 12 - 1)) & (times <= max(times[-1] - 5, 25 + 1))
h = hist[sel][:, keep]
m0 = h.sum(axis=2)
m1 = (h * centres).sum(axis=2) / m0
m2 = (h * (centres[None, None, :] - m1[:, :, None]) ** 2).sum(axis=2) / m0
gates15 = hist[:, keep].reshape(T, len(keep), 15, 2).sum(axis=3)
label = lambda ci: f'S{channels[ci][0]}_D{channels[ci][1]} {channels[ci][2]:g}'
out = {
    'generator': 'tests/kernel/make-td-fixture.py',
    'versions': {'numpy': np.__version__, 'h5py': h5py.__version__},
    'kept_channels': [label(ci) for ci in keep],
    'dropped_channels': [label(ci) for ci in range(len(channels)) if ci not in keep],
    'baseline_ratio': ratio.tolist(),
    'kept_times_s': times[sel].tolist(),
    'moments_layout': '[time, kept channel]',
    'm0': m0.tolist(), 'm1_ps': m1.tolist(), 'm2_ps2': m2.tolist(),
    'gates15_layout': '[time, kept channel, gate]; no trimming',
    'gates15': gates15.tolist(),
}
with open(os.path.join(here, 'td-expected.json'), 'w') as fh:
    json.dump(out, fh)
print('wrote', path, os.path.getsize(path), 'bytes; kept', out['kept_channels'], 'dropped', out['dropped_channels'])
