"""The set-cover integer program behind compact descriptions, solved by HiGHS.

One function builds the program from arrays, names its solver, bounds its time, checks
the status and raises :class:`~aad.errors.DescriptionError` instead of returning nothing.

References
----------
Das, Islam, Doppa, Fern, "Active Anomaly Detection via Ensembles: Insights, Algorithms,
and Interpretability", arXiv:1901.08930 (compact descriptions as a set cover).
"""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
from scipy import sparse

from .errors import DescriptionError

__all__ = ["greedy_cover", "run_cover", "solve_cover"]

#: Statuses with a usable cover: HiGHS reports ``user_limit`` when the time limit stopped it
#: with a feasible incumbent.
_ACCEPTED = ("optimal", "optimal_inaccurate", "user_limit")


def solve_cover(membership, costs: np.ndarray, *, time_limit: float = 1.0) -> np.ndarray:
    """The cheapest set of regions covering every item: a set-cover integer program.

    Minimises ``costs @ z`` over binary ``z`` subject to ``membership @ z >= 1``, with
    HiGHS (shipped with cvxpy) under a time limit; a feasible cover found when the limit
    stops the solver is accepted, unless the greedy cover (:func:`greedy_cover`) costs less
    or the solver had found none.

    Parameters
    ----------
    membership : array-like or sparse matrix of bool, shape (n_items, n_regions)
        ``membership[i, j]``: region ``j`` contains item ``i``.
    costs : ndarray of shape (n_regions,)
        Non-negative cost of choosing each region.
    time_limit : float, default=1.0
        Seconds the solver may run.

    Returns
    -------
    ndarray of int
        The chosen regions, sorted.

    Raises
    ------
    DescriptionError
        When an item is in no region (no cover exists), or the solver fails.

    Examples
    --------
    Three regions, two items; region 2 covers both and costs less than regions 0 and 1:

    >>> solve_cover(np.array([[1, 0, 1], [0, 1, 1]], bool), np.array([1.0, 1.0, 1.5])).tolist()
    [2]
    """
    return run_cover(membership, costs, time_limit=time_limit)[0]


def run_cover(membership, costs: np.ndarray, *, time_limit: float = 1.0) -> tuple[np.ndarray, str]:
    """:func:`solve_cover`, also returning the status (``"optimal"``, ``"user_limit"``, ``"greedy"``...)."""
    M = sparse.csr_matrix(membership, dtype=np.float64)
    costs = np.asarray(costs, dtype=np.float64)
    if M.shape[0] == 0:
        return np.empty(0, dtype=np.int64), "empty"
    if M.shape[1] != costs.shape[0]:
        raise DescriptionError(
            f"membership has {M.shape[1]} regions but costs has {costs.shape[0]}; give one cost per region"
        )
    orphans = np.flatnonzero(np.diff(M.indptr) == 0)
    if len(orphans):
        raise DescriptionError(
            f"item(s) {orphans[:10].tolist()} are in no candidate region, so no set of regions covers "
            "every item; add candidate regions that contain them"
        )
    z = cp.Variable(M.shape[1], boolean=True)
    problem = cp.Problem(cp.Minimize(costs @ z), [M @ z >= 1])
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
            # output_flag off: no log; a banner printed before options apply (HiGHS 1.16 prints
            # one) is kept off the command line's stdout by app.cli, which points fd 1 at stderr
            problem.solve(solver=cp.HIGHS, time_limit=float(time_limit), output_flag=False)
    except cp.SolverError as err:
        raise DescriptionError(f"the set-cover program failed in HiGHS: {err}") from err
    chosen = np.flatnonzero(z.value > 0.5).astype(np.int64) if z.value is not None else None
    if problem.status == "user_limit":  # stopped early: its cover, if any, or the greedy one if cheaper
        greedy = greedy_cover(M, costs)
        if chosen is None or not _covers(M, chosen) or costs[greedy].sum() < costs[chosen].sum():
            return greedy, "greedy"
    if problem.status not in _ACCEPTED or chosen is None:
        raise DescriptionError(
            f"the set-cover program was not solved (solver status: {problem.status}); "
            "raise time_limit or describe fewer rows"
        )
    return chosen, str(problem.status)


def _covers(M: sparse.csr_matrix, chosen: np.ndarray) -> bool:
    return bool((M[:, chosen].sum(axis=1).A1 >= 1).all())


def greedy_cover(membership, costs: np.ndarray) -> np.ndarray:
    """A cover by the classic greedy rule: the region of least cost per newly covered item.

    Within a factor ``ln(n_items) + 1`` of the cheapest cover; used when the time limit
    stops HiGHS before it has found any cover. Every item must be in some region.

    Examples
    --------
    >>> greedy_cover(np.array([[1, 0, 1], [0, 1, 1]], bool), np.array([1.0, 1.0, 1.5])).tolist()
    [2]
    """
    M = sparse.csc_matrix(membership, dtype=np.float64)
    costs = np.asarray(costs, dtype=np.float64)
    open_items = np.ones(M.shape[0], dtype=bool)
    chosen = []
    while open_items.any():
        gain = M.T @ open_items.astype(np.float64)
        per_item = np.divide(costs, gain, out=np.full(len(costs), np.inf), where=gain > 0)
        best = int(np.argmin(per_item))
        if not np.isfinite(per_item[best]):
            raise DescriptionError(
                "an item is in no candidate region, so no set of regions covers every item"
            )
        chosen.append(best)
        open_items[M.indices[M.indptr[best] : M.indptr[best + 1]]] = False
    return np.sort(np.asarray(chosen, dtype=np.int64))
