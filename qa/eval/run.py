"""One evaluation: our engine and the peer recipes over an eval set, scored per kind.

    from qa.eval.run import evaluate
    result = evaluate(engine, load_eval_set(DEFAULT_SET, engine.collection), peers=("langchain",))
    result.tables["ours"]["overall"]["hit@1"]

No argparse here; ``qa/cli.py`` parses and renders. Whatever a peer library prints while it is set
up or queried goes to standard error, so standard output holds only what the caller prints.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from qa import abstain
from qa.eval.dataset import SPLITS, EvalQuestion
from qa.eval.metrics import DEPTH, Ranked, abstention_margin, recall_curve, score


@dataclass(frozen=True)
class Evaluation:
    """Every system's ranked answers, scored tables, and our engine's confidence per question."""

    questions: tuple[EvalQuestion, ...]
    systems: dict[str, dict[str, Ranked]]
    tables: dict[str, dict]
    confidences: dict[str, float]
    margin: str
    halves: dict[str, dict[str, dict]]  # {"tune" / "test": tables of that half}, where the set is split

    def curves(self, collection) -> dict[str, list[float]]:
        """Recall@1..10 per system."""
        return {name: recall_curve(list(self.questions), ranked, collection) for name, ranked in self.systems.items()}


def run_system(questions: Sequence[EvalQuestion], search: Callable[[str], Ranked]) -> dict[str, Ranked]:
    """Ask every question of one system."""
    with contextlib.redirect_stdout(sys.stderr):
        return {q.id: search(q.question) for q in questions}


def engine_system(engine, k: int = 2 * DEPTH, confidences: dict[str, float] | None = None) -> Callable[[str], Ranked]:
    """Our engine as an eval system (k beyond DEPTH so news claims still have 10 after news is dropped).

    Args:
        confidences: if given, filled with each question's abstention confidence.
    """

    def search(question: str) -> Ranked:
        answer = engine.search(question, k=k)
        if confidences is not None:
            confidences[question] = answer.confidence
        return Ranked(tuple((h.doc_id, h.paragraph) for h in answer.hits), not answer.answerable)

    return search


def evaluate(engine, questions: Sequence[EvalQuestion], peers: Sequence[str] = ()) -> Evaluation:
    """Run our engine and the named peers (``qa.eval.peers.PEERS``) over the questions and score them."""
    confidences: dict[str, float] = {}
    systems = {"ours": run_system(questions, engine_system(engine, confidences=confidences))}
    if peers:
        from qa.eval.peers import peer_system

        for name in peers:
            with contextlib.redirect_stdout(sys.stderr):  # llama-index announces its mock LLM on stdout
                system = peer_system(name, engine.collection, engine.embedder)
            systems[name] = run_system(questions, system)
    tables = {name: score(list(questions), ranked, engine.collection) for name, ranked in systems.items()}
    halves = {}
    for split in SPLITS:
        part = [q for q in questions if q.split == split]
        if part:
            halves[split] = {name: score(part, ranked, engine.collection) for name, ranked in systems.items()}
    by_id = {q.id: confidences[q.question] for q in questions}
    q = engine.settings.query
    cal = engine.calibration
    how = (f"calibrated, {cal.model}" + (f", this collection's own: {cal.source}"
                                         if cal.source and Path(cal.source).parent != abstain.CALIBRATION_DIR else "")
           if cal is not None and q.calibrated else f"threshold {q.abstain_threshold:.3f}")
    margin = abstention_margin(list(questions), by_id, how)
    return Evaluation(tuple(questions), systems, tables, by_id, margin, halves)
