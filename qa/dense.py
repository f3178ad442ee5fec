"""Dense retrieval: FAISS inner-product search over normalised passage vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Up to this many vectors an exact search (IndexFlatIP) answers in well under a millisecond per
# 10k vectors and is exact; past it, HNSW keeps queries fast for a million passages and more.
EXACT_LIMIT = 200_000
HNSW_NEIGHBOURS = 32  # M in Malkov & Yashunin (2018); FAISS's usual default range is 16-64


def build_index(vectors: np.ndarray):
    """A FAISS index over the vectors, its type chosen by the collection's size."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class DenseIndex:
    """Passage vectors in FAISS, searched with one query vector at a time."""

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

    def vectors(self) -> np.ndarray:
        """Every stored vector, in passage order."""
        return self._index.reconstruct_n(0, self.size)

    def search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, passage rows) of the k nearest passages, best first."""
        k = min(k, self.size)
        scores, rows = self._index.search(np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))
