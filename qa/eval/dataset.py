"""The eval set: JSON lines of questions with graded gold paragraphs, checked against the collection.

    {"id": "direct-01", "kind": "direct", "question": "...",
     "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 2}]}

``grade`` 2 means the paragraph answers the question, 1 that it answers part of it. Unanswerable
questions (``near_subject``: close to the collection's subject but not answered by it;
``off_topic``: far from it) have no gold and must be refused. ``split`` (``tune`` or ``test``)
puts a question in the half settings are tuned on or the half results are reported on. For ``news_claim`` questions (a claim taken from a
news report, to be traced to the official paragraph it summarises) news documents are left out
of the ranking before scoring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qa.corpus import Collection
from qa.errors import EvalError

KINDS = ("direct", "paraphrase", "vocabulary", "misspelling", "keyword", "document", "cross_document", "news_claim",
         "other_language",
         "near_subject", "off_topic")
OFF_TOPIC = "off_topic"
NEAR_SUBJECT = "near_subject"
UNANSWERABLE = (NEAR_SUBJECT, OFF_TOPIC)
SPLITS = ("tune", "test")
NEWS_CLAIM = "news_claim"
EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "eval"
DEFAULT_SET = EVAL_DIR / "questions.jsonl"


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
    split: str = ""  # "tune", "test", or "" where the set is not split

    @property
    def answerable(self) -> bool:
        return self.kind not in UNANSWERABLE


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
        if row["kind"] in UNANSWERABLE and gold:
            raise EvalError(f"{where}: an {row['kind']} question must have no gold paragraphs")
        if row["kind"] not in UNANSWERABLE and not any(g.grade == 2 for g in gold):
            raise EvalError(f"{where}: an answerable question needs at least one gold paragraph of grade 2")
        split = row.get("split", "")
        if split not in ("", *SPLITS):
            raise EvalError(f"{where}: split {split!r} is not one of {', '.join(SPLITS)}")
        questions.append(EvalQuestion(row["id"], row["kind"], row["question"], tuple(gold), split))
    if not questions:
        raise EvalError(f"{path} holds no questions")
    return questions


def half(questions: list[EvalQuestion], split: str) -> list[EvalQuestion]:
    """The questions of one half (``tune`` or ``test``), or all of them for ``all``.

    Raises:
        EvalError: for another name, or a set that is not split into halves.
    """
    if split == "all":
        return list(questions)
    if split not in SPLITS:
        raise EvalError(f"split {split!r} is not one of all, {', '.join(SPLITS)}")
    chosen = [q for q in questions if q.split == split]
    if not chosen:
        raise EvalError(f"this eval set has no {split} half (no question has \"split\": \"{split}\"); use --split all")
    return chosen
