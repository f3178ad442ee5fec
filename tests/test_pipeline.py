"""The engine end to end (load, build, search) with the deterministic hashing embedder: exact, fast, no model.

Tests never change the shared engine: a variant is made with ``engine.with_settings(...)``."""

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from qa import rank, store
from qa.config import BuildSettings, QuerySettings, Settings
from qa.embed import HashingEmbedder
from qa.errors import ConfigError, QueryError, StoreError
from qa.pipeline import Engine
from qa.retrieve.lexical import LexicalIndex
from qa.types import Filters

from conftest import CORPUS


def settings_for(index_dir, corpus_dir=CORPUS, build=BuildSettings(), **query):
    return Settings(corpus_dir=corpus_dir, index_dir=index_dir, model="hashing", build=build,
                    query=QuerySettings(**query))


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
    strict = engine.with_settings(abstain_threshold=0.2)
    refused = strict.search(question)
    on_topic = strict.search("Italian-led police training program in Iraq")
    assert not refused.answerable and refused.hits  # refused, closest paragraphs kept for reference
    assert on_topic.answerable and on_topic.confidence >= 0.2


def test_a_question_whose_topic_the_collection_never_names_is_refused(engine):
    # Threshold 0: similarity alone would accept anything, so only the unknown-topic rule can refuse.
    engine = engine.with_settings(abstain_threshold=0.0)
    unknown = engine.search("what did the coalition say about Russia's invasion of Ukraine?")
    assert not unknown.answerable and unknown.hits
    assert "Ukraine" in unknown.notes[0] and "coalition" not in unknown.notes[0]  # ubiquitous words are not named
    assert engine.search("what did the coalition say about Ukraine and Mosul?").answerable  # one known topic word
    assert engine.search("kids forced to fight").answerable  # lay words the thesaurus knows count as known
    lenient = engine.with_settings(unknown_topic_override=-1.0)  # a strong enough match overrides the rule
    assert lenient.search("Russia's invasion of Ukraine").answerable


def test_unknown_topic_ignores_words_every_paragraph_has(engine):
    from qa.abstain import unknown_topic

    def unknown(question):
        return unknown_topic(engine.intent.parse(question), engine.analyzer, engine.vocabulary, engine.ubiquitous)

    assert "isi" in engine.ubiquitous and "coalit" in engine.ubiquitous
    assert unknown("what did the coalition say about ISIS?") == []  # nothing left to judge
    assert unknown("ISIS and Hezbollah in Lebanon") == ["Hezbollah", "Lebanon"]
    assert unknown("UNSCR 2396") == []


def views(engine, question, filters=Filters()):
    query = engine.intent.parse(question)
    return engine.candidates(query, [engine.embedder.encode([query.dense_text], query=True)[0]], filters)


def test_a_rare_exact_term_outweighs_an_alias_in_bm25(engine):
    # "UNSCR" is in five paragraphs, "2396" in one: the lexical view must rank that one first, not a
    # paragraph that spells the resolution out in full (as expanding every spelling once did).
    found = views(engine, "UNSCR 2396")
    doc, para = engine.paragraphs[found.ids[int(np.argmax(found.lexical))]]
    assert "2396" in para.text


def test_an_exact_phrase_lifts_the_paragraph_that_has_it(engine):
    from qa.fuse import fuse_candidates

    found = views(engine, "Egmont Group")
    doc, para = engine.paragraphs[found.ids[int(np.argmax(found.phrase))]]
    assert "Egmont Group" in para.text
    weighted = engine.with_settings(fusion="weighted")
    with_phrase = fuse_candidates(found, weighted.settings.query)
    without = fuse_candidates(found, weighted.with_settings(weight_phrase=0.0).settings.query)
    # the phrase view is fused with its weight, min-max scaled
    assert np.allclose(without + 0.3 * found.phrase / found.phrase.max(), with_phrase)


def test_filters_are_applied_inside_the_search_not_after_it(engine):
    rome = engine.filters(doc_ids=["rome-2021"])
    found = views(engine, "detainees in northeast Syria", rome)
    assert found.ids and {engine.paragraphs[pid][0].id for pid in found.ids} == {"rome-2021"}
    admitted = {p.id for p in engine.collection.document("rome-2021").paragraphs}
    assert set(found.ids) == admitted
    vector = engine.embedder.encode(["detainees in northeast Syria"])[0]
    dense = engine.store.dense(vector, 10, rome)
    assert len(dense.ids) == 10 and set(dense.paragraph_ids) <= admitted  # k admitted passages, not k filtered after
    words = engine.store.lexical(engine.intent.parse("Iraq Syria").terms, 3, rome)
    assert len(words.ids) == 3 and set(words.ids) <= admitted


def test_questions_across_statements_cite_more_statements(engine):
    question = "how have the statements described the coalition's support for Iraq over the years?"
    diverse = engine.search(question, k=5)
    plain = engine.with_settings(diversity=0.0).search(question, k=5)
    assert diverse.hits[0].paragraph_id == plain.hits[0].paragraph_id  # the best paragraph stays first
    assert len({h.doc_id for h in diverse.hits}) >= len({h.doc_id for h in plain.hits})
    scores = [h.score for h in diverse.hits]
    assert scores == sorted(scores, reverse=True)
    overwhelming = engine.with_settings(diversity=5.0)
    assert len({h.doc_id for h in overwhelming.search(question, k=5).hits}) == 5  # one paragraph per document first
    named = "what did the Rome communiqué say about Iraq over the years?"  # names a document: left alone
    with_penalty = [h.paragraph_id for h in overwhelming.search(named, k=5).hits]
    assert [h.paragraph_id for h in engine.with_settings(diversity=0.0).search(named, k=5).hits] == with_penalty


def test_with_settings_leaves_the_original_engine_unchanged(engine):
    strict = engine.with_settings(abstain_threshold=0.99)
    assert strict.settings.query.abstain_threshold == 0.99
    assert engine.settings.query.abstain_threshold == QuerySettings().abstain_threshold
    assert not strict.search("detainees in northeast Syria").answerable
    assert engine.search("detainees in northeast Syria").answerable
    with pytest.raises(ConfigError, match="QA_MODE='fast' is not one of hybrid, dense, bm25"):
        engine.with_settings(mode="fast")


def test_json_shape_matches_the_cli_contract(engine):
    row = engine.search("detainees in northeast Syria", k=2).to_json()
    assert set(row) == {"question", "answerable", "confidence", "hits"}  # "notes" only when there is a reason to give
    refused = engine.search("Taliban takeover of Kabul").to_json()
    assert refused["answerable"] is False and "Kabul" in refused["notes"][0]
    assert {"rank", "doc_id", "title", "place", "date", "source_type", "paragraph", "text", "highlight", "score",
            "citation"} <= set(row["hits"][0])
    json.dumps(row)


# ---- the index on disk ----------------------------------------------------------------------

def test_stale_index_is_rebuilt_or_refused(tmp_path):
    settings = settings_for(tmp_path)
    first = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None).folder
    changed = replace(settings, build=BuildSettings(piece_chars=400))
    with pytest.raises(StoreError, match="build_settings: index has .*; build it again with: python -m qa --corpus "):
        Engine.load(changed, embedder=HashingEmbedder(), rebuild="never", progress=False)
    with pytest.raises(StoreError, match=r"no index in \S+ yet; build it again with: python -m qa --corpus ") as missing:
        Engine.load(replace(settings, index_dir=tmp_path / "none"), embedder=HashingEmbedder(), rebuild="never",
                    progress=False)
    assert str(missing.value).count("python -m qa") == 1  # one fix, not the store's and this one
    messages = []
    second = Engine.load(changed, embedder=HashingEmbedder(), progress=False, log=messages.append).folder
    assert second != first and "piece_chars" in messages[0]
    assert Engine.load(changed, embedder=HashingEmbedder(), rebuild="never", progress=False).folder == second


def test_changed_corpus_triggers_a_rebuild(tmp_path, bundled_corpus_copy):
    settings = settings_for(tmp_path / "index", corpus_dir=bundled_corpus_copy)
    Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    path = bundled_corpus_copy / "003_773ef00815cd961b.txt"
    path.write_bytes(path.read_bytes().replace(b"End text.", b"The Ministers agreed to meet in Paris soon.\n\nEnd text."))
    with pytest.raises(StoreError, match="the corpus changed since the index was built"):
        Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False)
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    assert engine.search("meet in Paris", k=1).hits[0].paragraph == 10


def test_a_new_parser_makes_the_index_stale_though_no_file_changed(tmp_path, bundled_corpus_copy, monkeypatch):
    # A parser that cuts other paragraphs from the same bytes gives other paragraph ids: an index of
    # the old ones would fail to find them (it did, with a KeyError, after an upgrade).
    from qa import corpus

    settings = settings_for(tmp_path / "index", corpus_dir=bundled_corpus_copy)
    Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    monkeypatch.setattr(corpus, "_PARSER", ["another parser"])
    with pytest.raises(StoreError, match="the corpus changed since the index was built"):
        Engine.load(settings, embedder=HashingEmbedder(), rebuild="never", progress=False)


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
    assert manifest["build_settings"]["piece_chars"] == engine.settings.build.piece_chars
    assert manifest["build_settings"]["profile_fingerprint"] == engine.profile.fingerprint
    assert manifest["query_settings"]["fusion"] == engine.settings.query.fusion.value
    assert manifest["counts"]["paragraphs"] == 54
    assert store.current_build(engine.settings.index_dir) == engine.folder


def test_a_reranker_reorders_the_top_paragraphs(engine):
    class ByLength:  # a stand-in cross-encoder: shortest paragraph first
        def scores(self, question, texts):
            return [-len(t) for t in texts]

    plain = engine.search("stabilization in liberated areas", k=5)
    reranking = engine.with_settings()
    reranking.reranker = ByLength()
    reranked = reranking.search("stabilization in liberated areas", k=5)
    lengths = [len(h.text) for h in reranked.hits]
    assert lengths == sorted(lengths)
    assert [h.score for h in reranked.hits] == [-n for n in lengths]  # the score is what orders the hits
    assert engine.reranker is None
    assert [h.paragraph_id for h in reranked.hits] != [h.paragraph_id for h in plain.hits]


def test_a_misspelt_word_is_searched_as_the_collections_word_and_the_answer_says_so(engine):
    answer = engine.search("Egmont Group of finacial inteligence units", k=1)
    assert answer.searched == "Egmont Group of financial intelligence units"
    assert "searched for 'intelligence' (you typed 'inteligence')" in answer.notes
    assert answer.to_json()["searched"] == answer.searched
    assert (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("washington-2017", 11)
    plain = engine.search("Egmont Group of financial intelligence units", k=1)
    assert plain.searched == "" and "searched" not in plain.to_json()
    off = engine.with_settings(spelling=False).search("Egmont Group of finacial inteligence units", k=1)
    assert off.searched == "" and not off.notes


def test_a_bad_new_file_is_ignored_with_a_warning_and_the_rest_still_answers(bundled_corpus_copy, tmp_path):
    from qa.errors import CorpusError

    (bundled_corpus_copy / "new.pdf").write_bytes(b"%PDF-1.4 cut off in the download")
    with open(bundled_corpus_copy / "documents.toml", "a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nid = "paris-2030"\nfile = "new.pdf"\ntitle = "T"\nissuer = "I"\nplace = "Paris"\n'
                'date = "2030-01-01"\nsource_type = "official"\n')
    settings = Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="hashing",
                        query=QuerySettings(abstain_threshold=0.0))
    said = []
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=said.append, skip_bad=True)
    assert engine.search("detainees in northeast Syria").hits
    warnings = [m for m in said if m.startswith("warning:")]
    assert len(warnings) == 1 and "'paris-2030'" in warnings[0] and "new.pdf could not be read as a PDF" in warnings[0]
    with pytest.raises(CorpusError, match="new.pdf could not be read as a PDF"):  # strict for qa build
        Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=said.append)


def test_an_index_whose_abbreviation_lists_do_not_match_its_models_is_refused(tmp_path):
    settings = settings_for(tmp_path)
    two = Engine.load(settings, embedder=[HashingEmbedder(), HashingEmbedder(dimension=64)], progress=False,
                      log=lambda m: None)
    with pytest.raises(StoreError, match="long_forms.json has 2 models, the index 1"):
        Engine(settings, two.collection, two.profile, [HashingEmbedder()], two.folder)


def test_a_question_naming_a_statement_is_told_of_words_only_others_use_and_a_report_is_named_as_one(engine):
    answer = engine.search("What did the news report say about foreign terrorist fighters?")
    named = [n for n in answer.notes if n.startswith("the document named")]
    assert named and all(n.startswith("the document named (Washington, 2017, news report)") for n in named), \
        answer.notes


def test_a_question_across_the_statements_is_not_judged_on_the_year_it_compares_from(engine):
    query = engine.intent.parse("How has the Coalition's attention to the Sahel changed since 2017?")
    assert query.across_documents and not query.cue_doc_ids  # "since 2017" is where the comparison starts
    answer = engine.search("How has the Coalition's attention to the Sahel changed since 2017?")
    assert not any(n.startswith("the document") for n in answer.notes), answer.notes


def test_a_follow_up_asks_of_the_statement_the_conversation_named(engine):
    first = "What did the Rome communiqué say about detainees?"
    answer = engine.search(f"{first} what about police?", topic="what about police?")
    assert "the document named (Rome, 2021) never uses 'police'; other documents do" in answer.notes, answer.notes
    alone = engine.search("what about police?")  # on its own it names nothing: judged on the collection
    assert not any(n.startswith("the document named") for n in alone.notes)


def test_a_news_word_the_statements_use_as_a_topic_names_no_news_report(engine):
    # "social media" is written in the 2017 statement: the question asks of it, not of the news report.
    query = engine.intent.parse("What did the Coalition say about social media?", phrase_used=engine._official_phrase)
    assert "news-washington-2017" not in query.cue_doc_ids and "media" in query.dense_text
    answer = engine.search("What did the Coalition say about social media?")
    assert not any("news report" in n for n in answer.notes), answer.notes
    report = engine.intent.parse("What did the news report say about detainees?", phrase_used=engine._official_phrase)
    assert report.cue_doc_ids == {"news-washington-2017"} and report.asks_for_news


def test_a_slip_of_a_spelling_the_vocabulary_file_gives_is_corrected_to_it(engine):
    # The statements write "Khurasan"; the vocabulary file's group has "Khorasan", one letter from "Korasan".
    answer = engine.search("does the coalition say anything about ISIS Korasan in Afganistan?")
    assert "searched for 'Khorasan' (you typed 'Korasan')" in answer.notes, answer.notes
    assert not any("never mentions" in n for n in answer.notes)


def test_a_search_runs_its_matrix_products_on_one_blas_thread_and_then_gives_them_back(engine):
    # Two BLAS threads leave one spinning after each small product, slowing the next question's
    # encode; the limit holds for the whole search (the question's encode included) and no longer.
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before, seen = blas_threads(), []

    class Watching(HashingEmbedder):
        def encode(self, texts, **kwargs):
            seen.append(blas_threads())
            return super().encode(texts, **kwargs)

    watched = copy.copy(engine)
    watched.embedders = [Watching()]
    answer = watched.search("detainees in northeast Syria", k=3)
    assert answer.hits and seen == [[1] * len(before)]
    assert blas_threads() == before


def test_the_first_model_embeds_the_question_without_its_framing_opening_and_the_others_as_asked(tmp_path):
    # "What did the ministers say about" is alike to every paragraph on the ministers: the first
    # model, which ranks, is given the topic alone; abstention's further models see the question.
    asked: list[tuple[int, str]] = []

    class Recording(HashingEmbedder):
        def encode(self, texts, *, batch_size=32, progress=False, query=False):
            if query:
                asked.append((self.dimension, texts[0]))
            return super().encode(texts)

    two = Engine.load(Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing"),
                      embedder=[Recording(256), Recording(64)], progress=False, log=lambda m: None)
    asked.clear()
    two.search("What did the ministers say about detainees in northeast Syria?")
    assert asked == [(256, "detainees in northeast Syria ?"),
                     (64, "What did the ministers say about detainees in northeast Syria ?")]
    asked.clear()
    two.search("How does the Coalition plan to cut off ISIS financing?")  # no framing opening
    (_, first), (_, second) = asked
    assert first == second and first.startswith("How does the Coalition plan to cut off ISIS")


def test_a_question_carried_by_one_word_marks_the_paragraphs_holding_it(engine):
    def found(question):
        query = engine.parse(question)
        return engine.candidates(query, [m.encode([query.dense_text], query=True)[0] for m in engine.embedders],
                                 Filters())

    # "Coalition" is in most paragraphs, "vacuums" in one: the question is all but one word's.
    carried = found("What did the Coalition say about vacuums?")
    held = {pid for pid, share in zip(carried.ids, carried.main_word) if share > 0}
    assert held and all("vacuums" in engine.paragraphs[pid][1].text for pid in held)
    assert 0.9 <= carried.main_word.max() < 1.0  # "Coalition" keeps a little of the weight
    assert found("vacuums").main_word.max() == 1.0
    assert found("security vacuums and detainees").main_word is None  # no word carries it


def test_after_building_the_engine_keeps_no_documents_text_it_has_not_been_asked_for(tmp_path):
    # The build reads every paragraph; the engine it leaves reads them back one by one when a
    # search needs them, so a first start on a large collection does not keep the whole text.
    built = Engine.load(settings_for(tmp_path / "index"), embedder=HashingEmbedder(), progress=False,
                        log=lambda m: None)
    assert all("not read yet" in repr(d.paragraphs) for d in built.collection.documents)
    answer = built.search("detainees in northeast Syria", k=3)
    assert answer.hits and answer.hits[0].text
    assert all("not read yet" in repr(d.paragraphs) for d in built.collection.documents)


def test_a_year_lifts_the_paragraphs_mentioning_it_reading_only_those_it_could_bring_to_the_head(engine, monkeypatch):
    shallow = engine.with_settings(diversity_depth=2, rerank_depth=2)
    question = "what happened in 2017 to ISIS territory"
    assert shallow.parse(question).cue_years == ("2017",)
    read, said = [], []
    mention = shallow._mention
    monkeypatch.setattr(shallow, "_mention", lambda ids, years, among: read.append(among) or said.append(
        mention(ids, years, among)) or said[-1])
    answer = shallow.search(question, k=2)
    assert len(read) == 1 and 0 < read[0].sum() < len(read[0]) / 2
    monkeypatch.setattr(rank, "within_reach", lambda scores, lift, depth: np.ones(len(scores), dtype=bool))
    every = shallow.search(question, k=2)
    assert read[1].all()
    assert [(h.paragraph_id, h.score) for h in answer.hits] == [(h.paragraph_id, h.score) for h in every.hits]
    assert said[0].any() and said[0].sum() < said[1].sum()  # some are lifted, and some not read were never needed


def test_a_hyphenated_word_is_missing_when_one_of_its_parts_is(engine):
    # "armed" occurs in the collection, "nuclear" does not: "nuclear-armed" is no word it uses
    notes = engine.search("What did the Coalition say about nuclear-armed fighters?", k=1).notes
    assert any("'nuclear-armed'" in n for n in notes)
    assert not any("ISIS-held" in n for n in engine.search("ISIS-held territory in Iraq", k=1).notes)


def test_a_statement_named_by_a_capital_is_not_held_because_the_text_names_its_country(engine):
    # The statements name Turkey and Nigeria, never Ankara or Abuja: no statement is from there
    for city in ("Ankara", "Abuja"):
        answer = engine.search(f"What did the {city} statement say about detainees?", k=1)
        assert not answer.answerable
        assert any(f"no document in the collection is from or named '{city}'" in n for n in answer.notes)


def test_an_answer_says_when_the_filters_leave_out_the_documents_the_question_names(engine):
    official = engine.search("What did the news report say about Mosul?", k=1,
                             filters=engine.filters(source_types=["official"]))
    assert "the question names Washington 2017 (news report), which the filters leave out" in official.notes
    elsewhere = engine.search("What did the Kuwait statement say about detainees?", k=1,
                              filters=engine.filters(doc_ids=["rome-2021", "washington-2019"]))
    assert "the question names Kuwait City 2018, which the filters leave out" in elsewhere.notes
    kept = engine.search("What did the Rome communiqué say about detainees?", k=1,
                         filters=engine.filters(doc_ids=["rome-2021"]))
    assert not any("leave out" in n for n in kept.notes)


def test_the_latest_statement_is_the_newest_of_those_the_filters_admit(engine):
    question = "What did the latest statement say about detainees?"
    assert engine.parse(question).cue_doc_ids == {"rome-2021"}
    until_2019 = engine.filters(until="2019-12-31")
    assert engine.parse(question, until_2019).cue_doc_ids == {"washington-2019"}
    assert engine.search(question, k=1, filters=until_2019).hits[0].doc_id == "washington-2019"
    assert engine.parse("How many members does the Coalition have now?",
                        engine.filters(until="2018-12-31")).cue_doc_ids == {"kuwait-2018"}


def test_the_engine_counts_the_question_words_the_collection_lacks(engine):
    """``Candidates.lexical_unknown`` is the setting's share of a missing word's weight, once a word."""
    query = engine.parse("zorblaxian zorblaxian quibbletrons and detainees")
    vectors = [e.encode([query.dense_text], query=True)[0] for e in engine.embedders]
    assert sum(t not in engine.vocabulary for t in set(query.terms)) == 2
    for share in (0.0, 0.5):
        found = engine.with_settings(lexical_unknown=share).candidates(query, vectors, engine.filters())
        assert found.lexical_unknown == pytest.approx(share * engine._unknown_idf * 2)


def test_a_paragraph_asked_for_by_its_citation_comes_first(engine):
    answer = engine.search("Joint Communiqué, Rome, 28 June 2021, para 7", k=3)
    assert answer.answerable and answer.confidence == 1.0
    assert (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("rome-2021", 7)
    assert answer.notes == ("paragraph 7 of Rome 2021, as asked, comes first",)
    assert engine.parse("Kuwait statement paragraph 5").paragraph_number == 5
    # The reference is looked up, not searched for: "para" is no word the collection lacks.
    assert "para" not in engine.parse("Rome 2021 para 7").topic_words
    # "Washington" names two statements and a report: the one that has the paragraph is shown, and
    # the others' lacking it is no news.
    washington = engine.search("Washington para 14", k=3)
    assert (washington.hits[0].doc_id, washington.hits[0].paragraph) == ("washington-2017", 14)
    assert washington.notes == ("paragraph 14 of Washington 2017, as asked, comes first",)


def test_a_paragraph_the_document_named_lacks_is_said_and_filters_are_kept(engine):
    answer = engine.search("Rome communiqué para 12", k=3)
    # Only a citation, of a paragraph that is not there: nothing answers it.
    assert not answer.answerable and answer.notes == ("Rome 2021 has no paragraph 12; its paragraphs are numbered 1 to 9",)
    assert not engine.search("Joint Communiqué, Rome, 28 June 2021, para 12", k=3).answerable
    # With a topic of its own, the topic is searched and the missing paragraph said.
    topic = engine.search("what does para 12 of the Rome communiqué say about detainees?", k=3)
    assert "Rome 2021 has no paragraph 12; its paragraphs are numbered 1 to 9" in topic.notes
    assert all(h.paragraph != 12 for h in topic.hits)
    # A paragraph of a document the filters leave out is not brought back.
    kept = engine.search("Rome 2021 para 7", k=3, filters=engine.filters(doc_ids=["kuwait-2018"]))
    assert {h.doc_id for h in kept.hits} == {"kuwait-2018"}
    assert not any("as asked" in n for n in kept.notes)


def test_paragraphs_that_write_the_quoted_words_come_first(engine):
    answer = engine.search('what did they say about "blue training"?', k=3)
    assert (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("kuwait-2018", 8)
    assert answer.notes[-1] == "1 paragraph writes 'blue training' as it stands: first"
    # Marks between words aside: "whole of government" is written "whole-of-government".
    both = engine.search('"whole of government"', k=3)
    assert {(h.doc_id, h.paragraph) for h in both.hits[:2]} == {("kuwait-2018", 2), ("kuwait-2018", 6)}
    assert both.answerable and both.notes[-1].startswith("2 paragraphs write")


def test_quoted_words_no_paragraph_writes_refuse_the_question_and_say_so(engine):
    answer = engine.search('"chemical weapons" attacks', k=3)
    assert not answer.answerable and answer.hits
    assert answer.notes == ("no paragraph writes 'chemical weapons' as it stands",)
    selected = engine.search('"blue training"', k=3, filters=engine.filters(doc_ids=["rome-2021"]))
    assert not selected.answerable
    assert selected.notes == ("no paragraph in the documents selected writes 'blue training' as it stands",)


def test_a_comparison_says_which_document_named_is_silent_on_its_topic(engine):
    answer = engine.search("Compare what the 2017 and 2019 statements said about Libya", k=3)
    assert "Washington 2019 never mentions 'Libya'; the other documents named do" in answer.notes
    assert answer.silent == ("washington-2019",)
    # "How it changed" does not set a paragraph on Iraq against one on Libya: the silent one is left out.
    from qa import digest

    result = digest.ask(engine, "Compare what the 2017 and 2019 statements said about Libya", k=3)
    assert result.changes == () and "washington-2019" in {h.doc_id for h in result.left_out}
    both = engine.search("What did the 2019 and 2021 statements say about detainees?", k=3)
    assert not any("never mentions" in n for n in both.notes)  # both speak of them
    alone = engine.search("What did the 2019 statement say about Libya?", k=3)  # one document: said otherwise
    assert not any("the other documents named do" in n for n in alone.notes)
