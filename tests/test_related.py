"""Related words (qa.related): a question word the collection never uses, searched as its nearest word."""

import re

import numpy as np
import pytest

from qa import related
from qa.config import Settings
from qa.embed import HashingEmbedder
from qa.errors import StoreError
from qa.pipeline import Engine

from test_grow import _add


class KinEmbedder(HashingEmbedder):
    """The hashing embedder, with a level for related words and a few words written as their kin:
    "kids" embeds as "children", so the two are alike (1.0) and other words are not (about 0)."""

    fingerprint = "hashing-kin-v1"
    related = 0.6
    KIN = {"offspring": "children", "kids": "children", "incarcerated": "detainees"}

    def __init__(self):
        super().__init__()
        self.calls: list[list[str]] = []

    def encode(self, texts, **kwargs):
        self.calls.append(list(texts))
        return super().encode([re.sub(r"\w+", lambda m: self.KIN.get(m.group().lower(), m.group()), t)
                               for t in texts], **kwargs)


@pytest.fixture
def settings(bundled_corpus_copy, tmp_path):
    return Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="hashing")


def load(settings, embedder, **query):
    engine = Engine.load(settings, embedder=embedder, progress=False, log=lambda m: None)
    return engine.with_settings(**query) if query else engine


def test_table_words_are_the_most_frequent_searchable_words_up_to_the_limit():
    counts = ["the", "children", "2019", "un", "detainees", "x-ray", "al-Hol", "ISIS's", "camps"]
    searchable = lambda w: w not in {"the"}  # noqa: E731
    assert related.table_words(counts, searchable, 10) == ["children", "detainees", "x-ray", "al-Hol", "ISIS's", "camps"]
    assert related.table_words(counts, searchable, 2) == ["children", "detainees"]


def test_a_table_embeds_only_the_words_an_earlier_table_of_the_same_model_lacks(tmp_path):
    embedder = KinEmbedder()
    first = related.WordTable.build(embedder, ["children", "detainees"])
    first.save(tmp_path)
    loaded = related.WordTable.load(tmp_path)
    assert loaded.words == ["children", "detainees"] and loaded.model == embedder.name
    embedder.calls.clear()
    grown = related.WordTable.build(embedder, ["camps", "children", "detainees"], reuse=loaded)
    assert embedder.calls == [["camps"]]
    np.testing.assert_array_equal(grown.vectors[1:], first.vectors)
    found = grown.nearest(["offspring", "incarcerated", "moon"], embedder.encode(["offspring", "incarcerated", "moon"]), 0.6)
    assert [(r.typed, r.found) for r in found] == [("offspring", "children"), ("incarcerated", "detainees")]
    assert all(r.similarity > 0.99 for r in found)


def test_a_damaged_table_says_how_to_mend_it(tmp_path):
    (tmp_path / related.WORDS_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="python -m qa build"):
        related.WordTable.load(tmp_path)


def test_a_question_word_the_collection_never_uses_is_searched_as_its_kin(settings):
    engine = load(settings, KinEmbedder())
    assert (engine.folder / related.WORDS_FILE).is_file() and "children" in engine.related.words
    question = "what happens to the offspring of foreign fighters?"
    answer = engine.search(question, k=5)
    assert "also searched for 'children': the collection never uses 'offspring'" in answer.notes
    query = engine.parse(question)
    assert not any(t in engine.vocabulary for t in engine.analyzer.canonical_terms("offspring"))
    children = set(engine.analyzer.canonical_terms("children"))
    with_kin = engine.candidates(engine._with_related(query, ["offspring"], engine.embedders[0].encode(["offspring"])),
                                 [engine.embedders[0].encode([query.dense_text], query=True)[0]], engine.filters())
    # the paragraphs that write "children" now score in the word view
    hits = [pid for pid, score in zip(with_kin.ids, with_kin.lexical) if score > 0]
    assert any(children & set(engine.analyzer.canonical_terms(engine.paragraphs[pid][1].text)) for pid in hits)
    # the answer's missing-word caveat does not repeat a word it has already explained
    assert len([n for n in answer.notes if "'offspring'" in n]) == 1


def test_a_lay_word_the_vocabulary_file_translates_is_left_to_it_unless_its_thesaurus_is_off(settings):
    engine = load(settings, KinEmbedder())
    question = "what happens to the kids of foreign fighters?"  # "kids" is a lay word of corpus/vocabulary.toml
    assert engine.parse(question).lay_terms
    assert not any("also searched" in n for n in engine.search(question).notes)
    off = engine.with_settings(thesaurus="off")
    assert "also searched for 'children': the collection never uses 'kids'" in off.search(question).notes


def test_names_numbers_and_known_words_are_not_looked_up_and_the_setting_turns_it_off(settings):
    embedder = KinEmbedder()
    engine = load(settings, embedder)
    embedder.calls.clear()
    engine.search("What did Hezbollah say about detainees in 2019?")
    assert all(len(texts) == 1 for texts in embedder.calls)  # the question alone: nothing to look up
    off = engine.with_settings(related_words=False)
    assert not any("also searched" in n for n in off.search("what happens to the offspring of fighters?").notes)


def test_models_without_a_level_make_no_table(settings):
    engine = load(settings, HashingEmbedder())
    assert engine.related is None and not (engine.folder / related.WORDS_FILE).exists()
    assert not any("also searched" in n for n in engine.search("what happens to the offspring of fighters?").notes)


def test_a_grown_build_keeps_its_base_words_and_embeds_only_the_new_ones(settings):
    embedder = KinEmbedder()
    base = load(settings, embedder)
    base_words = list(base.related.words)
    _add(settings.corpus_dir, "reykjavik-2031", "reykjavik.txt",
         "1. Ministers met in Reykjavik to discuss glaciers and geothermal reconstruction.\n", "Reykjavik", "2031-05-02")
    embedder.calls.clear()
    engine = load(settings, embedder)
    assert engine.manifest.get("grown_from")
    assert {"glaciers", "geothermal"} <= set(engine.related.words) and set(base_words) <= set(engine.related.words)
    looked_up = [w for texts in embedder.calls for w in texts if len(w.split()) == 1]
    assert "glaciers" in looked_up and "children" not in looked_up


def test_a_word_looked_up_once_is_not_embedded_again(settings):
    embedder = KinEmbedder()
    engine = load(settings, embedder)
    embedder.calls.clear()
    first = engine.search("what happens to the offspring of foreign fighters?")
    again = engine.search("where do the offspring of fighters live?")
    assert [texts[1:] for texts in embedder.calls] == [["offspring"], []]  # the question alone the second time
    assert first.notes[0] == again.notes[0] == "also searched for 'children': the collection never uses 'offspring'"


def test_a_full_rebuild_reuses_the_last_tables_vectors(settings):
    embedder = KinEmbedder()
    first = load(settings, embedder)
    words = set(first.related.words)
    assert any(set(texts) <= words for texts in embedder.calls)  # the first build embedded them
    embedder.calls.clear()
    again = Engine.load(settings, embedder=embedder, rebuild="always", progress=False, log=lambda m: None)
    assert again.folder != first.folder and again.related.words == first.related.words
    assert not any(set(texts) <= words for texts in embedder.calls)
    np.testing.assert_array_equal(again.related.vectors, first.related.vectors)


def test_a_table_from_another_model_is_refused_with_the_fix(settings):
    engine = load(settings, KinEmbedder())

    class Other(KinEmbedder):
        fingerprint = "hashing-kin-other"

    with pytest.raises(StoreError, match="not this model's; run: python -m qa build"):
        Engine(engine.settings, engine.collection, engine.profile, Other(), engine.folder)


def test_a_word_is_never_searched_as_its_opposite_but_as_the_next_alike_word(tmp_path):
    class OppositeEmbedder(KinEmbedder):  # "stopping" embeds as "continue ended", nearest "continue", then "ended"
        KIN = {"stopping": "continue continue ended"}

    embedder = OppositeEmbedder()
    table = related.WordTable.build(embedder, ["continue", "ended", "children"])
    vectors = embedder.encode(["stopping"])
    assert [r.found for r in table.nearest(["stopping"], vectors, 0.3)] == ["continue"]
    opposed = lambda typed, found: {typed, found} == {"stopping", "continue"}  # noqa: E731
    assert [r.found for r in table.nearest(["stopping"], vectors, 0.3, opposed)] == ["ended"]
    # nothing else alike enough: no word at all, rather than the opposite
    assert table.nearest(["stopping"], vectors, 0.95, opposed) == []


def test_the_engine_tells_opposites_by_the_language_file_in_any_form(settings):
    engine = load(settings, KinEmbedder())
    assert ("stop", "continue") in engine.profile.opposites
    assert engine._opposed("stopping", "continued") and engine._opposed("Later", "earlier")
    assert not engine._opposed("stopping", "halted")
