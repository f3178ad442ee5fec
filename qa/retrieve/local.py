"""The embedded store: FAISS for passage vectors and bm25s for words and phrases, in the index folder.

Files it writes into a build folder (arrays as .npy, memory-mapped on load, so opening a store
of millions of passages reads almost nothing until a search touches it)::

    dense.faiss         FAISS index of passage vectors (row i = passage i)
    dense-<n>.faiss     the same for the n-th further model, where there are several
    *.faiss.vectors.npy beside a compressed (large) index: its vectors in full (qa/retrieve/dense.py)
    passages.npy        per passage: id, paragraph row, sentence or not, start and end in the paragraph
    passages.txt        the passages' texts, one after another (UTF-8); text_offsets.npy says where
                        (a grown build's: the added passages' only, after its base's: ``Texts``)
    paragraphs.npy      per paragraph: id, document row, first and last day (what filters read)
    documents.json      the documents' ids and kinds (rows of paragraphs.npy point here)
    lexical/            bm25s index of each paragraph's words (row i = paragraph i)
    phrases/            bm25s index of each paragraph's adjacent word pairs

Rows are this store's own business: everything it returns is addressed by id. Passages are
written grouped by paragraph, in paragraph order, so a paragraph's passages are one run of rows.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.errors import StoreError
from qa.retrieve import ParagraphRecord, PassageMatches
from qa.retrieve.dense import DenseIndex, SegmentedDense, vectors_path
from qa.retrieve.lexical import AddedLexical, LexicalIndex, SegmentedLexical
from qa.types import Filters, Matches, Passage, content_keys, joined_content_keys

COPY_BYTES = 16 * 2**20  # a grown build copies its base's tables this much at a time
# What ``LocalStore.write_tables`` writes: the passage and paragraph tables, the passages' texts.
TABLE_FILES = ("passages.npy", "paragraphs.npy", "text_offsets.npy", "passages.txt", "documents.json")
BASE, ADDED = "base", "added"  # a grown build's folders: the build it grew from, and what was added


def open_dense(folder: Path, view: int = 0) -> DenseIndex | SegmentedDense:
    """One model's vector index of a build folder (of a grown build: its base's and the added passages')."""
    name = LocalStore._dense_file(view)
    if (folder / ADDED).is_dir():
        return SegmentedDense([DenseIndex.load(folder / BASE / name), DenseIndex.load(folder / ADDED / name)])
    return DenseIndex.load(folder / name)


def _ids(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str) if len(values) else np.zeros(0, dtype="<U1")


def hex_keys(ids: np.ndarray) -> np.ndarray | None:
    """A column of content ids as 64-bit numbers (``qa.types.content_keys``), or None when not all are."""
    ids = np.ascontiguousarray(ids)  # a field of a table is not contiguous
    if ids.dtype != np.dtype("<U16") or not len(ids):
        return None
    codes = ids.view(np.uint32)
    if int(codes.max()) >= 128:
        return None
    return joined_content_keys(codes.astype(np.uint8).tobytes().decode("ascii"))


def appended(path: Path, base: Path, rows: np.ndarray) -> bool:
    """Write a one-dimensional .npy array: the one in ``base`` followed by ``rows``, its bytes
    copied file to file (a million paragraphs' passage table is 400 MB: not read into memory).
    Returns False, writing nothing, when the two do not share a type."""
    with open(base, "rb") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(f)
        if fortran or len(shape) != 1 or dtype != rows.dtype or rows.ndim != 1:
            return False
        header = np.lib.format.header_data_from_array_1_0(rows)
        header["shape"] = (shape[0] + len(rows),)
        with open(path, "wb") as out:
            if version == (1, 0):
                np.lib.format.write_array_header_1_0(out, header)
            else:
                np.lib.format.write_array_header_2_0(out, header)
            copy_rest(f, out)  # the base's rows: the rest of its file
            out.write(np.ascontiguousarray(rows).tobytes())
    return True


def append_rows(path: Path, base: Path, rows: np.ndarray) -> None:
    """Write a one-dimensional .npy array: the one in ``base`` followed by ``rows``; copied file to
    file (``appended``), or, where the two types differ (a table's ids grew wider), every row
    rewritten in the wider type."""
    if appended(path, base, rows):
        return
    previous = np.load(base, mmap_mode="r")
    kind = rows.dtype if rows.dtype.names else np.result_type(previous.dtype, rows.dtype)
    whole = np.zeros(len(previous) + len(rows), dtype=kind)
    if kind.names:  # a table: field by field (its ids' width differs)
        for field in kind.names:
            whole[field][:len(previous)] = previous[field]
    else:
        whole[:len(previous)] = previous
    whole[len(previous):] = rows
    np.save(path, whole)


def copy_rest(source, target) -> None:
    """Copy the rest of one open file to the end of another, in the kernel where it can
    (``os.copy_file_range``: the bytes do not pass through this process's memory)."""
    target.flush()
    at, to = source.tell(), target.tell()
    if hasattr(os, "copy_file_range"):
        try:
            while (done := os.copy_file_range(source.fileno(), target.fileno(), COPY_BYTES, at, to)) > 0:
                at, to = at + done, to + done
            target.seek(to)
            return
        except OSError:  # another file system, another kernel: copied through memory below
            pass
    source.seek(at)
    target.seek(to)
    shutil.copyfileobj(source, target, COPY_BYTES)


class TableWriter:
    """The store's tables (``LocalStore.write_tables``) written a group of paragraphs at a time,
    so a build never holds every passage: each group's tables go to a part folder, and ``close``
    joins the parts into the folder's files (rows renumbered, texts copied file to file), each
    table a part at a time. The files are those ``write_tables`` makes of all the groups at once."""

    def __init__(self, folder: Path):
        self.folder, self._parts = folder, []

    def add(self, passages: list[Passage], paragraphs: list[ParagraphRecord]) -> None:
        part = self.folder / f".part-{len(self._parts)}"
        part.mkdir()
        LocalStore.write_tables(part, passages, paragraphs)
        self._parts.append(part)

    def close(self) -> None:
        if not self._parts:
            LocalStore.write_tables(self.folder, [], [])
            return
        docs: dict[str, tuple[int, str]] = {}  # each document's row in the joined list, and its kind
        doc_rows = []  # each part's document rows in the joined list
        for part in self._parts:
            listed = json.loads((part / "documents.json").read_text(encoding="utf-8"))
            doc_rows.append(np.array([docs.setdefault(d["id"], (len(docs), d["source_type"]))[0] for d in listed],
                                     dtype=np.int32))
        lengths = {name: [_rows_in(part / name) for part in self._parts]
                   for name in ("passages.npy", "paragraphs.npy", "text_offsets.npy")}
        paragraph_shift = np.cumsum([0] + lengths["paragraphs.npy"])
        text_shift = np.cumsum([0] + [int(np.load(part / "text_offsets.npy", mmap_mode="r")[-1])
                                      for part in self._parts])

        def join(name: str, change) -> None:
            """One table: each part read whole (a group's rows), changed, and written after the last."""
            types = [_type_in(part / name) for part in self._parts]
            kind = _widest(types)
            offsets = name == "text_offsets.npy"  # each part's starts at 0: the first part's 0 is kept
            total = sum(lengths[name]) - (len(self._parts) - 1 if offsets else 0)
            with open(self.folder / name, "wb") as out:
                np.lib.format.write_array_header_1_0(out, {"descr": np.lib.format.dtype_to_descr(kind),
                                                           "fortran_order": False, "shape": (total,)})
                for i, part in enumerate(self._parts):
                    rows = np.load(part / name)
                    rows = rows[1:] if offsets and i else rows
                    changed = np.zeros(len(rows), dtype=kind)
                    change(changed, rows, i)
                    changed.tofile(out)

        def table(field: str, shift):
            def change(out, rows, i):
                for name in rows.dtype.names:
                    out[name] = rows[name]
                out[field] = shift(rows[field], i)
            return change

        join("passages.npy", table("paragraph", lambda v, i: v + paragraph_shift[i]))
        join("paragraphs.npy", table("doc", lambda v, i: doc_rows[i][v]))
        join("text_offsets.npy", lambda out, rows, i: out.__setitem__(slice(None), rows + text_shift[i]))
        with open(self.folder / "passages.txt", "wb") as out:
            for part in self._parts:
                with open(part / "passages.txt", "rb") as f:
                    copy_rest(f, out)
        (self.folder / "documents.json").write_text(json.dumps([{"id": d, "source_type": k} for d, (_, k) in docs.items()],
                                                               ensure_ascii=False), encoding="utf-8")
        for part in self._parts:
            shutil.rmtree(part)
        self._parts = []


def _type_in(path: Path) -> np.dtype:
    return np.load(path, mmap_mode="r").dtype


def _rows_in(path: Path) -> int:
    return len(np.load(path, mmap_mode="r"))


def _widest(types: list[np.dtype]) -> np.dtype:
    """A table type whose id field holds the widest id of all (the other fields are the same)."""
    first = types[0]
    if not first.names:
        return first
    width = max(t["id"].itemsize // 4 for t in types)
    return np.dtype([(name, f"<U{width}" if name == "id" else first[name].str) for name in first.names])


class Texts:
    """The passages' texts of a build folder, addressed by ``text_offsets.npy``: its
    ``passages.txt``, after, in a grown build, its base's (under ``BASE``), whose bytes come first.

    Raises:
        StoreError: when the files do not hold the bytes the offsets address (a damaged index)."""

    def __init__(self, folder: Path, end: int):
        own = folder / "passages.txt"
        self._split = end - own.stat().st_size  # the bytes before this folder's file: its base's
        self._own = _bytes_of(own)
        self._base = None
        base = folder / BASE / "passages.txt"
        if self._split > 0 and base.is_file() and base.stat().st_size == self._split:
            self._base = _bytes_of(base)
        elif self._split != 0:
            raise StoreError(f"the passages' texts in {folder} do not match their offsets (damaged index); "
                             f"run: python -m qa build --full")

    def read(self, start: int, stop: int) -> bytes:
        if stop <= self._split:
            return bytes(self._base[start:stop])
        return bytes(self._own[start - self._split:stop - self._split])


def _bytes_of(path: Path) -> np.ndarray:
    return np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)


class IdIndex:
    """Rows of ids by binary search over a sorted copy: no dictionary of millions of strings.
    Content ids are sorted as 64-bit numbers (``hex_keys``): quicker than strings, in an eighth of
    the memory."""

    def __init__(self, ids: np.ndarray):
        keys = hex_keys(ids)
        self._numeric = keys is not None
        keys = np.asarray(ids) if keys is None else keys
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Rows of the ids; -1 where an id is unknown."""
        ids = list(ids)
        if not ids or not len(self._sorted):
            return np.full(len(ids), -1, dtype=np.int64)
        known = np.ones(len(ids), dtype=bool)
        if self._numeric:  # an id of another form is in no such index
            wanted, known = content_keys(ids)
        else:
            wanted = np.asarray(ids, dtype=str)
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        return np.where(known & (self._sorted[at] == wanted), self._order[at], -1).astype(np.int64)


class LocalStore:
    """FAISS + bm25s over one build folder."""

    kind = "faiss"

    def __init__(self, folder: Path, dense: list[DenseIndex], lexical: LexicalIndex, phrases: LexicalIndex):
        self._dense, self._lexical, self._phrases = dense, lexical, phrases
        self._passages = np.load(folder / "passages.npy", mmap_mode="r")
        self._offsets = np.load(folder / "text_offsets.npy", mmap_mode="r")
        self._paragraphs = np.load(folder / "paragraphs.npy", mmap_mode="r")
        self._text = Texts(folder, int(self._offsets[-1]) if len(self._offsets) else 0)
        documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        self._doc_ids = [d["id"] for d in documents]
        self._doc_kinds = np.array([d["source_type"] for d in documents], dtype=str)
        n_passages, n_paragraphs = len(self._passages), len(self._paragraphs)
        if (any(d.size != n_passages for d in dense) or lexical.size != n_paragraphs or phrases.size != n_paragraphs
                or len(self._offsets) != n_passages + 1):
            raise StoreError("index files disagree on the number of passages or paragraphs (damaged index); "
                             "run: python -m qa build")
        self._passage_para = np.asarray(self._passages["paragraph"], dtype=np.int64)
        self._is_sentence = np.asarray(self._passages["sentence"], dtype=bool)
        # A paragraph's passages are rows first[r] .. first[r + 1] - 1.
        self._first = np.searchsorted(self._passage_para, np.arange(n_paragraphs + 1))
        self._paragraph_rows = IdIndex(np.asarray(self._paragraphs["id"]))
        self._passage_rows: IdIndex | None = None  # made on first use: highlights rarely need it
        self._mask = lru_cache(maxsize=64)(self._paragraph_mask)
        self._passage_mask = lru_cache(maxsize=8)(self._passages_admitted)  # a byte a passage: kept for fewer sets

    # ---- writing ------------------------------------------------------------------------------

    @staticmethod
    def _dense_file(view: int) -> str:
        return "dense.faiss" if view == 0 else f"dense-{view}.faiss"

    @staticmethod
    def write(folder: Path, passages: list[Passage], vectors: list[np.ndarray], paragraphs: list[ParagraphRecord],
              word_terms: list[list[str]] | None, phrase_terms: list[list[str]] | None,
              built: list[tuple[Path, str]] = (), built_lexical: tuple[Path, Path] | None = None,
              built_tables: Path | None = None) -> str:
        """Write the store's files into a build folder (one FAISS index per model's vectors);
        returns the FAISS index type used.

        Args:
            passages: grouped by paragraph, in the order of ``paragraphs``.
            built: each model's index already built and saved on the same disk (path, index
                type; ``DenseIndex.save``): moved in, not built again.
            built_lexical: the word and phrase views already built and saved on the same disk
                (``build_lexical``): moved in, and the term lists are not read (None).
            built_tables: a folder on the same disk holding the tables already written
                (``write_tables``): moved in, and neither the passages nor the paragraphs are read
                (they may be None).
        """
        if built and len(built) != len(vectors):
            raise ValueError(f"{len(built)} built indexes for {len(vectors)} models' vectors")
        kind = "none"
        for view, (path, kind) in enumerate(built or LocalStore.build_dense(folder, vectors)):
            target = folder / LocalStore._dense_file(view)
            if path != target:
                os.replace(path, target)
                if vectors_path(path).exists():
                    os.replace(vectors_path(path), vectors_path(target))
        for path, name in zip(built_lexical or LocalStore.build_lexical(folder, word_terms, phrase_terms),
                              ("lexical", "phrases")):
            if path != folder / name:
                os.replace(path, folder / name)
        if built_tables is None:
            LocalStore.write_tables(folder, passages, paragraphs)
        else:
            for name in TABLE_FILES:
                os.replace(built_tables / name, folder / name)
        return kind

    @staticmethod
    def build_lexical(folder: Path, word_terms, phrase_terms,
                      counted: Callable[[dict[str, int]], None] | None = None) -> tuple[Path, Path]:
        """Build and save the word and phrase views (BM25) into a folder; returns their paths.
        A large build makes them before its FAISS indexes, so that the terms can leave memory
        first. ``counted``: given the word view's ``document_counts`` (terms.json's counts)."""
        out = (folder / "lexical", folder / "phrases")
        words = LexicalIndex.build(word_terms)
        words.save(out[0])
        if counted is not None:
            counted(words.document_counts())
        del words
        LexicalIndex.build(phrase_terms).save(out[1])
        return out

    @staticmethod
    def build_dense(folder: Path, vectors: list[np.ndarray],
                    each: Callable[[DenseIndex, np.ndarray], None] | None = None) -> list[tuple[Path, str]]:
        """Build and save each model's FAISS index into a folder, one index in memory at a time;
        returns each one's (path, index type). ``each``: sees each index and its vectors before
        it is let go (a build searches it for news repeats)."""
        out = []
        for view, matrix in enumerate(vectors):
            dense = DenseIndex.build(matrix)
            if each is not None:
                each(dense, matrix)
            out.append((folder / LocalStore._dense_file(view), dense.kind))
            dense.save(out[-1][0])
            del dense
        return out

    @staticmethod
    def write_tables(folder: Path, passages: list[Passage], paragraphs: list[ParagraphRecord],
                     base: Path | None = None) -> None:
        """Write the passage and paragraph tables (and the passages' texts) into a build folder;
        with ``base``, a build folder whose tables come first (a grown build: their bytes are
        copied, not read into memory, and the new rows appended)."""
        row_of = {r.id: i for i, r in enumerate(paragraphs)}
        para_rows = np.array([row_of[p.paragraph_id] for p in passages], dtype=np.int64)
        if len(para_rows) and np.any(np.diff(para_rows) < 0):
            raise ValueError("passages must be grouped by paragraph, in paragraph order")
        old = ({name: np.load(base / name, mmap_mode="r") for name in ("passages.npy", "paragraphs.npy", "text_offsets.npy")}
               if base else None)
        old_docs = json.loads((base / "documents.json").read_text(encoding="utf-8")) if base else []
        docs: dict[str, str] = {d["id"]: d["source_type"] for d in old_docs}
        for r in paragraphs:
            docs.setdefault(r.doc_id, r.source_type)
        doc_row = {d: i for i, d in enumerate(docs)}

        def table(fields, ids: list[str], previous: np.ndarray | None) -> np.ndarray:
            width = max([len(i) for i in ids] + [previous.dtype["id"].itemsize // 4 if previous is not None else 1])
            out = np.zeros(len(ids), dtype=[("id", f"<U{width}"), *fields])
            out["id"] = ids
            return out

        def save(name: str, rows: np.ndarray) -> None:
            """The base's rows of a table (if any), then these."""
            if old is None:
                np.save(folder / name, rows)
            else:
                append_rows(folder / name, base / name, rows)

        passage_table = table([("paragraph", "<i4"), ("sentence", "?"), ("start", "<i4"), ("end", "<i4")],
                              [p.id for p in passages], old and old["passages.npy"])
        shift = len(old["paragraphs.npy"]) if old else 0
        passage_table["paragraph"] = para_rows + shift
        passage_table["sentence"] = [p.kind == "sentence" for p in passages]
        passage_table["start"] = [p.start for p in passages]
        passage_table["end"] = [p.end for p in passages]
        save("passages.npy", passage_table)
        start_offset = int(old["text_offsets.npy"][-1]) if old else 0
        offsets = np.zeros(len(passages) + 1, dtype=np.int64)
        # A grown build's file holds the added texts only: the base's stay in its own (linked
        # under BASE), and the offsets run on from its end (``Texts``). Copying them took a
        # million paragraphs' addition 2 of its 8 seconds, and doubled their space on disk.
        with open(folder / "passages.txt", "wb") as f:
            for i, p in enumerate(passages):
                data = p.text.encode("utf-8")
                f.write(data)
                offsets[i + 1] = offsets[i] + len(data)
        offsets += start_offset
        if old is None:
            np.save(folder / "text_offsets.npy", offsets)
        else:  # the base's offsets end where the first added text starts
            save("text_offsets.npy", offsets[1:])
        records = table([("doc", "<i4"), ("number", "<i4"), ("first_day", "<i4"), ("last_day", "<i4")],
                        [r.id for r in paragraphs], old and old["paragraphs.npy"])
        records["doc"] = [doc_row[r.doc_id] for r in paragraphs]
        records["number"] = [r.number for r in paragraphs]
        records["first_day"] = [r.first_day for r in paragraphs]
        records["last_day"] = [r.last_day for r in paragraphs]
        save("paragraphs.npy", records)
        (folder / "documents.json").write_text(json.dumps([{"id": d, "source_type": k} for d, k in docs.items()],
                                                          ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, views: int = 1) -> "LocalStore":
        try:
            if (folder / ADDED).is_dir():  # a grown build: the base build's indexes and the added paragraphs'
                base = folder / BASE
                n = len(np.load(base / "paragraphs.npy", mmap_mode="r"))
                lengths = json.loads((base / "terms.json").read_text(encoding="utf-8"))["lengths"]
                added = json.loads((folder / ADDED / "terms.json").read_text(encoding="utf-8"))
                lexical, phrases = (LexicalIndex.load(base / name, n) for name in ("lexical", "phrases"))
                return cls(folder, [open_dense(folder, view) for view in range(views)],
                           SegmentedLexical(lexical, AddedLexical(added["words"], lexical, lengths["words"])),
                           SegmentedLexical(phrases, AddedLexical(added["phrases"], phrases, lengths["phrases"])))
            dense = [DenseIndex.load(folder / cls._dense_file(view)) for view in range(views)]
            n = len(np.load(folder / "paragraphs.npy", mmap_mode="r"))
            return cls(folder, dense, LexicalIndex.load(folder / "lexical", n), LexicalIndex.load(folder / "phrases", n))
        except StoreError:
            raise
        except Exception as exc:  # any unreadable file means a damaged build
            raise StoreError(f"index in {folder} cannot be read ({type(exc).__name__}: {exc}); "
                             f"run: python -m qa build") from None

    # ---- reading ------------------------------------------------------------------------------

    def _passage_index(self) -> IdIndex:
        if self._passage_rows is None:
            self._passage_rows = IdIndex(np.asarray(self._passages["id"]))
        return self._passage_rows

    # ---- searching ----------------------------------------------------------------------------

    def _paragraph_mask(self, filters: Filters) -> np.ndarray | None:
        """Which paragraph rows the filters admit (None: all), computed once per filter set, in numpy."""
        if filters.empty:
            return None
        docs = np.ones(len(self._doc_ids), dtype=bool)
        if filters.doc_ids:
            docs &= np.isin(np.array(self._doc_ids, dtype=str), list(filters.doc_ids))
        if filters.source_types:
            docs &= np.isin(self._doc_kinds, list(filters.source_types))
        mask = docs[np.asarray(self._paragraphs["doc"])]
        if filters.since:
            mask &= np.asarray(self._paragraphs["last_day"]) >= filters.since.toordinal()
        if filters.until:
            mask &= np.asarray(self._paragraphs["first_day"]) <= filters.until.toordinal()
        return mask

    def _passages_admitted(self, filters: Filters) -> np.ndarray | None:
        """Which passage rows the filters admit (None: all), once per filter set."""
        mask = self._mask(filters)
        return None if mask is None else mask[self._passage_para]

    def admits_any(self, filters: Filters) -> bool:
        mask = self._mask(filters)
        return mask is None or bool(mask.any())

    def dense(self, vector: np.ndarray, k: int, filters: Filters, view: int = 0) -> PassageMatches:
        scores, rows = self._dense[view].search(vector, k, self._passage_mask(filters))
        ids = np.asarray(self._passages["id"][rows]).tolist()
        paragraph_ids = np.asarray(self._paragraphs["id"][self._passage_para[rows]]).tolist()
        return PassageMatches(tuple(ids), tuple(paragraph_ids), self._is_sentence[rows], scores)

    def _top(self, index: LexicalIndex, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        scores, rows = index.top(list(terms), k, self._mask(filters))
        return Matches(tuple(np.asarray(self._paragraphs["id"][rows]).tolist()), scores)

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._top(self._lexical, terms, k, filters)

    def phrases(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._top(self._phrases, terms, k, filters)

    def sentences(self, paragraph_id: str) -> list[Passage]:
        """A paragraph's sentences, read as one block: its passages' rows are side by side, and so
        are their texts (read row by row, each a view of the mapped table, a search's own cost
        was 3.65 ms p50 against 3.14)."""
        row = int(self._paragraph_rows.rows([paragraph_id])[0])
        if row < 0:
            return []
        first, last = int(self._first[row]), int(self._first[row + 1])
        keep = np.flatnonzero(self._is_sentence[first:last])
        if not len(keep):
            return []
        rows = np.array(self._passages[first:last])  # a copy: plain fields, not views of the map
        para = self._paragraphs[row]
        doc_id, number = self._doc_ids[int(para["doc"])], int(para["number"])
        offsets = np.array(self._offsets[first:last + 1], dtype=np.int64)
        block = self._text.read(int(offsets[0]), int(offsets[-1]))
        at = offsets - offsets[0]
        return [Passage(str(rows["id"][i]), paragraph_id, doc_id, number, "sentence",
                        block[at[i]:at[i + 1]].decode("utf-8"), int(rows["start"][i]), int(rows["end"][i]))
                for i in keep.tolist()]

    def similarity(self, vector: np.ndarray, passage_ids: Sequence[str], view: int = 0) -> np.ndarray:
        rows = self._passage_index().rows(passage_ids)
        if np.any(rows < 0):
            raise StoreError(f"passage {list(passage_ids)[int(np.flatnonzero(rows < 0)[0])]!r} is not in this index; "
                             f"run: python -m qa build")
        return self._dense[view].vectors(rows) @ np.asarray(vector, dtype=np.float32) if len(rows) else np.zeros(0)
