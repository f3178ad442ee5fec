"""Stores of passages: where vectors and BM25 terms live, searched with filters applied inside.

A store holds one dense index per model (``view``) and answers three kinds of search, each restricted to the paragraphs ``Filters`` admit before
the top k are taken (never filtered afterwards, so k admitted results come back):

- ``dense``: the passages nearest a query vector;
- ``lexical`` / ``phrases``: the paragraphs with the best BM25 scores for word or word-pair terms;

and two look-ups for highlighting: the sentences of a paragraph and their similarity to a vector.
Everything is addressed by content ids (``Paragraph.id``, ``Passage.id``), never by row numbers,
and filters are data (``qa.types.Filters``) that each store turns into its own form (a mask for
FAISS and bm25s; an expression for a server-backed store).

``LocalStore`` (``qa/retrieve/local.py``: FAISS + bm25s in the index folder) is the embedded
default; ``MilvusStore`` (``qa/retrieve/milvus.py``: Milvus Lite or a Milvus server) the same
views in Milvus. A new store implements ``PassageStore`` and is named in ``open_store`` and
``write_store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from qa.types import Filters, Matches, Passage


@dataclass(frozen=True)
class PassageMatches:
    """What the dense view found: passages best first, with the paragraph each belongs to."""

    ids: tuple[str, ...]
    paragraph_ids: tuple[str, ...]
    is_sentence: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class ParagraphRecord:
    """What a store keeps of a paragraph to filter on: its document, kind and date range (ordinal
    days), and the number it is cited by."""

    id: str
    doc_id: str
    source_type: str
    first_day: int
    last_day: int
    number: int = 0


class PassageStore(Protocol):
    """The interface every store implements (see the module's docstring)."""

    kind: str

    def dense(self, vector: np.ndarray, k: int, filters: Filters, view: int = 0) -> PassageMatches:
        """The k passages nearest the vector in one model's space (``view``: 0 for the first model)."""
        ...

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> Matches: ...

    def phrases(self, terms: Sequence[str], k: int, filters: Filters) -> Matches: ...

    def sentences(self, paragraph_id: str) -> list[Passage]: ...

    def similarity(self, vector: np.ndarray, passage_ids: Sequence[str], view: int = 0) -> np.ndarray: ...

    def admits_any(self, filters: Filters) -> bool: ...


STORES = ("faiss", "milvus")


def open_store(kind: str, folder: Path, views: int = 1) -> PassageStore:
    """Open the store of an index folder.

    Raises:
        StoreError: when the kind is unknown or its files cannot be read.
    """
    from qa.errors import StoreError

    if kind == "faiss":
        from qa.retrieve.local import LocalStore

        return LocalStore.load(folder, views)
    if kind == "milvus":
        from qa.retrieve.milvus import MilvusStore

        return MilvusStore.load(folder, views)
    raise StoreError(f"store {kind!r} is not one of {', '.join(STORES)}; run: python -m qa build")


def write_store(kind: str, folder: Path, passages: list[Passage], vectors: list[np.ndarray],
                paragraphs: list[ParagraphRecord], word_terms: list[list[str]] | None,
                phrase_terms: list[list[str]] | None, milvus_uri: str = "",
                dense_files: list[tuple[Path, str]] = (), lexical_files: tuple[Path, Path] | None = None,
                table_files: Path | None = None) -> str:
    """Write a build's store of this kind into its folder; returns the vector index type used.

    Args:
        dense_files: the FAISS store's indexes already built and saved (path, index type), one per
            model: moved into the folder instead of being built again.
        lexical_files: the FAISS store's word and phrase views already built and saved
            (``LocalStore.build_lexical``): moved in; the term lists may then be None.
        table_files: a folder holding the FAISS store's tables already written
            (``LocalStore.write_tables``): moved in; the passages then need only their
            paragraph, document and kind.
    """
    if kind == "milvus":
        from qa.retrieve.milvus import MilvusStore, resolve_uri

        return MilvusStore.write(folder, passages, vectors, paragraphs, word_terms, phrase_terms,
                                 resolve_uri(milvus_uri, folder.parent))
    from qa.retrieve.local import LocalStore

    return LocalStore.write(folder, passages, vectors, paragraphs, word_terms, phrase_terms, dense_files,
                            lexical_files, table_files)
