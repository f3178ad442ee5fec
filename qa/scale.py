"""``python -m qa bench --scale N``: what a collection of N paragraphs costs (not a timed test).

The collection is synthetic: N numbered paragraphs of two to four sentences drawn at random from
the bundled statements' sentences, in documents of ``PARAGRAPHS_PER_DOCUMENT`` paragraphs dated
one week apart from 2000 on (one document in twenty a news report). Embedding millions of
passages with the real model would take days here, so:

- the real model embeds every distinct sentence of the bundled statements once (the sample);
- a passage's vector is the normalised mean of the real vectors of the sentences it is made of,
  plus a small random turn seeded by its text (the stand-in): cheap, and near where the model
  would put it, so FAISS sees realistic neighbourhoods;
- questions are embedded by the real model, as in use.

Each phase runs in a fresh process, so its peak resident memory is its own:

- build: ``Engine.load`` building the index; the stand-in's own time is subtracted ("excluding
  embedding");
- load and query: a new process loads the built index (``rebuild="never"``) and answers the eval
  set's questions, with no filter and with a date filter, p50 / p95, each after a first pass over
  the questions with the same filter (whose figures are kept apart as ``*_cold``);
- add: one ten-paragraph document added to the collection, and the index brought up to date
  (grown beside the full build, ``qa.grow``), in a new process: its whole ``Engine.load``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

PARAGRAPHS_PER_DOCUMENT = 1000
NEWS_EVERY = 20  # one document in this many is a news report
ADDED_PARAGRAPHS = 10
NOISE = 0.15  # the stand-in's random turn, relative to a unit vector (cosine to the mean about 0.99)
NOISE_ROWS = 4096  # rows of the table the random turns are drawn from (two per text, summed: 8 million turns, 6 MB)


def _places(corpus_dir: Path) -> list[str]:
    """The places of a collection's documents: where the synthetic documents are dated."""
    from qa.corpus import load_collection

    return sorted({d.place for d in load_collection(corpus_dir).documents})


def _sentence_pool(corpus_dir: Path) -> list[str]:
    """Every distinct sentence of the paragraphs of a collection, in reading order."""
    from qa.chunk import sentences
    from qa.corpus import load_collection

    pool: dict[str, None] = {}
    for _, para in load_collection(corpus_dir).paragraphs():
        for text, _, _ in sentences(para.text):
            if len(text) > 20:
                pool.setdefault(text, None)
    return list(pool)


def _document_text(title: str, place: str, date: dt.date, paragraphs: list[str]) -> str:
    body = "\n\n".join(f"{i}. {p}" for i, p in enumerate(paragraphs, start=1))
    return f"{title}\n\n{place}\n\n{date:%B} {date.day}, {date.year}\n\n{body}\n"


def write_collection(folder: Path, n: int, pool: list[str], places: list[str] = ("Synthetic City",),
                     seed: int = 7) -> list[dict]:
    """Write a synthetic collection of n paragraphs into an empty folder; returns its entries."""
    rng = np.random.default_rng(seed)
    entries = []
    folder.mkdir(parents=True, exist_ok=True)
    docs = max(1, -(-n // PARAGRAPHS_PER_DOCUMENT))
    lengths = rng.integers(2, 5, size=n)
    picks = rng.integers(0, len(pool), size=int(lengths.sum()))
    at = 0
    for d in range(docs):
        count = min(PARAGRAPHS_PER_DOCUMENT, n - d * PARAGRAPHS_PER_DOCUMENT)
        paragraphs = []
        for length in lengths[d * PARAGRAPHS_PER_DOCUMENT: d * PARAGRAPHS_PER_DOCUMENT + count]:
            paragraphs.append(" ".join(pool[i] for i in picks[at:at + length]))
            at += length
        entries.append(_entry(folder, d, paragraphs, places[d % len(places)], "news" if d % NEWS_EVERY == NEWS_EVERY - 1 else "official"))
    _write_metadata(folder, entries)
    return entries


def _entry(folder: Path, d: int, paragraphs: list[str], place: str, kind: str) -> dict:
    date = dt.date(2000, 1, 3) + dt.timedelta(weeks=d)
    title = f"Synthetic statement {d + 1}"
    name = f"synthetic-{d:06d}.txt"
    (folder / name).write_text(_document_text(title, place, date, paragraphs), encoding="utf-8")
    return {"id": f"synthetic-{d:06d}", "file": name, "title": title, "issuer": "Synthetic issuer", "place": place,
            "date": date.isoformat(), "source_type": kind}


def _write_metadata(folder: Path, entries: list[dict]) -> None:
    lines = []
    for e in entries:
        lines.append("[[documents]]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in e.items())
        lines.append("")
    (folder / "documents.toml").write_text("\n".join(lines), encoding="utf-8")


def add_document(folder: Path, entries: list[dict], pool: list[str], seed: int = 11) -> list[dict]:
    """Add one document of ``ADDED_PARAGRAPHS`` paragraphs to a synthetic collection."""
    rng = np.random.default_rng(seed)
    paragraphs = [" ".join(pool[i] for i in rng.integers(0, len(pool), size=3)) for _ in range(ADDED_PARAGRAPHS)]
    entries = [*entries, _entry(folder, len(entries), paragraphs, "Added City", "official")]
    _write_metadata(folder, entries)
    return entries


class StandInEmbedder:
    """A real model's vectors for the sample sentences, and their noisy means for the rest (see the module)."""

    def __init__(self, real, pool_vectors: dict[str, np.ndarray]):
        from qa.chunk import SENTENCE_BOUNDARY

        self.real, self._pool = real, pool_vectors
        self.name, self.dimension, self.similar = real.name, real.dimension, real.similar
        self.related = getattr(real, "related", None)  # the words' table is the real model's (qa/related.py)
        self.multilingual = getattr(real, "multilingual", False)
        self.fingerprint = f"stand-in-2({real.fingerprint})"  # 2: the random turn chosen by each text alone
        self._noise: np.ndarray | None = None  # the table of random turns, made when passages are first embedded
        self._split = re.compile(SENTENCE_BOUNDARY)
        self.seconds = 0.0  # time spent making passage vectors: what "excluding embedding" leaves out
        self.texts = 0  # passages embedded
        self._queries: dict[str, np.ndarray] = {}
        self.query_seconds: list[float] = []  # each new question's encode

    def encode(self, texts, *, batch_size: int = 32, progress: bool = False, query: bool = False) -> np.ndarray:
        if query:  # remembered, so timed searches measure the engine's own cost (the encode is timed apart)
            missing = [t for t in texts if t not in self._queries]
            if missing:
                start = time.perf_counter()
                for t, v in zip(missing, self.real.encode(missing, batch_size=batch_size, query=True)):
                    self._queries[t] = v
                self.query_seconds.append(time.perf_counter() - start)
            return np.vstack([self._queries[t] for t in texts])
        start = time.perf_counter()
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for part in self._split.split(text):
                vector = self._pool.get(part.strip())
                if vector is not None:
                    out[i] += vector
        # The random turn: chosen by the text alone (two rows of a fixed table of normal draws, by
        # two parts of its checksum), so a text's vector does not depend on the batch it came in.
        # Seeded by the batch, it did: a build that reused earlier vectors searched other
        # neighbourhoods than one that embedded afresh (recall@400 0.899 against 0.798 at a million).
        if self._noise is None:
            self._noise = np.random.default_rng(0).standard_normal((NOISE_ROWS, self.dimension), dtype=np.float32)
        keys = np.fromiter((zlib.crc32(t.encode()) for t in texts), dtype=np.uint64, count=len(texts))
        noise = (self._noise[keys % NOISE_ROWS] + self._noise[(keys >> np.uint64(12)) % NOISE_ROWS]) / np.sqrt(2)
        out += (NOISE / np.sqrt(self.dimension)) * noise * np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1.0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        self.seconds += time.perf_counter() - start
        return out


def stand_ins(model: str, pool: list[str], cache: Path) -> list[StandInEmbedder]:
    """Stand-in embedders for each model of a setting, with the sample's real vectors cached in a folder."""
    from qa.embed import load_embedders

    out = []
    for i, real in enumerate(load_embedders(model)):
        path = cache / f"pool-{i}.npy"
        if path.is_file():
            vectors = np.load(path)
        else:
            vectors = real.encode(pool, batch_size=32)
            np.save(path, vectors)
        out.append(StandInEmbedder(real, dict(zip(pool, vectors))))
    return out


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def phase(kind: str, work: str, model: str) -> dict:
    """One phase, run in its own process (see ``measure``): ``build`` or ``query``."""
    from qa.config import Settings
    from qa.pipeline import Engine
    from qa.eval.dataset import DEFAULT_SET

    work_dir = Path(work)
    pool = json.loads((work_dir / "pool.json").read_text(encoding="utf-8"))
    embedders = stand_ins(model, pool, work_dir)
    settings = Settings.from_env(corpus_dir=str(work_dir / "corpus"), index_dir=str(work_dir / "index"), model=model)
    logged: list[str] = []
    start = time.perf_counter()
    engine = Engine.load(settings, embedder=embedders, rebuild="never" if kind == "query" else "auto",
                         progress=False, log=logged.append)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "embed_seconds": sum(e.seconds for e in embedders), "log": logged,
              "embedded": sum(e.texts for e in embedders)}
    if kind == "query":
        questions = [json.loads(line)["question"] for line in DEFAULT_SET.read_text(encoding="utf-8").splitlines()
                     if line.strip()]
        dates = sorted(d.date for d in engine.collection.documents)
        dated = engine.filters(since=dates[len(dates) // 2])  # about half the documents
        for q in questions:
            engine.search(q, k=5)  # warm up, and each question encoded once (timed apart)
        result["encode_p50"] = statistics.median(
            [sum(t) for t in zip(*(e.query_seconds[-len(questions):] for e in embedders))]) * 1000
        for name, filters in (("none", None), ("date", dated)):
            # Each filter set's first pass reads passages no search read before (a large index's
            # stored vectors are read from disk until the system's file cache holds them): timed
            # apart ("cold"), then the timed pass, as a server answers once it has run a while.
            for pass_name in ("cold", "warm"):
                samples = []
                for q in questions:
                    t = time.perf_counter()
                    engine.search(q, k=5, filters=filters)
                    samples.append(time.perf_counter() - t)
                ordered = sorted(samples)
                key = name if pass_name == "warm" else f"{name}_cold"
                result[f"p50_{key}"] = statistics.median(ordered) * 1000
                result[f"p95_{key}"] = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    result["peak_rss_mb"] = _peak_rss_mb()  # before the recall check, which reads the whole vector index
    if kind == "query":
        result.update(_recall(engine, questions))
    return result


def _recall(engine, questions: list[str]) -> dict:
    """Share of the exact nearest passages the first model's index finds (1.0 for an exact index):
    in the top 10, and in the candidates a search takes (``dense_candidates``). Synthetic passages
    repeat each other, so hundreds can share the 10th score: a passage found counts when it scores
    as high as the exact search's last one (any of the tied passages is as near)."""
    dense = getattr(engine.store, "_dense", [None])[0]
    if dense is None:
        return {}
    depth = engine.settings.query.dense_candidates
    at10, atk = [], []
    vectors = engine.embedders[0].encode(questions, query=True)
    exact_scores, exact_rows = dense.exact_nearest(vectors, depth)  # one pass over the vectors for every question
    for vector, exact, rows in zip(vectors, exact_scores, exact_rows):
        exact = exact[rows >= 0]
        found = dense.search(vector, depth)[0]  # exact scores (a compressed index re-scores its candidates)
        for out, n in ((at10, min(10, len(exact))), (atk, len(exact))):
            out.append(min(n, int(np.sum(found[:n] >= exact[n - 1] - 1e-5))) / max(1, n) if n else 1.0)
    return {"index": dense.kind, "recall10": statistics.mean(at10), "recallk": statistics.mean(atk)}


def _run_phase(kind: str, work: Path, model: str) -> dict:
    code = f"import json; from qa.scale import phase; print(json.dumps(phase({kind!r}, {str(work)!r}, {model!r})))"
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} phase failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def measure(n: int, model: str, corpus_dir: Path, work: Path | None = None) -> dict:
    """Every figure for a synthetic collection of n paragraphs, each phase in a new process."""
    from qa import store

    own = work is None
    work = Path(tempfile.mkdtemp(prefix=f"qa-scale-{n}-")) if own else work
    work.mkdir(parents=True, exist_ok=True)
    try:
        pool = _sentence_pool(corpus_dir)
        (work / "pool.json").write_text(json.dumps(pool), encoding="utf-8")
        start = time.perf_counter()
        entries = write_collection(work / "corpus", n, pool, _places(corpus_dir))
        generate_s = time.perf_counter() - start
        build = _run_phase("build", work, model)
        size = _disk_mb(store.current_build(work / "index"))
        query = _run_phase("query", work, model)
        add_document(work / "corpus", entries, pool)
        add = _run_phase("build", work, model)
        return {"n": n, "model": model, "pool": len(pool), "generate_s": generate_s,
                "build_s": build["seconds"] - build["embed_seconds"], "build_embed_s": build["embed_seconds"],
                "build_rss_mb": build["peak_rss_mb"], "disk_mb": size,
                "load_s": query["seconds"], "query_rss_mb": query["peak_rss_mb"],
                **{k: v for k, v in query.items() if k.startswith(("p5", "p9", "encode", "recall", "index"))},
                "add_s": add["seconds"] - add["embed_seconds"], "add_embed_s": add["embed_seconds"],
                "add_embedded": add["embedded"], "add_log": add["log"]}
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


COLUMNS = [("n", "paragraphs", "{:>12,}"), ("build_s", "build s", "{:>10.1f}"), ("load_s", "load s", "{:>8.2f}"),
           ("encode_p50", "encode", "{:>8.1f}"), ("p50_none", "p50 ms", "{:>8.1f}"), ("p95_none", "p95 ms", "{:>8.1f}"),
           ("p50_date", "p50 date", "{:>9.1f}"), ("p95_date", "p95 date", "{:>9.1f}"),
           ("p50_date_cold", "date 1st", "{:>9.1f}"),
           ("query_rss_mb", "RSS MB", "{:>8.0f}"), ("build_rss_mb", "build RSS", "{:>10.0f}"),
           ("disk_mb", "disk MB", "{:>8.0f}"), ("add_s", "add doc s", "{:>10.1f}"),
           ("recall10", "recall@10", "{:>10.3f}"), ("recallk", "recall@400", "{:>11.3f}"), ("index", "index", "{:>14}")]


def format_table(rows: list[dict]) -> str:
    """The figures as a table: build excludes embedding; RSS is each phase's peak."""
    head = "".join(f"{title:>{len(fmt.format(0) if key != 'index' else fmt.format(''))}}" for key, title, fmt in COLUMNS)
    lines = [f"model {rows[0]['model']} (real vectors for {rows[0]['pool']} sample sentences, stand-ins for the rest)",
             head]
    for r in rows:
        lines.append("".join(fmt.format(r[key]) for key, _, fmt in COLUMNS))
    lines.append("build and add exclude embedding (stand-in time: "
                 + ", ".join(f"{r['build_embed_s']:.0f} s at {r['n']:,}" for r in rows)
                 + "); query: the engine's own time, questions' vectors encoded beforehand (encode: their encode p50, ms); eval-set questions, k=5, no filter and a date filter admitting half the documents, each timed on a second pass (date 1st: the p50 of the date filter's first pass); RSS: the phase's peak")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> Path:
    """Log-log plot of each cost against N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 5))
    for key, label in (("build_s", "build s (excl. embedding)"), ("load_s", "load s"), ("p50_none", "query p50 ms"),
                       ("p95_date", "query p95 ms, date filter"), ("query_rss_mb", "query RSS MB"),
                       ("disk_mb", "disk MB")):
        ax.plot(ns, [max(r[key], 1e-3) for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("paragraphs")
    ax.set_title("Cost against collection size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
