import json
import re

import pytest

from qa.cli import main
from qa.corpus import load_collection, paragraph_id
from qa.errors import CorpusError

from conftest import CORPUS, DATA

BOILERPLATE = (
    "official website", "Website Management", "External links", "Adobe", "Acrobat", "Leave a Reply",
    "email address will not", "Media Note", "Office of the Spokesperson", "Begin text", "Begin Text", "End text",
    "News Ticker", "Press Releases", "Washington gathering", "state.gov/", "**", "# ", "The following statement",
    "The following is the text", "The text of the following", "Required fields",
)


@pytest.fixture(scope="module")
def collection():
    return load_collection(CORPUS)


def numbers(collection, doc_id):
    return [p.number for p in collection.document(doc_id).paragraphs]


@pytest.mark.parametrize(
    "doc_id, count, numbered",
    [("washington-2017", 14, True), ("washington-2019", 10, True), ("kuwait-2018", 11, False),
     ("rome-2021", 9, False), ("news-washington-2017", 10, False)],
)
def test_paragraph_count_and_numbering(collection, doc_id, count, numbered):
    doc = collection.document(doc_id)
    assert numbers(collection, doc_id) == list(range(1, count + 1))
    assert doc.numbered is numbered


@pytest.mark.parametrize(
    "doc_id, date, place, source_type, display",
    [("washington-2017", "2017-03-22", "Washington", "official", "22 March 2017"),
     ("kuwait-2018", "2018-02-13", "Kuwait City", "official", "13 February 2018"),
     ("washington-2019", "2019-02-06", "Washington", "official", "6 February 2019"),
     ("rome-2021", "2021-06-28", "Rome", "official", "28 June 2021"),
     ("news-washington-2017", "2017-03", "Washington", "news", "March 2017")],
)
def test_dates_places_and_source_types(collection, doc_id, date, place, source_type, display):
    doc = collection.document(doc_id)
    assert (doc.date, doc.place, doc.source_type, doc.display_date) == (date, place, source_type, display)


def test_rome_date_comes_from_metadata_only(collection):
    assert collection.document("rome-2021").dated_in_text is False
    assert collection.document("washington-2019").dated_in_text is True


def test_no_boilerplate_survives_anywhere(collection):
    for doc, para in collection.paragraphs():
        for junk in BOILERPLATE:
            assert junk not in para.text, (doc.id, para.number, junk)


@pytest.mark.parametrize(
    "doc_id, number, first, second",
    [("washington-2017", 11, "prosecute and penalize foreign terrorist fighters and others",
      "providing material support to ISIS"),
     ("rome-2021", 2, "continue to threaten our", "homelands, people, and interests"),
     ("rome-2021", 5, "stabilization in areas liberated", "from Daesh/ISIS and reconciliation"),
     ("kuwait-2018", 2, "Iraqi-led political and security", "sector reforms")],
)
def test_page_break_joins_are_whole(collection, doc_id, number, first, second):
    text = collection.document(doc_id).paragraphs[number - 1].text
    assert f"{first} {second}" in text


def test_every_paragraph_is_whole_prose(collection):
    for doc, para in collection.paragraphs():
        assert para.text[0].isupper() or para.text[0] in "“\"", (doc.id, para.number)
        assert para.text.rstrip("”\"")[-1] in ".!?", (doc.id, para.number)


def test_card_example_rome_paragraph_7_is_about_detainees(collection):
    doc = collection.document("rome-2021")
    assert "detainees and family members in northeast Syria" in doc.paragraphs[6].text
    assert doc.citation(7) == (
        "Joint Communiqué by Ministers of the Global Coalition to Defeat Daesh/ISIS, Rome, 28 June 2021, para 7"
    )


def test_spans_cover_the_paragraph_in_the_original_file(collection):
    for doc in collection.documents:
        source = doc.source_text()
        for para in doc.paragraphs:
            span = source[para.start:para.end]
            assert para.text.split()[0].strip("“") in span
            assert para.text.split()[-1] in span


def test_paragraph_ids_are_content_hashes_and_stable(collection):
    again = load_collection(CORPUS)
    first = [p.id for _, p in collection.paragraphs()]
    assert first == [p.id for _, p in again.paragraphs()]
    assert len(set(first)) == len(first)
    doc, para = collection.paragraphs()[0]
    assert para.id == paragraph_id(doc.id, para.number, para.text)
    assert collection.fingerprint == again.fingerprint


def test_corpus_files_are_the_seed_bytes_unchanged(collection):
    seeds = CORPUS.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"no seed folder at {seeds} to compare the corpus files with")
    compared = 0
    for doc in collection.documents:
        seed = seeds / doc.path.name
        if seed.exists():
            assert seed.read_bytes() == doc.path.read_bytes(), f"{doc.path.name} differs from its seed"
            compared += 1
    assert compared == len(list(seeds.glob("*.txt")))  # every seed is in the corpus


def test_fingerprint_changes_when_a_file_changes(bundled_corpus_copy):
    before = load_collection(bundled_corpus_copy).fingerprint
    path = bundled_corpus_copy / "003_773ef00815cd961b.txt"
    path.write_bytes(path.read_bytes().replace(b"End text.", b"The Ministers agreed to meet again soon.\n\nEnd text."))
    after = load_collection(bundled_corpus_copy)
    assert after.fingerprint != before
    assert len(after.document("rome-2021").paragraphs) == 10


def test_new_document_needs_only_a_file_and_an_entry(bundled_corpus_copy):
    (bundled_corpus_copy / "brussels.txt").write_bytes((DATA / "messy_statement.txt").read_bytes())
    with open(bundled_corpus_copy / "documents.toml", "a", encoding="utf-8") as f:
        f.write('\n[[documents]]\nid = "brussels-2022"\nfile = "brussels.txt"\ntitle = "Joint Statement of the Small Group"\n'
                'issuer = "Small Group"\nplace = "Brussels"\ndate = "2022-10-03"\nsource_type = "official"\n')
    collection = load_collection(bundled_corpus_copy)
    assert numbers(collection, "brussels-2022") == [1, 2, 3, 4]
    assert collection.warnings == ()


ENTRY = 'id = "{id}"\nfile = "{file}"\ntitle = "T"\nissuer = "I"\nplace = "Rome"\ndate = "{date}"\nsource_type = "{st}"\n'
GOOD_TEXT = "The Ministers met in Rome today and agreed on a plan.\n"


def toml(*entries):
    return "".join("[[documents]]\n" + ENTRY.format(**{"id": "a", "file": "a.txt", "date": "2021-06-28", "st": "official", **e})
                   for e in entries)


@pytest.mark.parametrize(
    "files, metadata, message",
    [
        ({"a.txt": b""}, toml({}), r"a\.txt is empty"),
        ({"a.txt": b"   \n\n"}, toml({}), r"a\.txt is empty"),
        ({"a.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, toml({}), r"a\.txt looks binary"),
        ({"a.txt": bytes(range(128, 256)) * 3}, toml({}), r"a\.txt is not UTF-8 \(byte 0x80 on line 1\) and its encoding could not be detected"),
        ({}, toml({}), r"'a' points to 'a\.txt', which is not in"),
        ({"a.txt": GOOD_TEXT}, toml({}, {"file": "b.txt"}), r"id 'a' appears in more than one entry"),
        ({"a.txt": GOOD_TEXT}, toml({"date": "28/06/2021"}), r"date '28/06/2021', which is not an ISO date.*YYYY-MM-DD"),
        ({"a.txt": GOOD_TEXT}, toml({"date": "2021-02-30"}), r"date '2021-02-30', which does not exist"),
        ({"a.txt": GOOD_TEXT}, toml({"st": "blog"}), r"source_type 'blog' is not one of official, news"),
        ({"a.txt": GOOD_TEXT}, "[[documents]]\nid = \"a\"\nfile = \"a.txt\"\n", r"is missing title, issuer, place, date, source_type"),
        ({"a.txt": GOOD_TEXT}, toml({}) + "colour = \"red\"\n", r"unknown field\(s\) colour"),
        ({"a.txt": GOOD_TEXT}, "[[documents]\nid=", r"documents\.toml is not valid TOML"),
        ({"a.txt": GOOD_TEXT}, "", r"lists no documents"),
        ({"a.txt": "Media Note\n\nWashington, DC\n"}, toml({}), r"a\.txt has no paragraphs of prose"),
        ({"a.txt": GOOD_TEXT}, toml({"id": "Rome 2021"}), r"id 'Rome 2021' must be lower-case"),
    ],
)
def test_bad_input_gets_one_clear_error(make_corpus, files, metadata, message):
    folder = make_corpus(files, metadata)
    with pytest.raises(CorpusError, match=message):
        load_collection(folder)


def test_missing_metadata_file_and_folder(tmp_path):
    with pytest.raises(CorpusError, match=r"documents\.toml not found"):
        load_collection(tmp_path)
    with pytest.raises(CorpusError, match=r"does not exist.*QA_CORPUS"):
        load_collection(tmp_path / "nope")


def test_disagreeing_metadata_is_reported_with_file_and_field(make_corpus):
    text = "Media Note\nWashington, DC\nFebruary 6, 2019\n\nThe Ministers met in Washington and agreed on a plan.\n"
    folder = make_corpus({"a.txt": text, "stray.txt": GOOD_TEXT}, toml({"date": "2019-02-07"}))
    warnings = load_collection(folder).warnings
    assert any("a.txt: metadata date 2019-02-07 is not among the dates in the text's header (2019-02-06)" in w
               for w in warnings)
    assert any("metadata place 'Rome' does not appear in the text" in w for w in warnings)
    assert any("stray.txt is not listed in documents.toml" in w for w in warnings)


def test_cli_json_prints_one_object_per_paragraph(capsys):
    assert main(["corpus", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 54
    assert set(rows[0]) == {"doc_id", "title", "place", "date", "source_type", "url", "paragraph", "text"}
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["doc_id"], []).append(row["paragraph"])
    assert by_doc["washington-2017"] == list(range(1, 15))
    assert {r["source_type"] for r in rows if r["doc_id"] == "news-washington-2017"} == {"news"}


def test_cli_one_documents_paragraphs_come_whole_or_as_json(capsys):
    from qa.corpus import load_collection

    kuwait = load_collection(CORPUS).document("kuwait-2018")
    assert main(["corpus", "--doc", "kuwait-2018"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert all(" ".join(p.text.split()) in out for p in kuwait.paragraphs)  # none cut short
    assert main(["corpus", "--doc", "kuwait-2018", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["doc_id"], r["paragraph"], r["text"]) for r in rows] == [
        ("kuwait-2018", p.number, p.text) for p in kuwait.paragraphs]


def test_cli_summary_and_errors_are_one_line(capsys, make_corpus):
    assert main(["corpus"]) == 0
    out = capsys.readouterr().out
    assert "5 documents, 54 paragraphs" in out and "rome-2021" in out
    folder = make_corpus({"a.txt": b""}, toml({}))
    assert main(["--corpus", str(folder), "corpus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "a.txt is empty" in err and "Traceback" not in err


def test_place_aliases_must_be_a_list_of_names(make_corpus):
    from qa.corpus import load_collection

    entry = ('[[documents]]\nid = "a"\nfile = "a.txt"\ntitle = "T"\nissuer = "I"\nplace = "Marrakesh"\n'
             'date = "2022-05-11"\nsource_type = "official"\n')
    text = "Marrakesh, May 11, 2022\n\nThe ministers met and agreed on many things of great importance today.\n"
    folder = make_corpus({"a.txt": text}, entry + 'place_aliases = ["Marrakech"]\n')
    assert load_collection(folder).documents[0].place_aliases == ("Marrakech",)
    folder = make_corpus({"a.txt": text}, entry + 'place_aliases = "Marrakech"\n')
    with pytest.raises(CorpusError, match=r"place_aliases must be a list of names in quotes, e.g. place_aliases = \["):
        load_collection(folder)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "cp1252", "utf-8-sig"])
def test_text_in_other_encodings_is_read(make_corpus, encoding):
    text = ("The Ministers of the Coalition met in Genève and agreed that the café owners’ résumé of events was "
            "accurate. They welcomed the progress made in stabilization across the liberated areas.\n") * 2
    folder = make_corpus({"a.txt": text.encode(encoding)}, toml({}))
    paragraph = load_collection(folder).documents[0].paragraphs[0]
    assert "Genève" in paragraph.text and "’" in paragraph.text


def test_metadata_that_is_not_utf8_is_named_by_line(make_corpus):
    toml_bytes = toml({}).replace('title = "T"', 'title = "Genève"').encode("latin-1")
    folder = make_corpus({"a.txt": GOOD_TEXT}, "")
    (folder / "documents.toml").write_bytes(toml_bytes)
    with pytest.raises(CorpusError, match=r"documents\.toml is not UTF-8: byte 0xe8 on line 4 \(column 13\); re-save"):
        load_collection(folder)


def test_a_cached_parse_is_reused_only_for_the_same_bytes_and_entry(bundled_corpus_copy, tmp_path, monkeypatch):
    from qa import clean, corpus

    cache = tmp_path / "parsed"
    fresh = load_collection(bundled_corpus_copy, cache_dir=cache)
    assert fresh == load_collection(bundled_corpus_copy)  # the cache changes nothing of what is loaded
    bodies = lambda: list(cache.glob(f"*{corpus.PARAGRAPHS_SUFFIX}"))
    assert len(bodies()) == len(fresh.documents)
    parsed = []
    real_parse = clean.parse
    monkeypatch.setattr(corpus.clean, "parse", lambda text, patterns: parsed.append(1) or real_parse(text, patterns))
    assert load_collection(bundled_corpus_copy, cache_dir=cache) == fresh and parsed == []  # nothing parsed again
    # A changed file is parsed again, and its old parse removed; the others still come from the cache.
    path = bundled_corpus_copy / "003_773ef00815cd961b.txt"
    path.write_bytes(path.read_bytes().replace(b"End text.", b"The Ministers agreed to meet again soon.\n\nEnd text."))
    changed = load_collection(bundled_corpus_copy, cache_dir=cache)
    assert parsed == [1] and len(changed.document("rome-2021").paragraphs) == 10
    assert len(bodies()) == len(fresh.documents) and len(list(cache.glob("*.json"))) == len(fresh.documents) + 1
    # A damaged cache file is only slower: the file is parsed again.
    for stale in cache.glob("*.json*"):
        stale.write_text("{not json")
    assert load_collection(bundled_corpus_copy, cache_dir=cache) == changed and len(parsed) == 1 + len(fresh.documents)


def test_a_cached_documents_paragraphs_are_read_only_when_used(bundled_corpus_copy, tmp_path, monkeypatch):
    from qa import corpus

    cache = tmp_path / "parsed"
    load_collection(bundled_corpus_copy, cache_dir=cache)  # parsed, and the parses kept
    fresh = load_collection(bundled_corpus_copy)  # parsed, in memory
    read = []
    real_read = corpus._read_paragraphs
    monkeypatch.setattr(corpus, "_read_paragraphs", lambda *a: read.append(a[0]) or real_read(*a))
    cached = load_collection(bundled_corpus_copy, cache_dir=cache)
    assert read == []  # loading read the headers only
    # Any paragraph is found by its id, in reading order, reading that paragraph alone.
    doc, para = fresh.paragraphs()[30]
    found_doc, found = cached.paragraph(para.id)
    assert (found_doc.id, found) == (doc.id, para) and cached.locate([para.id])[1].tolist() == [30]
    everyone = [p for _, p in fresh.paragraphs()]
    assert [cached.paragraph(p.id)[1] for p in everyone] == everyone and read == []
    assert cached.document("rome-2021").paragraphs[-1] == fresh.document("rome-2021").paragraphs[-1] and read == []
    with pytest.raises(IndexError):
        cached.document("rome-2021").paragraphs[len(fresh.document("rome-2021").paragraphs)]
    with pytest.raises(KeyError):
        cached.paragraph("0123456789abcdef")
    assert len(cached.document("rome-2021").paragraphs) == len(fresh.document("rome-2021").paragraphs) and read == []
    # Going through a document reads it whole, once; its paragraphs are then kept.
    assert list(cached.document("rome-2021").paragraphs) == list(fresh.document("rome-2021").paragraphs)
    assert len(read) == 1 and cached.document("rome-2021").paragraphs[2] is cached.document("rome-2021").paragraphs[2]
    assert cached == fresh and len(read) == len(fresh.documents)
    # A body that went bad after loading: the file is parsed again, the same paragraphs come back,
    # whether one paragraph is asked for or all of them.
    again = load_collection(bundled_corpus_copy, cache_dir=cache)
    for body in cache.glob(f"*{corpus.PARAGRAPHS_SUFFIX}"):
        body.write_text("[not json")
    kuwait = fresh.document("kuwait-2018").paragraphs
    assert again.paragraph(kuwait[3].id)[1] == kuwait[3] and again.document("kuwait-2018").paragraphs == kuwait
    # A body whose lines were swapped: a paragraph read alone is checked against its id.
    swapped = load_collection(bundled_corpus_copy, cache_dir=cache.parent / "swapped")
    for body in (cache.parent / "swapped").glob(f"*{corpus.PARAGRAPHS_SUFFIX}"):
        first, *lines, end = body.read_bytes().split(b"\n")
        body.write_bytes(b"\n".join([first, *reversed(lines), end]))
    swapped = load_collection(bundled_corpus_copy, cache_dir=cache.parent / "swapped")
    assert swapped.paragraph(kuwait[0].id)[1] == kuwait[0]
    # ... unless the file changed too: then the collection loaded is out of date, and it says so.
    late = load_collection(bundled_corpus_copy, cache_dir=cache)
    for body in cache.glob(f"*{corpus.PARAGRAPHS_SUFFIX}"):
        body.write_text("[not json")
    path = bundled_corpus_copy / "003_773ef00815cd961b.txt"
    path.write_bytes(path.read_bytes().replace(b"End text.", b"A paragraph added later to the file.\n\nEnd text."))
    with pytest.raises(CorpusError, match="changed after the collection was loaded; load it again"):
        list(late.document("rome-2021").paragraphs)


def test_paragraphs_of_ids_not_made_here_are_found_too():
    from dataclasses import replace

    from qa.corpus import Collection
    from qa.types import Paragraph

    doc = load_collection(CORPUS).documents[0]
    first = replace(doc, id="a", paragraphs=(Paragraph("p1", "a", 1, "one", 0, 3), Paragraph("p2", "a", 2, "two", 4, 7)))
    second = replace(doc, id="b", paragraphs=(Paragraph("X" * 16, "b", 1, "three", 0, 5),))
    collection = Collection((first, second), "f")
    assert collection.paragraph("p2") == (first, first.paragraphs[1])
    docs, positions = collection.locate(["X" * 16, "p1"])
    assert [d.id for d in docs] == ["b", "a"] and positions.tolist() == [2, 0]
    assert len(collection.by_id()) == 3 and list(collection.by_id()) == ["p1", "p2", "X" * 16]
    with pytest.raises(KeyError):
        collection.paragraph("p3")


@pytest.mark.parametrize("table, message", [
    ('[collection]\nexamples = "What about fish?"\n', "examples must be a list of questions"),
    ('[collection]\ndescription = 3\n', "description must be text"),
    ('collection = "fish"\n', "collection must be a table"),
])
def test_a_bad_collection_table_is_named_with_how_to_write_it(bundled_corpus_copy, table, message):
    meta = bundled_corpus_copy / "documents.toml"
    text = re.sub(r"^\[collection\]\n.*?\n\n", "", meta.read_text(encoding="utf-8"), flags=re.S | re.M)
    meta.write_text(table + "\n" + text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_collection(bundled_corpus_copy)


def test_the_bundled_collection_says_what_it_holds_and_what_to_try():
    collection = load_collection(CORPUS)
    assert collection.about == "the statements of the Global Coalition to Defeat ISIS"
    assert len(collection.examples) == 3 and all(e.endswith("?") for e in collection.examples)


def test_a_first_load_keeps_no_paragraph_and_groups_let_each_document_go(bundled_corpus_copy, tmp_path):
    # A first load of a large collection parses every file; it keeps the parses on disk, not the
    # paragraphs, and a build going through them in groups lets each document's go once done.
    collection = load_collection(bundled_corpus_copy, cache_dir=tmp_path / "parsed")
    assert all("not read yet" in repr(d.paragraphs) for d in collection.documents)
    everything = load_collection(bundled_corpus_copy).paragraphs()
    groups = list(collection.paragraph_groups(7))
    assert all(0 < len(g) <= 7 for g in groups) and len(groups) == -(-len(everything) // 7)
    assert [(d.id, p) for g in groups for d, p in g] == [(d.id, p) for d, p in everything]
    assert all("not read yet" in repr(d.paragraphs) for d in collection.documents)
    assert collection.paragraphs() == everything  # read again when used


def test_documents_are_named_short_and_picked_in_the_collections_order(collection):
    picked = collection.documents_in({"rome-2021", "news-washington-2017", "washington-2017"})
    assert [d.id for d in picked] == ["washington-2017", "rome-2021", "news-washington-2017"]  # as documents.toml
    assert collection.document("rome-2021").short_name == "Rome 2021"
    assert collection.document("news-washington-2017").short_name == "Washington 2017 (news report)"
    assert collection.documents_in(()) == []
