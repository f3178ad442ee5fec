"""Ranking policy: from fused scores to the order an answer shows, with the score it is ordered by.

- documents a question names are lifted (``cue_boost``); news reports sit a little below the
  official statements (``news_penalty``) unless the question asks for news;
- an official paragraph never ranks below the news paragraph that repeats it;
- questions across documents get one paragraph per document first (``diversify``);
- an optional cross-encoder re-scores the head (``rerank``);
- paragraphs a question asks for outright (by their citation, or as writing its quoted words)
  come before all others (``first``).

Each step returns a new array or ``Ranking``; ``Ranking.scores`` never increase down the list.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from qa.config import QuerySettings
from qa.types import Query, Ranking

# Gap that keeps scores strictly decreasing where a step forces an order on equal scores.
EPSILON = 1e-9


def adjust(fused: np.ndarray, query: Query, doc_ids: Sequence[str], is_news: np.ndarray,
           settings: QuerySettings, mentions_year: np.ndarray | None = None) -> np.ndarray:
    """Fused scores with the document-cue boost and the news penalty applied.

    A question naming statements as documents ("the Zürich statement") asks what they say: their
    paragraphs are lifted above every other (by the scores' range besides ``cue_boost``). A year or
    place alone only lifts them by ``cue_boost``, since it may be the topic ("Mosul in 2017"), and so
    does a news word ("social media" is no wish for the news reports).

    Args:
        mentions_year: for each paragraph, whether its text mentions one of ``query.cue_years``: a
            year alone lifts those as much as the statements dated that year, since what happened
            in a year is often reported by the next year's statement.
    """
    out = fused.astype(np.float64)
    if query.cue_doc_ids:
        cued = np.array([d in query.cue_doc_ids for d in doc_ids], dtype=bool)
        if mentions_year is not None and lifts_mentions(query):
            cued = cued | np.asarray(mentions_year, dtype=bool)
        out = out + settings.cue_boost * cued
        if query.names_documents and len(out):
            out = out + float(fused.max() - fused.min()) * (cued & ~np.asarray(is_news, dtype=bool))
    if not query.asks_for_news:
        out = out - settings.news_penalty * is_news
    return out


def lifts_mentions(query: Query) -> bool:
    """Whether ``adjust`` lifts the paragraphs that mention the question's years: a year cues
    documents, and the question does not name them as documents."""
    return bool(query.cue_doc_ids and query.cue_years and not query.names_documents)


def within_reach(scores: np.ndarray, lift: float, depth: int) -> np.ndarray:
    """Which items a lift of at most ``lift`` could bring among the first ``depth``.

    At least ``depth`` items score at or above the ``depth``-th best, and lifts only raise them,
    so an item more than ``lift`` below it stays out of the head whatever is lifted: a search
    need not read its text to decide.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if depth <= 0 or len(scores) <= depth:
        return np.ones(len(scores), dtype=bool)
    bar = np.partition(scores, len(scores) - depth)[len(scores) - depth]
    return scores + lift >= bar


def lift_official(ids: Sequence[str], scores: np.ndarray,
                  twins: Sequence[tuple[str, str]] | Mapping[str, Sequence[str]]) -> np.ndarray:
    """Scores where each official paragraph is at least just above the news paragraph repeating it.

    Args:
        twins: (news paragraph id, official paragraph id) pairs, or the same grouped by news
            paragraph (``group_twins``: what a search passes, so its cost follows the candidates,
            not the number of links in the collection).
    """
    grouped = twins if isinstance(twins, Mapping) else group_twins(twins)
    out = scores.astype(np.float64).copy()
    row = {pid: i for i, pid in enumerate(ids)}
    for pid, i in row.items():
        for official in grouped.get(pid, ()):
            j = row.get(official)
            if j is not None and out[j] <= out[i]:
                out[j] = out[i] + 1e-6
    return out


def group_twins(twins: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """(news, official) pairs as news paragraph id -> the official paragraphs it repeats."""
    grouped: dict[str, list[str]] = {}
    for news, official in twins:
        grouped.setdefault(news, []).append(official)
    return {news: tuple(officials) for news, officials in grouped.items()}


def order(ids: Sequence[str], scores: np.ndarray) -> Ranking:
    """Best first; equal scores keep the order of ``ids`` (collection order)."""
    rows = np.argsort(-scores, kind="stable")
    return Ranking(tuple(ids[i] for i in rows), tuple(float(scores[i]) for i in rows))


def first(ranking: Ranking, ids: Sequence[str], floor: float | None = None) -> Ranking:
    """``ids`` (in their order, each once; any of them may be missing from the ranking) before
    every other item, which keep their order and scores. Each of ``ids`` scores its own score or
    ``floor``, whichever is higher (default: the best score of the others; one not ranked scores
    ``floor``), made non-increasing down the list."""
    brought = set(ids)
    rest = [(pid, s) for pid, s in zip(ranking.ids, ranking.scores) if pid not in brought]
    floor = max((s for _, s in rest), default=0.0) if floor is None else floor
    own = dict(zip(ranking.ids, ranking.scores))
    scores, last = [], np.inf
    for pid in ids:
        last = min(last, max(own.get(pid, floor), floor))
        scores.append(float(last))
    return Ranking(tuple(ids) + tuple(p for p, _ in rest), tuple(scores) + tuple(s for _, s in rest))


def diversify(ranking: Ranking, group_of: Callable[[str], str], penalty: float, depth: int) -> Ranking:
    """Re-rank so one group (document) does not fill the top: maximal marginal relevance
    (Carbonell & Goldstein, SIGIR 1998) with "from the same document" as the redundancy.

    Among the first ``depth`` items, greedily picks the one whose score minus ``penalty`` times
    the head's score range times the number already picked from its group is highest; the first
    pick is always the best item. Each item's score is its penalised score, made strictly
    decreasing down the new order, and the tail keeps its order below the head.
    """
    head = list(range(min(depth, len(ranking.ids))))
    if penalty <= 0 or len(head) < 2:
        return ranking
    scores = ranking.scores
    values = [scores[i] for i in head]
    step = penalty * (float(max(values) - min(values)) or 1.0)
    taken: dict[str, int] = {}
    picked: list[tuple[int, float]] = []

    def penalised(i: int) -> float:
        return float(scores[i]) - step * taken.get(group_of(ranking.ids[i]), 0)

    while head:
        best = max(head, key=penalised)
        head.remove(best)
        picked.append((best, penalised(best)))
        group = group_of(ranking.ids[best])
        taken[group] = taken.get(group, 0) + 1
    new_ids, new_scores = [], []
    floor = np.inf
    for i, score in picked + [(i, scores[i]) for i in range(len(picked), len(ranking.ids))]:
        floor = min(score, floor - EPSILON) if new_scores else score
        new_ids.append(ranking.ids[i])
        new_scores.append(floor)
    return Ranking(tuple(new_ids), tuple(new_scores))


def rerank(ranking: Ranking, scores_of: Callable[[list[str]], list[float]], depth: int) -> Ranking:
    """The first ``depth`` items re-scored (by a cross-encoder) and re-ordered; the tail keeps its
    order, its scores shifted to sit below the head's lowest."""
    head = list(ranking.ids[:depth])
    if not head:
        return ranking
    new = scores_of(head)
    if len(new) != len(head):
        raise ValueError(f"the reranker gave {len(new)} scores for {len(head)} paragraphs")
    pairs = sorted(zip(new, range(len(head))), key=lambda t: (-t[0], t[1]))
    ids = [head[i] for _, i in pairs]
    out = [float(s) for s, _ in pairs]
    tail = ranking.scores[depth:]
    if tail:
        shift = out[-1] - ranking.scores[depth - 1] - EPSILON
        out += [s + shift for s in tail]
    return Ranking(tuple(ids + list(ranking.ids[depth:])), tuple(out))
