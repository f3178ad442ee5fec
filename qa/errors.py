"""The project's errors: one base class, a few kinds, each message naming the file or value and the fix."""


class QAError(Exception):
    """Base class for every error Coalition QA raises on purpose.

    The CLI and the web app show ``str(error)`` as one line and never a traceback,
    so every message says what was wrong, where, and what to do about it.
    """


class CorpusError(QAError):
    """A document or the collection's metadata cannot be used as it is."""


class ConfigError(QAError):
    """A setting (environment variable, flag or argument) has a value we cannot use."""


class StoreError(QAError):
    """The built index is missing, damaged, or was built from other inputs."""


class ModelError(QAError):
    """The embedding model cannot be found or does not match its expected weights."""


class QueryError(QAError):
    """A question or its filters cannot be searched as given."""


class EvalError(QAError):
    """The evaluation set is malformed."""
