"""Coalition QA: ask questions of a collection of official statements, get cited paragraphs back.

Public API::

    from qa import Engine
    engine = Engine.load()
    answer = engine.search("what did the Coalition say about detainees?", k=5,
                           filters=engine.filters(doc_ids=["rome-2021"]))
"""

__version__ = "0.3.0"

from qa.config import Settings  # noqa: E402
from qa.corpus import Collection, Document, load_collection  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.types import Answer, Filters, Hit, Paragraph  # noqa: E402


def __getattr__(name):
    # The engine pulls in FAISS and bm25s; import it only when asked for.
    if name == "Engine":
        from qa.pipeline import Engine

        return Engine
    raise AttributeError(name)


__all__ = ["Answer", "Collection", "Document", "Engine", "Filters", "Hit", "Paragraph", "QAError", "Settings",
           "load_collection", "__version__"]
