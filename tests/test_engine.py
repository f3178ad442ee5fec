"""Engine logic with the deterministic hashing embedder: exact, fast, no model."""

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pytest

from qa import store
from qa.config import Settings
from qa.embed import HashingEmbedder
from qa import engine as engine_module
from qa.engine import Engine, confidence_of
from qa.errors import QueryError, StoreError
from qa.lexical import LexicalIndex

from conftest import CORPUS


def settings_for(index_dir, corpus_dir=CORPUS, **kw):
    return Settings(corpus_dir=corpus_dir, index_dir=index_dir, model="hashing", **kw)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return Engine.load(settings_for(tmp_path_factory.mktemp("index")), embedder=HashingEmbedder(), progress=False,
                       log=lambda m: None)


def test_hits_are_ranked_one_per_paragraph(engine):
    answer = engine.search("foreign terrorist fighters detained in Syria", k=8)
    assert [h.rank for h in answer.hits] == list(range(1, 9))
    assert len({h.paragraph_id for h in answer.hits}) == 8
    scores = [h.score for h in answer.hits]
    assert scores == sorted(scores, reverse=True)


def test_hit_carries_citation_text_and_highlight_from_its_paragraph(engine):
    hit = engine.search("Italian-led police training program", k=1).hits[0]
    doc = engine.collection.document(hit.doc_id)
    para = doc.paragraphs[hit.paragraph - 1]
    assert hit.text == para.text
    assert hit.citation == doc.citation(hit.paragraph)
    assert 1 <= len(hit.highlight_spans) <= 2
    for start, end in hit.highlight_spans:
        assert hit.text[start:end] in hit.highlight
    assert (hit.doc_id, hit.paragraph) == ("washington-2017", 5)
    assert "Italian-led police training" in hit.highlight


def test_document_filter_and_official_only(engine):
    answer = engine.search("stabilization", k=5, filters=engine.filters(doc_ids=["rome-2021"]))
    assert {h.doc_id for h in answer.hits} == {"rome-2021"}
    official = engine.search("ISIS fighters threat to home countries", k=54,
                             filters=engine.filters(source_types=["official"]))
    assert all(h.source_type == "official" for h in official.hits)
    assert len(official.hits) == 44


def test_date_filters_use_the_documents_dates(engine):
    hits = engine.search("Iraq", k=54, filters=engine.filters(since="2019-01-01")).hits
    assert {h.doc_id for h in hits} == {"washington-2019", "rome-2021"}
    hits = engine.search("Iraq", k=54, filters=engine.filters(until="2017-03-31")).hits
    assert {h.doc_id for h in hits} == {"washington-2017", "news-washington-2017"}
    hits = engine.search("Iraq", k=54, filters=engine.filters(since="2017-03-25", until="2017-12-31")).hits
    assert {h.doc_id for h in hits} == {"news-washington-2017"}  # dated March 2017: any day of it may match


def test_bad_filters_say_what_is_allowed(engine):
    with pytest.raises(QueryError, match=r"unknown document id\(s\) paris-2024; the collection has: kuwait-2018"):
        engine.filters(doc_ids=["paris-2024"])
    with pytest.raises(QueryError, match="since '2019/02/06' is not a date; write it as YYYY-MM-DD"):
        engine.filters(since="2019/02/06")
    with pytest.raises(QueryError, match="the date range is empty"):
        engine.filters(since="2020-01-01", until="2019-01-01")
    with pytest.raises(QueryError, match="source type\\(s\\) blog not known"):
        engine.filters(source_types=["blog"])


def test_bad_questions_get_clear_messages(engine):
    for empty in ("", "   \n\t"):
        with pytest.raises(QueryError, match="the question is empty"):
            engine.search(empty)
    with pytest.raises(QueryError, match="characters long; the limit is 1000"):
        engine.search("why " * 400)
    with pytest.raises(QueryError, match="k=0 is not a number of results"):
        engine.search("detainees", k=0)


def test_official_statement_outranks_the_news_report_repeating_it(engine):
    quote = ("Successful stabilization and long-term recovery will stem from good governance, the provision of "
             "services, and security arrangements that benefit all communities.")
    ranked = [(h.doc_id, h.paragraph) for h in engine.search(quote, k=5).hits]
    assert ranked.index(("washington-2017", 5)) < ranked.index(("news-washington-2017", 6))


def test_asking_for_the_news_report_puts_it_first(engine):
    quote = "according to the news report, successful stabilization will stem from good governance"
    assert engine.search(quote, k=1).hits[0].doc_id == "news-washington-2017"


def test_abstention_follows_the_threshold(engine):
    question = "chocolate cake recipe with butter"
    low = engine.search(question)
    assert low.confidence < 0.2
    engine_strict = replace(engine.settings, abstain_threshold=0.2)
    engine.settings, saved = engine_strict, engine.settings
    try:
        refused = engine.search(question)
        on_topic = engine.search("Italian-led police training program in Iraq")
    finally:
        engine.settings = saved
    assert not refused.answerable and refused.hits  # refused, closest paragraphs kept for reference
    assert on_topic.answerable and on_topic.confidence >= 0.2


def test_a_question_whose_topic_the_collection_never_names_is_refused(engine, monkeypatch):
    # Threshold 0: similarity alone would accept anything, so only the unknown-topic rule can refuse.
    monkeypatch.setattr(engine, "settings", replace(engine.settings, abstain_threshold=0.0))
    unknown = engine.search("what did the coalition say about Russia's invasion of Ukraine?")
    assert not unknown.answerable and unknown.hits
    assert "Ukraine" in unknown.notes[0] and "coalition" not in unknown.notes[0]  # ubiquitous words are not named
    assert engine.search("what did the coalition say about Ukraine and Mosul?").answerable  # one known topic word
    assert engine.search("kids forced to fight").answerable  # lay words the thesaurus knows count as known
    monkeypatch.setattr(engine_module, "UNKNOWN_TOPIC_OVERRIDE", -1.0)  # a strong enough match overrides the rule
    assert engine.search("Russia's invasion of Ukraine").answerable


def test_unknown_topic_ignores_words_every_paragraph_has(engine):
    assert "isi" in engine.ubiquitous and "coalit" in engine.ubiquitous
    assert engine.unknown_topic("what did the coalition say about ISIS?") == []  # nothing left to judge
    assert engine.unknown_topic("ISIS and Hezbollah in Lebanon") == ["Hezbollah", "Lebanon"]
    assert engine.unknown_topic("UNSCR 2396") == []


def test_a_rare_exact_term_outweighs_an_alias_in_bm25(engine):
    # "UNSCR" is in five paragraphs, "2396" in one: the lexical view must rank that one first, not a
    # paragraph that spells the resolution out in full (as expanding every spelling once did).
    lexical = engine.paragraph_scores("UNSCR 2396")["lexical"]
    doc, para = engine.pairs[int(np.argmax(lexical))]
    assert "2396" in para.text


def test_an_exact_phrase_lifts_the_paragraph_that_has_it(engine, monkeypatch):
    views = engine.paragraph_scores("Egmont Group")
    doc, para = engine.pairs[int(np.argmax(views["phrase"]))]
    assert "Egmont Group" in para.text
    without = replace(engine.settings, weight_phrase=0.0)
    monkeypatch.setattr(engine, "settings", without)
    assert np.allclose(engine.paragraph_scores("Egmont Group")["fused"] + 0.3 * views["phrase"] / views["phrase"].max(),
                       views["fused"])  # the phrase view is fused with its weight, min-max scaled


def test_questions_across_statements_cite_more_statements(engine, monkeypatch):
    question = "how have the statements described the coalition's support for Iraq over the years?"
    diverse = engine.search(question, k=5)
    monkeypatch.setattr(engine, "settings", replace(engine.settings, diversity=0.0))
    plain = engine.search(question, k=5)
    assert diverse.hits[0].paragraph_id == plain.hits[0].paragraph_id  # the best paragraph stays first
    assert len({h.doc_id for h in diverse.hits}) >= len({h.doc_id for h in plain.hits})
    scores = [h.score for h in diverse.hits]
    assert scores == sorted(scores, reverse=True)
    monkeypatch.setattr(engine, "settings", replace(engine.settings, diversity=5.0))  # overwhelming penalty
    assert len({h.doc_id for h in engine.search(question, k=5).hits}) == 5  # one paragraph per document first
    named = "what did the Rome communiqué say about Iraq over the years?"  # names a document: left alone
    with_penalty = [h.paragraph_id for h in engine.search(named, k=5).hits]
    monkeypatch.setattr(engine, "settings", replace(engine.settings, diversity=0.0))
    assert [h.paragraph_id for h in engine.search(named, k=5).hits] == with_penalty


def test_confidence_is_the_mean_of_the_three_best():
    assert confidence_of(np.array([0.1, 0.9, 0.5, 0.7])) == pytest.approx(0.7)
    assert confidence_of(np.array([0.4])) == pytest.approx(0.4)


def test_json_shape_matches_the_cli_contract(engine):
    row = engine.search("detainees in northeast Syria", k=2).to_json()
    assert set(row) == {"question", "answerable", "hits"}  # "notes" only when there is a reason to give
    refused = engine.search("Taliban takeover of Kabul").to_json()
    assert refused["answerable"] is False and "Kabul" in refused["notes"][0]
    assert {"rank", "doc_id", "title", "place", "date", "source_type", "paragraph", "text", "highlight", "score",
            "citation"} <= set(row["hits"][0])
    json.dumps(row)


# ---- the index on disk ----------------------------------------------------------------------

def test_stale_index_is_rebuilt_or_refused(tmp_path):
    settings = settings_for(tmp_path)
    first = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None).folder
    changed = replace(settings, piece_chars=400)
    with pytest.raises(StoreError, match="build_settings: index has"):
        Engine.load(changed, embedder=HashingEmbedder(), rebuild="never", progress=False)
    messages = []
    second = Engine.load(changed, embedder=HashingEmbedder(), progress=False, log=messages.append).folder
    assert second != first and "piece_chars" in messages[0]
    assert Engine.load(changed, embedder=HashingEmbedder(), rebuild="never", progress=False).folder == second


def test_changed_corpus_triggers_a_rebuild(tmp_path, bundled_corpus_copy):
    settings = settings_for(tmp_path / "index", corpus_dir=bundled_corpus_copy)
    Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    path = bundled_corpus_copy / "003_773ef00815cd961b.txt"
    path.write_bytes(path.read_bytes().replace(b"End text.", b"The Ministers agreed to meet in Paris soon.\n\nEnd text."))
    with pytest.raises(StoreError, match="corpus_fingerprint"):
        Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False)
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    assert engine.search("meet in Paris", k=1).hits[0].paragraph == 10


def test_corrupted_index_file_is_reported_and_rebuilt(tmp_path):
    settings = settings_for(tmp_path)
    folder = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None).folder
    faiss_file = folder / "dense.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    faiss_file.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged index"):
        Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False)
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    assert engine.search("detainees", k=1).hits


def test_crash_during_rebuild_keeps_the_previous_index_usable(tmp_path, monkeypatch):
    settings = settings_for(tmp_path)
    before = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    expected = [h.paragraph_id for h in before.search("detainees", k=3).hits]

    def crash(self, folder):
        raise OSError("disk full")

    monkeypatch.setattr(LexicalIndex, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        Engine.load(settings, embedder=HashingEmbedder(), rebuild="always", progress=False, log=lambda m: None)
    monkeypatch.undo()
    after = Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False)
    assert after.folder == before.folder
    assert [h.paragraph_id for h in after.search("detainees", k=3).hits] == expected
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_manifest_records_model_settings_and_corpus(engine):
    manifest = engine.manifest
    assert manifest["model"] == "hashing" and manifest["model_fingerprint"] == "hashing-v1"
    assert manifest["corpus_fingerprint"] == engine.collection.fingerprint
    assert manifest["build_settings"]["piece_chars"] == engine.settings.piece_chars
    assert manifest["query_settings"]["fusion"] == "weighted"
    assert manifest["counts"]["paragraphs"] == 54
    assert store.current_build(engine.settings.index_dir) == engine.folder


def test_a_reranker_reorders_the_top_paragraphs(engine):
    class ByLength:  # a stand-in cross-encoder: shortest paragraph first
        def scores(self, question, texts):
            return [-len(t) for t in texts]

    plain = engine.search("stabilization in liberated areas", k=5)
    engine.reranker = ByLength()
    try:
        reranked = engine.search("stabilization in liberated areas", k=5)
    finally:
        engine.reranker = None
    lengths = [len(h.text) for h in reranked.hits]
    assert lengths == sorted(lengths)
    assert [h.paragraph_id for h in reranked.hits] != [h.paragraph_id for h in plain.hits]


def test_large_collections_get_an_approximate_index(monkeypatch):
    from qa import dense

    vectors = HashingEmbedder(dimension=32).encode([f"passage number {i} about topic {i % 7}" for i in range(300)])
    monkeypatch.setattr(dense, "EXACT_LIMIT", 100)
    index = dense.DenseIndex.build(vectors)
    assert index.kind == "IndexHNSWFlat"
    scores, rows = index.search(vectors[42], 3)
    assert rows[0] == 42 and scores[0] == pytest.approx(1.0, abs=1e-5)
    monkeypatch.setattr(dense, "EXACT_LIMIT", 1000)
    assert dense.DenseIndex.build(vectors).kind == "IndexFlatIP"
