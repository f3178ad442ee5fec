"""Source files to text: what a statement says, from the file a user has (text, web page, PDF, Word).

The original file stays in the corpus byte for byte; it is converted here each time it is read, and
paragraph spans and the source view index into the converted text. The text this makes is what
``qa.clean`` reads: a title line, a dateline where the file has one, then the statement's blocks
separated by blank lines.

- ``.txt``, ``.md`` and anything else: text, UTF-8 expected; UTF-16/32 (by byte-order mark) and
  other encodings detected with charset-normalizer, with a clear error when none fits.
- ``.html``/``.htm``: the main text by trafilatura (navigation, share bars, cookie banners,
  comments and image captions dropped), one block per paragraph, the page's title first.
- ``.pdf``: pypdf in layout mode, so the blank space between paragraphs survives as blank lines;
  page breaks become blank lines that ``qa.clean`` rejoins when a sentence runs across them.
- ``.docx``: python-docx, one block per Word paragraph (tables' cells too), in document order.
"""

from __future__ import annotations

import codecs
import io
import re
from collections import Counter
from pathlib import Path

from qa.clean import reads_as_list
from qa.errors import CorpusError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
SUFFIXES = (".txt", ".md", *HTML_SUFFIXES, ".pdf", ".docx")

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def to_text(path: Path, data: bytes) -> str:
    """The text of a source file, by its suffix (see ``to_text_with_pages``)."""
    return to_text_with_pages(path, data)[0]


def to_text_with_pages(path: Path, data: bytes) -> tuple[str, tuple[int, ...]]:
    """The text of a source file, by its suffix, and where each printed page starts in it (for a
    PDF: offsets of pages 2, 3, ...; empty for other files).

    Raises:
        CorpusError: naming the file and what to do, when it is empty, damaged or unreadable.
    """
    if not data.strip():
        raise CorpusError(f"{path} is empty; put the statement's text in it, or leave the file out of the collection")
    suffix = path.suffix.lower()
    pages: tuple[int, ...] = ()
    if suffix in HTML_SUFFIXES:
        text = html_text(path, data)
    elif suffix == ".pdf":
        text, pages = pdf_pages(path, data)
    elif suffix == ".docx":
        text = docx_text(path, data)
    else:
        text = decode(path, data)
        if "\f" in text.strip("\f\n "):  # pages of a PDF's text ("pdftotext")
            text, pages = _paged_text([[line.strip() for line in page.splitlines()]
                                       for page in text.split("\f") if page.strip()])
    if not text.strip():
        fix = ("if it is a scan, save a copy with its text (OCR) or as a text file" if suffix == ".pdf" else
               "check that it holds the statement's text, or save the statement as a text file")
        raise CorpusError(f"{path} has no text that could be read; {fix}")
    return text, pages


def decode(path: Path, data: bytes) -> str:
    """Bytes of a text file as text: UTF-8, a byte-order-marked UTF-16/32, or a detected encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding and best.chaos < 0.2:
        return str(best)
    if b"\x00" in data:
        raise CorpusError(f"{path} looks binary (it contains NUL bytes) and no text encoding fits it; save the "
                          f"statement as a text, HTML, PDF or Word file")
    line = data[:first_bad].count(b"\n") + 1
    raise CorpusError(f"{path} is not UTF-8 (byte 0x{data[first_bad]:02x} on line {line}) and its encoding could not "
                      f"be detected; re-save it as UTF-8 text")


def _blocks(title: str, blocks: list[str]) -> str:
    lines = [title.strip()] if title and title.strip() else []
    lines += [b.strip() for b in blocks if b and b.strip()]
    return "\n\n".join(lines) + "\n"


def html_text(path: Path, data: bytes) -> str:
    """The main text of a saved web page, a block per paragraph, its title first."""
    import trafilatura

    try:
        tree = trafilatura.extract(_numbered_lists(data), output_format="xml", include_comments=False, include_tables=True,
                                   include_images=False, include_links=False, include_formatting=False,
                                   favor_precision=True, with_metadata=True, deduplicate=False)
    except Exception as exc:  # the extractor raises many kinds on broken markup
        raise CorpusError(f"{path} could not be read as a web page ({type(exc).__name__}); save it again from the "
                          f"browser, or as a text file") from None
    if not tree:
        raise CorpusError(f"{path} has no main text that could be found; save the page again, or copy its text "
                          f"into a .txt file")
    from lxml import etree

    root = etree.fromstring(tree.encode("utf-8"))
    title = root.get("title") or ""
    date = root.get("date") or ""
    blocks = []
    for element in root.iter("p", "head", "item", "quote", "row"):
        holders = ("quote", "cell") if element.tag == "item" else ("quote", "item", "cell")
        if element.tag != "row" and any(a.tag in holders for a in element.iterancestors()):
            continue  # the quote's, list item's or table cell's own text holds it
        if element.tag == "row":
            row = table_row("".join(_own_text(cell)) for cell in element.iterchildren("cell"))
            if row and not any(a.tag == "row" for a in element.iterancestors()):
                blocks.append(row)
            continue
        text = " ".join("".join(_own_text(element)).split())
        if text and element.tag == "item" and not re.match(r"\d{1,3}\. ", text):
            text = f"• {text}"  # a bulleted item, marked as such: a paragraph ending in a colon takes its list
        if text:
            blocks.append(text)
    if not blocks:
        raise CorpusError(f"{path} has no main text that could be found; save the page again, or copy its text "
                          f"into a .txt file")
    header = title + (f"\n{date}" if date and not any(date in b for b in blocks[:3]) else "")
    if blocks and title and blocks[0].strip().lower() == title.strip().lower():
        header = header.replace(title, "", 1).strip()
        header = f"{blocks.pop(0)}\n{header}" if header else blocks.pop(0)
    return _blocks(header, blocks)


_FOOTNOTE_MARK = re.compile(r"\[?\d{1,3}\]?|[*†‡§]{1,3}|\[?[a-z]\]?")


def table_row(cells) -> str:
    """A table's row as one line of its cells' words, a bullet before it and "|" between them
    ("• Sinjar | Netherlands | Under way"): the paragraph before the table takes its rows
    (``qa.clean``), so that its figures can be searched and are cited with that paragraph."""
    texts = [" ".join(str(cell).split()) for cell in cells]
    return f"• {' | '.join(texts)}" if sum(bool(t) for t in texts) >= 2 else ""


def _unique(cells) -> list:
    """A Word row's cells, a merged cell once (python-docx gives it for each column it spans)."""
    out = []
    for cell in cells:
        if not out or cell._tc is not out[-1]._tc:
            out.append(cell)
    return out


def _own_text(element) -> list[str]:
    """An element's text pieces without the lists inside it: a list item's sub-items are items of
    their own (read whole, they came twice, run together: "camps;support")."""
    out = [element.text or ""]
    for child in element:
        out.extend(_own_text(child) if child.tag != "list" else [" "])
        out.append(child.tail or "")
    return out


def _numbered_lists(data: bytes) -> bytes | str:
    """The page with the numbers a browser shows before the items of its top-level ordered lists
    ("4. " for the fourth, or from ``start`` / ``value``) written into the items' text: a statement
    published as an ``<ol>`` of paragraphs keeps its own paragraph numbers, which the extractor would
    drop. Lettered or roman lists and lists inside lists are left as they are."""
    from lxml import etree, html as lxml_html

    try:
        page = lxml_html.fromstring(data)
    except (etree.ParserError, ValueError):
        return data
    changed = False
    for sup in list(page.iter("sup")):  # a footnote's mark ("2024.<sup>4</sup>"): not a word of the text
        if _FOOTNOTE_MARK.fullmatch((sup.text_content() or "").strip()):
            sup.drop_tree()
            changed = True
    for ol in page.iter("ol"):
        if (ol.get("type") or "1") != "1" or any(a.tag in ("ol", "ul", "li") for a in ol.iterancestors()):
            continue
        before = ol.getprevious()
        if (before is not None and " ".join(before.text_content().split()).endswith(":")
                and reads_as_list([" ".join(li.text_content().split()) for li in ol.iterchildren("li")])):
            continue  # a list its paragraph introduces ("... for the year ahead:"), not numbered paragraphs
        n = int(ol.get("start")) if (ol.get("start") or "").isdigit() else 1
        for li in ol.iterchildren("li"):
            n = int(li.get("value")) if (li.get("value") or "").isdigit() else n
            li.text = f"{n}. {(li.text or '').lstrip()}"
            n += 1
            changed = True
    return lxml_html.tostring(page, encoding="unicode") if changed else data


def pdf_text(path: Path, data: bytes) -> str:
    """A PDF's text, page after page, with blank lines where the layout leaves space."""
    return pdf_pages(path, data)[0]


def pdf_pages(path: Path, data: bytes) -> tuple[str, tuple[int, ...]]:
    """``pdf_text`` and the offset in it where each page after the first starts."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise CorpusError(f"{path} is an encrypted PDF; save an unprotected copy")
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except CorpusError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path} could not be read as a PDF ({exc}); check that the file is whole") from None
    return _paged_text([[line.strip() for line in _in_columns(page).splitlines()] for page in pages])


# A page set in two columns: the rows that have text on both sides of one gutter at least this many,
# and half of them at least this many characters long on each side (a table's cells are shorter).
MIN_COLUMN_ROWS = 5
MIN_COLUMN_CHARS = 25


def _in_columns(page: str) -> str:
    """A page's layout text with two columns read one after the other, not row by row across
    both (which ran the columns' lines together into nonsense). The gutter is a column of spaces,
    three wide at least, that rows of text on both sides share and that no row between the first
    and the last of them crosses; lines above and below (a title across the page) stay as they are."""
    lines = page.splitlines()
    width = max((len(line) for line in lines), default=0)
    best: tuple[int, int, int, int] | None = None  # rows split, gutter column, first row, last row
    for gutter in range(20, width - 20):
        split = [i for i, line in enumerate(lines)
                 if line[:gutter - 2].strip() and line[gutter + 1:].strip() and not line[gutter - 2:gutter + 1].strip()]
        if len(split) < MIN_COLUMN_ROWS or (best and len(split) <= best[0]):
            continue
        first, last = split[0], split[-1]
        if any(line[gutter - 1:gutter].strip() for line in lines[first:last + 1]):
            continue  # a row crosses the gutter: one column of text
        lefts = sorted(len(lines[i][:gutter].strip()) for i in split)
        rights = sorted(len(lines[i][gutter:].strip()) for i in split)
        if min(lefts[len(lefts) // 2], rights[len(rights) // 2]) < MIN_COLUMN_CHARS:
            continue  # short cells side by side: a table's columns, read row by row
        best = (len(split), gutter, first, last)
    if best is None:
        return page
    _, gutter, first, last = best
    while last + 1 < len(lines) and not lines[last + 1][gutter - 1:gutter].strip() and lines[last + 1].strip():
        last += 1  # the right column's last lines, the left's done
    region = lines[first:last + 1]
    left = [line[:gutter].rstrip() for line in region]
    right = [line[gutter:].strip() for line in region]
    return "\n".join(lines[:first] + left + [""] + right + lines[last + 1:])


def _paged_text(paged: list[list[str]]) -> tuple[str, tuple[int, ...]]:
    """Pages' lines as one text without printed page numbers and running heads and feet, and the
    offset in it where each page after the first starts."""
    out, starts, offset = [], [], 0
    running = _running_lines(paged)
    for lines in paged:
        lines = [line for line in lines if not re.fullmatch(r"(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?", line,
                                                                re.IGNORECASE)]  # printed page numbers
        edges = set(_edge_rows(lines))
        lines = _without_footnotes([line for i, line in enumerate(lines) if not (i in edges and _shape(line) in running)])
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(" ".join(line.split()) for line in lines)).strip()
        if out:
            offset += 2  # the blank line between pages
            starts.append(offset)
        out.append(text)
        offset += len(text)
    return "\n\n".join(out) + "\n", tuple(starts)


RUNNING_EDGE = 2  # lines at the top and at the foot of a page where running heads and feet stand

# A footnote at a page's foot: its number, then its text ("1A list of ...", "² See the report").
_FOOTNOTE = re.compile(r"(\d{1,2}|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,2})\s?(?=[^\W\d_(“\"'])")
_FROM_SUPERSCRIPT = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
_TO_SUPERSCRIPT = str.maketrans("1234567890", "¹²³⁴⁵⁶⁷⁸⁹⁰")


def _without_footnotes(lines: list[str]) -> list[str]:
    """A page's lines without the footnotes at its foot, and without their marks in its text.

    A footnote is a block at the foot whose lines each start a note by its number or carry one
    on, where the text above marks that number after a word ("took part.1", "worldwide.²"): a
    numbered paragraph at a page's foot is marked nowhere, so it stays."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    notes: list[str] = []
    cut = end
    while cut:
        start = cut
        while start and lines[start - 1].strip():
            start -= 1  # the block of lines above ``cut``
        block = [line.strip() for line in lines[start:cut]]
        numbers = [m.group(1).translate(_FROM_SUPERSCRIPT) if (m := _FOOTNOTE.match(line)) else None for line in block]
        body = " ".join(lines[:start])
        if (not block or numbers[0] is None
                or not all(n is None or re.search(rf"[^\W\d_][.,;:!?)”\"']?(?:{n}|{_superscript(n)})(?!\d)", body)
                           for n in numbers)):
            break
        notes += [n for n in numbers if n]
        cut = start
        while cut and not lines[cut - 1].strip():
            cut -= 1
    if not notes:
        return lines
    marks = "|".join(sorted({re.escape(n) for n in notes} | {re.escape(_superscript(n)) for n in notes}, key=len,
                            reverse=True))
    return [re.sub(rf"(?<=[^\W\d_])(?=[.,;:!?)”\"']?(?:{marks})(?!\d))([.,;:!?)”\"']?)(?:{marks})(?!\d)", r"\1", line)
            for line in lines[:cut]]


def _superscript(number: str) -> str:
    return number.translate(_TO_SUPERSCRIPT)


def _shape(line: str) -> str:
    """A line as running heads repeat it: case, spacing and numbers aside ("Page 2", "28 June")."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def _edge_rows(lines: list[str]) -> list[int]:
    """Positions of a page's first and last ``RUNNING_EDGE`` lines that hold text."""
    rows = [i for i, line in enumerate(lines) if line]
    return rows[:RUNNING_EDGE] + rows[-RUNNING_EDGE:]


def _running_lines(pages: list[list[str]]) -> set[str]:
    """The shapes of lines a PDF repeats at the top or foot of at least half its pages (two at
    least): running heads and feet ("Joint Statement - Ministerial Meeting", "Restricted"), which
    would otherwise land inside the paragraph that runs across the page break."""
    if len(pages) < 2:
        return set()
    seen: Counter = Counter()
    for lines in pages:
        seen.update({_shape(lines[i]) for i in _edge_rows(lines)})
    need = max(2, (len(pages) + 1) // 2)
    return {shape for shape, n in seen.items() if n >= need and shape.strip("# ")}


def docx_text(path: Path, data: bytes) -> str:
    """A Word document's paragraphs (and table cells), a block each, in document order."""
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorpusError(f"{path} could not be read as a Word (.docx) file ({exc}); save it again as .docx") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks = []
    number = _word_list_numbers(document)
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            n = number(item) if item.text.strip() else None
            if n is not None:
                blocks.append(f"{n}. {item.text}")
            elif item.text.strip() and _is_list_item(item):
                blocks.append(f"• {item.text}")  # a paragraph ending in a colon takes its list (qa.clean)
            else:
                blocks.append(item.text)
        elif isinstance(item, Table):
            blocks.append("\n".join(filter(None, (table_row(cell.text for cell in _unique(row.cells))
                                                   for row in item.rows))))
    title = document.core_properties.title or ""
    if blocks and title and blocks[0].strip() == title.strip():
        title = ""
    return _blocks(title, blocks)


def _is_list_item(paragraph) -> bool:
    """Whether a Word paragraph is an item of a list (bulleted, lettered or a sub-level item): its
    own numbering (not switched off with id 0), or a bullet or number list style."""
    p_pr = paragraph._p.pPr
    num_id = p_pr.numPr.numId if p_pr is not None and p_pr.numPr is not None else None
    if num_id is not None:
        return num_id.val != 0
    return paragraph.style is not None and (paragraph.style.name or "").startswith(("List Bullet", "List Number"))


def _word_list_numbers(document):
    """Word's automatic paragraph numbers, which are not in a paragraph's text: a function giving
    the number Word shows before a paragraph ("7." for the seventh item of a numbered list at its
    top level), or None for other paragraphs (bullets, lettered and sub-level items, plain text).
    The statement's own numbers then reach the citations, instead of counts that an unnumbered
    introduction would shift by one."""
    try:
        numbering = document.part.numbering_part.element
    except (NotImplementedError, KeyError, AttributeError):  # no numbering part: nothing is numbered
        return lambda paragraph: None
    counters: dict[str, int] = {}
    formats: dict[str, tuple[str, str, int]] = {}

    def list_format(num_id: str) -> tuple[str, str, int]:
        """(list, format, first number) of a numbering's top level; a list continues across numberings
        that share its abstract definition unless one restarts it."""
        if num_id not in formats:
            abstract = numbering.xpath(f'w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
            lvl = f'w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="0"]' if abstract else None
            fmt = numbering.xpath(f"{lvl}/w:numFmt/@w:val") if lvl else []
            start = numbering.xpath(f"{lvl}/w:start/@w:val") if lvl else []
            restart = numbering.xpath(f'w:num[@w:numId="{num_id}"]/w:lvlOverride[@w:ilvl="0"]/w:startOverride/@w:val')
            key = f"num{num_id}" if restart else f"abstract{abstract[0] if abstract else num_id}"
            first = int((restart or start or ["1"])[0])
            formats[num_id] = (key, fmt[0] if fmt else "", first)
        return formats[num_id]

    def num_pr(paragraph):
        ppr = paragraph._p.pPr
        if ppr is not None and ppr.numPr is not None:
            return ppr.numPr
        style = paragraph.style
        while style is not None:  # a list style (or one it is based on) may carry the numbering
            ppr = style.element.pPr
            if ppr is not None and ppr.numPr is not None:
                return ppr.numPr
            style = style.base_style
        return None

    def number(paragraph) -> int | None:
        try:
            if (paragraph.style.name or "").lower().startswith(("heading", "title")):
                return None  # a numbered heading is a section's title, not a paragraph
            pr = num_pr(paragraph)
            if pr is None or pr.numId is None or pr.numId.val in (0, "0"):
                return None
            if pr.ilvl is not None and int(pr.ilvl.val) != 0:
                return None
            key, fmt, first = list_format(str(pr.numId.val))
        except (AttributeError, ValueError, IndexError, KeyError):
            return None
        if fmt != "decimal":
            return None
        counters[key] = counters.get(key, first - 1) + 1
        return counters[key]

    return number
