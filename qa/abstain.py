"""Abstention: whether the collection answers a question at all, and if not, why.

Two signals, both explained in ``QuerySettings``: the mean dense similarity of the best few
paragraphs (``confidence``), and whether any of the question's topic words occurs in the
collection at all (a near-subject question such as "Russia's invasion of Ukraine" can sound
close to counter-terrorism prose while the statements never speak of it).
"""

from __future__ import annotations

import numpy as np

from qa.analyze import Analyzer
from qa.config import QuerySettings
from qa.types import Query, Verdict


def confidence(best: np.ndarray, top: int) -> float:
    """Mean of the ``top`` highest similarities (fewer when there are fewer)."""
    values = np.sort(np.asarray(best))[-top:]
    return float(values.mean()) if len(values) else 0.0


def unknown_topic(query: Query, analyzer: Analyzer, vocabulary: frozenset[str], ubiquitous: frozenset[str]) -> list[str]:
    """The question's topic words when not one of them occurs in the collection, else [].

    Aliases count in their canonical form and lay words the profile knows count as known; words in
    most paragraphs ("ISIS") are not topic words. A question with no topic words left ("what did
    they say?") is not judged here.
    """
    if query.lay_terms:
        return []
    words = {w: [t for t in analyzer.terms(analyzer.canonical(w)) if t not in ubiquitous] for w in query.topic_words}
    tokens = [t for ts in words.values() for t in ts]
    if not tokens or any(t in vocabulary for t in tokens):
        return []
    return [w for w, ts in words.items() if ts]


def judge(query: Query, best: np.ndarray, unknown: list[str], settings: QuerySettings) -> Verdict:
    """Answerable or not, from the admitted candidates' best similarities and the unknown topic words."""
    conf = confidence(best, settings.confidence_top)
    answerable = conf >= settings.abstain_threshold
    if unknown and answerable and conf < settings.unknown_topic_override:
        answerable = False
    notes = (f"the collection never uses the words {', '.join(repr(w) for w in unknown)}",) if unknown and not answerable else ()
    return Verdict(answerable, round(conf, 4), notes)
