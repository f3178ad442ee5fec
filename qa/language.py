"""Language: whether a question is written in another language than the collection's.

A question in French of an English collection has almost none of its words: the word views
find nothing, spelling "corrects" its words into English ones, and abstention, which reads how
much of the question the collection's words cover, refuses it. A multilingual model (E5) still
reads it: its question and paragraph vectors meet across languages. So a question that reads as
another language is searched by meaning alone, with the models that read it, and judged by how
close its best paragraphs are (``qa.abstain``, the ``language`` stage); the answer says so.

The language is told by a language identifier (py3langid: a byte n-gram model shipped in its
package, about 0.05 ms a question) against the code in the collection's language file
(``code = "en"``): the probability it gives the collection's language, over its 97. Its best
guess is often wrong on short English keyword questions ("support for Nigeria in the Lake Chad
basin": Nigerian Pidgin, 0.87) and spread among kin on others (Spanish 0.46 beside Galician and
Portuguese), but the collection's language gets almost nothing from a question in another:
at most 0.013 on the 58 of ``eval/languages.jsonl``, while English keyword strings of names
get as little ("Libya instability Benghazi Sirte": 0.003). Those are the collection's own words,
so a question reads as another language only when all of these hold:

- it has at least ``MIN_WORDS`` words;
- the identifier gives the collection's language at most ``1 - SURE`` of its probability;
- at least ``UNKNOWN_SHARE`` of its words not written with a capital are neither words of the
  collection's language (its word list) nor the collection's own words. Names are left out: a
  keyword question of names the collection lacks ("Benghazi Sirte") is no sign of a language.

Measured: none of the 653 English questions of the eval sets and the test collections reads as
another language; 56 of the 58 of ``eval/languages.jsonl`` do. Not "La lotta contro la propaganda
dell'ISIS sui social media", whose words are mostly English ones too, nor "Welche Nebenwirkungen
hat Ibuprofen?", whose one word without a capital is English: both are searched as English
questions are.
"""

from __future__ import annotations

import re
import threading
from typing import Callable

SURE = 0.98
MIN_WORDS = 3
UNKNOWN_SHARE = 0.25
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_lock = threading.Lock()
_identifier = None


def _identify(text: str) -> list[tuple[str, float]]:
    """The identifier's languages for ``text``, most probable first, each with its probability
    (normalised over its languages)."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ranked = _identifier.rank(text)
    return [(str(code), float(p)) for code, p in ranked]


def warm() -> None:
    """Load the identifier now (0.8 s here), not at the first question that needs it."""
    _identify("warm")


def other_language(text: str, code: str, known: Callable[[str], bool]) -> str:
    """The code of the language ``text`` reads as when that is not ``code`` (see the module's
    docstring), else "". ``known``: whether a word is of the collection's language or the
    collection's own. A collection whose language file gives no code is never checked."""
    if not code:
        return ""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return ""
    plain = [w for w in words if not w[0].isupper()]  # names aside: a collection lacks many in any language
    unknown = sum(not known(w) for w in plain)
    if not plain or unknown < UNKNOWN_SHARE * len(plain):
        return ""
    ranked = _identify(text)
    ours = dict(ranked).get(code, 0.0)
    return ranked[0][0] if ranked[0][0] != code and ours <= 1.0 - SURE else ""
