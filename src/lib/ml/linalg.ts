// Small dense linear-algebra helpers for the classic decoders: row-major Float64Array matrices,
// symmetric and generalised symmetric eigendecompositions (through ml-matrix's tred2/tql2).
// Runs anywhere (page, workers, Node). Fit-time code: allocates freely; not for per-sample loops.
//
// ml-matrix is used for the eigen/SVD work because it is a maintained, tested port of JAMA's
// decompositions; the generalised problem A w = λ B w is reduced to a standard one by whitening
// with B's own eigendecomposition, which also gives a natural place to drop B's null space.
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import { InputError } from '../core/errors';

/** A row-major dense matrix: element (i, j) is `data[i * cols + j]`. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function dense(rows: number, cols: number, data?: Float64Array): DenseMatrix {
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

export function toMl(m: DenseMatrix): Matrix {
  const out = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.set(i, j, m.data[i * m.cols + j]);
  return out;
}

export function fromMl(m: Matrix): DenseMatrix {
  const out = dense(m.rows, m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out.data[i * m.columns + j] = m.get(i, j);
  return out;
}

/** C = A · B. */
export function matMul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  if (a.cols !== b.rows) throw new Error(`matMul: ${a.rows}x${a.cols} · ${b.rows}x${b.cols}`);
  const out = dense(a.rows, b.cols);
  const { data: A } = a;
  const { data: B } = b;
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const oi = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = A[i * a.cols + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) out.data[oi + j] += aik * B[bk + j];
    }
  }
  return out;
}

export function transpose(a: DenseMatrix): DenseMatrix {
  const out = dense(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

/** (A + Aᵀ) / 2, so that rounding never makes a covariance look asymmetric. */
export function symmetrise(a: DenseMatrix): DenseMatrix {
  const n = a.rows;
  const out = dense(n, n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) out.data[i * n + j] = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
  return out;
}

export function trace(a: DenseMatrix): number {
  let t = 0;
  for (let i = 0; i < a.rows; i++) t += a.data[i * a.cols + i];
  return t;
}

export interface SymmetricEigen {
  /** Eigenvalues in ascending order (as LAPACK's / SciPy's eigh). */
  values: Float64Array;
  /** Eigenvectors as COLUMNS, n × n, in the order of `values`. */
  vectors: DenseMatrix;
}

/** Eigendecomposition of a symmetric matrix, eigenvalues ascending. */
export function eighSymmetric(a: DenseMatrix): SymmetricEigen {
  if (a.rows !== a.cols) throw new Error('eighSymmetric: matrix is not square');
  const evd = new EigenvalueDecomposition(toMl(symmetrise(a)), { assumeSymmetric: true });
  const n = a.rows;
  const vals = evd.realEigenvalues;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => vals[x] - vals[y]);
  const V = evd.eigenvectorMatrix;
  const values = new Float64Array(n);
  const vectors = dense(n, n);
  order.forEach((src, dst) => {
    values[dst] = vals[src];
    for (let i = 0; i < n; i++) vectors.data[i * n + dst] = V.get(i, src);
  });
  return { values, vectors };
}

export interface GeneralisedEigen {
  /** Eigenvalues λ of A w = λ B w, ascending. */
  values: Float64Array;
  /** Eigenvectors as COLUMNS (n × r), B-orthonormal: Wᵀ B W = I. */
  vectors: DenseMatrix;
  /** Dimension of the subspace the problem was solved in (B's numerical rank, or the rank asked for). */
  rank: number;
}

/**
 * Symmetric-definite generalised eigenproblem A w = λ B w (SciPy's `eigh(A, B)`).
 * B is whitened by its own eigendecomposition, P = U_r D_r^{-1/2}; then eig(Pᵀ A P) = V Λ Vᵀ and
 * W = P V, so Wᵀ B W = I as in LAPACK's sygvd. When B is rank-deficient (average-referenced EEG)
 * only its `rank` leading eigenvectors are kept: the problem is solved in B's range, which is
 * what "project to the data rank" means; `rank` defaults to the eigenvalues above
 * `relativeTolerance · max eigenvalue`.
 */
export function eighGeneralised(
  a: DenseMatrix,
  b: DenseMatrix,
  options: { rank?: number; relativeTolerance?: number } = {},
): GeneralisedEigen {
  const n = a.rows;
  const { values: d, vectors: U } = eighSymmetric(b);
  const dMax = d[n - 1];
  if (!(dMax > 0)) throw new InputError('the covariance is zero or not positive: the data are flat or empty', 'covariance');
  const tol = (options.relativeTolerance ?? 1e-10) * dMax;
  let rank = 0;
  for (let i = 0; i < n; i++) if (d[i] > tol) rank++;
  if (options.rank !== undefined) {
    if (options.rank > rank) {
      throw new InputError(
        `rank ${options.rank} asked for, but the data only have rank ${rank}; use rank "auto" or at most ${rank}`,
        'covariance',
      );
    }
    rank = options.rank;
  }
  // P: n × rank, columns = leading eigenvectors scaled by d^{-1/2}.
  const P = dense(n, rank);
  for (let k = 0; k < rank; k++) {
    const src = n - 1 - k;
    const s = 1 / Math.sqrt(d[src]);
    for (let i = 0; i < n; i++) P.data[i * rank + k] = U.data[i * n + src] * s;
  }
  const M = matMul(transpose(P), matMul(a, P));
  const inner = eighSymmetric(M);
  const W = matMul(P, inner.vectors);
  return { values: inner.values, vectors: W, rank };
}

/** Thin SVD through ml-matrix: A = U diag(s) Vᵀ, singular values descending. */
export function svd(a: DenseMatrix): { u: DenseMatrix; s: Float64Array; v: DenseMatrix } {
  const r = new SingularValueDecomposition(toMl(a), { autoTranspose: true });
  return { u: fromMl(r.leftSingularVectors), s: Float64Array.from(r.diagonal), v: fromMl(r.rightSingularVectors) };
}

/**
 * Solves the symmetric system A X = B (B: n × m): Cholesky when A is positive definite (fast), else
 * through the eigendecomposition with A's null space dropped (the least-squares minimum-norm answer).
 */
export function solveSymmetric(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const chol = new CholeskyDecomposition(toMl(symmetrise(a)));
  if (chol.isPositiveDefinite()) {
    const x = fromMl(chol.solve(toMl(b)));
    let ok = true;
    for (const v of x.data) if (!Number.isFinite(v)) ok = false;
    // Reject a numerically meaningless factorisation (pivot tiny relative to the diagonal).
    const L = chol.lowerTriangularMatrix;
    let minPivot = Infinity;
    let maxDiag = 0;
    for (let i = 0; i < a.rows; i++) {
      minPivot = Math.min(minPivot, L.get(i, i) ** 2);
      maxDiag = Math.max(maxDiag, Math.abs(a.data[i * a.cols + i]));
    }
    if (ok && minPivot > maxDiag * 1e-12) return x;
  }
  return solveSymmetricEigen(a, b);
}

/** A X = B through A's eigendecomposition, eigenvalues below n·eps·max|λ| treated as zero. */
export function solveSymmetricEigen(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const n = a.rows;
  const { values, vectors } = eighSymmetric(a);
  const tol = Math.max(Math.abs(values[0]), Math.abs(values[n - 1])) * n * 2.220446049250313e-16;
  // X = U diag(1/λ) Uᵀ B
  const ut = transpose(vectors);
  const utb = matMul(ut, b);
  for (let i = 0; i < n; i++) {
    const inv = Math.abs(values[i]) > tol ? 1 / values[i] : 0;
    for (let j = 0; j < b.cols; j++) utb.data[i * b.cols + j] *= inv;
  }
  return matMul(vectors, utb);
}

/** Nested number arrays for JSON state (rows of a row-major matrix). */
export function toRows(m: DenseMatrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function fromRows(rows: number[][], where: string): DenseMatrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const out = dense(r, c);
  rows.forEach((row, i) => {
    if (row.length !== c) throw new InputError(`row ${i} has ${row.length} values, expected ${c}`, where);
    for (let j = 0; j < c; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`row ${i} column ${j} is not a finite number`, where);
      out.data[i * c + j] = v;
    }
  });
  return out;
}
