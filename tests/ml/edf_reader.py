"""Minimal EDF reader for the reference generators in tests/ml (physical values as the app's reader gives them)."""
import numpy as np


def read_edf(path):
    """Minimal EDF reader: physical = digital·gain + offset in float64, stored as float32 (as the app's reader)."""
    b = open(path, "rb").read()
    ns = int(b[252:256].decode())
    nrec = int(b[236:244].decode())
    hb = int(b[184:192].decode())
    f = lambda off, w: [b[256 + off * ns + i * w: 256 + off * ns + (i + 1) * w].decode().strip() for i in range(ns)]
    labels = f(0, 16)
    pmin = np.array([float(v) for v in [b[256 + 104 * ns + i * 8: 256 + 104 * ns + (i + 1) * 8].decode() for i in range(ns)]])
    pmax = np.array([float(v) for v in [b[256 + 112 * ns + i * 8: 256 + 112 * ns + (i + 1) * 8].decode() for i in range(ns)]])
    dmin = np.array([float(v) for v in [b[256 + 120 * ns + i * 8: 256 + 120 * ns + (i + 1) * 8].decode() for i in range(ns)]])
    dmax = np.array([float(v) for v in [b[256 + 128 * ns + i * 8: 256 + 128 * ns + (i + 1) * 8].decode() for i in range(ns)]])
    spr = np.array([int(b[256 + 216 * ns + i * 8: 256 + 216 * ns + (i + 1) * 8].decode()) for i in range(ns)])
    dur = float(b[244:252].decode())
    raw = np.frombuffer(b[hb:], dtype="<i2")[: nrec * spr.sum()].reshape(nrec, spr.sum())
    gain = (pmax - pmin) / (dmax - dmin)
    offset = pmin - dmin * gain
    sig = [i for i in range(ns) if spr[i] == spr[0]]
    starts = np.concatenate([[0], np.cumsum(spr)])
    data = np.stack([(raw[:, starts[i]:starts[i] + spr[i]].reshape(-1) * gain[i] + offset[i]).astype(np.float32) for i in sig])
    return [labels[i] for i in sig], data.astype(np.float64), spr[0] / dur
