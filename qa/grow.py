"""Growing a build: statements added at the end of a collection, indexed beside the last full build.

Adding a ten-paragraph statement to a collection of a million paragraphs should not rebuild a
million paragraphs' word and vector indexes. When the collection is the last full build's
documents, unchanged and in the same order, followed by new ones, ``plan`` says so and ``grow``
makes a build folder holding:

    base/       the full build's files, as hard links (nothing is copied)
    added/      one exact FAISS index per model over the added passages, and the added
                paragraphs' BM25 words and word pairs (``terms.json``)
    ...         the collection-wide files for every paragraph: the passage and paragraph tables
                (the base's copied, the new rows appended), links, term counts, words, manifest

The store searches both parts as one (``qa.retrieve.local``). Added paragraphs' words are scored
with the base's BM25 statistics (``qa.retrieve.lexical.AddedLexical``), so the two score lists
can be merged; the base's own scores are left as they were, which is what the next full build
would change slightly. News reports added are linked to the statements they repeat, and added
statements to the reports in the base that repeat them; a report in the base keeps its links.

A full build is made instead when there is no full build to grow from (or it was made by another
version, model, store or setting), when a document of the base changed, moved or went, when the
added text defines an abbreviation the base did not learn (it would change how every paragraph's
words are read), or when the added paragraphs pass ``GROW_LIMIT`` of the base's: past that, the
base's statistics would describe the collection too poorly, and the next build starts afresh.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import acronyms, related, store
from qa.analyze import Analyzer
from qa.build import (BuildReport, Repeats, build_record, collection_words, document_key, embed_keys, embed_texts,
                      keys_like, manifest_of, model_fingerprint, paragraph_records, paragraph_views, passage_vectors, repeated,
                      term_counts, twin_thresholds, word_table, TWIN_CANDIDATES, TWIN_NPROBE)
from qa.chunk import make_passages
from qa.config import Settings
from qa.corpus import Collection, Document
from qa.embed import Embedder
from qa.errors import StoreError
from qa.profile import Profile
from qa.retrieve.dense import DenseIndex, release
from qa.retrieve.local import ADDED, BASE, LocalStore, append_rows
from qa.types import Passage

GROW_LIMIT = 0.2  # added paragraphs, at most this share of the base's; past it, a full build
NEAR_FACTOR = 4  # a news sentence added is compared with this many times TWIN_CANDIDATES base passages
SLICE = 100_000  # base vectors read at a time
MARGINS = 32 * 2**20  # at most this many margins (report sentence x added statement sentence) at once


@dataclass(frozen=True)
class Growth:
    """A full build to grow from and the documents to add to it."""

    base: Path
    manifest: dict
    added: tuple[Document, ...]
    learnt: tuple[tuple[str, ...], ...]
    repeats: Repeats  # what the full build weighed to link its news (``build.Repeats``)


def plan(settings: Settings, collection: Collection, profile: Profile, embedders: list[Embedder]) -> Growth | None:
    """The growth that brings the current build up to the collection, or None when it takes a full build."""
    if settings.build.store != "faiss":
        return None
    try:
        folder = store.current_build(settings.index_dir)
        base = folder / BASE if (folder / ADDED).is_dir() else folder
        manifest = store.read_manifest(base)
        learnt = tuple(tuple(g) for g in json.loads((base / "acronyms.json").read_text(encoding="utf-8"))["groups"])
        lengths = json.loads((base / "terms.json").read_text(encoding="utf-8")).get("lengths")
    except (StoreError, OSError, ValueError, KeyError, TypeError):
        return None
    keys = manifest.get("documents")
    if (not keys or lengths is None or manifest.get("model_fingerprint") != model_fingerprint(embedders)
            or manifest.get("build_settings") != build_record(settings, profile)):
        return None
    mine = [document_key(d) for d in collection.documents]
    if len(mine) <= len(keys) or mine[:len(keys)] != keys:
        return None
    added = collection.documents[len(keys):]
    if sum(len(d.paragraphs) for d in added) > GROW_LIMIT * manifest["counts"]["paragraphs"]:
        return None
    if settings.build.learn_acronyms:
        defined = acronyms.definitions(p.text for d in added for p in d.paragraphs)
        if any(tuple(g) not in learnt for g in defined):
            return None
    try:  # read last: at a million paragraphs, tens of megabytes
        repeats = Repeats.load(base)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    return Growth(base, manifest, tuple(added), learnt, repeats)


def _link_tree(source: Path, target: Path) -> None:
    """The files of a folder, hard-linked into another (copied where links cannot be made)."""
    import shutil

    for path in source.rglob("*"):
        into = target / path.relative_to(source)
        if path.is_dir():
            into.mkdir(parents=True, exist_ok=True)
            continue
        into.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, into)
        except OSError:
            shutil.copy2(path, into)


def _links(settings: Settings, collection: Collection, base: LocalStore, base_dense: list[DenseIndex],
           passages: list[Passage], vectors: list[np.ndarray], embedders: list[Embedder],
           repeats: Repeats) -> list[tuple[str, str]]:
    """Links between news and statements that involve an added paragraph, chosen by the rule of a
    full build (``build.repeated``): each added report sentence against its nearest statement
    sentences in the base and every added one; each base report sentence that comes as near an
    added statement as a repeat does, against that statement and the candidates the full build
    weighed for it (``build.Repeats``: so a tie goes to the statement dated nearer the report, as
    in a full build, and nothing is searched for the reports already in the base)."""
    b = settings.build
    thresholds = twin_thresholds(settings, embedders)
    docs = {d.id: d for d in collection.documents}
    day = {d.id: d.date_range[0] for d in collection.documents}
    news = np.array([i for i, p in enumerate(passages) if p.kind == "sentence" and docs[p.doc_id].source_type == "news"],
                    dtype=np.int64)
    official = np.array([i for i, p in enumerate(passages)
                         if p.kind == "sentence" and docs[p.doc_id].source_type == "official"], dtype=np.int64)
    row_doc = np.asarray(base._paragraphs["doc"])[base._passage_para]  # each base passage's document row
    base_days = [day.get(d) for d in base._doc_ids]
    base_kinds = np.array([docs[d].source_type if d in docs else "" for d in base._doc_ids], dtype=object)
    is_official = base._is_sentence & (base_kinds[row_doc] == "official")
    added_days = [day[passages[i].doc_id] for i in official]
    added_official = [m[official] for m in vectors]
    pairs: dict[tuple[str, str], None] = {}  # each link once, in the order first found

    def base_pid(row: int) -> str:
        return str(base._paragraphs["id"][base._passage_para[row]])

    def link(queries: list[np.ndarray], when: list, own: list[str]) -> None:
        """Queries: each model's vectors of some report sentences, their reports' dates and paragraphs."""
        found = [dense.nearest(q, NEAR_FACTOR * TWIN_CANDIDATES, nprobe=TWIN_NPROBE) for dense, q in zip(base_dense, queries)]
        lists = []
        for k in range(len(own)):
            near: list[int] = []
            for rows in found:  # each model's nearest statement sentences of the base
                rows = rows[k][rows[k] >= 0]
                near.extend(r for r in rows[is_official[rows]][:TWIN_CANDIDATES].tolist() if r not in near)
            lists.append(np.array(near, dtype=np.int64))
        every = np.unique(np.concatenate(lists)) if lists else np.zeros(0, dtype=np.int64)
        stored = [dense.vectors(every) for dense in base_dense]  # each candidate's vectors, read once
        for k, cands in enumerate(lists):
            at = np.searchsorted(every, cands)
            margins = np.max([np.concatenate([v[at] @ q[k], a @ q[k]]) - t
                              for v, q, a, t in zip(stored, queries, added_official, thresholds)], axis=0)
            pick = repeated(margins, [base_days[row_doc[r]] for r in cands] + added_days, when[k], b.twin_tie)
            if pick < 0:
                continue
            pairs.setdefault((own[k], base_pid(int(cands[pick])) if pick < len(cands)
                              else passages[official[pick - len(cands)]].paragraph_id))

    if len(news):  # added reports
        link([m[news] for m in vectors], [day[passages[i].doc_id] for i in news],
             [passages[i].paragraph_id for i in news])
    if len(official):  # base reports repeating an added statement: weighed against what the full build weighed
        reports = np.flatnonzero(base._is_sentence & (base_kinds[row_doc] == "news"))
        step = max(1, min(SLICE, MARGINS // len(official)))
        for at in range(0, len(reports), step):  # a slice of their vectors at a time
            part = reports[at:at + step]
            margins = np.max([dense.vectors(part) @ a.T - t for dense, a, t in zip(base_dense, added_official, thresholds)],
                             axis=0)  # each report sentence's margin over each added statement sentence
            for k in np.flatnonzero(margins.max(axis=1) >= 0).tolist():
                row = int(part[k])
                cands, kept = repeats.of(row)
                pick = repeated(np.concatenate([kept, margins[k]]), [base_days[row_doc[r]] for r in cands] + added_days,
                                base_days[row_doc[row]], b.twin_tie)
                if pick >= len(cands):
                    pairs.setdefault((base_pid(row), passages[official[pick - len(cands)]].paragraph_id))
    return list(pairs)


def grow(settings: Settings, collection: Collection, profile: Profile, embedders: list[Embedder], growth: Growth,
         progress: bool, encoder, scratch: Path) -> BuildReport:
    """Make the grown build (see the module) and make it current, atomically."""
    started = time.perf_counter()
    b = settings.build
    analyzer = Analyzer(profile, growth.learnt)
    added = Collection(growth.added, "")
    pairs = added.paragraphs()
    passages = make_passages(added, b.piece_chars, b.piece_overlap)
    texts = embed_texts(settings, added, passages)
    keys = embed_keys(texts)
    vectors, reused = passage_vectors(settings, embedders, texts, keys, scratch, progress, encoder)
    word_terms, phrase_terms, paragraph_words = paragraph_views(settings, analyzer, pairs)
    records = paragraph_records(pairs)
    base = LocalStore.load(growth.base, len(embedders))
    base_dense = base._dense  # its vector indexes, as the store opened them
    base_links = [tuple(p) for p in json.loads((growth.base / "links.json").read_text(encoding="utf-8"))["twins"]]
    known = set(base_links)
    links = base_links + [p for p in _links(settings, collection, base, base_dense, passages, vectors, embedders,
                                               growth.repeats)
                          if p not in known]
    terms = json.loads((growth.base / "terms.json").read_text(encoding="utf-8"))
    counts = Counter(terms["counts"]) + term_counts(word_terms)
    words = Counter(json.loads((growth.base / "words.json").read_text(encoding="utf-8"))) + collection_words(
        paragraph_words, growth.added)
    table = word_table(settings, analyzer, embedders, words, reuse=related.WordTable.load(growth.base))
    n_base = growth.manifest["counts"]
    manifest = manifest_of(settings, profile, embedders, collection, n_base["paragraphs"] + len(pairs),
                           n_base["passages"] + len(passages), len(growth.learnt))
    manifest["grown_from"] = {"documents": n_base["documents"], "paragraphs": n_base["paragraphs"],
                              "passages": n_base["passages"]}

    def write(folder: Path) -> dict:
        _link_tree(growth.base, folder / BASE)
        (folder / ADDED).mkdir()
        for view, matrix in enumerate(vectors):
            DenseIndex.build(matrix).save(folder / ADDED / LocalStore._dense_file(view))
            release(matrix)
        (folder / ADDED / "terms.json").write_text(json.dumps({"words": word_terms, "phrases": phrase_terms},
                                                              ensure_ascii=False), encoding="utf-8")
        LocalStore.write_tables(folder, passages, records, base=growth.base)
        base_keys = growth.base / "embed_keys.npy"
        append_rows(folder / "embed_keys.npy", base_keys, keys_like(keys, np.load(base_keys, mmap_mode="r").dtype))
        (folder / "links.json").write_text(json.dumps({"twins": links}), encoding="utf-8")
        (folder / "terms.json").write_text(json.dumps({"paragraphs": terms["paragraphs"] + len(pairs), "counts": counts,
                                                       "lengths": terms["lengths"]}), encoding="utf-8")
        (folder / "words.json").write_text(json.dumps(dict(words.most_common()), ensure_ascii=False), encoding="utf-8")
        for name in ("acronyms.json", "long_forms.json"):  # the alias groups are the base's: so are these
            (folder / name).write_bytes((growth.base / name).read_bytes())
        if table is not None:
            table.save(folder)
        return {"dense_index": growth.manifest.get("dense_index", "none")}

    known = {f"{BASE}/{rel}": entry for rel, entry in growth.manifest.get("files", {}).items()}  # the base's, linked
    folder = store.write_build(settings.index_dir, manifest, write, known=known, busy=scratch)
    return BuildReport(folder, len(passages), len(pairs), time.perf_counter() - started, len(growth.learnt), reused,
                       len(passages) * len(embedders) - reused, grown=True)
