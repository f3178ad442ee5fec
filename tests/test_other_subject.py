"""A collection on another subject (tests/data/rivers: three statements of a river basin
commission and 36 questions, written for the test) with the default models: the abstention
models fitted on the bundled collection's questions must not refuse this one's plain questions,
and retrieval must find their paragraphs (marked slow: loads the real models)."""

import shutil
from pathlib import Path

import pytest

from qa.config import Settings
from qa.eval.dataset import OFF_TOPIC, load_eval_set
from qa.eval.metrics import score
from qa.eval.run import engine_system, run_system
from qa.pipeline import Engine

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "rivers"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("rivers")
    for path in DATA.iterdir():
        if path.name != "questions.jsonl":
            shutil.copy(path, corpus / path.name)
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index"))
    return Engine.load(settings, progress=False, log=lambda m: None)


@pytest.fixture(scope="module")
def table(engine):
    questions = load_eval_set(DATA / "questions.jsonl", engine.collection)
    return score(questions, run_system(questions, engine_system(engine)), engine.collection)


def test_its_answerable_questions_find_their_paragraphs_and_are_seldom_refused(table):
    overall = table["overall"]
    assert overall["hit@5"] >= 0.9 and overall["mrr@10"] >= 0.8
    assert table["paraphrase"]["hit@5"] >= 0.85  # questions in plain words the statements do not use
    assert overall["false_refusals"] <= 0.05  # at most one of its 22 answerable questions


def test_its_far_off_topic_questions_are_all_refused(table):
    assert table[OFF_TOPIC]["refused"] == 1.0


def test_an_answer_is_cited_by_the_collection_s_own_paragraph_numbers(engine):
    top = engine.search("How much money was set aside for rebuilding after the floods?").hits[0]
    assert (top.doc_id, top.paragraph) == ("budapest-2021", 4)
    assert top.citation == "Budapest Communique on Flood Resilience, Budapest, 6 October 2021, para 4"
    assert "250 million euros" in top.highlight
