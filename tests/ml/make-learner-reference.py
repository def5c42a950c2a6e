#!/usr/bin/env python3
"""Reference for src/lib/ml/learners.spec.ts, metrics.spec.ts, spoc.spec.ts, fbcsp.spec.ts and cca.spec.ts:
scikit-learn 1.2.1 (LogisticRegression, LinearDiscriminantAnalysis, GridSearchCV with unshuffled KFold,
sklearn.metrics), MNE 1.3 (decoding.SPoC, decoding.CSP) and statsmodels 0.13 (CanCorr) on the shared
reference's real CSP features and epochs (../shared/reference/eeg_csp_lda.*) and a formula-built 3-class
set. Run with Debian's python3 (apt-get install -y python3-sklearn python3-mne python3-statsmodels):
  /usr/bin/python3 tests/ml/make-learner-reference.py   → tests/ml/learner-reference.json
Logistic references use solver newton-cg (or liblinear for l1) run to tol 1e-8: the same objective as
lbfgs, converged, so the optimum is pinned to ~1e-10 instead of lbfgs's early stop.
"""
import json, os
import numpy as np
import sklearn, mne, statsmodels
from sklearn.linear_model import LogisticRegression
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import GridSearchCV, KFold
from sklearn import metrics
from mne.decoding import SPoC, CSP
from statsmodels.multivariate.cancorr import CanCorr

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("NEUROTAB_SHARED") or os.path.abspath(os.path.join(here, "../../../shared"))
ref = json.load(open(os.path.join(shared, "reference", "eeg_csp_lda.json")))
F = np.array(ref["csp"]["features"], dtype=np.float64)          # 45 x 4 real CSP log-variance features
y2 = np.array(ref["epochs"]["labels"])                            # 0/1 (T1/T2)
E = np.fromfile(os.path.join(shared, "reference", ref["epochs"]["X"]["file"]), dtype="<f8").reshape(ref["epochs"]["X"]["shape"])  # 45 x 64 x 161
# richer binary features: CSP features + log-variance of 6 channels (real data, 10 features)
lv = np.log(np.var(E[:, [8, 10, 12, 40, 42, 44], :], axis=2))
F10 = np.hstack([F, lv])

i = np.arange(60)
y3 = i % 3
Z = np.stack([np.sin(1.7 * i + 0.3), np.cos(2.3 * i + 1.1), np.sin(0.7 * i * i + 0.5)], axis=1)
X3 = np.array([[0, 0, 0], [1.5, 0.4, -0.8], [-0.7, 1.2, 0.9]])[y3] + Z @ np.array([[1.0, 0.3, 0.0], [0.0, 1.0, -0.4], [0.2, 0.0, 0.8]])
labels3 = np.array(["rest", "left", "right"])[y3]                # string labels: classes sort to left, rest, right

out = {"source": f"scikit-learn {sklearn.__version__}, MNE {mne.__version__}, statsmodels {statsmodels.__version__}, NumPy {np.__version__}",
       "inputs": {"binary": "eeg_csp_lda csp.features (45x4) + log var of epochs channels 8,10,12,40,42,44 → F10 (45x10), labels epochs.labels",
                  "three_class": {"X": X3.tolist(), "y": labels3.tolist()}, "F10": F10.tolist()}}


def lr_case(name, X, y, **kw):
    solver = "liblinear" if kw.get("penalty") == "l1" else "newton-cg"
    m = LogisticRegression(solver=solver, tol=1e-8 if solver != "liblinear" else 1e-8, max_iter=10000, **kw).fit(X, y)
    return {"name": name, "params": kw, "classes": m.classes_.tolist(), "coef": m.coef_.tolist(), "intercept": np.atleast_1d(m.intercept_).tolist(),
            "predict_proba": m.predict_proba(X).tolist(), "predict": m.predict(X).tolist()}


out["logistic"] = [
    lr_case("binary_l2_C1", F10, y2, C=1.0),
    lr_case("binary_l2_C0.1_balanced", F10[:40], y2[:40], C=0.1, class_weight="balanced"),
    lr_case("binary_l2_no_intercept", F10, y2, C=2.0, fit_intercept=False),
    lr_case("three_ovr_l2", X3, labels3, C=1.0, multi_class="ovr"),
    lr_case("three_multinomial_l2", X3, labels3, C=0.5, multi_class="multinomial"),
    lr_case("three_multinomial_weights", X3, labels3, C=1.0, multi_class="multinomial", class_weight={"left": 2.0, "rest": 1.0, "right": 0.5}),
    lr_case("binary_l1_C0.5", F10, y2, penalty="l1", C=0.5),
    lr_case("binary_l1_C0.05_scaling3", F10, y2, penalty="l1", C=0.05, intercept_scaling=3.0),
    lr_case("three_l1_ovr", X3, labels3, penalty="l1", C=0.3),
]

alphas = [0.1, 0.5, 1.0, 5, 10.0]
gs = GridSearchCV(LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=10000), {"C": [1 / a for a in alphas]}, cv=KFold(5, shuffle=False), scoring="accuracy").fit(F10, y2)
gsl = GridSearchCV(LogisticRegression(solver="newton-cg", tol=1e-8, max_iter=10000), {"C": [1 / a for a in alphas]}, cv=KFold(4, shuffle=False), scoring="neg_log_loss").fit(X3, labels3)
out["logistic_grid"] = [
    {"data": "F10", "alphas": alphas, "folds": 5, "metric": "accuracy", "mean_test_score": gs.cv_results_["mean_test_score"].tolist(), "best_C": gs.best_params_["C"], "predict_proba": gs.predict_proba(F10).tolist()},
    {"data": "three_class", "alphas": alphas, "folds": 4, "metric": "neg_log_loss", "mean_test_score": gsl.cv_results_["mean_test_score"].tolist(), "best_C": gsl.best_params_["C"], "predict_proba": gsl.predict_proba(X3).tolist()},
]


def lda_case(name, X, y, **kw):
    m = LinearDiscriminantAnalysis(**kw).fit(X, y)
    return {"name": name, "params": kw, "coef": m.coef_.tolist(), "intercept": m.intercept_.tolist(), "predict_proba": m.predict_proba(X).tolist(), "predict": m.predict(X).tolist()}


out["lda"] = [
    lda_case("binary_eigen_auto", F10, y2, solver="eigen", shrinkage="auto"),
    lda_case("binary_lsqr_0.2", F10, y2, solver="lsqr", shrinkage=0.2),
    lda_case("three_svd", X3, labels3, solver="svd"),
    lda_case("three_eigen_priors", X3, labels3, solver="eigen", shrinkage="auto", priors=[0.5, 0.3, 0.2]),
]
gl = GridSearchCV(LinearDiscriminantAnalysis(solver="lsqr"), {"shrinkage": [0.0, 0.1, 0.3, 0.6, 0.9]}, cv=KFold(5, shuffle=False), scoring="accuracy").fit(F10, y2)
out["lda_grid"] = {"shrinkages": [0.0, 0.1, 0.3, 0.6, 0.9], "folds": 5, "mean_test_score": gl.cv_results_["mean_test_score"].tolist(), "best": gl.best_params_["shrinkage"], "predict_proba": gl.predict_proba(F10).tolist()}

# ---------------- metrics ----------------
p2 = np.array(out["logistic"][0]["predict_proba"])
p3 = np.array(out["logistic"][4]["predict_proba"])
classes3 = out["logistic"][4]["classes"]
yt3 = np.array([classes3.index(v) for v in labels3])
pred3 = p3.argmax(1)
reg_true = F[:, 0]
reg_pred = F[:, 0] * 0.8 + F[:, 1] * 0.1 + 0.05
out["metrics"] = {
    "binary": {"truth": y2.tolist(), "proba": p2.tolist(), "accuracy": metrics.accuracy_score(y2, p2.argmax(1)), "balanced_accuracy": metrics.balanced_accuracy_score(y2, p2.argmax(1)),
               "roc_auc": metrics.roc_auc_score(y2, p2[:, 1]), "log_loss": metrics.log_loss(y2, p2), "f1": metrics.f1_score(y2, p2.argmax(1)),
               "precision": metrics.precision_score(y2, p2.argmax(1)), "recall": metrics.recall_score(y2, p2.argmax(1)), "brier": metrics.brier_score_loss(y2, p2[:, 1])},
    "three": {"truth": yt3.tolist(), "proba": p3.tolist(), "accuracy": metrics.accuracy_score(yt3, pred3), "balanced_accuracy": metrics.balanced_accuracy_score(yt3, pred3),
              "roc_auc_ovr_macro": metrics.roc_auc_score(yt3, p3, multi_class="ovr", average="macro"), "log_loss": metrics.log_loss(yt3, p3), "f1_macro": metrics.f1_score(yt3, pred3, average="macro")},
    "regression": {"truth": reg_true.tolist(), "predicted": reg_pred.tolist(), "mse": metrics.mean_squared_error(reg_true, reg_pred), "mae": metrics.mean_absolute_error(reg_true, reg_pred),
                   "r2": metrics.r2_score(reg_true, reg_pred), "rmse": float(np.sqrt(metrics.mean_squared_error(reg_true, reg_pred)))},
}

# ---------------- SPoC (MNE) on the reference epochs with a continuous target ----------------
target = np.log(np.var(E[:, 12, :], axis=1)) + 0.3 * np.sin(np.arange(45))
spoc_cases = []
for reg in (None, 0.001):
    s = SPoC(n_components=3, reg=reg, log=True).fit(E, target)
    spoc_cases.append({"reg": reg, "n_components": 3, "filters": s.filters_[:3].tolist(), "patterns": s.patterns_[:3].tolist(), "features": s.transform(E).tolist()})
out["spoc"] = {"target": target.tolist(), "cases": spoc_cases}

# ---------------- filter-bank CSP: FFT-masked bands, MNE CSP per band ----------------
def fft_bandpass(X, fs, lo, hi, nfft):
    n = X.shape[-1]
    Xf = np.fft.rfft(X, nfft, axis=-1)
    f = np.fft.rfftfreq(nfft, 1 / fs)
    Xf[..., (f < lo) | (f > hi)] = 0
    return np.fft.irfft(Xf, nfft, axis=-1)[..., :n]


bands = [[0.5, 3], [4, 7], [8, 12], [13, 30], [31, 42]]
nof = 2
fb = []
for lo, hi in bands:
    Xb = fft_bandpass(E, 160.0, lo, hi, 256)
    c = CSP(n_components=2 * nof, cov_est="epoch", component_order="alternate", log=True).fit(Xb, y2)
    fb.append({"band": [lo, hi], "filters": c.filters_[:2 * nof].tolist(), "features": c.transform(Xb).tolist(), "bandpassed_epoch0_ch0": Xb[0, 0].tolist()})
out["fbcsp"] = {"bands": bands, "nof": nof, "nfft": 256, "sampleRateHz": 160.0, "perBand": fb}

# ---------------- CCA: statsmodels CanCorr (and sklearn's iterative CCA correlations) ----------------
T = 320
n = np.arange(T)
Xc = np.stack([E[0, 10, :T // 2].repeat(2) + np.sin(0.3 * n), E[0, 20, :T // 2].repeat(2), np.cos(0.05 * n * n / T) + 0.2 * np.sin(1.1 * n), np.sin(2 * np.pi * 10 * n / 160 + 0.5) + 0.1 * np.cos(3.3 * n)], axis=1)
Yc = np.stack([np.sin(2 * np.pi * 10 * n / 160), np.cos(2 * np.pi * 10 * n / 160), np.sin(2 * np.pi * 20 * n / 160)], axis=1)
cc = CanCorr(Yc, Xc)   # endog Y, exog X
out["cca"] = {"X": Xc.tolist(), "Y": Yc.tolist(), "cancorr": cc.cancorr.tolist(),
              "x_cancoef_unit_norm": cc.x_cancoef.tolist(), "y_cancoef_unit_norm": cc.y_cancoef.tolist(),
              "note": "statsmodels normalises the canonical variates to unit norm; MATLAB canoncorr to unit variance (x sqrt(n-1))"}

json.dump(out, open(os.path.join(here, "learner-reference.json"), "w"))
print("wrote learner-reference.json; grid best C", gs.best_params_, gsl.best_params_, "lda best", gl.best_params_)
