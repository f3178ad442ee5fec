import numpy as np
import pytest

from qa.errors import ConfigError
from qa.fuse import RRF_K, Fusion, fuse, minmax, rrf, weighted, diversify


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
    with pytest.raises(ConfigError, match="'max' is not one of rrf, weighted"):
        Fusion.parse("max")


def test_one_weight_per_view():
    with pytest.raises(ConfigError, match="2 score views but 1 weights"):
        fuse(Fusion.WEIGHTED, [np.ones(2), np.ones(2)], [1.0])


def test_diversify_lets_another_document_in_before_a_close_second_of_the_first():
    scores = np.array([1.0, 0.95, 0.9, 0.0])
    groups = ["a", "a", "b", "c"]
    order, adjusted = diversify([0, 1, 2, 3], scores, groups, penalty=0.1)
    # scaled: 1.0, 0.95, 0.9, 0.0; after "a" is picked, item 1 counts 0.95 - 0.1 = 0.85 < 0.9 for "b".
    assert order == [0, 2, 1, 3]
    assert adjusted[order].tolist() == sorted(adjusted[order].tolist(), reverse=True)
    assert adjusted[1] == pytest.approx(0.85) and adjusted[0] == 1.0
    assert diversify([0, 1, 2, 3], scores, groups, penalty=0.0)[0] == [0, 1, 2, 3]  # off: order kept
    assert diversify([0, 1, 2, 3], scores, groups, penalty=0.01)[0] == [0, 1, 2, 3]  # too small to swap
