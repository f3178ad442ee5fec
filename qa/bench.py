"""``python -m qa bench``: speed figures, measured side by side in one run.

- cold start: a fresh Python process loading the engine (imports, model, index), and the index
  load alone (manifest check, FAISS, BM25, passages) with the model already in memory;
- build: embedding and indexing the whole collection into a temporary folder;
- query latency, warm, p50 / p95 over the eval set's questions: our full search, one bare MiniLM
  query encode (the floor any embedding search pays), and the LangChain tutorial recipe.
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


def main(args, settings) -> int:
    from qa.engine import Engine, build_index
    from qa.evaluate import DEFAULT_SET, load_eval_set

    code = ("import time; t = time.perf_counter(); from qa.engine import Engine; "
            "Engine.load(rebuild='never', progress=False); print(time.perf_counter() - t)")
    Engine.load(settings, progress=False)  # make sure an index exists for the cold start
    env_root = str(Path(__file__).resolve().parent.parent)
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=env_root,
                          env={**os.environ, "QA_INDEX_DIR": str(settings.index_dir),
                               "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_MODEL": settings.model})
    cold_s = float(cold.stdout.strip().splitlines()[-1]) if cold.returncode == 0 else float("nan")

    engine = Engine.load(settings, progress=False)
    start = time.perf_counter()
    Engine(settings, engine.collection, engine.embedder, engine.folder)
    index_load_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(replace(settings, index_dir=Path(tmp)), engine.collection, engine.embedder, progress=False)

    questions = [q.question for q in load_eval_set(DEFAULT_SET, engine.collection)]
    systems = {
        "ours: search (k=5)": lambda q: engine.search(q, k=5),
        "bare MiniLM query encode": lambda q: engine.embedder.encode([q]),
    }
    try:
        from qa.peers import langchain_system

        systems["LangChain recipe search"] = langchain_system(engine.collection, engine.embedder)
    except Exception as exc:  # peers are development extras; say why they are missing
        print(f"(LangChain recipe not measured: {exc})")
    rows = list(_time_interleaved(systems, questions, args.repeat).items())

    print(f"collection: {len(engine.collection.documents)} documents, {report.paragraphs} paragraphs, "
          f"{report.passages} passages; model {settings.model}")
    print(f"{'figure':<32}{'value':>14}")
    print(f"{'cold start (new process)':<32}{cold_s:>12.2f} s")
    print(f"{'index load (model in memory)':<32}{index_load_s * 1000:>11.1f} ms")
    print(f"{'index build (model in memory)':<32}{report.seconds:>12.2f} s")
    print(f"\n{'query latency, warm':<32}{'p50 ms':>10}{'p95 ms':>10}   ({len(questions)} questions x {args.repeat})")
    p50s = {}
    for name, samples in rows:
        p50, p95 = _percentiles(samples)
        p50s[name] = p50
        print(f"{name:<32}{p50:>10.1f}{p95:>10.1f}")
    ratio = p50s[rows[0][0]] / p50s[rows[1][0]]
    print(f"\nours / bare encode (p50): {ratio:.2f}x  (goal: at most 1.5x)")
    return 0
