"""Coalition QA: ask questions of a collection of official statements, get cited paragraphs back.

Public API::

    from qa import Engine
    engine = Engine.load()
    answer = engine.search("what did the Coalition say about detainees?", k=5,
                           filters=engine.filters(doc_ids=["rome-2021"]))
"""

__version__ = "0.2.0"

from qa.answer import Answer, Filters, Hit  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.corpus import Collection, Document, Paragraph, load_collection  # noqa: E402
from qa.errors import QAError  # noqa: E402


def __getattr__(name):
    # The engine pulls in numpy, FAISS and bm25s; import it only when asked for.
    if name == "Engine":
        from qa.engine import Engine

        return Engine
    raise AttributeError(name)


__all__ = ["Answer", "Collection", "Document", "Engine", "Filters", "Hit", "Paragraph", "QAError", "Settings",
           "load_collection", "__version__"]
