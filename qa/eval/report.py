"""The evaluation as people read it: plain-text tables and misses, and a report folder (Markdown, PNG
plots, TREC run and qrels files for outside checks)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from qa.eval.dataset import KINDS, UNANSWERABLE, EvalQuestion
from qa.eval.metrics import COLUMNS, DEPTH, Ranked, area_under_risk_coverage, key, risk_coverage, run_dict

PEER_NOTES = {
    "ours": "hybrid paragraph retrieval (this project)",
    "langchain": "LangChain tutorial: RecursiveCharacterTextSplitter 1000/200 over the raw files + FAISS",
    "llamaindex": "LlamaIndex defaults: SentenceSplitter 1024/200 (tokens) over the raw files + VectorStoreIndex",
    "llamaindex-window": "LlamaIndex with chunks the model reads whole: SentenceSplitter 200/40 (tokens)",
    "bm25": "plain BM25 (bm25s, English stopwords and stemmer) over the clean paragraphs",
}


def format_table(name: str, table: dict[str, dict[str, float]]) -> str:
    """A plain-text table of one system's metrics, a row per kind."""
    header = f"{'kind':<15}{'n':>4}" + "".join(f"{c:>10}" for c in COLUMNS) + f"{'refused':>10}"
    lines = [name, header]
    for kind in [*KINDS, "overall"]:
        row = table.get(kind)
        if not row:
            continue
        cells = "".join(f"{row[c]:>10.3f}" if c in row else f"{'':>10}" for c in COLUMNS)
        refusal = row.get("false_refusals", row.get("refused"))  # unanswerable: refused; answerable: refused wrongly
        lines.append(f"{kind:<15}{int(row['n']):>4}{cells}{refusal:>10.3f}")
    overall = table.get("overall", {})
    if "refused" in overall:
        lines.append(f"unanswerable refused: {overall['refused']:.3f}   answerable refused: {overall['false_refusals']:.3f}")
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


def _table_md(tables: dict[str, dict]) -> str:
    lines = []
    for kind in [*KINDS, "overall"]:
        rows = [(name, t[kind]) for name, t in tables.items() if kind in t]
        if not rows:
            continue
        lines.append(f"\n### {kind} (n = {int(rows[0][1]['n'])})\n")
        if kind in UNANSWERABLE:
            lines += ["| system | refused |", "| --- | --- |"]
            lines += [f"| {name} | {row['refused']:.3f} |" for name, row in rows]
            continue
        lines.append("| system | " + " | ".join(COLUMNS) + " | false refusals |")
        lines.append("| --- |" + " --- |" * (len(COLUMNS) + 1))
        for name, row in rows:
            lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in COLUMNS) + f" | {row['false_refusals']:.3f} |")
    return "\n".join(lines)


def risk_lines(curve: list[tuple[float, float, float]], refused: dict[str, bool], confidences: dict[str, float]) -> list[str]:
    """The risk-coverage curve as text: its area, the operating point, and a few coverages."""
    if not curve:
        return []
    answered = [q for q, r in refused.items() if not r]
    lines = [f"Risk-coverage of the abstention confidence: area {area_under_risk_coverage(curve):.3f} (lower is "
             f"better); as run, {len(answered)} of {len(refused)} questions answered "
             f"(coverage {len(answered) / len(refused):.3f}).", "", "| coverage | risk | confidence at least |",
             "| --- | --- | --- |"]
    for target in (0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        point = next((c for c in curve if c[0] >= target - 1e-9), curve[-1])
        lines.append(f"| {point[0]:.2f} | {point[1]:.3f} | {point[2]:.3f} |")
    return lines


def _plots(folder: Path, tables: dict[str, dict], curves: dict[str, list[float]],
           risk: list[tuple[float, float, float]] | None = None) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(tables)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in curves.items():
        ax.plot(range(1, DEPTH + 1), curve, marker="o", label=name)
    ax.set_xlabel("k (paragraphs read)")
    ax.set_ylabel("recall@k (graded gold)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Recall at k, answerable questions")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "recall_at_k.png", dpi=120)
    plt.close(fig)

    kinds = [k for k in KINDS if k not in UNANSWERABLE and all(k in tables[n] for n in names)]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    width = 0.8 / len(names)
    x = np.arange(len(kinds))
    for ax, metric in zip(axes, ("hit@1", "mrr@10")):
        for i, name in enumerate(names):
            ax.bar(x + i * width, [tables[name][k][metric] for k in kinds], width, label=name)
        ax.set_xticks(x + width * (len(names) - 1) / 2)
        ax.set_xticklabels([k.replace("_", "\n") for k in kinds], fontsize=8)
        ax.set_title(f"{metric} by kind of question")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "by_kind.png", dpi=120)
    plt.close(fig)
    if not risk:
        return ["recall_at_k.png", "by_kind.png"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.step([c for c, _, _ in risk], [r for _, r, _ in risk], where="post", label="ours")
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("risk (share of answers wrong)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, max(0.05, max(r for _, r, _ in risk) * 1.1))
    ax.set_title("Risk-coverage of the abstention confidence")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(folder / "risk_coverage.png", dpi=120)
    plt.close(fig)
    return ["recall_at_k.png", "by_kind.png", "risk_coverage.png"]


def _trec(folder: Path, questions: list[EvalQuestion], systems: dict[str, dict[str, Ranked]], collection) -> None:
    news_docs = {d.id for d in collection.documents if d.source_type == "news"}
    with open(folder / "qrels.txt", "w", encoding="utf-8") as f:
        for q in questions:
            for g in q.gold:
                f.write(f"{q.id} 0 {key(g.doc_id, g.paragraph)} {g.grade}\n")
    for name, ranked in systems.items():
        run = run_dict(questions, ranked, news_docs)
        with open(folder / f"{name}.run", "w", encoding="utf-8") as f:
            for qid, items in run.items():
                for rank, (doc, score) in enumerate(sorted(items.items(), key=lambda t: -t[1]), start=1):
                    f.write(f"{qid} Q0 {doc} {rank} {score:.1f} {name}\n")


def not_ahead(tables: dict[str, dict]) -> list[str]:
    """Every kind and headline metric where a peer equals or beats us, said plainly."""
    out = []
    for kind in [k for k in KINDS if k not in UNANSWERABLE] + ["overall"]:
        for metric in ("hit@1", "hit@5", "mrr@10"):
            ours = tables["ours"].get(kind, {}).get(metric)
            for name, table in tables.items():
                theirs = table.get(kind, {}).get(metric)
                if name != "ours" and ours is not None and theirs is not None and theirs >= ours:
                    verb = "ties" if theirs == ours else "beats"
                    out.append(f"- {kind}, {metric}: {name} {verb} us ({theirs:.3f} vs {ours:.3f})")
    return out or ["- nowhere: we are ahead of every peer on hit@1, hit@5 and MRR@10, overall and in every kind"]


def write(folder: Path, evaluation, engine) -> Path:
    """Write report.md, plots, TREC files and results.json into folder; return the report's path."""
    questions, systems, tables = list(evaluation.questions), evaluation.systems, evaluation.tables
    margin, curves = evaluation.margin, evaluation.curves(engine.collection)
    folder.mkdir(parents=True, exist_ok=True)
    ours = systems["ours"]
    risk = risk_coverage(questions, tables["ours"]["_per_question"], evaluation.confidences) \
        if all(q.id in evaluation.confidences for q in questions) else []
    images = _plots(folder, tables, curves, risk)
    _trec(folder, questions, systems, engine.collection)
    def public(tables: dict) -> dict:
        return {name: {k: v for k, v in t.items() if k != "_per_question"} for name, t in tables.items()}

    plain = public(tables)
    halves = {split: public(t) for split, t in evaluation.halves.items()}
    (folder / "results.json").write_text(json.dumps({"all": plain, **halves}, indent=2), encoding="utf-8")
    half_sections = []
    for split, title in (("test", "Test half (report these)"), ("tune", "Tuning half (settings were chosen on these)")):
        if split in halves:
            half_sections += [f"## {title}", "", *not_ahead(halves[split]), _table_md(halves[split]), ""]
    s, b = engine.settings.query, engine.settings.build
    counts = {k: sum(q.kind == k for q in questions) for k in KINDS}
    lines = [
        "# Retrieval evaluation",
        "",
        f"Made {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m qa eval --report {folder}`.",
        f"{len(questions)} questions ({', '.join(f'{k} {n}' for k, n in counts.items())}); model `{engine.manifest['model']}`"
        f" ({engine.manifest['model_fingerprint'][:19]}...); index built {engine.manifest['created']}.",
        f"Our settings: mode `{s.mode.value}`, fusion `{s.fusion.value}` (dense {s.weight_dense}, lexical {s.weight_lexical}, phrase {s.weight_phrase}),"
        f" thesaurus `{s.thesaurus.value}`, pieces {b.piece_chars}/{b.piece_overlap} characters, abstain below {s.abstain_threshold}.",
        "",
        "Systems, all on the same files, model and questions:",
        *[f"- **{name}**: {PEER_NOTES.get(name, name)}" for name in tables],
        "",
        "How to read it: hit@k and MRR@10 count fully answering paragraphs (grade 2) only; recall@k and",
        "nDCG@10 use every graded paragraph, so cross-document questions score on how much of the whole",
        "answer came back. Peers' chunks are mapped to paragraphs by character overlap (most overlap first)",
        "and scored exactly like us; the peers never refuse. For `news_claim` questions news documents are",
        "left out before scoring. Rows of unanswerable kinds (near_subject, off_topic) are the share refused",
        "(higher is better); false refusals are answerable questions refused (lower is better). Where the",
        "set is split, settings are chosen on the tuning half and the test half is the one to quote.",
        "",
        margin,
        "",
        f"![recall at k]({images[0]})",
        "",
        f"![hit@1 and MRR by kind]({images[1]})",
        "",
        *(["## Abstention: risk against coverage", "", *risk_lines(risk, {q.id: ours[q.id].refused for q in questions},
                                                                  evaluation.confidences), "",
           f"![risk-coverage]({images[2]})", ""] if risk else []),
        *half_sections,
        "## Where we are not ahead (whole set)",
        "",
        *not_ahead(plain),
        "",
        "## Tables (whole set)",
        _table_md(plain),
        "",
        "## Where we miss (hit@1 = 0, or refused)",
        "",
        "```",
        *failures(questions, systems["ours"], tables["ours"]),
        "```",
        "",
        "TREC files for trec_eval, ranx or pytrec_eval: `qrels.txt` (graded) and one `<system>.run` per system.",
        "",
    ]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
