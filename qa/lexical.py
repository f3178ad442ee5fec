"""Lexical retrieval: BM25 over paragraphs (with their document context), using bm25s."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

STOPWORDS = "english"
_stemmer = None


def _tokenize(texts: list[str]):
    import bm25s
    import Stemmer

    global _stemmer
    if _stemmer is None:
        _stemmer = Stemmer.Stemmer("english")
    return bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=_stemmer, show_progress=False)


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75: bm25s's defaults) over one text per paragraph."""

    def __init__(self, retriever, size: int):
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        retriever = bm25s.BM25()
        retriever.index(_tokenize(texts), show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every paragraph for the query (zeros where no term matches)."""
        known = [t for t in self.tokens(query) if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def document_frequency(self) -> dict[str, float]:
        """Share of paragraphs each indexed (stemmed) word occurs in."""
        r = self._retriever
        counts = np.diff(np.asarray(r.scores["indptr"]))
        total = max(int(r.scores["num_docs"]), 1)
        # bm25s keeps an empty token at the end of its vocabulary, with no column of its own.
        return {token: float(counts[i]) / total for token, i in r.vocab_dict.items() if token and i < len(counts)}

    @staticmethod
    def tokens(text: str) -> list[str]:
        """The stemmed words BM25 makes of a text (stopwords removed), in order."""
        tokenized = _tokenize([text])
        inverse = {i: t for t, i in tokenized.vocab.items()}
        return [inverse[i] for i in tokenized.ids[0]]

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), size)


_STOPWORDS: frozenset[str] | None = None


def terms(text: str) -> set[str]:
    """Stemmed content words of a text (stopwords removed), for sentence-level overlap."""
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN

    global _stemmer, _STOPWORDS
    if _stemmer is None:
        _stemmer = Stemmer.Stemmer("english")
    if _STOPWORDS is None:
        _STOPWORDS = frozenset(STOPWORDS_EN)
    words = [w for w in re.findall(r"\w\w+", text.lower()) if w not in _STOPWORDS]
    return set(_stemmer.stemWords(words))
