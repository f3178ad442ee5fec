"""Fusion: combine the dense and lexical views of each paragraph into one score.

Two methods, chosen by ``Settings.fusion`` and compared with ``python -m qa eval --fusion``:

- ``rrf``: reciprocal-rank fusion, score = sum over views of w / (k + rank), Cormack, Clarke &
  Buettcher (SIGIR 2009), k = 60 as in the paper. Robust to score scales, but throws away how
  far apart scores are.
- ``weighted`` (the default): each view's scores min-max normalised over the paragraphs searched, then a
  weighted sum. Keeps score gaps: a paragraph that is far ahead in one view stays ahead.

Measured on eval/questions.jsonl with the bundled model (dense 1.0, lexical 0.5 or 0.8):
weighted reached hit@1 0.867 / MRR@10 0.920, RRF 0.806 / 0.871; RRF's scores (about 1/60) also
leave no room for the document-cue boost to act as a graded signal. Hence ``weighted``.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from qa.errors import ConfigError

RRF_K = 60  # from the paper


class Fusion(str, Enum):
    RRF = "rrf"
    WEIGHTED = "weighted"

    @classmethod
    def parse(cls, value: str) -> "Fusion":
        try:
            return cls(value)
        except ValueError:
            raise ConfigError(f"fusion {value!r} is not one of {', '.join(m.value for m in cls)}") from None


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, best (highest) first; ties broken by position."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def rrf(views: list[np.ndarray], weights: list[float], k: int = RRF_K) -> np.ndarray:
    """Reciprocal-rank fusion of score arrays over the same items."""
    return sum(w / (k + _ranks(v)) for v, w in zip(views, weights))


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1]; all-equal scores become zeros (they tell nothing apart)."""
    low, high = float(scores.min()), float(scores.max())
    return np.zeros_like(scores, dtype=np.float64) if high - low < 1e-12 else (scores - low) / (high - low)


def weighted(views: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """Weighted sum of min-max normalised score arrays over the same items."""
    return sum(w * minmax(v.astype(np.float64)) for v, w in zip(views, weights))


def fuse(method: Fusion, views: list[np.ndarray], weights: list[float]) -> np.ndarray:
    if len(views) != len(weights):
        raise ConfigError(f"{len(views)} score views but {len(weights)} weights; give one weight per view")
    if method is Fusion.RRF:
        return rrf(views, weights)
    return weighted(views, weights)


# Candidates re-ranked for diversity; beyond these the order is left as it was.
DIVERSITY_DEPTH = 20


def diversify(order: list[int], scores: np.ndarray, groups: list[str], penalty: float,
              depth: int = DIVERSITY_DEPTH) -> tuple[list[int], np.ndarray]:
    """Re-rank so one group (document) does not fill the top: maximal marginal relevance
    (Carbonell & Goldstein, SIGIR 1998) with "from the same document" as the redundancy.

    Greedily picks, among the first ``depth`` items of ``order``, the one whose score minus
    ``penalty`` times their score range times the number already picked from its group is highest.
    The first pick is always the best item.

    Returns:
        The new order, and the scores with each item's penalty taken off (in the scores' own units),
        so they still decrease down the new order.
    """
    head, tail = list(order[:depth]), list(order[depth:])
    if penalty <= 0 or len(head) < 2:
        return list(order), scores
    values = scores[head].astype(np.float64)
    step = penalty * (float(values.max() - values.min()) or 1.0)
    adjusted = scores.astype(np.float64).copy()
    picked: list[int] = []
    taken: dict[str, int] = {}

    def penalised(i: int) -> float:
        return float(scores[i]) - step * taken.get(groups[i], 0)

    while head:
        best = max(head, key=penalised)
        head.remove(best)
        adjusted[best] = penalised(best)
        taken[groups[best]] = taken.get(groups[best], 0) + 1
        picked.append(best)
    for i in range(1, len(picked)):  # strictly decreasing down the new order, ties included
        adjusted[picked[i]] = min(adjusted[picked[i]], adjusted[picked[i - 1]] - 1e-9)
    floor = adjusted[picked[-1]]
    for i in tail:
        adjusted[i] = min(adjusted[i], floor - 1e-9)
        floor = adjusted[i]
    return picked + tail, adjusted
