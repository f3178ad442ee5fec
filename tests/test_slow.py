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


# ---- what independent testers and new users tripped on (each once a defect) -----------------------

def test_a_question_naming_a_statement_is_judged_on_that_statement(engine):
    # "Sirte" and "Libya" occur in Washington 2017 only: a question about another statement's
    # words on them was answered with Washington 2017's paragraphs and no word of warning.
    refused = engine.search("What did the Rome communiqué say about Sirte?")
    assert not refused.answerable
    assert refused.notes == ("the document named (Rome, 2021) never mentions 'Sirte'",)
    answer = engine.search("What did the Kuwait statement say about Libya?")
    assert any(note.startswith("the document named (Kuwait City, 2018) never") and "'Libya'" in note
               for note in answer.notes), answer.notes


def test_a_statement_named_by_its_place_word_comes_first(engine):
    top = engine.search("What did the Kuwait statement say about foreign terrorist fighters?", k=3).hits[0]
    assert (top.doc_id, top.paragraph) == ("kuwait-2018", 6)


def test_framing_does_not_pull_a_generic_paragraph_above_the_one_on_the_topic(engine):
    answer = engine.search("What did the Coalition say about foreign terrorist fighters?", k=5,
                           filters=engine.filters(doc_ids=["washington-2017"]))
    ranked = [h.paragraph for h in answer.hits]
    assert ranked[0] == 11 and (7 not in ranked or ranked.index(7) > ranked.index(11))


def test_a_year_and_a_title_word_of_the_collection_still_find_africa(engine):
    top = engine.search("What did the 2021 statement say about Africa?", k=3).hits[0]
    assert (top.doc_id, top.paragraph) == ("rome-2021", 6)


def test_refusals_follow_the_filters_and_say_why(engine):
    answer = engine.search("What did the Coalition say about Libya?", filters=engine.filters(doc_ids=["kuwait-2018"]))
    assert not answer.answerable and "Libya" in answer.notes[0] and "documents selected" in answer.notes[0]
    assert engine.search("What did the Coalition say about Libya?").answerable


@pytest.mark.parametrize("question, word", [("What did the Coalition say about Russia's role in Syria?", "'Russia'"),
                                            ("What did the Coalition say about the COVID-19 pandemic?", "'COVID-19'")])
def test_a_name_the_collection_never_uses_is_named_in_the_answer(engine, question, word):
    answer = engine.search(question)
    assert any(word in note and "never" in note for note in answer.notes)


@pytest.mark.parametrize("question, where", [
    ("Roughly how many people were freed from the terrorists' rule?", ("rome-2021", 3)),  # "Roughly" is no name
    ("Did the ministers praise the West African country that fought the group around Lake Chad?",
     ("washington-2017", 10)),  # "West" qualifies Africa, which the collection names
])
def test_a_capitalised_word_that_names_nothing_missing_does_not_refuse(engine, question, where):
    answer = engine.search(question)
    assert answer.answerable, answer.notes
    assert (answer.hits[0].doc_id, answer.hits[0].paragraph) == where


def test_an_answer_names_the_plain_words_the_collection_never_uses(engine):
    answer = engine.search("What did the ministers say about detainees and whales?")
    # Either statement on detainees: Rome 2021 para 7 (in northeast Syria) or Washington 2019 para 8.
    assert answer.answerable and (answer.hits[0].doc_id, answer.hits[0].paragraph) in {("rome-2021", 7),
                                                                                       ("washington-2019", 8)}
    assert ("the collection never uses the word 'whales'; the paragraphs below are the closest in meaning"
            in answer.notes), answer.notes
    assert not engine.search("detainees in northeast Syria").notes  # every word found: nothing to say
    # A sure answer's missing words are its lay wording, not worth a caveat (what was searched for
    # them instead is said: qa/related.py).
    sure = engine.search("How will the coalition choke off the militants' cash?")
    assert sure.answerable and sure.confidence >= 0.8, sure.notes
    assert not [n for n in sure.notes if "also searched" not in n], sure.notes


def test_a_statement_or_month_the_collection_lacks_is_refused_and_a_period_is_not(engine):
    refused = engine.search("What did the 2020 statement say about detainees?")
    assert not refused.answerable and refused.notes == (
        "no document in the collection is dated 2020; its documents are dated 2017 to 2021",)
    elsewhere = engine.search("What did the Marrakesh communiqué say about detainees?")
    # Not "the document named (Rome, 2021) never mentions 'Marrakesh'": the question named no Rome document.
    assert not elsewhere.answerable and elsewhere.notes == (
        "no document in the collection is from or named 'Marrakesh'; its documents are from Kuwait City, Rome and Washington",)
    assert engine.search("What did the Kuwaiti declaration say about foreign fighters?").answerable  # Kuwait's
    # A month no document is dated and the text never writes is a name the collection lacks.
    election = engine.search("Which party won the most votes in Iraq's May 2018 election?")
    assert not election.answerable and "never mentions 'May 2018'" in election.notes[0], election.notes
    since = engine.search("How has the Coalition's attention to Africa changed since 2016?")
    assert since.answerable and not any("2016" in n for n in since.notes), since.notes


def test_a_misspelt_question_is_searched_as_corrected_and_says_so(engine):
    answer = engine.search("how does the coalition fight ISIS finacing and propoganda?")
    assert answer.searched == "how does the coalition fight ISIS financing and propaganda?"
    assert "searched for 'financing' (you typed 'finacing')" in answer.notes


@pytest.mark.xfail(strict=True, reason="known gap: Kuwait para 5 (the finance group) is first, but Rome para 3 "
                                       "('raise revenue') and 2017 para 11 (FATF, Egmont Group; sixth) are not in "
                                       "the top 5")
def test_the_financing_example_finds_the_finance_paragraphs(engine):
    found = {(h.doc_id, h.paragraph) for h in engine.search("How does the Coalition plan to cut off ISIS financing?").hits}
    assert found & {("rome-2021", 3), ("washington-2017", 11)}


def test_an_opening_asking_what_is_planned_searches_the_plan_not_the_word_plan(engine):
    # The app's example put Washington 2019 para 9 first: it matched the question's "plan"
    # ("plan the next phase", "action plans"). What is planned is the topic: finance paragraphs.
    top = engine.search("How does the Coalition plan to cut off ISIS financing?").hits[0]
    assert (top.doc_id, top.paragraph) != ("washington-2019", 9)
    assert "financ" in top.text.lower() or "revenue" in top.text.lower()
    query = engine.parse("How does the Coalition plan to cut off ISIS financing?")
    assert not any(t.startswith("plan") for t in query.terms)
    assert any(t.startswith("plan") for t in engine.parse("What are the Working Group action plans?").terms)


def test_a_one_word_question_finds_and_answers_with_the_paragraph_holding_its_word(engine):
    # "vacuums" is in one paragraph only (Rome 2021 para 5, "security vacuums"); alone, a word is
    # what the embedding reads worst, and BM25 keeps one mention in a long paragraph under half.
    for question in ("vacuums", "What did the ministers say about vacuums?"):
        answer = engine.search(question)
        assert answer.answerable and (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("rome-2021", 5), answer.notes


def test_an_acronym_question_under_filters_is_answered(engine):
    # MiniLM does not know "FTF": the question is embedded with the long form the text defines.
    answer = engine.search("FTF returns", k=3, filters=engine.filters(doc_ids=["rome-2021"], since="2019-01-01",
                                                                      source_types=["official"]))
    assert answer.answerable and (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("rome-2021", 7)


def test_a_placeholder_question_is_refused(engine):
    # "two" matches "two billion dollars"; a number written as a word names no topic on its own.
    answer = engine.search("question two")
    assert not answer.answerable and answer.notes == ("the collection never uses the word 'question'",)


def test_a_follow_up_with_its_own_topic_is_judged_on_it(engine):
    card = "what did the Coalition say about detainees in northeast Syria?"
    taliban = engine.search(f"{card} What about the Taliban?", topic="What about the Taliban?")
    assert not taliban.answerable and any("'Taliban'" in n for n in taliban.notes)
    assert taliban.hits[0].doc_id == "rome-2021"  # still searched together: the closest paragraphs shown
    joined = engine.search(f"{card} and in 2019?", topic="and in 2019?")  # no topic of its own
    assert joined.answerable and joined.hits[0].doc_id == "washington-2019"


def test_a_word_the_statements_never_use_is_searched_as_their_word(engine):
    # "schooling" is in no statement nor in the vocabulary file; the bundled model's nearest word
    # among theirs is "education".
    question = "Was schooling part of the help promised to Syrians?"
    answer = engine.search(question)
    assert "also searched for 'education': the collection never uses 'schooling'" in answer.notes
    assert "education" in answer.hits[0].text.lower()
    assert not any("also searched" in n for n in engine.with_settings(related_words=False).search(question).notes)
    # a word with no kin in the statements is looked up but nothing is searched for it
    assert not any("'cryptocurrency'" in n and "also searched" in n
                   for n in engine.search("How did ISIS use cryptocurrency to move its funds?").notes)


@pytest.mark.parametrize("question, where, language", [
    ("Qu'ont dit les ministres sur le rapatriement des combattants détenus dans le nord-est de la Syrie ?",
     ("rome-2021", 7), "French"),
    ("¿Qué se dijo sobre el programa de formación policial en Irak?", ("kuwait-2018", 8), "Spanish"),
])
def test_a_question_in_another_language_is_answered_by_meaning_and_says_so(engine, question, where, language):
    answer = engine.search(question, k=3)
    assert answer.answerable
    assert where in [(h.doc_id, h.paragraph) for h in answer.hits[:2]]
    assert answer.notes[0].startswith(f"read as {language}: searched by meaning alone")
    assert not any("never uses" in n for n in answer.notes)  # its words are not listed as missing English ones


def test_an_off_topic_question_in_another_language_is_refused(engine):
    answer = engine.search("Comment faire une pâte à crêpes sans grumeaux ?")
    assert not answer.answerable
    assert answer.notes[0] == "the question is far from every paragraph in the collection"  # the reason first
    assert answer.notes[1].startswith("read as French")


@pytest.mark.parametrize("model", ["e5", "bundled"])
def test_each_model_alone_still_refuses_what_the_collection_does_not_answer(tmp_path, model):
    # QA_MODEL=e5 alone was judged by MiniLM's similarity threshold, which E5's similarities all
    # pass: it answered a cake recipe with the 2017 statement's first paragraph.
    settings = Settings.from_env(env={"QA_MODEL": model}, index_dir=tmp_path / "index")
    alone = Engine.load(settings, progress=False, log=lambda m: None)
    for question in ("how do I bake a chocolate cake?", "what was the football score last night?"):
        assert not alone.search(question).answerable, question
    answer = alone.search("what did the Coalition say about detainees in northeast Syria?")
    assert answer.answerable and (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("rome-2021", 7)
