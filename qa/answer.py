"""Results: typed hits with citations and highlighted sentences, and the answer around them."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from qa.corpus import Document, Paragraph
from qa.errors import QueryError


@dataclass(frozen=True)
class Filters:
    """Which paragraphs a search may return.

    Attributes:
        doc_ids: only these documents (empty: all).
        since, until: only documents dated within this range (inclusive); a document dated to a
            month or year matches when any day of it falls in the range.
        source_types: only these kinds (``official``, ``news``; empty: all).
    """

    doc_ids: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    source_types: tuple[str, ...] = ()

    def __post_init__(self):
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"the date range is empty: since {self.since} is after until {self.until}; swap them")

    @staticmethod
    def parse_date(value: str | dt.date | None, name: str) -> dt.date | None:
        """A date from YYYY-MM-DD text, with a message naming the option when it is not one."""
        if value is None or value == "" or isinstance(value, dt.date):
            return value or None
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise QueryError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2019-02-06") from None

    def admits(self, doc: Document) -> bool:
        if self.doc_ids and doc.id not in self.doc_ids:
            return False
        if self.source_types and doc.source_type not in self.source_types:
            return False
        first, last = doc.date_range
        if self.since and last < self.since:
            return False
        if self.until and first > self.until:
            return False
        return True


@dataclass(frozen=True)
class Hit:
    """One cited paragraph in an answer."""

    rank: int
    doc_id: str
    title: str
    place: str
    date: str
    source_type: str
    paragraph: int
    text: str
    highlight: str
    score: float
    citation: str
    paragraph_id: str = ""
    highlight_spans: tuple[tuple[int, int], ...] = ()  # offsets of the highlighted sentences in text

    @classmethod
    def of(cls, rank: int, doc: Document, para: Paragraph, score: float, spans: list[tuple[int, int]]) -> "Hit":
        spans = sorted(spans)
        parts = []
        for i, (a, b) in enumerate(spans):
            if i and a > spans[i - 1][1] + 1:
                parts.append("…")
            parts.append(para.text[a:b])
        return cls(rank, doc.id, doc.title, doc.place, doc.date, doc.source_type, para.number, para.text,
                   " ".join(parts), round(float(score), 6), doc.citation(para.number), para.id, tuple(spans))

    def to_json(self) -> dict:
        """The public JSON shape of a hit (as ``python -m qa ask --json`` prints it)."""
        row = asdict(self)
        row.pop("paragraph_id")
        row["highlight_spans"] = [list(s) for s in self.highlight_spans]
        return row


@dataclass(frozen=True)
class Answer:
    """What a search returns: the ranked hits, and whether they answer the question.

    When ``answerable`` is False, ``hits`` holds the closest paragraphs for reference only:
    nothing in the collection answers the question.
    """

    question: str
    answerable: bool
    hits: tuple[Hit, ...]
    confidence: float = 0.0  # mean dense similarity of the best paragraphs: what abstention decides on
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        row = {"question": self.question, "answerable": self.answerable, "hits": [h.to_json() for h in self.hits]}
        if self.notes:
            row["notes"] = list(self.notes)
        return row
