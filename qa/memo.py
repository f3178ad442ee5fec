"""The evidence basket as a memo: quotes with their citations, in the order the analyst chose,
as Markdown or as a Word document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.errors import CorpusError, QueryError
from qa.types import Hit

MAX_ITEMS = 500  # quotes in one memo


@dataclass(frozen=True)
class Quote:
    """One kept paragraph: its answering sentences, its citation, and where it was published."""

    key: str  # "<doc id>#<paragraph number>": one paragraph is kept once
    quote: str
    citation: str
    url: str = ""

    @classmethod
    def of(cls, hit: Hit) -> "Quote":
        return cls(f"{hit.doc_id}#{hit.paragraph}", " ".join((hit.highlight or hit.text).split()), hit.citation,
                   hit.url)


def quotes_of(collection, items) -> list[Quote]:
    """The quotes a client asks for, checked against the collection: each item is "doc-id#para"
    (the whole paragraph) or {"doc_id", "paragraph", "quote"} as an answer's hit gives them, the
    quote optional and verbatim (its parts, where "…" marks words left out). The citation and address always come from the collection.

    Raises:
        QueryError: naming the item that is not one of these, names no paragraph, or quotes words
            the paragraph does not hold.
    """
    first = collection.documents[0]  # the examples in messages name a real paragraph
    number = first.paragraphs[0].number
    key, pair = f"{first.id}#{number}", f'{{"doc_id": "{first.id}", "paragraph": {number}}}'
    if not isinstance(items, (list, tuple)) or not items:
        raise QueryError(f"the basket is {type(items).__name__ if items else 'empty'}; give a list of items such as "
                         f'["{key}"] or hits of an answer ({pair})')
    if len(items) > MAX_ITEMS:
        raise QueryError(f"the basket has {len(items)} items; keep it to {MAX_ITEMS}")
    quotes = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, str):
            doc_id, _, number = item.partition("#")
            quoted = None
        elif isinstance(item, dict):
            doc_id, number, quoted = item.get("doc_id"), item.get("paragraph"), item.get("quote", item.get("highlight"))
        else:
            doc_id = number = quoted = None
        if not isinstance(doc_id, str) or not str(number).isdigit():
            raise QueryError(f"basket item {n} ({str(item)[:80]!r}) names no paragraph; write it as \"{key}\" or {pair}")
        try:
            doc = collection.document(doc_id)
        except CorpusError as exc:
            raise QueryError(f"basket item {n}: {exc}") from None
        para = next((p for p in doc.paragraphs if p.number == int(number)), None)
        if para is None:
            raise QueryError(f"basket item {n}: {doc_id} has no paragraph {number} (it has 1 to {len(doc.paragraphs)})")
        text = " ".join(para.text.split())
        quote = text if quoted in (None, "") else " ".join(str(quoted).split())
        # An answer's highlight joins sentences that are apart in the paragraph with " … ".
        if not all(part.strip() in text for part in quote.split("…")):
            raise QueryError(f"basket item {n}: the quote is not in {doc_id} paragraph {number}; quotes are verbatim, so "
                             f"copy them from the paragraph (or leave the quote out to keep the whole paragraph)")
        quotes.append(Quote(f"{doc_id}#{para.number}", quote, doc.citation(para.number), doc.url))
    return quotes


def markdown(quotes: list[Quote], title: str = "Evidence") -> str:
    """The quotes as Markdown block quotes, each with its citation (and address) under it."""
    lines = [f"## {title}", ""]
    for q in quotes:
        source = f" ({q.url})" if q.url else ""
        lines += [f"> {q.quote}", ">", f"> — {q.citation}{source}", ""]
    return "\n".join(lines)


def write_docx(quotes: list[Quote], path: Path, title: str = "Evidence") -> Path:
    """The quotes as a Word document: a heading, then each quote with its citation and address."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    document.add_heading(title, level=1)
    for q in quotes:
        quote = document.add_paragraph(q.quote, style="Quote")
        quote.paragraph_format.space_after = Pt(2)
        cite = document.add_paragraph(f"— {q.citation}")
        if q.url:
            cite.add_run(" ")
            _link(cite, q.url)
    document.save(str(path))
    return path


def _link(paragraph, url: str) -> None:
    """The address as a link Word opens (python-docx reads links but has no call to write one):
    an external relationship to the address, and a run inside a w:hyperlink pointing at it."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import RGBColor

    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
    run = paragraph.add_run(url)
    run.italic, run.underline = True, True
    run.font.color.rgb = RGBColor(0x1D, 0x4F, 0x8F)
    link.append(run._r)  # moves the run from the paragraph into the link
    paragraph._p.append(link)
