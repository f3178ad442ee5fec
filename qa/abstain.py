"""Abstention: whether the collection answers a question at all, and if not, why.

A question fails in one of two ways, and each has its own small model (logistic regression over
``signals``, fitted on the eval sets' tuning halves by ``python -m qa calibrate`` and kept as
data in ``qa/calibration/<models>.json``; a collection fitted on its own questions keeps its own
beside its documents, ``<corpus>/calibration/<models>.json``, which is then read instead):

- ``subject``: it is far from everything in the collection (a cake recipe, a football score):
  told by how similar the best paragraphs are in each model's space and how much of the
  question the collection's words cover;
- ``specific``: it is on the collection's subject but asks what the collection does not say (the
  2015 Paris attacks, Hezbollah): told mostly by the question's names and words the collection
  never uses, and how little of it the best paragraph covers.

A question is answered when both models say it is answerable at their thresholds (chosen so
that at most a few percent of answerable questions are refused); ``confidence`` is the lower of
the two probabilities. Models without a calibration file fall back to the older rule: the mean
dense similarity of the best paragraphs against ``abstain_threshold``, and refusal when none of
the question's topic words occurs in the collection (``unknown_topic``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from qa.analyze import Analyzer, without_possessive
from qa.config import QuerySettings
from qa.errors import ModelError
from qa.fuse import word_coverage
from qa.types import Candidates, Query, Verdict

CALIBRATION_DIR = Path(__file__).resolve().parent / "calibration"
COLLECTION_CALIBRATION = "calibration"  # a collection's own models: <corpus>/calibration/<model>.json


@dataclass(frozen=True)
class Stage:
    """One fitted logistic regression: standardised features, weights, and the threshold to answer."""

    name: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, signals: dict[str, float]) -> float:
        """P(answerable) from this stage's view of the signals."""
        z = self.intercept + sum(c * (signals.get(f, 0.0) - m) / s
                                 for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef))
        return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class Calibration:
    """The abstention models of one model combination (``Settings.model``)."""

    model: str
    stages: tuple[Stage, ...]
    fitted_on: str = ""
    source: str = ""  # the file it was read from (not written into it)

    def to_json(self) -> dict:
        return {"model": self.model, "fitted_on": self.fitted_on,
                "stages": [{k: getattr(s, k) for k in Stage.__dataclass_fields__} for s in self.stages]}

    @classmethod
    def from_json(cls, row: dict) -> "Calibration":
        stages = tuple(Stage(s["name"], tuple(s["features"]), tuple(s["mean"]), tuple(s["scale"]), tuple(s["coef"]),
                             float(s["intercept"]), float(s["threshold"])) for s in row["stages"])
        return cls(row["model"], stages, row.get("fitted_on", ""))


def calibration_path(model: str, corpus_dir: Path | None = None) -> Path:
    """Where a model combination's abstention models are kept: the package's default, fitted on
    the bundled eval sets (``qa/calibration/<model>.json``), or a collection's own, fitted on its
    own questions by ``python -m qa calibrate --set`` and kept beside its documents
    (``<corpus>/calibration/<model>.json``). A model given as a folder's path is named by it as
    one file name ("/models/mpnet" -> "models_mpnet.json"), kept in the same folder as the others."""
    name = re.sub(r"[^\w.+-]+", "_", model).strip("_.") or "model"
    return (Path(corpus_dir) / COLLECTION_CALIBRATION if corpus_dir is not None else CALIBRATION_DIR) / f"{name}.json"


def load_calibration(model: str, corpus_dir: Path | None = None) -> Calibration | None:
    """The abstention models fitted for a model combination: the collection's own where
    ``corpus_dir`` holds one, else the package's default, else None where none was fitted.
    ``Calibration.source`` says which file it came from.

    Raises:
        ModelError: when the file exists but cannot be read.
    """
    own = calibration_path(model, corpus_dir) if corpus_dir is not None else None
    path = own if own is not None and own.is_file() else calibration_path(model)
    if not path.is_file():
        return None
    try:
        return replace(Calibration.from_json(json.loads(path.read_text(encoding="utf-8"))), source=str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fix = "python -m qa calibrate --set <your eval set>" if path == own else "python -m qa calibrate"
        raise ModelError(f"abstention calibration {path} cannot be read ({exc}); refit it with: {fix}, "
                         f"or delete it to use the default") from None


def save_calibration(calibration: Calibration, path: Path) -> None:
    """Write the models as JSON, atomically (a search never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(calibration.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)


def confidence(best: np.ndarray, top: int) -> float:
    """Mean of the ``top`` highest similarities (fewer when there are fewer)."""
    values = np.sort(np.asarray(best))[-top:]
    return float(values.mean()) if len(values) else 0.0


def unknown_topic(query: Query, analyzer: Analyzer, vocabulary: frozenset[str], ubiquitous: frozenset[str]) -> list[str]:
    """The question's topic words when not one of them occurs in the collection, else [].

    Aliases count in their canonical form and lay words the profile knows count as known; words in
    most paragraphs ("ISIS") are not topic words. A question with no topic words left ("what did
    they say?") is not judged here.
    """
    if query.lay_terms:
        return []
    words = {w: [t for t in analyzer.canonical_terms(w) if t not in ubiquitous] for w in query.topic_words}
    tokens = [t for ts in words.values() for t in ts]
    if not tokens or any(t in vocabulary for t in tokens):
        return []
    return [w for w, ts in words.items() if ts]


OTHER_LANGUAGE = "other_language"  # the signal set to 1 for a question in another language (``qa.language``)
LANGUAGE_STAGE = "language"  # the stage that judges those questions, and only those


def judge_other_language(calibration: Calibration | None, signals: dict[str, float],
                         scope: str = "the collection") -> Verdict:
    """Answerable or not, for a question in another language than the collection's: by the
    ``language`` stage alone (how close its best paragraphs are in the model that reads it), as
    none of its words can be matched. Without that stage it is answered, and the note says that it
    was not judged."""
    stage = next((s for s in calibration.stages if s.name == LANGUAGE_STAGE), None) if calibration else None
    if stage is None:
        return Verdict(True, 0.5, ("whether the collection answers it was not judged: there is no fitted model for "
                                   "questions in other languages (python -m qa calibrate fits one)",))
    p = stage.probability(signals)
    notes = () if p >= stage.threshold else (f"the question is far from every paragraph in {scope}",)
    return Verdict(p >= stage.threshold, round(against_threshold(p, stage.threshold), 4), notes, p)


def judge_read(calibration: Calibration, signals: dict[str, float]) -> Verdict:
    """The verdict of a calibration on signals read before (``Answer.signals``), by the stages
    that judge that kind of question; names of missing words are not known here."""
    if signals.get(OTHER_LANGUAGE):
        return judge_other_language(calibration, signals)
    return judge_calibrated(calibration, signals, [])


def judge_calibrated(calibration: Calibration, signals: dict[str, float], missing: list[str],
                     scope: str = "the collection") -> Verdict:
    """Answerable or not by the fitted stages, with the reason when not.

    Its confidence is the lowest of the stages' probabilities, each set against its own
    threshold (its odds divided by the threshold's: ``against_threshold``), so that one number
    reads against one bar: the question is answered at 0.5 and above, whichever stage is the
    doubtful one.

    Args:
        scope: what was searched, as the reason names it ("the documents selected" under filters).
    """
    probabilities = {stage.name: (stage.probability(signals), stage.threshold) for stage in calibration.stages
                     if stage.name != LANGUAGE_STAGE}
    failed = [name for name, (p, t) in probabilities.items() if p < t]
    notes: tuple[str, ...] = ()
    if failed:
        if missing:
            notes = (never(scope, missing),)
        elif "subject" in failed:
            notes = (f"the question is far from every paragraph in {scope}",)
        else:
            notes = ("the closest paragraphs do not speak of what the question asks",)
    return Verdict(not failed, round(min(against_threshold(p, t) for p, t in probabilities.values()), 4), notes,
                   min(p for p, _ in probabilities.values()))


def against_threshold(probability: float, threshold: float) -> float:
    """A probability on the scale where its threshold is 0.5: odds over the threshold's odds
    (0.25 against 0.25 is 0.5; 0.5 against 0.25 is 0.75; 0.1 against 0.25 is 0.25)."""
    if probability <= 0.0 or threshold >= 1.0:
        return 0.0
    if probability >= 1.0 or threshold <= 0.0:
        return 1.0
    odds = (probability / (1.0 - probability)) / (threshold / (1.0 - threshold))
    return odds / (1.0 + odds)


def judge(query: Query, best: np.ndarray, unknown: list[str], settings: QuerySettings) -> Verdict:
    """Answerable or not by the older rule (see the module's docstring)."""
    conf = confidence(best, settings.confidence_top)
    answerable = conf >= settings.abstain_threshold
    if unknown and answerable and conf < settings.unknown_topic_override:
        answerable = False
    notes = (never("the collection", unknown),) if unknown and not answerable else ()
    return Verdict(answerable, round(conf, 4), notes)


def listing(words: list[str]) -> str:
    """Quoted words as a reader lists them: "'a'", "'a' or 'b'", "'a', 'b' or 'c'"."""
    quoted = [repr(w) for w in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def never(scope: str, words: list[str]) -> str:
    """What the documents searched lack, said as a reason: "the collection never mentions
    'Hezbollah'", "... never uses the words 'ransom' or 'hostages'", or both joined by "and".

    Args:
        scope: what was searched ("the collection", "the documents selected", "the document named (...)").
    """
    s = "" if scope.startswith("the documents") else "s"
    names = [w for w in words if is_name(w)]
    plain = [w for w in words if not is_name(w)]
    parts = ([f"never mention{s} {listing(names)}"] if names else []) + (
        [f"never use{s} the word{'s' if len(plain) > 1 else ''} {listing(plain)}"] if plain else [])
    return f"{scope} {' and '.join(parts)}"


def as_named(words: list[str], text: str) -> list[str]:
    """Missing words as a reader names them: names standing side by side in the question as one
    ("Sri Lanka", "Abu Bakr", "November 2015 Paris" rather than "2015", "Paris" and "November
    2015"), in the question's order and spelling; plain words and names not found in it as they are.
    """
    spans, found = [], set()
    for w in words:
        m = re.search(rf"(?<![\w'’-]){re.escape(w)}(?![\w-])", text) if is_name(w) else None
        if m:
            spans.append([m.start(), m.end()])
            found.add(w)
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:  # overlapping, or apart by spaces only: one name
        if merged and (start <= merged[-1][1] or not text[merged[-1][1]:start].strip()):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [text[a:b] for a, b in merged] + [w for w in words if w not in found]


def is_name(word: str) -> bool:
    """A name or number: capitalised, or with a digit ("Libya", "COVID-19", "2396")."""
    return word[:1].isupper() or any(c.isdigit() for c in word)


def missing_words(query: Query, analyzer: Analyzer, known: Callable[[str, tuple[str, ...]], bool],
                  as_name: Callable[[str, tuple[str, ...]], bool] | None = None) -> list[str]:
    """The question's topic words of which the searched documents use none (in the question's
    spelling, without a possessive 's or '). A place's name counts as used when the documents use
    another form of it (the language's ``place_forms``: "American" where they say "United States").
    A compass word (``place_qualifiers``) is no topic of its own: not before a common noun
    ("Western soldiers"), nor before a place the documents use ("West African"), nor before a
    name they use only as a name ("North Tyrol" where they write "Tyrol", but never "tyrol"). It
    counts before a place of its own ("South Sudan") or a common noun written as part of a name
    ("North Sea" where the documents write "the sea").

    Args:
        known: whether a word (given with its BM25 terms) occurs in the documents searched.
        as_name: whether the documents searched write a word they use only with a capital.
    """
    def qualifies_a_used_place(word: str) -> bool:
        after = re.search(rf"(?<![\w'’-]){re.escape(word)}[\s-]+([^\W\d_][\w'’-]*)", query.searched or query.text)
        place = without_possessive(after.group(1)) if after else ""
        if not place[:1].isupper():
            return True  # a direction, not a name ("Western soldiers", "the West")
        if f"{word} {place}".lower() in analyzer.profile.place_forms:
            return False  # a place of its own ("South Sudan", "North Korea"), not one qualified
        if place.lower() in analyzer.profile.place_forms:
            return is_used(place, analyzer, known)
        terms = analyzer.canonical_terms(place)
        return bool(as_name and terms and known(place, terms) and as_name(place, terms))

    out = []
    for word in query.topic_words:
        terms = analyzer.canonical_terms(word)
        if not terms or is_used(word, analyzer, known):
            continue
        if word.lower() in analyzer.profile.place_qualifiers and qualifies_a_used_place(word):
            continue
        out.append(without_possessive(word))
    return out


def is_used(word: str, analyzer: Analyzer, known: Callable[[str, tuple[str, ...]], bool]) -> bool:
    """Whether the documents use a word, or another form of the place it names (the language's
    ``place_forms``: "American" where they say "United States"), or, for a decade (the language's
    ``decade`` pattern: "the mid-2030s"), any year of it.

    Args:
        known: whether a word (given with its BM25 terms) occurs in the documents searched.
    """
    terms = analyzer.canonical_terms(word)
    if terms and known(word, terms):
        return True
    decade = analyzer.profile.pattern("decade").fullmatch(word)  # "2020's" read either way
    if decade:  # "the mid-2030s": any year of it ("by 2035")
        years = (f"{decade['decade']}{d}" for d in range(10))
        return any(known(year, terms) for year in years if (terms := analyzer.canonical_terms(year)))

    def uses(form: str) -> bool:  # each of its searchable words occurs ("United States")
        # The index keeps no case: "US" and "CAR" would be found as the words "us" and "car"; "EU" is none.
        if form.isupper() and (form.lower() in (words := analyzer.profile.language_words()) or not words):
            return False
        parts = [(part, terms) for part in form.split() if (terms := analyzer.canonical_terms(part))]
        return bool(parts) and all(known(part, terms) for part, terms in parts)

    return any(uses(form) for form in analyzer.profile.place_forms.get(without_possessive(word).lower(), ()))


def signals(query: Query, candidates: Candidates, top_id: str | None, missing: list[str],
            unknown_weight: float, one_word_hold: float = 0.0) -> dict[str, float]:
    """What abstention reads of one search, each scale-free or in the model's cosine units.

    - ``dense_top`` / ``dense_mean3``: the best passage similarity, and the mean of the best three;
    - ``dense_spread``: how far the best stands above the candidates' median;
    - ``coverage_top``: the largest share of the question's BM25 weight one paragraph matches;
    - ``coverage_answer``: that share for the paragraph ranked first;
    - ``agree``: 1 when the dense view's best paragraph is also among the word view's best three;
    - ``coverage_all``: ``coverage_top`` counting the words the collection lacks at the highest weight;
    - ``missing_share``: the share of the question's topic words the collection never uses;
    - ``all_missing``: 1 when it uses none of them;
    - ``missing_name``: 1 when one of those is a name or number (capitalised, or with a digit);
    - ``view<n>_top`` / ``view<n>_mean3``: the best similarities in the n-th further model's space.
    """
    best = np.asarray(candidates.best, dtype=np.float64)
    bound = candidates.lexical_bound
    # As fusion counts it (a one-word question covered by the paragraphs holding its word), but
    # over the bound of the words the collection has: ``coverage_all`` adds those it lacks.
    covered = word_coverage(replace(candidates, lexical_unknown=0.0), one_word_hold)
    ids = candidates.ids
    dense_best = ids[int(np.argmax(best))] if len(best) else None
    word_best = {ids[i] for i in np.argsort(-covered, kind="stable")[:3] if covered[i] > 0}
    topic = [w for w in query.topic_words]
    views = {}
    for n, view in enumerate(candidates.view_best, start=1):
        views[f"view{n}_top"] = float(np.max(view)) if len(view) else 0.0
        views[f"view{n}_mean3"] = confidence(view, 3)
    return {
        **views,
        "dense_top": float(best.max()) if len(best) else 0.0,
        "dense_mean3": confidence(best, 3),
        "dense_spread": float(best.max() - np.median(best)) if len(best) else 0.0,
        "coverage_top": float(covered.max()) if len(covered) else 0.0,
        "coverage_answer": float(covered[ids.index(top_id)]) if top_id in ids else 0.0,
        "agree": float(dense_best in word_best),
        "coverage_all": (float(covered.max()) * bound / (bound + unknown_weight * len(missing))
                         if len(covered) and bound > 0 else 0.0),
        "missing_share": len(missing) / len(topic) if topic else 0.0,
        "all_missing": float(bool(topic) and len(missing) == len(topic)),
        "missing_name": float(any(is_name(w) for w in missing)),
    }
