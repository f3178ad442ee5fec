"""Abbreviations learnt from the collection's own text (qa/acronyms.py)."""

import shutil

import pytest

from qa.acronyms import definitions, long_form, merged
from qa.config import BuildSettings, QuerySettings, Settings
from qa.embed import HashingEmbedder
from qa.pipeline import Engine
from qa.types import Filters

from conftest import DATA


def test_long_form_is_the_shortest_run_of_words_spelling_the_letters():
    assert long_form("FIU", "as well as through a financial intelligence unit") == "financial intelligence unit"
    assert long_form("PFSO", "each terminal names a port facility security officer") == "port facility security officer"
    # Letters inside a word count after the first ("ISIS-K": the K of Khurasan).
    assert long_form("ISIS-K", "to counter the Islamic State in Iraq and Syria-Khurasan") == \
        "Islamic State in Iraq and Syria-Khurasan"


def test_no_long_form_where_the_words_do_not_spell_the_letters():
    assert long_form("CIFG", "the Counter-Finance Working Group") is None
    assert long_form("XYZ", "met in Lisbon") is None
    assert long_form("EU", "") is None


def test_definitions_in_text_and_what_is_not_one():
    texts = [
        "Ports will share data with the vessel traffic service (VTS) and the coast guard.",
        "The financial intelligence units (FIUs) met; one financial intelligence unit (FIU) reported.",
        "Delegates met in Rome (Italy) in 2021 (see annex) and read Resolution 2396 (2017).",
    ]
    assert definitions(texts) == [("financial intelligence unit", "FIU"), ("vessel traffic service", "VTS")]


def test_merged_adds_spellings_to_a_matching_group_and_new_pairs_as_groups():
    hand = (("ISIS", "ISIL", "Daesh"), ("United Nations", "UN"))
    learnt = [("islamic state of iraq and the levant", "ISIL"), ("vessel traffic service", "VTS"),
              ("united nations organization", "UN")]
    groups = merged(hand, learnt)
    assert groups[0] == ("ISIS", "ISIL", "Daesh", "islamic state of iraq and the levant")  # canonical word unchanged
    assert groups[1] == ("United Nations", "UN", "united nations organization")  # joins the group of "UN"
    assert ("vessel traffic service", "VTS") in groups
    # A pair whose spellings sit in two hand-written groups joins neither (the vocabulary file decides).
    assert merged(hand, [("Daesh", "UN")]) == hand


@pytest.fixture
def harbours(tmp_path):
    corpus = tmp_path / "harbours"
    shutil.copytree(DATA / "harbours", corpus)
    with open(corpus / "gdansk-2023.txt", "a", encoding="utf-8") as f:
        f.write("\n5. Each terminal will name a port facility security officer (PFSO) before the next season.\n"
                "\n6. Every PFSO will report the results of the spring drills to the Council.\n")
    return corpus


def load(corpus, index, learn):
    settings = Settings(corpus_dir=corpus, index_dir=index, model="hashing",
                        build=BuildSettings(learn_acronyms=learn), query=QuerySettings(abstain_threshold=0.0))
    return Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)


def lexical_paragraphs(engine, question):
    found = engine.store.lexical(engine.intent.parse(question).terms, 3, Filters())
    return [engine.paragraphs[pid][1].number for pid in found.ids]


def test_a_defined_abbreviation_finds_the_paragraphs_using_either_spelling(harbours, tmp_path):
    engine = load(harbours, tmp_path / "on", learn=True)
    assert (engine.folder / "acronyms.json").exists()
    # Paragraph 6 says only "PFSO"; a question spelling it out finds it by its words.
    assert lexical_paragraphs(engine, "what will the port facility security officer do?")[:2] == [5, 6]
    off = load(harbours, tmp_path / "off", learn=False)
    assert 6 not in lexical_paragraphs(off, "what will the port facility security officer do?")[:2]
