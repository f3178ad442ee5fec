import json

import pytest

from qa.corpus import load_collection
from qa.errors import EvalError
from qa.evaluate import (DEFAULT_SET, KINDS, EvalQuestion, Gold, Ranked, below_floors, load_eval_set, read_floors,
                         run_dict, score)

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


def write_set(tmp_path, rows):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows), encoding="utf-8")
    return path


GOOD = {"id": "a", "kind": "direct", "question": "q", "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 2}]}


@pytest.mark.parametrize(
    "rows, message",
    [([GOOD, {**GOOD, "id": "b", "gold": [{"doc_id": "paris-2024", "paragraph": 1}]}],
      r"set\.jsonl:2: gold doc_id 'paris-2024' is not in the collection"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 12}]}], r"set\.jsonl:1: rome-2021 has no paragraph 12"),
     ([GOOD, "{broken"], r"set\.jsonl:2 is not valid JSON"),
     ([GOOD, GOOD], r"set\.jsonl:2: id 'a' is used twice"),
     ([{**GOOD, "kind": "trivia"}], r"kind 'trivia' is not one of direct"),
     ([{**GOOD, "kind": "off_topic"}], "an off_topic question must have no gold"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 1}]}], "needs at least one gold paragraph of grade 2"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 3}]}], "grade 3 must be 1"),
     ([{"id": "a", "kind": "direct"}], "needs string fields id, kind and question")],
)
def test_eval_file_errors_name_the_line(tmp_path, collection, rows, message):
    with pytest.raises(EvalError, match=message):
        load_eval_set(write_set(tmp_path, rows), collection)


def test_public_eval_set_is_valid_and_covers_every_kind(collection):
    questions = load_eval_set(DEFAULT_SET, collection)
    assert len(questions) >= 100
    for kind in KINDS:
        assert sum(q.kind == kind for q in questions) >= 10, kind
    assert {g.doc_id for qq in questions for g in qq.gold} == {d.id for d in collection.documents}


def test_floors_are_checked_in_both_directions():
    table = {"overall": {"hit@5": 0.96, "mrr@10": 0.95, "false_refusals": 0.05, "refused": 1.0}}
    problems = below_floors(table, {"hit@5": 0.97, "mrr@10": 0.9, "false_refusals_max": 0.02, "refused": 1.0})
    assert problems == ["hit@5 0.960 < 0.97", "false refusals 0.050 > 0.02"]
    assert set(read_floors()) >= {"hit@5", "mrr@10", "refused", "false_refusals_max"}


def test_report_says_where_a_peer_is_not_behind():
    from qa.report import not_ahead

    tables = {"ours": {"direct": {"hit@1": 0.9, "hit@5": 1.0, "mrr@10": 0.95}},
              "peer": {"direct": {"hit@1": 0.5, "hit@5": 1.0, "mrr@10": 0.96}}}
    assert not_ahead(tables) == ["- direct, hit@5: peer ties us (1.000 vs 1.000)",
                                 "- direct, mrr@10: peer beats us (0.960 vs 0.950)"]
