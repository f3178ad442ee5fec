"""Dense retrieval: FAISS inner-product search over normalised passage vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Up to this many vectors an exact search (IndexFlatIP) answers in well under a millisecond per
# 10k vectors and is exact; past it, HNSW keeps queries fast for a million passages and more.
EXACT_LIMIT = 200_000
HNSW_NEIGHBOURS = 32  # M in Malkov & Yashunin (2018); FAISS's usual default range is 16-64
HNSW_EF_SEARCH = 128


def build_index(vectors: np.ndarray):
    """A FAISS index over the vectors, its type chosen by the collection's size."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class DenseIndex:
    """Passage vectors in FAISS, searched with one query vector at a time, rows as FAISS ids."""

    def __init__(self, index):
        self._index = index
        self.size = index.ntotal

    @classmethod
    def build(cls, vectors: np.ndarray) -> "DenseIndex":
        return cls(build_index(vectors))

    @property
    def kind(self) -> str:
        """The FAISS index type in use (IndexFlatIP, IndexHNSWFlat)."""
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
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=HNSW_EF_SEARCH)
                      if isinstance(self._index, faiss.IndexHNSW) else faiss.SearchParameters(sel=selector))
            scores, rows = self._index.search(query, k, params=params)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of some rows."""
        return np.vstack([self._index.reconstruct(int(r)) for r in rows]) if len(rows) else np.zeros((0, self._index.d), dtype=np.float32)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))
