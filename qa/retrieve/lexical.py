"""Lexical retrieval with bm25s: BM25 over term lists made by ``qa.analyze`` (words, or word pairs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.analyze import TermLists, bm25s_module as _bm25s

EMPTY_TERM = "\x00"  # never made by the analyzer


K1, B = 1.5, 0.75  # bm25s's defaults, which LexicalIndex uses
CHUNK = 65_536  # term lists counted at once while building (bounds the build's memory)
ENTRY_CHUNK = 4_194_304  # (row, term) entries scored at once while building (bounds it too)


def bm25_matrix(term_lists: "list[list[str]] | TermLists", k1: float = K1, b: float = B):
    """The arrays bm25s's ``BM25().index`` makes (Lucene BM25 of each (term, row) in a compressed
    sparse column matrix, and the vocabulary), made with whole-array numpy operations.

    bm25s counts terms one row at a time in Python (a ``Counter``, a set intersection and a
    dozen small numpy calls a row): a tenth of a million-paragraph build. The arithmetic here is
    the same, in the same order and precision, so each score is bm25s's; only the vocabulary's
    numbering differs (bm25s numbers terms in a set's order, which varies between runs; here it is
    the lists' own: the order of first use, for lists of strings).

    Args:
        term_lists: lists of strings, or ``TermLists`` (a large build's, as numbers).

    Returns:
        (scores, vocab): ``scores`` as bm25s keeps them (``data``, ``indices``, ``indptr``,
        ``num_docs``), ``vocab`` term -> column.
    """
    lists = term_lists if isinstance(term_lists, TermLists) else TermLists.encode(term_lists)
    n, width = len(lists), max(len(lists.vocab), 1)
    vocab = {t: i for i, t in enumerate(lists.vocab)}
    lengths = lists.lengths
    rows, columns, counts = [], [], []
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        ids = lists.ids[lists.starts[start]:lists.starts[stop]].astype(np.int64)
        keys = np.repeat(np.arange(start, stop, dtype=np.int64), lengths[start:stop]) * width + ids
        unique, count = np.unique(keys, return_counts=True)  # sorted by row, then term
        rows.append((unique // width).astype(np.int32))
        columns.append((unique % width).astype(np.int32))
        counts.append(count.astype(np.float32))
    width = len(lists.vocab)
    row, column, tf = (joined(rows, np.int32), joined(columns, np.int32), joined(counts, np.float32))
    df = np.bincount(column, minlength=width)
    # bm25s: idf by math.log in float64, kept as float32; tf as float32, the length norm in float64.
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    mean_length = lengths.mean() if n else np.float64(0)
    norm = k1 * ((1 - b) + b * lengths / mean_length)
    data = np.empty(len(tf), dtype=np.float32)
    for at in range(0, len(tf), ENTRY_CHUNK):  # its float64 intermediates a slice at a time
        part = slice(at, at + ENTRY_CHUNK)
        data[part] = idf[column[part]] * (tf[part] / (norm[row[part]] + tf[part]))
    del tf, norm
    indptr = np.zeros(width + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])  # a column holds one entry per row using its term
    # The entries are in row order; a column's entries in row order (as bm25s keeps them) are the
    # same matrix by columns: scipy's conversion counts them into place without sorting.
    by_row = np.zeros(n + 1, dtype=np.int32 if len(column) < 2**31 else np.int64)  # as the columns': no copy
    np.cumsum(np.bincount(row, minlength=n), out=by_row[1:])
    del row
    by_column = scipy_sparse().csr_matrix((data, column, by_row), shape=(n, width), copy=False).tocsc()
    del data, column
    return {"data": by_column.data, "indices": by_column.indices.astype(np.int32, copy=False), "indptr": indptr,
            "num_docs": n}, vocab


def joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    """The parts as one array, each part let go once copied (so at most one extra part is held)."""
    out = np.empty(sum(len(p) for p in parts), dtype=dtype)
    at = 0
    while parts:
        part = parts.pop(0)
        out[at:at + len(part)] = part
        at += len(part)
    return out


def scipy_sparse():
    import scipy.sparse

    return scipy.sparse


def best(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k best rows with a positive score, best first."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    order = positive[np.argsort(-scores[positive], kind="stable")]
    return scores[order], order


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
    def build(cls, term_lists: "list[list[str]] | TermLists") -> "LexicalIndex":
        """Args: term_lists: one per row, as strings or as numbers (``TermLists``)."""
        bm25s = _bm25s()
        retriever = bm25s.BM25()
        if isinstance(term_lists, TermLists) and len(term_lists) and not len(term_lists.ids):
            term_lists = [[] for _ in range(len(term_lists))]  # no term at all: as below
        if term_lists and not isinstance(term_lists, TermLists) and not any(term_lists):
            # bm25s cannot index an empty vocabulary (all paragraphs one word: no word pairs);
            # a term no text makes keeps every row scoring zero.
            term_lists = [[EMPTY_TERM], *term_lists[1:]]
        scores, vocab = bm25_matrix(term_lists, retriever.k1, retriever.b)
        # What BM25.index keeps, besides: its empty term after the others, and no BM25L/+ array.
        vocab.setdefault("", len(vocab))
        retriever.scores, retriever.vocab_dict, retriever.nonoccurrence_array = scores, vocab, None
        retriever.unique_token_ids_set = set(vocab.values())
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
        return best(self.scores(terms, allowed), k)

    def document_frequencies(self, terms: list[str]) -> np.ndarray:
        """How many rows hold each term (0 for a term the index does not know)."""
        vocab, indptr = self._retriever.vocab_dict, np.asarray(self._retriever.scores["indptr"])
        ids = [vocab.get(t, -1) for t in terms]
        return np.array([int(indptr[i + 1] - indptr[i]) if i >= 0 else 0 for i in ids], dtype=np.int64)

    def document_counts(self) -> dict[str, int]:
        """How many rows hold each term: the index's own counts (its columns' lengths)."""
        indptr = np.asarray(self._retriever.scores["indptr"])
        df = np.diff(indptr).tolist()
        return {t: df[i] for t, i in self._retriever.vocab_dict.items() if t not in ("", EMPTY_TERM) and df[i]}

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        bm25s = _bm25s()
        # Memory-mapped: a large index's postings are read as searches touch them.
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, mmap=True), size)


class AddedLexical:
    """BM25 over the term lists of paragraphs added after a base index was built, scored with the
    base's statistics (its paragraph count, each term's document frequency, its mean length), so
    an added paragraph scores as the base index would score it: the two score lists can be merged."""

    def __init__(self, term_lists: list[list[str]], base: LexicalIndex, base_mean_length: float):
        self.size = len(term_lists)
        self._base, self._n, self._mean = base, base.size, max(base_mean_length, 1e-9)
        self._lengths = np.array([len(t) for t in term_lists], dtype=np.float32)
        postings: dict[str, dict[int, int]] = {}
        for row, terms in enumerate(term_lists):
            for t in terms:
                counts = postings.setdefault(t, {})
                counts[row] = counts.get(row, 0) + 1
        self._postings = {t: (np.fromiter(c.keys(), dtype=np.int64, count=len(c)),
                              np.fromiter(c.values(), dtype=np.float32, count=len(c))) for t, c in postings.items()}

    def scores(self, terms, allowed: np.ndarray | None = None) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        known = [t for t in terms if t in self._postings]
        if not known:
            return out
        for t, df in zip(known, self._base.document_frequencies(known)):
            rows, tf = self._postings[t]
            idf = np.log(1 + (self._n - df + 0.5) / (df + 0.5))  # bm25s's Lucene idf
            out[rows] += idf * tf / (K1 * (1 - B + B * self._lengths[rows] / self._mean) + tf)
        return out if allowed is None else np.where(allowed, out, 0).astype(np.float32)


class SegmentedLexical:
    """A base index and the paragraphs added after it, as one index: rows of the added ones follow."""

    def __init__(self, base: LexicalIndex, added: AddedLexical):
        self._base, self._added = base, added
        self.size = base.size + added.size

    def scores(self, terms, allowed: np.ndarray | None = None) -> np.ndarray:
        n = self._base.size
        return np.concatenate([self._base.scores(terms, None if allowed is None else allowed[:n]),
                               self._added.scores(terms, None if allowed is None else allowed[n:])])

    def top(self, terms, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return best(self.scores(terms, allowed), k)
