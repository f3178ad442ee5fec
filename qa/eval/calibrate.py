"""Fit the abstention models (``qa/abstain.py``) on the tuning halves of the eval sets.

    python -m qa calibrate          # writes qa/calibration/<model>.json and prints how it does

Each stage is a logistic regression (scikit-learn, standardised features, L2 penalty, classes
balanced) of answerable questions against one kind of unanswerable ones: ``subject`` against
far off-topic questions, ``specific`` against near-subject ones. With several models, ``subject``
reads the similarities of the one that best separates answerable from off-topic questions on
the tuning half (area under the ROC curve): E5 scores everything 0.75 or more, which leaves
MiniLM's wider scale the clearer judge of "far from everything". The two thresholds are chosen
on five-fold cross-validated probabilities of the tuning half: the pair that refuses the most
unanswerable questions while refusing at most ``max_false_refusals`` of the answerable ones.
The test halves are never read here; ``python -m qa eval --split test`` reports them.

Questions the engine reads as another language than the collection's (``qa.language``) are
judged by a third stage alone, ``language``, fitted on them: answerable ones against all
unanswerable ones, by the first model's best similarities (their words match nothing, so the
word signals say nothing of them). It is fitted when the tuning halves hold at least ``FOLDS``
of each; its threshold is chosen as the others' are.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from qa.abstain import LANGUAGE_STAGE, OTHER_LANGUAGE, Calibration, Stage
from qa.errors import EvalError
from qa.eval.dataset import NEAR_SUBJECT, OFF_TOPIC, EvalQuestion

C = 1.0  # inverse L2 strength (0.3 / 1.0 on the tuning half: near-subject refused 0.71 / 0.86 at 2.2% false refusals)
FOLDS = 5
GRID = np.round(np.linspace(0.05, 0.95, 19), 2)
LANGUAGE_FEATURES = ["dense_top", "dense_mean3"]


@dataclass(frozen=True)
class Fit:
    calibration: Calibration
    rates: dict[str, float]  # on the tuning half, cross-validated: answerable / near / far refused


def stage_features(questions: Sequence[EvalQuestion], rows: list[dict[str, float]]) -> dict[str, list[str]]:
    """The signals each stage reads (see the module's docstring for the subject stage's model)."""
    from sklearn.metrics import roc_auc_score

    views = ["dense"] + sorted({k.split("_")[0] for k in rows[0] if k.startswith("view")})
    pairs = [(q.answerable, r) for q, r in zip(questions, rows) if q.answerable or q.kind == OFF_TOPIC]
    labels = [a for a, _ in pairs]
    clearest = max(views, key=lambda v: roc_auc_score(labels, [r[f"{v}_top"] for _, r in pairs]))
    return {"subject": [f"{clearest}_top", f"{clearest}_mean3", "coverage_all", "missing_share"],
            "specific": [f"{v}_top" for v in views] + ["coverage_all", "missing_share", "missing_name", "all_missing"]}


def collect(engine, questions: Sequence[EvalQuestion]) -> list[dict[str, float]]:
    """Each question's abstention signals, searched without any calibration."""
    plain = engine.with_settings(calibrated=False)
    return [plain.search(q.question, k=5).signals for q in questions]


def _model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000, class_weight="balanced"))


def _matrix(rows: list[dict[str, float]], features: list[str]) -> np.ndarray:
    return np.array([[r.get(f, 0.0) for f in features] for r in rows], dtype=np.float64)


def _stage_probabilities(questions, rows, features, negative) -> tuple[np.ndarray, object]:
    """Cross-validated P(answerable) for every question, and the model fitted on all of them."""
    from sklearn.model_selection import StratifiedKFold

    kinds = np.array([q.kind for q in questions])
    probabilities = np.zeros(len(questions))
    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(kinds)), kinds):
        use = [i for i in train if questions[i].answerable or questions[i].kind == negative]
        model = _model().fit(_matrix([rows[i] for i in use], features), [questions[i].answerable for i in use])
        probabilities[held] = model.predict_proba(_matrix([rows[i] for i in held], features))[:, 1]
    use = [i for i, q in enumerate(questions) if q.answerable or q.kind == negative]
    model = _model().fit(_matrix([rows[i] for i in use], features), [questions[i].answerable for i in use])
    return probabilities, model


def refusal_rates(questions, answered: np.ndarray) -> dict[str, float]:
    """Shares refused: of answerable questions (wrongly), of near-subject and of far off-topic ones."""
    def share(select):
        chosen = [not a for q, a in zip(questions, answered) if select(q)]
        return float(np.mean(chosen)) if chosen else float("nan")

    return {"answerable": share(lambda q: q.answerable), "near_subject": share(lambda q: q.kind == NEAR_SUBJECT),
            "off_topic": share(lambda q: q.kind == OFF_TOPIC)}


def fit(model_name: str, questions: Sequence[EvalQuestion], rows: list[dict[str, float]],
        max_false_refusals: float = 0.025, fitted_on: str = "") -> Fit:
    """Fit both stages and choose their thresholds (see the module's docstring).

    Raises:
        EvalError: when the questions hold fewer than ``FOLDS`` of a kind a stage is fitted on, or
            no thresholds keep to ``max_false_refusals``.
    """
    # A question refused before any judging has no signals (one in another language, searched with
    # a model that reads the collection's language only): no stage decides it, none is fitted on it.
    judged = [(q, r) for q, r in zip(questions, rows) if r]
    questions, rows = [q for q, _ in judged], [r for _, r in judged]
    other = [bool(r.get(OTHER_LANGUAGE)) for r in rows]
    language = _language_stage([q for q, o in zip(questions, other) if o], [r for r, o in zip(rows, other) if o],
                               max_false_refusals)
    questions = [q for q, o in zip(questions, other) if not o]
    rows = [r for r, o in zip(rows, other) if not o]
    counts = {"answerable": sum(q.answerable for q in questions),
              **{kind: sum(q.kind == kind for q in questions) for kind in (OFF_TOPIC, NEAR_SUBJECT)}}
    for kind, count in counts.items():
        if count < FOLDS:
            raise EvalError(f"the tuning halves hold {count} {kind} questions; fitting needs at least {FOLDS} (one "
                            f"per cross-validation fold): add {kind} questions to an eval set's tuning half")
    features = stage_features(questions, rows)
    probs, stages = {}, {}
    for name, negative in (("subject", OFF_TOPIC), ("specific", NEAR_SUBJECT)):
        probs[name], stages[name] = _stage_probabilities(questions, rows, features[name], negative)
    best = None
    for t_subject, t_specific in itertools.product(GRID, GRID):
        answered = (probs["subject"] >= t_subject) & (probs["specific"] >= t_specific)
        rates = refusal_rates(questions, answered)
        if rates["answerable"] > max_false_refusals:
            continue
        key = (np.nansum([rates["near_subject"], rates["off_topic"]]), -t_subject - t_specific)
        if best is None or key > best[0]:
            best = (key, {"subject": float(t_subject), "specific": float(t_specific)}, rates)
    if best is None:
        raise EvalError(f"no thresholds refuse at most {max_false_refusals:.1%} of answerable questions on the tuning "
                        f"halves; allow more with --max-false-refusals, or look for answerable questions there that "
                        f"are far from every paragraph")
    _, thresholds, rates = best
    fitted = [_stage(name, features[name], stages[name], thresholds[name]) for name in ("subject", "specific")]
    if language is not None:
        fitted.append(language[0])
        rates = {**rates, **language[1]}
    return Fit(Calibration(model_name, tuple(fitted), fitted_on), rates)


def _language_stage(questions: list[EvalQuestion], rows: list[dict[str, float]],
                    max_false_refusals: float) -> tuple[Stage, dict[str, float]] | None:
    """The ``language`` stage fitted on questions read as another language, and its refusal
    rates (cross-validated); None when there are fewer than ``FOLDS`` answerable or unanswerable ones."""
    answerable = sum(q.answerable for q in questions)
    if min(answerable, len(questions) - answerable) < FOLDS:
        return None
    labels = [q.answerable for q in questions]
    probabilities = np.zeros(len(questions))
    from sklearn.model_selection import StratifiedKFold

    for train, held in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels):
        model = _model().fit(_matrix([rows[i] for i in train], LANGUAGE_FEATURES), [labels[i] for i in train])
        probabilities[held] = model.predict_proba(_matrix([rows[i] for i in held], LANGUAGE_FEATURES))[:, 1]
    best = None
    for threshold in GRID:
        answered = probabilities >= threshold
        wrong = float(np.mean([not a for a, y in zip(answered, labels) if y]))
        refused = float(np.mean([not a for a, y in zip(answered, labels) if not y]))
        if wrong <= max_false_refusals and (best is None or (refused, -threshold) > (best[1], -best[0])):
            best = (float(threshold), refused, wrong)
    if best is None:
        return None
    model = _model().fit(_matrix(rows, LANGUAGE_FEATURES), labels)
    return (_stage(LANGUAGE_STAGE, LANGUAGE_FEATURES, model, best[0]),
            {"other_language_answerable": best[2], "other_language_unanswerable": best[1]})


def _stage(name: str, features: list[str], model, threshold: float) -> Stage:
    """A fitted pipeline (``_model``) as the ``Stage`` kept in the calibration file."""
    scaler, regression = model[0], model[-1]
    return Stage(name, tuple(features), tuple(map(float, scaler.mean_)), tuple(map(float, scaler.scale_)),
                 tuple(map(float, regression.coef_[0])), float(regression.intercept_[0]), float(threshold))


def keep_stages(result: Fit, before: Calibration | None, names: list[str]) -> Fit:
    """``result`` with only the stages ``names`` taken from it and the others from ``before`` (the
    calibration in use), its ``fitted_on`` saying which were refitted on what, and its rates only
    those of the stages refitted (``python -m qa calibrate --stage``).

    Raises:
        EvalError: when a stage named was not fitted, or there is no calibration to keep the others of.
    """
    fitted = {s.name: s for s in result.calibration.stages}
    if unknown := [n for n in names if n not in fitted]:
        raise EvalError(f"--stage {unknown[0]!r} was not fitted; the stages fitted are {', '.join(fitted)}")
    if before is None:
        raise EvalError("--stage keeps the other stages of the current calibration, and there is none for this "
                        "model; run calibrate without --stage first")
    kept = [fitted[s.name] if s.name in names else s for s in before.stages]
    kept += [fitted[n] for n in names if n not in {s.name for s in before.stages}]
    refit = ", ".join(names)
    said = [part for part in before.fitted_on.split("; ") if not any(part.startswith(f"{n} on ") for n in names)]
    rates = {k: v for k, v in result.rates.items() if k.startswith("other_language") == (LANGUAGE_STAGE in names)}
    return replace(result, rates=rates, calibration=replace(result.calibration, stages=tuple(kept), fitted_on="; ".join(
        said + [f"{refit} on {result.calibration.fitted_on}"])))
