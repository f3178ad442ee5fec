"""Statements as users have them: saved web pages, PDFs and Word files come out as clean numbered
paragraphs with the right citations. Every document here is synthetic, written for these tests and
made at test time (no binary fixtures in the repository)."""

import io
from pathlib import Path

import pytest

from qa.convert import to_text
from qa.corpus import load_collection
from qa.errors import CorpusError
from qa.types import Hit

TITLE = "Statement of the Lighthouse Keepers' Forum"
PARAGRAPHS = [
    "The members of the Forum met in Valletta to review the safety of coastal lights after a winter of storms, "
    "and agreed that every light on an exposed headland should have a second source of power before the next "
    "season begins.",
    "Members asked each keeper to log every failure of a lamp and to send the log to the Forum each quarter, so "
    "that weak designs are found early.",
    "The Forum thanked the harbour pilots of Marsaxlokk for their reports and will meet again in the spring to "
    "hear how the new lamps have fared.",
]
CAPTION = "Keepers inspect a lamp at the Delimara light (Forum photo by J. Borg)"


def metadata(file):
    return (f'[[documents]]\nid = "valletta-2031"\nfile = "{file}"\ntitle = "{TITLE}"\nissuer = "Lighthouse Keepers\' '
            f'Forum"\nplace = "Valletta"\ndate = "2031-03-03"\nsource_type = "official"\n')


def html_page() -> bytes:
    body = "".join(f"<p>{i}. {text}</p>" + (f"<figure><img src='lamp.jpg'><figcaption>{CAPTION}</figcaption></figure>"
                                            if i == 1 else "") for i, text in enumerate(PARAGRAPHS, start=1))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{TITLE} | Forum</title></head><body>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About the Forum</a></li></ul></nav>
<main><article><h1>{TITLE}</h1><p class="dateline">Valletta, 3 March 2031</p>{body}
<div class="share">Share this page: Facebook Twitter Email</div></article></main>
<footer><p>Copyright 2031 Lighthouse Keepers' Forum. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>""".encode("utf-8")


def pdf_file() -> bytes:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("helvetica", size=11)
    first, rest = PARAGRAPHS[0].split(" before the next ")

    def page_number(n):
        pdf.set_y(-15)
        pdf.cell(0, 10, f"Page {n} of 2", align="C")
        pdf.set_y(20)

    pdf.add_page()
    pdf.set_y(20)
    for line in (TITLE, "Valletta, 3 March 2031"):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, f"1. {first}", new_x="LMARGIN", new_y="NEXT")  # the page breaks mid-sentence
    page_number(1)
    pdf.add_page()
    page_number(2)
    pdf.multi_cell(0, 6, f"before the next {rest}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, CAPTION, new_x="LMARGIN", new_y="NEXT")
    for i, text in enumerate(PARAGRAPHS[1:], start=2):
        pdf.ln(6)
        pdf.multi_cell(0, 6, f"{i}. {text}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def docx_file() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.add_heading(TITLE, level=1)
    document.add_paragraph("Valletta, 3 March 2031")
    for i, text in enumerate(PARAGRAPHS, start=1):
        document.add_paragraph(f"{i}. {text}")
        if i == 1:
            document.add_paragraph(CAPTION)
    document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name, make", [("valletta.html", html_page), ("valletta.pdf", pdf_file),
                                        ("valletta.docx", docx_file)])
def test_a_statement_in_any_format_comes_out_as_its_numbered_paragraphs(make_corpus, name, make):
    data = make()
    folder = make_corpus({name: data}, metadata(name))
    doc = load_collection(folder).documents[0]
    assert [p.number for p in doc.paragraphs] == [1, 2, 3]
    assert [p.text for p in doc.paragraphs] == PARAGRAPHS  # the page break rejoined, no caption, no furniture
    # A PDF's citation also gives the page the paragraph starts on (paragraph 1 runs over onto page 2).
    page = "p. 2, " if name.endswith(".pdf") else ""
    assert doc.citation(2) == f"{TITLE}, Valletta, 3 March 2031, {page}para 2"
    assert doc.citation(1).endswith("p. 1, para 1" if page else "2031, para 1")
    # The page as a number too, for scripts: an answer's hit and the corpus listing carry it.
    assert [doc.page(n) for n in (1, 2, 3)] == ([1, 2, 2] if page else [None, None, None])
    hit = Hit.of(1, doc, doc.paragraphs[1], 0.5, [(0, 10)]).to_json()
    assert hit.get("page") == (2 if page else None) and ("page" in hit) == bool(page)
    assert (folder / name).read_bytes() == data  # the original stays as it was
    source = doc.source_text()  # spans point into the converted text the source view shows
    assert all(source[p.start:p.end].startswith(f"{p.number}. ") for p in doc.paragraphs)
    assert doc.dated_in_text


def test_a_web_page_loses_its_navigation_banner_and_footer():
    text = to_text(__import__("pathlib").Path("p.html"), html_page())
    for furniture in ("cookies", "Home", "About the Forum", "Share this page", "All rights reserved", "photo by"):
        assert furniture not in text, furniture
    assert text.startswith(TITLE)


@pytest.mark.parametrize("name, data, message", [
    ("a.pdf", b"%PDF-1.4 not really a pdf", r"a\.pdf could not be read as a PDF"),
    ("a.docx", b"PK not really a zip", r"a\.docx could not be read as a Word"),
    ("a.html", b"<html><body><nav>Home</nav></body></html>", r"a\.html has no main text"),
])
def test_a_damaged_file_gets_one_clear_error(name, data, message):
    with pytest.raises(CorpusError, match=message):
        to_text(__import__("pathlib").Path(name), data)


def test_a_pdfs_running_heads_and_feet_stay_out_of_the_paragraphs():
    from qa.clean import parse
    from qa.convert import pdf_text

    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("helvetica", size=11)
    head, foot = "Lighthouse Keepers Forum - Ministerial Statement", "Distribution: all members"
    body = [["1. The Forum reviewed the state of every lighthouse on the northern coast and found that",
             "most of them need new lenses"],
            ["before the winter storms arrive, which the members agreed to fund together.",
             "2. Members will share the cost of training new keepers in the coming year."],
            ["3. The next meeting will be held in Valletta in the spring."]]
    for n, lines in enumerate(body, start=1):
        pdf.add_page()
        pdf.set_y(10)
        pdf.cell(0, 8, head, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        for line in lines:
            pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-20)
        pdf.cell(0, 8, f"{foot} - page {n}")
    text = pdf_text(Path("forum.pdf"), bytes(pdf.output()))
    assert head not in text and foot not in text
    blocks = parse(text).blocks
    assert [b.number for b in blocks] == [1, 2, 3]
    assert blocks[0].text.endswith("need new lenses before the winter storms arrive, which the members agreed to fund "
                                   "together.")


def test_word_list_numbers_are_the_statements_own_paragraph_numbers():
    import docx

    from qa.clean import parse
    from qa.convert import docx_text

    document = docx.Document()
    document.add_heading("Lighthouse Keepers Forum", level=1)
    document.add_paragraph("The Ministers of the Forum met today in Valletta and issued this statement.")
    document.add_paragraph("The Forum reviewed every lighthouse on the northern coast.", style="List Number")
    document.add_paragraph("Members will share the cost of training new keepers next year.", style="List Number")
    document.add_paragraph("A bulleted note on the budget, which the members approved.", style="List Bullet")
    document.add_paragraph("The next meeting will be held in Valletta in the spring.", style="List Number")
    out = io.BytesIO()
    document.save(out)
    blocks = parse(docx_text(Path("forum.docx"), out.getvalue())).blocks
    # Word shows 1, 2, 3 before the list paragraphs, though their text holds no number: the
    # citations give those, not counts shifted by the unnumbered introduction.
    assert [(b.number, b.text.split(".")[0]) for b in blocks] == [
        (1, "The Forum reviewed every lighthouse on the northern coast"),
        (2, "Members will share the cost of training new keepers next year"),
        (3, "The next meeting will be held in Valletta in the spring"),
    ]
    assert "bulleted note" in blocks[1].text  # a bullet is no numbered paragraph


def test_a_web_pages_ordered_list_keeps_the_numbers_a_browser_shows():
    from qa.clean import parse
    from qa.convert import html_text

    page = """<html><head><meta charset="windows-1252"><title>Forum statement</title></head><body><main><article>
    <h1>Forum statement</h1>
    <p>The Ministers of the Forum met today in Valletta and issued the following statement.</p>
    <ol><li>The Forum reviewed every lighthouse on the northern coast and agreed on repairs.</li>
    <li>Members will share the cost of training new keepers next year, as agreed.</li></ol>
    <p>They also discussed the weather at some length during the afternoon session.</p>
    <ol start="3"><li><p>The next meeting will be held in Valletta in the spring of next year.</p></li></ol>
    <ul><li>A bulleted note on the budget, which the members approved without debate.</li></ul>
    </article></main></body></html>""".encode("cp1252")
    blocks = parse(html_text(Path("forum.html"), page)).blocks
    assert [b.number for b in blocks] == [1, 2, 3]  # "start" continues the numbering as a browser does
    assert blocks[2].text.count("The next meeting") == 1  # a list item's paragraph is not read twice


def test_a_bulleted_list_after_a_colon_is_part_of_the_paragraph_in_web_pages_and_word_files():
    import docx

    from qa.clean import parse
    from qa.convert import docx_text, html_text

    intro = "The Ministers of the Forum agreed on the following steps for the coming winter:"
    items = ["to repair the lamps on every exposed headland;", "to train twelve new keepers before March."]
    after = "They also discussed the weather at some length during the afternoon session."
    page = (f"<html><head><title>Forum statement</title></head><body><main><article><h1>Forum statement</h1>"
            f"<p>{intro}</p><ul>{''.join(f'<li>{i}</li>' for i in items)}</ul><p>{after}</p>"
            f"</article></main></body></html>").encode()
    document = docx.Document()
    document.add_heading("Forum statement", level=1)
    document.add_paragraph(intro)
    for item in items:
        document.add_paragraph(item, style="List Bullet")
    document.add_paragraph(after)
    out = io.BytesIO()
    document.save(out)
    for text in (html_text(Path("forum.html"), page), docx_text(Path("forum.docx"), out.getvalue())):
        assert [b.text for b in parse(text).blocks] == ["\n".join([intro, *items]), after]


def test_a_word_paragraph_whose_numbering_is_switched_off_is_no_list_item():
    import docx

    from qa.convert import docx_text

    document = docx.Document()
    document.add_paragraph("The Ministers of the Forum agreed on the following steps for the coming winter:")
    plain = document.add_paragraph("They also discussed the weather at some length during the afternoon session.")
    plain._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 0  # numbering removed by hand
    out = io.BytesIO()
    document.save(out)
    assert "• They also" not in docx_text(Path("forum.docx"), out.getvalue())


INTRO = "The Ministers of the Forum agreed on three steps for the coming winter:"
STEPS = ["repairing the lamps on every exposed headland;", "training twelve new keepers before March; and",
         "sharing the cost of both among the members."]
AFTER = "They also discussed the weather at some length during the afternoon session."


def test_a_numbered_list_a_paragraph_introduces_is_that_paragraphs_not_the_statements_numbering():
    from qa.clean import parse
    from qa.convert import html_text

    opening = "The Ministers of the Forum met in Valletta on 3 March 2031 to review the lighthouses."
    markdown = (f"# Forum statement\n\n{opening}\n\n{INTRO}\n\n"
                + "\n".join(f"{n}. {s}" for n, s in enumerate(STEPS, start=1)) + f"\n\n{AFTER}\n")
    page = (f"<html><head><title>Forum statement</title></head><body><main><article><h1>Forum statement</h1>"
            f"<p>{opening}</p><p>{INTRO}</p><ol>{''.join(f'<li>{s}</li>' for s in STEPS)}</ol><p>{AFTER}</p>"
            f"</article></main></body></html>").encode()
    from_page = parse(html_text(Path("forum.html"), page)).blocks
    from_markdown = parse(markdown).blocks
    assert [b.number for b in from_markdown] == [None, None, None]
    assert [b.text for b in from_markdown] == [
        opening, "\n".join([INTRO] + [f"{n}. {s}" for n, s in enumerate(STEPS, start=1)]), AFTER]
    assert [b.number for b in from_page] == [None, None, None]
    assert [b.text.split("\n")[0] for b in from_page] == [opening, INTRO, AFTER] and STEPS[1] in from_page[1].text
    # Numbered paragraphs that are whole sentences stay the statement's own, even after a colon
    numbered = "The Ministers agreed as follows:\n\n1. The Forum will repair the lamps.\n\n2. Members will pay.\n"
    assert [b.number for b in parse(numbered).blocks] == [1, 2]


def test_a_footnote_mark_after_a_sentence_neither_drops_nor_joins_its_paragraph():
    from qa.clean import parse
    from qa.convert import html_text

    paragraphs = ["The Ministers of the Forum met in Valletta to review the state of the lighthouses.",
                  "They agreed to repair every lamp on the northern coast before the winter.",
                  "Members will share the cost of training new keepers next year."]
    text = f"{paragraphs[0]}\n\n{paragraphs[1]}3\n\n{paragraphs[2]}¹\n"
    assert [b.text.rstrip("3¹") for b in parse(text).blocks] == paragraphs
    page = ("<html><head><title>Forum statement</title></head><body><main><article><h1>Forum statement</h1>"
            + "".join(f"<p>{p}<sup>{n}</sup></p>" for n, p in enumerate(paragraphs, start=1))
            + "</article></main></body></html>").encode()
    assert [b.text for b in parse(html_text(Path("forum.html"), page)).blocks] == paragraphs


def test_a_web_pages_nested_list_items_come_once_each():
    from qa.clean import parse
    from qa.convert import html_text

    page = (f"<html><head><title>Forum statement</title></head><body><main><article><h1>Forum statement</h1>"
            f"<p>{INTRO}</p><ul><li>the lamps, including:<ul><li>those on headlands;</li><li>those on piers;</li>"
            f"</ul></li><li>the keepers' training.</li></ul><p>{AFTER}</p></article></main></body></html>").encode()
    blocks = parse(html_text(Path("forum.html"), page)).blocks
    assert blocks[0].text == "\n".join([INTRO, "the lamps, including:", "those on headlands;", "those on piers;",
                                        "the keepers' training."])


def test_words_broken_at_lines_ends_keep_a_compounds_hyphen():
    from qa.clean import parse

    text = ("The Ministers welcomed the Iraqi-\nled process and a self-\nsufficient Iraq, and the ISIS-\n"
            "Sahel group, and called for stabili-\nzation in every Iraqi province.\n")
    assert parse(text).blocks[0].text == ("The Ministers welcomed the Iraqi-led process and a self-sufficient Iraq, "
                                          "and the ISIS-Sahel group, and called for stabilization in every Iraqi "
                                          "province.")


def test_a_text_copied_from_a_pdf_loses_its_page_heads_and_numbers_at_form_feeds(tmp_path):
    from qa.clean import parse
    from qa.convert import to_text_with_pages

    head = "Joint Statement of the Forum - Valletta, 3 March 2031"
    first = ("1. The Ministers of the Forum met in Valletta to review the state of every lighthouse on the\n"
             "northern coast, and agreed that the lamps of the most exposed headlands must be well-\n")
    second = "funded before the winter.\n\n2. Members will share the cost of training new keepers next year.\n"
    path = tmp_path / "forum.txt"
    path.write_text(f"{head}\n\n{first}\n                 Page 1 of 2\n\f{head}\n\n{second}\n       Page 2 of 2\n",
                    encoding="utf-8")
    text, pages = to_text_with_pages(path, path.read_bytes())
    blocks = parse(text).blocks
    assert [b.number for b in blocks] == [1, 2] and len(pages) == 1
    assert "well-funded before the winter." in blocks[0].text and "Page" not in text and head not in blocks[0].text


def test_a_pdfs_footnotes_at_a_pages_foot_stay_out_of_its_paragraphs_and_so_do_their_marks():
    fpdf = pytest.importorskip("fpdf")
    from qa.clean import parse
    from qa.convert import pdf_text

    pdf = fpdf.FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.set_y(20)
    pdf.multi_cell(0, 6, "Valletta, 3 March 2031", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, "1. The Ministers of the Forum met in Valletta, and thirty-one members took part.1",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(0, 6, "2. They agreed to repair the lamps of every headland before the winter.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-40)
    pdf.set_font("helvetica", size=8)
    pdf.multi_cell(0, 4, "1A list of the members present is available from the secretariat.",
                   new_x="LMARGIN", new_y="NEXT")
    blocks = parse(pdf_text(Path("forum.pdf"), bytes(pdf.output()))).blocks
    assert [b.text for b in blocks] == [
        "The Ministers of the Forum met in Valletta, and thirty-one members took part.",
        "They agreed to repair the lamps of every headland before the winter."]


def test_a_pdf_in_two_columns_is_read_one_column_after_the_other():
    fpdf = pytest.importorskip("fpdf")
    from qa.clean import parse
    from qa.convert import pdf_text

    paragraphs = [
        "The Ministers of the Forum met in Valletta to review the state of every lighthouse on the northern coast.",
        "They agreed that the lamps of the most exposed headlands must be repaired before the winter storms.",
        "Members will share the cost of training twelve new keepers, who will start their work next spring.",
        "The next meeting of the Forum will be held in Valletta in the spring, at the invitation of Malta.",
    ]
    pdf = fpdf.FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.set_y(20)
    pdf.cell(0, 6, "Chair's Summary of the Forum, Valletta, 3 March 2031", align="C", new_x="LMARGIN", new_y="NEXT")
    for column, x in ((paragraphs[:2], 10), (paragraphs[2:], 110)):
        pdf.set_y(40)
        for n, text in enumerate(column, start=1 if x == 10 else 3):
            pdf.set_x(x)
            pdf.multi_cell(60, 5, f"{n}. {text}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(5)
    blocks = parse(pdf_text(Path("forum.pdf"), bytes(pdf.output()))).blocks
    assert [(b.number, b.text) for b in blocks] == list(enumerate(paragraphs, start=1))


def test_a_tables_rows_are_read_into_the_paragraph_before_it_in_web_pages_and_word_files():
    import docx

    from qa.clean import parse
    from qa.convert import docx_text, html_text

    intro = "The Ministers of the Forum welcomed the pledges for new lamps, which are listed in the table below."
    rows = [("Member", "Lamps", "Headland"), ("Malta", "12", "Dingli"), ("Gozo", "4", "Ta' Ċenċ")]
    after = "They also discussed the weather at some length during the afternoon session."
    page = (f"<html><head><title>Forum statement</title></head><body><main><article><h1>Forum statement</h1>"
            f"<p>{intro}</p><table>{''.join('<tr>' + ''.join(f'<td>{c}</td>' for c in r) + '</tr>' for r in rows)}"
            f"</table><p>{after}</p></article></main></body></html>").encode()
    document = docx.Document()
    document.add_paragraph(intro)
    table = document.add_table(rows=len(rows), cols=3)
    for row, cells in zip(table.rows, rows):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_paragraph(after)
    out = io.BytesIO()
    document.save(out)
    expected = ["\n".join([intro] + [" | ".join(r) for r in rows]), after]
    for text in (html_text(Path("forum.html"), page), docx_text(Path("forum.docx"), out.getvalue())):
        assert [b.text for b in parse(text).blocks] == expected
    numbered = parse("1. The Ministers agreed to fund the lamps below:\n\n• Malta | 12\n• Gozo | 4\n\n"
                     "2. They will meet again in the spring.\n").blocks
    assert [(b.number, b.text) for b in numbered] == [(1, "The Ministers agreed to fund the lamps below:\nMalta | 12\n"
                                                          "Gozo | 4"), (2, "They will meet again in the spring.")]


def test_a_pdf_tables_short_cells_are_not_taken_for_two_columns():
    fpdf = pytest.importorskip("fpdf")
    from qa.convert import pdf_text

    pdf = fpdf.FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(0, 5, "1. The Ministers welcomed the pledges for new lamps listed below.", new_x="LMARGIN",
                   new_y="NEXT")
    for member, lamps in (("Malta", "12"), ("Gozo", "4"), ("Comino", "2"), ("Sicily", "9"), ("Sardinia", "7"),
                          ("Corsica", "3")):
        pdf.cell(60, 5, member)
        pdf.cell(60, 5, lamps, new_x="LMARGIN", new_y="NEXT")
    text = pdf_text(Path("forum.pdf"), bytes(pdf.output()))
    assert [" ".join(line.split()) for line in text.splitlines() if "Gozo" in line or "Malta" in line] == ["Malta 12",
                                                                                                       "Gozo 4"]
