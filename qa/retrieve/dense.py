"""Dense retrieval: FAISS inner-product search over normalised passage vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Up to this many vectors an exact search (IndexFlatIP) is used. Measured here (2 cores, 384
# dimensions, k=400, one query): 8 ms at 50k vectors, 36 ms at 200k, 142 ms at 1M: linear, so
# past 100k an inverted-file index (IndexIVFFlat) keeps a query's cost nearly flat.
EXACT_LIMIT = 100_000
# IVF: about 2 * sqrt(n) lists (FAISS's guidelines say 1-16 * sqrt(n)), k-means trained on
# TRAIN_PER_LIST vectors per list (TRAIN_ITERATIONS rounds), and NPROBE lists searched per query.
# Past QUANTIZER_HNSW lists, vectors find their list through a small HNSW graph of the list
# centres instead of comparing with every centre, which keeps adding millions of vectors quick.
# The recall this loses against exact search is what ``python -m qa bench --scale`` reports. NPROBE
# measured on 135k passages (733 lists), 60 eval questions, against exhaustive search: 16 / 32 /
# 64 / 128 lists: recall@10 0.905 / 0.960 / 0.990 / 0.997, @400 0.781 / 0.874 / 0.944 / 0.987,
# 0.6 / 1.0 / 2.0 / 3.4 ms a query.
TRAIN_PER_LIST = 32
TRAIN_ITERATIONS = 10
NPROBE = 128
QUANTIZER_HNSW = 1024
ADD_SLICE = 200_000  # vectors added to an index at a time


def ivf_lists(n: int) -> int:
    """How many inverted lists an IVF index of n vectors has: about 2 * sqrt(n), and at most one per
    39 vectors (the fewest training vectors per list FAISS accepts without warning)."""
    return max(1, min(int(2 * np.sqrt(n)), n // 39))


def release(matrix: np.ndarray) -> None:
    """Let the pages of a vector file already written leave this process's memory (they stay on
    disk and in the system's file cache): written back, then dropped from the mapping, so a large
    build's memory does not grow by every vector it has made. In-memory matrices are left alone."""
    mapped = getattr(matrix, "_mmap", None)  # numpy.memmap's own mapping
    if mapped is None:
        return
    import mmap

    matrix.flush()
    if hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED)


def build_index(vectors: np.ndarray, rows: np.ndarray | None = None):
    """A FAISS index over the vectors (or over the given rows of them, which become its rows 0, 1,
    ...), its type chosen by their number. The vectors may be a file mapped into memory: they are
    read a slice at a time, never copied whole."""
    import faiss

    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows, dtype=np.int64)
    n, dim = len(rows), vectors.shape[1]

    def add(index) -> None:
        for at in range(0, n, ADD_SLICE):  # in slices: adding copies its input
            index.add(np.ascontiguousarray(vectors[rows[at:at + ADD_SLICE]], dtype=np.float32))
            release(vectors)

    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
        add(index)
        return index
    lists = ivf_lists(n)
    quantizer = (faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT) if lists > QUANTIZER_HNSW
                 else faiss.IndexFlatIP(dim))
    index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = TRAIN_ITERATIONS
    index.cp.min_points_per_centroid = 1  # a sample of TRAIN_PER_LIST per list is enough; no warning
    sample = np.random.default_rng(0).choice(n, size=min(n, max(TRAIN_PER_LIST, 39) * lists), replace=False)
    index.train(np.ascontiguousarray(vectors[rows[np.sort(sample)]], dtype=np.float32))
    add(index)
    index.make_direct_map()  # stored vectors by row, for highlights and for reuse by the next build
    index.nprobe = NPROBE
    return index


class DenseIndex:
    """Passage vectors in FAISS, searched with one query vector at a time, rows as FAISS ids."""

    def __init__(self, index):
        self._index = index
        self.size = index.ntotal

    @classmethod
    def build(cls, vectors: np.ndarray, rows: np.ndarray | None = None) -> "DenseIndex":
        return cls(build_index(vectors, rows))

    def exact_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest vectors by exhaustive search, whatever the index type:
        what an approximate index's recall is measured against."""
        import faiss

        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        if isinstance(self._index, faiss.IndexIVF):
            scores, rows = self._index.search(query, k, params=faiss.SearchParametersIVF(nprobe=self._index.nlist))
        else:
            scores, rows = self._index.search(query, k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    @property
    def kind(self) -> str:
        """The FAISS index type in use (IndexFlatIP, IndexIVFFlat)."""
        return type(self._index).__name__

    def search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest vectors, best first.

        Args:
            allowed: a boolean mask over rows; only those rows are searched (inside FAISS, so the
                k returned are the k best allowed ones). None: every row.
        """
        import faiss

        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            scores, rows = self._index.search(query, k)
        else:
            bits = np.packbits(allowed.astype(np.uint8), bitorder="little")
            if len(allowed) != self.size:
                raise ValueError(f"allowed mask has {len(allowed)} rows, the index {self.size}")
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # n counts bytes
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=NPROBE)
                      if isinstance(self._index, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))
            scores, rows = self._index.search(query, k, params=params)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def nearest(self, queries: np.ndarray, k: int, nprobe: int | None = None) -> np.ndarray:
        """Rows of the k nearest vectors of each query (-1 where there are fewer), in one call;
        an IVF index searches ``nprobe`` lists (default: its own number)."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._index.d)
        k = min(k, self.size)
        if not len(queries) or k <= 0:
            return np.zeros((len(queries), 0), dtype=np.int64)
        if nprobe and isinstance(self._index, faiss.IndexIVF):
            return self._index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=nprobe))[1]
        return self._index.search(queries, k)[1]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of some rows."""
        if not len(rows):
            return np.zeros((0, self._index.d), dtype=np.float32)
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)  # memory-mapped: pages read as searched
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = NPROBE
        return cls(index)


class SegmentedDense:
    """A base index and an index of the passages added after it, searched as one: rows of the
    added passages follow the base's, and each search takes the best k of both."""

    def __init__(self, parts: list[DenseIndex]):
        self._parts = parts
        self._starts = np.cumsum([0] + [p.size for p in parts])
        self.size = int(self._starts[-1])

    @property
    def kind(self) -> str:
        return "+".join(p.kind for p in self._parts)

    def _merged(self, found: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.concatenate([s for s, _ in found]) if found else np.zeros(0, dtype=np.float32)
        rows = np.concatenate([r + start for (_, r), start in zip(found, self._starts)]) if found else np.zeros(0, np.int64)
        order = np.argsort(-scores, kind="stable")[:k]
        return scores[order], rows[order]

    def search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None and len(allowed) != self.size:
            raise ValueError(f"allowed mask has {len(allowed)} rows, the index {self.size}")
        return self._merged([part.search(query_vector, k, None if allowed is None else allowed[a:b])
                             for part, a, b in zip(self._parts, self._starts, self._starts[1:])], k)

    def exact_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._merged([part.exact_search(query_vector, k) for part in self._parts], k)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self._parts[0]._index.d), dtype=np.float32)
        part = np.searchsorted(self._starts, rows, side="right") - 1
        for i, index in enumerate(self._parts):
            mine = np.flatnonzero(part == i)
            if len(mine):
                out[mine] = index.vectors(rows[mine] - self._starts[i])
        return out
