"""Highlights: the one or two sentences of a paragraph that best answer the question.

A sentence scores by its dense similarity to the question plus a little for sharing the
question's rarer words (``highlight_lexical``, weighted by inverse document frequency, so a rare
"2396" marks its sentence more than a common "UNSCR"); a second sentence joins the first when it
scores within ``highlight_margin`` of it.
"""

from __future__ import annotations

from qa.types import Passage


def spans(sentences: list[tuple[Passage, float, frozenset[str]]], wanted: dict[str, float],
          lexical_weight: float, margin: float, paragraph_length: int) -> list[tuple[int, int]]:
    """Offsets of the highlighted sentences inside their paragraph.

    Args:
        sentences: each sentence of the paragraph with its similarity to the question and its BM25 words.
        wanted: the question's BM25 words with their inverse document frequency.
        paragraph_length: the whole paragraph is the span when it has no sentences.
    """
    if not sentences:
        return [(0, paragraph_length)]
    total = sum(wanted.values())
    scored = []
    for passage, similarity, words in sentences:
        shared = sum(weight for t, weight in wanted.items() if t in words)
        overlap = shared / total if wanted else 0.0
        scored.append((similarity + lexical_weight * overlap, passage.start, passage.end))
    scored.sort(key=lambda t: -t[0])
    out = [(scored[0][1], scored[0][2])]
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - margin:
        out.append((scored[1][1], scored[1][2]))
    return out
