"""The evidence basket as a memo: quotes with their citations, in the order the analyst chose,
as Markdown or as a Word document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.types import Hit


@dataclass(frozen=True)
class Quote:
    """One kept paragraph: its answering sentences, its citation, and where it was published."""

    key: str  # "rome-2021#7": one paragraph is kept once
    quote: str
    citation: str
    url: str = ""

    @classmethod
    def of(cls, hit: Hit) -> "Quote":
        return cls(f"{hit.doc_id}#{hit.paragraph}", " ".join((hit.highlight or hit.text).split()), hit.citation,
                   hit.url)


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
            cite.add_run(f" {q.url}").italic = True
    document.save(str(path))
    return path
