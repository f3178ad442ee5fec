"""A store in Milvus: the same views as the embedded store, served by Milvus Lite or a Milvus server.

    QA_STORE=milvus                                   Milvus Lite, in <index folder>/milvus.db
    QA_STORE=milvus QA_MILVUS_URI=http://host:19530   a Milvus server or cluster (QA_MILVUS_TOKEN if it asks for one)

Each build writes two collections, named for the build:

- ``<name>_passages``: one row per passage, with a vector field per model (``vector_0``, ...),
  searched with inner product on normalised vectors (cosine), exactly (FLAT) as FAISS does below
  its exact limit, or with IVF_FLAT above it (as many lists as FAISS makes, as many probed);
- ``<name>_paragraphs``: one row per paragraph with its BM25 word and word-pair terms, scored by
  Milvus' own BM25 function (k1 1.5, b 0.75: the values bm25s uses).

Our analyzer still decides what a term is (stems, aliases, word pairs); each term is written as
a short token (its number in the build's vocabulary) that Milvus' standard tokenizer keeps whole,
so Milvus counts exactly the terms bm25s counts. Filters become Milvus boolean expressions, applied
inside each search. The views are searched one by one and fused by the engine, as with FAISS, so
both stores give the same answers.

The build folder keeps ``milvus.json`` (where the collections are, and the term tokens); the
collections of builds older than the one in use are dropped when a new build is written.

Milvus Lite serves one process at a time: a second process opening the same ``milvus.db`` fails.
For a web app and command-line use at once, run a Milvus server (see README).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.errors import StoreError
from qa.retrieve import ParagraphRecord, PassageMatches
from qa.retrieve.dense import EXACT_LIMIT, NPROBE, ivf_lists
from qa.types import Filters, Matches, Passage

SETTINGS_FILE = "milvus.json"
LITE_FILE = "milvus.db"
PREFIX = "qa_"
BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}
INSERT_BATCH = 2000
MAX_TEXT = 65535  # Milvus' longest VARCHAR


def _client(uri: str):
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StoreError("QA_STORE=milvus needs pymilvus and milvus-lite; run: pip install -r requirements-milvus.txt") from None
    try:
        return MilvusClient(uri, token=os.environ.get("QA_MILVUS_TOKEN", ""))
    except Exception as exc:
        hint = ("another process has this Milvus Lite file open (Lite serves one process at a time; run a Milvus "
                "server for more)") if not uri.startswith("http") else "check that the server is running"
        raise StoreError(f"cannot open Milvus at {uri} ({type(exc).__name__}: {exc}); {hint}") from None


def resolve_uri(uri: str, index_dir: Path) -> str:
    """The Milvus URI to use: the one given, or a Milvus Lite file in the index folder."""
    return uri or str(Path(index_dir).resolve() / LITE_FILE)


def _token(n: int) -> str:
    """Term number n as a token Milvus' standard tokenizer keeps whole (letters and digits)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return "t" + out


def _text(tokens: list[str]) -> str:
    text = " ".join(tokens)
    if len(text) > MAX_TEXT:  # a paragraph of over ~10,000 terms: its first terms are scored
        text = text[:text.rfind(" ", 0, MAX_TEXT)]
    return text


def _insert(client, collection: str, rows) -> None:
    """Insert rows into a collection in batches of ``INSERT_BATCH`` (rows are made as they go)."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            client.insert(collection, batch)
            batch = []
    if batch:
        client.insert(collection, batch)


def expression(filters: Filters) -> str:
    """Filters as a Milvus boolean expression (empty: every row)."""
    parts = []
    if filters.doc_ids:
        parts.append(f"doc_id in {json.dumps(list(filters.doc_ids))}")
    if filters.source_types:
        parts.append(f"source_type in {json.dumps(list(filters.source_types))}")
    if filters.since:
        parts.append(f"last_day >= {filters.since.toordinal()}")
    if filters.until:
        parts.append(f"first_day <= {filters.until.toordinal()}")
    return " and ".join(parts)


class MilvusStore:
    """The store protocol (``qa.retrieve.PassageStore``) over two Milvus collections."""

    kind = "milvus"

    def __init__(self, client, passages: str, paragraphs: str, vocabulary: dict[str, str], views: int):
        self._client, self._passages, self._paragraphs = client, passages, paragraphs
        self._tokens, self._views = vocabulary, views
        for name in (passages, paragraphs):
            if not client.has_collection(name):
                raise StoreError(f"Milvus collection {name} is missing (dropped, or another server); "
                                 f"run: python -m qa build")
            client.load_collection(name)

    # ---- writing ------------------------------------------------------------------------------

    @staticmethod
    def write(folder: Path, passages: list[Passage], vectors: list[np.ndarray], paragraphs: list[ParagraphRecord],
              word_terms: list[list[str]], phrase_terms: list[list[str]], uri: str) -> str:
        """Write a build's collections and ``milvus.json``; drop the collections of older builds
        (all but the build in use and this one). Returns the vector index type."""
        from pymilvus import DataType, Function, FunctionType

        client = _client(uri)
        name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
        keep = {name} | set(_in_use(folder.parent))
        for old in client.list_collections():
            if old.startswith(PREFIX) and old.rsplit("_", 1)[0] not in keep:
                client.drop_collection(old)
        vocabulary: dict[str, str] = {}
        for terms in (*word_terms, *phrase_terms):
            for t in terms:
                if t not in vocabulary:
                    vocabulary[t] = _token(len(vocabulary))
        index_type = "FLAT" if len(passages) <= EXACT_LIMIT else "IVF_FLAT"

        schema = client.create_schema(auto_id=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        for field in ("passage_id", "paragraph_id", "doc_id", "source_type"):
            schema.add_field(field, DataType.VARCHAR, max_length=256)
        for field in ("first_day", "last_day", "number", "start", "end"):
            schema.add_field(field, DataType.INT32)
        schema.add_field("sentence", DataType.BOOL)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_TEXT)
        params = client.prepare_index_params()
        for view, matrix in enumerate(vectors):
            schema.add_field(f"vector_{view}", DataType.FLOAT_VECTOR, dim=int(matrix.shape[1]))
            params.add_index(field_name=f"vector_{view}", index_type=index_type, metric_type="IP",
                             params={} if index_type == "FLAT" else {"nlist": ivf_lists(len(passages))})
        client.create_collection(f"{name}_passages", schema=schema, index_params=params)
        records = {r.id: r for r in paragraphs}

        def passage_rows():
            for i, p in enumerate(passages):
                r = records[p.paragraph_id]
                row = {"row": i, "passage_id": p.id, "paragraph_id": p.paragraph_id, "doc_id": p.doc_id,
                       "source_type": r.source_type, "first_day": r.first_day, "last_day": r.last_day,
                       "number": p.number, "start": p.start, "end": p.end, "sentence": p.kind == "sentence",
                       "text": p.text[:MAX_TEXT]}
                for view, matrix in enumerate(vectors):
                    row[f"vector_{view}"] = matrix[i].astype(np.float32).tolist()
                yield row

        _insert(client, f"{name}_passages", passage_rows())

        schema = client.create_schema(auto_id=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        for field in ("paragraph_id", "doc_id", "source_type"):
            schema.add_field(field, DataType.VARCHAR, max_length=256)
        for field in ("first_day", "last_day"):
            schema.add_field(field, DataType.INT32)
        params = client.prepare_index_params()
        for view in ("words", "pairs"):
            schema.add_field(view, DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                             analyzer_params={"tokenizer": "standard"})
            schema.add_field(f"{view}_bm25", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(Function(name=f"{view}_bm25", function_type=FunctionType.BM25,
                                         input_field_names=[view], output_field_names=[f"{view}_bm25"]))
            params.add_index(field_name=f"{view}_bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                             params=dict(BM25))
        client.create_collection(f"{name}_paragraphs", schema=schema, index_params=params)
        _insert(client, f"{name}_paragraphs", (
            {"row": i, "paragraph_id": r.id, "doc_id": r.doc_id, "source_type": r.source_type,
             "first_day": r.first_day, "last_day": r.last_day,
             "words": _text([vocabulary[t] for t in words]), "pairs": _text([vocabulary[t] for t in pairs])}
            for i, (r, words, pairs) in enumerate(zip(paragraphs, word_terms, phrase_terms))))
        for collection in (f"{name}_passages", f"{name}_paragraphs"):
            client.flush(collection)
        (folder / SETTINGS_FILE).write_text(json.dumps({"uri": uri, "name": name, "views": len(vectors),
                                                        "vocabulary": vocabulary}, ensure_ascii=False),
                                            encoding="utf-8")
        return f"Milvus {index_type}"

    @classmethod
    def load(cls, folder: Path, views: int = 1) -> "MilvusStore":
        try:
            record = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
            uri, name, vocabulary = record["uri"], record["name"], record["vocabulary"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"index in {folder} cannot be read ({exc}); run: python -m qa build") from None
        if record.get("views", views) < views:
            raise StoreError(f"index in {folder} has {record.get('views')} vector fields, {views} are asked for; "
                             f"run: python -m qa build")
        return cls(_client(uri), f"{name}_passages", f"{name}_paragraphs", vocabulary, views)

    # ---- searching ----------------------------------------------------------------------------

    def admits_any(self, filters: Filters) -> bool:
        if filters.empty:
            return True
        return bool(self._client.query(self._paragraphs, filter=expression(filters), output_fields=["row"], limit=1))

    def dense(self, vector: np.ndarray, k: int, filters: Filters, view: int = 0) -> PassageMatches:
        found = self._client.search(self._passages, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                    anns_field=f"vector_{view}", limit=min(k, 16384), filter=expression(filters),
                                    output_fields=["passage_id", "paragraph_id", "sentence"],
                                    search_params={"metric_type": "IP", "params": {"nprobe": NPROBE}})[0]
        return PassageMatches(tuple(h["entity"]["passage_id"] for h in found),
                              tuple(h["entity"]["paragraph_id"] for h in found),
                              np.array([bool(h["entity"]["sentence"]) for h in found], dtype=bool),
                              np.array([h["distance"] for h in found], dtype=np.float32))

    def _bm25(self, field: str, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        tokens = [self._tokens[t] for t in terms if t in self._tokens]
        if not tokens:
            return Matches((), np.zeros(0, dtype=np.float32))
        found = self._client.search(self._paragraphs, data=[" ".join(tokens)], anns_field=f"{field}_bm25",
                                    limit=min(k, 16384), filter=expression(filters), output_fields=["paragraph_id"],
                                    search_params={"metric_type": "BM25", "params": {}})[0]
        # Milvus Lite gives a BM25 score as a negative distance (a server as the score itself), and
        # keeps the (k1 + 1) factor of the original BM25 that Lucene and bm25s leave out.
        scale = 1.0 + BM25["bm25_k1"]
        scored = [(abs(float(h["distance"])) / scale, h["entity"]["paragraph_id"]) for h in found]
        scored = [(s, pid) for s, pid in scored if s > 0]
        return Matches(tuple(pid for _, pid in scored), np.array([s for s, _ in scored], dtype=np.float32))

    def lexical(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._bm25("words", terms, k, filters)

    def phrases(self, terms: Sequence[str], k: int, filters: Filters) -> Matches:
        return self._bm25("pairs", terms, k, filters)

    def sentences(self, paragraph_id: str) -> list[Passage]:
        rows = self._client.query(self._passages, filter=f"paragraph_id == {json.dumps(paragraph_id)} and sentence == true",
                                  output_fields=["row", "passage_id", "doc_id", "number", "text", "start", "end"])
        return [Passage(r["passage_id"], paragraph_id, r["doc_id"], int(r["number"]), "sentence", r["text"],
                        int(r["start"]), int(r["end"])) for r in sorted(rows, key=lambda r: r["row"])]

    def _vectors(self, passage_ids: Sequence[str], view: int) -> dict[str, np.ndarray]:
        ids = list(dict.fromkeys(passage_ids))
        rows = self._client.query(self._passages, filter=f"passage_id in {json.dumps(ids)}",
                                  output_fields=["passage_id", f"vector_{view}"]) if ids else []
        return {r["passage_id"]: np.asarray(r[f"vector_{view}"], dtype=np.float32) for r in rows}

    def similarity(self, vector: np.ndarray, passage_ids: Sequence[str], view: int = 0) -> np.ndarray:
        found = self._vectors(passage_ids, view)
        missing = [p for p in passage_ids if p not in found]
        if missing:
            raise StoreError(f"passage {missing[0]!r} is not in this index; run: python -m qa build")
        if not passage_ids:
            return np.zeros(0)
        return np.vstack([found[p] for p in passage_ids]) @ np.asarray(vector, dtype=np.float32)


def _in_use(index_dir: Path) -> list[str]:
    """The collection name of the build in use, if it is a Milvus build."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        return [json.loads((index_dir / name / SETTINGS_FILE).read_text(encoding="utf-8"))["name"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
