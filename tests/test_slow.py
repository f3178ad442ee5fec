"""End to end with the real bundled model (marked slow: loads MiniLM, ~15 s)."""

import pytest

from qa.config import Settings
from qa.eval.dataset import DEFAULT_SET, load_eval_set
from qa.eval.metrics import below_floors, read_floors, score
from qa.eval.run import engine_system, run_system
from qa.pipeline import Engine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    settings = Settings.from_env(env={}, index_dir=tmp_path_factory.mktemp("index"))
    return Engine.load(settings, progress=False, log=lambda m: None)


def test_card_question_returns_the_rome_detainees_paragraph_first(engine):
    answer = engine.search("what did the Coalition say about detainees in northeast Syria?")
    assert answer.answerable
    top = answer.hits[0]
    assert (top.doc_id, top.paragraph) == ("rome-2021", 7)
    assert top.citation == ("Joint Communiqué by Ministers of the Global Coalition to Defeat Daesh/ISIS, Rome, "
                            "28 June 2021, para 7")
    assert "detainees" in top.highlight


@pytest.mark.parametrize("question, where", [("Egmont Group", ("washington-2017", 11)),
                                             ("UNSCR 2396", ("kuwait-2018", 2)),
                                             ("Coalition Force Command in Tampa", ("kuwait-2018", 9))])
def test_a_short_exact_name_finds_its_paragraph_and_sentence(engine, question, where):
    top = engine.search(question).hits[0]
    assert (top.doc_id, top.paragraph) == where
    assert question.split()[-1] in top.highlight  # the sentence with the name is the one highlighted


@pytest.mark.parametrize("question", ["how do I bake a chocolate cake?", "what was the football score last night?",
                                      "what is the default password of my router?"])
def test_off_topic_questions_are_refused(engine, question):
    assert not engine.search(question).answerable


def test_retrieval_stays_above_the_recorded_floors(engine):
    """The CI gate: a change that hurts retrieval on the public eval set cannot land silently."""
    questions = load_eval_set(DEFAULT_SET, engine.collection)
    table = score(questions, run_system(questions, engine_system(engine)), engine.collection)
    assert below_floors(table, read_floors()) == []
