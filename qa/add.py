"""Adding a statement to a corpus folder: metadata proposed from the document, the entry written,
and the whole collection checked before anything is kept.

    entry = propose(Path("valletta.pdf"), data, collection)      # what the text itself says
    doc = add(corpus_dir, Path("valletta.pdf"), {**entry, "place": "Valletta"})

The file is copied unchanged; ``documents.toml`` gains one ``[[documents]]`` table, written
atomically. If the collection no longer loads with the new entry (a damaged file, a bad date),
both are undone and the error says why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

from qa import clean
from qa.convert import SUFFIXES, to_text
from qa.corpus import (DATE_PATTERN, ID_PATTERN, METADATA_FILE, SOURCE_TYPES, TEXT_DATE_PATTERN, Collection,
                       Document, load_collection, text_dates)
from qa.errors import CorpusError
from qa.types import date_span

FIELDS = ("id", "file", "title", "issuer", "place", "date", "source_type", "url")
# A dateline: a place, a comma, a date ("Valletta, 3 March 2031", "WASHINGTON, February 6, 2019 —",
# "Tórshavn, 14 October 2030": a place's letters may be any language's).
# A region or country may stand between ("Tromsø, Norway, 8 June 2022", "Marrakech, Kingdom of Morocco, 11 May 2022").
_REGION = r"(?:[A-Z][^\W\d_'’.-]*\.?(?:\s+(?:of|and|the|[A-Z][^\W\d_'’.-]*\.?)){0,3}\s*,\s*)?"
_DATELINE = re.compile(r"^\s*(?P<place>[^\W\d_](?:[^\W\d_]|[ .'’-]){1,40}?)\s*,\s*" + _REGION
                       + r"(?:[A-Z][a-z]+\s+)?(?P<date>" + TEXT_DATE_PATTERN.pattern.replace(r"\b", "") + ")")


# A news agency's dateline, which gives no year: "RIGA, Oct 3 (Baltic Wire) -", "PARIS (AFP) —".
_WIRE_DATELINE = re.compile(r"^\s*(?P<place>[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+){0,3})\s*,?\s*"
                            + _REGION.replace(r"\s*,\s*)?", r"\s*,?\s*)?") +
                            r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s*)?\((?P<agency>[^()]{2,40})\)\s*[-–—]")
# A byline ("By Marta Ozola"): a report's, not a statement's.
_BYLINE = re.compile(r"^\s*By\s+[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,3}\s*$")


def _first_date(text: str) -> str:
    return next(iter(text_dates(text)), "")


# Latin letters that Unicode does not decompose into a plain letter and a mark.
_PLAIN = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                        "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def slug(text: str) -> str:
    """An id's part from a name: lower-case ASCII letters and digits joined by '-' ("Tórshavn" -> "torshavn",
    "Łódź" -> "lodz"); empty for a name in another script."""
    ascii_ = unicodedata.normalize("NFKD", text.translate(_PLAIN)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:40]


def proposed_id(path: Path, place: str, date: str, collection: Collection | None) -> str:
    """An id from the place (else the file's name) and the year, with "-2", "-3" ... while taken."""
    taken = {d.id for d in collection.documents} if collection else set()
    year = date[:4] if re.fullmatch(r"\d{4}", date[:4]) else ""
    name = slug(place) or slug(path.stem) or "document"
    base = name if year and year in name.split("-") else "-".join(p for p in (name, year) if p)  # not "...-2022-2022"
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}-{n}", n + 1
    return doc_id


def check_source(source: Path) -> None:
    """Raise a CorpusError when the file to add is not a file of a kind the collection reads."""
    if not source.is_file():
        raise CorpusError(f"{source} is not a file; give the path of the statement to add")
    if source.suffix.lower() not in SUFFIXES:
        raise CorpusError(f"{source} is a {source.suffix or 'suffix-less'} file; add a statement saved as "
                          f"{', '.join(SUFFIXES)}")


def propose(path: Path, data: bytes, collection: Collection | None = None) -> dict[str, str]:
    """Metadata read from the document itself: its title line, the dateline's place and date, an id
    from them, the issuer the collection's documents share. Empty where the text does not say."""
    text = to_text(path, data)
    parsed = clean.parse(text)
    furniture = re.compile("|".join(f"(?:{p})" for p in clean.BOILERPLATE_PATTERNS), re.IGNORECASE)
    pairs = [(raw, re.sub(r"^press releases?\s*:\s*", "", line, flags=re.IGNORECASE))
             for raw in parsed.header.splitlines() if (line := clean.strip_markup(raw))]
    pairs = [(raw, line) for raw, line in pairs
             if line and not furniture.match(line) and not clean.EDITORIAL_PATTERN.match(line)]
    lines = [line for _, line in pairs]
    dated = [bool(TEXT_DATE_PATTERN.search(line)) for line in lines]
    # The title: the first line of five words or more that is neither a date nor a sentence.
    at = next((i for i, (line, d) in enumerate(zip(lines, dated)) if not d and len(line.split()) >= 5
               and not line.endswith(".") and not _DATELINE.match(line)),
              next((i for i, d in enumerate(dated) if not d), None))
    title = lines[at] if at is not None else ""
    if at is not None and _title_continues(title, lines[at + 1] if at + 1 < len(lines) else ""):
        title = f"{title} {lines[at + 1]}"  # a title broken over two lines ("... Systems in" / "the Baltic Sea Region")
    if at and (head := _title_head(pairs[at - 1], pairs[at])):
        title = f"{head} {title}" if title[:1].islower() else f"{head}: {title}"
    place, date = "", ""
    opening = [b.text for b in parsed.blocks[:1]]
    for i, line in enumerate(lines + opening):
        m = _DATELINE.match(line)
        if m:  # "Valletta, 3 March 2031"
            place, date = m.group("place").strip(), _first_date(m.group("date"))
            break
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (line != title and not TEXT_DATE_PATTERN.search(line) and 1 <= len(line.split()) <= 4
                and line[:1].isupper() and _first_date(nxt) and not _DATELINE.match(nxt)):
            place, date = line.split(",")[0].strip(), _first_date(nxt)  # "Washington, DC" above "February 6, 2019"
            break
    wire = next((m for line in lines + opening if (m := _WIRE_DATELINE.match(line))), None)
    if wire and not place:  # "RIGA, Oct 3 (Baltic Wire) -": the place; the year is not given
        place = wire.group("place").strip()
    date = date or _first_date(parsed.header)
    if place.isupper():  # "ST. JOHN'S" -> "St. John's" (str.title would give "John'S")
        place = " ".join(word.capitalize() for word in place.split())
    # A byline or an agency's dateline marks a news report.
    news = bool(wire) or any(_BYLINE.match(line) for line in lines)
    # The issuer every statement shares (a news report's is its agency's).
    issuers = Counter(d.issuer for d in collection.documents if d.source_type != "news") if collection else Counter()
    issuer = issuers.most_common(1)[0][0] if len(issuers) == 1 else ""
    return {"id": proposed_id(path, place, date, collection), "file": path.name, "title": title[:200],
            "issuer": issuer, "place": place, "date": date, "source_type": "news" if news else "official", "url": ""}


def _title_head(above: tuple[str, str], title: tuple[str, str]) -> str:
    """The short line a title line carries on from, or "": a heading of one to four words
    ("REYKJAVÍK DECLARATION" above "of the Intergovernmental Council ...", "# Chair's Summary" above
    "## Meeting of the Political Directors ...") that is no date, dateline or byline. In capitals it
    is given in title case ("Reykjavík Declaration")."""
    (raw_above, line), (raw_title, text) = above, title
    if (not 1 <= len(line.split()) <= 4 or TEXT_DATE_PATTERN.search(line) or _DATELINE.match(line)
            or _BYLINE.match(line) or line.endswith((".", ":")) or not line[:1].isupper()):
        return ""
    heading = re.match(r"\s*(#+)\s", raw_above)
    subheading = re.match(r"\s*(#+)\s", raw_title)
    if not (text[:1].islower() or heading and subheading and len(heading.group(1)) < len(subheading.group(1))):
        return ""
    return " ".join(w.capitalize() for w in line.split()) if line.isupper() else line


def _title_continues(title: str, line: str) -> bool:
    """Whether a header line carries on the title line above it: the title ends on a short word in
    lower case ("in", "of the": a title's small words) or the line starts with a word in lower case
    ("the Baltic Sea Region"), and the line is no date, dateline or byline."""
    if (not line or TEXT_DATE_PATTERN.search(line) or _DATELINE.match(line) or _BYLINE.match(line)
            or title.endswith((".", ":"))):
        return False
    last = title.split()[-1] if title.split() else ""
    return last.isalpha() and last.islower() and len(last) <= 3 or line[:1].islower()


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def entry_toml(entry: dict) -> str:
    lines = ["[[documents]]"] + [f"{k} = {_toml_string(entry[k])}" for k in FIELDS if entry.get(k)]
    if entry.get("place_aliases"):  # the text's own spelling of a place given otherwise ("Marrakech")
        lines.append(f"place_aliases = [{', '.join(_toml_string(a) for a in entry['place_aliases'])}]")
    return "\n".join(lines) + "\n"


def require_fields(entry: dict[str, str]) -> None:
    """Raise a CorpusError naming the options to give for the fields neither read nor given."""
    missing = [k for k in ("id", "title", "issuer", "place", "date", "source_type") if not entry.get(k)]
    if missing:
        raise CorpusError(f"the text does not say its {', '.join(missing)}; give "
                          + " ".join(f"--{m.replace('source_type', 'type')} ..." for m in missing))


def check_entry(source: Path, entry: dict[str, str], existing: Collection | None) -> None:
    """Raise a CorpusError naming the option to fix when the file or its entry cannot join the
    collection: a field missing or malformed, or the file (its name or its bytes) already in it."""
    check_source(source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    for doc in existing.documents if existing else ():  # first: no field given would change this
        if doc.path.name == entry["file"]:
            raise CorpusError(f"{entry['file']} is already in the collection as {doc.id!r}; to add another file of "
                              f"that name, rename it first")
        if doc.sha256 == digest:
            raise CorpusError(f"{source} has the same content as {doc.path.name}, already in the collection as "
                              f"{doc.id!r}; nothing was added")
    require_fields(entry)
    if not DATE_PATTERN.fullmatch(entry["date"]):
        raise CorpusError(f"date {entry['date']!r} is not YYYY-MM-DD, YYYY-MM or YYYY; give --date 2031-03-03")
    try:
        date_span(entry["date"])
    except ValueError as exc:
        raise CorpusError(f"date {entry['date']!r} does not exist ({exc}); give --date with a real day") from None
    if not ID_PATTERN.fullmatch(entry["id"]):
        raise CorpusError(f"id {entry['id']!r} must be lower-case letters, digits, '.', '_' or '-'; give --id, "
                          f"e.g. --id paris-2024")
    if entry["source_type"] not in SOURCE_TYPES:
        raise CorpusError(f"type {entry['source_type']!r} is not one of {', '.join(SOURCE_TYPES)}")
    if existing and entry["id"] in {d.id for d in existing.documents}:
        raise CorpusError(f"the collection already has a document {entry['id']!r}; give another --id")


# Below this share of a document's words in its paragraphs (title, dateline and editorial lines
# aside), something was probably left out: a second statement, a list taken for numbering.
MIN_WORDS_KEPT = 0.7


def words_left_out(doc: Document, text: str) -> str | None:
    """A warning when much of a document's text (``text``, as read from its file) is in none of its
    paragraphs, else None."""
    source = len(re.findall(r"\w+", text))
    kept = sum(len(re.findall(r"\w+", p.text)) for p in doc.paragraphs)
    kept += sum(len(re.findall(r"\w+", line)) for line in doc.preamble)
    if source < 150 or kept >= MIN_WORDS_KEPT * source:
        return None
    return (f"only {kept * 100 // source}% of the text's words are in its paragraphs; check them above: a second "
            f"statement on the page, a list or a signature block may have been left out or run into the last one")


def preview(source: Path, entry: dict[str, str], existing: Collection | None = None) -> Document:
    """The document as the collection would read it with this entry (its paragraphs, numbered as
    they would be cited, with the collection's boilerplate patterns), read from a scratch copy:
    the corpus is not touched.

    Raises:
        CorpusError: as ``add`` would, for a file that cannot be read or an entry that is wrong.
    """
    patterns = list(existing.patterns) if existing else []
    with tempfile.TemporaryDirectory(prefix="qa-add-") as scratch:
        folder = Path(scratch)
        shutil.copyfile(source, folder / entry["file"])
        head = f"[boilerplate]\npatterns = {json.dumps(patterns, ensure_ascii=False)}\n\n" if patterns else ""
        (folder / METADATA_FILE).write_text(head + entry_toml(entry), encoding="utf-8")
        return load_collection(folder).documents[0]


def add(corpus_dir: Path, source: Path, entry: dict[str, str]) -> tuple[Document, Collection]:
    """Copy ``source`` into the corpus with this metadata entry and check the whole collection.

    Raises:
        CorpusError: naming what is missing or wrong; nothing is left changed.
    """
    corpus_dir = Path(corpus_dir)
    meta = corpus_dir / METADATA_FILE
    before = meta.read_bytes() if meta.exists() else b""
    existing = load_collection(corpus_dir) if meta.exists() else None
    check_entry(source, entry, existing)
    if corpus_dir.exists() and not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is a file, not a collection folder; point QA_CORPUS_DIR (or --corpus) at a folder")
    made = not corpus_dir.exists()
    corpus_dir.mkdir(parents=True, exist_ok=True)  # a new collection's first statement
    data = source.read_bytes()
    target = corpus_dir / entry["file"]
    if target.exists() and target.read_bytes() != data:
        raise CorpusError(f"{target} exists with other content; rename the file you are adding")
    copied = not target.exists()
    if copied:
        shutil.copyfile(source, target)
    text = before.decode("utf-8-sig")
    new = (text.rstrip("\n") + "\n\n" if text.strip() else "") + entry_toml(entry)
    tmp = meta.with_name(f".{meta.name}.adding")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, meta)
    try:
        collection = load_collection(corpus_dir)
    except CorpusError:
        meta.write_bytes(before) if before else meta.unlink()
        if copied:
            target.unlink()
        if made and not any(corpus_dir.iterdir()):
            corpus_dir.rmdir()
        raise
    doc = next(d for d in collection.documents if d.id == entry["id"])
    return doc, collection
