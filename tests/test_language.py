"""Questions in another language than the collection's: told apart, searched by meaning alone, judged by their own stage."""


import numpy as np
import pytest

from qa import abstain
from qa.abstain import LANGUAGE_STAGE, OTHER_LANGUAGE, Calibration, Stage
from qa.config import QuerySettings, Settings
from qa.embed import HashingEmbedder
from qa.errors import CorpusError
from qa.eval.calibrate import FOLDS, _language_stage
from qa.eval.dataset import EvalQuestion, Gold
from qa.language import other_language
from qa.pipeline import Engine
from qa.profile import load_profile

from conftest import CORPUS


@pytest.fixture(scope="module")
def profile():
    return load_profile(CORPUS)


@pytest.fixture(scope="module")
def known(profile):
    words = profile.language_words()
    return lambda w: w.lower() in words


@pytest.mark.parametrize("question, code", [
    ("Qu'ont dit les ministres sur les combattants étrangers qui rentrent chez eux ?", "fr"),
    ("¿Qué acordaron los ministros sobre los campos de desplazados en Siria?", "es"),
    ("Welche Länder sind der Koalition zuletzt beigetreten?", "de"),
    ("ماذا قال الوزراء عن إعادة إعمار الموصل؟", "ar"),
])
def test_a_question_in_another_language_is_told_by_its_language(question, code, profile, known):
    assert other_language(question, profile.code, known) == code


@pytest.mark.parametrize("question", [
    "Libya instability Benghazi Sirte",  # names only: the identifier gives English almost nothing
    "support for Nigeria in the Lake Chad basin",  # the identifier's best guess: Nigerian Pidgin
    "Who leads Hayat Tahrir al-Sham in Idlib?",
    "how are detanees supposed to be treated in prison?",
    "Coup d'état",  # too short to tell
])
def test_english_questions_of_names_slips_and_few_words_read_as_english(question, profile, known):
    assert other_language(question, profile.code, known) == ""


def test_a_collection_whose_language_file_gives_no_code_is_never_checked(known):
    assert other_language("Qu'ont dit les ministres sur les combattants étrangers ?", "", known) == ""


def test_the_language_files_code_names_opposites_and_spellings_are_checked(tmp_path, monkeypatch, profile):
    from qa import profile as profile_module

    bad = tmp_path / "languages"
    bad.mkdir()
    text = (profile_module.LANGUAGES_DIR / "english.toml").read_text(encoding="utf-8")
    (bad / "english.toml").write_text(text.replace('code = "en"', 'code = "English"'), encoding="utf-8")
    monkeypatch.setattr(profile_module, "LANGUAGES_DIR", bad)
    with pytest.raises(CorpusError, match=r"code must be the language's ISO 639-1 code.*not 'English'"):
        load_profile(CORPUS)
    (bad / "english.toml").write_text(text.replace('fr = "French"', "fr = 3"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"\[language_names\] must map codes to names"):
        load_profile(CORPUS)
    (bad / "english.toml").write_text(text.replace('["stop", "continue"]', '["stop"]'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"opposites must be a list of pairs of words"):
        load_profile(CORPUS)
    (bad / "english.toml").write_text(text.replace('["isa", "iza"]', '"isa"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"spelling_variants_inside must be a list of pairs of spellings"):
        load_profile(CORPUS)
    assert profile.language_names["fr"] == "French"
    assert ("isa", "iza") in profile.spelling_variants_inside


# ---- the engine ----------------------------------------------------------------------------------

class Multilingual(HashingEmbedder):
    multilingual = True


def engine_with(tmp_path, embedder):
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", model="hashing", query=QuerySettings())
    return Engine.load(settings, embedder=embedder, progress=False, log=lambda m: None)


FRENCH = "Qu'ont dit les ministres sur la Coalition et les combattants terroristes étrangers en Syrie ?"


def test_a_model_that_reads_english_only_refuses_it_and_says_how_to_ask(tmp_path):
    answer = engine_with(tmp_path, HashingEmbedder()).search(FRENCH)
    assert not answer.answerable and not answer.hits
    assert answer.notes == ("the question reads as French, and the model ranking the paragraphs (hashing) reads "
                            "English only: ask it in English, the collection's language, or choose a multilingual "
                            "model (QA_MODEL=e5)",)


def test_a_multilingual_model_searches_it_by_meaning_alone_and_the_answer_says_so(tmp_path, monkeypatch):
    engine = engine_with(tmp_path, Multilingual())
    searched = []
    real = engine.store.lexical
    monkeypatch.setattr(engine.store, "lexical", lambda terms, *a, **k: searched.append(list(terms)) or real(terms, *a, **k))
    answer = engine.search(FRENCH, k=3)
    assert searched == [[]]  # no word of it is matched (the word view is asked for none)
    assert answer.searched == ""  # nor "corrected" into English ("Syrie" is not "Syria")
    assert answer.notes[0] == ("read as French: searched by meaning alone, with a model that reads it; its words "
                               "were not matched to the collection's")
    # The hashing model has no fitted stage for it: answered, and said to be unjudged.
    assert answer.answerable and "was not judged" in answer.notes[1]
    assert answer.signals[OTHER_LANGUAGE] == 1.0
    english = engine.search("What did the ministers say about foreign terrorist fighters in Syria?", k=3)
    assert OTHER_LANGUAGE not in english.signals and not any("read as" in n for n in english.notes)


# ---- judging -------------------------------------------------------------------------------------

def stage(name, features, coef, threshold):
    n = len(features)
    return Stage(name, tuple(features), (0.0,) * n, (1.0,) * n, tuple(coef), 0.0, threshold)


CALIBRATION = Calibration("m", (stage("subject", ["dense_top"], [10.0], 0.5),
                                stage(LANGUAGE_STAGE, ["dense_top"], [-10.0], 0.5)))


def test_each_kind_of_question_is_judged_by_its_own_stages():
    read = {"dense_top": 1.0}
    assert abstain.judge_calibrated(CALIBRATION, read, []).answerable  # the language stage would refuse it
    assert not abstain.judge_read(CALIBRATION, {**read, OTHER_LANGUAGE: 1.0}).answerable
    refused = abstain.judge_other_language(CALIBRATION, {**read, OTHER_LANGUAGE: 1.0}, "the documents selected")
    assert refused.notes == ("the question is far from every paragraph in the documents selected",)
    assert abstain.judge_read(CALIBRATION, {"dense_top": -1.0, OTHER_LANGUAGE: 1.0}).answerable


def test_the_language_stage_is_fitted_on_its_questions_and_refuses_none_of_its_answerable_ones():
    rng = np.random.default_rng(0)
    questions, rows = [], []
    for i in range(30):
        answerable = i < 18
        top = (0.84 if answerable else 0.77) + rng.normal(0, 0.012)
        questions.append(EvalQuestion(f"q{i}", "other_language" if answerable else "off_topic", "?",
                                      (Gold("d", 1, 2),) if answerable else ()))
        rows.append({"dense_top": top, "dense_mean3": top - 0.01, OTHER_LANGUAGE: 1.0})
    fitted, rates = _language_stage(questions, rows, 0.025)
    assert fitted.name == LANGUAGE_STAGE and fitted.features == ("dense_top", "dense_mean3")
    assert rates["other_language_answerable"] == 0.0 and rates["other_language_unanswerable"] > 0.8
    assert all(fitted.probability(r) >= fitted.threshold for q, r in zip(questions, rows) if q.answerable)
    # Too few of a kind to fit in folds: no stage (the others are fitted all the same).
    assert _language_stage(questions[:FOLDS - 1] + questions[-3:], rows[:FOLDS - 1] + rows[-3:], 0.025) is None


def test_refitting_one_stage_keeps_the_others_as_they_were():
    from qa.errors import EvalError
    from qa.eval.calibrate import Fit, keep_stages

    before = Calibration("m", (stage("subject", ["dense_top"], [1.0], 0.25), stage("specific", ["dense_top"], [2.0], 0.1)),
                         "tuning halves of a (10 questions)")
    new = Calibration("m", (stage("subject", ["dense_top"], [9.0], 0.5), stage("specific", ["dense_top"], [9.0], 0.5),
                            stage(LANGUAGE_STAGE, ["dense_top"], [3.0], 0.3)), "tuning halves of a, b (12 questions)")
    fit = Fit(new, {"answerable": 0.1, "other_language_answerable": 0.0})
    kept = keep_stages(fit, before, ["language"])
    assert kept.calibration.stages == before.stages + (new.stages[2],)
    assert kept.calibration.fitted_on == ("tuning halves of a (10 questions); language on tuning halves of a, b "
                                          "(12 questions)")
    assert kept.rates == {"other_language_answerable": 0.0}  # what was refitted is what is reported
    again = keep_stages(fit, kept.calibration, ["language"])  # refitted again: said once
    assert again.calibration.fitted_on == kept.calibration.fitted_on
    with pytest.raises(EvalError, match="there is none for this model; run calibrate without --stage first"):
        keep_stages(fit, None, ["language"])


def test_its_years_and_places_still_name_documents(tmp_path):
    engine = engine_with(tmp_path, Multilingual())
    query = engine.parse("Que disait la déclaration de 2019 sur les combattants terroristes étrangers ?")
    assert query.language == "fr" and query.cue_doc_ids == {"washington-2019"}
    rome = engine.parse("Qu'ont dit les ministres à Rome sur les combattants terroristes étrangers ?")
    assert rome.language == "fr" and rome.cue_doc_ids == {"rome-2021"}
