"""How the query portfolio was chosen: on tables the reported benchmarks never use.

The portfolio (:mod:`aad.portfolio`) has three choices: which of the model's rankings are
in play, the patience (nominals in a row before a challenger is asked), and whether the
patience doubles after each challenger that came back nominal. All three were
chosen here, on 26 tuning tables made for the purpose, and only then measured on the
shipped datasets and the held-out tables (``discovery.py``, ``heldout.py``,
``scattered.py``, ``kinds.py``):

* ``digits-2/3/5/7/8``: one handwritten digit as the anomalies among the others (the
  held-out tables use 0 and 1), ``breast-b``: another draw of malignant tumours;
* ``classif-0..3``: scikit-learn's ``make_classification`` with a 3 % class, 1 to 3
  clusters per class, class separations 0.8 to 1.5 (one class of a real table as the
  anomalies, the shipped datasets' kind);
* two draws (seeds 1001, 1002) of each generator of ``generated.py``: clusters, shell,
  noisy, lowvar, dense, mixed, scattered (10,000 rows) and fraud (20,000 rows, budget
  200, three kinds); the held-out tables draw them with other seeds.

The variants named ``beliefs`` measure the fifth ranking, local Beta leaf beliefs as BALIF
learns them (:mod:`aad.beliefs`), which ships with a first look as the forest's order has
(README, *Which ranking the queue follows*): alone, first, in the saturating ranking's place,
without the first look, with a stronger prior, or left out (``four rankings, no beliefs
(before)``). The variants named ``tried:`` put another ranking in the learned model's place
(the update over every node of the path, weights per tree, the saturating ranking), an
explorer in the forest's place or beside it, a classifier on the labels, the learned model
and the beliefs blended, the beliefs of a second forest on 256 rows a tree, a forest of
two scales (half its trees on 256 rows), or another rule
in the champion's (fading records, Thompson sampling, records that credit every ranking
holding the labelled row in its top k, an open field, a challenger promoted only by a hit
or on probation, a first look at a ranking never asked, a streak kept across a change of
champion); see ``tried.py``. They lost too (probation tied), but for the forest's first
look with the streak kept, which won and is in the engine: the variants that swap a rule of
the queue (the ``tried:`` rules for the champion, the streak tests, ``strong``) run on the rule
before it, as when they were measured (:func:`first_look`), the one named ``no first look,
the streak reset (before)`` is that rule, and those named ``with the first look:`` try more on
top of it (a patience of 2; a look also while the forest's record has no miss, or at the
champion's first miss after 10 hits; a challenger when the other rankings agree). The variant
named ``(before)`` with "first anomaly" is the rule before the queue asked a challenger in a
dry spell before the first anomaly (``results/choose_first_anomaly.md``, 40 runs: as many
found, and the cluster between two modes of ``between.py`` found in more runs). The variants named ``trees``
grow 100 (the default before), 150, 300 or 400 trees instead of the 200 that ship
(``results/choose_trees.md``; chosen on 256 rows per tree, the default then, and measured
again on 512); those named
``samples`` grow each tree on 128, 256 (the default before), 384 or 1024 rows instead of the 512
that ship (``results/choose_samples.md``); ``feedback strength`` sets eta to 0.5 or 2;
``class balance`` sets the class-balance exponent beta to 0.6, 0.7, 0.9 or 1 instead of the 0.8
that ships, chosen on the shipped and held-out tables (``balance.py``) and checked here.
Those named ``strong`` measure the second ranking, the learned model at twice the strength,
and the round of challengers in a dry spell (``strong.py``): without it (the portfolio of
three, before), with one challenger per streak, challengers in turn, the strong ranking kept
after the first anomaly, fourth, or in the saturating ranking's place.
The other results files were written before these changes: their chosen column asks no
challenger before the first anomaly, on 100 trees of 256 rows (``choose_patience.md``: 200
trees of 256 rows).

Budget 100 (200 on fraud; a quarter of the rows on tables smaller than 400), 10 runs,
top-1 queries. Writes ``results/choose.md`` and ``results/choose.json``. ``--at N`` counts the
anomalies found after N labels instead (at most each table's budget; files ``..._atN``): at
200 labels the fraud tables are nearly exhausted, and how soon a queue turns to the next kind
shows at 50 or 100. ``--first-seed S`` runs seeds S onwards (files ``..._seedsS-E``).

    python benchmarks/choose.py [--reruns 10] [--workers 2]      # every variant (30 took 37 min, 2 cores)
    python benchmarks/choose.py --only beliefs --reruns 20       # the local beliefs, and without them
    python benchmarks/choose.py --only tried                     # other rankings and record rules, tried
    python benchmarks/choose.py --only "first anomaly" --reruns 40   # a challenger before the first anomaly
    python benchmarks/choose.py --only "trees " --reruns 20          # 200 trees against 100 to 400
    python benchmarks/choose.py --only "leads on probation" --reruns 20  # a rule for the champion, tried
    python benchmarks/choose.py --only "a first look" --reruns 20        # first looks, tried
    python benchmarks/choose.py --only "no first look" --reruns 20       # the rule before the first look
    python benchmarks/choose.py --only "with the first look:" --reruns 20  # patience 2, a look without a miss
    python benchmarks/choose.py --only "first miss after 10" --reruns 20  # a look when a clean run ends
    python benchmarks/choose.py --only "the others agree" --reruns 20    # a challenger the others agree on
    python benchmarks/choose.py --only samples --reruns 20           # 512 rows a tree against 128 to 1024
    python benchmarks/choose.py --only strength --reruns 20          # eta 1 against 0.5 and 2
    python benchmarks/choose.py --only "class balance" --reruns 20   # beta 0.8 against 0.6 to 1
    python benchmarks/choose.py --only strong --reruns 20          # the strong ranking, the round
    python benchmarks/choose.py --only "shrunk" --reruns 20        # records shrunk to the champion's rate
    python benchmarks/choose.py --only "margin of one miss"        # a new champion only by a margin
    python benchmarks/choose.py --only "class weights" --reruns 20  # the cap on the class weights
    python benchmarks/choose.py --only blend                   # the learned model and the beliefs blended
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import shlex
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from sklearn import datasets

import aad
from aad.portfolio import Portfolio, bandit
from aad.portfolio import queue as queue_module

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generated
import heldout
import strong
import tried

RESULTS = Path(__file__).with_name("results")
ALL = aad.model.RANKINGS  # feedback, strong, saturating, forest, beliefs
FOUR = tuple(r for r in ALL if r != "beliefs")  # the portfolio before the local leaf beliefs
THREE = ("feedback", "saturating", "forest")  # the portfolio before the strong ranking
CHOSEN = "**patience 4 (chosen)**"
#: name -> (queue, rankings, patience, max_backoff); the last three for the adaptive queue only.
VARIANTS = {
    "feedback only (before)": ("feedback", None, None, None),
    "forest only": ("forest", None, None, None),
    "patience 3": ("adaptive", ALL, 3, 4),
    CHOSEN: ("adaptive", ALL, 4, 4),
    "patience 6": ("adaptive", ALL, 6, 4),
    "patience 4, no doubling": ("adaptive", ALL, 4, 0),
    # the rule before aad asked a challenger in a dry spell before the first anomaly
    "no challenger before the first anomaly (before)": ("adaptive", ALL, 4, 4),
    # the forest's size: 200 trees ship (100 before), on tables up to 500,000 rows
    "trees 100 (before)": ("adaptive", ALL, 4, 4),
    "trees 150": ("adaptive", ALL, 4, 4),
    "trees 300": ("adaptive", ALL, 4, 4),
    "trees 400": ("adaptive", ALL, 4, 4),
    # rows per tree: 512 ship (256 before, the isolation forest's default)
    "samples 256 (before)": ("adaptive", ALL, 4, 4),
    "samples 128": ("adaptive", ALL, 4, 4),
    "samples 384": ("adaptive", ALL, 4, 4),
    "samples 1024": ("adaptive", ALL, 4, 4),
    # the feedback strength eta: 1 ships
    "feedback strength eta 0.5": ("adaptive", ALL, 4, 4),
    "feedback strength eta 2": ("adaptive", ALL, 4, 4),
    # the class balance beta: 0.8 ships, chosen on the shipped and held-out tables (balance.py)
    "class balance 0.6": ("adaptive", ALL, 4, 4),
    "class balance 0.7": ("adaptive", ALL, 4, 4),
    "class balance 0.9": ("adaptive", ALL, 4, 4),
    "class balance 1 (the papers')": ("adaptive", ALL, 4, 4),
    "without saturating": ("adaptive", tuple(r for r in ALL if r != "saturating"), 4, 4),
    "without forest": ("adaptive", tuple(r for r in ALL if r != "forest"), 4, 4),
    # the patience from the champion's record: a challenger when a streak of nominals this
    # long had less than 5 % (1 %) chance under the champion's hit rate: tried
    "streak test 5 %": ("adaptive", ALL, 0.05, 4),
    "streak test 1 %": ("adaptive", ALL, 0.01, 4),
    # local Beta leaf beliefs, as BALIF learns them (aad.beliefs): alone, first, in the saturating
    # ranking's place, or a fifth ranking without a first look (that is, asked only after a streak
    # of nominals, as the learned models are), with BALIF's prior weight 0.1 (shipped), 1 or 10
    "beliefs only": ("beliefs", None, None, None),
    "with beliefs, no first look for them": ("adaptive", ALL, 4, 4),
    "with beliefs, first": ("adaptive", ("beliefs", *FOUR), 4, 4),
    "beliefs for saturating": ("adaptive", ("feedback", "beliefs", "forest"), 4, 4),
    "beliefs only, prior 1": ("beliefs", None, None, None),
    "with beliefs, no first look for them, prior 1": ("adaptive", ALL, 4, 4),
    "beliefs only, prior 10": ("beliefs", None, None, None),
    "with beliefs, no first look for them, prior 10": ("adaptive", ALL, 4, 4),
    # rankings and record rules tried in the learned model's or the champion rule's place
    # (tried.py): measured, lost
    "tried: path update alone": ("paths", None, None, None),
    "tried: path update alone, eta 2": ("paths", None, None, None),
    "tried: path update for feedback": ("adaptive", ("paths", "saturating", "forest"), 4, 4),
    "tried: tree weights alone, gain 0.25": ("trees", None, None, None),
    "tried: tree weights alone, gain 0.5": ("trees", None, None, None),
    "tried: tree weights alone, gain 1": ("trees", None, None, None),
    "tried: tree weights for feedback": ("adaptive", ("trees", "saturating", "forest"), 4, 4),
    "tried: tree weights as a fourth ranking": ("adaptive", (*FOUR, "trees"), 4, 4),
    "tried: records fade 0.98": ("adaptive", ALL, 4, 4),
    "tried: records fade 0.95": ("adaptive", ALL, 4, 4),
    "tried: records fade 0.9": ("adaptive", ALL, 4, 4),
    # on the portfolio of three, as measured: with the strong ranking their champion could be a
    # ranking that proposes nothing after the first anomaly
    "tried: Thompson sampling": ("adaptive", THREE, 4, 4),
    "tried: credit the top 5": ("adaptive", ALL, 4, 4),
    "tried: credit the top 20": ("adaptive", ALL, 4, 4),
    "tried: credit the top 5, open": ("adaptive", ALL, 4, 4),
    "tried: credit the top 20, open": ("adaptive", ALL, 4, 4),
    "tried: saturating only": ("saturating", None, None, None),
    "tried: saturating first": ("adaptive", ("saturating", "feedback", "forest"), 4, 4),
    "tried: novel rows as a fourth ranking": ("adaptive", (*FOUR, "novel"), 4, 4),
    "tried: novel rows for forest": ("adaptive", ("feedback", "saturating", "novel"), 4, 4),
    # the strong ranking and the round of challengers in a dry spell (strong.py)
    "strong: none, three rankings (before)": ("adaptive", THREE, 4, 4),
    "strong: one challenger per streak in a dry spell": ("adaptive", ALL, 4, 4),
    "strong: challengers in turn in a dry spell": ("adaptive", ALL, 4, 4),
    "strong: kept after the first anomaly": ("adaptive", ALL, 4, 4),
    "strong: fourth": ("adaptive", (*THREE, "strong"), 4, 4),
    "strong: for saturating": ("adaptive", ("feedback", "strong", "forest"), 4, 4),
    "tried: an open field": ("adaptive", THREE, 4, 4),
    "tried: a challenger promoted only by a hit": ("adaptive", ALL, 4, 4),
    "tried: a challenger that leads on probation": ("adaptive", ALL, 4, 4),
    "tried: a first look while the champion hits at most half": ("adaptive", ALL, 4, 4),
    "tried: a first look at a record that beats the champion's": ("adaptive", ALL, 4, 4),
    "tried: a first look at a record that beats the champion's, the forest's only": ("adaptive", ALL, 4, 4),
    "tried: a first look at a record that beats the champion's, the forest's only, streak kept": (
        "adaptive",
        ALL,
        4,
        4,
    ),
    "tried: streak kept": ("adaptive", ALL, 4, 4),
    "no first look, the streak reset (before)": ("adaptive", ALL, 4, 4),
    "with the first look: patience 2": ("adaptive", ALL, 2, 4),
    "with the first look: also while the forest's record has no miss": ("adaptive", ALL, 4, 4),
    "with the first look: also at the champion's first miss after 10 hits": ("adaptive", ALL, 4, 4),
    "with the first look: a challenger when the others agree": ("adaptive", ALL, 4, 4),
    "tried: classifier alone": ("classifier", None, None, None),
    "tried: classifier as a fourth ranking": ("adaptive", (*FOUR, "classifier"), 4, 4),
    "tried: classifier first": ("adaptive", ("classifier", *ALL), 4, 4),
    "tried: classifier for saturating": ("adaptive", ("feedback", "classifier", "forest"), 4, 4),
    "tried: records shrunk toward the champion's": ("adaptive", ALL, 4, 4),
    "tried: a new champion by a margin of one miss": ("adaptive", ALL, 4, 4),
    # the row Different shows, as a ranking: the forest's order, rows the found anomalies claim last
    "tried: unlike the found for forest": ("adaptive", ("feedback", "strong", "saturating", "unlike"), 4, 4),
    "tried: unlike the found as a fifth ranking": ("adaptive", (*FOUR, "unlike"), 4, 4),
    # the beliefs' prior weight, with the shipped first look: 0.1 ships (BALIF's)
    "beliefs with the first look, prior 0.03": ("adaptive", ALL, 4, 4),
    "beliefs with the first look, prior 0.3": ("adaptive", ALL, 4, 4),
    # the learned model and the leaf beliefs blended, as ranks: alone, first, or a sixth ranking
    "tried: blend alone": ("blend", None, None, None),
    "tried: blend first": ("adaptive", ("blend", *ALL), 4, 4),
    "tried: blend as a sixth ranking": ("adaptive", (*ALL, "blend"), 4, 4),
    "tried: coarse beliefs alone": ("coarse", None, None, None),
    "tried: coarse beliefs as a sixth ranking": ("adaptive", (*ALL, "coarse"), 4, 4),
    "tried: coarse beliefs for beliefs": ("adaptive", (*FOUR, "coarse"), 4, 4),
    # a forest of two scales: half the trees on 512 rows, half on 256 (tried.TwoScaleForest)
    "tried: two scales": ("adaptive", ALL, 4, 4),
    # a deep dry spell handed to the leaf beliefs, which dig through their own nominals (tried.dig_step)
    "tried: dig, coarse beliefs, after 1 miss": ("adaptive", (*ALL, "coarse"), 4, 4),
    "tried: dig, coarse beliefs, after 2 misses": ("adaptive", (*ALL, "coarse"), 4, 4),
    "tried: dig, beliefs, after 1 miss": ("adaptive", ALL, 4, 4),
    # the portfolio without one of its rankings (measured again on the rules that ship)
    "tried: without saturating": ("adaptive", tuple(r for r in ALL if r != "saturating"), 4, 4),
    "tried: without strong": ("adaptive", tuple(r for r in ALL if r != "strong"), 4, 4),
    # one label of the rarer class weighs at most 10 labels of the other (max_ratio) ships
    "class weights uncapped (before)": ("adaptive", ALL, 4, 4),
    "class weights at most 4 to 1": ("adaptive", ALL, 4, 4),
    # the four rankings without the local beliefs (the beliefs ship as a fifth ranking, given a
    # first look as the forest's order is)
    "four rankings, no beliefs (before)": ("adaptive", FOUR, 4, 4),
}
#: Rankings that are not the engine's: the forest class that offers them.
_OFFERED_BY = {
    **dict.fromkeys(tried.TRIED, tried.TriedForest),
}
_SHIPPED = (queue_module.step, bandit._best)
_SHIPPED_LOOKS = bandit.PortfolioState._first_looks
_SHIPPED_MEANS = bandit.PortfolioState.means
_RECORD = queue_module.Portfolio.record


def _xy(nominal: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.vstack([nominal, anomalous]).astype(np.float64)
    return X, np.r_[np.zeros(len(nominal), bool), np.ones(len(anomalous), bool)]


@functools.cache
def tables() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name -> (X, y) of every tuning table, the same every time."""
    out = {}
    rng = np.random.default_rng(777)
    digits = datasets.load_digits()
    for k in (2, 3, 5, 7, 8):
        out[f"digits-{k}"] = _xy(*heldout._one_class(digits, k, 35, rng))
    out["breast-b"] = _xy(*heldout._one_class(datasets.load_breast_cancer(), 0, 15, rng))
    for s in (1, 2):
        r = np.random.default_rng(1000 + s)
        for name in ("clusters", "shell", "noisy", "lowvar", "dense", "mixed"):
            out[f"{name}-{s}"] = _xy(*generated.GENERATORS[name](r))
        out[f"scattered-{s}"] = _xy(*generated.scattered(r, rows=10_000))
        fraud = generated.fraud(r, rows=20_000)
        out[f"fraud-{s}"] = (fraud[generated.FRAUD_FEATURES].to_numpy(float), fraud["label"].to_numpy(bool))
    for i, (sep, clusters, n_features) in enumerate([(1.0, 1, 10), (1.5, 2, 12), (0.8, 1, 8), (1.2, 3, 16)]):
        out[f"classif-{i}"] = classification(sep, clusters, n_features, seed=500 + i)
    return out


#: The generators :func:`fresh_tables` draws from, beside ``classif`` (``make_classification``).
FRESH_KINDS = ("mixed", "dense", "lowvar", "shell", "noisy", "scattered")


@functools.cache
def fresh_tables(draws: int = 5) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fresh draws of the generated kinds (``--fresh``), on seeds no other table uses.

    ``draws`` tables of each kind of :data:`FRESH_KINDS` (scattered at 10,000 rows) and of
    ``make_classification`` with a 3 % class (class separation 0.8 to 1.4, 1 to 3 clusters per
    class, 8 to 16 features): a check of a choice on tables it was not made on.
    """
    out = {}
    for kind in FRESH_KINDS:
        for d in range(draws):
            rng = np.random.default_rng(5000 + 17 * d + len(kind))
            drawn = (
                generated.scattered(rng, rows=10_000)
                if kind == "scattered"
                else generated.GENERATORS[kind](rng)
            )
            out[f"{kind}-f{d}"] = _xy(*drawn)
    for d in range(draws):
        out[f"classif-f{d}"] = classification(0.8 + 0.15 * d, 1 + d % 3, 8 + 2 * d, seed=900 + d)
    return out


def classification(sep: float, clusters: int, n_features: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """5,000 rows of ``make_classification`` with a 3 % class as the anomalies."""
    X, y = datasets.make_classification(
        n_samples=5000,
        n_features=n_features,
        n_informative=4,
        n_redundant=2,
        n_clusters_per_class=clusters,
        weights=[0.97],
        class_sep=sep,
        flip_y=0,
        random_state=seed,
    )
    return X, y.astype(bool)


_EXPLORING = bandit.PortfolioState.exploring
_DUE = bandit.PortfolioState._due  # the shipped rule: a fixed patience, doubled per miss
#: Variants that swap a rule of the queue (and the rule before the first look itself): measured
#: before the forest's first look was in the engine, they run on the rule before it.
_RULES_BEFORE = (
    "no first look",
    "first look",
    "streak kept",
    "streak test",
    "fade ",
    "Thompson",
    "credit the top",
    "open field",
    "promoted only by a hit",
    "on probation",
    "strong: ",
    "no challenger before the first anomaly",
)


def first_look(variant: str) -> bool:
    """Whether ``variant`` runs with the forest's first look: all but those of ``_RULES_BEFORE``,
    and those named ``with the first look:``, which try more on top of it."""
    return variant.startswith("with the first look:") or not any(tag in variant for tag in _RULES_BEFORE)


def _streak_test(alpha: float) -> property:
    """``PortfolioState._due`` with the patience read off the champion's record: the
    shortest streak of nominals that a hit rate of ``means[champion]`` makes less likely than
    ``alpha``, doubled per challenger missed as in the shipped rule."""

    def due(state: bandit.PortfolioState) -> bool:
        if not state.found:
            return False
        rate = float(state.means[state.champion])
        needed = math.ceil(math.log(alpha) / math.log(1.0 - rate))
        return state.streak >= needed * 2 ** min(state.backoff, bandit.MAX_BACKOFF)

    return property(due)


def budget(name: str, n_rows: int) -> int:
    return 200 if name.startswith("fraud") else min(100, n_rows // 4)


def _settings(variant: str, seed: int) -> None:
    """Set the module settings a variant changes, and put back the shipped ones otherwise
    (a worker process runs many variants)."""
    _, _, patience, max_backoff = VARIANTS[variant]
    bandit.MAX_BACKOFF = 4 if max_backoff is None else max_backoff  # a module setting, read at each query
    aad.beliefs.STRENGTH = float(variant.split("prior ")[1]) if "prior " in variant else 0.1  # BALIF's
    tried.TREE_GAIN = float(variant.split("gain ")[1]) if "gain " in variant else 0.5
    coarse = ("coarse",) if "coarse beliefs" in variant else ()  # looked at as the beliefs are
    queue_module._LOOKED_AT = (*queue_module._FIXED, "beliefs", *coarse)
    queue_module.DRY_SPELL_ONLY = () if "kept after the first anomaly" in variant else strong.DRY_SPELL_ONLY
    one_per_streak = "one challenger per streak" in variant or "in turn" in variant
    bandit._dry = strong.one_challenger_dry if one_per_streak else strong.SHIPPED_DRY
    bandit.PortfolioState.challenger = (
        strong.challenger_in_turn if "in turn" in variant else strong.SHIPPED_CHALLENGER
    )
    exploring, due = _EXPLORING, _DUE if patience is None or patience >= 1 else _streak_test(patience)
    exploring, due = _rules(variant, seed, exploring, due)
    bandit.PortfolioState.exploring, bandit.PortfolioState._due = exploring, due


def _rules(variant: str, seed: int, exploring: property, due: property) -> tuple[property, property]:
    """Swap in the queue's rules a variant tries (``tried.py``), put back the shipped ones
    otherwise; returns the variant's ``exploring`` and ``_due``."""
    queue_module.step, bandit._best = _SHIPPED
    exploring = _looks(variant, exploring)
    _steps(variant)
    if "open field" in variant:
        bandit._best = tried.open_best
    if "margin of one miss" in variant:
        bandit._best = tried.margin_best
    if "shrunk toward the champion's" in variant:
        bandit._best = tried.shrunk_best
        bandit.PortfolioState.means = property(
            lambda state: tried.shrunk_means(state.hits, state.misses, state.champion)
        )
    else:
        bandit.PortfolioState.means = _SHIPPED_MEANS
    if "Thompson" in variant:
        bandit._best, due = tried.thompson_best(seed), property(lambda state: False)
    queue_module.Portfolio.record = _RECORD
    if "credit the top " in variant:
        k = int(variant.split("credit the top ")[1].split(",")[0])
        queue_module.Portfolio.record = tried.wide_record(k, open_field=variant.endswith("open"))
    return exploring, due


def _steps(variant: str) -> None:
    """Swap in the step rule a variant tries (after :func:`_rules` put back the shipped one)."""
    if "fade " in variant:
        queue_module.step = tried.faded_step(float(variant.split("fade ")[1]))
    if "promoted only by a hit" in variant:
        queue_module.step = tried.earned_step
    if "leads on probation" in variant:
        queue_module.step = tried.probation_step
    if "streak kept" in variant:
        queue_module.step = tried.kept_streak(queue_module.step)
    if "dig, " in variant:
        digger = 5 if "coarse" in variant else ALL.index("beliefs")
        queue_module.step = tried.dig_step(queue_module.step, digger, int(variant.split("after ")[1][0]))


def _looks(variant: str, exploring: property) -> property:
    """Swap in the first looks and challengers a variant tries; returns its ``exploring``."""
    bandit.PortfolioState._first_looks = tried.unmissed_looks if "no miss" in variant else _SHIPPED_LOOKS
    if "first miss after " in variant:
        clean = int(variant.split("first miss after ")[1].split()[0])
        bandit.PortfolioState._first_looks = tried.first_miss_looks(clean)
    if "the others agree" in variant:
        exploring, bandit.PortfolioState.challenger = tried.agreed_challenger()
    if "a first look" in variant:
        rule = "half" if "at most half" in variant else "beats"
        only = (ALL.index("forest"),) if "forest's only" in variant else None
        exploring, bandit.PortfolioState.challenger, queue_module.step = tried.first_look(rule, only=only)
    return exploring


def learner(variant: str, name: str, seed: int) -> aad.ActiveLearner:
    """The learner of one variant on one table with one seed, before any label."""
    queue, rankings, patience, _ = VARIANTS[variant]
    _settings(variant, seed)
    patience = bandit.PATIENCE if patience is not None and patience < 1 else patience
    X, _ = tables()[name]
    extra = {queue, *(rankings or ())} & set(_OFFERED_BY)
    forest = _OFFERED_BY[extra.pop()] if extra else aad.AADForest
    forest = tried.TwoScaleForest if "two scales" in variant else forest
    eta = float(variant.split("eta ")[1]) if "eta " in variant else 1.0
    trees = int(variant.split("trees ")[1].split()[0]) if "trees " in variant else None
    samples = int(variant.split("samples ")[1].split()[0]) if "samples " in variant else aad.model.SAMPLES
    balance = float(variant.split("balance ")[1].split()[0]) if "balance " in variant else aad.weights.BALANCE
    ratio = _max_ratio(variant)
    model = forest(
        random_state=seed, eta=eta, n_estimators=trees, max_samples=samples, balance=balance, max_ratio=ratio
    ).fit(X)
    single = queue in _OFFERED_BY or queue == "saturating"  # rankings the queue option does not name
    look = first_look(variant)
    out = aad.ActiveLearner(model, X, queue="feedback" if single else queue, first_look=look)
    if single:  # the ranking's own order, top-1 (a portfolio of one never explores)
        out.portfolio = Portfolio(model, rankings=(queue,))
    if rankings is not None:
        early = "no challenger before the first anomaly" not in variant
        out.portfolio = Portfolio(
            model, rankings=rankings, patience=patience, explores_early=early, first_look=look
        )
    if "no first look for them" in variant:  # the beliefs asked only after a streak, as before
        looks = tuple(i for i, name in enumerate(rankings) if name == "forest")
        state = out.portfolio.state
        out.portfolio.state = bandit.PortfolioState.start(
            len(rankings),
            patience=state.patience,
            explores_early=state.explores_early,
            looks=looks,
            keeps_streak=True,
        )
    return out


def _max_ratio(variant: str) -> float | None:
    """The cap on the class weights a variant sets (:data:`aad.weights.MAX_RATIO` ships)."""
    if "uncapped" in variant:
        return None
    if "weights at most " in variant:
        return float(variant.split("weights at most ")[1].split()[0])
    return aad.weights.MAX_RATIO


def run(job: tuple[str, str, int, int | None]) -> tuple[str, str, int]:
    """Anomalies found by one variant on one table with one seed, after the table's budget
    (or after ``at`` labels, when fewer)."""
    variant, name, seed, at = job
    active, y = learner(variant, name, seed), tables()[name][1]
    for _ in range(min(budget(name, len(y)), at or len(y))):
        row = int(active.next_queries(1)[0])
        active.label(row, int(y[row]))
    return variant, name, int(active.n_anomalies)


def table(found: dict, reruns: int, variants: list[str], command: str) -> str:
    names = list(tables())
    mean = {(v, n): float(np.mean(found[(v, n)])) for v in variants for n in names}
    lines = ["| table | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
    lines += [f"| {n} | " + " | ".join(f"{mean[(v, n)]:.1f}" for v in variants) + " |" for n in names]
    totals = [sum(mean[(v, n)] for n in names) for v in variants]
    lines.append("| **total** | " + " | ".join(f"**{t:.1f}**" for t in totals) + " |")
    lines.append(
        "| against the chosen, paired by seed | "
        + " | ".join(_paired(found, v, names) for v in variants)
        + " |"
    )
    what = "Fresh draws of the generated kinds" if "--fresh" in command else "Tuning tables"
    return f"{what}, {reruns} runs each (`{command}`)\n\n" + "\n".join(lines)


def _paired(found: dict, variant: str, names: list[str]) -> str:
    """``variant``'s total minus the chosen's, run by run (same seeds), and its standard error."""
    if variant == CHOSEN:
        return ""
    runs = len(found[(CHOSEN, names[0])])
    gaps = np.array([sum(found[(variant, n)][i] - found[(CHOSEN, n)][i] for n in names) for i in range(runs)])
    se = gaps.std(ddof=1) / np.sqrt(runs) if runs > 1 else float("nan")
    return f"{gaps.mean():+.1f} (SE {se:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed of the runs")
    parser.add_argument(
        "--at", type=int, help="count the anomalies found after this many labels (at most each budget)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="run on fresh draws of the generated kinds instead (files ..._fresh)",
    )
    parser.add_argument(
        "--only", help="run the variants whose name holds this text (writes results/choose_ONLY.md)"
    )
    args = parser.parse_args()
    variants = [v for v in VARIANTS if args.only is None or args.only in v]
    if not variants:
        parser.error(f"no variant's name holds {args.only!r}; the variants: {', '.join(VARIANTS)}")
    if CHOSEN not in variants:  # always beside what ships
        variants.insert(0, CHOSEN)
    seeds = range(args.first_seed, args.first_seed + args.reruns)
    if args.fresh:  # the workers are forked: they see the fresh tables too
        global tables
        tables = fresh_tables
    jobs = [(v, n, s, args.at) for v in variants for n in tables() for s in seeds]
    found: dict = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for variant, name, n in pool.map(run, jobs, chunksize=4):
            found.setdefault((variant, name), []).append(n)
    RESULTS.mkdir(exist_ok=True)
    only = None if args.only is None else re.sub(r"[^A-Za-z0-9.%-]+", "_", args.only).strip("_")
    stem = "choose" if only is None else f"choose_{only}"  # a name any file system takes
    stem += "" if args.at is None else f"_at{args.at}"
    stem += "" if args.first_seed == 0 else f"_seeds{seeds[0]}-{seeds[-1]}"
    stem += "_fresh" if args.fresh else ""
    command = "python benchmarks/choose.py" + (
        "" if args.only is None else f" --only {shlex.quote(args.only)}"
    )
    command += "" if args.reruns == 10 else f" --reruns {args.reruns}"
    command += "" if args.at is None else f" --at {args.at}"
    command += "" if args.first_seed == 0 else f" --first-seed {args.first_seed}"
    command += " --fresh" if args.fresh else ""
    text = table(found, args.reruns, variants, command)
    (RESULTS / f"{stem}.md").write_text(text + "\n")
    (RESULTS / f"{stem}.json").write_text(json.dumps({f"{v} | {n}": f for (v, n), f in found.items()}))
    print(text)


if __name__ == "__main__":
    main()
