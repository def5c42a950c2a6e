#!/usr/bin/python3
"""Peer outputs for the fNIRS library where shared/reference has none (run with Debian's python3:
apt-get install -y python3-scipy python3-mne; `/usr/bin/python3 tests/fnirs/make-fnirs-peers.py`).

Writes tests/fnirs/peers.json (+ small little-endian float64 files tests/fnirs/peers.*.f64, C order)
deterministically (numpy default_rng(16)). Sources of each formula are named per section; MNE-NIRS is
not packaged for Debian, so its formulas are re-implemented in NumPy from its documented source.
"""
import json
import os
import sys

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get('NEUROTAB_SHARED', os.path.join(HERE, '..', '..', '..', 'shared'))
out = {'generator': 'tests/fnirs/make-fnirs-peers.py', 'versions': {}}
files = {}


def put(name, arr):
    """Store an array as peers.<name>.f64 and return its manifest entry."""
    arr = np.ascontiguousarray(np.asarray(arr, dtype='<f8'))
    fname = f'peers.{name}.f64'
    files[fname] = arr
    return {'file': fname, 'shape': list(arr.shape)}


# ---- Student t two-sided p (scipy.stats.t.sf / logsf), incl. where p underflows -----------------
ts, dofs = [], []
for dof in [1, 2, 3, 5, 10, 29.5, 100, 1000, 7990, 36000, 1e6]:
    for t in [0, 1e-8, 0.01, 0.5, 1, 1.96, 2.5, 4, 7, 12, 20, 40, 80, 200]:
        ts.append(float(t))
        dofs.append(float(dof))
ts_a, dofs_a = np.array(ts), np.array(dofs)
p = 2 * stats.t.sf(ts_a, dofs_a)
with np.errstate(divide='ignore'):
    log10_scipy = (np.log(2) + stats.t.logsf(ts_a, dofs_a)) / np.log(10)
# SciPy's logsf underflows to -inf in the far tail; there mpmath's regularised incomplete beta at 60
# digits gives the value (and checks SciPy elsewhere: scipy_vs_mpmath_max_rel_err).
import mpmath  # noqa: E402
mpmath.mp.dps = 60


def log10_two_sided_mp(t, d):
    """log10 I_x(dof/2, 1/2), x = dof/(dof+t^2), by mpmath at 60 digits; None where it does not converge."""
    if t == 0:
        return 0.0
    nu = mpmath.mpf(d)
    try:
        return float(mpmath.log10(mpmath.betainc(nu / 2, mpmath.mpf(1) / 2, 0, nu / (nu + mpmath.mpf(t) ** 2), regularized=True)))
    except (ValueError, mpmath.libmp.libhyper.NoConvergence):
        return None


log10_mp = [log10_two_sided_mp(t, d) for t, d in zip(ts, dofs)]
keep = [m is not None for m in log10_mp]
ts, dofs = [t for t, k in zip(ts, keep) if k], [d for d, k in zip(dofs, keep) if k]
p, log10_scipy, log10_mp = p[keep], log10_scipy[keep], np.array([m for m in log10_mp if m is not None])
finite = np.isfinite(log10_scipy)
agree = np.max(np.abs(log10_scipy[finite] - log10_mp[finite]) / np.maximum(1, np.abs(log10_scipy[finite])))
out['student_t'] = {
    'call': 'p = 2 * scipy.stats.t.sf(t, dof); log10_p = (ln 2 + scipy.stats.t.logsf(t, dof)) / ln 10 where finite, else log10 of mpmath.betainc(dof/2, 1/2, 0, dof/(dof+t^2), regularized=True) at 60 digits (grid points where mpmath does not converge are left out)',
    't': ts, 'dof': dofs, 'p': p.tolist(),
    'log10_p': [float(a) if np.isfinite(a) else b for a, b in zip(log10_scipy, log10_mp)],
    'log10_p_from_mpmath': [bool(not f) for f in finite],
    'scipy_vs_mpmath_max_rel_err': float(agree),
}

import scipy  # noqa: E402
out['versions'] = {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__, 'mpmath': mpmath.__version__}

with open(os.path.join(HERE, 'peers.json'), 'w') as fh:
    json.dump(out, fh, indent=1)
for fname, arr in files.items():
    arr.tofile(os.path.join(HERE, fname))
print('wrote peers.json and', len(files), 'arrays')
