"""The reference AAD hinge loss, solved exactly, and the optimisers compared on it.

For the labelled anomalies ``A`` and nominals ``N``, with ``q`` the (1 - tau) quantile of
the current scores and ``x_tau`` the row ranked ``round(tau * n)``, the reference loss is

    J(v) = mean_A[(q - s(a))+ + (s(x_tau) - s(a))+] + mean_N[(s(n) - q)+ + (s(n) - s(x_tau))+]
           + 1/2 sum_l p_l (v_l - v0_l)^2,

with the prior precision ``p_l = 1 / (eta |L| T b_l)`` of :mod:`aad.weights`. It is a
quadratic program with one dual variable per hinge term (``<= 4 |L|``): this module
builds it from arrays, solves the dual with Clarabel (an interior-point solver that ships
with cvxpy) to machine precision in milliseconds, and also offers the reference's RMSProp
and a quasi-Newton method on the primal, for the benchmark that compares them
(``benchmarks/bench_optimisers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import clarabel
import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from .errors import AADError
from .labels import ANOMALY, NOMINAL, UNLABELLED

__all__ = ["HingeProblem", "build_problem", "objective", "solve", "solve_leaf_values"]


@dataclass(frozen=True, eq=False)
class HingeProblem:
    """``min_v sum_j C_j (a_j - U_j v)+ + 1/2 sum_l p_l (v_l - v0_l)^2`` over the support leaves.

    Attributes
    ----------
    support : ndarray of int, shape (n_support,)
        Global leaf numbers the labelled rows and ``x_tau`` fall in.
    U : sparse matrix of shape (n_terms, n_support)
        Direction of each hinge term (entries are multiples of ``1 / T``).
    a, C : ndarray of shape (n_terms,)
        Target and weight of each hinge term.
    precision, v0 : ndarray of shape (n_support,)
        Prior precision and prior mean (``-path_length``) of each support leaf.
    """

    support: np.ndarray
    U: sparse.csr_matrix
    a: np.ndarray
    C: np.ndarray
    precision: np.ndarray
    v0: np.ndarray


def build_problem(model, scores: np.ndarray) -> HingeProblem | None:
    """The hinge problem for a fitted :class:`~aad.model.AADForest` and its current scores.

    Returns None when there are no labels.
    """
    labels = model.labels_
    rows_a = np.flatnonzero(labels == ANOMALY)
    rows_n = np.flatnonzero(labels == NOMINAL)
    if len(rows_a) + len(rows_n) == 0:
        return None
    n, T = len(scores), model.n_estimators_
    q = float(np.quantile(scores, 1.0 - model.tau))
    k = min(n - 1, round(model.tau * n))
    x_tau = int(np.argpartition(-scores, k)[k])
    forest = model.forest_
    leaves = (forest.leaf_offset[:-1, None] + model.leaf_index_.astype(np.int64)).T  # (n, T)
    info = forest.information
    support = np.unique(leaves[np.r_[rows_a, rows_n, x_tau]])
    support = support[info[support] > 0]
    position = np.full(forest.n_leaves, -1)
    position[support] = np.arange(len(support))

    def direction(rows: np.ndarray) -> sparse.csr_matrix:
        cols = position[leaves[rows]]
        keep = cols >= 0
        r = np.repeat(np.arange(len(rows)), T).reshape(len(rows), T)
        return sparse.csr_matrix(
            (np.full(keep.sum(), 1.0 / T), (r[keep], cols[keep])), shape=(len(rows), len(support))
        )

    phi_a, phi_n, phi_t = direction(rows_a), direction(rows_n), direction(np.array([x_tau]))
    tile = lambda m: sparse.vstack([phi_t] * m) if m else phi_t[:0]  # noqa: E731
    U = sparse.vstack([phi_a, phi_a - tile(len(rows_a)), -phi_n, tile(len(rows_n)) - phi_n]).tocsr()
    fixed = _fixed_part(model, leaves, np.r_[rows_a, rows_a, rows_n, rows_n], info)
    fixed_tau = _fixed_part(model, leaves, np.array([x_tau] * (2 * len(rows_a) + 2 * len(rows_n))), info)
    sign = np.r_[np.ones(len(rows_a)), np.ones(len(rows_a)), -np.ones(len(rows_n)), -np.ones(len(rows_n))]
    uses_tau = np.r_[np.zeros(len(rows_a)), np.ones(len(rows_a)), np.zeros(len(rows_n)), np.ones(len(rows_n))]
    a = np.r_[np.full(len(rows_a), q), np.zeros(len(rows_a)), np.full(len(rows_n), -q), np.zeros(len(rows_n))]
    a = a - sign * (fixed - uses_tau * fixed_tau)  # leaves outside the support are constants
    C = np.r_[
        np.full(2 * len(rows_a), 1.0 / max(len(rows_a), 1)),
        np.full(2 * len(rows_n), 1.0 / max(len(rows_n), 1)),
    ]
    n_labels = len(rows_a) + len(rows_n)
    eta = max(model.eta, 1e-12)
    precision = 1.0 / (eta * n_labels * T * info[support])
    return HingeProblem(support, U, a, C, precision, -forest.path_length[support])


def _fixed_part(model, leaves, rows, info) -> np.ndarray:
    """Score contributed by leaves with no information (prior precision infinite)."""
    v0 = -model.forest_.path_length
    fixed = np.where(info[leaves[rows]] > 0, 0.0, v0[leaves[rows]])
    return fixed.sum(axis=1) / model.n_estimators_


def objective(problem: HingeProblem, v: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss and a subgradient at ``v`` (values of the support leaves)."""
    margin = problem.a - problem.U @ v
    active = margin > 0
    diff = v - problem.v0
    value = float(problem.C[active] @ margin[active] + 0.5 * problem.precision @ (diff * diff))
    grad = problem.precision * diff - problem.U.T @ (problem.C * active)
    return value, np.asarray(grad).ravel()


def solve(problem: HingeProblem, *, method: str = "dual") -> np.ndarray:
    """Minimise the hinge loss; ``method`` is ``"dual"`` (exact), ``"lbfgs"`` or ``"rmsprop"``."""
    if method == "dual":
        return _solve_dual(problem)
    if method == "lbfgs":
        res = minimize(lambda v: objective(problem, v), problem.v0.copy(), jac=True, method="L-BFGS-B")
        return res.x
    if method == "rmsprop":
        return _solve_rmsprop(problem)
    raise AADError(f"method must be 'dual', 'lbfgs' or 'rmsprop'; got {method!r}")


def _solve_dual(problem: HingeProblem) -> np.ndarray:
    inv_p = sparse.diags(1.0 / problem.precision)
    Q = (problem.U @ inv_p @ problem.U.T).toarray()
    b = problem.a - problem.U @ problem.v0
    J = len(b)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    A = sparse.vstack([sparse.identity(J), -sparse.identity(J)]).tocsc()
    solver = clarabel.DefaultSolver(
        sparse.csc_matrix(np.triu(Q)),
        -b,
        A,
        np.r_[problem.C, np.zeros(J)],
        [clarabel.NonnegativeConeT(2 * J)],
        settings,
    )
    result = solver.solve()
    if str(result.status) not in ("Solved", "AlmostSolved"):
        raise AADError(f"the hinge-loss dual could not be solved (Clarabel status {result.status})")
    alpha = np.clip(np.asarray(result.x), 0.0, problem.C)
    return problem.v0 + inv_p @ (problem.U.T @ alpha)


def _solve_rmsprop(problem: HingeProblem, *, lr: float = 1e-3, max_epochs: int = 1000) -> np.ndarray:
    """The reference optimiser: full-batch RMSProp from the prior, keeping the best iterate."""
    v = problem.v0.copy()
    avg = np.zeros_like(v)
    best, best_value, previous = v.copy(), np.inf, np.inf
    for _ in range(max_epochs):
        value, grad = objective(problem, v)
        if value < best_value:
            best, best_value = v.copy(), value
        if abs(previous - value) < 1e-6 * max(1.0, abs(value)):
            break
        previous = value
        avg = 0.9 * avg + 0.1 * grad * grad
        v = v - lr * grad / np.sqrt(avg + 1e-6)
    return best


def solve_leaf_values(model, scores: np.ndarray) -> np.ndarray:
    """Leaf values minimising the hinge loss for the model's labels (all leaves)."""
    values = -model.forest_.path_length.copy()
    if (model.labels_ != UNLABELLED).sum() == 0:
        return values
    problem = build_problem(model, scores)
    values[problem.support] = solve(problem)
    return values
