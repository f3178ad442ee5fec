"""Load the collection: metadata from ``documents.toml`` plus each file's paragraphs, as frozen records."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import hashlib
import json
import os
import re
import tomllib
import uuid
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from qa import clean
from qa.convert import to_text, to_text_with_pages
from qa.errors import CorpusError
from qa.filehash import FileHashes
from qa.types import ISO_DATE, Paragraph, content_keys, date_span, joined_content_keys

# A cached parse is reused only by the same parser: its key holds this digest of the modules that
# turn a file into paragraphs (qa/convert.py, qa/clean.py, this one).
_PARSER: list[str] = []


def _parser_digest() -> str:
    if not _PARSER:
        from qa import clean as clean_module, convert

        digest = hashlib.sha256()
        for source in (convert.__file__, clean_module.__file__, __file__):
            digest.update(Path(source).read_bytes())
        _PARSER.append(digest.hexdigest())
    return _PARSER[0]


METADATA_FILE = "documents.toml"
VOCABULARY_FILE = "vocabulary.toml"  # the collection's words (qa/profile.py), not a document
ID_CHARS = 16  # hex digits of a paragraph id (paragraph_id)
# A cached parse's paragraphs, beside its header <key>.json: a first line listing each
# paragraph's length in bytes, then one JSON line per paragraph, so one can be read alone.
PARAGRAPHS_SUFFIX = ".paragraphs.jsonl"
HASHES_FILE = "hashes.json"  # the source files' digests, in the parse cache (qa.filehash)
SOURCE_TYPES = ("official", "news")
REQUIRED_FIELDS = ("id", "file", "title", "issuer", "place", "date", "source_type")
OPTIONAL_FIELDS = ("url", "place_aliases")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
DATE_PATTERN = ISO_DATE
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
# "February 6, 2019" or "6 February 2019", as datelines are written.
TEXT_DATE_PATTERN = re.compile(
    r"\b(?:(?P<m1>[A-Z][a-z]+)\.? (?P<d1>\d{1,2}),? (?P<y1>\d{4})|(?P<d2>\d{1,2}) (?P<m2>[A-Z][a-z]+),? (?P<y2>\d{4}))\b"
)


class Paragraphs(Sequence):
    """A document's paragraphs as a read-only sequence, read from the parse cache when used:
    loading a collection of millions of paragraphs reads each file's small header only (its
    paragraphs' ids); a search reads the few paragraphs it shows or checks, one at a time
    (``read_one``), and only going through a document (``iter``, a slice) reads it whole and keeps
    it. Equal to the tuple of the same paragraphs."""

    def __init__(self, ids: str, read: Callable[[], tuple[Paragraph, ...]],
                 read_one: Callable[[int], Paragraph | None] | None = None):
        self.ids = ids  # every paragraph's id, ID_CHARS each, one after another
        self._read, self._read_one, self._items, self._lock = read, read_one, None, threading.Lock()

    def _all(self) -> tuple[Paragraph, ...]:
        if self._items is None:
            with self._lock:
                if self._items is None:
                    self._items = self._read()
        return self._items

    def forget(self) -> None:
        """Let the paragraphs read go (they are read again when next used): a build goes through
        millions of paragraphs once, a document at a time, and need not keep them."""
        with self._lock:
            self._items = None

    def __getitem__(self, i):
        if self._items is None and self._read_one is not None and isinstance(i, int):
            at = range(len(self))[i]  # IndexError as a tuple's
            one = self._read_one(at)
            if one is not None and one.id == self.ids[at * ID_CHARS:(at + 1) * ID_CHARS]:
                return one
        return self._all()[i]  # kept, or a body gone bad: read whole (parsed again if need be)

    def __len__(self) -> int:
        return len(self.ids) // ID_CHARS

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other) -> bool:
        return isinstance(other, (tuple, Paragraphs)) and self._all() == tuple(other)

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"Paragraphs({len(self)} paragraphs{'' if self._items is not None else ', not read yet'})"


def joined_ids(paragraphs: Sequence[Paragraph]) -> str:
    """The paragraphs' ids one after another (what the parse cache and the collection's directory hold)."""
    return paragraphs.ids if isinstance(paragraphs, Paragraphs) else "".join(p.id for p in paragraphs)


@dataclass(frozen=True)
class Document:
    """One statement or report, with its metadata and paragraphs."""

    id: str
    title: str
    issuer: str
    place: str
    date: str
    source_type: str
    url: str
    path: Path
    sha256: str
    numbered: bool
    dated_in_text: bool
    preamble: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    place_aliases: tuple[str, ...] = ()  # other spellings of the place ("Marrakech" for "Marrakesh")
    page_starts: tuple[int, ...] = ()  # a PDF's pages 2, 3, ... start at these offsets of its text

    @property
    def display_date(self) -> str:
        """The date as a memo writes it: "28 June 2021", "March 2017" or "2017"."""
        return display_date(self.date)

    @property
    def short_name(self) -> str:
        """The document as a note names it among others: "Rome 2021", "Washington 2017 (news report)"."""
        return f"{self.place} {self.date[:4]}{' (news report)' if self.source_type == 'news' else ''}"

    @property
    def date_range(self) -> tuple[dt.date, dt.date]:
        """First and last day the date can mean, for filtering a date given at month or year precision."""
        return date_span(self.date)

    def page(self, number: int) -> int | None:
        """The printed page a paragraph starts on (a PDF's), or None where the file has no pages."""
        if not self.page_starts:
            return None
        start = next((p.start for p in self.paragraphs if p.number == number), None)
        return None if start is None else self.page_at(start)

    def page_at(self, offset: int) -> int | None:
        """The printed page an offset of the text falls on (a PDF's), or None where the file has no pages."""
        return bisect.bisect_right(self.page_starts, offset) + 1 if self.page_starts else None

    def citation(self, number: int) -> str:
        """A citation ready to paste into a memo, e.g. "Joint Communiqué ..., Rome, 28 June 2021, para 7";
        for a PDF, with the page the paragraph starts on ("..., p. 3, para 7")."""
        kind = " (news report)" if self.source_type == "news" else ""
        page = self.page(number)
        page = f"p. {page}, " if page else ""
        return f"{self.title}{kind}, {self.place}, {self.display_date}, {page}para {number}"

    def source_text(self) -> str:
        """The document's source file as decoded text; paragraph spans index into it."""
        return to_text(self.path, self.path.read_bytes())


@dataclass(frozen=True)
class Collection:
    """Every document of the corpus, in metadata order."""

    documents: tuple[Document, ...]
    fingerprint: str
    warnings: tuple[str, ...] = field(default=())
    patterns: tuple[str, ...] = ()  # the metadata's boilerplate patterns, which reading a file applies
    about: str = ""  # what the collection holds, as a reader is told ([collection] description)
    examples: tuple[str, ...] = ()  # questions a reader may try first ([collection] examples)

    def document(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        known = ", ".join(d.id for d in self.documents)
        raise CorpusError(f"no document with id {doc_id!r}; the collection has: {known}")

    def documents_in(self, doc_ids) -> list[Document]:
        """The documents whose ids are among ``doc_ids``, in the collection's order."""
        return [doc for doc in self.documents if doc.id in doc_ids]

    def paragraphs(self) -> list[tuple[Document, Paragraph]]:
        return [(doc, para) for doc in self.documents for para in doc.paragraphs]

    def paragraph_groups(self, size: int):
        """Every (document, paragraph) in reading order, in lists of at most ``size`` (a
        document's paragraphs may span two), each document's paragraphs let go once gone
        through (``Paragraphs.forget``; a document read from its file rather than the parse
        cache keeps them): a large build holds one group's paragraphs at a time."""
        group: list[tuple[Document, Paragraph]] = []
        for doc in self.documents:
            for para in doc.paragraphs:
                group.append((doc, para))
                if len(group) >= size:
                    yield group
                    group = []
            if isinstance(doc.paragraphs, Paragraphs):
                doc.paragraphs.forget()
        if group:
            yield group

    @cached_property
    def _directory(self) -> "_Directory":
        return _Directory(self.documents)

    def paragraph(self, paragraph_id: str) -> tuple[Document, Paragraph]:
        """The document and paragraph of a paragraph id, reading only that document's paragraphs.

        Raises:
            KeyError: for an id no paragraph of the collection has.
        """
        doc, at = self._directory.find(paragraph_id)
        return self.documents[doc], self.documents[doc].paragraphs[at]

    def locate(self, paragraph_ids: Sequence[str]) -> tuple[list[Document], np.ndarray]:
        """The documents of many paragraph ids, and each one's place in reading order, in one
        look-up (a search's candidates); KeyError for an unknown id."""
        docs, positions = self._directory.find_many(paragraph_ids)
        return [self.documents[d] for d in docs.tolist()], positions

    def by_id(self) -> "Mapping[str, tuple[Document, Paragraph]]":
        """Every paragraph by id, as (document, paragraph), in reading order: a view, looked up
        through ``paragraph``, not a dictionary of them all."""
        return _ById(self)


class _ById(Mapping):
    def __init__(self, collection: Collection):
        self._collection = collection

    def __getitem__(self, paragraph_id: str) -> tuple[Document, Paragraph]:
        return self._collection.paragraph(paragraph_id)

    def __iter__(self):
        return (p.id for _, p in self._collection.paragraphs())

    def __len__(self) -> int:
        return self._collection._directory.starts[-1]


class _Directory:
    """Where each paragraph id is: ids as 64-bit numbers, sorted once, found by binary search (a
    million ids take a few megabytes and a tenth of a second, where a dictionary of them takes
    hundreds of megabytes). Ids that are not paragraph_id's hex digits fall back to a dictionary."""

    def __init__(self, documents: Sequence[Document]):
        joined = [joined_ids(d.paragraphs) for d in documents]
        counts = np.array([len(d.paragraphs) for d in documents], dtype=np.int64)  # a lazy document's from its ids
        self.starts = np.concatenate([[0], np.cumsum(counts)]).tolist()
        self._doc = np.repeat(np.arange(len(documents), dtype=np.int64), counts)
        self._dict: dict[str, int] | None = None
        keys = (joined_content_keys("".join(joined))
                if all(len(j) == ID_CHARS * c for j, c in zip(joined, counts)) else None)
        if keys is None:
            self._dict = {p.id: i for i, p in enumerate(p for d in documents for p in d.paragraphs)}
        else:
            self._order = np.argsort(keys, kind="stable")
            self._keys = keys[self._order]

    def find_many(self, paragraph_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(document index, place in reading order) of each id; KeyError for an unknown one."""
        ids = list(paragraph_ids)
        if self._dict is not None:
            rows = np.array([self._dict[i] for i in ids], dtype=np.int64)
        else:
            keys, valid = content_keys(ids)
            at = np.minimum(np.searchsorted(self._keys, keys), max(len(self._keys) - 1, 0))
            found = valid & (self._keys[at] == keys) if len(self._keys) else np.zeros(len(ids), dtype=bool)
            if not found.all():
                raise KeyError(ids[int(np.flatnonzero(~found)[0])])
            rows = self._order[at]
        return self._doc[rows], rows

    def find(self, paragraph_id: str) -> tuple[int, int]:
        """(document index, index among its paragraphs)."""
        docs, rows = self.find_many([paragraph_id])
        doc = int(docs[0])
        return doc, int(rows[0]) - self.starts[doc]


def display_date(iso: str) -> str:
    """An ISO date (day, month or year precision) as a memo writes it: "28 June 2021", "March 2017"."""
    year, month, day = _date_parts(iso)
    if day:
        return f"{day} {calendar.month_name[month]} {year}"
    if month:
        return f"{calendar.month_name[month]} {year}"
    return str(year)


def paragraph_id(doc_id: str, number: int, text: str) -> str:
    """Content id of a paragraph: the first 16 hex digits of sha256(doc id, number, text)."""
    return hashlib.sha256(f"{doc_id}\x1f{number}\x1f{text}".encode()).hexdigest()[:16]


def _date_parts(value: str) -> tuple[int, int, int]:
    match = DATE_PATTERN.fullmatch(value)
    if not match:
        raise CorpusError(f"date {value!r} is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY)")
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def _check_date(meta_path: Path, doc_id: str, value: object) -> str:
    hint = "write it as YYYY-MM-DD (or YYYY-MM, YYYY where the day is unknown), e.g. date = \"2021-06-28\""
    if isinstance(value, dt.date):
        value = value.isoformat()
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise CorpusError(f"{meta_path}: document {doc_id!r} has date {value!r}, which is not an ISO date; {hint}")
    year, month, day = (int(g or 1) for g in DATE_PATTERN.fullmatch(value).groups())
    try:
        dt.date(year, month, day)
    except ValueError as exc:
        raise CorpusError(f"{meta_path}: document {doc_id!r} has date {value!r}, which does not exist ({exc}); {hint}") from None
    return value


def text_dates(text: str) -> list[str]:
    """ISO dates written in a text, in order, such as a dateline's "February 6, 2019"."""
    found = []
    for m in TEXT_DATE_PATTERN.finditer(text):
        month = MONTHS.get((m.group("m1") or m.group("m2")).lower())
        if not month:
            continue
        try:
            day = dt.date(int(m.group("y1") or m.group("y2")), month, int(m.group("d1") or m.group("d2"))).isoformat()
        except ValueError:
            continue
        if day not in found:
            found.append(day)
    return found


def _entry(meta_path: Path, index: int, raw: object) -> dict[str, str]:
    where = f"{meta_path}: entry {index} of [[documents]]"
    if not isinstance(raw, dict):
        raise CorpusError(f"{where} is not a table; write each document as a [[documents]] table")
    doc_id = raw.get("id", f"#{index}")
    unknown = sorted(set(raw) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise CorpusError(
            f"{where} (id {doc_id!r}) has unknown field(s) {', '.join(unknown)}; "
            f"the fields are {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}"
        )
    missing = [k for k in REQUIRED_FIELDS if k not in raw or raw[k] in ("", None)]
    if missing:
        raise CorpusError(f"{where} (id {doc_id!r}) is missing {', '.join(missing)}; add them to the entry")
    aliases = raw.get("place_aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise CorpusError(f"{where} (id {doc_id!r}): place_aliases must be a list of names in quotes, "
                          f"e.g. place_aliases = [\"Marrakech\"]")
    for key in REQUIRED_FIELDS + OPTIONAL_FIELDS:
        if key in raw and key not in ("date", "place_aliases") and not isinstance(raw[key], str):
            raise CorpusError(f"{where} (id {doc_id!r}): {key} must be a string in quotes, not {raw[key]!r}")
    if not ID_PATTERN.fullmatch(raw["id"]):
        raise CorpusError(
            f"{where}: id {raw['id']!r} must be lower-case letters, digits, '.', '_' or '-', e.g. \"paris-2024\""
        )
    if raw["source_type"] not in SOURCE_TYPES:
        raise CorpusError(
            f"{where} (id {doc_id!r}): source_type {raw['source_type']!r} is not one of {', '.join(SOURCE_TYPES)}"
        )
    entry = {k: raw.get(k, "") for k in REQUIRED_FIELDS + OPTIONAL_FIELDS}
    entry["place_aliases"] = tuple(a.strip() for a in aliases)
    entry["date"] = _check_date(meta_path, raw["id"], raw["date"])
    return entry


def _about(meta_path: Path, meta: dict) -> tuple[str, tuple[str, ...]]:
    """The ``[collection]`` table: a description of what the collection holds and example questions."""
    table = meta.get("collection", {})
    if not isinstance(table, dict):
        raise CorpusError(f"{meta_path}: collection must be a table ([collection] with description and examples)")
    about, examples = table.get("description", ""), table.get("examples", [])
    if not isinstance(about, str):
        raise CorpusError(f"{meta_path}: [collection] description must be text in quotes, not {about!r}")
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise CorpusError(f"{meta_path}: [collection] examples must be a list of questions in quotes, "
                          f'e.g. examples = ["What did the 2022 statement say about ...?"]')
    return " ".join(about.split()), tuple(" ".join(e.split()) for e in examples)


def _read_metadata(meta_path: Path) -> tuple[list[dict[str, str]], tuple[str, ...], bytes, tuple[str, tuple[str, ...]]]:
    if not meta_path.is_file():
        raise CorpusError(
            f"{meta_path} not found; the corpus folder needs a {METADATA_FILE} with one [[documents]] entry per file"
        )
    data = meta_path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        raise CorpusError(f"{meta_path} is not UTF-8: byte 0x{data[exc.start]:02x} on line {line} (column "
                          f"{column}); re-save the file as UTF-8") from None
    try:
        meta = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{meta_path} is not valid TOML ({exc}); fix the line it names") from None
    raw_docs = meta.get("documents")
    if not isinstance(raw_docs, list) or not raw_docs:
        raise CorpusError(f"{meta_path} lists no documents; add a [[documents]] table for each file")
    patterns = meta.get("boilerplate", {}).get("patterns", []) if isinstance(meta.get("boilerplate"), dict) else []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise CorpusError(f"{meta_path}: boilerplate pattern {pattern!r} is not a valid regular expression ({exc})") from None
    about = _about(meta_path, meta)
    entries = [_entry(meta_path, i, raw) for i, raw in enumerate(raw_docs, start=1)]
    for key in ("id", "file"):
        seen: set[str] = set()
        for entry in entries:
            if entry[key] in seen:
                raise CorpusError(f"{meta_path}: {key} {entry[key]!r} appears in more than one entry; each must be unique")
            seen.add(entry[key])
    return entries, tuple(patterns), data, about


def _load_document(corpus_dir: Path, entry: dict[str, str], patterns: tuple[str, ...],
                   cache_dir: Path | None = None, used: set[str] | None = None,
                   hashes: FileHashes | None = None) -> tuple[Document, list[str]]:
    path = corpus_dir / entry["file"]
    if not path.is_file():
        raise CorpusError(
            f"{corpus_dir / METADATA_FILE}: document {entry['id']!r} points to {entry['file']!r}, "
            f"which is not in {corpus_dir}; copy the file there or fix its file field"
        )
    if cache_dir:
        sha256 = (hashes or FileHashes(None)).sha256(path)
        key = _parse_key(sha256, entry, patterns)
        cached = _read_parse(cache_dir, key, entry, path, sha256, patterns)
        if cached is not None:
            if used is not None:
                used.add(key)
            return cached
    data = path.read_bytes()
    doc, warnings = _parse_document(path, data, entry, patterns)
    if cache_dir:
        key = _parse_key(doc.sha256, entry, patterns)
        if used is not None:
            used.add(key)
        _write_parse(cache_dir, key, doc, warnings)
        # As a later load gets it: its paragraphs read again when used, so a first load of
        # millions of paragraphs does not keep them all (a build goes through them a document at
        # a time). Where the parse could not be kept, the parsed document itself.
        return _read_parse(cache_dir, key, entry, path, doc.sha256, patterns) or (doc, warnings)
    return doc, warnings


def _parse_key(sha256: str, entry: dict, patterns: tuple[str, ...]) -> str:
    """What a cached parse is filed under: the file's bytes, its metadata entry and the parser."""
    return hashlib.sha256(json.dumps([_parser_digest(), sha256, entry, patterns], sort_keys=True,
                                     default=list).encode()).hexdigest()[:32]


def _parse_document(path: Path, data: bytes, entry: dict, patterns: tuple[str, ...]) -> tuple[Document, list[str]]:
    """Turn a file's bytes into a document, with warnings where metadata and text seem to disagree."""
    sha256 = hashlib.sha256(data).hexdigest()
    text, page_starts = to_text_with_pages(path, data)
    parsed = clean.parse(text, patterns)
    if not parsed.blocks:
        raise CorpusError(
            f"{path} has no paragraphs of prose (document {entry['id']!r}); check that it holds the statement's text"
        )
    numbered = parsed.blocks[0].number is not None
    paragraphs = tuple(
        Paragraph(paragraph_id(entry["id"], n, b.text), entry["id"], n, b.text, b.start, b.end)
        for n, b in ((b.number if numbered else i, b) for i, b in enumerate(parsed.blocks, start=1))
    )
    warnings = []
    header_dates = set(text_dates(parsed.header))
    if "-" in entry["date"] and len(entry["date"]) == 10 and header_dates and entry["date"] not in header_dates:
        warnings.append(
            f"{path}: metadata date {entry['date']} is not among the dates in the text's header "
            f"({', '.join(sorted(header_dates))}); check the date field of {entry['id']!r}"
        )
    if not any(name.split(",")[0].lower() in text.lower() for name in (entry["place"], *entry.get("place_aliases", ()))):
        warnings.append(
            f"{path}: metadata place {entry['place']!r} does not appear in the text; check the place field of "
            f"{entry['id']!r}, or give the text's spelling as place_aliases = [\"...\"]"
        )
    return _document(entry, path, sha256, numbered, bool(header_dates), parsed.preamble, paragraphs, page_starts), warnings


def _document(entry: dict, path: Path, sha256: str, numbered: bool, dated_in_text: bool, preamble, paragraphs,
              page_starts) -> Document:
    return Document(id=entry["id"], title=entry["title"], issuer=entry["issuer"], place=entry["place"],
                    date=entry["date"], source_type=entry["source_type"], url=entry["url"],
                    place_aliases=entry["place_aliases"], path=path, sha256=sha256, numbered=numbered,
                    dated_in_text=dated_in_text, preamble=tuple(preamble), paragraphs=paragraphs,
                    page_starts=tuple(page_starts))


def _write_parse(cache_dir: Path, key: str, doc: Document, warnings: list[str]) -> None:
    """Keep what parsing a file made of it, so the next load of an unchanged file skips parsing: a
    small header (with the paragraphs' ids) and the paragraphs apart, read only when first used.
    Written atomically; a cache that cannot be written is only slower, never wrong."""
    ids = "".join(p.id for p in doc.paragraphs)
    if len(ids) != ID_CHARS * len(doc.paragraphs):
        return  # ids not made by paragraph_id: not kept
    header = {"numbered": doc.numbered, "dated_in_text": doc.dated_in_text, "preamble": list(doc.preamble),
              "page_starts": list(doc.page_starts), "warnings": warnings, "ids": ids}
    lines = [json.dumps([p.id, p.number, p.text, p.start, p.end], ensure_ascii=False).encode() + b"\n"
             for p in doc.paragraphs]
    body = json.dumps([len(line) for line in lines]).encode() + b"\n" + b"".join(lines)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for name, data in ((f"{key}{PARAGRAPHS_SUFFIX}", body),  # the header last
                           (f"{key}.json", json.dumps(header, ensure_ascii=False).encode())):
            tmp = cache_dir / f".{name}.{uuid.uuid4().hex[:8]}"
            tmp.write_bytes(data)
            os.replace(tmp, cache_dir / name)
    except OSError:
        pass


def _read_parse(cache_dir: Path, key: str, entry: dict, path: Path, sha256: str,
                patterns: tuple[str, ...]) -> tuple[Document, list[str]] | None:
    """A cached parse, its paragraphs left to be read when first used (``Paragraphs``); None when
    the header is missing or unreadable (the file is parsed again)."""
    try:
        record = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
        ids = record["ids"]
        if not isinstance(ids, str) or len(ids) % ID_CHARS or not (cache_dir / f"{key}{PARAGRAPHS_SUFFIX}").is_file():
            return None
        body = cache_dir / f"{key}{PARAGRAPHS_SUFFIX}"
        paragraphs = Paragraphs(ids, lambda: _read_paragraphs(body, entry, path, patterns, ids),
                                _OneParagraph(body, entry["id"]))
        doc = _document(entry, path, sha256, record["numbered"], record["dated_in_text"], record["preamble"],
                        paragraphs, record["page_starts"])
        return doc, list(record["warnings"])
    except (OSError, ValueError, KeyError, TypeError):  # missing or unreadable: parse the file again
        return None


def _read_paragraphs(body: Path, entry: dict, path: Path, patterns: tuple[str, ...], ids: str) -> tuple[Paragraph, ...]:
    """A cached document's paragraphs; parsed from the file again if the cache has gone bad since."""
    try:
        paragraphs = tuple(_paragraph(line, entry["id"]) for line in body.read_bytes().split(b"\n")[1:-1])
        if "".join(p.id for p in paragraphs) == ids:
            return paragraphs
    except (OSError, ValueError, TypeError):
        pass
    doc, _ = _parse_document(path, path.read_bytes(), entry, patterns)
    if "".join(p.id for p in doc.paragraphs) != ids:
        raise CorpusError(f"{path} changed after the collection was loaded; load it again (restart the app, or "
                          f"run the command again) to use the new text")
    return doc.paragraphs


class _OneParagraph:
    """Reads one paragraph of a cached parse by its place: the body's first line gives where each
    starts (read once, a few bytes per paragraph). None when the body cannot be read that way
    (``Paragraphs`` then reads the document whole, which parses the file again if need be)."""

    def __init__(self, body: Path, doc_id: str):
        self.body, self.doc_id, self._starts = body, doc_id, None

    def __call__(self, at: int) -> Paragraph | None:
        try:
            with self.body.open("rb") as f:
                if self._starts is None:
                    first = f.readline()
                    self._starts = np.concatenate([[0], np.cumsum(json.loads(first), dtype=np.int64)]) + len(first)
                f.seek(int(self._starts[at]))
                return _paragraph(f.read(int(self._starts[at + 1] - self._starts[at])), self.doc_id)
        except (OSError, ValueError, TypeError, IndexError):
            return None


def _paragraph(line: bytes, doc_id: str) -> Paragraph:
    """One line of a cached parse's body (as ``_write_parse`` writes it) as its paragraph."""
    pid, number, text, start, end = json.loads(line)
    return Paragraph(pid, doc_id, number, text, start, end)


def load_collection(corpus_dir: Path | str, skip_bad: bool = False, cache_dir: Path | None = None) -> Collection:
    """Load every document listed in ``corpus_dir/documents.toml``.

    Args:
        corpus_dir: folder holding the metadata file and the documents it lists.
        skip_bad: leave out a document whose file cannot be used, with a warning saying which and
            why, instead of raising (so one bad new file does not stop the tool answering from the
            others). The metadata file itself must still be readable.
        cache_dir: where to keep each file's parse, keyed by its bytes, its metadata entry and the
            parser's version, so an unchanged file is not parsed again (a large collection loads in
            seconds); parses no longer used are removed. None: parse every file.

    Returns:
        The collection, with a fingerprint of the metadata, every file's bytes and the parser (what
        the index manifest records) and warnings where metadata and text seem to disagree.

    Raises:
        CorpusError: naming the file and field to fix, for any file or entry that cannot be used.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; create it or point QA_CORPUS_DIR at yours")
    entries, patterns, meta_bytes, (about, examples) = _read_metadata(corpus_dir / METADATA_FILE)
    documents, warnings, used = [], [], set()
    hashes = FileHashes(cache_dir / HASHES_FILE if cache_dir else None)
    for entry in entries:
        try:
            doc, doc_warnings = _load_document(corpus_dir, entry, patterns, cache_dir, used, hashes)
        except CorpusError as exc:
            if not skip_bad:
                raise
            warnings.append(f"ignoring document {entry['id']!r} until its file is fixed: {exc}")
            continue
        documents.append(doc)
        warnings.extend(doc_warnings)
    if not documents:
        raise CorpusError(f"no document in {corpus_dir} can be used; fix the files named above")
    listed = {e["file"] for e in entries} | {METADATA_FILE, VOCABULARY_FILE}
    for extra in sorted(p.name for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        if extra not in listed:
            warnings.append(f"{corpus_dir / extra} is not listed in {METADATA_FILE} and is left out; add an entry to include it")
    if cache_dir and cache_dir.is_dir():
        hashes.save()
        for stale in cache_dir.glob("*.json*"):  # headers and bodies, of this format or an older one
            if stale.name != HASHES_FILE and stale.name.split(".")[0] not in used:
                stale.unlink(missing_ok=True)
    digest = hashlib.sha256(meta_bytes)
    digest.update(_parser_digest().encode())  # a new parser may cut other paragraphs from the same bytes
    for doc in documents:
        digest.update(doc.sha256.encode())
    return Collection(tuple(documents), digest.hexdigest(), tuple(warnings), patterns, about, examples)
