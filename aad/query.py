"""Query strategies: which unlabelled rows to show the analyst next.

Every strategy has one signature, ``strategy(context, k, rng) -> rows``, and is
registered by name; :func:`select_queries` looks it up. A strategy returns ``k`` distinct
unlabelled row numbers (fewer only when fewer rows are unlabelled), and the same
``rng`` seed gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import AADError, UnknownStrategyError
from .forest import in_row_blocks

__all__ = [
    "QueryContext",
    "register_strategy",
    "select_queries",
    "strategy_names",
    "top_unlabelled",
]


@dataclass(frozen=True, eq=False)
class QueryContext:
    """What a strategy may look at.

    Attributes
    ----------
    scores : ndarray of shape (n_samples,)
        Current anomaly scores (higher = more anomalous).
    labelled : ndarray of bool, shape (n_samples,)
        Rows that already have a label (never queried again).
    model : object, optional
        The fitted model, for strategies that use the trees (diverse batches).
    X : ndarray of shape (n_samples, n_features), optional
        The features, for strategies that measure distances.
    extras : dict
        Other strategy-specific inputs.

    Examples
    --------
    What a model offers a strategy: its scores and the rows labelled, and for a diverse
    batch (``bal-d``) its trees. The top row of the four planted ones is labelled: ``top``
    asks the other three, ``bal-d`` one of them and two rows elsewhere:

    >>> from aad import AADForest, QueryContext, select_queries
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(size=(300, 2)), rng.normal(6, 0.2, size=(4, 2))])
    >>> model = AADForest(n_estimators=20, random_state=0).fit(X)
    >>> model.set_label(300, "anomaly")
    >>> context = QueryContext(model.anomaly_score(), model.labels_ != -1, model=model, X=X)
    >>> np.flatnonzero(context.labelled).tolist()
    [300]
    >>> select_queries(context, 3).tolist()
    [301, 302, 303]
    >>> select_queries(context, 3, strategy="bal-d", random_state=0).tolist()
    [301, 239, 151]
    """

    scores: np.ndarray
    labelled: np.ndarray
    model: Any = None
    X: np.ndarray | None = None
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        scores, labelled = np.asarray(self.scores), np.asarray(self.labelled)
        if scores.ndim != 1 or labelled.shape != scores.shape:
            raise AADError(
                f"QueryContext needs scores and labelled of one row each, the same length; got shapes "
                f"{scores.shape} and {labelled.shape}"
            )
        if labelled.dtype != bool:  # 0/1 integers would be read as row numbers by indexing
            if not np.isin(labelled, (0, 1)).all():
                raise AADError("QueryContext's labelled must be True/False per row (or 0/1)")
            labelled = labelled.astype(bool)
        nan = np.isnan(scores) if scores.dtype.kind == "f" else None
        if nan is not None and nan.any():
            raise AADError(
                f"QueryContext's scores hold NaN, at row {int(np.argmax(nan))}; rank finite scores"
            )
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "labelled", labelled)


Strategy = Callable[[QueryContext, int, np.random.Generator], np.ndarray]
_REGISTRY: dict[str, Strategy] = {}


def register_strategy(name: str, *, replace: bool = False) -> Callable[[Strategy], Strategy]:
    """Decorator that registers a strategy under ``name`` (a name taken needs ``replace=True``).

    Examples
    --------
    >>> register_strategy("top")(lambda context, k, rng: context.scores.argsort()[:k])
    Traceback (most recent call last):
    ...
    aad.errors.AADError: a query strategy named 'top' is registered already; pick another name, or pass...
    """
    if not isinstance(name, str) or not name.strip():
        raise AADError(f"a query strategy's name must be a non-empty text; got {name!r}")

    def wrap(fn: Strategy) -> Strategy:
        known = _REGISTRY.get(name)

        def where(f) -> tuple:
            return getattr(f, "__module__", None), getattr(f, "__qualname__", None)

        again = known is not None and where(fn)[1] is not None and where(known) == where(fn)
        if known is not None and not (replace or again):  # a module imported again registers anew
            raise AADError(
                f"a query strategy named {name!r} is registered already; pick another name, or pass "
                "replace=True"
            )
        _REGISTRY[name] = fn
        return fn

    return wrap


def strategy_names() -> list[str]:
    """Names of the registered strategies.

    Examples
    --------
    The strategies that come with aad (a name for :func:`select_queries`, ``aad label
    --strategy`` or a session); one registered with :func:`register_strategy` joins them:

    >>> from aad import strategy_names
    >>> strategy_names()
    ['bal-d', 'bal-e', 'top', 'top-random']
    """
    return sorted(_REGISTRY)


def select_queries(
    context: QueryContext,
    k: int = 1,
    *,
    strategy: str = "top",
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """The next ``k`` rows to label.

    Parameters
    ----------
    context : QueryContext
    k : int, default=1
        Batch size.
    strategy : str, default="top"
        A registered strategy name (see :func:`strategy_names`).
    random_state : int, Generator or None
        Seed for strategies that draw at random.

    Returns
    -------
    ndarray of int64
        Distinct unlabelled row numbers, most anomalous first where the strategy ranks.

    Raises
    ------
    UnknownStrategyError

    Examples
    --------
    >>> ctx = QueryContext(np.array([0.1, 0.9, 0.5, 0.7]), np.array([False, True, False, False]))
    >>> select_queries(ctx, 2).tolist()
    [3, 2]
    """
    if strategy not in _REGISTRY:
        raise UnknownStrategyError(
            f"unknown query strategy {strategy!r}; choose one of {', '.join(strategy_names())}"
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise AADError(f"the batch size must be a whole number, at least 1; got {k!r}")
    try:
        rng = np.random.default_rng(random_state)
    except (TypeError, ValueError) as err:
        raise AADError(
            f"random_state must be None, a seed (integers >= 0) or a Generator; got {random_state!r} ({err})"
        ) from None
    rows = _REGISTRY[strategy](context, int(k), rng)
    return _checked(np.asarray(rows), context, int(k), strategy)


def _checked(rows: np.ndarray, context: QueryContext, k: int, strategy: str) -> np.ndarray:
    """A strategy's rows, as its contract says: at most ``k`` distinct unlabelled row numbers,
    ``k`` unless fewer rows are unlabelled."""
    n = context.scores.shape[0]
    wrong = None
    if rows.size and (rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer)):
        wrong = f"{rows.dtype} values of shape {rows.shape}, not row numbers"
    elif rows.size and (rows.min() < 0 or rows.max() >= n):
        wrong = f"row {int(rows[(rows < 0) | (rows >= n)][0])}, outside 0 to {n - 1}"
    elif len(np.unique(rows)) != len(rows):
        wrong = "the same row twice"
    elif context.labelled[rows].any():
        wrong = f"row {int(rows[context.labelled[rows]][0])}, which is labelled"
    elif len(rows) > k:
        wrong = f"{len(rows)} rows for a batch of {k}"
    elif len(rows) < min(k, n - int(context.labelled.sum())):
        wrong = f"{len(rows)} rows for a batch of {k}"
    if wrong is not None:
        raise AADError(
            f"query strategy {strategy!r} returned {wrong}; a strategy returns k distinct unlabelled row "
            "numbers (fewer only when fewer rows are unlabelled)"
        )
    return rows.astype(np.int64, copy=False)


def top_unlabelled(scores: np.ndarray, labelled: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` highest-scored unlabelled rows, best first; ties go to the lower row number.

    Uses a partial selection, not a full sort: ``O(n)`` for any ``k`` much smaller than ``n``.

    Examples
    --------
    >>> top_unlabelled(np.array([3.0, 5.0, 5.0, 1.0]), np.zeros(4, bool), 2).tolist()
    [1, 2]
    """
    if k == 1:  # the common case, in one pass
        best = _best_unlabelled(scores, labelled)
        return np.array([] if best < 0 else [best], dtype=np.int64)
    free = np.flatnonzero(~labelled)
    k = min(k, len(free))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    values = scores[free]
    if k < len(free):
        cut = np.partition(values, len(values) - k)[len(values) - k]
        above = free[values > cut]
        ties = free[values == cut][: k - len(above)]
        free, values = np.r_[above, ties], scores[np.r_[above, ties]]
    order = np.lexsort((free, -values))
    return free[order][:k].astype(np.int64)


def _best_unlabelled(scores: np.ndarray, labelled: np.ndarray) -> int:
    """The highest-scored unlabelled row (ties: the lowest), -1 when every row is labelled."""
    return best_unlabelled_in_blocks(len(scores), lambda start, stop: scores[start:stop], labelled)


def best_unlabelled_in_blocks(
    n_rows: int, block_scores: Callable[[int, int], np.ndarray], labelled: np.ndarray, *, n_jobs=None
) -> int:
    """The highest-scored unlabelled row (ties: the lowest), -1 when every row is labelled, where
    ``block_scores(start, stop)`` gives the scores of rows ``start:stop`` (floats or integers):
    blocks of rows on every core, each block's first maximum, the first of the best blocks. A
    ranking computed block by block is searched without an array of every row's score.

    >>> scores = np.array([3, 9, 9, 1])
    >>> best_unlabelled_in_blocks(4, lambda a, b: scores[a:b], np.array([False, True, False, False]))
    2
    """
    if n_rows == 0:
        return -1
    tops = in_row_blocks(
        n_rows,
        lambda start, stop: best_in_block(block_scores(start, stop), labelled[start:stop], start),
        n_jobs=n_jobs,
    )
    return best_of_blocks(tops)


def best_in_block(scores: np.ndarray, closed: np.ndarray, start: int) -> tuple[bool, object, int]:
    """A block's best open row: ``(found, score, start + offset)``, the first of the highest
    scores among the rows ``closed`` leaves open (``found`` False when it leaves none). Closed
    rows are masked with the type's lowest value, and an open row at that value is still found.

    >>> best_in_block(np.zeros(3, np.uint8), np.array([True, False, False]), 10)
    (True, np.uint8(0), 11)
    """
    lowest = -np.inf if scores.dtype.kind == "f" else np.iinfo(scores.dtype).min
    masked = np.where(closed, lowest, scores)
    best = int(np.argmax(masked))
    if closed[best]:  # every open row, if any, scores the lowest value: the first of them
        free = np.flatnonzero(~closed)
        if not len(free):
            return False, lowest, start + best
        best = int(free[0])
    return True, masked[best], start + best


def best_of_blocks(tops) -> int:
    """The best of the blocks' :func:`best_in_block` (the first of equal ones), -1 when none found."""
    found, _, row = max(tops, key=lambda top: (top[0], top[1]))  # max keeps the first
    return row if found else -1


@register_strategy("top")
def _top(context: QueryContext, k: int, rng: np.random.Generator) -> np.ndarray:
    """The ``k`` highest-scored unlabelled rows (the AAD greedy query)."""
    return top_unlabelled(context.scores, context.labelled, k)
