"""The evaluation as people read it: text tables, misses, and the report folder."""

import json

import pytest

from qa.corpus import load_collection
from qa.eval.dataset import EvalQuestion, Gold
from qa.eval.metrics import Ranked, score
from qa.eval.report import failures, format_table, not_ahead, write
from qa.eval.run import Evaluation

from conftest import CORPUS


def test_report_says_where_a_peer_is_not_behind():
    tables = {"ours": {"direct": {"hit@1": 0.9, "hit@5": 1.0, "mrr@10": 0.95}},
              "peer": {"direct": {"hit@1": 0.5, "hit@5": 1.0, "mrr@10": 0.96}}}
    assert not_ahead(tables) == ["- direct, hit@5: peer ties us (1.000 vs 1.000)",
                                 "- direct, mrr@10: peer beats us (0.960 vs 0.950)"]


@pytest.fixture(scope="module")
def small():
    collection = load_collection(CORPUS)
    questions = (EvalQuestion("a", "direct", "detainees?", (Gold("rome-2021", 7, 2),)),
                 EvalQuestion("b", "off_topic", "cake?", ()))
    systems = {"ours": {"a": Ranked((("rome-2021", 1), ("rome-2021", 7)), False), "b": Ranked((("rome-2021", 1),), False)},
               "peer": {"a": Ranked((("rome-2021", 7),), False), "b": Ranked((("rome-2021", 2),), False)}}
    tables = {name: score(list(questions), ranked, collection) for name, ranked in systems.items()}
    return collection, Evaluation(questions, systems, tables, {"a": 0.4, "b": 0.1}, "abstention: (margin)",
                                  {"test": tables})


def test_text_table_has_a_row_per_kind_and_the_refusal_line(small):
    _, evaluation = small
    text = format_table("ours", evaluation.tables["ours"])
    lines = text.splitlines()
    assert lines[0] == "ours" and lines[1].split()[:3] == ["kind", "n", "hit@1"]
    direct = next(line for line in lines if line.startswith("direct"))
    assert direct.split()[1:3] == ["1", "0.000"]  # one question, missed at rank 1
    assert "unanswerable refused: 0.000" in text


def test_failures_name_the_missed_and_the_unrefused(small):
    _, evaluation = small
    lines = failures(list(evaluation.questions), evaluation.systems["ours"], evaluation.tables["ours"])
    assert lines[0].startswith("a: 'detainees?'") and "wanted rome-2021#7" in lines[0] and "got    rome-2021#1, rome-2021#7" in lines[0]
    assert lines[1] == "b: not refused: 'cake?' -> rome-2021#1"


def test_report_folder_has_markdown_plots_trec_and_json(small, tmp_path):
    collection, evaluation = small

    class FakeEngine:  # the report reads only these of an engine
        from qa.config import Settings
        settings = Settings()
        manifest = {"model": "hashing", "model_fingerprint": "hashing-v1", "created": "2026-11-23T00:00:00+00:00"}

    FakeEngine.collection = collection
    path = write(tmp_path / "report", evaluation, FakeEngine())
    text = path.read_text(encoding="utf-8")
    assert "- direct, hit@1: peer beats us (1.000 vs 0.000)" in text
    for name in ("recall_at_k.png", "by_kind.png", "risk_coverage.png", "qrels.txt", "ours.run", "peer.run",
                 "results.json"):
        assert (tmp_path / "report" / name).stat().st_size > 0, name
    assert (tmp_path / "report" / "qrels.txt").read_text().strip() == "a 0 rome-2021#7 2"
    assert (tmp_path / "report" / "ours.run").read_text().splitlines()[0] == "a Q0 rome-2021#1 1 10.0 ours"
    results = json.loads((tmp_path / "report" / "results.json").read_text())
    assert results["all"]["peer"]["overall"]["hit@1"] == 1.0 and results["test"]["ours"]["overall"]["hit@1"] == 0.0
    assert "## Test half (report these)" in text and "## Tuning half" not in text  # only halves the set has
    # Confidences a 0.4, b 0.1: answering "a" alone is wrong (missed at rank 1), answering both too.
    assert "| 0.50 | 1.000 | 0.400 |" in text and "area 1.000" in text and "2 of 2 questions answered" in text
