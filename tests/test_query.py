import pytest

from qa.corpus import load_collection
from qa.lexical import LexicalIndex
from qa.query import asks_across_documents, canonical_aliases, document_cues, expand, expand_aliases, lexical_query, statement_terms, topic_words

from conftest import CORPUS


@pytest.fixture(scope="module")
def collection():
    return load_collection(CORPUS)


def test_aliases_bring_every_spelling():
    expanded = expand_aliases("What did ISIL do in Mosul?")
    for spelling in ("ISIS", "Daesh", "Da'esh", "Islamic State"):
        assert spelling in expanded
    assert "foreign terrorist fighters" in expand_aliases("FTF returns")
    assert "UNSCR" in expand_aliases("UN Security Council Resolution 2254")


def test_short_upper_case_aliases_need_exact_case():
    assert expand_aliases("what is this about?") == "what is this about?"
    assert expand_aliases("the un-named partner") == "the un-named partner"


def test_lay_words_gain_the_statements_terms():
    assert "child soldiers" in statement_terms("kids forced to fight")
    assert "demining" in statement_terms("clearing landmines")
    assert statement_terms("the ministers met in Rome") == []
    assert "detainees" in expand("prisoners in Syria")
    assert expand("prisoners in Syria", thesaurus=False) == "prisoners in Syria"


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
def test_document_cues_come_from_metadata(collection, question, docs):
    assert set(document_cues(question, collection).doc_ids) == docs


@pytest.mark.parametrize(
    "question, searched",
    [("and in 2019?", "detainees in northeast Syria and in 2019?"),
     ("what about the Rome communiqué?", "detainees in northeast Syria what about the Rome communiqué?"),
     ("did they repeat it later?", "detainees in northeast Syria did they repeat it later?"),
     ("How does the Coalition fight ISIS financing?", "How does the Coalition fight ISIS financing?")],
)
def test_follow_ups_are_searched_with_the_question_before(question, searched):
    from qa.query import contextualize

    assert contextualize(question, ["detainees in northeast Syria"]) == searched
    assert contextualize(question, []) == question


def test_document_naming_words_are_stripped_for_the_embedding(collection):
    from qa.query import strip_cues

    assert strip_cues("best restaurants in Kuwait City", collection) == "best restaurants in"
    assert strip_cues("Rome 2021 on stabilization funding", collection) == "stabilization funding"
    assert "Africa" in strip_cues("What did the Rome communiqué say about Africa?", collection)
    assert strip_cues("the Rome communiqué", collection) == "the Rome communiqué"  # too little left: unchanged


def test_canonical_aliases_make_one_word_of_every_spelling():
    tokens = LexicalIndex.tokens(canonical_aliases("ISIL, Daesh and the Islamic State"))
    assert tokens == ["isi", "isi", "isi"]  # one word, whatever the spelling ("isi" is the stem of "isis")
    assert "unscr 2254" in canonical_aliases("UN Security Council Resolution 2254")
    assert canonical_aliases("UNSCR 2254").split() == canonical_aliases("UN Security Council Resolution 2254").split()
    # Plurals of multi-word spellings and possessives land on the same word as the plain spelling.
    assert LexicalIndex.tokens(canonical_aliases("the Working Groups")) == LexicalIndex.tokens(canonical_aliases("working group"))
    assert LexicalIndex.tokens(canonical_aliases("ISIS’s ideology"))[0] == LexicalIndex.tokens(canonical_aliases("Daesh"))[0]
    # A longer alias is not swallowed by a shorter one inside it.
    assert "isisk" in canonical_aliases("ISIS-Khorasan in Afghanistan") and " isis " not in canonical_aliases("ISIS-K")


def test_a_paragraph_writing_two_spellings_counts_the_alias_once():
    assert LexicalIndex.tokens(canonical_aliases("defeat ISIS/Da'esh now")) == ["defeat", "isi", "now"]
    assert LexicalIndex.tokens(canonical_aliases("Daesh/ISIS affiliates")) == ["isi", "affili"]


def test_lexical_query_adds_the_statements_terms_in_canonical_form():
    query = lexical_query("prisoners held by ISIL")
    tokens = LexicalIndex.tokens(query)
    assert tokens.count("isi") == 1  # the alias once, not once per spelling
    assert "detaine" in tokens  # "prisoners" brings the statements' "detainees"
    assert "detaine" not in LexicalIndex.tokens(lexical_query("prisoners held by ISIL", thesaurus=False))


def test_topic_words_leave_out_framing_and_document_names(collection):
    assert topic_words("What did the Rome communiqué say about detainees?", collection) == ["detainees"]
    assert topic_words("compare what the ministers said about Afghanistan", collection) == ["Afghanistan"]


def test_indexed_names_keep_their_words_and_count_the_alias_once():
    indexed = LexicalIndex.tokens(canonical_aliases("the Counter-Finance Working Group and UN Security Council Resolution 2254",
                                                    keep_names=True))
    assert "financ" in indexed and "counter" in indexed  # a question about finance still finds the group
    assert indexed.count("cifg") == 1 and indexed.count("unscr") == 1  # the kept words are not matched again
    assert "financ" not in LexicalIndex.tokens(canonical_aliases("the Counter-Finance Working Group"))


@pytest.mark.parametrize("question, across", [
    ("how has the position on detainees changed over the years?", True),
    ("every mention of UNSCR 2254", True),
    ("compare what the statements say about Afghanistan", True),
    ("what did the Rome communiqué say about Africa?", False),
    ("detainees in northeast Syria", False),
])
def test_questions_across_statements_are_recognised(question, across):
    assert asks_across_documents(question) is across
