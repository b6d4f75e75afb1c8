"""Rankings and record rules tried for the query portfolio, measured, and not kept.

``choose.py --only tried`` measures each on the 26 tuning tables beside the shipped
portfolio (README, *Which ranking the queue follows*); none found more, so none is in the
engine. Kept here so that the measurement can be repeated.

Seven rankings (:class:`TriedForest`), the first two candidates for the learned model's
place, the third for the forest's, the fourth for either or beside them, the fifth for the
forest's or beside it, the sixth for the learned model's or beside it, the seventh for the
beliefs' or beside them:

* ``"paths"``: the same closed-form update over every node of a row's path, not only its
  leaf. Every node ``n`` gets ``b_n (w_A c_A(n) - w_N c_N(n))`` (``b_n = log2(max_samples /
  n_n)``, ``c`` the labelled rows inside it, the class weights of :func:`aad.weights.class_weights`)
  and a leaf's change is the mean over its path: a label lifts the rows whose paths share
  its upper nodes too, a smoother kernel than sharing the leaf.
* ``"trees"``: the learned model with a weight per tree, ``exp(TREE_GAIN * z_t)`` normalised
  to mean 1, where ``z_t`` standardises (over the trees) how much shorter tree ``t``'s paths
  are for the labelled anomalies than for the labelled nominals: the trees that isolate the
  found anomalies early (split on their features) count more.
* ``"novel"``: the forest's order, where a leaf that holds a labelled row counts as a typical
  row would (its path length at least ``c(max_samples)``, the forest's normaliser): rows
  that share their leaves with nothing labelled yet come first, an explorer for the
  isolated rows unlike those already seen.
* ``"classifier"``: a supervised learner on the labels, as a generalisation the leaves cannot
  make (a direction in feature space rather than shared leaves): a logistic regression
  (``class_weight="balanced"``, ``C = 1``) on the standardised columns and the learned
  model's score, refit after every label; the learned model's order until both classes are
  labelled.
* ``"unlike"``: the forest's order with the rows the found anomalies claim (their leaf holds
  a labelled anomaly in more than half of the trees) last: the row **Different** shows, as a
  ranking (in the forest's place, or a fifth).
* ``"blend"``: the learned model and the leaf beliefs, each as a row's share of the rows it
  ranks below it, averaged (alone, as the first champion, or a sixth ranking).
* ``"coarse"``: the leaf beliefs of a second forest grown on :data:`COARSE_SAMPLES` rows a tree
  (BALIF's 256; the engine's forest has 512) and given the same labels (alone, as a sixth
  ranking, or in the beliefs' place; looked at first as the beliefs are).

And one forest, :class:`TwoScaleForest`: half its trees grown on the engine's 512 rows, half
on :data:`COARSE_SAMPLES`, with every ranking as shipped (``choose.py --only "two scales"``).

Eight rules for the records (:func:`faded_step`, :func:`thompson_best`,
:func:`wide_record`, :func:`open_best`, :func:`earned_step`, :func:`probation_step`,
:func:`first_look`, :func:`kept_streak`), each a candidate for the champion/challenger rule
of :mod:`aad.portfolio.bandit`:

* fading records: every label multiplies the past hits and misses by ``fade`` (a
  non-stationary bandit): a champion whose kind is used up loses its lead sooner;
* Thompson sampling: after every label the queue follows the ranking whose draw from
  ``Beta(1 + hits, 1 + misses)`` is highest (seeded by the run and the records), with no
  patience or challenger;
* wider credit: a label counts for every ranking that holds the row in its top ``k``, not
  only for those whose top row it is, so the rankings the queue does not follow (the forest's
  order above all) build a record from the champion's rows too; optionally any of them may
  then become champion without being asked first.
* an open field: the champion is the best record among every ranking, asked or not (the
  shipped rule takes only those the queue has followed). A ranking the queue never asked
  keeps the record of the rows it shared with the champion (the first anomaly, at least), so
  when the champion's hit rate falls below it, it leads without a streak of nominals: on a
  scattered table the learned model, hitting 60 %, can stay champion for 50 labels while the
  forest's order would hit 90 %, because 4 nominals in a row at 60 % are rare.
* promoted only by a hit: a challenger whose row comes back nominal does not become eligible
  as champion by that question (the shipped rule lets it lead with the record of the hits it
  shared with the champion, which its miss does not outweigh).
* probation: the same challenger may lead, but on probation: its first nominal as champion
  hands the lead back and makes it ineligible until asked again.
* a first look: a ranking never asked is asked after one nominal from the champion, not
  four, while the champion hits no better than an even chance, or while the ranking's
  record (shared with the champion) beats the champion's.
* a kept streak: a champion demoted by its own nominal hands its streak of nominals on to
  the next champion (the shipped rule starts it again).

Records shrunk toward the champion's hit rate (:func:`shrunk_means`, :func:`shrunk_best`), a
candidate for the records' Beta(1, 1) prior: under it a ranking with 0 hits and 1 miss has a
mean of 1/3 and leads a champion hitting 1 row in 15 (a review's seasonal table: the forest's
order, finding nothing there, was followed 20 times a run); shrunk toward the champion's rate
it leads only once it hits on its own. And a margin against trading the lead
(:func:`margin_best`): another ranking leads only when its record beats the champion's with one
more miss.

A deep dry spell handed to one ranking (:func:`dig_step`): after ``after`` challengers in a row
came back nominal, the queue follows the leaf beliefs (the engine's, or the coarse forest's)
through their nominals until a challenger hits, as BALIF follows its beliefs.

Two more on top of the forest's first look (:func:`first_miss_looks`,
:func:`agreed_challenger`): the forest's look also at the champion's first miss after a
clean run of hits, and a challenger after one nominal when the other rankings agree on
their row.

One more, a challenger before the first anomaly, was tried here first; measured on more
seeds it neither lost nor won on the tuning tables and it finds the cluster between two
modes (``between.py``), so it is now the engine's (``choose.py --only "first anomaly"``).

``choose.py`` also runs the engine's saturating ranking alone and as the first champion.

Why a variant lost can be traced: ``python benchmarks/tried.py VARIANT TABLE`` prints, per
ranking the queue followed, its labels a run and how many were anomalies. ``python
benchmarks/tried.py proposals TABLE,...`` prints what the rankings the shipped queue did not
follow would have found after a nominal from the champion (:func:`proposals`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression

from aad import forest as forest_module
from aad.forest import average_path_length
from aad.labels import ANOMALY, NOMINAL, UNLABELLED
from aad.model import AADForest
from aad.portfolio import bandit
from aad.portfolio.bandit import PortfolioState, _best, step
from aad.query import top_unlabelled
from aad.weights import class_weights

#: The rankings :class:`TriedForest` adds to the engine's.
TRIED = ("paths", "trees", "novel", "classifier", "unlike", "blend", "coarse")
#: Rows per tree of the forest behind the ``"coarse"`` beliefs (the isolation forest's customary 256).
COARSE_SAMPLES = 256
#: The engine's exploring and challenger rules, as imported (choose.py swaps them per variant).
_SHIPPED_RULE = (PortfolioState.exploring, PortfolioState.challenger)
#: Gain of the tree weights (per standard deviation of the trees' margins).
TREE_GAIN = 0.5


def _shares(scores: np.ndarray) -> np.ndarray:
    """Each score's share of the scores below it, ties counted half: in [0, 1)."""
    ordered = np.sort(scores)
    below = np.searchsorted(ordered, scores, side="left")
    tied = np.searchsorted(ordered, scores, side="right") - below
    return (below + (tied - 1) / 2.0) / len(scores)


class TriedForest(AADForest):
    """:class:`aad.AADForest` with seven more rankings (:data:`TRIED`).

    >>> X = np.vstack([np.random.default_rng(0).normal(size=(200, 2)), [[6, 6], [6, 5.5]]])
    >>> model = TriedForest(random_state=0).fit(X)
    >>> model.set_label(200, "anomaly"); model.set_label(0, "nominal")
    >>> free = model.labels_ == -1
    >>> [int(np.where(free, model.ranking(r), -np.inf).argmax()) for r in TRIED]
    [201, 201, 201, 201, 201, 201, 201]
    """

    def fit(self, X, *args, **kwargs) -> TriedForest:
        super().fit(X, *args, **kwargs)
        X = np.asarray(X, dtype=np.float64)
        spread = X.std(axis=0)
        self._standard = np.clip((X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0), -10, 10)
        self._coarse_model = AADForest(
            random_state=self.random_state, n_estimators=self.n_estimators, max_samples=COARSE_SAMPLES
        ).fit(X)
        return self

    @property
    def rankings_(self) -> tuple[str, ...]:
        return (*super().rankings_, *TRIED)

    def _changed(self) -> None:
        super()._changed()
        self._tried: dict[str, np.ndarray] = {}

    def ranking(self, name: str = "feedback") -> np.ndarray:
        if name not in TRIED:
            return super().ranking(name)
        cache = self.__dict__.setdefault("_tried", {})
        if name not in cache:
            cache[name] = getattr(self, f"_{name}")()
        return cache[name]

    def _classifier(self) -> np.ndarray:
        learned, labelled = self.raw_score(), self.labels_ != UNLABELLED
        y = self.labels_[labelled]
        if y.size == 0 or y.min() == y.max():
            return learned
        features = np.column_stack([self._standard, (learned - learned.mean()) / (learned.std() + 1e-12)])
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=200)
        return model.fit(features[labelled], y).decision_function(features)

    def _novel(self) -> np.ndarray:
        forest = self.forest_
        seen = (self._counts[ANOMALY] + self._counts[NOMINAL]) > 0
        typical = float(average_path_length(np.array([forest.max_samples]))[0])
        table = np.where(seen, np.maximum(forest.path_length, typical), forest.path_length)
        return -forest.gather(table, self.leaf_index_) / self.n_estimators_

    def _unlike(self) -> np.ndarray:
        """The forest's order with the rows the found anomalies claim (their leaf holds a
        labelled anomaly in more than half of the trees) after every other row: the row
        **Different** shows (:meth:`aad.portfolio.Portfolio.different`), as a ranking."""
        forest = super().ranking("forest")
        claimed = self.forest_.gather((self._counts[ANOMALY] > 0).astype(float), self.leaf_index_)
        below = forest - (forest.max() - forest.min() + 1.0)
        return np.where(claimed > self.forest_.n_estimators / 2, below, forest)

    def _blend(self) -> np.ndarray:
        """The learned model and the leaf beliefs, each as a row's share of rows it ranks
        above (ties share), averaged: the rows both rank high come first."""
        return (_shares(self.raw_score()) + _shares(super().ranking("beliefs"))) / 2.0

    def _coarse(self) -> np.ndarray:
        """The leaf beliefs of a second forest, grown on :data:`COARSE_SAMPLES` rows a tree and
        given the same labels: coarser leaves, in which a tight cluster masks itself less."""
        inner = self._coarse_model
        differ = np.flatnonzero(inner.labels_ != self.labels_)
        if differ.size:
            inner.set_labels(differ, self.labels_[differ].tolist())
        return np.array(inner.ranking("beliefs"))

    def _paths(self) -> np.ndarray:
        forest, (n_anomalies, n_nominals) = self.forest_, self._class_counts()
        if n_anomalies + n_nominals == 0:
            return self._base
        per_anomaly, per_nominal = class_weights(n_anomalies, n_nominals, balance=self.balance)
        nodes = forest.nodes
        inside = per_anomaly * forest.subtree_counts(self._counts[ANOMALY])
        inside -= per_nominal * forest.subtree_counts(self._counts[NOMINAL])
        change = np.log2(forest.max_samples / np.maximum(nodes.n_samples, 1)) * inside
        for level in range(1, int(nodes.depth.max()) + 1):  # root to leaf: sums over the path
            at = np.flatnonzero(nodes.depth == level)
            change[at] += change[nodes.parent[at]]
        leaf = change[forest.leaf_node] / (nodes.depth[forest.leaf_node] + 1)
        return self._base + self.eta * forest.gather(leaf, self.leaf_index_) / self.n_estimators_

    def _trees(self) -> np.ndarray:
        anomalies, nominals = np.flatnonzero(self.labels_ == ANOMALY), np.flatnonzero(self.labels_ == NOMINAL)
        if len(anomalies) == 0 or len(nominals) == 0:
            return self.raw_score()
        forest = self.forest_
        offsets = forest.leaf_offset[:-1, None]
        depth_a = forest.path_length[offsets + self.leaf_index_[:, anomalies]].mean(axis=1)
        depth_n = forest.path_length[offsets + self.leaf_index_[:, nominals]].mean(axis=1)
        margin = depth_n - depth_a
        weight = np.exp(TREE_GAIN * (margin - margin.mean()) / (margin.std() + 1e-12))
        weight /= weight.mean()
        table = self.leaf_values_ * np.repeat(weight, np.diff(forest.leaf_offset))
        return forest.gather(table, self.leaf_index_) / self.n_estimators_


class TwoScaleForest(AADForest):
    """:class:`aad.AADForest` on a forest of two scales: the first half of the trees grown on
    ``max_samples`` rows (the engine's 512), the second on :data:`COARSE_SAMPLES`; every
    ranking as the engine's. A small tree's path lengths are scaled by ``c(512) / c(256)`` and
    its leaves' information is ``log2(256 / n)``, so both kinds of tree score on one scale.
    Tried for the tight cluster 512-row trees mask (held-out ``mixed``): each ranking sees
    both the fine and the coarse leaves.

    >>> X = np.vstack([np.random.default_rng(0).normal(size=(600, 2)), [[6, 6]]])
    >>> model = TwoScaleForest(random_state=0, n_estimators=10).fit(X)
    >>> int(model.ranking("forest").argmax()), model.forest_.n_estimators
    (600, 10)
    """

    def _grow_forest(self, X: np.ndarray):
        psi, small = min(self.max_samples, X.shape[0]), min(COARSE_SAMPLES, X.shape[0])
        n_small = self.n_estimators_ // 2
        X32, seed = np.ascontiguousarray(X, dtype=np.float32), forest_module._seed(self.random_state)

        def grow(n: int, rows: int, offset: int) -> IsolationForest:
            state = None if seed is None else seed + offset
            return IsolationForest(n_estimators=n, max_samples=rows, random_state=state).fit(X32)

        fine = grow(self.n_estimators_ - n_small, psi, 0)
        fine.estimators_ = [*fine.estimators_, *grow(n_small, small, 1).estimators_]
        forest = forest_module._read_forest(fine, psi, X.shape[1])
        tree = np.repeat(np.arange(forest.n_estimators), np.diff(forest.leaf_offset))
        coarse = tree >= forest.n_estimators - n_small
        size = np.maximum(forest.nodes.n_samples[forest.leaf_node], 1).astype(np.float64)
        scale = float(average_path_length(psi) / average_path_length(small)) if small > 2 else 1.0
        return replace(
            forest,
            path_length=np.where(coarse, forest.path_length * scale, forest.path_length),
            information=np.where(coarse, np.log2(small / size), forest.information),
        )


def faded_step(fade: float) -> Callable[..., PortfolioState]:
    """:func:`aad.portfolio.bandit.step` whose records fade by ``fade`` at every label.

    >>> state = PortfolioState.start(2)
    >>> for row, anomaly in [(1, True), (2, False), (3, False)]:
    ...     state = faded_step(0.5)(state, (row, row), row, anomaly=anomaly)
    >>> state.hits, state.misses
    ((0.25, 0.25), (1.5, 1.5))
    """

    def faded(state: PortfolioState, tops, row: int, *, anomaly: bool) -> PortfolioState:
        if not state.found:  # no record to fade yet: the engine's rule
            return step(state, tops, row, anomaly=anomaly)
        followed = state.follows(tops, row)
        proposed = [t == row for t in tops]
        hits = tuple(fade * h + (p and anomaly) for h, p in zip(state.hits, proposed, strict=True))
        misses = tuple(fade * m + (p and not anomaly) for m, p in zip(state.misses, proposed, strict=True))
        asked = tuple(a or k == followed for k, a in enumerate(state.asked))
        backoff, streak = state.backoff, state.streak
        if followed == state.champion:
            streak = 0 if anomaly else streak + 1
        elif followed is not None:
            streak, backoff = 0, (0 if anomaly else backoff + 1)
        champion = _best(hits, misses, asked, state.champion)
        streak = streak if champion == state.champion else 0
        return replace(
            state, hits=hits, misses=misses, asked=asked, champion=champion, streak=streak, backoff=backoff
        )

    return faded


def earned_step(state: PortfolioState, tops, row: int, *, anomaly: bool) -> PortfolioState:
    """:func:`aad.portfolio.bandit.step` where a challenger that comes back nominal is not
    made eligible as champion by that question: a ranking leads only once a row of its own,
    asked, was an anomaly.

    The shipped rule makes any ranking the queue has asked eligible, and a challenger's record
    holds the hits it shared with the champion but not the champion's nominals where it
    proposed another row, so a challenger can take the lead with the very question it missed.

    >>> state = step(PortfolioState.start(2), (1, 1), 1, anomaly=True)
    >>> for row in (2, 3, 4, 5):  # the champion's four nominals; the other proposes row 9
    ...     state = step(state, (row, 9), row, anomaly=False)
    >>> step(state, (6, 9), 9, anomaly=False).champion, earned_step(state, (6, 9), 9, anomaly=False).champion
    (1, 0)
    """
    after = step(state, tops, row, anomaly=anomaly)
    followed = state.follows(tops, row) if state.found else None
    if followed is None or followed == state.champion or anomaly:
        return after
    asked = tuple(a if k != followed else state.asked[k] for k, a in enumerate(after.asked))
    champion = _best(after.hits, after.misses, asked, state.champion)
    streak = after.streak if champion == state.champion else 0
    return replace(after, asked=asked, champion=champion, streak=streak)


def thompson_best(seed: int) -> Callable[..., int]:
    """A replacement for :func:`aad.portfolio.bandit._best`: the ranking whose draw from its
    record's Beta is highest, seeded by ``seed`` and the records (so a run replays).

    >>> best = thompson_best(0)
    >>> best((9, 0), (0, 9), (True, True), 0), best((0, 9), (9, 0), (True, True), 0)
    (0, 1)
    """

    def best(hits, misses, asked, champion) -> int:
        rng = np.random.default_rng([seed, *map(int, hits), *map(int, misses)])
        return int(np.argmax(rng.beta(1.0 + np.asarray(hits, float), 1.0 + np.asarray(misses, float))))

    return best


def shrunk_means(hits, misses, champion: int, weight: float = 2.0) -> np.ndarray:
    """Every ranking's hit rate shrunk toward the champion's (``(1 + h) / (2 + n)``, its
    Beta(1, 1) mean) with the prior weight ``weight``, instead of toward 1/2: a ranking seldom
    asked looks as good as the champion, not better, so one nominal cannot make it lead.

    >>> shrunk_means((4, 0), (60, 1), 0).round(3).tolist()  # 1 miss: below the champion (1/3 before)
    [0.076, 0.051]
    >>> shrunk_means((4, 1), (60, 1), 0).round(3).tolist()  # the first anomaly's shared hit, 1 miss
    [0.076, 0.288]

    So a ranking that shared the first anomaly and then missed once still leads (1/2 before):
    the shrinkage alone does not keep a barren forest out.
    """
    h, m = np.asarray(hits, float), np.asarray(misses, float)
    rate = (h[champion] + 1.0) / (h[champion] + m[champion] + 2.0)
    means = (h + weight * rate) / (h + m + weight)
    means[champion] = rate
    return means


def shrunk_best(hits, misses, asked, champion) -> int:
    """A replacement for :func:`aad.portfolio.bandit._best`: the best of :func:`shrunk_means`
    among the rankings the queue has followed (ties: the lowest)."""
    means = shrunk_means(hits, misses, champion)
    return max((k for k in range(len(hits)) if asked[k]), key=lambda k: (means[k], -k))


def margin_best(hits, misses, asked, champion) -> int:
    """A replacement for :func:`aad.portfolio.bandit._best` with a margin against trading the
    lead (hysteresis): another ranking the queue has followed takes the lead only when its
    record would still beat the champion's with one more miss, ``(1 + h) / (3 + h + m)``
    above the champion's ``(1 + h) / (2 + h + m)`` (ties: the lowest). Under the shipped rule
    two rankings that share most rows trade the lead at each nominal one of them proposed
    alone (the saturating ranking on a table where the learned model keeps finding).

    >>> margin_best((10, 10), (5, 6), (True, True), 1)  # 11/17 against 11/18: not by a miss
    1
    >>> margin_best((10, 12), (5, 6), (True, True), 0)  # 13/21 against 11/17: not by a miss
    0
    >>> margin_best((10, 14), (5, 5), (True, True), 0)  # 15/22 against 11/17
    1
    """
    h, m = np.asarray(hits, float), np.asarray(misses, float)
    held = (1.0 + h[champion]) / (2.0 + h[champion] + m[champion])
    pessimistic = (1.0 + h) / (3.0 + h + m)
    rivals = [k for k in range(len(hits)) if asked[k] and k != champion and pessimistic[k] > held]
    if not rivals:
        return champion
    means = (1.0 + h) / (2.0 + h + m)
    return max(rivals, key=lambda k: (means[k], -k))


def open_best(hits, misses, asked, champion) -> int:
    """A replacement for :func:`aad.portfolio.bandit._best`: the best record among every
    ranking, whether the queue has asked it or not (ties: the lowest).

    >>> open_best((3, 1), (3, 0), (True, False), 0)
    1
    """
    means = [(1 + h) / (2 + h + m) for h, m in zip(hits, misses, strict=True)]
    return max(range(len(hits)), key=lambda k: (means[k], -k))


@dataclass(frozen=True)
class ProbationState(PortfolioState):
    """:class:`~aad.portfolio.bandit.PortfolioState` and whether the champion leads on probation."""

    on_probation: bool = False


def probation_step(state: PortfolioState, tops, row: int, *, anomaly: bool) -> ProbationState:
    """:func:`aad.portfolio.bandit.step` where a ranking that takes the lead without an anomaly
    of its own leads on probation: its first nominal as champion hands the lead back and makes
    it ineligible until it is asked again; its first anomaly ends the probation. A softer
    :func:`earned_step`: the challenger that missed may still lead, for one question.

    >>> state = step(PortfolioState.start(2), (1, 1), 1, anomaly=True)
    >>> for row in (2, 3, 4, 5):  # the champion's four nominals; the other proposes row 9
    ...     state = probation_step(state, (row, 9), row, anomaly=False)
    >>> state = probation_step(state, (6, 9), 9, anomaly=False)  # asked, nominal: it leads
    >>> state.champion, state.on_probation
    (1, True)
    >>> probation_step(state, (6, 10), 10, anomaly=False).champion  # its next row: nominal
    0
    """
    before = state if isinstance(state, ProbationState) else ProbationState(**vars(state))
    after = ProbationState(**{**vars(step(state, tops, row, anomaly=anomaly)), "on_probation": False})
    if not before.found:
        return after
    followed = before.follows(tops, row)
    if before.on_probation and followed == before.champion and not anomaly:
        asked = tuple(a and k != before.champion for k, a in enumerate(after.asked))
        if not any(asked):
            return after
        champion = _best(after.hits, after.misses, asked, after.champion)
        return replace(after, asked=asked, champion=champion, streak=0)
    took_lead = after.champion != before.champion and not (followed == after.champion and anomaly)
    waiting = before.on_probation and after.champion == before.champion and followed != before.champion
    return replace(after, on_probation=took_lead or waiting)


def first_look(
    rule: str, *, only: tuple[int, ...] | None = None
) -> tuple[property, Callable[..., int | None], Callable[..., PortfolioState]]:
    """Replacements for :attr:`PortfolioState.exploring`, :meth:`PortfolioState.challenger` and
    :func:`aad.portfolio.bandit.step` that give every ranking the queue has never asked a
    *first look*: after the first anomaly, one nominal from the champion asks such a ranking
    at once (the shipped rule waits for a streak of :data:`~aad.portfolio.bandit.PATIENCE`)
    when ``rule`` says so, and a first look that misses does not double the patience.

    ``rule`` is ``"half"`` (while the champion's record is no better than an even chance,
    the mean of a ranking nobody has asked) or ``"beats"`` (when the ranking's own record,
    the rows it shared with the champion, beats the champion's). After the first anomaly
    the rankings share every row until they diverge, so a ranking never asked has no row of
    its own on record: its first look is the only evidence of what it proposes apart.
    ``only`` (indices of the rankings) limits the first looks to those rankings.

    >>> exploring, challenger, looked_step = first_look("half")
    >>> state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    >>> state = looked_step(state, (2, 2, 5), 2, anomaly=False)  # the champion's first nominal
    >>> exploring.fget(state), challenger(state, (3, 3, 5))  # the forest is asked at once
    (True, 2)
    >>> state = looked_step(state, (3, 3, 5), 5, anomaly=True)
    >>> state.champion, state.backoff
    (2, 0)
    """
    shipped_exploring, shipped_challenger = _SHIPPED_RULE

    def looks(state: PortfolioState) -> list[int]:
        """Rankings never asked that the rule gives a first look now (proposing or not)."""
        if not state.found or state.streak < 1:
            return []
        means = state.means
        fresh = [k for k, asked in enumerate(state.asked) if not asked and (only is None or k in only)]
        if rule == "half":
            return fresh if means[state.champion] <= 0.5 else []
        return [k for k in fresh if means[k] > means[state.champion]]

    def exploring(state: PortfolioState) -> bool:
        return shipped_exploring.fget(state) or bool(looks(state))

    def challenger(state: PortfolioState, tops) -> int | None:
        proposing = state._others(tops)
        fresh = [k for k in looks(state) if k in proposing]
        if fresh:
            means = state.means
            return max(fresh, key=lambda k: (means[k], -k))
        return shipped_challenger(state, tops) if shipped_exploring.fget(state) else None

    def looked_step(state: PortfolioState, tops, row: int, *, anomaly: bool) -> PortfolioState:
        k = challenger(state, tops) if state.found and exploring(state) else None
        after = step(state, tops, row, anomaly=anomaly)
        if k is None or tops[k] != row or state.asked[k]:
            return after
        asked = tuple(a or i == k for i, a in enumerate(after.asked))
        champion = _best(after.hits, after.misses, asked, state.champion)
        backoff = 0 if anomaly else state.backoff  # a first look that misses is no challenger missed
        return replace(after, asked=asked, champion=champion, streak=0, backoff=backoff)

    return property(exploring), challenger, looked_step


def kept_streak(inner: Callable[..., PortfolioState]) -> Callable[..., PortfolioState]:
    """``inner`` (a step rule) where a champion demoted by its own nominal hands its streak on:
    the shipped rule starts the streak again at every change of champion, so two rankings that
    trade the lead at each nominal never reach the patience, and a third is never asked.

    Two rankings asked, close records; four nominals, each from the champion of the moment:

    >>> state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    >>> state = replace(state, hits=(2, 2, 1), misses=(0, 1, 0), asked=(True, True, False))
    >>> shipped = kept = state
    >>> for row, tops in [(2, (2, 9, 8)), (3, (3, 9, 8)), (9, (4, 9, 8)), (4, (4, 10, 8))]:
    ...     shipped = step(shipped, tops, row, anomaly=False)
    ...     kept = kept_streak(step)(kept, tops, row, anomaly=False)
    >>> shipped.champion, shipped.streak, shipped.exploring
    (1, 0, False)
    >>> kept.champion, kept.streak, kept.challenger((11, 12, 8))  # the third is asked
    (1, 4, 2)
    """

    def kept(state: PortfolioState, tops, row: int, *, anomaly: bool) -> PortfolioState:
        after = inner(state, tops, row, anomaly=anomaly)
        demoted = state.found and not anomaly and after.champion != state.champion
        if demoted and state.follows(tops, row) == state.champion:
            return replace(after, streak=state.streak + 1)
        return after

    return kept


def unmissed_looks(self: PortfolioState) -> list[int]:
    """A replacement for the engine's ``PortfolioState._first_looks`` that gives the forest its
    first look also while its record shows no miss, not only once it beats the champion's: a
    ranking that parted from the champion early has few shared hits, so a perfect record can
    trail a champion with many (on the card tables, the forest proposing skimmed cards while
    the learned model takes the last takeovers).

    >>> state = PortfolioState((40, 6), (1, 0), (True, False), streak=1, found=True, looks=(1,))
    >>> state.means.round(3).tolist(), state._first_looks(), unmissed_looks(state)
    ([0.953, 0.875], [], [1])
    """
    if not self.found or self.streak < 1:
        return []
    means = self.means
    return [
        k
        for k in self.looks
        if not self.asked[k] and (means[k] > means[self.champion] or self.misses[k] == 0)
    ]


def first_miss_looks(clean: int) -> Callable[[PortfolioState], list[int]]:
    """A replacement for the engine's ``PortfolioState._first_looks`` that gives the forest its
    first look also at the champion's first miss after ``clean`` hits without one: a kind
    found row after row that stops paying is the sign of a kind used up (the card tables'
    takeovers), whatever the forest's record, made of the few rows it shared, says.

    >>> state = PortfolioState((40, 6), (1, 0), (True, False), streak=1, found=True, looks=(1,))
    >>> state._first_looks(), first_miss_looks(10)(state), first_miss_looks(50)(state)
    ([], [1], [])
    """

    def looks(self: PortfolioState) -> list[int]:
        if not self.found or self.streak < 1:
            return []
        means, champion = self.means, self.champion
        spent = self.misses[champion] == 1 and self.hits[champion] >= clean
        return [k for k in self.looks if not self.asked[k] and (means[k] > means[champion] or spent)]

    return looks


def agreed_challenger() -> tuple[property, Callable[..., int | None]]:
    """Replacements for :attr:`PortfolioState.exploring` and
    :meth:`PortfolioState.challenger` that also ask a challenger, after a nominal from the
    champion (after ``2 ** backoff`` of them once challengers missed), when every other ranking
    proposing a row proposes the same one, two of them at least: where the learned model's
    kind is spent, the saturating ranking and the forest turn to the next kind together.

    >>> exploring, challenger = agreed_challenger()
    >>> state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    >>> state = step(state, (2, 2, 5), 2, anomaly=False)  # the second ranking shared the nominal
    >>> exploring.fget(state), challenger(state, (3, 5, 5)), challenger(state, (3, 4, 5))
    (True, 2, None)
    """
    shipped_exploring, shipped_challenger = _SHIPPED_RULE

    def agreed(state: PortfolioState, tops) -> int | None:
        if not state.found or state.streak < 2 ** min(state.backoff, bandit.MAX_BACKOFF):
            return None
        others = state._others(tops)
        live = [k for k, top in enumerate(tops) if k != state.champion and top != -1]
        if len(others) < 2 or len(others) != len(live) or len({tops[k] for k in others}) > 1:
            return None
        means = state.means
        return max(others, key=lambda k: (means[k], -k))

    def exploring(state: PortfolioState) -> bool:  # whether to look at the proposals at all
        return shipped_exploring.fget(state) or (state.found and state.streak >= 1)

    def challenger(state: PortfolioState, tops) -> int | None:
        k = shipped_challenger(state, tops) if shipped_exploring.fget(state) else None
        return k if k is not None else agreed(state, tops)

    return property(exploring), challenger


def dig_step(inner: Callable[..., PortfolioState], digger: int, after: int) -> Callable[..., PortfolioState]:
    """``inner`` (a step rule) where a deep dry spell hands the queue to one ranking, the
    ``digger``, through its own nominals: once ``after`` challengers in a row came back nominal
    (the backoff), every nominal leaves the digger champion, until a challenger hits. BALIF
    follows its leaf beliefs so, and each nominal sends its leaves near zero: it digs through
    the forest's outer rows to a tight cluster they mask (held-out ``mixed``); the shipped
    rule asks such a ranking once and goes back to the best record.

    >>> state = step(PortfolioState.start(3), (1, 1, 1), 1, anomaly=True)
    >>> state = replace(state, backoff=1)  # one challenger missed
    >>> dug = dig_step(step, 2, 1)(state, (2, 2, 9), 2, anomaly=False)
    >>> dug.champion, dug.asked
    (2, (True, False, True))
    """

    def dug(state: PortfolioState, tops, row: int, *, anomaly: bool) -> PortfolioState:
        out = inner(state, tops, row, anomaly=anomaly)
        if not out.found or anomaly or out.backoff < after or tops[digger] == -1:
            return out
        digging = state.champion == digger
        streak = out.streak if out.champion == digger else (state.streak + 1 if digging else 0)
        asked = tuple(a or k == digger for k, a in enumerate(out.asked))
        return replace(out, champion=digger, asked=asked, streak=streak)

    return dug


def wide_record(k: int, *, open_field: bool) -> Callable[..., None]:
    """A replacement for :meth:`aad.portfolio.Portfolio.record` that credits every ranking
    holding the labelled row in its top ``k`` (not only its top row) with the outcome: each
    label is evidence about every ranking, the forest's included, whichever was followed.
    With ``open_field`` any ranking may become champion on its record, asked or not.

    >>> from aad.portfolio import Portfolio
    >>> X = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[7, 7], [7, -7]]])
    >>> model = AADForest(random_state=0).fit(X)
    >>> portfolio = Portfolio(model)
    >>> portfolio.tops()  # row 301 is no ranking's top row, but in every one's top 5
    (300, 300, 300, 300, 300)
    >>> wide_record(5, open_field=False)(portfolio, 301, 1); model.set_label(301, 1)
    >>> portfolio.state.hits  # the shipped rule would credit none of them
    (1, 1, 1, 1, 1)
    """

    def record(self, row: int, label: int) -> None:
        if self.model.labels_[row] != UNLABELLED or label == UNLABELLED:
            self._before.append(None)
            return
        self._before.append(self.state)
        tops, anomaly = self.tops(), bool(label == 1)
        state = step(self.state, tops, int(row), anomaly=anomaly)
        if state.found:
            labelled = self.model.labels_ != UNLABELLED
            near = [
                top != row and row in top_unlabelled(self.model.ranking(name), labelled, k)
                for name, top in zip(self.rankings, tops, strict=True)
            ]
            hits = tuple(h + int(n and anomaly) for h, n in zip(state.hits, near, strict=True))
            misses = tuple(m + int(n and not anomaly) for m, n in zip(state.misses, near, strict=True))
            asked = (True,) * len(tops) if open_field else state.asked
            champion = _best(hits, misses, asked, state.champion)
            streak = state.streak if champion == state.champion else 0
            state = replace(state, hits=hits, misses=misses, asked=asked, champion=champion, streak=streak)
        self.state = state

    return record


def trace(variant: str, table: str, runs: int = 5) -> dict[str, tuple[float, float]]:
    """Per ranking the queue followed in ``choose.py``'s ``variant`` on a tuning table: labels
    a run, and the share of them that were anomalies; ``"not the learned model's"`` counts the
    rows the learned model did not propose, whichever ranking was followed."""
    import choose  # choose.py imports this module: imported when traced

    y = choose.tables()[table][1]
    labels: dict[str, int] = {}
    hits: dict[str, int] = {}
    for seed in range(runs):
        learner = choose.learner(variant, table, seed)
        for _ in range(choose.budget(table, len(y))):
            following = learner.following
            row = int(learner.next_queries(1)[0])
            others = [] if "feedback" in learner.proposed_by(row) else ["not the learned model's"]
            for key in (following, *others):
                labels[key] = labels.get(key, 0) + 1
                hits[key] = hits.get(key, 0) + int(y[row])
            learner.label(row, int(y[row]))
    return {key: (labels[key] / runs, hits[key] / labels[key]) for key in labels}


def proposals(table: str, runs: int = 5) -> dict[str, tuple[int, int]]:
    """What the rankings the queue did not follow would have found: over ``runs`` runs on
    ``table`` (a tuning table, or a shipped dataset's name), at every label after the first
    anomaly that follows a nominal from the champion, each ranking's proposal when it differs
    from the champion's, and whether it is an anomaly (the ground truth, which the queue does
    not see). The queue is the rule before the forest's first look, which these counts led to
    (README). Returns, per ranking (``"champion"`` for the champion's own proposal), its
    proposals counted and how many were anomalies."""
    import choose  # choose.py imports this module: imported when traced

    if table in choose.tables():
        y = choose.tables()[table][1]
        before = "no first look, the streak reset (before)"
        learners = (choose.learner(before, table, seed) for seed in range(runs))
        budget = choose.budget(table, len(y))
    else:
        from aad import ActiveLearner, load_dataset

        data = load_dataset(table)
        y, budget = data.y, 100
        learners = (
            ActiveLearner(AADForest(random_state=seed).fit(data.X), data.X, first_look=False)
            for seed in range(runs)
        )
    counts: dict[str, list[int]] = {}
    for learner in learners:
        portfolio = learner.portfolio
        for _ in range(budget):
            state, tops = portfolio.state, portfolio.tops()
            if state.found and state.streak >= 1:
                champion = tops[state.champion]
                for name, top in (("champion", champion), *zip(portfolio.rankings, tops, strict=True)):
                    if name == "champion" or top not in (champion, -1):
                        seen = counts.setdefault(name, [0, 0])
                        seen[0], seen[1] = seen[0] + 1, seen[1] + int(y[top])
            row = int(learner.next_queries(1)[0])
            learner.label(row, int(y[row]))
    return {name: (n, hits) for name, (n, hits) in counts.items()}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The rankings a variant of choose.py followed, their hits")
    parser.add_argument("variant", help="a variant of choose.py ('tried: records fade 0.9'), or 'proposals'")
    parser.add_argument("tables", help="a tuning table, e.g. fraud-1 ('proposals': several, comma-separated)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.variant == "proposals":
        for table in args.tables.split(","):
            found = proposals(table, args.runs)
            cells = [f"{name} {hits}/{n} ({hits / n:.0%})" for name, (n, hits) in found.items()]
            print(f"{table}: " + ", ".join(cells))
    else:
        for key, (n, rate) in trace(args.variant, args.tables, args.runs).items():
            print(f"{key}: {n:.1f} labels a run, {rate:.0%} anomalies")
