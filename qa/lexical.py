"""Lexical retrieval with bm25s: BM25 over paragraph words, and over adjacent word pairs (phrases)."""

from __future__ import annotations

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

    def terms(self, text: str) -> list[str]:
        """The index terms of a text: its BM25 words."""
        return self.tokens(text)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every paragraph for the query (zeros where no term matches)."""
        return self.scores_of_terms(self.terms(query))

    def scores_of_terms(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every paragraph for terms already made by ``terms`` (zeros where none is known)."""
        known = [t for t in terms if t in self._retriever.vocab_dict]
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
        return LexicalIndex.token_lists([text])[0]

    @staticmethod
    def token_lists(texts: list[str]) -> list[list[str]]:
        """``tokens`` of many texts in one call (tokenizing one at a time costs more)."""
        if not texts:
            return []
        tokenized = _tokenize(texts)
        inverse = {i: t for t, i in tokenized.vocab.items()}
        return [[inverse[i] for i in ids] for ids in tokenized.ids]

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), size)


def word_pairs(tokens: list[str]) -> list[str]:
    """Adjacent pairs of BM25 words ("egmont_group"): a phrase as one term (stopwords already out)."""
    return [f"{a}_{b}" for a, b in zip(tokens, tokens[1:])]


class PhraseIndex(LexicalIndex):
    """BM25 over each paragraph's adjacent word pairs: a paragraph that has the question's exact
    phrase ("Egmont Group", "Force Command in Tampa") scores by how rare that phrase is.

    Word-level BM25 and embeddings both miss this: "Group" alone matches many paragraphs, and the
    embedding of a short name is close to any paragraph about groups. Indexing word pairs as
    terms (shingles) lets BM25's inverse document frequency weigh phrases as it weighs words.
    """

    @classmethod
    def build(cls, texts: list[str]) -> "PhraseIndex":
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([word_pairs(tokens) for tokens in LexicalIndex.token_lists(texts)] or [[]], show_progress=False)
        return cls(retriever, len(texts))

    def terms(self, text: str) -> list[str]:
        """The index terms of a text: its adjacent pairs of BM25 words."""
        return word_pairs(self.tokens(text))
