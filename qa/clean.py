"""Turn a web copy of a statement into the statement's own paragraphs, with spans into the source.

Web copies carry site furniture (banners, footers, "Media Note", comment forms), editorial lines
("The following statement was released by ..."), markdown residue, paragraphs broken in two by
page breaks, and numbered paragraphs run together on consecutive lines. The rules here are
general patterns of such copies, not lines of particular files, so a new copy of the same kind
comes out clean without new code. Collections can add patterns of their own (see
``corpus.load_collection``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Whole-line patterns of site furniture, matched case-insensitively against a line with its
# markdown stripped. Anchored at the start: a paragraph that merely mentions "media" is safe.
BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"an official website of the united states government",
    r"here'?s how you know",
    r"the office of website management\b",
    r"external links to other internet sites\b",
    r"note: documents in portable document format\b",
    r".*\badobe acrobat reader\b",
    r"leave a (reply|comment)\b",
    r"your email address will not be published\b",
    r"required fields are marked\b",
    r"(media note|news ticker|press releases?|office of the spokesperson|skip to (main )?content"
    r"|back to top|print( this page)?|share( this)?( page| article)?|subscribe.*|related (articles|content|posts))\s*:?$",
    r"(posted|filed) (in|under|on)\b.{0,80}$",
    r"(additional )?(reporting|writing|editing) by\b.{0,160}$",  # a news agency's credits
    r"(photo|image|caption)( credit)?s?:",
    r"(copyright|©)",
    r"(https?://|www\.)\S+$",
    r"[\w-]+(\.[\w-]+)*\.(gov|com|org|int|net|eu|uk)(/\S*)?$",
    r"[-*_=]{3,}$",
    # A photo caption ending in its credit: "Ministers meet in Rome (State Department photo by ...)".
    r".*\([^()]*\bphoto(graph)?s?\b[^()]*\)\s*$",
    r"(accept|reject|manage)( all)? cookies\b.{0,80}$|.{0,80}\buse(s)? cookies\b.{0,120}$",
)

# Link text left inside a paragraph by a web copy: "Read the Media Note here.", "Click here for ...".
LINK_SENTENCE = re.compile(
    r"(?:^|(?<=[.!?]\s))(?:read|see|view|watch|download|find|click)\b[^.!?]{0,160}?\b(?:here|below)\b[^.!?]{0,60}[.!?]?\s*$"
    r"|(?:^|(?<=[.!?]\s))click here\b[^.!?]{0,160}[.!?]?\s*",
    re.IGNORECASE)

# Editorial lines that introduce a statement; they are not its paragraphs, but worth keeping.
EDITORIAL_PATTERN = re.compile(
    r"(the following (is (the )?text of )?(a |the )?(joint )?(statement|communiqu[eé]|text)"
    r"|the text of the following (joint )?(statement|communiqu[eé])"
    r"|issued by\b(?=.{0,200}$))\b",  # "Issued by the Press Office on behalf of ...": who put it out
    re.IGNORECASE,
)

# "Begin text:" / "End text." markers around the statement proper, as the State Department uses.
BEGIN_PATTERN = re.compile(r"begin (text|statement)\s*[:.]?$", re.IGNORECASE)
END_PATTERN = re.compile(r"end (text|statement)\s*[:.]?$", re.IGNORECASE)

# "7. We ...", "7) We ..." or "(7) We ...": a paragraph's own number. Three digits at most, so
# "2019. ..." is text.
NUMBER_PATTERN = re.compile(r"(?:\((\d{1,3})\)|(\d{1,3})[.)])\s+(?=\S)")

# A line that ends a sentence: final punctuation, then any closing quotes or brackets, then perhaps
# a footnote's mark ("livelihoods.3", "2024.¹", "part.[2]"; not the "5" of a figure, "EUR 1.5").
TERMINAL_PATTERN = re.compile(r"[.!?:;…][\"'”’)\]]*(?:[¹²³⁰⁴⁵⁶⁷⁸⁹]{1,2}|\[\d{1,2}\]|[*†‡])?$"
                              r"|(?<=[^\W\d_])[.!?;…][\"'”’)\]]*\d{1,2}$")

# A page-break join across a blank line is only trusted after a block this long ending mid-sentence;
# shorter unterminated lines are headings, datelines and captions.
MIN_WORDS_BROKEN_PROSE = 20
# Prose has at least this many words; shorter terminated lines are labels ("Begin text:").
MIN_WORDS_PARAGRAPH = 5


@dataclass(frozen=True)
class Block:
    """One paragraph of a statement as found in its source text.

    Attributes:
        text: the paragraph's clean text (markup, numbering and line breaks removed).
        number: the statement's own paragraph number, or None where it numbers none.
        start: offset of the paragraph's first character in the decoded source text.
        end: offset one past its last character.
    """

    text: str
    number: int | None
    start: int
    end: int


@dataclass(frozen=True)
class ParsedText:
    """What ``parse`` found in one source text."""

    blocks: tuple[Block, ...]
    preamble: tuple[str, ...]
    header: str


@dataclass
class _Unit:
    parts: list[str]
    start: int
    end: int
    number: int | None
    heading: bool
    listing: bool = False  # an introduction ending in a colon has taken the list items after it

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def take_item(self, line: str, end: int) -> bool:
        """Take a list's item or a table's row, a line of its own as the reader sees it; returns
        the new ``gap`` (none: the item carries the paragraph on)."""
        self.parts.append("\n" + line)
        self.end, self.listing = end, True
        return False


# A word broken across lines with a hyphen ("stabili-" / "zation"), as PDFs and wrapped text have it.
_BROKEN_END = re.compile(r"([^\W\d_]+)-$")
_WORD_START = re.compile(r"[^\W\d_]+")
_BROKEN_PAIR = re.compile(r"[^\W\d_]+-[ \t]*\r?\n[ \t]*[^\W\d_]+")


def _join(parts: list[str], words: "frozenset[str] | _DocumentWords") -> str:
    """A paragraph's lines as one text. A line ending in a hyphen before a lower-case word is a
    word broken at the line's end ("stabili-" + "zation": joined whole) unless both halves are
    words the document uses on their own and it never writes them as one ("counter-" +
    "terrorism", when it writes "counter" and "terrorism" but not "counterterrorism": hyphen kept).

    Args:
        words: the document's words, lower case, without the halves of words broken at lines' ends.
    """
    out = parts[0] if parts else ""
    for part in parts[1:]:
        broken, nxt = _BROKEN_END.search(out), _WORD_START.match(part)
        if broken and nxt and part[:1].islower():
            left, right = broken.group(1).lower(), nxt.group(0).lower()
            compound = left + right not in words and (
                left in words and right in words  # "counter-" + "terrorism"
                or left in _HYPHENED_PREFIXES  # "self-" + "sufficient"
                or broken.group(1)[:1].isupper() and left in words)  # "Iraqi-" + "led"
            out = out + part if compound else out[:-1] + part
        elif broken and nxt and part[:1].isupper():
            out = out + part  # a hyphen before a name is the compound's own: "ISIS-" + "Sahel"
        else:
            out = out + part if part.startswith("\n") else f"{out} {part}"
    return out


# Prefixes English writes with a hyphen ("self-sufficient", "well-funded", "non-state").
_HYPHENED_PREFIXES = frozenset({"self", "well", "non", "cross", "ex", "anti", "half", "all"})

_HYPHEN_AT_END = re.compile(r"-[ \t]*\r?\n")


def _document_words(text: str) -> frozenset[str]:
    if _HYPHEN_AT_END.search(text):  # words broken at lines' ends: their halves are not words
        text = _BROKEN_PAIR.sub(" ", text)
    return frozenset(_WORD_START.findall(text.lower()))


class _DocumentWords:
    """A document's words (``_document_words``), found when first asked for: only a line ending in
    a hyphen needs them, and most documents have none (finding them took a third of parsing)."""

    def __init__(self, text: str):
        self._text, self._words = text, None

    def __contains__(self, word: str) -> bool:
        if self._words is None:
            self._words = _document_words(self._text)
        return word in self._words


_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙]|[-*+](?=\s))\s*")  # a list item's bullet: not part of its words
_BOLD = re.compile(r"\*\*|__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")  # [text](url "title"): the text


def strip_markup(line: str) -> str:
    """Remove markdown residue and odd whitespace from one line, keeping its words. (Each pattern
    runs only on a line holding the character it needs: a million-paragraph collection has
    millions of lines, nearly all plain.)"""
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    if "#" in line:
        line = _HEADING_MARK.sub("", line)
    line = _BULLET.sub("", line)
    if "**" in line or "__" in line:
        line = _BOLD.sub("", line)
    if "*" in line:
        line = _ITALIC.sub(r"\1", line)
    if "\\" in line:
        line = _ESCAPE.sub(r"\1", line)
    if "](" in line:
        line = _LINK.sub(r"\1", line)
    return " ".join(line.split())  # runs of whitespace as one space, none at the ends


_LINK_WORDS = ("read", "see", "view", "watch", "download", "find", "click")


def drop_link_sentence(line: str) -> str:
    """A line without its "read more here" / "click here" sentence (``LINK_SENTENCE``); the pattern
    runs only on a line holding one of its words."""
    folded = line.casefold()
    if ("here" in folded or "below" in folded) and any(w in folded for w in _LINK_WORDS):
        return LINK_SENTENCE.sub("", line)
    return line


def _is_terminal(text: str) -> bool:
    return bool(TERMINAL_PATTERN.search(text[-12:]))  # the pattern ends at the text's end: its tail is enough


def _looks_like_heading(raw: str, text: str) -> bool:
    """True for titles, datelines and captions: markdown headings, or short unterminated lines."""
    if re.match(r"\s*#{1,6}\s", raw):
        return True
    if _is_terminal(text):
        return False
    words = text.split()
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return len(words) <= 12 or capitalised / len(words) >= 0.6


def _lines(text: str):
    """Yield (start, end, line) for each line of text, end excluding the line break."""
    for match in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n|$)", text):
        line = match.group(0).rstrip("\r\n")
        if match.start() == len(text) and not line:
            break
        yield match.start(), match.start() + len(line), line


def parse(text: str, extra_boilerplate: tuple[str, ...] = ()) -> ParsedText:
    """Find a statement's paragraphs in the decoded text of its web copy.

    Args:
        text: the whole source text.
        extra_boilerplate: further whole-line regular expressions to drop, for sites the
            built-in patterns do not know.

    Returns:
        The paragraphs in reading order with their spans, the editorial lines, and the header
        (everything before the statement proper, where datelines live).
    """
    furniture = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE_PATTERNS + tuple(extra_boilerplate)), re.IGNORECASE)
    lines = list(_lines(text))
    cleaned = [drop_link_sentence(strip_markup(line)).strip() for _, _, line in lines]

    begin = next((i for i, c in enumerate(cleaned) if BEGIN_PATTERN.match(c)), None)
    end = None
    if begin is not None:
        end = next((i for i in range(begin + 1, len(lines)) if END_PATTERN.match(cleaned[i])), None)
    body = range(begin + 1 if begin is not None else 0, end if end is not None else len(lines))

    # Editorial lines often stand before "Begin text:", outside the statement proper.
    preamble: list[str] = [c for c in cleaned[: begin or 0] if EDITORIAL_PATTERN.match(c)]
    units: list[_Unit] = []
    gap = True  # a blank line (or dropped line) stands between the previous unit and this line
    next_number = 1
    restarted = False  # some section numbers its paragraphs from 1 again
    for i in body:
        start, stop, raw = lines[i]
        line = cleaned[i]
        if not line or furniture.match(line) or END_PATTERN.match(line) or BEGIN_PATTERN.match(line):
            gap = True
            continue
        if EDITORIAL_PATTERN.match(line):
            preamble.append(line)
            gap = True
            continue
        numbered = NUMBER_PATTERN.match(line)
        number = int(numbered.group(1) or numbered.group(2)) if numbered else None
        previous = units[-1] if units else None
        if (number is not None and previous is not None and previous.number is None and not previous.heading
                and (previous.listing or number == next_number == 1 and previous.text.endswith(":")
                     and _short_list(cleaned, i))):
            # A numbered list a paragraph introduces ("... priorities for the year ahead:" / "1. ...")
            # is that paragraph's, as its bullets would be; not the statement's own numbering.
            gap = previous.take_item(line, stop)
            continue
        if number == 1 and next_number > 2 and units and units[-1].heading:
            # Numbering starts again under a section heading: the numbers are no longer unique.
            restarted, next_number = True, 1
        if number is not None and number == next_number:
            next_number += 1
            units.append(_Unit([line[numbered.end():]], start, stop, number, False))
            gap = False
            continue
        previous = units[-1] if units else None
        if previous is not None and not previous.heading and (
                _TABLE_ROW.match(raw)  # a table's row ("• Sinjar | Netherlands | Under way", as qa.convert
                # writes it) belongs to the paragraph before the table, numbered or not
                or previous.number is None and _BULLET.match(raw) and (previous.listing or previous.text.endswith(":"))):
            # The items of a list its paragraph introduces ("we agreed: - to ...; - to ...") are
            # part of that paragraph, as a numbered statement's are of their numbered paragraph.
            gap = previous.take_item(line, stop)
            continue
        following = cleaned[i + 1] if i + 1 < len(cleaned) else ""
        if previous is not None and not previous.heading and _continues(previous, raw, line, gap, following):
            previous.parts.append(line)
            previous.end = stop
        else:
            # No heading is carried on by the next line in lower case: that is a wrapped sentence.
            heading = _looks_like_heading(raw, line) and not following[:1].islower()
            units.append(_Unit([line], start, stop, None, heading))
        gap = False

    parsed = _assemble(units, preamble, text, lines, begin, _DocumentWords(text))
    if restarted:  # "para 1" would name several paragraphs: they are counted through instead
        parsed = ParsedText(tuple(Block(b.text, None, b.start, b.end) for b in parsed.blocks), parsed.preamble,
                            parsed.header)
    return parsed


# Items of a numbered list are short; a statement's numbered paragraphs are not all so.
LIST_ITEM_WORDS = 40


def _short_list(cleaned: list[str], at: int) -> bool:
    """Whether the numbered lines from ``at`` on (1., 2., ... in turn, each with the lines wrapped
    under it) read as a list's items rather than a statement's paragraphs (``reads_as_list``)."""
    expected, items, blank = 1, [], False
    for line in cleaned[at:]:
        numbered = NUMBER_PATTERN.match(line) if line else None
        if numbered and int(numbered.group(1) or numbered.group(2)) == expected:
            expected, blank = expected + 1, False
            items.append(line[numbered.end():])
        elif not line:
            blank = True
        elif blank:
            break  # prose after the list
        else:
            items[-1] += " " + line  # the item's wrapped line
    return reads_as_list(items)


def reads_as_list(items: list[str]) -> bool:
    """Whether numbered items read as a list's rather than a statement's paragraphs: each short,
    and most of them (the last aside, which may end the sentence) in lower case or ending without
    a full stop ("1. repatriating nationals;", "2. funding stabilization; and")."""
    if not items or any(len(item.split()) > LIST_ITEM_WORDS for item in items):
        return False
    leading = items[:-1] or items
    listed = sum(item[:1].islower() or not item.rstrip().endswith((".", "!", "?")) for item in leading)
    return listed * 2 >= len(leading) and listed > 0


# A table's row as qa.convert writes it: a bullet, then cells with "|" between them.
_TABLE_ROW = re.compile(r"\s*•\s+[^|]*\S\s\|\s\S")

# A paragraph's own lettered or roman item: "(a) ...", "b) ...", "(iv) ...".
_SUB_ITEM = re.compile(r"\(?(?:[a-z]|[ivx]{1,4})\)\s+\S")


def _continues(previous: _Unit, raw: str, line: str, gap: bool, following: str = "") -> bool:
    """Whether ``line`` carries on the paragraph in ``previous`` (a wrapped line or a page break).

    Args:
        following: the next line, cleaned ("" at the end or before a blank line).
    """
    if (previous.number is not None and not gap and not _BULLET.match(raw)
            and not (_looks_like_heading(raw, line) and (not following or NUMBER_PATTERN.match(following)))):
        # A numbered paragraph's block goes on to the next number or blank line, though a sentence
        # ends at a line's end: a short wrapped line ("... the region will face a") is no heading
        # unless it stands alone before the next paragraph.
        return True
    if not previous.heading and (previous.number is not None or previous.text.endswith((":", ";"))) and (
            _SUB_ITEM.match(line)):
        return True  # a paragraph's lettered items, "(a) ...;" / "(b) ...; and", across any gap
    if _is_terminal(previous.text) or re.match(r"\s*#{1,6}\s", raw):
        return False
    if previous.listing and gap:
        return False  # a list ends where a line that is no item of it stands apart
    if not gap:
        return True  # a hard-wrapped line inside one block
    if line[:1].islower():
        return True  # a page break mid-sentence: the second half starts in lower case
    # A page break before a capitalised word: trust it only after a long run of prose, and not
    # when the next line is itself a caption or heading.
    return len(previous.text.split()) >= MIN_WORDS_BROKEN_PROSE and not _looks_like_heading(raw, line)


def _assemble(units: list[_Unit], preamble: list[str], text: str, lines, begin: int | None,
              words: "frozenset[str] | _DocumentWords" = frozenset()) -> ParsedText:
    numbered = any(u.number is not None for u in units)
    blocks: list[Block] = []
    first_body_offset = None
    for unit in units:
        body_text = _join(unit.parts, words)
        is_prose = unit.number is not None or (  # a list's introduction ends in its colon
            not unit.heading and (_is_terminal(body_text) or unit.listing)
            and len(body_text.split()) >= MIN_WORDS_PARAGRAPH
        )
        if not is_prose:
            continue
        if numbered and unit.number is None:
            if not blocks:
                # Prose before the first numbered paragraph is an introduction, not a paragraph.
                preamble.append(body_text)
                continue
            # Unnumbered prose after a numbered paragraph belongs to it (a sub-paragraph).
            last = blocks.pop()
            blocks.append(Block(f"{last.text}\n\n{body_text}", last.number, last.start, unit.end))
            continue
        if first_body_offset is None:
            first_body_offset = unit.start
        blocks.append(Block(body_text, unit.number, unit.start, unit.end))

    if begin is not None:
        header_end = lines[begin][0]
    else:
        header_end = first_body_offset if first_body_offset is not None else len(text)
    return ParsedText(tuple(blocks), tuple(preamble), text[:header_end])
