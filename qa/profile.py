"""The collection's vocabulary, as data: aliases, lay words, framing words, language.

Two files, both plain TOML:

- ``<corpus>/vocabulary.toml``: what belongs to one collection (aliases such as ISIS / Daesh,
  lay words such as "kids" for children, the nouns its documents are called by). Optional: a
  collection without it is searched with no aliases and no lay words.
- ``qa/languages/<language>.toml``: how questions are written in a language (stemmer, stopwords,
  framing words such as "what did ... say about", the patterns for "latest", "across the
  statements" and chat follow-ups).

The code holds no word of either. ``Profile.fingerprint`` hashes both files, and the index
manifest records it, so editing either makes the index stale.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus import VOCABULARY_FILE
from qa.errors import CorpusError

LANGUAGES_DIR = Path(__file__).resolve().parent / "languages"
DEFAULT_LANGUAGE = "english"
PATTERNS = ("latest", "earliest", "current", "decade", "across_documents", "follow_up", "pronoun", "date_bound", "dated_document", "named_document",
            "ordered_document", "framing_clause", "paragraph_number")
# Patterns a language file may leave out: where it does, nothing is matched by them.
OPTIONAL_PATTERNS = ("intent_opening",)
NEVER = r"(?!x)x"  # a pattern that matches nothing


@dataclass(frozen=True)
class LayWords:
    """Words people type (``words``) for what the statements call ``terms``."""

    terms: tuple[str, ...]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """Everything retrieval knows of a collection's words.

    Attributes:
        language: the name of the language file used.
        stemmer, stopwords: PyStemmer algorithm and bm25s stopword list for BM25 terms.
        topic_stopwords: the bm25s stopword list (a name in bm25s.stopwords) of words that never name a topic.
        spelling_words: a word list of the language (``package:file``), never corrected as misspellings.
        aliases: groups of spellings of one thing.
        lay_words: lay words and the statements' own terms for them.
        framing_words: words that frame a question (language's and collection's), lower case.
        number_words: the language's numbers written as words ("two", "third"): no topic on their
            own, though still searched for ("the four working groups").
        place_qualifiers: words that qualify a place's name ("West" in "West African", "northern"):
            not a name the collection lacks when the place they qualify is one it uses.
        place_forms: each form of a place's name (lower case: "american", "baghdad") -> the
            other forms of it ("United States", "Iraq"); a question's word is not missing from a
            collection that uses another form.
        document_nouns: what the collection's documents are called ("statement", "communiqué").
        generic_title_words: title words that never single out one document.
        news_words: words that point at news reports.
        patterns: the language's regular expressions, with {noun}/{nouns} filled in.
        fingerprint: sha256 of both files' bytes (or of the language file alone).
        code: the language's ISO 639-1 code ("en"), as a language identifier reports it; empty:
            questions are not checked for another language (``qa.language``).
        language_names: other languages' codes -> their names in this language ("fr": "French"),
            for the answer's note on a question in one of them.
        opposites: pairs of words of opposite meaning ("stop", "continue"), lower case: a word the
            collection lacks is never searched as its opposite (``qa.related``).
        spelling_variants: pairs of word endings one word is spelt with in the language's
            standards ("isation", "ization"): ``qa.spell`` searches the collection's spelling.
        spelling_variants_inside: such pairs inside a word ("isa", "iza" of "organisations").
    """

    language: str
    stemmer: str
    stopwords: str
    topic_stopwords: str
    spelling_words: str
    aliases: tuple[tuple[str, ...], ...]
    lay_words: tuple[LayWords, ...]
    framing_words: frozenset[str]
    document_nouns: tuple[str, ...]
    generic_title_words: frozenset[str]
    news_words: tuple[str, ...]
    patterns: dict[str, str]
    fingerprint: str
    number_words: frozenset[str] = frozenset()
    place_qualifiers: frozenset[str] = frozenset()
    place_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    code: str = ""
    language_names: dict[str, str] = field(default_factory=dict)
    opposites: tuple[tuple[str, str], ...] = ()
    spelling_variants: tuple[tuple[str, str], ...] = ()
    spelling_variants_inside: tuple[tuple[str, str], ...] = ()

    def __hash__(self) -> int:  # patterns is a dict; the fingerprint identifies the profile
        return hash(self.fingerprint)

    def language_words(self) -> frozenset[str]:
        """The language's word list (``spelling_words``), lower case; empty when it names none.

        Raises:
            CorpusError: when the list it names cannot be read.
        """
        return _word_list(self.spelling_words, self.language) if self.spelling_words else frozenset()

    def pattern(self, name: str, **fill: str) -> re.Pattern:
        """One of the language's patterns, compiled case-insensitively, placeholders filled."""
        return re.compile(_fill(self.patterns[name], fill), re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _word_list(spelling_words: str, language: str) -> frozenset[str]:
    """A language's word list, read once per process (a tenth of a second)."""
    from importlib import resources

    package, _, name = spelling_words.partition(":")
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError) as exc:
        raise CorpusError(f"the word list {spelling_words!r} of language {language!r} cannot be read "
                          f"({exc}); install its package: .venv/bin/pip install -r requirements.txt") from None
    return frozenset(line.split(None, 1)[0].lower() for line in text.splitlines() if line.strip())


def _fill(text: str, values: dict[str, str]) -> str:
    """A pattern with each ``{key}`` placeholder replaced by its value (others left for later)."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _read_toml(path: Path, what: str) -> tuple[dict, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{what} {path} cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(data.decode("utf-8-sig")), data
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{path} is not UTF-8 (line {line}); re-save it as UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}); fix the line it names") from None


def _strings(path: Path, table: dict, key: str, *, required: bool = False) -> tuple[str, ...]:
    value = table.get(key, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CorpusError(f"{path}: {key} must be a list of non-empty strings in quotes, e.g. {key} = [\"word\"]")
    return tuple(value)


def _language(name: str) -> tuple[dict, bytes, Path]:
    path = LANGUAGES_DIR / f"{name}.toml"
    if not re.fullmatch(r"[a-z_]+", name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in LANGUAGES_DIR.glob("*.toml")))
        raise CorpusError(f"language {name!r} has no file in {LANGUAGES_DIR}; use one of: {known}")
    table, data = _read_toml(path, "language file")
    patterns = table.get("patterns", {})
    missing = [p for p in PATTERNS if not isinstance(patterns.get(p), str)]
    if missing:
        raise CorpusError(f"{path}: [patterns] lacks {', '.join(missing)}; every language file needs them")
    return table, data, path


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def load_profile(corpus_dir: Path | str) -> Profile:
    """Read ``corpus_dir/vocabulary.toml`` (if any) and its language file.

    Raises:
        CorpusError: naming the file, the field and the fix, for anything that cannot be used.
    """
    path = Path(corpus_dir) / VOCABULARY_FILE
    table, data = _read_toml(path, "vocabulary file") if path.is_file() else ({}, b"")
    name = table.get("language", DEFAULT_LANGUAGE)
    if not isinstance(name, str):
        raise CorpusError(f"{path}: language must be a name in quotes, e.g. language = \"english\"")
    lang, lang_data, lang_path = _language(name)

    for key in ("aliases", "lay_words"):
        if not isinstance(table.get(key, []), list) or not all(isinstance(e, dict) for e in table.get(key, [])):
            raise CorpusError(f"{path}: {key} must be tables written [[{key}]], one per entry; see corpus/{VOCABULARY_FILE}")
    aliases = []
    for i, group in enumerate(table.get("aliases", []), start=1):
        spellings = _strings(path, group, "spellings", required=True)
        if len(spellings) < 2:
            raise CorpusError(f"{path}: [[aliases]] entry {i} has {len(spellings)} spelling; an alias group needs two or more")
        aliases.append(spellings)
    lay = []
    for entry in table.get("lay_words", []):
        lay.append(LayWords(_strings(path, entry, "terms", required=True), _strings(path, entry, "words", required=True)))

    # What documents are called: the collection's own words, else the language's common ones.
    nouns = _strings(path, table, "document_nouns") or _strings(lang_path, lang, "document_nouns")
    plural = tuple(_plural(n) for n in nouns)
    fill = {"noun": f"({_alternation(nouns)})s?" if nouns else NEVER,
            "nouns": f"({_alternation(plural)})" if nouns else NEVER}
    patterns = {}
    for key in PATTERNS + OPTIONAL_PATTERNS:
        text = _fill(lang["patterns"].get(key, NEVER), fill)
        try:
            compiled = re.compile(_fill(text, {"names": "x"}))
        except re.error as exc:
            raise CorpusError(f"{lang_path}: pattern {key} is not a valid regular expression ({exc})") from None
        if key == "intent_opening" and text != NEVER and "intent" not in compiled.groupindex:
            raise CorpusError(f"{lang_path}: pattern intent_opening needs a group (?P<intent>...) around the verb "
                              f"that is not searched (\"plan\" of \"How does the Coalition plan to\")")
        patterns[key] = text

    framing = _strings(lang_path, lang, "framing_words") + _strings(path, table, "framing_words")
    return Profile(
        language=name,
        stemmer=str(lang.get("stemmer", "english")),
        stopwords=str(lang.get("stopwords", "english")),
        topic_stopwords=str(lang.get("topic_stopwords", "STOPWORDS_EN")),
        spelling_words=str(lang.get("spelling_words", "")),
        aliases=tuple(aliases),
        lay_words=tuple(lay),
        framing_words=frozenset(w.lower() for w in framing),
        document_nouns=nouns,
        generic_title_words=frozenset(w.lower() for w in _strings(path, table, "generic_title_words")),
        news_words=tuple(w.lower() for w in _strings(path, table, "news_words")),
        patterns=patterns,
        fingerprint=hashlib.sha256(data + b"\x00" + lang_data).hexdigest(),
        number_words=frozenset(w.lower() for w in _strings(lang_path, lang, "number_words")),
        place_qualifiers=frozenset(w.lower() for w in _strings(lang_path, lang, "place_qualifiers")),
        place_forms=_place_forms(lang_path, lang),
        code=_code(lang_path, lang),
        language_names=_language_names(lang_path, lang),
        opposites=_pairs(lang_path, lang, "opposites", "words", '[["early", "late"]]'),
        spelling_variants=_pairs(lang_path, lang, "spelling_variants", "endings", '[["isation", "ization"]]'),
        spelling_variants_inside=_pairs(lang_path, lang, "spelling_variants_inside", "spellings", '[["isa", "iza"]]'),
    )


def _pairs(path: Path, lang: dict, key: str, what: str, example: str) -> tuple[tuple[str, str], ...]:
    pairs = lang.get(key, [])
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(w, str) and w
                                                                                            for w in p) for p in pairs):
        raise CorpusError(f"{path}: {key} must be a list of pairs of {what}, e.g. {key} = {example}")
    return tuple((a.lower(), b.lower()) for a, b in pairs)


def _code(path: Path, lang: dict) -> str:
    code = lang.get("code", "")
    if not isinstance(code, str) or not re.fullmatch(r"([a-z]{2,3})?", code):
        raise CorpusError(f"{path}: code must be the language's ISO 639-1 code in quotes, e.g. code = \"en\" "
                          f"(or \"\" to leave questions in other languages unchecked), not {code!r}")
    return code


def _language_names(path: Path, lang: dict) -> dict[str, str]:
    names = lang.get("language_names", {})
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in names.items()):
        raise CorpusError(f"{path}: [language_names] must map codes to names in quotes, e.g. fr = \"French\"")
    return dict(names)


def _place_forms(path: Path, lang: dict) -> dict[str, tuple[str, ...]]:
    groups = lang.get("place_forms", [])
    if not isinstance(groups, list) or not all(
            isinstance(g, list) and len(g) >= 2 and all(isinstance(f, str) and f.strip() for f in g) for g in groups):
        raise CorpusError(f"{path}: place_forms must be a list of lists of two or more names in quotes, "
                          f"e.g. place_forms = [[\"Iraq\", \"Iraqi\", \"Baghdad\"]]")
    out: dict[str, list[str]] = {}
    for group in groups:
        for form in group:
            out.setdefault(form.lower(), []).extend(f for f in group if f.lower() != form.lower())
    return {form: tuple(dict.fromkeys(others)) for form, others in out.items()}
