#!/usr/bin/env python3
"""Reference for src/lib/engine/nodes/mean.spec.ts (NeuroPype's Mean with trim_proportion, robust and
ignore_nans): scipy.stats.trim_mean, numpy.median and numpy.nanmean along each axis of a formula-built
instance x space x time array (5 x 4 x 7), one NaN-bearing copy. Run with Debian's python3-scipy:
  /usr/bin/python3 tests/dsp/make-mean-reference.py   → tests/dsp/mean-reference.json
"""
import json, os
import numpy as np
import scipy
from scipy import stats

here = os.path.dirname(os.path.abspath(__file__))
i, s, t = np.meshgrid(np.arange(5), np.arange(4), np.arange(7), indexing="ij")
x = np.sin(1.3 * i + 0.7 * s * s + 0.37 * t) * (1 + i) + 0.1 * t
xn = x.copy()
xn[1, 2, 3] = np.nan
xn[4, 0, 6] = np.nan
out = {"source": f"SciPy {scipy.__version__}, NumPy {np.__version__}", "shape": [5, 4, 7],
       "x": "x[i, s, t] = sin(1.3 i + 0.7 s² + 0.37 t)·(1 + i) + 0.1 t; the NaN copy has x[1,2,3] = x[4,0,6] = NaN",
       "cases": []}
for axis, name in ((0, "instance"), (1, "space"), (2, "time")):
    for p in (0.2, 0.3):
        out["cases"].append({"axis": name, "trim_proportion": p, "result": stats.trim_mean(x, p, axis=axis).ravel().tolist()})
    out["cases"].append({"axis": name, "robust": True, "result": np.median(x, axis=axis).ravel().tolist()})
    out["cases"].append({"axis": name, "ignore_nans": True, "nan": True, "result": np.nanmean(xn, axis=axis).ravel().tolist()})
with open(os.path.join(here, "mean-reference.json"), "w") as f:
    json.dump(out, f)
print("wrote", len(out["cases"]), "cases")
