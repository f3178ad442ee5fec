"""Dense retrieval: FAISS inner-product search over normalised passage vectors.

Up to ``EXACT_LIMIT`` vectors the index is exact and holds the vectors themselves. Past it, the
index is an inverted file whose vectors are compressed to 4 bits a dimension (``IndexIVFScalarQuantizer``,
an eighth of their size, so a million paragraphs' index fits in memory), and the vectors are kept
in full in a file beside it (``<index>.vectors.npy``), read row by row (``pread``, never mapped, so
they do not stay in the process's memory): a search takes ``REFINE`` times the candidates asked for
from the compressed index, then scores them with the stored vectors and keeps the best; highlights
and the next build's reuse read the stored vectors too.
"""

from __future__ import annotations

import os
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
# k-means rounds: on 448k passages (1,339 lists, 4-bit codes), 5 rounds instead of 10 built the
# index in 17.1 s instead of 23.7 s with the same recall (@10 0.992, @400 0.951 against 0.949).
TRAIN_ITERATIONS = 5
NPROBE = 128
QUANTIZER_HNSW = 1024
QUANTIZER_EF = 2 * NPROBE  # the HNSW graph's candidate list when finding the lists to search
ADD_SLICE = 50_000  # vectors added to an index at a time (77 MB at 384 dimensions, and as much of a mapped file)
# Rows of a mapped vector file read at a time when gathering rows spread over it (the k-means
# sample); each slice's pages are let go before the next is read.
GATHER_SLICE = 16_384
# Compressed index: candidates taken from it per candidate asked for, re-scored exactly. Measured on
# 448k synthetic passages (1,338 lists, 128 probed), 60 eval questions, against exhaustive search:
# 4-bit codes re-scored from 1x / 2x / 3x the 400 candidates: recall@10 0.983 / 0.990 / 0.988,
# @400 0.717 / 0.918 / 0.969 (uncompressed IVF: 0.997 / 0.984; 8-bit codes, 1x: 0.997 / 0.971,
# but twice the memory; product quantisation with 96 bytes, 2x: 0.984 / 0.853).
REFINE = 3
VECTORS_SUFFIX = ".vectors.npy"  # beside a compressed index: its vectors in full
SCAN_SLICE = 65_536  # rows read at a time by an exhaustive scan of a vector file
# Ascending rows this near each other are read in one stretch (the rows between are read too, so
# a stretch reads at most this many times the rows it serves).
NEAR_ROWS = 4


def ivf_lists(n: int) -> int:
    """How many inverted lists an IVF index of n vectors has: about 2 * sqrt(n), and at most one per
    39 vectors (the fewest training vectors per list FAISS accepts without warning)."""
    return max(1, min(int(2 * np.sqrt(n)), n // 39))


def release(matrix: np.ndarray, rows: tuple[int, int] | None = None) -> None:
    """Let the pages of a vector file already written leave this process's memory (they stay on
    disk and in the system's file cache): written back, then dropped from the mapping, so a large
    build's memory does not grow by every vector it has made. In-memory matrices are left alone.

    Args:
        rows: (first, last + 1): only the pages of these rows, just written (the whole file's
            pages are walked otherwise, which at millions of rows costs more than the writing)."""
    mapped = getattr(matrix, "_mmap", None)  # numpy.memmap's own mapping
    if mapped is None:
        return
    import mmap

    start, length = 0, len(mapped)
    if rows is not None and matrix.base is mapped:  # a view of the file (not the whole array): every page
        row_bytes = matrix.strides[0]
        data = matrix.offset % mmap.ALLOCATIONGRANULARITY  # where the array starts in the mapping
        first = data + rows[0] * row_bytes
        start = first - first % mmap.PAGESIZE
        length = min(len(mapped), data + rows[1] * row_bytes) - start
        if length <= 0:
            return
    mapped.flush(start, length)
    if hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED, start, length)


def build_index(vectors: np.ndarray, rows: np.ndarray | None = None):
    """A FAISS index over the vectors (or over the given rows of them, which become its rows 0, 1,
    ...), its type chosen by their number. The vectors may be a file mapped into memory: they are
    read a slice at a time, never copied whole."""
    import faiss

    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows, dtype=np.int64)
    n, dim = len(rows), vectors.shape[1]

    def add(index) -> None:
        for at in range(0, n, ADD_SLICE):  # in slices: adding copies its input
            index.add(gather(vectors, rows[at:at + ADD_SLICE]))

    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
        add(index)
        return index
    lists = ivf_lists(n)
    quantizer = (faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT) if lists > QUANTIZER_HNSW
                 else faiss.IndexFlatIP(dim))
    index = faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_4bit,
                                          faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = TRAIN_ITERATIONS
    index.cp.min_points_per_centroid = 1  # a sample of TRAIN_PER_LIST per list is enough; no warning
    sample = np.random.default_rng(0).choice(n, size=min(n, max(TRAIN_PER_LIST, 39) * lists), replace=False)
    index.train(gather(vectors, rows[np.sort(sample)]))
    add(index)
    return searching(index)


def gather(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Some rows of a matrix, in ascending order, as one float32 array in memory.

    From a file mapped into memory the rows are read a slice at a time and each slice's pages are
    let go after it (``release``): a sample spread over the whole file would otherwise bring all
    of it into the process's memory (the k-means sample of 4.5 million passages' vectors: 165,000
    rows, and 6 GB of the 6.9 GB file, since each row read brings its neighbours with it)."""
    out = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    for at in range(0, len(rows), GATHER_SLICE):
        part = rows[at:at + GATHER_SLICE]
        out[at:at + len(part)] = vectors[part]
        release(vectors, (int(part.min()), int(part.max()) + 1))
    return out


def searching(index):
    """An IVF index set up to search: ``NPROBE`` lists, found through its HNSW graph of list centres
    (when it has one) with a candidate list of ``QUANTIZER_EF``: the graph's default (16) finds
    the 128 nearest centres poorly (448k passages: recall@10 0.918 with it, 0.991 with 256)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = NPROBE
        quantizer = faiss.downcast_index(index.quantizer)
        if isinstance(quantizer, faiss.IndexHNSW):
            quantizer.hnsw.efSearch = QUANTIZER_EF
    return index


def probing(index, nprobe: int):
    """Search parameters of an IVF index probing ``nprobe`` lists, found through its HNSW graph of
    list centres (if it has one) with a candidate list of twice that."""
    import faiss

    params = faiss.SearchParametersIVF(nprobe=nprobe)
    quantizer = faiss.downcast_index(index.quantizer)
    if isinstance(quantizer, faiss.IndexHNSW):
        graph = faiss.SearchParametersHNSW(efSearch=max(2 * nprobe, 16))
        params.quantizer_params = graph
        params.keep = graph  # the graph's parameters live as long as these
    return params


def compressed(index) -> bool:
    """Whether a FAISS index holds its vectors compressed (they are then kept in a file beside it)."""
    import faiss

    return isinstance(index, faiss.IndexIVFScalarQuantizer)


class VectorFile:
    """Vectors kept in full in an .npy file, read a row at a time with ``pread`` (so they pass
    through the system's file cache, not this process's memory)."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            self._offset = f.tell()
        if fortran or dtype != np.float32 or len(shape) != 2:
            raise ValueError(f"{path} is not a matrix of float32 rows")
        self.path, (self.size, self.dimension) = path, shape
        self._row_bytes = self.dimension * 4
        if path.stat().st_size != self._offset + self.size * self._row_bytes:
            raise ValueError(f"{path} is {path.stat().st_size} bytes, its header says "
                             f"{self._offset + self.size * self._row_bytes} (cut short or damaged)")
        self._fd = os.open(path, os.O_RDONLY)
        if hasattr(os, "posix_fadvise"):  # rows are read here and there: no read-ahead of the pages after each
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of some rows, in their order."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.dimension), dtype=np.float32)
        if not len(rows):
            return out
        if rows.min() < 0 or rows.max() >= self.size:
            raise IndexError(f"row out of range 0..{self.size - 1} of {self.path}")
        steps = np.diff(rows)
        if len(rows) > 1 and steps.min() > 0:
            # Ascending: rows near each other (a report's sentences, between its paragraphs'
            # pieces) are read in one stretch and picked from it.
            starts = np.concatenate([[0], np.flatnonzero(steps > NEAR_ROWS) + 1]).tolist()
            for start, end in zip(starts, starts[1:] + [len(rows)]):
                first = int(rows[start])
                out[start:end] = self._read(first, int(rows[end - 1]) + 1 - first)[rows[start:end] - first]
            return out
        view = memoryview(out).cast("B")
        # One after another: reading from several threads at once was slower here once the file
        # is cached (1,200 rows at a million paragraphs: 2.2 ms alone, 12.7 ms with 16 threads,
        # which take turns holding the interpreter), and gained little on rows not cached.
        # A run of consecutive rows is read at once (a document's sentences lie side by side).
        starts = np.concatenate([[0], np.flatnonzero(steps != 1) + 1]).tolist()
        for start, end in zip(starts, starts[1:] + [len(rows)]):
            self._read_into(view[start * self._row_bytes:end * self._row_bytes], int(rows[start]))
        return out

    def _read(self, first: int, count: int) -> np.ndarray:
        out = np.empty((count, self.dimension), dtype=np.float32)
        self._read_into(memoryview(out).cast("B"), first)
        return out

    def _read_into(self, view: memoryview, first: int) -> None:
        """Fill a buffer with the rows from ``first`` on."""
        at, done, place = 0, len(view), self._offset + first * self._row_bytes
        while at < done:  # a read may come back short (past 2 GB at once, on Linux)
            got = os.preadv(self._fd, [view[at:done]], place)
            if got <= 0:
                raise OSError(f"{self.path} ended before row {first} + {at // self._row_bytes}")
            at, place = at + got, place + got

    def nearest(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of each query's k nearest rows by an exhaustive scan, a slice at a time."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        k = min(k, self.size)
        best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
        best_r = np.zeros((len(queries), 0), dtype=np.int64)
        with open(self.path, "rb") as f:
            for at in range(0, self.size, SCAN_SLICE):
                count = min(SCAN_SLICE, self.size - at)
                part = np.fromfile(f, dtype=np.float32, count=count * self.dimension,
                                   offset=self._offset + at * self._row_bytes if at == 0 else 0)
                scores = queries @ part.reshape(count, self.dimension).T
                best_s = np.concatenate([best_s, scores], axis=1)
                best_r = np.concatenate([best_r, np.broadcast_to(np.arange(at, at + count), scores.shape)], axis=1)
                keep = np.argsort(-best_s, axis=1, kind="stable")[:, :k]
                best_s, best_r = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_r, keep, 1)
        return best_s, best_r

    @staticmethod
    def write(path: Path, vectors: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Write the vectors (or some rows of them) as a vector file; a whole matrix that already
        is an .npy file on the same disk is linked, not copied."""
        source = getattr(vectors, "filename", None)
        if rows is None and source and str(source).endswith(".npy") and vectors.dtype == np.float32:
            vectors.flush()
            try:
                os.link(source, path)
                return
            except OSError:
                pass
        rows = np.arange(len(vectors)) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(rows), vectors.shape[1]))
        for at in range(0, len(rows), ADD_SLICE):
            out[at:at + ADD_SLICE] = vectors[rows[at:at + ADD_SLICE]]
            release(out)
            release(vectors)
        out.flush()
        del out


class DenseIndex:
    """Passage vectors in FAISS, searched with one query vector at a time, rows as FAISS ids; a
    compressed index re-scores its candidates with the vectors stored in full (``VectorFile``)."""

    def __init__(self, index, stored: "VectorFile | None" = None, source: tuple | None = None):
        self._index, self._stored, self._source = index, stored, source
        self.size = index.ntotal
        self._last_bits: tuple[np.ndarray, np.ndarray] | None = None
        if compressed(index) and stored is None and source is None:
            raise ValueError("a compressed index needs its vectors (the .vectors.npy file beside it)")

    @classmethod
    def build(cls, vectors: np.ndarray, rows: np.ndarray | None = None) -> "DenseIndex":
        return cls(build_index(vectors, rows), source=(vectors, rows))

    def exact_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest vectors by exhaustive search, whatever the index type:
        what an approximate index's recall is measured against."""
        scores, rows = self.exact_nearest(query_vector.reshape(1, -1), k)
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep]

    def exact_nearest(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of each query's k nearest vectors by exhaustive search, in one pass."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._index.d)
        if self._stored is not None:
            return self._stored.nearest(queries, k)
        if self._source is not None and compressed(self._index):
            vectors, rows = self._source
            scores = queries @ np.asarray(vectors[rows] if rows is not None else vectors, dtype=np.float32).T
            top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            return np.take_along_axis(scores, top, 1), top
        if isinstance(self._index, faiss.IndexIVF):
            return self._index.search(queries, k, params=faiss.SearchParametersIVF(nprobe=self._index.nlist))
        return self._index.search(queries, k)

    @property
    def kind(self) -> str:
        """The FAISS index type in use (IndexFlatIP, IndexIVFScalarQuantizer)."""
        return type(self._index).__name__

    def search(self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest vectors, best first.

        Args:
            allowed: a boolean mask over rows; only those rows are searched (inside FAISS, so the
                k returned are the k best allowed ones). None: every row.
        """
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        wanted = min(self.size, REFINE * k) if compressed(self._index) else k
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        if allowed is None:
            scores, rows = self._index.search(query, wanted)
        else:
            scores, rows = self._index.search(query, wanted, params=self._only(allowed))
        keep = rows[0] >= 0
        scores, rows = scores[0][keep], rows[0][keep]
        if wanted != k:  # compressed: the candidates scored with their stored vectors, the best k kept
            scores = self.vectors(rows) @ query[0]
            order = np.argsort(-scores, kind="stable")[:k]
            scores, rows = scores[order], rows[order]
        return scores, rows

    def _only(self, allowed: np.ndarray, nprobe: int | None = None):
        """Search parameters that keep to the rows of a boolean mask; an IVF index probes
        ``nprobe`` lists (``probing``), or its own number."""
        import faiss

        if len(allowed) != self.size:
            raise ValueError(f"allowed mask has {len(allowed)} rows, the index {self.size}")
        bits = self._bits(allowed)
        ivf = isinstance(self._index, faiss.IndexIVF)
        params = (probing(self._index, nprobe) if ivf and nprobe else
                  faiss.SearchParametersIVF(nprobe=self._index.nprobe) if ivf else faiss.SearchParameters())
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # n counts bytes
        params.sel = selector
        params.keep_selection = (selector, bits)  # FAISS holds no reference to either: the parameters do
        return params

    def _bits(self, allowed: np.ndarray) -> np.ndarray:
        """A mask as FAISS's bitmap; the last one is kept, since a store passes the same mask (the
        same array) for every search under the same filters."""
        last = self._last_bits
        if last is not None and last[0] is allowed:
            return last[1]
        bits = np.packbits(allowed.astype(np.uint8, copy=False), bitorder="little")
        self._last_bits = (allowed, bits)
        return bits

    def nearest(self, queries: np.ndarray, k: int, nprobe: int | None = None,
                allowed: np.ndarray | None = None) -> np.ndarray:
        """Rows of the k nearest vectors of each query (-1 where there are fewer), in one call;
        an IVF index searches ``nprobe`` lists (default: its own number), and only the rows of
        the boolean mask ``allowed`` when one is given. A compressed index's order is its own
        (approximate): callers score the rows they keep."""
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self._index.d)
        k = min(k, self.size)
        if not len(queries) or k <= 0:
            return np.zeros((len(queries), 0), dtype=np.int64)
        if allowed is not None:
            return self._index.search(queries, k, params=self._only(allowed, nprobe))[1]
        if nprobe and isinstance(self._index, faiss.IndexIVF):
            return self._index.search(queries, k, params=probing(self._index, nprobe))[1]
        return self._index.search(queries, k)[1]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of some rows (in full, also for a compressed index)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self._index.d), dtype=np.float32)
        if self._stored is not None:
            return self._stored.rows(rows)
        if self._source is not None:
            vectors, subset = self._source
            return np.asarray(vectors[subset[rows] if subset is not None else rows], dtype=np.float32)
        return self._index.reconstruct_batch(rows)

    def save(self, path: Path) -> None:
        """Write the FAISS index, and beside a compressed one its vectors (``VECTORS_SUFFIX``)."""
        import faiss

        faiss.write_index(self._index, str(path))
        if compressed(self._index):
            if self._source is None:
                raise ValueError("only a freshly built compressed index can be saved (its vectors are needed)")
            VectorFile.write(vectors_path(path), *self._source)

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        index = searching(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC))  # memory-mapped: pages read as searched
        return cls(index, VectorFile(vectors_path(path)) if compressed(index) else None)


def vectors_path(index_path: Path) -> Path:
    """Where a compressed index's vectors are kept: beside it (``dense.faiss.vectors.npy``)."""
    return index_path.with_name(index_path.name + VECTORS_SUFFIX)


class SegmentedDense:
    """A base index and an index of the passages added after it, searched as one: rows of the
    added passages follow the base's, and each search takes the best k of both."""

    def __init__(self, parts: list[DenseIndex]):
        self._parts = parts
        self._starts = np.cumsum([0] + [p.size for p in parts])
        self.size = int(self._starts[-1])
        self._last_split: tuple[np.ndarray, list] | None = None

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
        return self._merged([part.search(query_vector, k, mask)
                             for part, mask in zip(self._parts, self._split(allowed))], k)

    def _split(self, allowed: np.ndarray | None) -> list:
        """Each part's share of a mask; the last mask's shares are kept, so that each part sees the
        same array again for the same filters (and reuses its bitmap of it)."""
        if allowed is None:
            return [None] * len(self._parts)
        last = self._last_split
        if last is not None and last[0] is allowed:
            return last[1]
        shares = [allowed[a:b] for a, b in zip(self._starts, self._starts[1:])]
        self._last_split = (allowed, shares)
        return shares

    def exact_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self._merged([part.exact_search(query_vector, k) for part in self._parts], k)

    def exact_nearest(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        found = [part.exact_nearest(queries, k) for part in self._parts]
        scores = np.concatenate([s for s, _ in found], axis=1)
        rows = np.concatenate([np.where(r >= 0, r + start, -1) for (_, r), start in zip(found, self._starts)], axis=1)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(scores, order, 1), np.take_along_axis(rows, order, 1)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self._parts[0]._index.d), dtype=np.float32)
        part = np.searchsorted(self._starts, rows, side="right") - 1
        for i, index in enumerate(self._parts):
            mine = np.flatnonzero(part == i)
            if len(mine):
                out[mine] = index.vectors(rows[mine] - self._starts[i])
        return out
