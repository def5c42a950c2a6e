// Smooth unconstrained minimisation by limited-memory BFGS (Nocedal & Wright, alg. 7.4/7.5) with an
// Armijo backtracking line search, for the learners' convex objectives (multinomial logistic
// regression and large-feature problems where Newton's d² Hessian is too big). Runs anywhere; fit-time
// code, allocates its history once per call.

export interface LbfgsOptions {
  /** Stop when max |∇f| ≤ this (default 1e-9), or when a step moves no weight by more than 1e-13 relative. */
  gradientTolerance?: number;
  /** Stop after this many iterations (default 1000). */
  maxIterations?: number;
  /** Correction pairs kept (default 10). */
  memory?: number;
}

/** Minimise f; `fg(w, grad)` returns f(w) and writes ∇f(w) into `grad`. */
export function lbfgs(fg: (w: Float64Array, grad: Float64Array) => number, w0: Float64Array, options: LbfgsOptions = {}): { w: Float64Array; iterations: number; converged: boolean } {
  const n = w0.length;
  const gtol = options.gradientTolerance ?? 1e-9;
  const maxIt = options.maxIterations ?? 1000;
  const m = options.memory ?? 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  let w = Float64Array.from(w0);
  let g = new Float64Array(n);
  let f = fg(w, g);
  const d = new Float64Array(n);
  const alpha = new Float64Array(m);
  const maxAbs = (v: Float64Array) => v.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
  for (let it = 1; it <= maxIt; it++) {
    if (maxAbs(g) <= gtol) return { w, iterations: it - 1, converged: true };
    // two-loop recursion: d = −H g
    d.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      let s = 0;
      for (let i = 0; i < n; i++) s += S[k][i] * d[i];
      alpha[k] = rho[k] * s;
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * Y[k][i];
    }
    if (S.length > 0) {
      const k = S.length - 1;
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        sy += S[k][i] * Y[k][i];
        yy += Y[k][i] * Y[k][i];
      }
      const gamma = sy / yy;
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const scale = 1 / Math.max(1, Math.sqrt(g.reduce((a, x) => a + x * x, 0)));
      for (let i = 0; i < n; i++) d[i] *= scale;
    }
    for (let k = 0; k < S.length; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Y[k][i] * d[i];
      const beta = rho[k] * s;
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * S[k][i];
    }
    for (let i = 0; i < n; i++) d[i] = -d[i];
    let slope = 0;
    for (let i = 0; i < n; i++) slope += g[i] * d[i];
    if (!(slope < 0)) {
      // not a descent direction (rounding): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -g.reduce((a, x) => a + x * x, 0);
    }
    let t = 1;
    const wNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < n; i++) wNew[i] = w[i] + t * d[i];
      fNew = fg(wNew, gNew);
      if (fNew <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) return { w, iterations: it, converged: maxAbs(g) <= gtol * 1e3 };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    let sy = 0;
    let stepMax = 0;
    let wMax = 0;
    for (let i = 0; i < n; i++) {
      s[i] = wNew[i] - w[i];
      y[i] = gNew[i] - g[i];
      sy += s[i] * y[i];
      stepMax = Math.max(stepMax, Math.abs(s[i]));
      wMax = Math.max(wMax, Math.abs(wNew[i]));
    }
    // Rounding-limited: the iterate no longer moves (the gradient tolerance may be out of reach).
    if (stepMax <= 1e-13 * Math.max(1, wMax)) return { w: wNew, iterations: it, converged: true };
    if (sy > 1e-16 * Math.sqrt(s.reduce((a, x) => a + x * x, 0) * y.reduce((a, x) => a + x * x, 0))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    w = wNew;
    g = gNew;
    f = fNew;
  }
  return { w, iterations: maxIt, converged: maxAbs(g) <= gtol };
}
