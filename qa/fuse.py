"""Fusion: the views of each candidate paragraph (dense, words, phrases) combined into one score.

Two methods, chosen by ``QuerySettings.fusion`` and compared with ``python -m qa eval --fusion``:

- ``rrf``: reciprocal-rank fusion, score = sum over views of w / (k + rank), Cormack, Clarke &
  Buettcher (SIGIR 2009), k = 60 as in the paper. Robust to score scales, but throws away how
  far apart scores are.
- ``weighted``: each view's scores min-max normalised over the candidates, then a weighted sum.
  Keeps score gaps: a paragraph that is far ahead in one view stays ahead. But min-max stretches
  a weak view to the full range: when a question shares only common words with every paragraph
  (a paraphrase), the best of those weak matches still counts 1.0 and outvotes the embedding.
- ``coverage``: the dense view min-max normalised as above, the word view as the share of the
  question it covers (BM25 score over the score a paragraph matching every question word would
  approach, ``Candidates.lexical_bound``), and the phrase view min-max scaled by the best
  coverage. A question the paragraphs barely share words with is then ranked by meaning. With
  ``QuerySettings.lexical_unknown`` (off by default: see its measurements) each question word no
  paragraph has adds to that bound (``Candidates.lexical_unknown``), so that a question whose only
  word the collection knows is "Iraq" does not cover itself wholly in every paragraph naming Iraq.
  A question whose weight is all but all in one word ("vacuums", "What did the Coalition say about
  hawala?", ``Candidates.main_word``) is covered by every paragraph holding that word, however long
  the paragraph or however seldom it repeats the word: its coverage is lifted towards that word's
  share by ``QuerySettings.one_word_hold`` (a lone word is what the embedding reads worst, so the
  paragraphs holding it are what the question asks for).

Measured on eval/questions.jsonl with the bundled model (dense 1.0, lexical 0.5 or 0.8):
weighted reached hit@1 0.867 / MRR@10 0.920, RRF 0.806 / 0.871; RRF's scores (about 1/60) also
leave no room for the document-cue boost to act as a graded signal. Hence ``weighted``.
"""

from __future__ import annotations

import numpy as np

from qa.config import Fusion, Mode, QuerySettings
from qa.errors import ConfigError
from qa.types import Candidates

RRF_K = 60  # from the paper


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


def word_coverage(candidates: Candidates, one_word_hold: float = 0.0) -> np.ndarray:
    """How much of the question each candidate's words cover, 0 to 1 (see the module's docstring)."""
    bound = candidates.lexical_bound + candidates.lexical_unknown
    share = candidates.lexical.astype(np.float64) / bound if bound > 0 else np.zeros(len(candidates.ids))
    if candidates.main_word is not None and one_word_hold > 0:  # holding the one word is covering it
        share = (1 - one_word_hold) * share + one_word_hold * candidates.main_word
    return share


def coverage(candidates: Candidates, weights: list[float], one_word_hold: float = 0.0) -> np.ndarray:
    """Coverage fusion of the dense, word and phrase views (see the module's docstring)."""
    covered = word_coverage(candidates, one_word_hold)
    phrase = minmax(candidates.phrase.astype(np.float64)) * (covered.max() if len(covered) else 0.0)
    w_dense, w_lexical, w_phrase = weights
    return w_dense * minmax(candidates.dense.astype(np.float64)) + w_lexical * covered + w_phrase * phrase


def fuse(method: Fusion, views: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """One score per item from several views' scores of the same items."""
    if len(views) != len(weights):
        raise ConfigError(f"{len(views)} score views but {len(weights)} weights; give one weight per view")
    if method is Fusion.RRF:
        return rrf(views, weights)
    return weighted(views, weights)  # coverage needs the candidates' bound: see fuse_candidates


def fuse_candidates(candidates: Candidates, settings: QuerySettings) -> np.ndarray:
    """The fused score of each candidate (aligned with ``candidates.ids``), views chosen by the mode."""
    if settings.mode is Mode.DENSE:
        return fuse(settings.fusion, [candidates.dense], [settings.weight_dense])
    if settings.mode is Mode.BM25:
        return fuse(settings.fusion, [candidates.lexical], [settings.weight_lexical])
    if settings.fusion is Fusion.COVERAGE:
        return coverage(candidates, [settings.weight_dense, settings.weight_lexical, settings.weight_phrase],
                        settings.one_word_hold)
    return fuse(settings.fusion, [candidates.dense, candidates.lexical, candidates.phrase],
                [settings.weight_dense, settings.weight_lexical, settings.weight_phrase])
