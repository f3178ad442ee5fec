import numpy as np
import pytest

from qa.abstain import confidence, judge, missing_words, unknown_topic
from qa.analyze import Analyzer
from qa.config import QuerySettings
from qa.profile import load_profile
from qa.types import Query

SETTINGS = QuerySettings(abstain_threshold=0.3, confidence_top=2, unknown_topic_override=0.6)


def make_query(topic_words=(), lay_terms=()) -> Query:
    return Query(text="q", dense_text="q", terms=(), phrases=(), topic_words=topic_words, lay_terms=lay_terms)


@pytest.fixture
def analyzer(tmp_path) -> Analyzer:
    """English, with one alias group: "petroleum" becomes "oil"."""
    (tmp_path / "vocabulary.toml").write_text('[[aliases]]\nspellings = ["oil", "petroleum"]\n', encoding="utf-8")
    return Analyzer(load_profile(tmp_path))


# ---- confidence ------------------------------------------------------------------------------

def test_confidence_is_the_mean_of_the_top_similarities():
    assert confidence(np.array([0.1, 0.5, 0.3, 0.4]), 3) == pytest.approx((0.5 + 0.4 + 0.3) / 3)


def test_confidence_averages_fewer_when_there_are_fewer():
    assert confidence(np.array([0.2, 0.4]), 3) == pytest.approx(0.3)


def test_confidence_of_no_candidates_is_zero():
    assert confidence(np.array([]), 3) == 0.0


# ---- unknown_topic ---------------------------------------------------------------------------

def test_topic_words_none_of_which_occur_are_returned_in_the_question_spelling(analyzer):
    query = make_query(topic_words=("Gold", "Silver"))
    assert unknown_topic(query, analyzer, frozenset({"oil"}), frozenset()) == ["Gold", "Silver"]


def test_one_known_topic_word_makes_the_topic_known(analyzer):
    query = make_query(topic_words=("gold", "oil"))
    assert unknown_topic(query, analyzer, frozenset({"oil"}), frozenset()) == []


def test_an_alias_counts_in_its_canonical_form(analyzer, tmp_path):
    query = make_query(topic_words=("petroleum",))
    assert unknown_topic(query, analyzer, frozenset({"oil"}), frozenset()) == []
    no_aliases = Analyzer(load_profile(tmp_path / "elsewhere"))
    assert unknown_topic(query, no_aliases, frozenset({"oil"}), frozenset()) == ["petroleum"]


def test_a_ubiquitous_word_is_neither_known_nor_reported(analyzer):
    query = make_query(topic_words=("oil", "gold"))
    assert unknown_topic(query, analyzer, frozenset({"oil"}), frozenset({"oil"})) == ["gold"]


def test_a_question_with_no_topic_words_left_is_not_judged(analyzer):
    assert unknown_topic(make_query(topic_words=("the",)), analyzer, frozenset(), frozenset()) == []
    assert unknown_topic(make_query(topic_words=("oil",)), analyzer, frozenset(), frozenset({"oil"})) == []


def test_lay_words_the_profile_knows_count_as_known(analyzer):
    query = make_query(topic_words=("kids",), lay_terms=("children",))
    assert unknown_topic(query, analyzer, frozenset(), frozenset()) == []


# ---- missing_words: other forms of a place's name -------------------------------------------

def missing(analyzer, words, collection_words):
    vocabulary = {t for w in collection_words for t in analyzer.terms(w)}
    return missing_words(make_query(topic_words=tuple(words)), analyzer,
                         lambda word, terms: any(t in vocabulary for t in terms))


def test_a_demonym_or_capital_is_known_through_the_place_the_collection_names(analyzer):
    assert missing(analyzer, ["American", "Baghdad's", "Hezbollah"], ["United States", "Iraq"]) == ["Hezbollah"]
    assert missing(analyzer, ["Iraqi", "Kabul"], ["Iraq", "Afghanistan"]) == []


def test_a_decade_is_known_when_the_collection_mentions_a_year_of_it(analyzer):
    # "by the mid-2030s" is answered by a paragraph saying "by 2035"
    assert missing(analyzer, ["mid-2030s", "2020's", "1990s"], ["a shortfall by 2035", "in 2021"]) == ["1990s"]
    assert missing(analyzer, ["2030s"], ["2040 and 2029"]) == ["2030s"]


def test_a_place_is_missing_when_no_form_of_it_occurs(analyzer):
    assert missing(analyzer, ["Baghdad's", "Somali"], ["Syria", "Damascus"]) == ["Baghdad", "Somali"]


def test_a_form_of_several_words_needs_each_of_them(analyzer):
    # "United States" is not there when only "states" is; "US" is a stopword and proves nothing
    assert missing(analyzer, ["American"], ["member states", "us"]) == ["American"]
    assert missing(analyzer, ["CAR"], ["the Central African Republic"]) == []
    # An abbreviation that is no word of the language is found whatever its case ("EU" as "eu").
    assert missing(analyzer, ["European", "British"], ["the EU", "the uk"]) == []


def test_a_word_qualifying_a_place_the_collection_uses_is_not_missing(analyzer):
    def qualified(text, words, collection_words):
        vocabulary = {t for w in collection_words for t in analyzer.terms(w)}
        return missing_words(Query(text=text, dense_text=text, terms=(), phrases=(), topic_words=tuple(words)),
                             analyzer, lambda word, terms: any(t in vocabulary for t in terms))

    assert qualified("the West African nation", ["West", "African", "nation"], ["Africa", "nation"]) == []
    assert qualified("in North-eastern Syria", ["North-eastern", "Syria"], ["Syria"]) == ["North-eastern"]
    # Only before a place the collection uses, and only a place the language knows ("North Sea" is none).
    assert qualified("the West African nation", ["West", "African"], ["Europe"]) == ["West", "African"]
    assert qualified("herring in the North Sea", ["herring", "North", "Sea"], ["herring", "sea"]) == ["North"]
    # A qualified name that is a place of its own is not the place it contains.
    assert qualified("aid to South Sudan", ["aid", "South", "Sudan"], ["aid", "Sudan"]) == ["South"]


def test_a_compass_word_before_a_common_noun_or_a_name_used_only_as_one_is_no_topic(analyzer):
    def qualified(text, words, collection_words, names=()):
        vocabulary = {t for w in collection_words for t in analyzer.terms(w)}
        return missing_words(Query(text=text, dense_text=text, terms=(), phrases=(), topic_words=tuple(words)),
                             analyzer, lambda word, terms: any(t in vocabulary for t in terms),
                             lambda word, terms: word in names)

    assert qualified("attacks on Western soldiers", ["Western", "soldiers"], ["soldiers"]) == []
    # "Tyrol" is written only as a name; "sea" in lower case too, so "North Sea" is a name of its own.
    assert qualified("trains from North Tyrol", ["North", "Tyrol"], ["Tyrol"], names={"Tyrol"}) == []
    assert qualified("herring in the North Sea", ["herring", "North", "Sea"], ["herring", "sea"]) == ["North"]
    assert qualified("trains from North Tyrol", ["North", "Tyrol"], ["rail"], names={"Tyrol"}) == ["North", "Tyrol"]


def test_a_plural_possessive_is_reported_without_its_apostrophe(analyzer):
    assert missing(analyzer, ["militants'", "Baghdadi's"], ["Iraq"]) == ["militants", "Baghdadi"]


# ---- judge -----------------------------------------------------------------------------------

def test_confidence_above_the_threshold_is_answerable():
    verdict = judge(make_query(), np.array([0.5, 0.4, 0.1]), [], SETTINGS)
    assert verdict.answerable
    assert verdict.confidence == pytest.approx(0.45)
    assert verdict.notes == ()


def test_confidence_exactly_at_the_threshold_is_answerable():
    assert judge(make_query(), np.array([0.3, 0.3]), [], SETTINGS).answerable


def test_confidence_below_the_threshold_abstains_without_a_note():
    verdict = judge(make_query(), np.array([0.29, 0.1]), [], SETTINGS)
    assert not verdict.answerable
    assert verdict.notes == ()


def test_unknown_topic_refuses_an_otherwise_answerable_question_and_says_why():
    verdict = judge(make_query(), np.array([0.5, 0.4]), ["gold"], SETTINGS)
    assert not verdict.answerable
    assert verdict.notes == ("the collection never uses the word 'gold'",)


def test_very_high_confidence_overrides_an_unknown_topic():
    verdict = judge(make_query(), np.array([0.7, 0.6]), ["gold"], SETTINGS)
    assert verdict.answerable
    assert verdict.notes == ()


def test_the_note_names_every_unknown_word_when_confidence_is_low_too():
    verdict = judge(make_query(), np.array([0.1, 0.1]), ["gold", "silver"], SETTINGS)
    assert not verdict.answerable
    assert verdict.notes == ("the collection never uses the words 'gold' or 'silver'",)


def test_verdict_confidence_is_rounded_to_four_places():
    assert judge(make_query(), np.array([0.123456, 0.123456]), [], SETTINGS).confidence == 0.1235


def test_a_reason_names_missing_names_and_words_as_a_reader_would():
    from qa.abstain import never

    assert never("the collection", ["Hezbollah"]) == "the collection never mentions 'Hezbollah'"
    assert never("the collection", ["ransom", "hostages", "drones"]) == \
        "the collection never uses the words 'ransom', 'hostages' or 'drones'"
    assert never("the documents selected", ["Libya", "militia"]) == \
        "the documents selected never mention 'Libya' and never use the word 'militia'"


def test_names_side_by_side_in_the_question_are_reported_as_one():
    from qa.abstain import as_named, never

    question = "What did the Coalition say about the November 2015 Paris attacks on the Bataclan in Sri Lanka?"
    reason = never("the collection", as_named(["2015", "Paris", "Bataclan", "Sri", "Lanka", "attacks", "November 2015"],
                                               question))
    assert reason == ("the collection never mentions 'November 2015 Paris', 'Bataclan' or 'Sri Lanka' "
                      "and never uses the word 'attacks'")
    # a possessive stays out; a name the question does not spell so is kept as given
    assert as_named(["Khalifa", "Haftar", "Tripolitania"], "Khalifa Haftar's offensive") == ["Khalifa Haftar", "Tripolitania"]


def test_a_calibrated_confidence_reads_against_one_bar_whichever_model_doubts():
    from qa.abstain import Calibration, Stage, against_threshold, judge_calibrated

    def stage(name, intercept, threshold):  # a model whose probability is sigmoid(intercept + signal)
        return Stage(name, ("x",), (0.0,), (1.0,), (1.0,), intercept, threshold)

    calibration = Calibration("m", (stage("subject", 0.0, 0.25), stage("specific", 0.0, 0.1)))
    for x in np.linspace(-4, 4, 41):
        verdict = judge_calibrated(calibration, {"x": float(x)}, [])
        assert verdict.answerable == (verdict.confidence >= 0.5)
        assert verdict.probability == pytest.approx(1 / (1 + np.exp(-x)))
    # 0.2 is refused by a model whose bar is 0.25 and answered by one whose bar is 0.1
    assert against_threshold(0.2, 0.25) < 0.5 < against_threshold(0.2, 0.1)
    assert against_threshold(0.25, 0.25) == pytest.approx(0.5) and against_threshold(0.0, 0.1) == 0.0
