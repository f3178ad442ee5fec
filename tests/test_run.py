"""One evaluation run over the engine with the hashing embedder: systems, tables, clean stdout."""

import pytest

from qa.config import QuerySettings, Settings
from qa.embed import HashingEmbedder
from qa.eval.dataset import EvalQuestion, Gold
from qa.eval.run import engine_system, evaluate, run_system
from qa.pipeline import Engine

from conftest import CORPUS


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"), model="hashing",
                        query=QuerySettings(abstain_threshold=0.0))
    return Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)


QUESTIONS = (EvalQuestion("a", "direct", "Italian-led police training program", (Gold("washington-2017", 5, 2),)),
             EvalQuestion("b", "off_topic", "chocolate cake recipe", ()))


def test_evaluate_scores_our_engine_per_kind_and_keeps_confidences(engine):
    result = evaluate(engine, QUESTIONS)
    assert set(result.systems) == {"ours"}
    assert result.systems["ours"]["a"].items[0] == ("washington-2017", 5)
    assert result.tables["ours"]["direct"]["hit@1"] == 1.0
    assert result.tables["ours"]["off_topic"]["refused"] == 1.0  # threshold 0, but the cake words are unknown
    assert set(result.confidences) == {"a", "b"} and result.confidences["a"] > result.confidences["b"]
    assert result.margin.startswith("abstention (threshold 0.000): unanswerable confidence max")


def test_engine_system_reports_refusals_and_confidence(engine):
    confidences = {}
    strict = engine.with_settings(abstain_threshold=0.99)
    ranked = run_system(QUESTIONS, engine_system(strict, k=3, confidences=confidences))
    assert ranked["a"].refused and len(ranked["a"].items) == 3
    assert set(confidences) == {q.question for q in QUESTIONS}


def test_whatever_a_system_prints_goes_to_stderr(capsys):
    def noisy(question):
        print("LLM is explicitly disabled. Using MockLLM.")
        from qa.eval.metrics import Ranked
        return Ranked((), False)

    run_system(QUESTIONS, noisy)
    out, err = capsys.readouterr()
    assert out == "" and "MockLLM" in err
