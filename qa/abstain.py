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
from qa.types import Candidates, Query, Verdict


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


def missing_words(query: Query, analyzer: Analyzer, vocabulary: frozenset[str]) -> list[str]:
    """The question's topic words of which the collection uses none (in its own spelling)."""
    out = []
    for word in query.topic_words:
        terms = analyzer.terms(analyzer.canonical(word))
        if terms and not any(t in vocabulary for t in terms):
            out.append(word)
    return out


def signals(query: Query, candidates: Candidates, top_id: str | None, missing: list[str],
            unknown_weight: float) -> dict[str, float]:
    """What abstention reads of one search, each scale-free or in the model's cosine units.

    - ``dense_top`` / ``dense_mean3``: the best passage similarity, and the mean of the best three;
    - ``dense_spread``: how far the best stands above the candidates' median;
    - ``coverage_top``: the largest share of the question's BM25 weight one paragraph matches;
    - ``coverage_answer``: that share for the paragraph ranked first;
    - ``agree``: 1 when the dense view's best paragraph is also among the word view's best three;
    - ``coverage_all``: ``coverage_top`` counting the words the collection lacks at the highest weight;
    - ``missing_share``: the share of the question's topic words the collection never uses;
    - ``all_missing``: 1 when it uses none of them;
    - ``missing_name``: 1 when one of those is a name or number (capitalised, or with a digit);
    - ``view<n>_top`` / ``view<n>_mean3``: the best similarities in the n-th further model's space.
    """
    best = np.asarray(candidates.best, dtype=np.float64)
    bound = candidates.lexical_bound
    covered = candidates.lexical.astype(np.float64) / bound if bound > 0 else np.zeros(len(best))
    ids = candidates.ids
    dense_best = ids[int(np.argmax(best))] if len(best) else None
    word_best = {ids[i] for i in np.argsort(-covered, kind="stable")[:3] if covered[i] > 0}
    topic = [w for w in query.topic_words]
    views = {}
    for n, view in enumerate(candidates.view_best, start=1):
        views[f"view{n}_top"] = float(np.max(view)) if len(view) else 0.0
        views[f"view{n}_mean3"] = confidence(view, 3)
    return {
        **views,
        "dense_top": float(best.max()) if len(best) else 0.0,
        "dense_mean3": confidence(best, 3),
        "dense_spread": float(best.max() - np.median(best)) if len(best) else 0.0,
        "coverage_top": float(covered.max()) if len(covered) else 0.0,
        "coverage_answer": float(covered[ids.index(top_id)]) if top_id in ids else 0.0,
        "agree": float(dense_best in word_best),
        "coverage_all": (float(covered.max()) * bound / (bound + unknown_weight * len(missing))
                         if len(covered) and bound > 0 else 0.0),
        "missing_share": len(missing) / len(topic) if topic else 0.0,
        "all_missing": float(bool(topic) and len(missing) == len(topic)),
        "missing_name": float(any(w[:1].isupper() or any(c.isdigit() for c in w) for w in missing)),
    }
