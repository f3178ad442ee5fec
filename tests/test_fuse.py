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
    np.testing.assert_allclose(fuse_candidates(found, QuerySettings(mode=Mode.BM25, weight_lexical=0.5)), [0.5, 0.0, 0.25])
    hybrid = QuerySettings(fusion=Fusion.WEIGHTED, weight_dense=1.0, weight_lexical=0.5, weight_phrase=0.3)
    np.testing.assert_allclose(fuse_candidates(found, hybrid), [0.5, 1.0, 0.5 + 0.25 + 0.3])


def test_coverage_fusion_counts_words_by_how_much_of_the_question_they_cover():
    found = Candidates(("p1", "p2", "p3"), dense=np.array([0.2, 0.6, 0.4], dtype=np.float32),
                       best=np.zeros(3, dtype=np.float32), lexical=np.array([2.0, 0.0, 1.0], dtype=np.float32),
                       phrase=np.array([0.0, 0.0, 2.0], dtype=np.float32), passages={}, lexical_bound=8.0)
    settings = QuerySettings(fusion=Fusion.COVERAGE, weight_dense=1.0, weight_lexical=0.75, weight_phrase=0.3)
    # dense min-max 0, 1, 0.5; words cover 2/8, 0, 1/8; the phrase view (min-max 0, 0, 1) counts as
    # much as the best coverage, 0.25.
    np.testing.assert_allclose(fuse_candidates(found, settings),
                               [0.75 * 0.25, 1.0, 0.5 + 0.75 * 0.125 + 0.3 * 0.25])
    # A question barely covered: min-max would give its best weak match the full weight, coverage does not.
    weak = Candidates(("p1", "p2"), dense=np.array([0.9, 0.5], dtype=np.float32), best=np.zeros(2, dtype=np.float32),
                      lexical=np.array([0.0, 0.4], dtype=np.float32), phrase=np.zeros(2, dtype=np.float32),
                      passages={}, lexical_bound=8.0)
    assert np.argmax(fuse_candidates(weak, settings)) == 0
    assert np.argmax(fuse_candidates(weak, QuerySettings(fusion=Fusion.WEIGHTED, weight_lexical=1.5))) == 1


def test_words_no_paragraph_has_count_against_the_coverage_of_those_it_has():
    # The question's one known word is in p2 only (score 2 of a bound of 2: all it knows), and its
    # other words are in no paragraph. Counted, they leave p2's match the small share it is, and the
    # paragraph nearest in meaning, p1, first.
    def found(unknown: float) -> Candidates:
        return Candidates(("p1", "p2"), dense=np.array([0.9, 0.5], dtype=np.float32), best=np.zeros(2, dtype=np.float32),
                          lexical=np.array([0.0, 2.0], dtype=np.float32), phrase=np.zeros(2, dtype=np.float32),
                          passages={}, lexical_bound=2.0, lexical_unknown=unknown)

    settings = QuerySettings(fusion=Fusion.COVERAGE, weight_dense=1.0, weight_lexical=1.5, weight_phrase=0.3)
    np.testing.assert_allclose(fuse_candidates(found(0.0), settings), [1.0, 1.5])
    np.testing.assert_allclose(fuse_candidates(found(6.0), settings), [1.0, 1.5 * 2 / 8])



def test_a_one_word_question_is_covered_by_every_paragraph_holding_the_word():
    # p2 holds the word once in a long paragraph (BM25 1 of a bound of 4); p1 is nearer in meaning
    # but lacks it. Searched for that word (nearly) alone, holding it covers at least half.
    def found(main_word) -> Candidates:
        return Candidates(("p1", "p2", "p3"), dense=np.array([0.55, 0.5, 0.4], dtype=np.float32),
                          best=np.zeros(3, dtype=np.float32), lexical=np.array([0.0, 1.0, 0.0], dtype=np.float32),
                          phrase=np.zeros(3, dtype=np.float32), passages={}, lexical_bound=4.0, main_word=main_word)

    settings = QuerySettings(fusion=Fusion.COVERAGE, weight_dense=1.0, weight_lexical=0.75, weight_phrase=0.3,
                             one_word_hold=0.5)
    alone = found(np.array([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(fuse_candidates(alone, settings), [1.0, 2 / 3 + 0.75 * (0.5 * 0.25 + 0.5), 0.0],
                               rtol=1e-6)
    assert np.argmax(fuse_candidates(alone, settings)) == 1
    # The word with 90% of the question's weight: its holders are lifted towards that share.
    np.testing.assert_allclose(fuse_candidates(found(np.array([0.0, 0.9, 0.0])), settings)[1],
                               2 / 3 + 0.75 * (0.5 * 0.25 + 0.5 * 0.9), rtol=1e-6)
    # No word carries the question: holding one of them covers a share, as before; so with the lift off.
    assert np.argmax(fuse_candidates(found(None), settings)) == 0
    off = QuerySettings(fusion=Fusion.COVERAGE, one_word_hold=0.0)
    np.testing.assert_allclose(fuse_candidates(alone, off), fuse_candidates(found(None), off))
