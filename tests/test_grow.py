"""Growing a build: documents added at the end are indexed beside the last full build (qa.grow)."""

import json

import numpy as np
import pytest

from qa import grow, store
from qa.config import Settings
from qa.embed import HashingEmbedder
from qa.pipeline import Engine
from qa.retrieve.local import ADDED, BASE

VALLETTA = ("1. Ministers met in Valletta to review maritime patrols in the central Mediterranean.\n\n"
            "2. They agreed to share passenger records between port authorities, and to keep ISIS detainees "
            "in secure and humane detention.\n")
# A report repeating the Valletta statement's second paragraph, and one repeating a bundled one
# (Rome 2021 para 7, on detainees in northeast Syria), word for word.
REPORT = ("1. At a meeting on Friday, ministers agreed to share passenger records between port authorities, and "
          "to keep ISIS detainees in secure and humane detention.\n\n"
          "2. {rome}\n")


def _add(corpus, doc_id, name, text, place, date, kind="official"):
    (corpus / name).write_text(text, encoding="utf-8")
    with open(corpus / "documents.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[[documents]]\nid = "{doc_id}"\nfile = "{name}"\ntitle = "{place} Statement"\n'
                f'issuer = "Ministers"\nplace = "{place}"\ndate = "{date}"\nsource_type = "{kind}"\n')


@pytest.fixture
def settings(bundled_corpus_copy, tmp_path):
    return Settings(corpus_dir=bundled_corpus_copy, index_dir=tmp_path / "index", model="hashing")


def load(settings, rebuild="auto", logged=None):
    return Engine.load(settings, embedder=HashingEmbedder(), rebuild=rebuild, progress=False,
                       log=(logged.append if logged is not None else lambda m: None))


def rome_paragraph(engine, number):
    return next(p.text for d, p in engine.paragraphs.values() if d.id == "rome-2021" and p.number == number)


QUESTIONS = ["passenger records at ports", "detainees in northeast Syria", "maritime patrols in the Mediterranean",
             "financing of ISIS", "foreign terrorist fighters returning home", "stabilization in Iraq"]


def test_an_added_statement_is_indexed_beside_the_full_build_and_answers_as_a_full_build_would(settings):
    first = load(settings)
    inode = (first.folder / "dense.faiss").stat().st_ino
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    logged = []
    grown = load(settings, logged=logged)
    folder = store.current_build(settings.index_dir)
    assert (folder / BASE).is_dir() and (folder / ADDED).is_dir() and logged[-1].startswith("Added 2 paragraphs")
    assert grown.manifest["grown_from"]["paragraphs"] == first.manifest["counts"]["paragraphs"]
    assert set(grown.paragraphs) == set(first.paragraphs) | {pid for pid, (d, _) in grown.paragraphs.items()
                                                             if d.id == "valletta-2025"}
    # The base build's big files are the full build's own (links, not copies).
    assert (folder / BASE / "dense.faiss").stat().st_ino == inode
    full = load(settings, rebuild="always")
    assert not (full.folder / ADDED).exists()
    for question in QUESTIONS:
        mine, theirs = grown.search(question, k=5), full.search(question, k=5)
        assert mine.hits[0].paragraph_id == theirs.hits[0].paragraph_id, question
        assert len({h.paragraph_id for h in mine.hits} & {h.paragraph_id for h in theirs.hits}) >= 4, question
        assert mine.answerable == theirs.answerable
    top = grown.search("passenger records at ports", k=1).hits[0]
    assert (top.doc_id, top.paragraph) == ("valletta-2025", 2) and "passenger records" in top.text


def test_filters_and_vectors_reach_the_added_paragraphs(settings):
    load(settings)
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    grown = load(settings)
    only = grown.search("ministers", k=5, filters=grown.filters(doc_ids=["valletta-2025"]))
    assert {h.doc_id for h in only.hits} == {"valletta-2025"} and len(only.hits) == 2
    later = grown.search("detainees", k=5, filters=grown.filters(since="2025-01-01"))
    assert {h.doc_id for h in later.hits} == {"valletta-2025"}
    earlier = grown.search("detainees", k=5, filters=grown.filters(until="2024-12-31"))
    assert earlier.hits and "valletta-2025" not in {h.doc_id for h in earlier.hits}
    # A passage's stored vector is the one its text embeds to, in the base and among the added.
    for pid in [next(iter(grown.paragraphs)), next(p for p, (d, _) in grown.paragraphs.items() if d.id == "valletta-2025")]:
        sentence = grown.store.sentences(pid)[0]
        vector = HashingEmbedder().encode([sentence.text])[0]
        np.testing.assert_allclose(grown.store.similarity(vector, [sentence.id]), [1.0], atol=1e-5)


def test_every_paragraphs_sentences_read_as_one_block_are_those_its_text_is_cut_into(settings):
    """``LocalStore.sentences`` reads a paragraph's rows and texts as one block; in a grown build,
    from the base and from the added part, they are the sentences the chunker cuts its text into."""
    from qa.chunk import paragraph_passages

    load(settings)
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    grown = load(settings)
    assert grown.store._text._base is not None  # the texts come from two files
    for pid, (_, para) in grown.paragraphs.items():
        cut = [p for p in paragraph_passages(para) if p.kind == "sentence"]
        assert cut and grown.store.sentences(pid) == cut, pid
    assert grown.store.sentences("no-such-paragraph") == []


def test_a_build_grows_again_from_the_same_full_build_and_news_added_is_linked(settings):
    first = load(settings)
    rome7 = rome_paragraph(first, 7)
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    load(settings)
    _add(settings.corpus_dir, "report-2025", "report.txt", REPORT.format(rome=rome7), "Valletta", "2025-05-03", "news")
    again = load(settings)
    assert again.manifest["grown_from"]["paragraphs"] == first.manifest["counts"]["paragraphs"]
    full = load(settings, rebuild="always")
    report = {pid for pid, (d, _) in again.paragraphs.items() if d.id == "report-2025"}

    def links(engine):
        return sorted((n, o) for n, o in engine.twins if n in report)

    assert links(again) == links(full) and len(links(again)) == 2  # one to Valletta para 2, one to Rome para 7
    assert {again.paragraphs[o][0].id for _, o in links(again)} == {"valletta-2025", "rome-2021"}


def test_a_statement_added_after_a_report_that_repeats_it_is_linked_to_the_report(settings):
    rome7 = rome_paragraph(load(settings), 7)
    _add(settings.corpus_dir, "report-2025", "report.txt", REPORT.format(rome=rome7), "Valletta", "2025-05-03", "news")
    load(settings)  # the report: grown, linked to Rome para 7 only
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    grown = load(settings)
    assert (store.current_build(settings.index_dir) / ADDED).is_dir()
    linked = {(grown.paragraphs[n][0].id, grown.paragraphs[o][0].id) for n, o in grown.twins}
    assert ("report-2025", "valletta-2025") in linked and ("report-2025", "rome-2021") in linked


def test_a_statement_added_after_a_report_of_the_full_build_is_linked_as_a_full_build_links_it(settings):
    rome7 = rome_paragraph(load(settings), 7)
    _add(settings.corpus_dir, "report-2025", "report.txt", REPORT.format(rome=rome7), "Valletta", "2025-05-03", "news")
    load(settings, rebuild="always")  # the report is in the full build; what its linking weighed is kept
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    grown = load(settings)
    assert grown.manifest.get("grown_from")
    full = load(settings, rebuild="always")
    report = {pid for pid, (d, _) in full.paragraphs.items() if d.id == "report-2025"}

    def links(engine):
        return sorted((n, o) for n, o in engine.twins if n in report)

    assert links(grown) == links(full)
    assert {grown.paragraphs[o][0].id for _, o in links(grown)} == {"valletta-2025", "rome-2021"}


def test_what_linking_weighed_is_kept_within_the_tie_of_a_repeat(settings):
    from qa.build import Repeats

    load(settings)
    kept = Repeats.load(store.current_build(settings.index_dir))
    assert len(kept.starts) == len(kept.news) + 1 and kept.starts[-1] == len(kept.rows) == len(kept.margins)
    assert len(kept.news) and (kept.margins >= -settings.build.twin_tie).all()  # the bundled report repeats statements
    rows, margins = kept.of(int(kept.news[0]))
    assert len(rows) == len(margins) >= 1
    assert len(kept.of(int(kept.news[0]) + 10**9)[0]) == 0  # not a news sentence in reach: nothing kept


@pytest.mark.parametrize("change", ["edit", "remove", "too_many", "repeats_lost", "repeats_damaged"])
def test_a_full_build_is_made_when_growing_would_not_match_it(settings, change, monkeypatch):
    load(settings)
    corpus = settings.corpus_dir
    if change == "edit":  # a document of the base changed (its metadata): every later row may shift
        text = (corpus / "documents.toml").read_text(encoding="utf-8")
        (corpus / "documents.toml").write_text(text.replace('place = "Rome"', 'place = "Roma"', 1), encoding="utf-8")
        _add(corpus, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    elif change == "remove":  # added, grown, then taken out again
        _add(corpus, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
        load(settings)
        text = (corpus / "documents.toml").read_text(encoding="utf-8")
        (corpus / "documents.toml").write_text(text[:text.index('\n[[documents]]\nid = "valletta-2025"')] + "\n",
                                               encoding="utf-8")
        (corpus / "valletta.txt").unlink()
    elif change.startswith("repeats"):  # what linking weighed, gone or damaged: nothing to grow from
        kept = store.current_build(settings.index_dir) / "repeats.npz"
        if change == "repeats_lost":
            kept.unlink()
        else:
            kept.write_bytes(kept.read_bytes()[:20])
        _add(corpus, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    else:
        monkeypatch.setattr(grow, "GROW_LIMIT", 0.01)  # two paragraphs pass 1% of the base
        _add(corpus, "valletta-2025", "valletta.txt", VALLETTA, "Valletta", "2025-05-02")
    logged = []
    engine = load(settings, logged=logged)
    assert logged[-1].startswith("Built") and not (engine.folder / ADDED).exists()
    assert engine.search("passenger records at ports", k=1).hits[0].doc_id == (
        "rome-2021" if change == "remove" else "valletta-2025") or change == "remove"


def test_added_text_defining_a_new_abbreviation_makes_a_full_build(settings):
    load(settings)
    _add(settings.corpus_dir, "valletta-2025", "valletta.txt",
         "1. Ministers welcomed the Maritime Patrol Coordination Cell (MPCC) in Valletta.\n\n"
         "2. The MPCC will share passenger records between port authorities.\n", "Valletta", "2025-05-02")
    logged = []
    engine = load(settings, logged=logged)
    assert logged[-1].startswith("Built") and not (engine.folder / ADDED).exists()
    assert ["maritime patrol coordination cell", "MPCC"] in json.loads((engine.folder / "acronyms.json").read_text())["groups"]


def test_a_statement_added_with_qa_add_grows_the_build(settings, tmp_path):
    from qa.add import add, propose

    load(settings)
    source = tmp_path / "valletta.txt"
    source.write_text("Valletta Statement\n\nValletta, 2 May 2025\n\n" + VALLETTA, encoding="utf-8")
    entry = propose(source, source.read_bytes(), None)
    add(settings.corpus_dir, source, {**entry, "id": "valletta-2025", "place": "Valletta", "source_type": "official",
                                      "issuer": "Ministers"})
    logged = []
    engine = load(settings, logged=logged)
    assert logged[-1].startswith("Added 2 paragraphs") and (engine.folder / ADDED).is_dir()
    assert engine.search("passenger records at ports", k=1).hits[0].doc_id == "valletta-2025"
