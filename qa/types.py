"""The records that cross stage boundaries, all frozen: a stage returns new ones, never edits one.

    corpus -> Paragraph -> chunk -> Passage -> build -> index folder
    question -> intent -> Query -> retrieve -> Candidates -> fuse -> Scores -> rank -> Ranking
             -> abstain -> Verdict -> highlight -> Hit -> Answer
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from qa.errors import QueryError


# Content ids (paragraphs', passages'): the first 16 hex digits of a sha256. Where millions are
# sorted and searched, they are 64-bit numbers: quicker than strings, in an eighth of the memory.
CONTENT_ID = re.compile(r"[0-9a-f]{16}")


def content_keys(ids) -> tuple[np.ndarray, np.ndarray]:
    """Some ids as 64-bit numbers, and which of them are content ids (the others' numbers are 0)."""
    ids = list(ids)
    valid = np.array([isinstance(i, str) and CONTENT_ID.fullmatch(i) is not None for i in ids], dtype=bool)
    return np.array([int(i, 16) if ok else 0 for i, ok in zip(ids, valid)], dtype=np.uint64), valid


def joined_content_keys(joined: str) -> np.ndarray | None:
    """Content ids written one after another (16 characters each) as 64-bit numbers, or None when
    they are not all content ids."""
    if len(joined) % 16 or joined != joined.lower():
        return None
    try:
        return np.frombuffer(bytes.fromhex(joined), dtype=">u8").astype(np.uint64)
    except ValueError:  # a character that is not a hex digit
        return None


@dataclass(frozen=True, slots=True)  # slots: a large collection holds millions of these
class Paragraph:
    """One citable paragraph of a document.

    Attributes:
        id: content hash of document id, number and text; stable across rebuilds.
        doc_id: the document's id from the metadata file.
        number: the statement's own paragraph number, or its position (1..n) where it numbers none.
        text: the clean paragraph text.
        start: offset of its first character in the decoded source file.
        end: offset one past its last character.
    """

    id: str
    doc_id: str
    number: int
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Passage:
    """A span of one paragraph that is embedded and scored.

    Attributes:
        id: content hash of paragraph id, kind, start and text.
        paragraph_id, doc_id, number: the paragraph it belongs to and is cited as.
        kind: ``piece`` (the paragraph, or a run of its sentences) or ``sentence``.
        text: the passage text.
        start, end: the passage's offsets inside the paragraph's text.
    """

    id: str
    paragraph_id: str
    doc_id: str
    number: int
    kind: str
    text: str
    start: int
    end: int


# ISO 8601 calendar dates at day, month or year precision: a news report may give only "March 2017".
ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_span(iso: str) -> tuple[dt.date, dt.date]:
    """First and last day an ISO date at day, month or year precision can mean ("2019" is the whole year).

    Raises:
        ValueError: for text that is not such a date, or a day that does not exist.
    """
    match = ISO_DATE.fullmatch(iso)
    if not match:
        raise ValueError(f"{iso!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (int(g) if g else 0 for g in match.groups())
    if day:
        return dt.date(year, month, day), dt.date(year, month, day)
    if month:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


@dataclass(frozen=True)
class Filters:
    """Which paragraphs a search may return; stores apply them inside the search.

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

    @property
    def empty(self) -> bool:
        """True when the filters admit everything."""
        return not (self.doc_ids or self.since or self.until or self.source_types)

    @staticmethod
    def parse_date(value: str | dt.date | None, name: str, end: bool = False) -> dt.date | None:
        """A date from YYYY-MM-DD, YYYY-MM or YYYY text (as the metadata allows), with a message naming
        the option when it is not one.

        Args:
            end: a bare year or month means its last day (for ``until``), else its first.
        """
        if isinstance(value, dt.datetime):
            return value.date()
        if value is None or value == "" or isinstance(value, dt.date):
            return value or None
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        try:
            first, last = date_span(text)
            return last if end else first
        except ValueError:
            raise QueryError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD, YYYY-MM or YYYY, "
                             f"e.g. 2019-02-06") from None

    def admits(self, doc_id: str, source_type: str, first: dt.date, last: dt.date) -> bool:
        """Whether a paragraph of a document with this id, kind and date range may be returned."""
        if self.doc_ids and doc_id not in self.doc_ids:
            return False
        if self.source_types and source_type not in self.source_types:
            return False
        if self.since and last < self.since:
            return False
        if self.until and first > self.until:
            return False
        return True


@dataclass(frozen=True)
class Query:
    """A question as the stages use it, made once by ``qa.intent``.

    Attributes:
        text: the question, whitespace normalised.
        dense_text: what is embedded (the question without words that only name a document).
        topic_text: ``dense_text`` without an opening that only frames it ("What did the ministers
            say about"; the language's ``framing_clause``), embedded by the first model when
            further models are there (``Engine._search``); empty when it has none, or nothing
            would be left.
        terms: BM25 words searched for (aliases canonical, lay words' terms added, framing words out).
        phrases: adjacent word pairs searched for in the phrase view.
        cue_doc_ids: documents the question names ("in the Rome communiqué", "in 2019").
        names_documents: it names them as documents, by a place or year before or after a document
            noun ("the Zürich statement", "the communiqué of 2032"), not by a year or place that
            may be its topic ("what happened in Mosul in 2017?").
        asks_of_cues: it is judged on the documents it names: named as documents, or by their place
            ("what was said in Rome about Sirte?"); not by a year alone, which may be a figure's
            ("a shortage of 31,400 nurses by 2030").
        asks_for_news: the question names a news report.
        cue_years: years that name ``cue_doc_ids`` when the question does not name them as documents:
            a year alone may be its topic's ("the share of rail in 2029", reported by the 2030
            statement), so paragraphs that mention it are lifted with those documents'.
        across_documents: the question asks what several documents say.
        topic_words: the words naming its topic, in the question's own spelling.
        lay_terms: the statements' terms for its lay words (empty: none known).
        corrections: (typed, searched) words where a misspelling was corrected (see ``qa.spell``).
        undated_years: years the question names a document by ("the 2020 statement") that no
            document of the collection is dated.
        unlisted_names: capitalised words the question names a document by ("the Marrakesh
            communiqué") that no document's metadata holds.
        month_dates: months of a year the question names ("May 2018"), as (words, "YYYY-MM").
        related: (typed, found) where a topic word no paragraph uses was searched beside the
            collection's nearest word in meaning ("web", "internet"; see ``qa.related``); ``terms``
            then holds the found word's terms too.
        paragraph_number: the number of the paragraph the question asks for ("Rome 2021, para 7":
            7; the language's ``paragraph_number``), 0 for none. The reference is not searched for.
        quoted: words the question puts in double quotes ("\"security vacuums\""): paragraphs
            that write them as they stand come first, as in a search engine.
        language: the code of the language the question reads as when that is not the
            collection's ("fr"; ``qa.language``): it is then searched by meaning alone, and only
            ``text`` and ``dense_text`` (the question as typed) are set. Empty otherwise.
    """

    text: str
    dense_text: str
    terms: tuple[str, ...]
    phrases: tuple[str, ...]
    cue_doc_ids: frozenset[str] = frozenset()
    names_documents: bool = False
    asks_of_cues: bool = False
    asks_for_news: bool = False
    cue_years: tuple[str, ...] = ()
    across_documents: bool = False
    topic_words: tuple[str, ...] = ()
    lay_terms: tuple[str, ...] = ()
    topic_text: str = ""
    corrections: tuple[tuple[str, str], ...] = ()
    searched: str = ""  # the question as searched: misspellings corrected (empty: as typed)
    undated_years: tuple[str, ...] = ()
    unlisted_names: tuple[str, ...] = ()
    month_dates: tuple[tuple[str, str], ...] = ()
    related: tuple[tuple[str, str], ...] = ()
    language: str = ""
    paragraph_number: int = 0
    quoted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Matches:
    """What one view of a store found: ids (passage or paragraph ids) and scores, best first."""

    ids: tuple[str, ...]
    scores: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.ids, (float(s) for s in self.scores)))


@dataclass(frozen=True)
class Candidates:
    """The paragraphs any view found for a query, with each view's score for each.

    Arrays are aligned with ``ids`` (collection order). ``passages`` holds the dense score of every
    passage the dense view returned, for choosing highlights.
    """

    ids: tuple[str, ...]
    dense: np.ndarray  # mix of best sentence and best piece
    best: np.ndarray  # best single passage: what abstention reads
    lexical: np.ndarray
    phrase: np.ndarray
    passages: dict[str, float]
    lexical_bound: float = 0.0  # the BM25 score a paragraph matching every query word would approach
    view_best: tuple[np.ndarray, ...] = ()  # best passage similarity per further model, where there are several
    lexical_unknown: float = 0.0  # the weight the word view gives the question's words no paragraph has
    # For a question whose words' BM25 weight is all but all in one word (``QuerySettings.main_word_share``;
    # a question of one word, "vacuums", or one beside framing the collection writes everywhere,
    # "What did the Coalition say about hawala?"): that word's share of the weight for each paragraph
    # holding it, 0 for the others. None for other questions.
    main_word: np.ndarray | None = None


@dataclass(frozen=True)
class Ranking:
    """Paragraph ids in answer order, each with the score it is ordered by (non-increasing)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True)
class Verdict:
    """Whether the collection answers a question, how sure, and why not."""

    answerable: bool
    confidence: float  # calibrated: answered at 0.5 and above (see ``abstain.judge_calibrated``)
    notes: tuple[str, ...] = ()
    probability: float | None = None  # calibrated: the lower of the fitted models' probabilities


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
    # The statement prints this number (False: it prints none, and paragraphs are counted from its start).
    numbered: bool = True
    url: str = ""  # where the statement was published, when the metadata says
    page: int | None = None  # the printed page the paragraph starts on (a PDF's; None for other files)

    @classmethod
    def of(cls, rank: int, doc, para: Paragraph, score: float, spans: list[tuple[int, int]]) -> "Hit":
        spans = sorted(spans)
        parts = []
        for i, (a, b) in enumerate(spans):
            if i and a > spans[i - 1][1] + 1:
                parts.append("…")
            parts.append(para.text[a:b])
        return cls(rank, doc.id, doc.title, doc.place, doc.date, doc.source_type, para.number, para.text,
                   " ".join(parts), round(float(score), 6), doc.citation(para.number), para.id, tuple(spans),
                   bool(getattr(doc, "numbered", True)), getattr(doc, "url", "") or "",
                   doc.page_at(para.start) if hasattr(doc, "page_at") else None)

    def to_json(self) -> dict:
        """The public JSON shape of a hit (as ``python -m qa ask --json`` prints it)."""
        row = asdict(self)
        row.pop("paragraph_id")
        if self.page is None:  # only a PDF's hits have pages
            row.pop("page")
        row["highlight_spans"] = [list(s) for s in self.highlight_spans]
        return row


NO_DOCUMENT_NOTE = "no document matches the filters"  # an Answer's note when the filters admit no document


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
    searched: str = ""  # the question as searched, where misspellings were corrected; else empty
    signals: dict = field(default_factory=dict, compare=False)  # what abstention read (qa.abstain.signals)
    # Documents a comparing question names that never mention its topic (another named one does):
    # their paragraphs have nothing to compare ("How it changed" leaves them out).
    silent: tuple[str, ...] = ()

    def to_json(self) -> dict:
        row = {"question": self.question, "answerable": self.answerable, "confidence": round(self.confidence, 4),
               "hits": [h.to_json() for h in self.hits]}
        if self.searched:
            row["searched"] = self.searched
        if self.notes:
            row["notes"] = list(self.notes)
        return row
