"""Coalition QA: ask questions of a collection of official statements, get cited paragraphs back."""

from qa.corpus import Collection, Document, Paragraph, load_collection
from qa.errors import QAError

__version__ = "0.1.0"

__all__ = ["Collection", "Document", "Paragraph", "QAError", "load_collection", "__version__"]
