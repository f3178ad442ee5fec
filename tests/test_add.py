"""`qa add`: a statement joins the corpus with metadata read from it, checked before anything is kept."""

import shutil
import tomllib

import pytest

from qa.add import propose, proposed_id, slug
from qa.cli import main

from conftest import DATA
from test_convert import PARAGRAPHS, TITLE, docx_file, pdf_file


@pytest.fixture
def harbours(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(DATA / "harbours", corpus)
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_ABSTAIN_THRESHOLD", "0.0")
    return corpus


@pytest.mark.parametrize("name, make", [("valletta.pdf", pdf_file), ("valletta.docx", docx_file)])
def test_metadata_is_read_from_the_document(tmp_path, name, make):
    path = tmp_path / name
    path.write_bytes(make())
    proposed = propose(path, path.read_bytes())
    assert (proposed["title"], proposed["place"], proposed["date"], proposed["id"]) == \
        (TITLE, "Valletta", "2031-03-03", "valletta-2031")


def test_add_copies_writes_the_entry_shows_the_paragraphs_and_builds(harbours, tmp_path, capsys):
    source = tmp_path / "valletta.docx"
    source.write_bytes(docx_file())
    before = (harbours / "documents.toml").read_text(encoding="utf-8")
    assert main(["add", str(source), "--url", "https://example.org/valletta"]) == 0
    out = capsys.readouterr().out
    assert "Added valletta.docx" in out and "  1. The members of the Forum met in Valletta" in out
    assert "issuer      Harbour Safety Council" in out  # every other document's issuer, said as read
    meta = (harbours / "documents.toml").read_text(encoding="utf-8")
    assert meta.startswith(before.rstrip("\n"))  # the existing entries untouched
    entry = tomllib.loads(meta)["documents"][-1]
    assert entry == {"id": "valletta-2031", "file": "valletta.docx", "title": TITLE, "issuer": "Harbour Safety Council",
                     "place": "Valletta", "date": "2031-03-03", "source_type": "official",
                     "url": "https://example.org/valletta"}
    assert (harbours / "valletta.docx").read_bytes() == source.read_bytes()
    assert main(["ask", "second power source for lights on headlands", "--json", "--k", "1"]) == 0
    assert '"doc_id": "valletta-2031"' in capsys.readouterr().out
    assert main(["corpus", "--doc", "valletta-2031"]) == 0
    assert f"  3. {PARAGRAPHS[2][:40]}" in capsys.readouterr().out


def test_a_file_that_cannot_be_used_leaves_the_corpus_as_it_was(harbours, tmp_path, capsys):
    source = tmp_path / "broken.pdf"
    source.write_bytes(b"%PDF-1.4 cut off")
    before = (harbours / "documents.toml").read_bytes()
    assert main(["add", str(source), "--title", "T", "--place", "Malta", "--date", "2031-01-01"]) == 1
    assert "broken.pdf could not be read as a PDF" in capsys.readouterr().err
    assert (harbours / "documents.toml").read_bytes() == before and not (harbours / "broken.pdf").exists()


def test_what_the_text_does_not_say_is_asked_for(harbours, tmp_path, capsys):
    source = tmp_path / "note.txt"
    source.write_text("The Council will meet again in the spring to review the new lamps and their power.\n",
                      encoding="utf-8")
    assert main(["add", str(source)]) == 1
    assert "does not say its title, place, date; give --title ... --place ... --date ..." in capsys.readouterr().err


@pytest.mark.parametrize("name, make", [("valletta.html", "html_page"), ("valletta.pdf", "pdf_file")])
def test_a_web_page_and_a_pdf_are_added_the_same_way(harbours, tmp_path, capsys, name, make):
    import test_convert

    source = tmp_path / name
    source.write_bytes(getattr(test_convert, make)())
    assert main(["add", str(source), "--no-build"]) == 0
    entry = tomllib.loads((harbours / "documents.toml").read_text(encoding="utf-8"))["documents"][-1]
    assert (entry["title"], entry["place"], entry["date"]) == (TITLE, "Valletta", "2031-03-03")
    out = capsys.readouterr().out
    assert "3 paragraphs, its own numbers" in out and f"  2. {PARAGRAPHS[1][:40]}" in out


FISH = ("Declaration of the Fisheries Council on Mackerel Quotas\nTórshavn, 14 October 2030\n\n"
        "1. The members of the Council met in Tórshavn to agree the mackerel quotas for the coming season.\n\n"
        "2. Members agreed that no vessel may land more than its quota and that catches are checked in port.\n\n"
        "3. The next meeting will be held in Bergen.\n\n"
        "4. Annex tables\n")


@pytest.fixture
def fish(tmp_path):
    source = tmp_path / "fish.txt"
    source.write_text(FISH, encoding="utf-8")
    return source


def test_a_place_with_accents_is_read_from_the_dateline_and_its_id_is_plain_letters(fish):
    proposed = propose(fish, fish.read_bytes())
    assert (proposed["place"], proposed["date"], proposed["id"]) == ("Tórshavn", "2030-10-14", "torshavn-2030")


def test_a_dry_run_shows_the_paragraphs_as_they_would_be_cited_and_writes_nothing(harbours, fish, capsys):
    before = sorted(p.name for p in harbours.iterdir()), (harbours / "documents.toml").read_bytes()
    assert main(["add", str(fish), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "4 paragraphs, its own numbers:" in out and "  2. Members agreed that no vessel" in out
    assert (sorted(p.name for p in harbours.iterdir()), (harbours / "documents.toml").read_bytes()) == before


def test_a_dry_run_refuses_a_kind_of_file_the_collection_cannot_read(harbours, tmp_path, capsys):
    source = tmp_path / "fish.rtf"
    source.write_text(FISH, encoding="utf-8")
    assert main(["add", str(source), "--dry-run"]) == 1
    assert "fish.rtf is a .rtf file; add a statement saved as .txt" in capsys.readouterr().err


def test_the_id_follows_a_place_given(harbours, fish, capsys):
    assert main(["add", str(fish), "--place", "Klaksvík", "--no-build"]) == 0
    assert "id          klaksvik-2030" in capsys.readouterr().out
    assert tomllib.loads((harbours / "documents.toml").read_text(encoding="utf-8"))["documents"][-1]["id"] == \
        "klaksvik-2030"


def test_a_file_already_in_the_collection_is_refused_by_its_name_or_its_content(harbours, fish, tmp_path, capsys):
    assert main(["add", str(fish), "--no-build"]) == 0
    capsys.readouterr()
    before = (harbours / "documents.toml").read_bytes()
    assert main(["add", str(fish), "--id", "again", "--no-build"]) == 1
    assert "fish.txt is already in the collection as 'torshavn-2030'" in capsys.readouterr().err
    copy = tmp_path / "copy.txt"
    copy.write_bytes(fish.read_bytes())
    assert main(["add", str(copy), "--no-build"]) == 1
    assert "has the same content as fish.txt, already in the collection as 'torshavn-2030'; nothing was added" in \
        capsys.readouterr().err
    assert (harbours / "documents.toml").read_bytes() == before and not (harbours / "copy.txt").exists()


def test_a_date_that_does_not_exist_is_refused_as_the_option_given(harbours, fish, capsys):
    assert main(["add", str(fish), "--date", "2030-13-01", "--no-build"]) == 1
    assert "date '2030-13-01' does not exist (month must be in 1..12); give --date" in capsys.readouterr().err


def test_only_lines_that_are_no_sentence_are_warned_of_as_captions(harbours, fish, capsys):
    assert main(["add", str(fish), "--no-build"]) == 0
    err = capsys.readouterr().err
    assert "paragraph 4 looks like a caption" in err  # "Annex tables"
    assert "paragraph 3 looks like a caption" not in err  # a short sentence of the statement


def test_an_empty_file_is_refused_without_talking_of_an_entry_it_never_had(harbours, tmp_path, capsys):
    source = tmp_path / "empty.txt"
    source.write_text("  \n", encoding="utf-8")
    assert main(["add", str(source), "--title", "T", "--place", "Malta", "--date", "2031-01-01", "--no-build"]) == 1
    err = capsys.readouterr().err
    assert "empty.txt is empty; put the statement's text in it" in err and "documents.toml" not in err


def test_an_id_is_made_of_plain_letters_from_any_latin_place_and_of_the_file_s_name_otherwise(tmp_path):
    assert [slug(p) for p in ("Łódź", "Ærøskøbing", "Straße", "Đà Nẵng", "St. John's")] == \
        ["lodz", "aeroskobing", "strasse", "da-nang", "st-john-s"]
    assert slug("Москва") == ""
    assert proposed_id(tmp_path / "moscow-statement.txt", "Москва", "2030-10-14", None) == "moscow-statement-2030"
    assert proposed_id(tmp_path / "x.txt", "Lodz", "October 2030", None) == "lodz"  # no year from a bad date


def test_a_malformed_date_given_is_reported_as_the_date(harbours, fish, capsys):
    assert main(["add", str(fish), "--date", "October 2030", "--no-build"]) == 1
    assert "date 'October 2030' is not YYYY-MM-DD, YYYY-MM or YYYY; give --date" in capsys.readouterr().err


def test_a_path_without_a_file_is_said_to_be_no_file(harbours, tmp_path, capsys):
    assert main(["add", str(tmp_path / "statement"), "--dry-run"]) == 1
    assert "statement is not a file; give the path of the statement to add" in capsys.readouterr().err


def test_a_dry_run_refuses_what_adding_would_and_reads_with_the_collection_s_boilerplate(harbours, fish, tmp_path,
                                                                                          capsys):
    meta = harbours / "documents.toml"
    meta.write_text('[boilerplate]\npatterns = ["Sign up for our newsletter.*"]\n\n' + meta.read_text(encoding="utf-8"),
                    encoding="utf-8")
    source = tmp_path / "bergen.txt"
    source.write_text("Statement of the Fisheries Council\nBergen, 2 May 2031\n\n"
                      "The Council met in Bergen to review the herring season and its catches.\n\n"
                      "Sign up for our newsletter to hear about every meeting.\n\n"
                      "Members agreed to close the spawning grounds to trawlers for the whole of March.\n",
                      encoding="utf-8")
    assert main(["add", str(source), "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "2 paragraphs" in dry and "newsletter" not in dry.split("paragraphs")[-1]
    assert main(["add", str(source), "--no-build"]) == 0
    assert "2 paragraphs" in capsys.readouterr().out  # the same paragraphs as the dry run showed
    copy = tmp_path / "copy.txt"
    copy.write_bytes(source.read_bytes())
    assert main(["add", str(copy), "--dry-run"]) == 1
    assert "already in the collection as 'bergen-2031'" in capsys.readouterr().err
    assert main(["add", str(fish), "--date", "2030-02-30", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "date '2030-02-30' does not exist" in err and "give --date" in err and "documents.toml" not in err


BODY = ("1. The ministers of health met for two days of talks on the shortage of nurses in the region.\n\n"
        "2. They agreed to meet again next year in the same city to review what has been done.\n")


def test_a_title_broken_over_two_lines_is_read_whole_and_a_subtitle_is_no_place(tmp_path):
    path = tmp_path / "tallinn.txt"
    path.write_text("Tallinn Declaration on Resilient Health Systems in\nthe Baltic Sea Region\n\n"
                    "Sixth Ministerial Meeting\nTallinn, 4 May 2026\n\n" + BODY, encoding="utf-8")
    proposed = propose(path, path.read_bytes())
    assert proposed["title"] == "Tallinn Declaration on Resilient Health Systems in the Baltic Sea Region"
    assert (proposed["place"], proposed["date"], proposed["id"]) == ("Tallinn", "2026-05-04", "tallinn-2026")


def test_a_news_agency_s_dateline_and_a_byline_mark_a_news_report(tmp_path):
    path = tmp_path / "wire.txt"
    path.write_text("Baltic health ministers warn of nursing gap\n\nBy Marta Ozola\n\n"
                    "RIGA, Oct 3 (Baltic Wire) - Health ministers from eight countries warned on Sunday that the "
                    "region could be short of nearly 35,000 nurses by 2030.\n\n"
                    "Ministers adopted a workforce strategy running to 2035 that aims to train more nurses.\n",
                    encoding="utf-8")
    proposed = propose(path, path.read_bytes())
    assert proposed["title"] == "Baltic health ministers warn of nursing gap"  # not run on into the byline
    assert (proposed["place"], proposed["source_type"], proposed["date"]) == ("Riga", "news", "")  # no year given
    plain = tmp_path / "plain.txt"
    plain.write_text("Joint Statement of the Health Ministers\n\nTallinn, 4 May 2026\n\n" + BODY, encoding="utf-8")
    assert propose(plain, plain.read_bytes())["source_type"] == "official"


@pytest.mark.parametrize("dateline, place", [
    ("Tromsø, Norway, 8 June 2022", "Tromsø"),
    ("Marrakech, Kingdom of Morocco, 11 May 2022", "Marrakech"),
    ("Anchorage, Alaska, October 2, 2025", "Anchorage"),
])
def test_a_dateline_naming_the_country_after_the_place_gives_the_place(tmp_path, dateline, place):
    path = tmp_path / "statement.txt"
    path.write_text("Joint Statement of the Health Ministers of the Region\n\n" + dateline + "\n\n" + BODY,
                    encoding="utf-8")
    proposed = propose(path, path.read_bytes())
    assert proposed["place"] == place and proposed["date"][:4] == dateline[-4:]


def test_a_news_agency_s_dateline_naming_the_country_gives_the_place(tmp_path):
    path = tmp_path / "wire.md"
    path.write_text("# Health ministers warn of nursing gap\n\n*By Marta Ozola*\n\n"
                    "TARTU, Estonia, March 12 (Baltic Wire) - Health ministers from eight countries warned on "
                    "Thursday that the region could be short of nurses.\n\nThey adopted a workforce strategy.\n",
                    encoding="utf-8")
    proposed = propose(path, path.read_bytes())
    assert (proposed["place"], proposed["source_type"]) == ("Tartu", "news")


@pytest.mark.parametrize("head, title", [
    ("TALLINN DECLARATION\nof the Baltic Council of Health Ministers\n",
     "Tallinn Declaration of the Baltic Council of Health Ministers"),
    ("# Chair's Summary\n\n## Meeting of the Health Ministers of the Baltic Council\n",
     "Chair's Summary: Meeting of the Health Ministers of the Baltic Council"),
])
def test_a_short_heading_the_title_line_carries_on_from_is_part_of_the_title(tmp_path, head, title):
    path = tmp_path / "tallinn.md"
    path.write_text(head + "\nTallinn, 4 May 2026\n\n" + BODY, encoding="utf-8")
    assert propose(path, path.read_bytes())["title"] == title


def test_a_short_line_above_a_title_that_stands_on_its_own_is_left_out(tmp_path):
    path = tmp_path / "tallinn.txt"
    path.write_text("Press Office\nJoint Statement of the Health Ministers of the Region\n\nTallinn, 4 May 2026\n\n"
                    + BODY, encoding="utf-8")
    assert propose(path, path.read_bytes())["title"] == "Joint Statement of the Health Ministers of the Region"


def test_an_id_made_from_a_file_name_with_the_year_does_not_repeat_it(tmp_path):
    assert proposed_id(tmp_path / "council-communique-2022.pdf", "", "2022-05-11", None) == "council-communique-2022"
    assert proposed_id(tmp_path / "council-communique.pdf", "", "2022-05-11", None) == "council-communique-2022"


def test_the_issuer_proposed_is_the_statements_not_a_news_agency_s(harbours, fish):
    from qa.corpus import load_collection

    meta = harbours / "documents.toml"
    statements = load_collection(harbours)
    issuer = statements.documents[0].issuer
    (harbours / "wire.txt").write_text("Ports ministers meet\n\nBy Ana Lee\n\nLISBON (Port Wire) - Ministers met.\n\n"
                                       "They agreed to meet again next year to review the pumps.\n", encoding="utf-8")
    meta.write_text(meta.read_text(encoding="utf-8") + '\n[[documents]]\nid = "wire"\nfile = "wire.txt"\n'
                    'title = "Ports ministers meet"\nissuer = "Port Wire"\nplace = "Lisbon"\ndate = "2031-01-01"\n'
                    'source_type = "news"\n', encoding="utf-8")
    assert propose(fish, fish.read_bytes(), load_collection(harbours))["issuer"] == issuer


def test_a_dry_run_missing_fields_shows_the_paragraphs_then_asks_for_them(harbours, tmp_path, capsys):
    source = tmp_path / "note.txt"
    source.write_text("1. The Council will meet again in the spring to review the new lamps and their power.\n\n"
                      "2. Members agreed to share the costs of the lamps between the ports equally.\n", encoding="utf-8")
    assert main(["add", str(source), "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "  2. Members agreed to share the costs" in captured.out
    assert "does not say its title, place, date; give --title ... --place ... --date ..." in captured.err


def test_a_place_given_in_another_spelling_keeps_the_text_s_as_an_alias_and_warns_of_nothing(harbours, fish, capsys):
    assert main(["add", str(fish), "--place", "Thorshavn", "--no-build"]) == 0
    captured = capsys.readouterr()
    entry = tomllib.loads((harbours / "documents.toml").read_text(encoding="utf-8"))["documents"][-1]
    assert (entry["place"], entry["place_aliases"]) == ("Thorshavn", ["Tórshavn"])
    assert "does not appear in the text" not in captured.err and "the text's spelling" in captured.out


def test_a_file_already_in_the_collection_is_refused_before_any_field_is_asked_for(harbours, tmp_path, capsys):
    source = tmp_path / "note.txt"
    source.write_text("The Council will meet again in the spring to review the new lamps and their power.\n",
                      encoding="utf-8")
    shutil.copyfile(source, harbours / "note.txt")
    meta = harbours / "documents.toml"
    meta.write_text(meta.read_text(encoding="utf-8") + '\n[[documents]]\nid = "note"\nfile = "note.txt"\n'
                    'title = "Note"\nissuer = "Council"\nplace = "Malta"\ndate = "2031-01-01"\n'
                    'source_type = "official"\n', encoding="utf-8")
    copy = tmp_path / "again.txt"
    copy.write_bytes(source.read_bytes())
    assert main(["add", str(copy), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "already in the collection as 'note'" in err and "does not say" not in err


def test_the_first_statement_of_a_new_collection_makes_its_folder(tmp_path, monkeypatch, fish, capsys):
    corpus = tmp_path / "new" / "corpus"
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    assert main(["add", str(fish), "--issuer", "Ministers of the Council", "--no-build"]) == 0
    assert (corpus / "fish.txt").read_bytes() == fish.read_bytes()
    assert tomllib.loads((corpus / "documents.toml").read_text(encoding="utf-8"))["documents"][0]["id"] == "torshavn-2030"


def test_a_document_whose_text_is_mostly_in_no_paragraph_is_warned_of(harbours, tmp_path, capsys):
    source = tmp_path / "table.txt"
    rows = "\n\n".join(f"Harbour {n}\n\nPumps {n}\n\nFunded" for n in range(40))  # a table as loose lines
    source.write_text("Statement of the Harbour Forum\n\nValletta, 3 March 2031\n\n1. The Ministers agreed to share "
                      "the cost of the pumps listed below between all the member ports of the region.\n\n"
                      + rows + "\n", encoding="utf-8")
    assert main(["add", str(source), "--issuer", "Forum", "--dry-run"]) == 0
    assert "of the text's words are in its paragraphs" in capsys.readouterr().err
    (tmp_path / "plain.txt").write_text(FISH, encoding="utf-8")
    assert main(["add", str(tmp_path / "plain.txt"), "--dry-run"]) == 0
    assert "of the text's words are in its paragraphs" not in capsys.readouterr().err


def test_a_collection_folder_that_is_a_file_is_named_and_nothing_is_written(tmp_path, monkeypatch, fish, capsys):
    corpus = tmp_path / "corpus"
    corpus.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    assert main(["add", str(fish), "--issuer", "Ministers of the Council", "--no-build"]) == 1
    err = capsys.readouterr().err
    assert "is a file, not a collection folder" in err and "Traceback" not in err
    assert corpus.read_text(encoding="utf-8") == "not a folder"
