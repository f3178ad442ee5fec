"""The embedded store: FAISS for passage vectors and bm25s for words and phrases, in the index folder.

Files it writes into a build folder::

    dense.faiss         FAISS index of passage vectors (row i = line i of passages.jsonl)
    dense-<n>.faiss     the same for the n-th further model, where there are several
    passages.jsonl      the passages
    paragraphs.jsonl    paragraph id, document, kind and date range (what filters read)
    lexical/            bm25s index of each paragraph's words (row i = line i of paragraphs.jsonl)
    phrases/            bm25s index of each paragraph's adjacent word pairs

Rows are this store's own business: everything it returns is addressed by id.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.errors import StoreError
from qa.retrieve import ParagraphRecord, PassageMatches
from qa.retrieve.dense import DenseIndex
from qa.retrieve.lexical import LexicalIndex
from qa.types import Filters, Matches, Passage


class LocalStore:
    """FAISS + bm25s over one build folder."""

    kind = "faiss"

    def __init__(self, dense: list[DenseIndex], lexical: LexicalIndex, phrases: LexicalIndex, passages: list[Passage],
                 paragraphs: list[ParagraphRecord]):
        self._dense, self._lexical, self._phrases = dense, lexical, phrases
        self._passages = passages
        self._paragraphs = paragraphs
        if (any(d.size != len(passages) for d in dense) or lexical.size != len(paragraphs)
                or phrases.size != len(paragraphs)):
            raise StoreError("index files disagree on the number of passages or paragraphs (damaged index); "
                             "run: python -m qa build")
        row_of = {p.id: i for i, p in enumerate(paragraphs)}
        self._passage_para = np.array([row_of[p.paragraph_id] for p in passages], dtype=np.int64)
        self._is_sentence = np.array([p.kind == "sentence" for p in passages], dtype=bool)
        self._passage_row = {p.id: i for i, p in enumerate(passages)}
        self._sentences: dict[str, list[Passage]] = {}
        for p in passages:
            if p.kind == "sentence":
                self._sentences.setdefault(p.paragraph_id, []).append(p)
        self._mask = lru_cache(maxsize=64)(self._paragraph_mask)

    # ---- writing ------------------------------------------------------------------------------

    @staticmethod
    def _dense_file(view: int) -> str:
        return "dense.faiss" if view == 0 else f"dense-{view}.faiss"

    @staticmethod
    def write(folder: Path, passages: list[Passage], vectors: list[np.ndarray], paragraphs: list[ParagraphRecord],
              word_terms: list[list[str]], phrase_terms: list[list[str]]) -> str:
        """Write the store's files into a build folder (one FAISS index per model's vectors);
        returns the FAISS index type used."""
        for view, matrix in enumerate(vectors):
            dense = DenseIndex.build(matrix)
            dense.save(folder / LocalStore._dense_file(view))
        LexicalIndex.build(word_terms).save(folder / "lexical")
        LexicalIndex.build(phrase_terms).save(folder / "phrases")
        with open(folder / "passages.jsonl", "w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        with open(folder / "paragraphs.jsonl", "w", encoding="utf-8") as f:
            for r in paragraphs:
                f.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
        return dense.kind

    @classmethod
    def load(cls, folder: Path, views: int = 1) -> "LocalStore":
        try:
            with open(folder / "passages.jsonl", encoding="utf-8") as f:
                passages = [Passage(**json.loads(line)) for line in f]
            with open(folder / "paragraphs.jsonl", encoding="utf-8") as f:
                paragraphs = [ParagraphRecord(**json.loads(line)) for line in f]
            dense = [DenseIndex.load(folder / cls._dense_file(view)) for view in range(views)]
            return cls(dense, LexicalIndex.load(folder / "lexical", len(paragraphs)),
                       LexicalIndex.load(folder / "phrases", len(paragraphs)), passages, paragraphs)
        except StoreError:
            raise
        except Exception as exc:  # any unreadable file means a damaged build
            raise StoreError(f"index in {folder} cannot be read ({type(exc).__name__}: {exc}); "
                             f"run: python -m qa build") from None

    # ---- searching ----------------------------------------------------------------------------

    def _paragraph_mask(self, filters: Filters) -> np.ndarray | None:
        """Which paragraph rows the filters admit (None: all), computed once per filter set."""
        if filters.empty:
            return None
        import datetime as dt

        return np.array([filters.admits(r.doc_id, r.source_type, dt.date.fromordinal(r.first_day),
                                        dt.date.fromordinal(r.last_day)) for r in self._paragraphs], dtype=bool)

    def admits_any(self, filters: Filters) -> bool:
        mask = self._mask(filters)
        return mask is None or bool(mask.any())

    def dense(self, vector: np.ndarray, k: int, filters: Filters, view: int = 0) -> PassageMatches:
        mask = self._mask(filters)
        scores, rows = self._dense[view].search(vector, k, None if mask is None else mask[self._passage_para])
        return PassageMatches(tuple(self._passages[r].id for r in rows),
                              tuple(self._paragraphs[self._passage_para[r]].id for r in rows),
                              self._is_sentence[rows], scores)

    def _top(self, index: LexicalIndex, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        scores, rows = index.top(list(terms), k, self._mask(filters))
        return Matches(tuple(self._paragraphs[r].id for r in rows), scores)

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._top(self._lexical, terms, k, filters)

    def phrases(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._top(self._phrases, terms, k, filters)

    def sentences(self, paragraph_id: str) -> list[Passage]:
        return self._sentences.get(paragraph_id, [])

    def similarity(self, vector: np.ndarray, passage_ids: Sequence[str], view: int = 0) -> np.ndarray:
        rows = np.array([self._passage_row[i] for i in passage_ids], dtype=np.int64)
        return self._dense[view].vectors(rows) @ np.asarray(vector, dtype=np.float32) if len(rows) else np.zeros(0)
