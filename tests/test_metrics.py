"""Metrics (ranx) on hand-worked runs, and the CI floors."""

import pytest

from qa.corpus import load_collection
from qa.eval.dataset import EvalQuestion, Gold
from qa.eval.metrics import Ranked, area_under_risk_coverage, below_floors, read_floors, risk_coverage, run_dict, score

from conftest import CORPUS


@pytest.fixture(scope="module")
def collection():
    return load_collection(CORPUS)


def q(qid, kind, *gold):
    return EvalQuestion(qid, kind, f"question {qid}", tuple(Gold(d, p, g) for d, p, g in gold))


def test_metrics_match_hand_worked_values(collection):
    questions = [
        q("a", "direct", ("rome-2021", 7, 2)),                                 # found at rank 2
        q("b", "cross_document", ("rome-2021", 7, 2), ("kuwait-2018", 6, 1)),  # both found, ranks 1 and 4
        q("c", "off_topic"),
    ]
    ranked = {
        "a": Ranked((("rome-2021", 1), ("rome-2021", 7)), refused=False),
        "b": Ranked((("rome-2021", 7), ("rome-2021", 1), ("rome-2021", 2), ("kuwait-2018", 6)), refused=False),
        "c": Ranked((("rome-2021", 1),), refused=True),
    }
    table = score(questions, ranked, collection)
    assert table["direct"]["mrr@10"] == pytest.approx(0.5)
    assert table["direct"]["hit@1"] == 0.0 and table["direct"]["hit@3"] == 1.0
    assert table["cross_document"]["recall@5"] == pytest.approx(1.0)
    assert table["overall"]["mrr@10"] == pytest.approx(0.75)
    assert table["overall"]["hit@1"] == pytest.approx(0.5)
    assert table["off_topic"]["refused"] == 1.0
    assert table["overall"]["false_refusals"] == 0.0


def test_recall_with_two_gold_paragraphs_counts_each(collection):
    questions = [q("b", "cross_document", ("rome-2021", 7, 2), ("kuwait-2018", 6, 2))]
    ranked = {"b": Ranked((("rome-2021", 7),) + tuple(("rome-2021", n) for n in range(1, 6)) + (("kuwait-2018", 6),),
                          refused=False)}
    table = score(questions, ranked, collection)
    assert table["overall"]["recall@5"] == pytest.approx(0.5)
    assert table["overall"]["recall@10"] == pytest.approx(1.0)


def test_runs_have_strictly_decreasing_scores_and_drop_news_for_news_claims(collection):
    questions = [q("n", "news_claim", ("washington-2017", 5, 2))]
    ranked = {"n": Ranked((("news-washington-2017", 6), ("washington-2017", 5), ("washington-2017", 1)), False)}
    run = run_dict(questions, ranked, {"news-washington-2017"})
    assert list(run["n"]) == ["washington-2017#5", "washington-2017#1"]
    assert run["n"]["washington-2017#5"] > run["n"]["washington-2017#1"]
    assert score(questions, ranked, collection)["overall"]["hit@1"] == 1.0


def test_refused_answerable_questions_count_as_false_refusals(collection):
    questions = [q("a", "direct", ("rome-2021", 7, 2)), q("b", "direct", ("rome-2021", 6, 2))]
    ranked = {"a": Ranked((("rome-2021", 7),), True), "b": Ranked((("rome-2021", 6),), False)}
    assert score(questions, ranked, collection)["overall"]["false_refusals"] == 0.5


def test_floors_are_checked_in_both_directions():
    table = {"overall": {"hit@5": 0.96, "mrr@10": 0.95, "false_refusals": 0.05, "refused": 1.0}}
    problems = below_floors(table, {"hit@5": 0.97, "mrr@10": 0.9, "false_refusals_max": 0.02, "refused": 1.0})
    assert problems == ["hit@5 0.960 < 0.97", "false refusals 0.050 > 0.02"]
    assert set(read_floors()) >= {"hit@5", "mrr@10", "refused", "false_refusals_max"}


def test_risk_coverage_answers_the_most_confident_first():
    questions = [EvalQuestion("right", "direct", "?", (Gold("rome-2021", 7, 2),)),
                 EvalQuestion("missed", "direct", "?", (Gold("rome-2021", 7, 2),)),
                 EvalQuestion("off", "off_topic", "?", ()),
                 EvalQuestion("tie", "direct", "?", (Gold("rome-2021", 7, 2),))]
    per = {"right": {"hit@1": 1.0}, "missed": {"hit@1": 0.0}, "tie": {"hit@1": 1.0}}
    confidences = {"right": 0.9, "missed": 0.5, "off": 0.2, "tie": 0.5}
    curve = risk_coverage(questions, per, confidences)
    # 0.9: one answer, right; 0.5: "missed" and "tie" join together (equal confidence); 0.2: all.
    assert curve == [(0.25, 0.0, 0.9), (0.75, 1 / 3, 0.5), (1.0, 0.5, 0.2)]
    assert area_under_risk_coverage(curve) == pytest.approx(0.5 * (1 / 3) + 0.25 * 0.5)
    # A confidence that puts the wrong answers first has the larger area.
    worse = risk_coverage(questions, per, {"right": 0.1, "missed": 0.9, "off": 0.8, "tie": 0.05})
    assert area_under_risk_coverage(worse) > area_under_risk_coverage(curve)
