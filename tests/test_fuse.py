import numpy as np
import pytest

from qa.errors import ConfigError
from qa.config import Fusion, Mode, QuerySettings
from qa.fuse import RRF_K, fuse, fuse_candidates, minmax, rrf, weighted
from qa.types import Candidates


def test_rrf_matches_hand_worked_values():
    a = np.array([3.0, 2.0, 1.0])  # ranks 1, 2, 3
    b = np.array([1.0, 2.0, 3.0])  # ranks 3, 2, 1
    got = rrf([a, b], [1.0, 1.0])
    want = np.array([1 / 61 + 1 / 63, 2 / 62, 1 / 63 + 1 / 61])
    assert RRF_K == 60
    np.testing.assert_allclose(got, want)


def test_weighted_normalises_each_view_before_summing():
    dense = np.array([0.2, 0.6, 0.4])
    lexical = np.array([10.0, 0.0, 5.0])
    np.testing.assert_allclose(weighted([dense, lexical], [1.0, 0.5]), [0.0 + 0.5, 1.0 + 0.0, 0.5 + 0.25])


def test_all_equal_scores_tell_nothing_apart():
    np.testing.assert_array_equal(minmax(np.array([2.0, 2.0, 2.0])), [0.0, 0.0, 0.0])


def test_unknown_fusion_lists_the_allowed_values():
    with pytest.raises(ConfigError, match="fusion='max' is not one of rrf, weighted"):
        Fusion.parse("max")


def test_one_weight_per_view():
    with pytest.raises(ConfigError, match="2 score views but 1 weights"):
        fuse(Fusion.WEIGHTED, [np.ones(2), np.ones(2)], [1.0])


def test_the_mode_chooses_the_views_that_are_fused():
    found = Candidates(("p1", "p2", "p3"), dense=np.array([0.2, 0.6, 0.4], dtype=np.float32),
                       best=np.array([0.3, 0.7, 0.5], dtype=np.float32), lexical=np.array([10.0, 0.0, 5.0], dtype=np.float32),
                       phrase=np.array([0.0, 0.0, 2.0], dtype=np.float32), passages={})
    np.testing.assert_allclose(fuse_candidates(found, QuerySettings(mode=Mode.DENSE)), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(fuse_candidates(found, QuerySettings(mode=Mode.BM25)), [0.5, 0.0, 0.25])
    hybrid = QuerySettings(weight_dense=1.0, weight_lexical=0.5, weight_phrase=0.3)
    np.testing.assert_allclose(fuse_candidates(found, hybrid), [0.5, 1.0, 0.5 + 0.25 + 0.3])
