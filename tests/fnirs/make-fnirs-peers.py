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


# ---- Channel quality on the shared SNIRF recordings (OD from shared/reference/fnirs.json) ---------
# MNE-NIRS peak_power and scalp_coupling_index_windowed (mne_nirs/preprocessing/_peak_power.py and
# _scalp_coupling_segmented.py, re-implemented here: MNE-NIRS is not in Debian), with MNE 1.3's own
# filter_data for the band-pass; pairs by source-detector name (MNE-NIRS pairs picks[::2]).
import mne  # noqa: E402
from scipy.signal import periodogram, butter, sosfiltfilt  # noqa: E402
from scipy.interpolate import make_smoothing_spline  # noqa: E402

ref = json.load(open(os.path.join(SHARED, 'reference', 'fnirs.json')))


def ref_array(entry):
    return np.fromfile(os.path.join(SHARED, 'reference', entry['file']), dtype='<f8').reshape(entry['shape'])


def pairs_of(names):
    by = {}
    for i, n in enumerate(names):
        by.setdefault(n.split()[0], []).append(i)
    return [sorted(v, key=lambda i: float(names[i].split()[1])) for v in by.values()]


quality = []
for r in ref['recordings']:
    od = ref_array(r['optical_density']['data'])
    raw = ref_array(r['raw_intensity'])
    fs = r['sfreq']
    filt = mne.filter.filter_data(od, fs, 0.7, 1.5, l_trans_bandwidth=0.3, h_trans_bandwidth=0.3, verbose=False)
    ws = int(np.ceil(10 * fs))
    nw = int(np.floor(od.shape[1] / ws))
    psp = np.zeros((od.shape[0], nw))
    sciw = np.zeros((od.shape[0], nw))
    for w in range(nw):
        a = w * ws
        for i, j in pairs_of(r['ch_names']):
            c1 = filt[i, a:a + ws] / (np.std(filt[i, a:a + ws]) or 1)
            c2 = filt[j, a:a + ws] / (np.std(filt[j, a:a + ws]) or 1)
            c = np.correlate(c1, c2, 'full') / ws
            psp[i, w] = psp[j, w] = max(periodogram(c, fs=fs, window='hamming')[1])
            e = min(a + ws, od.shape[1] - 1)
            sciw[i, w] = sciw[j, w] = np.corrcoef(filt[i, a:e], filt[j, a:e])[0][1]
    cv = 100 * np.std(raw, axis=1, ddof=1) / np.mean(raw, axis=1)
    quality.append({'recording': r['recording'], 'window_samples': ws, 'windows': nw,
                    'psp': put(f'{r["recording"]}.psp', psp), 'sci_windowed': put(f'{r["recording"]}.sci_windowed', sciw),
                    'cv_percent': cv.tolist()})
out['quality'] = {
    'what': 'MNE-NIRS peak_power(od, time_window=10) and scalp_coupling_index_windowed(od, time_window=10) formulas with mne.filter.filter_data(od, fs, 0.7, 1.5, l/h_trans_bandwidth=0.3); CV % = 100 * std(raw, ddof=1) / mean(raw)',
    'layout': '[channel, window]',
    'recordings': quality,
}

# ---- A synthetic optical-density recording with motion (inputs stored) ---------------------------
rng = np.random.default_rng(16)
fs_m = 10.0
n_m = 1200
tm = np.arange(n_m) / fs_m
names_m = ['S1_D1 760', 'S1_D1 850', 'S2_D1 760', 'S2_D1 850']
base = 0.02 * np.sin(2 * np.pi * 0.1 * tm) + 0.005 * np.sin(2 * np.pi * 1.0 * tm)
od_m = np.vstack([base * (1 + 0.1 * k) + 0.002 * rng.standard_normal(n_m) for k in range(4)])
od_m[0:2, 300:] += 0.3           # baseline shift on pair S1_D1
od_m[0:2, 700:712] += np.linspace(0, 0.8, 12)[None, :]  # a spike on pair S1_D1
od_m[0:2, 712:] += 0.1
od_m[2:4, 1000:1015] += 0.5      # a block artefact on pair S2_D1


def homer_motion_by_channel(d, pairs, fs, tMotion=0.5, tMask=1.0, std_thresh=50.0, amp_thresh=5.0):
    """Homer3 hmrR_MotionArtifactByChannel (BUNPC/Homer3 FuncRegistry/UserFunctions), 0-based."""
    C, n = d.shape
    inc_ch = np.ones((C, n))
    inc = np.ones(n)
    buf = int(round(tMask * fs))
    for pair in pairs:
        bad = np.zeros(n - 1, bool)
        for c in pair:
            std_diff = np.std(np.diff(d[c]), ddof=1)
            max_diff = np.zeros(n - 1)
            for ii in range(1, int(round(tMotion * fs)) + 1):
                md = np.zeros(n - 1)
                md[:n - ii] = np.abs(d[c, ii:] - d[c, :n - ii])
                max_diff = np.maximum(md, max_diff)
            bad |= (max_diff > std_diff * std_thresh) | (max_diff > amp_thresh)
        rows = np.nonzero(bad)[0]
        if rows.size:
            rows = (rows[:, None] + np.arange(-buf, buf + 1)[None, :]).ravel()
            rows = rows[(rows >= 0) & (rows <= n - 2)]
            for c in pair:
                inc_ch[c, rows + 1] = 0
            inc[rows + 1] = 0
    return inc_ch, inc


def csaps_at_knots(t, y, p):
    """MATLAB csaps(t, y, p, t) = SciPy make_smoothing_spline(t, y, lam=(1-p)/p)(t)."""
    if len(y) <= 2:
        return y.copy()
    return make_smoothing_spline(t, y, lam=(1 - p) / p)(t)


def homer_spline(dod, inc_ch, fs, p):
    """Homer3 hmrR_MotionCorrectSpline, 1-based index lists as in the MATLAB source (mean of an empty window: no shift)."""
    C, n = dod.shape
    t = np.arange(n) / fs
    out = dod.copy()
    wind = lambda L: L if L < 0.3 * fs else (int(np.floor(0.3 * fs)) if L < 3 * fs else int(np.floor(L / 10)))  # noqa: E731

    def mean(arr, c, a, b):  # 1-based inclusive
        return None if b < a else float(np.mean(arr[c, a - 1:b]))

    def shift(c, a, b, m_from, m_to, basearr):
        delta = m_to - m_from if (m_from is not None and m_to is not None) else 0.0
        out[c, a - 1:b] = basearr[c, a - 1:b] + delta

    for c in range(C):
        inc = inc_ch[c]
        if np.all(inc == 1):
            continue
        dif = np.diff(inc)
        Ms = list(np.nonzero(dif == -1)[0] + 1)
        Mf = list(np.nonzero(dif == 1)[0] + 1)
        if not Mf:
            Mf = [n]
        if not Ms:
            Ms = [1]
        if Ms[0] > Mf[0]:
            Ms = [1] + Ms
        if Ms[-1] > Mf[-1]:
            Mf = Mf + [n]
        Ml = [f - s_ for s_, f in zip(Ms, Mf)]
        nb = len(Ml)
        for j in range(nb):
            a, b = Ms[j], Mf[j] - 1
            if b < a:
                continue
            seg = dod[c, a - 1:b]
            out[c, a - 1:b] = seg - csaps_at_knots(t[a - 1:b], seg, p)
        a, b = Ms[0], Mf[0] - 1
        wc = wind(Ml[0])
        if a > 1:
            wp = wind(a - 1)
            shift(c, a, b, mean(out, c, a, a + wc - 1), mean(out, c, a - wp, a - 1), out)
        else:
            nxt = Ms[1] - Mf[0] + 1 if nb > 1 else n - Mf[0] + 1
            wn = wind(nxt)
            shift(c, a, b, mean(out, c, b - wc, b - 1), mean(out, c, b + 1, b + wn), out)
        for k in range(nb - 1):
            a, b = Mf[k], Ms[k + 1] - 1
            prev_len, cur_len = Ml[k], b - a + 1
            shift(c, a, b, mean(dod, c, a, a + wind(cur_len) - 1), mean(out, c, a - wind(prev_len), a - 1), dod)
            a, b = Ms[k + 1], Mf[k + 1] - 1
            prev_len, cur_len = cur_len, Ml[k + 1]
            shift(c, a, b, mean(out, c, a, a + wind(cur_len) - 1), mean(out, c, a - wind(prev_len), a - 1), out)
        if Mf[-1] < n:
            a, b = Mf[-1] - 1, n
            shift(c, a, b, mean(dod, c, a, a + wind(b - a + 1) - 1), mean(out, c, a - wind(Ml[-1]), a - 1), dod)
    return out


pairs_m = pairs_of(names_m)
inc_ch, inc = homer_motion_by_channel(od_m, pairs_m, fs_m, 0.5, 1.0, 50.0, 0.2)
spline_od = homer_spline(od_m, inc_ch, fs_m, 0.99)
# csaps alone on uneven knots, several p
tk = np.cumsum(rng.uniform(0.05, 0.2, 200))
yk = np.sin(tk) + 0.1 * rng.standard_normal(200)
out['motion'] = {
    'what': 'Homer3 hmrR_MotionArtifactByChannel(tMotion=0.5, tMask=1, STDEVthresh=50, AMPthresh=0.2) and hmrR_MotionCorrectSpline(p=0.99) re-implemented in NumPy from the MATLAB source; csaps(t, y, p, t) = scipy make_smoothing_spline(t, y, lam=(1-p)/p)(t)',
    'sfreq': fs_m, 'ch_names': names_m, 'od': put('motion.od', od_m),
    'thresholds': {'tMotion': 0.5, 'tMask': 1.0, 'STDEVthresh': 50.0, 'AMPthresh': 0.2},
    'included_by_channel': put('motion.included_by_channel', inc_ch), 'included': inc.tolist(),
    'spline_p': 0.99, 'spline_corrected': put('motion.spline', spline_od),
    'smoothing_spline': {'t': tk.tolist(), 'y': yk.tolist(), 'cases': [
        {'p': pp, 'values': make_smoothing_spline(tk, yk, lam=(1 - pp) / pp)(tk).tolist()} for pp in [0.5, 0.99, 0.999999]]},
}

# ---- Short-separation regression (MNE-NIRS short_channel_regression formula) --------------------
# Probe: sources S1 (0, 0), S2 (0.06, 0); long detectors D1 (0.03, 0), D2 (0.09, 0) at 3 cm; short
# detectors D3 (0.008, 0) near S1 and D4 (0.068, 0) near S2 at 0.8 cm.
names_s = ['S1_D1 760', 'S1_D1 850', 'S2_D2 760', 'S2_D2 850', 'S1_D3 760', 'S1_D3 850', 'S2_D4 760', 'S2_D4 850']
src = {1: (0.0, 0.0, 0.0), 2: (0.06, 0.0, 0.0)}
det = {1: (0.03, 0.0, 0.0), 2: (0.09, 0.0, 0.0), 3: (0.008, 0.0, 0.0), 4: (0.068, 0.0, 0.0)}
sd = [(1, 1), (1, 1), (2, 2), (2, 2), (1, 3), (1, 3), (2, 4), (2, 4)]
dist = [float(np.linalg.norm(np.subtract(src[a], det[b]))) for a, b in sd]
mid = [list((np.add(src[a], det[b]) / 2).tolist()) for a, b in sd]
fs_s = 10.0
n_s = 1500
ts_ = np.arange(n_s) / fs_s
sys1 = 0.01 * np.sin(2 * np.pi * 0.1 * ts_ + 0.3) + 0.004 * np.sin(2 * np.pi * 0.27 * ts_)
sys2 = 0.008 * np.sin(2 * np.pi * 0.1 * ts_ + 1.1) + 0.005 * np.sin(2 * np.pi * 0.31 * ts_)
neuro = 0.003 * (np.sin(2 * np.pi * ts_ / 30) > 0.6)
x_s = np.zeros((8, n_s))
for c, (a, b) in enumerate(sd):
    sysx = sys1 if a == 1 else sys2
    gain = 1.0 + 0.2 * (c % 2)
    x_s[c] = gain * sysx * (1.3 if b in (1, 2) else 1.0) + (neuro if b in (1, 2) else 0) + 0.0005 * rng.standard_normal(n_s)
kinds = [n.split()[1] for n in names_s]
long_ = [c for c in range(8) if dist[c] > 0.015]
short_ = [c for c in range(8) if dist[c] < 0.015]


def regress(x, regs):
    y = x.copy()
    coef = np.zeros(8)
    for c in long_:
        s_ = np.mean(x[regs[c]], axis=0)
        coef[c] = np.dot(s_, x[c]) / np.dot(s_, s_)
        y[c] = x[c] - coef[c] * s_
    return y, coef


nearest = {c: [min((s_ for s_ in short_ if kinds[s_] == kinds[c]), key=lambda s_: np.linalg.norm(np.subtract(mid[s_], mid[c])))] for c in long_}
means = {c: [s_ for s_ in short_ if kinds[s_] == kinds[c]] for c in long_}
y_near, a_near = regress(x_s, nearest)
y_mean, a_mean = regress(x_s, means)


def running(x, regs, tau):
    lam = np.exp(-1 / (tau * fs_s)) if np.isfinite(tau) else 1.0
    y = x.copy()
    coef = np.zeros(8)
    for c in long_:
        s_ = np.mean(x[regs[c]], axis=0)
        sl = ss = 0.0
        for t in range(n_s):
            sl = lam * sl + s_[t] * x[c, t]
            ss = lam * ss + s_[t] * s_[t]
            y[c, t] = x[c, t] - (sl / ss) * s_[t]
        coef[c] = sl / ss
    return y, coef


y_run30, a_run30 = running(x_s, nearest, 30.0)
y_runinf, a_runinf = running(x_s, nearest, np.inf)
out['short_channel'] = {
    'what': 'MNE-NIRS short_channel_regression (mne_nirs/signal_enhancement/_short_channel_correction.py): alfa = s.l / s.s, y = l - alfa s, long = distance > 0.015 m, short < 0.015 m; regressor = nearest short channel of the same wavelength by midpoint (or the mean of those); running = exponentially weighted sums with lambda = exp(-1/(tau fs))',
    'sfreq': fs_s, 'ch_names': names_s, 'distances_m': dist, 'midpoints_m': mid,
    'x': put('ssr.x', x_s),
    'nearest': {'regressors': {str(c): v for c, v in nearest.items()}, 'coefficients': a_near.tolist(), 'y': put('ssr.nearest', y_near)},
    'mean': {'coefficients': a_mean.tolist(), 'y': put('ssr.mean', y_mean)},
    'running_tau30': {'tau_s': 30.0, 'final_coefficients': a_run30.tolist(), 'y': put('ssr.running30', y_run30)},
    'running_tau_inf': {'final_coefficients': a_runinf.tolist()},
}

# ---- Filters: MNE FIR band-pass, Butterworth filtfilt, moving-average detrend (shrinking window) --
xf = x_s[:2] + 0.002 * ts_[None, :]
fir = mne.filter.filter_data(xf, fs_s, 0.05, 0.5, verbose=False)
iir = sosfiltfilt(butter(3, [0.05, 0.5], 'bandpass', fs=fs_s, output='sos'), xf, axis=-1)
h = int(round(100 * fs_s / 2))
mad = np.empty_like(xf)
for t in range(n_s):
    lo, hi = max(0, t - h), min(n_s - 1, t + h)
    mad[:, t] = xf[:, t] - xf[:, lo:hi + 1].mean(axis=1)
out['filters'] = {
    'what': "mne.filter.filter_data(x, 10, 0.05, 0.5) (MNE 1.3 default FIR); scipy sosfiltfilt(butter(3, [0.05, 0.5], 'bandpass', fs=10, output='sos'), x); x - mean(x[t-500 .. t+500] clipped to the record) (100 s centred moving average, shrinking at the edges)",
    'sfreq': fs_s, 'x': put('filters.x', xf), 'fir': put('filters.fir', fir), 'butterworth': put('filters.butterworth', iir), 'moving_average_100s': put('filters.moving_average', mad),
}


# ---- Beer-Lambert with three wavelengths (pinv of the 3 x 2 matrix), per-wavelength ppf ----------
# MNE 1.3 handles two wavelengths only; the formula is its pinv one (beer_lambert_law), extinction from
# MNE's extinction_coef.mat with scipy interp1d as MNE does, at wavelengths off the 2 nm grid.
import scipy.io  # noqa: E402
from scipy.interpolate import interp1d  # noqa: E402
ext = scipy.io.loadmat(os.path.join(os.path.dirname(mne.__file__), 'data', 'extinction_coef.mat'))['extinct_coef']
hbo_i, hbr_i = interp1d(ext[:, 0], ext[:, 1]), interp1d(ext[:, 0], ext[:, 2])
wl3 = [691.0, 761.5, 853.0]
ppf3 = {691.0: 6.5, 761.5: 6.0, 853.0: 5.5}
d3 = 0.031
od3 = 0.01 * rng.standard_normal((3, 50))
E3 = np.array([[float(hbo_i(w)), float(hbr_i(w))] for w in wl3]) * 0.2303 * d3 * np.array([ppf3[w] for w in wl3])[:, None]
hb3 = np.linalg.pinv(E3) @ od3 * 1e-3
out['beer_lambert_3wl'] = {
    'what': 'pinv(extinction(MNE extinction_coef.mat, interp1d) * 0.2303 * d * ppf_per_wavelength) @ OD * 1e-3; rows [HbO, HbR]',
    'ch_names': [f'S1_D1 {w:g}' for w in wl3], 'distance_m': d3, 'ppf': {f'{w:g}': v for w, v in ppf3.items()},
    'od': od3.tolist(), 'hb': hb3.tolist(),
    'extinction': {f'{w:g}': [float(hbo_i(w)), float(hbr_i(w))] for w in wl3},
}

import scipy  # noqa: E402
out['versions'] = {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__, 'mpmath': mpmath.__version__, 'mne': mne.__version__}

with open(os.path.join(HERE, 'peers.json'), 'w') as fh:
    json.dump(out, fh, indent=1)
for fname, arr in files.items():
    arr.tofile(os.path.join(HERE, fname))
print('wrote peers.json and', len(files), 'arrays')
