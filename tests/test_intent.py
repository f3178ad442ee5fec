"""What a question asks, from the bundled collection's metadata and profile: cues, topic, intent."""

import pytest

from qa.analyze import Analyzer
from qa.config import Thesaurus
from qa.corpus import load_collection
from qa.errors import QueryError
from qa.intent import Intent, normalise
from qa.profile import load_profile

from conftest import CORPUS


@pytest.fixture(scope="module")
def intent():
    return Intent(load_collection(CORPUS), Analyzer(load_profile(CORPUS)))


@pytest.mark.parametrize(
    "question, docs",
    [("What did the Rome communique say about Africa?", {"rome-2021"}),
     ("in 2019, what about detainees?", {"washington-2019"}),
     ("Kuwait guiding principles on women", {"kuwait-2018"}),
     ("what did the Washington statements say about Libya?", {"washington-2017", "washington-2019",
                                                              "news-washington-2017"}),
     ("what does the news report say about Iraq?", {"news-washington-2017"}),
     ("what did they say about detainees?", set()),
     ("What did the most recent communiqué say about Africa?", {"rome-2021"}),
     ("what did the latest statement say about detainees?", {"rome-2021"}),
     ("in the first ministerial statement, what about Libya?", {"washington-2017"}),
     ("what did Daesh do after the statement?", set())],
)
def test_document_cues_come_from_metadata(intent, question, docs):
    assert set(intent.document_cues(question)) == docs


def test_document_naming_words_are_stripped_for_the_embedding(intent):
    assert intent.strip_cues("best restaurants in Kuwait City") == "best restaurants in"
    assert intent.strip_cues("Rome 2021 on stabilization funding") == "stabilization funding"
    assert "Africa" in intent.strip_cues("What did the Rome communiqué say about Africa?")
    assert intent.strip_cues("the Rome communiqué") == "the Rome communiqué"  # too little left: unchanged


def test_topic_words_leave_out_framing_and_document_names(intent):
    assert intent.parse("What did the Rome communiqué say about detainees?").topic_words == ("detainees",)
    assert intent.parse("compare what the ministers said about Afghanistan").topic_words == ("Afghanistan",)


@pytest.mark.parametrize("question, across", [
    ("how has the position on detainees changed over the years?", True),
    ("every mention of UNSCR 2254", True),
    ("compare what the statements say about Afghanistan", True),
    ("what did the Rome communiqué say about Africa?", False),
    ("detainees in northeast Syria", False),
])
def test_questions_across_statements_are_recognised(intent, question, across):
    assert intent.parse(question).across_documents is across



def test_a_query_carries_terms_phrases_and_cues(intent):
    query = intent.parse("what did the Rome communiqué say about prisoners held by ISIL?")
    assert query.cue_doc_ids == {"rome-2021"} and not query.asks_for_news
    assert "detaine" in query.terms and "detaine" not in query.phrases[0]  # lay words reach BM25 words only
    assert "prison_held" in query.phrases
    assert "Rome" not in query.dense_text and "prisoners" in query.dense_text
    assert query.lay_terms and "detainees" in query.lay_terms
    off = intent.parse("what did the Rome communiqué say about prisoners held by ISIL?", Thesaurus.OFF)
    assert "detaine" not in off.terms
    both = intent.parse("prisoners held by ISIL", Thesaurus.BOTH)
    assert "detainees" in both.dense_text and "Daesh" in both.dense_text  # embedded with the statements' words


def test_asking_for_the_news_report_is_recognised(intent):
    query = intent.parse("what does the news report say about Iraq?")
    assert query.asks_for_news and query.cue_doc_ids == {"news-washington-2017"}


def test_questions_are_normalised_or_refused_with_a_reason():
    assert normalise("  detainees \n in   Syria ", 100) == "detainees in Syria"
    with pytest.raises(QueryError, match="the question is empty"):
        normalise(" \t ", 100)
    with pytest.raises(QueryError, match="the question is empty"):
        normalise(None, 100)
    with pytest.raises(QueryError, match="is 12 characters long; the limit is 10"):
        normalise("abcdef ghijk", 10)


def test_places_for_follow_ups_come_from_the_metadata(intent):
    assert intent.places() == ["Kuwait", "Kuwait City", "Rome", "Washington"]
