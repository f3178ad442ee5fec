"""Retrieval evaluation: the eval set, runs of our engine (and peers), and metrics from ranx.

The eval set is JSON lines, one question per line::

    {"id": "direct-01", "kind": "direct", "question": "...",
     "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 2}]}

``grade`` 2 means the paragraph answers the question, 1 that it answers part of it. Off-topic
questions have no gold and must be refused. For ``news_claim`` questions (a claim taken from a
news report, to be traced to the official paragraph it summarises) news documents are left out
of the ranking before scoring.

Metrics (ranx): hit@k and MRR@10 count only fully answering paragraphs (grade 2), so a hit means
the reader got an answer; recall@k and nDCG@10 use every graded paragraph, so cross-document
questions are scored on how much of the whole answer was found.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from qa.corpus import Collection
from qa.errors import EvalError

KINDS = ("direct", "paraphrase", "vocabulary", "document", "cross_document", "news_claim", "off_topic")
OFF_TOPIC = "off_topic"
NEWS_CLAIM = "news_claim"
DEPTH = 10  # ranks scored; every metric here looks at the top 10 at most
HIT_METRICS = ("hit_rate@1", "hit_rate@3", "hit_rate@5", "mrr@10")
GRADED_METRICS = ("recall@5", "recall@10", "ndcg@10")
COLUMNS = ("hit@1", "hit@3", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10")


@dataclass(frozen=True)
class Gold:
    doc_id: str
    paragraph: int
    grade: int


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    kind: str
    question: str
    gold: tuple[Gold, ...]

    @property
    def answerable(self) -> bool:
        return self.kind != OFF_TOPIC


@dataclass(frozen=True)
class Ranked:
    """One system's answer to one question: (doc_id, paragraph) best first, and whether it refused."""

    items: tuple[tuple[str, int], ...]
    refused: bool


def load_eval_set(path: Path | str, collection: Collection) -> list[EvalQuestion]:
    """Read and check an eval set against the collection.

    Raises:
        EvalError: naming the line and what is wrong (bad JSON, unknown kind, doc id or paragraph,
            duplicate id, off-topic question with gold or answerable one without).
    """
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"eval set {path} not found; pass one with --set")
    paragraphs = {(d.id, p.number) for d in collection.documents for p in d.paragraphs}
    docs = {d.id for d in collection.documents}
    questions, seen = [], set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{where} is not valid JSON ({exc.msg}); each line must be one JSON object") from None
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) and row.get(k) for k in ("id", "kind", "question")):
            raise EvalError(f"{where} needs string fields id, kind and question")
        if row["kind"] not in KINDS:
            raise EvalError(f"{where}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        if row["id"] in seen:
            raise EvalError(f"{where}: id {row['id']!r} is used twice; ids must be unique")
        seen.add(row["id"])
        gold = []
        for g in row.get("gold", []):
            if not isinstance(g, dict) or g.get("doc_id") not in docs:
                raise EvalError(f"{where}: gold doc_id {g.get('doc_id') if isinstance(g, dict) else g!r} is not in "
                                f"the collection ({', '.join(sorted(docs))})")
            if (g["doc_id"], g.get("paragraph")) not in paragraphs:
                raise EvalError(f"{where}: {g['doc_id']} has no paragraph {g.get('paragraph')!r}")
            if g.get("grade", 2) not in (1, 2):
                raise EvalError(f"{where}: grade {g.get('grade')!r} must be 1 (partly answers) or 2 (answers)")
            gold.append(Gold(g["doc_id"], g["paragraph"], g.get("grade", 2)))
        if row["kind"] == OFF_TOPIC and gold:
            raise EvalError(f"{where}: an off_topic question must have no gold paragraphs")
        if row["kind"] != OFF_TOPIC and not any(g.grade == 2 for g in gold):
            raise EvalError(f"{where}: an answerable question needs at least one gold paragraph of grade 2")
        questions.append(EvalQuestion(row["id"], row["kind"], row["question"], tuple(gold)))
    if not questions:
        raise EvalError(f"{path} holds no questions")
    return questions


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
        {kind or "overall": {metric: value}}; off-topic rows carry only ``refused`` (the share of
        off-topic questions refused), answerable rows ``false_refusals`` too.
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
        if name == OFF_TOPIC:
            table[name] = {"n": len(group), "refused": sum(ranked[q.id].refused for q in group) / len(group)}
            continue
        row = {"n": len(group)}
        for column in COLUMNS:
            row[column] = sum(per_question[q.id][column] for q in group) / len(group)
        row["false_refusals"] = sum(ranked[q.id].refused for q in group) / len(group)
        table[name] = row
    off = groups[OFF_TOPIC]
    if off:
        table["overall"]["refused"] = table[OFF_TOPIC]["refused"]
    table["_per_question"] = per_question  # type: ignore[assignment]
    return table


def run_system(questions: list[EvalQuestion], search: Callable[[str], Ranked],
               progress: bool = False) -> dict[str, Ranked]:
    """Ask every question of one system."""
    from tqdm import tqdm

    return {q.id: search(q.question) for q in tqdm(questions, disable=not progress, desc="questions", leave=False)}


def engine_system(engine, k: int = 20) -> Callable[[str], Ranked]:
    """Our engine as an eval system (k beyond DEPTH so news claims still have 10 after news is dropped)."""

    def search(question: str) -> Ranked:
        answer = engine.search(question, k=k)
        return Ranked(tuple((h.doc_id, h.paragraph) for h in answer.hits), not answer.answerable)

    return search


def format_table(name: str, table: dict[str, dict[str, float]]) -> str:
    """A plain-text table of one system's metrics, a row per kind."""
    header = f"{'kind':<15}{'n':>4}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'refused':>10}"
    lines = [name, header]
    for kind in [*KINDS, "overall"]:
        row = table.get(kind)
        if not row:
            continue
        cells = "".join(f"{row[c]:>10.3f}" if c in row else f"{'':>10}" for c in COLUMNS)
        refusal = row.get("false_refusals", row.get("refused"))  # off-topic: refused; answerable: refused wrongly
        lines.append(f"{kind:<15}{int(row['n']):>4}{cells}{refusal:>10.3f}")
    overall = table.get("overall", {})
    if "refused" in overall:
        lines.append(f"off-topic refused: {overall['refused']:.3f}   answerable refused: {overall['false_refusals']:.3f}")
    return "\n".join(lines)


def failures(questions: list[EvalQuestion], ranked: dict[str, Ranked], table: dict, k: int = 5) -> list[str]:
    """One line per question that missed: what was wanted, and what came back instead."""
    out = []
    per = table["_per_question"]
    for q in questions:
        got = ranked[q.id]
        if not q.answerable:
            if not got.refused:
                out.append(f"{q.id}: not refused: {q.question!r} -> {key(*got.items[0]) if got.items else '-'}")
            continue
        if per[q.id].get("hit@1", 0) < 1 or got.refused:
            want = ", ".join(key(g.doc_id, g.paragraph) for g in q.gold if g.grade == 2)
            top = ", ".join(key(*it) for it in got.items[:k])
            flag = " [refused]" if got.refused else ""
            out.append(f"{q.id}{flag}: {q.question!r}\n    wanted {want}\n    got    {top}")
    return out


DEFAULT_SET = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"
FLOORS_FILE = Path(__file__).resolve().parent.parent / "eval" / "floors.toml"


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


def abstention_margin(questions: list[EvalQuestion], confidences: dict[str, float], threshold: float) -> str:
    """Where the abstention threshold sits between off-topic and answerable confidences."""
    off = sorted(confidences[q.id] for q in questions if not q.answerable)
    ans = sorted(confidences[q.id] for q in questions if q.answerable)
    if not off or not ans:
        return ""
    return (f"abstention: threshold {threshold:.3f}; off-topic confidence max {off[-1]:.3f}, answerable min "
            f"{ans[0]:.3f} (2nd {ans[1] if len(ans) > 1 else ans[0]:.3f}); midpoint {(off[-1] + ans[0]) / 2:.3f}")


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


def main(args, settings) -> int:
    """``python -m qa eval``: our engine and the peers on the eval set, tables and optional report."""
    from qa.engine import Engine

    engine = Engine.load(settings, progress=False)
    questions = load_eval_set(args.set or DEFAULT_SET, engine.collection)
    systems: dict[str, dict[str, Ranked]] = {}
    confidences: dict[str, float] = {}

    def ours(question: str) -> Ranked:
        answer = engine.search(question, k=2 * DEPTH)
        confidences[question] = answer.confidence
        return Ranked(tuple((h.doc_id, h.paragraph) for h in answer.hits), not answer.answerable)

    systems["ours"] = run_system(questions, ours)
    if not args.no_peers:
        from qa.peers import PEERS, peer_system

        for name in PEERS:
            systems[name] = run_system(questions, peer_system(name, engine.collection, engine.embedder))
    tables = {name: score(questions, ranked, engine.collection) for name, ranked in systems.items()}
    by_id = {q.id: confidences[q.question] for q in questions}
    margin = abstention_margin(questions, by_id, settings.abstain_threshold)
    if args.json:
        print(json.dumps({name: {k: v for k, v in t.items() if k != "_per_question"} for name, t in tables.items()},
                         indent=2))
    else:
        label = f"ours (mode={settings.mode}, fusion={settings.fusion}, thesaurus={settings.thesaurus}, model={settings.model})"
        for name, table in tables.items():
            print(format_table(label if name == "ours" else name, table), end="\n\n")
        print(margin)
        if args.failures:
            print("\nmisses (hit@1 = 0, or refused):")
            print("\n".join(failures(questions, systems["ours"], tables["ours"])))
    if args.report:
        from qa import report

        path = report.write(Path(args.report), questions, systems, tables, engine, margin,
                            {name: recall_curve(questions, r, engine.collection) for name, r in systems.items()})
        print(f"\nreport written: {path}")
    return 0
