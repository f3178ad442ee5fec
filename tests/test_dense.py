from pathlib import Path

import numpy as np
import pytest

from qa.retrieve import dense
from qa.retrieve.dense import DenseIndex

# Unit vectors in the plane; against the query (1, 0) their inner products are 1, 0.8, 0.6, 0, -1.
VECTORS = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
QUERY = np.array([1.0, 0.0], dtype=np.float32)


@pytest.fixture
def index() -> DenseIndex:
    return DenseIndex.build(VECTORS)


def test_search_returns_the_nearest_rows_best_first(index):
    scores, rows = index.search(QUERY, 3)
    assert rows.tolist() == [0, 1, 2]
    np.testing.assert_allclose(scores, [1.0, 0.8, 0.6], atol=1e-6)


def test_k_above_the_size_returns_every_row_and_k_zero_none(index):
    assert index.search(QUERY, 50)[1].tolist() == [0, 1, 2, 3, 4]
    scores, rows = index.search(QUERY, 0)
    assert len(scores) == 0 and len(rows) == 0


def test_allowed_mask_returns_the_k_best_allowed_rows(index):
    allowed = np.array([False, False, True, True, True])
    scores, rows = index.search(QUERY, 2, allowed)
    assert rows.tolist() == [2, 3]  # not the two nearest overall (0, 1), nor fewer than k
    np.testing.assert_allclose(scores, [0.6, 0.0], atol=1e-6)


def test_allowed_mask_with_fewer_rows_than_k_returns_only_those(index):
    allowed = np.array([False, False, False, False, True])
    scores, rows = index.search(QUERY, 3, allowed)
    assert rows.tolist() == [4]
    np.testing.assert_allclose(scores, [-1.0], atol=1e-6)


def test_allowed_mask_admitting_nothing_returns_nothing(index):
    scores, rows = index.search(QUERY, 3, np.zeros(5, dtype=bool))
    assert len(scores) == 0 and len(rows) == 0


def test_nearest_of_many_queries_keeps_to_the_allowed_rows(index):
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert index.nearest(queries, 2).tolist() == [[0, 1], [3, 2]]
    allowed = np.array([False, True, False, True, True])
    assert index.nearest(queries, 2, allowed=allowed).tolist() == [[1, 3], [3, 1]]
    assert index.nearest(queries, 4, allowed=np.array([True, False, False, False, False])).tolist() == [
        [0, -1, -1, -1], [0, -1, -1, -1]]
    with pytest.raises(ValueError, match="mask has 2 rows"):
        index.nearest(queries, 2, allowed=np.ones(2, dtype=bool))


def test_vectors_returns_the_stored_rows_in_the_order_asked(index):
    np.testing.assert_allclose(index.vectors(np.array([3, 1])), [[0.0, 1.0], [0.8, 0.6]], atol=1e-6)
    assert index.vectors(np.array([], dtype=np.int64)).shape == (0, 2)


def test_a_saved_index_loads_with_the_same_rows_and_answers(index, tmp_path):
    path = tmp_path / "dense.faiss"
    index.save(path)
    loaded = DenseIndex.load(path)
    assert loaded.size == 5 and loaded.kind == "IndexFlatIP"
    assert loaded.search(QUERY, 3)[1].tolist() == [0, 1, 2]
    np.testing.assert_allclose(loaded.vectors(np.array([2])), [[0.6, 0.8]], atol=1e-6)


def test_a_collection_past_the_exact_limit_uses_a_compressed_ivf_rescored_exactly(monkeypatch, tmp_path):
    monkeypatch.setattr(dense, "EXACT_LIMIT", 100)
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((2000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex.build(vectors)
    assert index.kind == "IndexIVFScalarQuantizer"
    assert sum(index.search(vectors[i], 1)[1].tolist() == [i] for i in range(0, 2000, 50)) >= 38  # of 40
    scores, rows = index.search(vectors[9], 10)
    np.testing.assert_allclose(scores, vectors[rows] @ vectors[9], atol=1e-6)  # exact scores, not the codes'
    assert np.all(np.diff(scores) <= 0)
    allowed = np.zeros(2000, dtype=bool)
    allowed[1000:] = True
    scores, rows = index.search(vectors[5], 10, allowed)
    assert len(rows) == 10 and rows.min() >= 1000 and np.all(np.diff(scores) <= 1e-6)
    near = index.nearest(vectors[[1500, 10]], 5, nprobe=8, allowed=allowed)
    assert near.min() >= 1000 and near[0, 0] == 1500  # a row finds itself among the allowed
    np.testing.assert_allclose(index.vectors(np.array([7, 3])), vectors[[7, 3]], atol=1e-6)  # exact, by row
    index.save(tmp_path / "ivf.faiss")
    beside = tmp_path / f"ivf.faiss{dense.VECTORS_SUFFIX}"
    np.testing.assert_array_equal(np.load(beside), vectors)  # kept in full beside the index
    loaded = DenseIndex.load(tmp_path / "ivf.faiss")
    assert loaded.kind == "IndexIVFScalarQuantizer"
    for i in (42, 777, 1500):
        assert loaded.search(vectors[i], 5)[1].tolist() == index.search(vectors[i], 5)[1].tolist()
    np.testing.assert_allclose(loaded.vectors(np.array([1999, 0])), vectors[[1999, 0]], atol=1e-6)
    exact = np.argsort(-(vectors @ vectors[11]), kind="stable")[:20]
    assert loaded.exact_search(vectors[11], 20)[1].tolist() == exact.tolist()
    assert index.exact_search(vectors[11], 20)[1].tolist() == exact.tolist()
    beside.unlink()
    with pytest.raises(FileNotFoundError):
        DenseIndex.load(tmp_path / "ivf.faiss")


def test_a_vector_file_reads_rows_and_scans_like_the_matrix(tmp_path, monkeypatch):
    real_preadv = dense.os.preadv
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((300, 8)).astype(np.float32)
    dense.VectorFile.write(tmp_path / "some.npy", vectors, rows=np.array([4, 0, 299]))
    np.testing.assert_array_equal(np.load(tmp_path / "some.npy"), vectors[[4, 0, 299]])
    mapped = np.lib.format.open_memmap(tmp_path / "scratch.npy", mode="w+", dtype=np.float32, shape=vectors.shape)
    mapped[:] = vectors
    dense.VectorFile.write(tmp_path / "whole.npy", mapped)  # a whole vector file on the same disk: linked
    assert (tmp_path / "whole.npy").stat().st_ino == (tmp_path / "scratch.npy").stat().st_ino
    stored = dense.VectorFile(tmp_path / "whole.npy")
    np.testing.assert_array_equal(stored.rows(np.array([299, 3, 3])), vectors[[299, 3, 3]])
    some = np.random.default_rng(1).choice(300, size=250)
    np.testing.assert_array_equal(stored.rows(some), vectors[some])
    runs = np.r_[7:40, 2, 100:300, 0, 1, 41]  # runs of consecutive rows, read a run at a time, among single rows
    np.testing.assert_array_equal(stored.rows(runs), vectors[runs])
    ascending = np.unique(np.r_[0, 2, 3, 9, 18:24, 27, 100, 105, 299])  # near rows read in stretches, far ones alone
    np.testing.assert_array_equal(stored.rows(ascending), vectors[ascending])
    reads = []
    monkeypatch.setattr(dense.os, "preadv", lambda fd, buffers, place: reads.append(place) or real_preadv(fd, buffers, place))
    stored.rows(ascending)
    assert len(reads) == 6  # 0..3, 9, 18..27, 100, 105, 299 (one by one: 8 reads)
    assert stored.rows(np.array([], dtype=np.int64)).shape == (0, 8)
    with pytest.raises(IndexError):
        stored.rows(np.array([300]))
    cut = tmp_path / "cut.npy"
    cut.write_bytes((tmp_path / "whole.npy").read_bytes()[:-8])
    with pytest.raises(ValueError, match="cut short or damaged"):
        dense.VectorFile(cut)
    monkeypatch.setattr(dense, "SCAN_SLICE", 64)  # several slices
    scores, rows = stored.nearest(vectors[[10, 20]], 7)
    for q, found in zip((10, 20), rows):
        assert found.tolist() == np.argsort(-(vectors @ vectors[q]), kind="stable")[:7].tolist()


def test_a_mask_of_the_wrong_length_is_refused(index):
    with pytest.raises(ValueError, match="allowed mask has 2 rows"):
        index.search(index.vectors(np.array([0]))[0], 1, allowed=np.array([True, False]))


def test_a_vector_file_keeps_its_values_when_its_pages_are_released(tmp_path):
    path = tmp_path / "vectors.npy"
    matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(5, 2))
    matrix[:] = VECTORS
    dense.release(matrix)  # written back, then dropped from memory
    np.testing.assert_array_equal(matrix, VECTORS)  # read again from the file
    np.testing.assert_array_equal(np.load(path), VECTORS)
    dense.release(VECTORS.copy())  # an in-memory matrix: nothing to release, nothing changed


def test_releasing_the_rows_just_written_keeps_every_row_of_a_vector_file(tmp_path):
    path = tmp_path / "vectors.npy"
    rng = np.random.default_rng(3)
    expected = rng.standard_normal((3001, 384), dtype=np.float32)  # several pages, rows across page edges
    matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=expected.shape)
    for start in range(0, len(expected), 700):  # written and released a stretch at a time, as a build embeds
        stop = min(start + 700, len(expected))
        matrix[start:stop] = expected[start:stop]
        dense.release(matrix, (start, stop))
    np.testing.assert_array_equal(matrix, expected)
    np.testing.assert_array_equal(np.load(path), expected)
    view = matrix[1000:]  # rows of a view are not the file's rows: its release walks the whole file
    view[:5] = 0.0
    dense.release(view, (0, 5))
    np.testing.assert_array_equal(np.load(path)[1000:1005], 0.0)


def _resident_kb(path) -> int:
    """How much of a file mapped into this process is in its memory now (kB, from /proc/self/smaps)."""
    total, inside = 0, False
    for line in open("/proc/self/smaps"):
        head = line.split()
        if head and "-" in head[0] and ":" not in head[0]:  # a mapping's first line
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(head[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads resident pages from /proc/self/smaps")
def test_gathering_rows_spread_over_a_vector_file_keeps_little_of_it_in_memory(tmp_path):
    path = tmp_path / "vectors.npy"
    rng = np.random.default_rng(5)
    rows, dimension = 40_000, 384  # 61 MB
    matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dimension))
    for start in range(0, rows, 5000):
        matrix[start:start + 5000] = rng.standard_normal((5000, dimension), dtype=np.float32)
    dense.release(matrix)
    sample = np.sort(rng.choice(rows, size=3000, replace=False))  # one row in 13, spread over the file
    got = dense.gather(matrix, sample)
    assert got.dtype == np.float32 and got.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(got, np.load(path)[sample])
    file_kb = path.stat().st_size // 1024
    assert _resident_kb(path) < file_kb // 4, "the gathered rows' pages should have been let go"
    matrix[sample]  # read plainly, the same rows bring most of the file in: the measure sees it
    assert _resident_kb(path) > file_kb // 4


def test_an_index_over_some_rows_of_a_vector_file_numbers_them_from_zero(tmp_path):
    matrix = np.lib.format.open_memmap(tmp_path / "vectors.npy", mode="w+", dtype=np.float32, shape=(5, 2))
    matrix[:] = VECTORS
    index = DenseIndex.build(matrix, rows=np.array([1, 3, 4]))
    scores, rows = index.search(QUERY, 3)
    assert rows.tolist() == [0, 1, 2]  # rows 1, 3 and 4 of the file, best first
    np.testing.assert_allclose(scores, [0.8, 0.0, -1.0], atol=1e-6)


def test_a_base_and_an_added_index_search_as_one():
    from qa.retrieve.dense import SegmentedDense

    both = SegmentedDense([DenseIndex.build(VECTORS[[0, 2, 4]]), DenseIndex.build(VECTORS[[1, 3]])])
    assert both.size == 5 and both.kind == "IndexFlatIP+IndexFlatIP"
    scores, rows = both.search(QUERY, 3)  # rows 0-2 are the base's, 3-4 the added
    assert rows.tolist() == [0, 3, 1]
    np.testing.assert_allclose(scores, [1.0, 0.8, 0.6], atol=1e-6)
    scores, rows = both.search(QUERY, 2, allowed=np.array([False, True, True, False, True]))
    assert rows.tolist() == [1, 4]  # 0.6 (base), then 0.0 (added)
    assert both.exact_search(QUERY, 2)[1].tolist() == [0, 3]
    assert both.exact_nearest(np.vstack([QUERY, QUERY]), 2)[1].tolist() == [[0, 3], [0, 3]]
    np.testing.assert_allclose(both.vectors(np.array([3, 0, 4])), VECTORS[[1, 0, 3]])
    with pytest.raises(ValueError, match="6 rows"):
        both.search(QUERY, 2, allowed=np.ones(6, dtype=bool))
