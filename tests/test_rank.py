import numpy as np
import pytest

from qa.config import QuerySettings
from qa import rank
from qa.rank import adjust, diversify, lift_official, order, rerank
from qa.types import Query, Ranking

SETTINGS = QuerySettings(cue_boost=0.3, news_penalty=0.05)


def make_query(**fields) -> Query:
    return Query(text="q", dense_text="q", terms=(), phrases=(), **fields)


def is_decreasing(scores) -> bool:
    return all(a > b for a, b in zip(scores, scores[1:]))


# ---- adjust ----------------------------------------------------------------------------------

DOC_IDS = ["rome", "rome-news", "paris"]
IS_NEWS = np.array([False, True, False])


def test_news_paragraph_loses_the_news_penalty():
    out = adjust(np.array([0.5, 0.5, 0.4]), make_query(), DOC_IDS, IS_NEWS, SETTINGS)
    np.testing.assert_allclose(out, [0.5, 0.45, 0.4])


def test_no_news_penalty_when_the_question_asks_for_news():
    out = adjust(np.array([0.5, 0.5, 0.4]), make_query(asks_for_news=True), DOC_IDS, IS_NEWS, SETTINGS)
    np.testing.assert_allclose(out, [0.5, 0.5, 0.4])


def test_paragraphs_of_a_named_document_get_the_cue_boost():
    query = make_query(cue_doc_ids=frozenset({"paris"}))
    out = adjust(np.array([0.5, 0.5, 0.4]), query, DOC_IDS, IS_NEWS, SETTINGS)
    np.testing.assert_allclose(out, [0.5, 0.45, 0.7])


def test_a_statement_named_as_a_document_ranks_above_every_other_paragraph():
    fused = np.array([0.9, 0.5, 0.1])
    named = adjust(fused, make_query(cue_doc_ids=frozenset({"paris"}), names_documents=True), DOC_IDS, IS_NEWS, SETTINGS)
    assert order(DOC_IDS, named).ids[0] == "paris"
    boosted = adjust(fused, make_query(cue_doc_ids=frozenset({"paris"})), DOC_IDS, IS_NEWS, SETTINGS)
    assert order(DOC_IDS, boosted).ids[0] == "rome"  # a year or place alone: the boost only


def test_a_year_alone_lifts_the_paragraphs_that_mention_it_like_that_year_s_statement():
    fused = np.array([0.5, 0.5, 0.45])
    mentions = np.array([False, False, True])  # "paris" is of another year, and reports this one's figure
    query = make_query(cue_doc_ids=frozenset({"rome"}), cue_years=("2029",))
    out = adjust(fused, query, DOC_IDS, IS_NEWS, SETTINGS, mentions)
    np.testing.assert_allclose(out, [0.8, 0.45, 0.75])
    named = make_query(cue_doc_ids=frozenset({"rome"}), cue_years=("2029",), names_documents=True)
    assert adjust(fused, named, DOC_IDS, IS_NEWS, SETTINGS, mentions)[2] == pytest.approx(0.45)  # "the 2029 statement"


def test_a_news_report_is_not_lifted_above_the_statements_by_a_document_noun():
    fused = np.array([0.9, 0.5, 0.1])
    query = make_query(cue_doc_ids=frozenset({"rome-news", "paris"}), names_documents=True)
    out = adjust(fused, query, DOC_IDS, IS_NEWS, SETTINGS)
    assert order(DOC_IDS, out).ids == ("paris", "rome", "rome-news")


def test_adjust_leaves_the_fused_scores_untouched():
    fused = np.array([0.5, 0.5, 0.4])
    adjust(fused, make_query(cue_doc_ids=frozenset({"rome"})), DOC_IDS, IS_NEWS, SETTINGS)
    np.testing.assert_array_equal(fused, [0.5, 0.5, 0.4])


# ---- lift_official ---------------------------------------------------------------------------

def test_official_paragraph_is_lifted_just_above_its_news_twin():
    ids = ["official", "news", "other"]
    out = lift_official(ids, np.array([0.4, 0.6, 0.5]), [("news", "official")])
    assert out[0] == pytest.approx(0.6 + 1e-6)
    assert out[0] > out[1]
    assert out[1] == 0.6 and out[2] == 0.5
    assert order(ids, out).ids == ("official", "news", "other")


def test_official_paragraph_tied_with_its_news_twin_is_lifted_above_it():
    ids = ["news", "official"]  # the news report comes first in collection order
    out = lift_official(ids, np.array([0.5, 0.5]), [("news", "official")])
    assert out[1] > out[0]
    assert order(ids, out).ids == ("official", "news")


def test_official_paragraph_already_ahead_of_its_twin_keeps_its_score():
    out = lift_official(["official", "news"], np.array([0.7, 0.6]), [("news", "official")])
    np.testing.assert_array_equal(out, [0.7, 0.6])


def test_twin_whose_official_paragraph_is_not_a_candidate_is_ignored():
    scores = np.array([0.6, 0.5])
    out = lift_official(["news", "other"], scores, [("news", "official-not-found")])
    np.testing.assert_array_equal(out, [0.6, 0.5])


def test_lift_official_returns_a_new_array():
    scores = np.array([0.4, 0.6])
    lift_official(["official", "news"], scores, [("news", "official")])
    np.testing.assert_array_equal(scores, [0.4, 0.6])


# ---- order -----------------------------------------------------------------------------------

def test_order_puts_the_best_first_and_keeps_collection_order_on_ties():
    ranking = order(["a", "b", "c", "d"], np.array([0.2, 0.5, 0.2, 0.9]))
    assert ranking.ids == ("d", "b", "a", "c")
    assert ranking.scores == (0.9, 0.5, 0.2, 0.2)


def test_order_keeps_collection_order_among_many_ties():
    # 30 paragraphs scoring 2, 1, 0, 2, 1, 0, ...: each score's paragraphs stay in collection order.
    ids = [f"p{i:02d}" for i in range(30)]
    ranking = order(ids, np.array([float(2 - i % 3) for i in range(30)]))
    assert list(ranking.ids) == ids[0::3] + ids[1::3] + ids[2::3]


# ---- diversify -------------------------------------------------------------------------------

GROUPS = {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "c1": "c"}


def test_second_paragraph_of_a_cited_document_gives_way_to_another_document():
    # range 1.0 - 0.5 = 0.5, step 0.5 * 0.5 = 0.25: after a1, a2 counts 0.9 - 0.25 = 0.65 < b1's 0.8.
    ranking = Ranking(("a1", "a2", "b1", "c1"), (1.0, 0.9, 0.8, 0.5))
    out = diversify(ranking, GROUPS.__getitem__, penalty=0.5, depth=4)
    assert out.ids == ("a1", "b1", "a2", "c1")
    assert out.scores == pytest.approx((1.0, 0.8, 0.65, 0.5))


def test_small_penalty_keeps_a_clear_second_of_the_same_document():
    # step 0.1 * 0.5 = 0.05: a2 counts 0.85, still ahead of b1's 0.8.
    ranking = Ranking(("a1", "a2", "b1", "c1"), (1.0, 0.9, 0.8, 0.5))
    out = diversify(ranking, GROUPS.__getitem__, penalty=0.1, depth=4)
    assert out.ids == ("a1", "a2", "b1", "c1")
    assert out.scores == pytest.approx((1.0, 0.85, 0.8, 0.5))


def test_zero_penalty_leaves_the_ranking_as_it_was():
    ranking = Ranking(("a1", "a2", "b1"), (1.0, 0.9, 0.8))
    assert diversify(ranking, GROUPS.__getitem__, penalty=0.0, depth=3) == ranking


def test_items_below_the_depth_stay_below_the_re_ranked_head():
    # head a1, a2, a3 (range 0.06, step 0.06): a2 counts 0.89, then a3 0.94 - 0.12 = 0.82.
    # b1 is past the depth: it keeps its place, its score pushed under a3's.
    ranking = Ranking(("a1", "a2", "a3", "b1"), (1.0, 0.95, 0.94, 0.93))
    out = diversify(ranking, GROUPS.__getitem__, penalty=1.0, depth=3)
    assert out.ids == ("a1", "a2", "a3", "b1")
    assert out.scores[:3] == pytest.approx((1.0, 0.89, 0.82))
    assert out.scores[3] < out.scores[2]
    assert is_decreasing(out.scores)


def test_diversified_scores_strictly_decrease_even_where_penalised_scores_tie():
    # step 0.5 * 0.2 = 0.1: b1 (0.8) and a2 (0.9 - 0.1 = 0.8) tie after a1.
    ranking = Ranking(("a1", "a2", "b1"), (1.0, 0.9, 0.8))
    out = diversify(ranking, GROUPS.__getitem__, penalty=0.5, depth=3)
    assert out.ids[0] == "a1"
    assert is_decreasing(out.scores)


# ---- rerank ----------------------------------------------------------------------------------

def test_rerank_reorders_the_head_and_shifts_the_tail_below_it():
    ranking = Ranking(("a", "b", "c", "d"), (0.9, 0.8, 0.7, 0.6))
    asked = []

    def scores_of(ids):
        asked.append(list(ids))
        return [{"a": 1.0, "b": 3.0}[i] for i in ids]

    out = rerank(ranking, scores_of, depth=2)
    assert asked == [["a", "b"]]  # only the head is re-scored, in ranking order
    assert out.ids == ("b", "a", "c", "d")
    assert out.scores[:2] == (3.0, 1.0)
    # the tail keeps its gaps and sits just below the head's lowest score
    assert out.scores[2] == pytest.approx(0.9, abs=1e-8) and out.scores[2] < 1.0
    assert out.scores[2] - out.scores[3] == pytest.approx(0.1)


def test_tail_sits_below_the_head_when_cross_encoder_scores_are_negative():
    ranking = Ranking(("a", "b", "c"), (0.9, 0.8, 0.7))
    out = rerank(ranking, lambda ids: [-5.0, -2.0], depth=2)
    assert out.ids == ("b", "a", "c")
    assert out.scores[2] == pytest.approx(-5.1, abs=1e-8)
    assert is_decreasing(out.scores)


def test_rerank_ties_keep_the_earlier_order():
    ranking = Ranking(("a", "b", "c"), (0.9, 0.8, 0.7))
    out = rerank(ranking, lambda ids: [0.5, 0.5, 0.9], depth=3)
    assert out.ids == ("c", "a", "b")


def test_rerank_of_an_empty_ranking_asks_nothing():
    def fail(ids):
        raise AssertionError("nothing to score")

    empty = Ranking((), ())
    assert rerank(empty, fail, depth=5) == empty


def test_a_reranker_giving_too_few_scores_is_an_error_not_a_shorter_answer():
    ranking = Ranking(("a", "b", "c"), (3.0, 2.0, 1.0))
    with pytest.raises(ValueError, match="the reranker gave 1 scores for 3 paragraphs"):
        rerank(ranking, lambda ids: [1.0], depth=3)


def test_a_lift_changes_the_head_only_through_the_items_within_reach_of_it():
    rng = np.random.default_rng(7)
    for trial in range(200):
        n, depth, lift = int(rng.integers(1, 60)), int(rng.integers(1, 25)), float(rng.uniform(0, 0.5))
        scores = rng.uniform(0, 1, n).round(2)  # ties included
        lifted = rng.random(n) < 0.4
        reach = rank.within_reach(scores, lift, depth)
        everywhere = rank.order([str(i) for i in range(n)], scores + lift * lifted)
        in_reach = rank.order([str(i) for i in range(n)], scores + lift * (lifted & reach))
        assert everywhere.ids[:depth] == in_reach.ids[:depth]
        assert everywhere.scores[:depth] == in_reach.scores[:depth]
    scores = np.array([0.9, 0.8, 0.5, 0.45, 0.1])
    assert rank.within_reach(scores, 0.3, 2).tolist() == [True, True, True, False, False]
    assert rank.within_reach(scores, 0.3, 5).all() and rank.within_reach(scores[:0], 0.3, 2).shape == (0,)


def test_first_puts_the_items_asked_for_before_the_others_with_scores_that_never_rise():
    ranking = Ranking(("a", "b", "c", "d"), (0.9, 0.7, 0.5, 0.3))
    moved = rank.first(ranking, ["c", "x"])  # "x" was not ranked at all
    assert moved.ids == ("c", "x", "a", "b", "d")
    assert moved.scores == (0.9, 0.9, 0.9, 0.7, 0.3)  # lifted to the best of the others, then kept
    kept_own = rank.first(ranking, ["a", "d"])
    assert kept_own.ids == ("a", "d", "b", "c") and kept_own.scores == (0.9, 0.7, 0.7, 0.5)
    at = rank.first(ranking, ["b"], floor=1.2)
    assert at.ids[0] == "b" and at.scores[0] == 1.2 and list(at.scores) == sorted(at.scores, reverse=True)
