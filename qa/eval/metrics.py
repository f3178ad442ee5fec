"""Retrieval metrics with ranx: runs, qrels, per-kind tables, recall curves, abstention margins, floors.

hit@k and MRR@10 count only fully answering paragraphs (grade 2), so a hit means the reader got
an answer; recall@k and nDCG@10 use every graded paragraph, so cross-document questions are
scored on how much of the whole answer was found.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from qa.corpus import Collection
from qa.errors import EvalError
from qa.eval.dataset import EVAL_DIR, KINDS, NEWS_CLAIM, UNANSWERABLE, EvalQuestion

DEPTH = 10  # ranks scored; every metric here looks at the top 10 at most
HIT_METRICS = ("hit_rate@1", "hit_rate@3", "hit_rate@5", "mrr@10")
GRADED_METRICS = ("recall@5", "recall@10", "ndcg@10")
COLUMNS = ("hit@1", "hit@3", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10")
FLOORS_FILE = EVAL_DIR / "floors.toml"


@dataclass(frozen=True)
class Ranked:
    """One system's answer to one question: (doc_id, paragraph) best first, and whether it refused."""

    items: tuple[tuple[str, int], ...]
    refused: bool


def key(doc_id: str, paragraph: int) -> str:
    """Document id and paragraph number as one run/qrels key: 'rome-2021#7'."""
    return f"{doc_id}#{paragraph}"


def qrels_dicts(questions: Iterable[EvalQuestion]) -> tuple[dict, dict]:
    """(answers, graded): qrels of grade-2 paragraphs only, and of every graded paragraph."""
    answers = {q.id: {key(g.doc_id, g.paragraph): 1 for g in q.gold if g.grade == 2} for q in questions if q.answerable}
    graded = {q.id: {key(g.doc_id, g.paragraph): g.grade for g in q.gold} for q in questions if q.answerable}
    return answers, graded


def run_dict(questions: Iterable[EvalQuestion], ranked: dict[str, Ranked], news_docs: set[str]) -> dict:
    """A ranx run: strictly decreasing scores (DEPTH - rank), news left out for news claims."""
    run = {}
    for q in questions:
        if not q.answerable:
            continue
        items = [it for it in ranked[q.id].items if not (q.kind == NEWS_CLAIM and it[0] in news_docs)]
        run[q.id] = {key(d, p): float(DEPTH - i) for i, (d, p) in enumerate(items[:DEPTH])}
        if not run[q.id]:
            run[q.id] = {"none#0": 0.0}  # ranx needs an entry; it matches no gold
    return run


def score(questions: list[EvalQuestion], ranked: dict[str, Ranked], collection: Collection) -> dict[str, dict[str, float]]:
    """Metrics per kind and overall: the COLUMNS plus refusal rates.

    Returns:
        {kind or "overall": {metric: value}}; rows of unanswerable kinds carry only ``refused`` (the
        share refused), answerable rows ``false_refusals`` too; ``overall["refused"]`` is the share
        of all unanswerable questions refused.
    """
    from ranx import Qrels, Run, evaluate

    news_docs = {d.id for d in collection.documents if d.source_type == "news"}
    answers, graded = qrels_dicts(questions)
    run = run_dict(questions, ranked, news_docs)
    per_question: dict[str, dict[str, float]] = {q.id: {} for q in questions if q.answerable}
    if run:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's type-safety notes are not ours to act on
            hit = evaluate(Qrels(answers), Run(run), list(HIT_METRICS), return_mean=False, make_comparable=True)
            rec = evaluate(Qrels(graded), Run(run), list(GRADED_METRICS), return_mean=False, make_comparable=True)
        ids = sorted(run)  # ranx orders queries by id
        for metric, values in {**hit, **rec}.items():
            for qid, value in zip(ids, values):
                per_question[qid][metric.replace("hit_rate", "hit")] = float(value)
    table: dict[str, dict[str, float]] = {}
    groups = {kind: [q for q in questions if q.kind == kind] for kind in KINDS}
    groups["overall"] = [q for q in questions if q.answerable]
    for name, group in groups.items():
        if not group:
            continue
        if name in UNANSWERABLE:
            table[name] = {"n": len(group), "refused": sum(ranked[q.id].refused for q in group) / len(group)}
            continue
        row = {"n": len(group)}
        for column in COLUMNS:
            row[column] = sum(per_question[q.id][column] for q in group) / len(group)
        row["false_refusals"] = sum(ranked[q.id].refused for q in group) / len(group)
        table[name] = row
    unanswerable = [q for q in questions if not q.answerable]
    if unanswerable and "overall" in table:
        table["overall"]["refused"] = sum(ranked[q.id].refused for q in unanswerable) / len(unanswerable)
    table["_per_question"] = per_question  # type: ignore[assignment]
    return table


def recall_curve(questions: list[EvalQuestion], ranked: dict[str, Ranked], collection: Collection) -> list[float]:
    """Mean recall@k over answerable questions for k = 1..DEPTH (graded gold)."""
    from ranx import Qrels, Run, evaluate

    news_docs = {d.id for d in collection.documents if d.source_type == "news"}
    _, graded = qrels_dicts(questions)
    run = run_dict(questions, ranked, news_docs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = evaluate(Qrels(graded), Run(run), [f"recall@{k}" for k in range(1, DEPTH + 1)], make_comparable=True)
    return [float(values[f"recall@{k}"]) for k in range(1, DEPTH + 1)]


def risk_coverage(questions: list[EvalQuestion], per_question: dict[str, dict[str, float]],
                  confidences: dict[str, float]) -> list[tuple[float, float, float]]:
    """The risk-coverage curve of the abstention confidence (Geifman & El-Yaniv, NeurIPS 2017).

    Answering only questions whose confidence is at least t, for every t the questions reach: the
    share of all questions answered (coverage) and the share of those answers that are wrong
    (risk: an unanswerable question answered, or an answerable one whose first paragraph does not
    answer it). Returns (coverage, risk, t), from the highest t (fewest answered) down.
    """
    wrong = {q.id: (not q.answerable) or per_question.get(q.id, {}).get("hit@1", 0.0) < 1 for q in questions}
    ordered = sorted(questions, key=lambda q: -confidences[q.id])
    out, errors = [], 0
    for i, q in enumerate(ordered, start=1):
        errors += wrong[q.id]
        if i == len(ordered) or confidences[ordered[i].id] < confidences[q.id]:  # ties answered together
            out.append((i / len(ordered), errors / i, confidences[q.id]))
    return out


def area_under_risk_coverage(curve: list[tuple[float, float, float]]) -> float:
    """Mean risk over coverage (lower is better): each step's risk weighted by the coverage it adds."""
    area, last = 0.0, 0.0
    for coverage, risk, _ in curve:
        area += (coverage - last) * risk
        last = coverage
    return area


def abstention_margin(questions: list[EvalQuestion], confidences: dict[str, float], how: str) -> str:
    """How unanswerable and answerable questions' confidences meet, for the abstention rule ``how``."""
    off = sorted(confidences[q.id] for q in questions if not q.answerable)
    ans = sorted(confidences[q.id] for q in questions if q.answerable)
    if not off or not ans:
        return ""
    return (f"abstention ({how}): unanswerable confidence max {off[-1]:.3f}, answerable min "
            f"{ans[0]:.3f} (2nd {ans[1] if len(ans) > 1 else ans[0]:.3f})")


def read_floors(path: Path = FLOORS_FILE) -> dict[str, float]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))["overall"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise EvalError(f"floors file {path} cannot be read ({exc}); it needs an [overall] table") from None


def below_floors(table: dict, floors: dict[str, float]) -> list[str]:
    """Each overall figure that fell below (or, for false refusals, above) its recorded floor."""
    overall = table["overall"]
    problems = []
    for metric, floor in floors.items():
        if metric == "false_refusals_max":
            if overall["false_refusals"] > floor:
                problems.append(f"false refusals {overall['false_refusals']:.3f} > {floor}")
        elif overall.get(metric, 0.0) < floor:
            problems.append(f"{metric} {overall.get(metric, 0.0):.3f} < {floor}")
    return problems
