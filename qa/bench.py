"""``python -m qa bench``: speed figures, measured side by side in one run.

- cold start: a fresh Python process loading the engine (imports, model, index), and the index
  load alone (manifest check, FAISS, BM25, passages) with the model already in memory;
- build: embedding and indexing the whole collection into a temporary folder;
- query latency, warm, p50 / p95 over the eval set's questions: our full search, one bare query
  encode (the floor any embedding search pays), and the LangChain tutorial recipe.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _time_interleaved(systems: dict, questions: list[str], repeat: int) -> dict[str, list[float]]:
    """Latency samples per system, the systems taking turns on each question so that drift in the
    machine's speed (frequency, other load) falls on all of them alike."""
    for fn in systems.values():
        for q in questions[:5]:
            fn(q)  # warm up: first calls pay for lazy initialisation
    samples: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(repeat):
        for q in questions:
            for name, fn in systems.items():
                start = time.perf_counter()
                fn(q)
                samples[name].append(time.perf_counter() - start)
    return samples


def measure(settings, repeat: int = 3) -> dict:
    """Every figure, measured in one run: cold start, index load, build, and warm query latency samples."""
    from qa.build import build_index
    from qa.eval.dataset import DEFAULT_SET, load_eval_set
    from qa.pipeline import Engine

    code = ("import time; t = time.perf_counter(); from qa import Engine; "
            "Engine.load(rebuild='never', progress=False); print(time.perf_counter() - t)")
    Engine.load(settings, progress=False)  # make sure an index exists for the cold start
    env_root = str(Path(__file__).resolve().parent.parent)
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=env_root,
                          env={**os.environ, "QA_INDEX_DIR": str(settings.index_dir),
                               "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_MODEL": settings.model})
    cold_s = float(cold.stdout.strip().splitlines()[-1]) if cold.returncode == 0 else float("nan")

    engine = Engine.load(settings, progress=False)
    start = time.perf_counter()
    Engine(settings, engine.collection, engine.profile, engine.embedders, engine.folder)
    index_load_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(replace(settings, index_dir=Path(tmp)), engine.collection, engine.profile,
                             engine.embedders, progress=False)

    questions = [q.question for q in load_eval_set(DEFAULT_SET, engine.collection)]
    systems = {
        "ours: search (k=5)": lambda q: engine.search(q, k=5),
        # one encode per model: the floor any search with these dense views pays
        "bare query encode": lambda q: [e.encode([q], query=True) for e in engine.embedders],
    }
    notes = []
    try:
        from qa.eval.peers import langchain_system

        systems["LangChain recipe search"] = langchain_system(engine.collection, engine.embedder)
    except Exception as exc:  # peers are development extras; say why they are missing
        notes.append(f"(LangChain recipe not measured: {exc})")
    return {"collection": f"{len(engine.collection.documents)} documents, {report.paragraphs} paragraphs, "
                          f"{report.passages} passages; model {settings.model}",
            "cold_s": cold_s, "index_load_s": index_load_s, "build_s": report.seconds, "repeat": repeat,
            "questions": len(questions), "latency": _time_interleaved(systems, questions, repeat), "notes": notes}


def format_results(r: dict) -> str:
    """The figures as a table for people."""
    lines = [*r["notes"], f"collection: {r['collection']}", f"{'figure':<32}{'value':>14}",
             f"{'cold start (new process)':<32}{r['cold_s']:>12.2f} s",
             f"{'index load (model in memory)':<32}{r['index_load_s'] * 1000:>11.1f} ms",
             f"{'index build (model in memory)':<32}{r['build_s']:>12.2f} s",
             f"\n{'query latency, warm':<32}{'p50 ms':>10}{'p95 ms':>10}   ({r['questions']} questions x {r['repeat']})"]
    p50s = []
    for name, samples in r["latency"].items():
        p50, p95 = _percentiles(samples)
        p50s.append(p50)
        lines.append(f"{name:<32}{p50:>10.1f}{p95:>10.1f}")
    lines.append(f"\nours / bare encode (p50): {p50s[0] / p50s[1]:.2f}x  (goal: at most 1.2x)")
    return "\n".join(lines)
