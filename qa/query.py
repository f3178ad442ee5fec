"""Query normalisation: the collection's aliases, and cues that name a document.

Statements name the same things many ways (ISIS / ISIL / Daesh / Da'esh / Islamic State; FTF /
foreign terrorist fighters; UNSCR / UN Security Council Resolution). A question in one spelling
should match a paragraph in another, so the lexical query gets every spelling of each alias it
contains. Questions also say which statement they mean ("in the Rome communiqué", "in 2019"):
those words are matched against the documents' own metadata, never against a list of files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from qa.corpus import Collection

# Each group lists spellings of one thing; a question with any of them searches for all of them.
ALIASES: tuple[tuple[str, ...], ...] = (
    ("ISIS", "ISIL", "Daesh", "Da'esh", "Islamic State", "IS"),
    ("foreign terrorist fighters", "foreign terrorist fighter", "FTF", "FTFs", "foreign fighters"),
    ("UN Security Council Resolution", "Security Council Resolution", "UNSCR", "UNSC resolution"),
    ("United Nations", "UN"),
    ("internally displaced persons", "IDP", "IDPs", "displaced persons"),
    ("countering violent extremism", "CVE"),
    ("counterterrorism", "counter-terrorism", "CT"),
    ("Counter ISIS Finance Group", "Counter-Finance Working Group", "CIFG"),
    ("Global Counterterrorism Forum", "Global Counter-Terrorism Forum", "GCTF"),
    ("Financial Action Task Force", "FATF"),
    ("financial intelligence unit", "FIU", "FIUs"),
    ("ISIS-K", "ISIS-Khorasan", "ISIS Khorasan", "Khurasan", "Khorasan"),
    ("northeast Syria", "north-east Syria", "NE Syria", "northeastern Syria"),
    # Forms the stemmer splits ("detainees" -> detaine, "detained" -> detain).
    ("detainees", "detainee", "detained", "detention"),
    ("European Union", "EU"),
    ("working group", "WG"),
)

# Lay words for the statements' own terms: (terms the statements use, words people type instead).
# Built from the collection's subjects (counter-ISIS statements), not from particular questions;
# a question with a lay word also searches for the statements' terms.
THESAURUS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("children", "child soldiers", "youth"), ("kids", "kid", "minors", "boys", "girls", "teenagers", "teens", "young people")),
    (("financing", "finances", "revenue", "counter-finance"),
     ("money", "cash", "funding", "funds", "fund", "income", "bank", "banks", "banking", "budget", "oil sales")),
    (("detainees", "detained", "detention", "custody"),
     ("prisoners", "prisoner", "prison", "prisons", "jailed", "jail", "inmates", "captives", "captured", "locked up")),
    (("family members", "families"), ("relatives", "wives", "spouses", "dependants", "dependents")),
    (("demining",), ("landmines", "landmine", "mines", "explosives", "ieds", "booby traps", "unexploded")),
    (("police", "police training", "law enforcement"), ("cops", "cop", "policemen", "police officers", "officers")),
    (("artifacts", "archaeological sites", "cultural heritage"),
     ("antiques", "antiquities", "relics", "heritage", "museums", "museum", "ruins", "treasures")),
    (("enslavement", "trafficking of women", "sexual violence"),
     ("slaves", "slave", "slavery", "sex slaves", "rape", "kidnapped women", "abducted women")),
    (("radicalization", "propaganda", "ideology", "recruitment"),
     ("brainwashed", "brainwashing", "brainwash", "indoctrination", "indoctrinated", "radicalised", "radicalized",
      "extremist ideas", "groomed", "grooming")),
    (("prosecution", "prosecute", "accountability", "justice", "fair trial"),
     ("trial", "trials", "court", "courts", "judges", "punish", "punished", "punishment", "charged", "convicted")),
    (("homegrown terrorists", "inspiring"), ("lone wolves", "lone wolf", "lone attackers", "self-radicalised", "self-radicalized")),
    (("social media", "online", "private sector", "information space", "propaganda"),
     ("internet", "web", "websites", "tech companies", "tech firms", "platforms", "youtube", "twitter", "facebook",
      "telegram", "digital")),
    (("displaced persons", "refugees", "returns", "IDP"),
     ("fled", "flee", "fleeing", "homeless", "evacuees", "uprooted", "displaced people", "people who fled")),
    (("political transition", "political resolution", "political settlement", "Geneva"),
     ("peace talks", "negotiations", "peace process", "peace deal", "ceasefire", "settlement")),
    (("branches", "affiliates", "networks"),
     ("spin-offs", "spinoffs", "offshoots", "franchises", "franchise", "cells", "provinces", "wilayats", "chapters")),
    (("information sharing", "intelligence"), ("spy agencies", "spies", "intelligence services", "swapping data", "data sharing")),
    (("traveler screening", "borders", "passports", "travel"),
     ("travellers", "travelers", "passengers", "airports", "border checks", "border control")),
    (("reintegration", "rehabilitation", "de-radicalization"),
     ("ex-militants", "former fighters", "ex-fighters", "deradicalisation", "deradicalization", "rehab", "normal life")),
    (("military", "defense", "security forces"),
     ("generals", "army", "armies", "armed forces", "soldiers", "defence", "defence ministries", "commanders")),
    (("war crimes", "crimes against humanity", "atrocities"),
     ("genocide", "massacres", "massacre", "mass killings", "ethnic cleansing")),
    (("reconstruction", "stabilization", "recovery"), ("rebuild", "rebuilding", "repair", "repairing", "restore")),
    (("humanitarian access", "humanitarian assistance"), ("aid", "relief", "food aid", "aid workers", "supplies")),
    (("territory", "territorial"), ("land", "ground", "cities", "towns", "caliphate", "areas held")),
    (("sacrifices", "cost", "lost their lives"), ("deaths", "casualties", "losses", "died", "killed", "human cost")),
    (("new members", "joining the Coalition"), ("joined", "join", "joining", "new countries", "newcomers", "signed up")),
    (("resurgence", "re-emergence", "reconstitute"), ("comeback", "come back", "return of isis", "revival", "rebound")),
    (("insurgent tactics", "insurgency"), ("guerrilla", "guerilla", "hit-and-run", "ambushes", "underground")),
    (("diplomatic facilities", "Coalition personnel", "convoys"), ("embassies", "embassy", "diplomats", "troops", "bases")),
    (("women", "gender"), ("women's rights", "gender equality", "female", "girls' rights")),
    (("sanctions", "designations"), ("blacklist", "blacklisted", "blacklisting", "asset freeze", "asset freezes", "frozen assets")),
    (("liberated", "liberating", "cleared"), ("freed", "recaptured", "retaken", "taken back", "won back", "reclaimed")),
    (("reconciliation",), ("healing divisions", "bringing communities together", "coexistence", "reconcile")),
    (("refugees", "displaced persons", "non-refoulement"), ("asylum seekers", "asylum", "migrants", "deportation")),
    (("minority communities", "minorities"),
     ("yazidis", "yazidi", "christians", "religious minorities", "ethnic minorities", "minority groups")),
    (("military strikes", "military action"), ("bombing", "bombings", "air strikes", "airstrikes", "drone strikes", "air campaign")),
    (("biometric", "lost and stolen passports", "INTERPOL"),
     ("fingerprints", "facial recognition", "travel documents", "stolen passports", "international police")),
    (("northeast Syria", "detainees", "family members"), ("al-hol", "al hol", "hol camp", "roj camp", "camps")),
    (("Lake Chad basin", "Nigeria", "affiliates"), ("iswap", "boko haram", "west africa province")),
    (("Sahel",), ("mali", "burkina faso", "niger", "west africa")),
    (("Mozambique", "East Africa"), ("cabo delgado", "somalia")),
    (("Southeast Asia",), ("philippines", "marawi", "indonesia", "asia")),
    (("reconstruction conference", "pledges", "pledge drive"),
     ("donor conference", "pledging conference", "donations", "donors", "fundraising")),
    (("homelands", "home countries"), ("our countries", "domestic attacks", "attacks at home", "the west")),
)

# Words that frame a question rather than name its topic ("what did the ministers say about ...",
# "compare the statements on ..."); they are left out when judging whether the collection knows a topic.
FRAMING_WORDS = frozenset("""
    what which who whom whose how why when where whether did does do done have has had is are was were
    say said says saying talk talked talks speak spoke mention mentions mentioned describe described describes
    tell told write wrote written compare compared comparison contrast please show find give list me us i you
    minister ministers statement statements communique communiqué meeting meetings document documents text
    according position view views stance about regarding concerning across over time years every all each any
    anything something
""".split())

# Words that name a kind of document rather than a topic.
NEWS_WORDS = ("news", "report", "reported", "article", "press", "media", "coverage", "journalist")
# Title words that name a kind of document or meeting, not one document.
GENERIC_TITLE_WORDS = frozenset({"statement", "statements", "joint", "meeting", "ministers", "ministerial",
                                 "coalition", "global", "defeat", "press", "release", "text", "from"})
ALIAS_WORDS = frozenset(w.lower() for group in ALIASES for s in group for w in re.findall(r"[\w'’]+", s))
# "the latest statement", "the earliest communiqué": which statement, by the metadata's dates.
_DOC_NOUN = r"(statement|communiqu[eé]|meeting|ministerial|declaration|principles)s?"
LATEST = re.compile(rf"\b(latest|most recent|newest|last {_DOC_NOUN}|{_DOC_NOUN} (issued )?last)\b", re.IGNORECASE)
EARLIEST = re.compile(rf"\b(earliest|oldest|first {_DOC_NOUN})\b", re.IGNORECASE)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")


def _alias_body(spelling: str) -> tuple[str, bool]:
    """A spelling as a regular expression (any space or hyphen between words, optional apostrophe),
    and whether it must match in exact case ("IS", "UN", "CT": short upper-case spellings)."""
    body = re.escape(spelling).replace(r"\ ", r"[\s-]+").replace("'", "['’]?")
    return body, spelling.isupper() and len(spelling) <= 3


def _alias_pattern(spelling: str) -> re.Pattern:
    body, exact = _alias_body(spelling)
    return re.compile(rf"(?<![\w'’-]){body}(?![\w'’-])", 0 if exact else re.IGNORECASE)


_ALIAS_PATTERNS = [(group, [_alias_pattern(s) for s in group]) for group in ALIASES]


_THESAURUS_PATTERNS = [(terms, [_alias_pattern(w) for w in lay]) for terms, lay in THESAURUS]


def _canonical_token(group: tuple[str, ...]) -> str:
    """The one word a group's spellings become for BM25: its first spelling without spaces, as the
    tokenizer writes it ("ISIS" -> "isis", "UNSCR" -> "unscr"), so a possessive ("ISIS's") that
    the patterns leave alone still tokenizes to the same word."""
    single = next((s for s in group if " " not in s), group[0])
    return re.sub(r"[^0-9a-z]", "", single.lower())


def _alternative(spelling: str, name: str) -> str:
    """One spelling as a named alternative of the single alias pattern, plurals included
    ("working groups" is the same thing as "working group")."""
    body, exact = _alias_body(spelling)
    body += "(?:e?s)?"
    return f"(?P<{name}>{body})" if exact else f"(?P<{name}>(?i:{body}))"


# Every spelling of every group in one pattern, longest first, so one pass replaces each mention
# once ("ISIS-Khorasan" before "ISIS"; the words kept of a long name are not matched again).
_SPELLINGS = sorted(((s, _canonical_token(g), " " in s) for g in ALIASES for s in g), key=lambda t: -len(t[0]))
_CANONICAL = re.compile(
    r"(?<![\w'’-])(?:" + "|".join(_alternative(s, f"a{i}") for i, (s, _, _) in enumerate(_SPELLINGS)) + r")(?![\w'’-])"
)
# The same canonical word twice in a row ("ISIS/Da'esh", "Daesh/ISIS") is one mention, not two.
_REPEATED = re.compile(r"\b(\w+)(?:\s*/\s*\1\b)+")


def canonical_aliases(text: str, keep_names: bool = False) -> str:
    """Text with every spelling of an alias replaced by its group's one word, for BM25.

    Expanding a question with every other spelling makes BM25 count one idea several times and
    favours paragraphs that write it two ways ("ISIS/Da'esh"), while the question's rare words
    ("2396") are outweighed. Mapping both the paragraphs and the question to one word per group
    counts each idea once, weighted by how rare it is.

    Args:
        keep_names: keep the words of multi-word spellings after the canonical word. For indexed
            paragraphs: a name such as "Counter-Finance Working Group" says what it is about, and a
            question about "finance" should still find it.
    """
    def replace(match: re.Match) -> str:
        _, token, multiword = _SPELLINGS[int(match.lastgroup[1:])]
        return f"{token} ({match.group(0)})" if keep_names and multiword else token

    return _REPEATED.sub(r"\1", _CANONICAL.sub(replace, text))


def lexical_query(question: str, thesaurus: bool = True) -> str:
    """What BM25 searches for: the question plus the statements' terms for its lay words, aliases
    in canonical form (the paragraphs are indexed through ``canonical_aliases`` too)."""
    extra = statement_terms(question) if thesaurus else []
    return canonical_aliases(question if not extra else f"{question} ({'; '.join(extra)})")


def expand_aliases(question: str) -> str:
    """The question followed by every other spelling of each alias it contains."""
    extra = []
    for group, patterns in _ALIAS_PATTERNS:
        if any(p.search(question) for p in patterns):
            extra.extend(s for s, p in zip(group, patterns) if not p.search(question))
    return question if not extra else f"{question} ({'; '.join(extra)})"


def statement_terms(question: str) -> list[str]:
    """The statements' own terms for the lay words in a question (see THESAURUS)."""
    out: list[str] = []
    for terms, patterns in _THESAURUS_PATTERNS:
        if any(p.search(question) for p in patterns):
            out.extend(t for t in terms if t not in out)
    return out


def expand(question: str, thesaurus: bool = True) -> str:
    """The question with its aliases' other spellings and, optionally, the statements' terms."""
    expanded = expand_aliases(question)
    extra = statement_terms(question) if thesaurus else []
    return expanded if not extra else f"{expanded} ({'; '.join(extra)})"


@dataclass(frozen=True)
class DocumentCues:
    """Which documents a question names, by matching its words against document metadata.

    Attributes:
        doc_ids: documents the question points at (empty: it names none).
        strength: how many distinct cues matched (year, place, title words, news words).
    """

    doc_ids: frozenset[str]
    strength: int


@functools.lru_cache(maxsize=4096)  # titles recur on every query; questions are cheap either way
def _words(text: str) -> frozenset[str]:
    """Lower-case words without accents, so "communique" matches "Communiqué"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return frozenset(w.strip("'’").lower() for w in re.findall(r"[\w'’]+", plain))


# A question about what several statements say ("across the statements", "how has ... changed",
# "every mention of"): its answer should cite each statement, not three paragraphs of one.
ACROSS_DOCUMENTS = re.compile(
    r"\b(across|over (the )?(years|time)|every|all (the )?(statements|meetings|mentions|references)"
    r"|each (statement|meeting|communiqu[eé])|compare[ds]?|comparing|develop(ed|ing)?|evolv(ed|ing)?|chang(ed|ing)"
    r"|different (years|statements|meetings)|successive|statements|meetings|communiqu[eé]s)\b",
    re.IGNORECASE,
)


def asks_across_documents(question: str) -> bool:
    """Whether a question asks what several statements say (see ACROSS_DOCUMENTS)."""
    return bool(ACROSS_DOCUMENTS.search(question))


@functools.lru_cache(maxsize=1)
def _not_topic_words() -> frozenset[str]:
    """Framing words and bm25s's longer English stopword list (imported on first use)."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return FRAMING_WORDS | frozenset(STOPWORDS_EN_PLUS)


def topic_words(question: str, collection: Collection) -> list[str]:
    """The words of a question that name its topic: without the words naming a document (see
    ``strip_cues``), framing words and stopwords, in the question's own spelling."""
    stop = _not_topic_words()
    words = re.findall(r"[\w'’-]+", strip_cues(question, collection))
    return [w for w in words if w.lower().strip("'’-") not in stop and len(w.strip("'’-")) > 1]


def document_cues(question: str, collection: Collection) -> DocumentCues:
    """Find the documents a question names by year, place, title words, or as news.

    A cue counts only when it singles out some documents but not all of them: "Washington"
    points at both Washington statements, "2021" at the Rome communiqué, "communiqué" at any
    document with that word in its title, "news report" at news documents. Years and places
    weigh more than title words; words every title shares, words naming a kind of document
    ("statement") and the aliases of the group itself ("Daesh") are not cues.
    """
    words = _words(question)
    docs = collection.documents
    scores: dict[str, int] = {d.id: 0 for d in docs}

    def cue(ids: set[str], weight: int) -> None:
        if ids and len(ids) < len(docs):
            for doc_id in ids:
                scores[doc_id] += weight

    for year in {d.date[:4] for d in docs} & words:
        cue({d.id for d in docs if d.date.startswith(year)}, 2)
    for place in {d.place for d in docs}:
        if re.search(rf"\b{re.escape(place.split(',')[0])}\b", question, re.IGNORECASE):
            cue({d.id for d in docs if d.place == place}, 2)
    for doc in docs:
        if len(doc.date) >= 7 and MONTHS[int(doc.date[5:7]) - 1] in words and doc.date[:4] in words:
            cue({doc.id}, 1)
    common = frozenset.intersection(*(_words(d.title) for d in docs)) if docs else frozenset()
    for word in words - common - GENERIC_TITLE_WORDS - ALIAS_WORDS:
        if len(word) > 3:
            cue({d.id for d in docs if word in _words(d.title)}, 1)
    if words & set(NEWS_WORDS):
        cue({d.id for d in docs if d.source_type == "news"}, 1)
    official = [d for d in docs if d.source_type == "official"] or list(docs)
    if official and LATEST.search(question):
        newest = max(d.date_range[0] for d in official)
        cue({d.id for d in official if d.date_range[0] == newest}, 2)
    if official and EARLIEST.search(question):
        oldest = min(d.date_range[0] for d in official)
        cue({d.id for d in official if d.date_range[0] == oldest}, 2)
    best = max(scores.values(), default=0)
    if best == 0:
        return DocumentCues(frozenset(), 0)
    return DocumentCues(frozenset(d for d, s in scores.items() if s == best), best)


def strip_cues(question: str, collection: Collection) -> str:
    """The question without the words that only name a document (its place, year, title words,
    "news report"): they say which statement, not what about, and the cue boost already uses them.
    Returns the question unchanged when too little would be left."""
    docs = collection.documents
    common = frozenset.intersection(*(_words(d.title) for d in docs)) if docs else frozenset()
    names = {d.date[:4] for d in docs} | set(NEWS_WORDS) | {"communique", "communiqué"}
    names |= {w for d in docs for w in _words(d.title)} - common - GENERIC_TITLE_WORDS - ALIAS_WORDS
    places = [re.escape(p) for p in sorted({d.place for d in docs} | {d.place.split(",")[0] for d in docs}, key=len, reverse=True)]
    text = re.sub(rf"\b({'|'.join(places)})\b", " ", question, flags=re.IGNORECASE) if places else question
    kept = [w for w in re.findall(r"[\w'’-]+|[^\w\s]", text) if _words(w).isdisjoint(names) or not w[:1].isalnum()]
    stripped = " ".join(kept)
    content = [w for w in kept if w[:1].isalnum() and len(w) > 3]
    return stripped if len(content) >= 2 else question


# A question that leans on the one before it: "and in 2019?", "what about Africa?", "same for Rome".
FOLLOW_UP = re.compile(
    r"^\s*(and|also|plus|what about|how about|and what about|same (for|in)|what of|anything (on|about|in)|more on"
    r"|ok(ay)?,? (and|what about)|then)\b|^\s*(in|from|for|by) (the )?(\d{4}|rome|kuwait|washington|[a-z]+ (statement|communiqu[eé]|report))\b",
    re.IGNORECASE,
)
# Short questions that point back with a pronoun ("did they repeat it?") also continue the last one.
PRONOUN = re.compile(r"\b(they|them|it|that|this|those|these|there|the same)\b", re.IGNORECASE)


def contextualize(question: str, previous: list[str]) -> str:
    """The question to search for, given the questions asked before it in the conversation.

    A follow-up ("and in 2019?", "what about the Rome communiqué?", a short question pointing back
    with a pronoun) is searched together with the question it follows; anything else stands alone.

    Args:
        question: what the user typed now.
        previous: the conversation's earlier questions as they were searched, oldest first.
    """
    if not previous:
        return question
    words = question.split()
    if FOLLOW_UP.search(question) or (len(words) <= 6 and PRONOUN.search(question)):
        return f"{previous[-1]} {question}"
    return question
