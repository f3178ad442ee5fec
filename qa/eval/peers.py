"""The recipes a user would pick instead, run on the same files, model and questions as ours.

- ``langchain``: the LangChain RAG tutorial: RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200) over each raw file, a FAISS vector store, similarity search.
- ``llamaindex``: LlamaIndex defaults: SentenceSplitter(chunk_size=1024, chunk_overlap=200) and a
  VectorStoreIndex, retrieved with ``as_retriever``. Its chunks are about a whole statement, and
  MiniLM reads only the first 256 word pieces of each, so it is also run as
- ``llamaindex-window``: the same with chunks the model reads whole (SentenceSplitter 200/40
  tokens, about 250 word pieces), which is what a careful user would set;
- ``bm25``: plain BM25 (bm25s, English stopwords and stemmer) over our clean paragraphs, no
  aliases, lay words or embedding: what the lexical view alone gives.

The first three index the files as they are (boilerplate and all, as a user would load them);
none refuses. Their chunks are mapped back to our paragraphs by character overlap with each
paragraph's span in the source file, so they are scored exactly like us. Development
dependencies only (requirements-dev.txt); the app never imports this module.
"""

from __future__ import annotations

from typing import Callable

from qa.corpus import Collection
from qa.embed import Embedder
from qa.errors import QAError
from qa.eval.metrics import DEPTH, Ranked

PEERS = ("langchain", "llamaindex", "llamaindex-window", "bm25")
# LlamaIndex's default chunk, and one the embedding model reads whole (tokens of its splitter,
# which runs about 1.2 word pieces per token on this prose: 200 tokens fit MiniLM's 256).
LLAMAINDEX_CHUNKS = {"llamaindex": (1024, 200), "llamaindex-window": (200, 40)}
CHUNKS = DEPTH  # chunks retrieved per question; each maps to one or more paragraphs


def chunk_to_paragraphs(collection: Collection, doc_id: str, start: int, end: int) -> list[tuple[str, int]]:
    """Paragraphs of a document overlapping the source span [start, end), most overlap first."""
    doc = collection.document(doc_id)
    overlaps = []
    for para in doc.paragraphs:
        overlap = min(end, para.end) - max(start, para.start)
        if overlap > 0:
            overlaps.append((-overlap, para.number))
    return [(doc_id, number) for _, number in sorted(overlaps)]


def rank_paragraphs(collection: Collection, chunks: list[tuple[str, int, int]]) -> tuple[tuple[str, int], ...]:
    """Ranked chunks (doc id, start, end) to ranked, de-duplicated paragraphs."""
    seen: list[tuple[str, int]] = []
    for doc_id, start, end in chunks:
        for item in chunk_to_paragraphs(collection, doc_id, start, end):
            if item not in seen:
                seen.append(item)
    return tuple(seen[:DEPTH])


def langchain_system(collection: Collection, embedder: Embedder) -> Callable[[str], Ranked]:
    """The LangChain tutorial recipe as an eval system."""
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document as LCDocument
        from langchain_core.embeddings import Embeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as exc:
        raise QAError(f"the LangChain peer needs the dev requirements ({exc.name} is missing); "
                      f"run: .venv/bin/pip install -r requirements-dev.txt, or pass --no-peers") from None

    class SameModel(Embeddings):
        def embed_documents(self, texts):
            return embedder.encode(texts).tolist()

        def embed_query(self, text):
            return embedder.encode([text], query=True)[0].tolist()

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    docs = [LCDocument(page_content=d.source_text(), metadata={"doc_id": d.id}) for d in collection.documents]
    store = FAISS.from_documents(splitter.split_documents(docs), SameModel())

    def search(question: str) -> Ranked:
        found = store.similarity_search(question, k=CHUNKS)
        chunks = [(c.metadata["doc_id"], c.metadata["start_index"], c.metadata["start_index"] + len(c.page_content))
                  for c in found]
        return Ranked(rank_paragraphs(collection, chunks), refused=False)

    return search


def llamaindex_system(collection: Collection, embedder: Embedder, chunk_size: int = 1024,
                      overlap: int = 200) -> Callable[[str], Ranked]:
    """LlamaIndex (SentenceSplitter chunk_size/overlap, VectorStoreIndex) as an eval system."""
    try:
        from llama_index.core import Document as LIDocument
        from llama_index.core import Settings as LISettings
        from llama_index.core import VectorStoreIndex
        from llama_index.core.embeddings import BaseEmbedding
        from llama_index.core.node_parser import SentenceSplitter
    except ImportError as exc:
        raise QAError(f"the LlamaIndex peer needs the dev requirements ({exc.name} is missing); "
                      f"run: .venv/bin/pip install -r requirements-dev.txt, or pass --no-peers") from None

    class SameModel(BaseEmbedding):
        def _get_query_embedding(self, query):
            return embedder.encode([query], query=True)[0].tolist()

        def _get_text_embedding(self, text):
            return embedder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts):
            return embedder.encode(texts).tolist()

        async def _aget_query_embedding(self, query):
            return self._get_query_embedding(query)

    LISettings.llm = None  # retrieval only: never reach for a hosted LLM
    docs = [LIDocument(text=d.source_text(), id_=d.id, excluded_embed_metadata_keys=["doc_id"],
                       metadata={"doc_id": d.id}) for d in collection.documents]
    index = VectorStoreIndex.from_documents(
        docs, embed_model=SameModel(model_name=embedder.name),
        transformations=[SentenceSplitter(chunk_size=chunk_size, chunk_overlap=overlap)],
    )
    retriever = index.as_retriever(similarity_top_k=CHUNKS)

    def search(question: str) -> Ranked:
        nodes = retriever.retrieve(question)
        chunks = [(n.node.metadata["doc_id"], n.node.start_char_idx or 0, n.node.end_char_idx or 0) for n in nodes]
        return Ranked(rank_paragraphs(collection, chunks), refused=False)

    return search


def bm25_system(collection: Collection) -> Callable[[str], Ranked]:
    """Plain BM25 over the clean paragraphs (bm25s, English stopwords, Snowball stemmer) as an eval system."""
    import bm25s
    import Stemmer

    pairs = collection.paragraphs()
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([p.text for _, p in pairs], stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)

    def search(question: str) -> Ranked:
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return Ranked((), refused=False)
        rows, _ = retriever.retrieve(tokens, k=min(DEPTH, len(pairs)), show_progress=False)
        return Ranked(tuple((pairs[i][0].id, pairs[i][1].number) for i in rows[0]), refused=False)

    return search


def peer_system(name: str, collection: Collection, embedder: Embedder) -> Callable[[str], Ranked]:
    if name == "langchain":
        return langchain_system(collection, embedder)
    if name in LLAMAINDEX_CHUNKS:
        return llamaindex_system(collection, embedder, *LLAMAINDEX_CHUNKS[name])
    if name == "bm25":
        return bm25_system(collection)
    raise QAError(f"unknown peer {name!r}; the peers are {', '.join(PEERS)}")
