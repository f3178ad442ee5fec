"""What a question asks, from the bundled collection's metadata and profile: cues, topic, intent."""

import pytest

from qa.analyze import Analyzer
from qa.config import Thesaurus
from qa.corpus import load_collection
from qa.errors import QueryError
from qa.intent import Intent, normalise, quoted_phrases
from qa.profile import load_profile

from conftest import CORPUS, DATA


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
     ("Which countries joined the Coalition most recently?", set()),  # when they joined, not the latest statement
     ("in the first ministerial statement, what about Libya?", {"washington-2017"}),
     ("what did Daesh do after the statement?", set())],
)
def test_document_cues_come_from_metadata(intent, question, docs):
    assert set(intent.document_cues(question)) == docs


def test_document_naming_words_are_stripped_for_the_embedding(intent):
    assert intent.strip_cues("best restaurants in Kuwait City") == "best restaurants in"
    assert intent.strip_cues("Rome 2021 on stabilization funding") == "on stabilization funding"
    assert "Africa" in intent.strip_cues("What did the Rome communiqué say about Africa?")
    assert intent.strip_cues("the Rome communiqué") == "the Rome communiqué"  # too little left: unchanged


def test_topic_words_leave_out_framing_and_document_names(intent):
    assert intent.parse("What did the Rome communiqué say about detainees?").topic_words == ("detainees",)
    assert intent.parse("compare what the ministers said about Afghanistan").topic_words == ("Afghanistan",)
    # "per" as "according to": a source asked after, no topic ("the collection never uses 'per'").
    assert intent.parse("per the Rome communiqué, what about detainees?").topic_words == ("detainees",)


def test_a_quantity_asked_for_or_a_hedge_names_no_topic(intent):
    # A capitalised first word is no name the collection lacks: "Roughly" would have counted as one.
    assert intent.parse("Roughly how many detainees were there?").topic_words == ("detainees",)
    assert intent.parse("how much money was pledged?").topic_words == ("money", "pledged")


def test_a_year_bounding_a_period_is_no_topic_and_a_year_naming_a_document_is_checked(intent):
    assert "2016" not in intent.parse("How has the view of Africa changed since 2016?").topic_words
    assert "2016" not in intent.parse("What was said on Libya between 2016 and 2018?").topic_words
    assert "2016" in intent.parse("What happened to the fighters in 2016?").topic_words  # an event's year
    # Documents named by a year none of them has, in the ways a reader names them:
    assert intent.parse("What did the 2020 statement say about detainees?").undated_years == ("2020",)
    assert intent.parse("the 2020 Rome meeting on Africa").undated_years == ("2020",)
    assert intent.parse("the communiqué of February 2020 on Africa").undated_years == ("2020",)
    assert intent.parse("What did the 2019 statement say about detainees?").undated_years == ()  # one is
    assert intent.parse("the 2020 pledge drive for stabilization").undated_years == ()  # no document named
    # A period no document reaches into is still a date the collection must mention.
    assert "2030" in intent.parse("How has the view of Africa changed since 2030?").topic_words
    assert intent.parse("How has the view of Africa changed since March 2019?").month_dates == ()


def test_a_capitalised_word_naming_a_document_outside_the_metadata_is_kept(intent):
    assert intent.parse("What did the Marrakesh communiqué say about detainees?").unlisted_names == ("Marrakesh",)
    # Places, title words and issuers of the collection's documents name documents it has:
    assert intent.parse("What did the Kuwait City statement say about detainees?").unlisted_names == ()
    assert intent.parse("What did the Rome communiqué say about detainees?").unlisted_names == ()
    assert intent.parse("Statement on detainees in Syria").unlisted_names == ()  # a sentence's first word
    assert intent.parse("What did the Second ministerial say?").unlisted_names == ()  # a number word
    assert intent.parse("What Did The Coalition Say In Its Latest Statement About Syria?").unlisted_names == ()
    assert intent.parse("What did the Marrakesh’s communiqué say?").unlisted_names == ("Marrakesh",)
    # Another form of a document's place names that document ("Kuwaiti": Kuwait City).
    assert intent.parse("What did the Kuwaiti declaration say about fighters?").unlisted_names == ()


def test_a_month_no_document_is_dated_names_an_event_not_the_statement_of_that_year(intent):
    assert intent.document_cues("What was decided at the June 2018 meeting of Political Directors?") == frozenset()
    assert intent.document_cues("What did the February 2018 statement say about Syria?") == {"kuwait-2018"}
    assert intent.parse("the May 2018 election in Iraq").month_dates == (("May 2018", "2018-05"),)


def test_a_framing_word_with_a_contraction_names_no_topic(intent):
    assert intent.parse("What's the plan for detainees?").topic_words == ("plan", "detainees")
    assert intent.parse("Why didn't they mention detainees?").topic_words == ("detainees",)
    assert "Iraq's" in intent.parse("What's Iraq's role?").topic_words  # a possessive name stays


@pytest.mark.parametrize("question, topic", [
    ("Explain the plan for detainees", ("plan", "detainees")),
    ("What happened to detainees in Syria?", ("detainees", "Syria")),
    ("What did the ministers decide about detainees?", ("detainees",)),  # "ministers": in most paragraphs
])
def test_words_asking_for_an_account_name_no_topic(intent, question, topic):
    # else a collection that never writes "happened" or "Explain" is said to lack them, or refused for it
    assert intent.parse(question).topic_words == topic


def test_numbers_written_as_words_are_searched_for_but_name_no_topic(intent):
    query = intent.parse("question two")
    assert query.topic_words == ("question",) and "two" in query.terms
    assert intent.parse("the four working groups").topic_words == ("working", "groups")


@pytest.mark.parametrize("question, across", [
    ("how has the position on detainees changed over the years?", True),
    ("how did the approach to stabilization evolve?", True),
    ("every mention of UNSCR 2254", True),
    ("compare what the statements say about Afghanistan", True),
    ("what did the Rome communiqué say about Africa?", False),
    ("detainees in northeast Syria", False),
])
def test_questions_across_statements_are_recognised(intent, question, across):
    assert intent.parse(question).across_documents is across


def test_the_words_asking_how_statements_compare_are_not_searched_as_a_topic(intent):
    # "changed" asks how the statements differ; searched, it finds "as the threat changes"
    query = intent.parse("How has the Coalition's position on foreign terrorist fighters changed over the years?")
    assert query.across_documents and "ftf" in query.terms
    assert not {"chang", "year"} & set(query.terms)
    # a question that compares nothing keeps the word as its topic
    assert "chang" in intent.parse("climate change in the Sahel").terms
    # and a question of framing alone keeps its words, to search something
    assert intent.parse("how has it changed?").terms



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
    assert intent.parse("what did the 2017 report say about pledges?").asks_for_news
    # A date the report shares with a statement names the meeting: official paragraphs still come first.
    dated = intent.parse("In the March 2017 statement, what reforms did the ministers support?")
    assert "washington-2017" in dated.cue_doc_ids and not dated.asks_for_news


def test_questions_are_normalised_or_refused_with_a_reason():
    assert normalise("  detainees \n in   Syria ", 100) == "detainees in Syria"
    with pytest.raises(QueryError, match="the question is empty"):
        normalise(" \t ", 100)
    with pytest.raises(QueryError, match="the question is empty"):
        normalise(None, 100)
    with pytest.raises(QueryError, match=r"the question must be text, not int \(123\)"):
        normalise(123, 100)
    # Undecodable input, control and format characters never reach a model; no words, no question.
    assert normalise("ISIS \ud800 financing", 100) == "ISIS \ufffd financing"
    assert normalise("detainees\x00in\u202eSyria\u200b", 100) == "detainees in Syria"
    for wordless in ("•", "\x00\x00", "\u202e\u200b", "?!", "\ud800"):
        with pytest.raises(QueryError, match="has no words|is empty"):
            normalise(wordless, 100)
    with pytest.raises(QueryError, match="is 12 characters long; the limit is 10"):
        normalise("abcdef ghijk", 10)


def test_places_for_follow_ups_come_from_the_metadata(intent):
    assert intent.places() == ["Kuwait", "Kuwait City", "Rome", "Washington"]


def test_a_place_is_named_by_its_own_word(intent):
    assert intent.document_cues("What did the Kuwait statement say about foreign terrorist fighters?") == {"kuwait-2018"}
    query = intent.parse("What did the Kuwait statement say about guiding principles on Africa?")
    assert query.cue_doc_ids == {"kuwait-2018"} and not query.across_documents
    # its own title's words only name it; the topic stays
    assert "Kuwait" not in query.dense_text and "principles" not in query.dense_text and "Africa" in query.dense_text


def test_a_title_word_of_another_document_stays_in_the_question():
    from conftest import DATA

    harbour = Intent(load_collection(DATA / "harbours"), Analyzer(load_profile(DATA / "harbours")))
    # "resilience" is a word of the Gdansk declaration's title, but the question names Lisbon
    query = harbour.parse("what did the Lisbon communique say about resilience of ports?")
    assert query.cue_doc_ids == {"lisbon-2020"} and "resilience" in query.dense_text and "Lisbon" not in query.dense_text
    named = harbour.parse("what did the declaration on port resilience say about pumps?")
    assert named.cue_doc_ids == {"gdansk-2023"} and "resilience" not in named.dense_text


def test_place_aliases_from_the_metadata_name_the_document(tmp_path):
    import shutil

    from conftest import DATA

    corpus = tmp_path / "harbours"
    shutil.copytree(DATA / "harbours", corpus)
    toml = corpus / "documents.toml"
    toml.write_text(toml.read_text().replace('place = "Gdansk"', 'place = "Gdansk"\nplace_aliases = ["Danzig"]'))
    harbour = Intent(load_collection(corpus), Analyzer(load_profile(corpus)))
    assert harbour.document_cues("what did the Danzig declaration say about pumps?") == {"gdansk-2023"}
    assert "Danzig" not in harbour.parse("what did the Danzig declaration say about pumps?").dense_text


def test_a_place_word_in_ordinary_lower_case_names_no_document(intent):
    # "City" is Kuwait City's own word among the places, but "the old city of Mosul" is not Kuwait
    assert intent.document_cues("what happened to the old city of Mosul?") == frozenset()
    assert "city" in intent.strip_cues("what happened to the old city of Mosul after liberation?")
    assert intent.document_cues("what did the statement in Kuwait City say about Mosul?") == {"kuwait-2018"}
    assert intent.document_cues("what did the kuwait city statement say about Mosul?") == {"kuwait-2018"}


@pytest.mark.parametrize("question", ["What did the Coalition say about the attack on Crocus City Hall?",
                                      "ISIS in Mexico City", "Did the ministers mention Salt Lake City?"])
def test_a_place_word_inside_another_places_name_names_no_document(intent, question):
    # "City" alone would name Kuwait City; beside "Crocus" or "Mexico" it is part of another name
    assert intent.document_cues(question) == frozenset()


@pytest.mark.parametrize("question", ["What did the Kuwait Declaration say about Mosul?", "Did Kuwait host them?",
                                      "What Did The Kuwait Statement Say About Fighters", "ISIS in Kuwait"])
def test_a_place_word_beside_framing_or_document_words_still_names_its_document(intent, question):
    assert intent.document_cues(question) == {"kuwait-2018"}


def test_framing_words_are_not_searched_as_words(intent):
    # Statements seldom write "how", "have", "about", "talked": as BM25 words they would count as
    # rare and telling, and rank a paragraph up for sharing the question's framing.
    query = intent.parse("how have the ministers talked about minority communities?")
    assert set(query.terms) == {"minor", "communiti"}
    # A question of nothing but such words keeps them: something must be searched for.
    assert intent.parse("what did they say?").terms


@pytest.mark.parametrize(
    "question, names",
    [("What did the Rome communiqué say about Africa?", True),
     ("What did the Kuwait statement say about foreign terrorist fighters?", True),
     ("What did the 2019 statement say about detainees?", True),
     ("What did the communiqué of June 2021 say about Africa?", True),
     ("What did the latest statement say about Iraq?", True),
     ("What happened in Mosul in 2017?", False),  # a year and a place that may be the topic
     ("What did the Coalition say about Kuwait's contributions?", False),
     ("What did the news report say about the 2017 meeting?", False),  # a news report, named by news words
     ("What did they say about detainees?", False)])
def test_a_document_named_as_a_document_is_told_from_a_year_or_place_as_topic(intent, question, names):
    assert intent.parse(question).names_documents is names


def test_a_figure_stays_whole_in_the_embedded_text_and_the_topic(intent):
    query = intent.parse("What did the Rome communiqué say about the EUR 5.1 billion and 2,300 fighters?")
    assert "EUR 5.1 billion" in query.dense_text and "Rome" not in query.dense_text
    assert "5.1" in query.topic_words and "2,300" in query.topic_words


def test_a_year_bounding_a_period_names_the_period_not_the_statement_of_that_year(intent):
    assert intent.parse("What was said after 2019 about Iraq?").cue_doc_ids == {"rome-2021"}
    assert intent.parse("How has the view of Africa changed since 2017?").cue_doc_ids == frozenset()
    assert intent.parse("What did the 2019 statement say since 2017 about detainees?").cue_doc_ids == {"washington-2019"}


def test_a_year_alone_is_kept_for_the_paragraphs_that_mention_it(intent):
    assert intent.parse("What happened in Mosul in 2017?").cue_years == ("2017",)
    assert intent.parse("What did the 2019 statement say about detainees?").cue_years == ()  # named as a document
    assert intent.parse("What was said after 2019 about Iraq?").cue_years == ()  # bounds a period
    assert intent.parse("What did the Rome communiqué say about Africa?").cue_years == ()


def test_a_title_word_other_documents_use_is_a_topic_not_a_name(intent):
    # The news report's headline speaks of "Unity of Purpose"; a question on unity asks of every document.
    everywhere = lambda word, doc_ids: True  # noqa: E731
    question = "What did they say about unity of purpose among the partners?"
    assert intent.topical_title_words(question, everywhere) == {"unity", "purpose"}
    assert intent.topical_title_words(question, lambda word, doc_ids: False) == frozenset()
    topical = intent.parse(question, used_elsewhere=everywhere)
    assert topical.cue_doc_ids == frozenset() and "unity" in topical.dense_text
    assert intent.parse(question).cue_doc_ids == {"news-washington-2017"}
    # Two title words side by side are a phrase of the title: they name it, however used elsewhere.
    assert intent.topical_title_words("In the Statement of Guiding Principles, what pillars?", everywhere) == frozenset()
    assert intent.topical_title_words("what guiding principles for stabilisation?", everywhere) == {"guiding", "principles"}


def test_a_capitalised_title_phrase_names_its_document_though_one_of_its_words_is_no_cue(bundled_corpus_copy):
    # "group" is a word of an alias ("working group"), so no cue on its own; older statements speak
    # of Small Group meetings, so "small" alone is a topic. Side by side with capitals, they name it.
    (bundled_corpus_copy / "small-group-2025.txt").write_text(
        "1. Ministers of the Small Group met in Rome and reviewed support for returnees.\n", encoding="utf-8")
    with open(bundled_corpus_copy / "documents.toml", "a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nid = "rome-2025"\nfile = "small-group-2025.txt"\n'
                'title = "Joint Statement of the Small Group of the Global Coalition to Defeat ISIS"\n'
                'issuer = "Small Group of the Global Coalition"\nplace = "Rome"\ndate = "2025-03-12"\n'
                'source_type = "official"\n')
    grown = Intent(load_collection(bundled_corpus_copy), Analyzer(load_profile(bundled_corpus_copy)))
    everywhere = lambda word, doc_ids: True  # noqa: E731
    named = "What did the Small Group say about returnees?"
    assert grown.topical_title_words(named, everywhere) == frozenset()
    assert grown.topical_title_words("In the Small Group's statement, what about returnees?", everywhere) == frozenset()
    assert grown.parse(named, used_elsewhere=everywhere).cue_doc_ids == {"rome-2025"}
    assert grown.topical_title_words("what did the small group say about returnees?", everywhere) == {"small"}


@pytest.mark.parametrize(
    "question, topic",
    [("What did the ministers say about detainees?", "detainees ?"),
     ("What does the Rome communiqué say on Africa?", "Africa ?"),  # the place named is gone already
     ("what did they have to say about the Lake Chad basin", "the Lake Chad basin"),
     ("What was said about foreign terrorist fighters?", "foreign terrorist fighters ?"),
     ("How does the Coalition plan to cut off ISIS financing?", ""),  # asks how: no frame
     ("What did they say about it?", ""),  # nothing left
     ("Did the ministers say anything about Libya?", "Libya ?"),
     ("What do the ministers think about returnees?", "returnees ?"),
     ("Did the ministers discuss Libya?", "")],  # a topic's verb, not a frame
)
def test_a_framing_opening_is_taken_off_the_text_the_first_model_embeds(intent, question, topic):
    query = intent.parse(question)
    assert query.topic_text == topic
    assert query.dense_text.split()[:2] == question.split()[:2]  # the other models see it all


def test_a_question_on_how_things_stand_now_lifts_the_newest_statement_a_little(intent):
    now = intent.parse("What is the Coalition doing now about detainees?")
    assert now.cue_doc_ids == {"rome-2021"} and not now.names_documents and not now.asks_of_cues
    assert intent.parse("What is said in Washington at present about detainees?").cue_doc_ids == {"washington-2019"}
    assert intent.parse("Now that the caliphate is gone, what about detainees?").cue_doc_ids == frozenset()
    assert intent.parse("What did they say about detainees?").cue_doc_ids == frozenset()


def test_a_place_typed_without_its_accents_names_its_statement(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, place, date in (("gdansk", "Gdańsk", "16 June 2028"), ("riga", "Rīga", "3 October 2027")):
        (corpus / f"{name}.txt").write_text(f"Communiqué of the Forum\n\n{place}, {date}\n\n"
                                           "1. The ministers met to discuss the shortage of nurses in the region.\n",
                                           encoding="utf-8")
    (corpus / "documents.toml").write_text(
        '[[documents]]\nid = "gdansk-2028"\nfile = "gdansk.txt"\ntitle = "Communiqué of the Forum"\n'
        'issuer = "Forum"\nplace = "Gdańsk"\ndate = "2028-06-16"\nsource_type = "official"\n\n'
        '[[documents]]\nid = "riga-2027"\nfile = "riga.txt"\ntitle = "Communiqué of the Forum"\n'
        'issuer = "Forum"\nplace = "Rīga"\ndate = "2027-10-03"\nsource_type = "official"\n', encoding="utf-8")
    intent = Intent(load_collection(corpus), Analyzer(load_profile(corpus)))
    query = intent.parse("What did the Gdansk communiqué say about nurses?")
    assert query.cue_doc_ids == {"gdansk-2028"} and query.names_documents
    assert intent.parse("What was said in Riga about nurses?").cue_doc_ids == {"riga-2027"}


def test_a_year_alone_may_be_a_figure_s_and_is_not_what_the_question_is_judged_on(intent):
    by_year = intent.parse("How many fighters were expected by 2019?")
    assert by_year.cue_doc_ids == {"washington-2019"} and not by_year.asks_of_cues  # boosted, not judged on
    assert intent.parse("What was said in Rome about Sirte?").asks_of_cues
    assert intent.parse("What did the 2019 statement say about detainees?").asks_of_cues


def test_the_latest_or_first_statement_is_the_newest_or_oldest_of_those_named_by_place(intent):
    assert intent.parse("What did the earliest Washington statement say about Libya?").cue_doc_ids == {"washington-2017"}
    assert intent.parse("What did the last Washington statement say about Libya?").cue_doc_ids == {"washington-2019"}
    assert intent.parse("What did the latest statement say about Iraq?").cue_doc_ids == {"rome-2021"}
    health = DATA / "health"  # two statements from Tallinn; the newest of all is one of them
    tallinn = Intent(load_collection(health), Analyzer(load_profile(health)))
    first = tallinn.parse("What did the first Tallinn statement commit to on mental health?")
    assert first.cue_doc_ids == {"tallinn-2026"} and first.names_documents


@pytest.mark.parametrize("question, newest", [("What is the current target for detainees?", True),
                                              ("how strong was the current of the Euphrates?", False)])
def test_the_current_state_asked_for_lifts_the_newest_statement(intent, question, newest):
    assert (intent.document_cues(question) == {"rome-2021"}) is newest


def test_quoted_words_are_read_in_any_quotation_marks():
    assert quoted_phrases('"whole-of-government" approach') == ("whole-of-government",)
    assert quoted_phrases('about “security  vacuums” and "blue training"?') == ("security vacuums", "blue training")
    assert quoted_phrases("„Sicherheit“ or « sécurité »") == ("Sicherheit", "sécurité")
    assert quoted_phrases('say " " or ""') == ()  # no word inside
    assert quoted_phrases('the "caliphate of ISIS') == ()  # a mark left open


def test_a_period_the_question_asks_of_names_the_documents_dated_in_it(intent):
    assert intent.periods("What did the statements between 2018 and 2020 say about Africa?") == ((2018, 2020),)
    assert intent.document_cues("What did the statements between 2018 and 2020 say about Africa?") == {
        "kuwait-2018", "washington-2019"}
    assert intent.document_cues("What has been said about Africa since 2019?") == {"washington-2019", "rome-2021"}
    assert intent.document_cues("What was said about detainees after 2019?") == {"rome-2021"}
    # A bound alone names nothing: a later statement may recall what came before it.
    assert intent.document_cues("What did the ministers say about Libya before 2019?") == frozenset()
    # A period every document, or none, is dated in names none.
    assert intent.document_cues("What has changed since 2016?") == frozenset()
    assert intent.periods("What was promised after 2030?") == ()
