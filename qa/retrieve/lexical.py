"""Lexical retrieval with bm25s: BM25 over term lists made by ``qa.analyze`` (words, or word pairs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.analyze import bm25s_module as _bm25s

EMPTY_TERM = "\x00"  # never made by the analyzer


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75: bm25s's defaults) over one term list per paragraph.

    The phrase view is the same index over each paragraph's adjacent word pairs
    (``qa.analyze.word_pairs``): a paragraph that has the question's exact phrase ("Egmont Group",
    "Force Command in Tampa") then scores by how rare that phrase is, which word-level BM25 and
    embeddings both miss ("Group" alone matches many paragraphs).
    """

    def __init__(self, retriever, size: int):
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, term_lists: list[list[str]]) -> "LexicalIndex":
        bm25s = _bm25s()
        retriever = bm25s.BM25()
        if term_lists and not any(term_lists):
            # bm25s cannot index an empty vocabulary (all paragraphs one word: no word pairs);
            # a term no text makes keeps every row scoring zero.
            term_lists = [[EMPTY_TERM], *term_lists[1:]]
        retriever.index(term_lists, show_progress=False)
        return cls(retriever, len(term_lists))

    def scores(self, terms: list[str] | tuple[str, ...], allowed: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row for the terms (zeros where none is known, and where not allowed)."""
        known = [t for t in terms if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        mask = None if allowed is None else allowed.astype(np.float32)
        return np.asarray(self._retriever.get_scores(known, weight_mask=mask), dtype=np.float32)

    def top(self, terms, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k best rows with a positive score, best first."""
        scores = self.scores(terms, allowed)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = positive[np.argsort(-scores[positive], kind="stable")]
        return scores[order], order

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        bm25s = _bm25s()
        # Memory-mapped: a large index's postings are read as searches touch them.
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=True), size)
