#!/usr/bin/env python3
"""Reference for src/lib/dsp/spherical-spline.spec.ts: MNE-Python's spherical-spline interpolation
(mne.channels.interpolation._make_interpolation_matrix, and Raw.interpolate_bads with origin='auto')
on 32 electrodes of the standard_1005 montage, 4 of them bad. Run with Debian's python3-mne:
  /usr/bin/python3 tests/dsp/make-spline-reference.py     → tests/dsp/spline-reference.json
"""
import json, os
import numpy as np
import mne
from mne.bem import _check_origin
from mne.channels.interpolation import _make_interpolation_matrix

here = os.path.dirname(os.path.abspath(__file__))
names = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6", "T7", "C3", "Cz", "C4", "T8",
         "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8", "PO3", "PO4", "O1", "Oz", "O2", "AF3", "AF4"]
bads = ["C3", "Pz", "F8", "Oz"]
n_times = 200
t = np.arange(n_times) / 100.0
info = mne.create_info(names, 100.0, "eeg")
data = np.array([np.sin(2 * np.pi * (3 + 0.5 * i) * t + 0.3 * i) * 1e-5 + 1e-6 * np.cos(0.1 * i * np.arange(n_times)) for i in range(len(names))])
raw = mne.io.RawArray(data.copy(), info, verbose=False)
raw.set_montage(mne.channels.make_standard_montage("standard_1005"), verbose=False)
origin = _check_origin("auto", raw.info)
pos = np.array([raw.info["chs"][i]["loc"][:3] for i in range(len(names))])
good = [i for i, n in enumerate(names) if n not in bads]
bad = [names.index(b) for b in bads]
mat = _make_interpolation_matrix(pos[good] - origin, pos[bad] - origin)
mat_no_origin = _make_interpolation_matrix(pos[good], pos[bad])
raw.info["bads"] = list(bads)
raw.interpolate_bads(reset_bads=True, origin="auto", verbose=False)
out = {
    "source": f"MNE-Python {mne.__version__}: _make_interpolation_matrix (stiffness 4, 50 Legendre terms, alpha 1e-5) and Raw.interpolate_bads(origin='auto')",
    "names": names, "bads": bads, "origin": origin.tolist(), "positions": pos.tolist(),
    "signal": "channel i: 1e-5·sin(2π(3 + 0.5 i) t + 0.3 i) + 1e-6·cos(0.1 i n), t = n / 100 s, n = 0…199",
    "matrix": mat.tolist(), "matrixNoOrigin": mat_no_origin.tolist(),
    "interpolated": raw.get_data(picks=bads).tolist(),
}
json.dump(out, open(os.path.join(here, "spline-reference.json"), "w"))
print("origin", origin, "matrix", mat.shape)
