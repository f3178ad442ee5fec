import numpy as np
import pytest

from qa.embed import HashingEmbedder, SentenceTransformerEmbedder, bundled_model_path, load_embedder
from qa.errors import ModelError


def test_hashing_embedder_is_deterministic_and_normalised():
    a = HashingEmbedder().encode(["detainees in northeast Syria", "cake"])
    b = HashingEmbedder().encode(["detainees in northeast Syria", "cake"])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-5)
    near, far = HashingEmbedder().encode(["detainees in Syria", "chocolate cake"]) @ a[0]
    assert near > 0.5 > far


def test_wrong_weights_are_refused_before_use():
    with pytest.raises(ModelError, match="has sha256 53aa5117.*expected 0000.*reinstall"):
        SentenceTransformerEmbedder(bundled_model_path(), "bundled", expected_sha256="0" * 64)


def test_unknown_model_says_nothing_is_downloaded(tmp_path):
    with pytest.raises(ModelError, match="never downloaded at run time"):
        load_embedder("no-such-org/no-such-model")
    with pytest.raises(ModelError, match="has no model.safetensors or pytorch_model.bin"):
        load_embedder(str(tmp_path))


def test_bundled_weights_are_the_upstream_file():
    import hashlib

    digest = hashlib.sha256((bundled_model_path() / "model.safetensors").read_bytes()).hexdigest()
    assert digest == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_a_model_folders_fingerprint_covers_every_file_that_shapes_its_vectors(tmp_path):
    from qa.embed import _settings_digest

    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    (tmp_path / "tokenizer.json").write_text("{}")
    (tmp_path / "vocab.txt").write_text("[PAD]\nthe\n")
    (tmp_path / "README.md").write_text("a model")
    first = _settings_digest(tmp_path, weights)
    (tmp_path / "README.md").write_text("a model, described again")  # says nothing of the vectors
    weights.write_bytes(b"other weights")  # hashed on its own, with the expected hash
    assert _settings_digest(tmp_path, weights) == first
    for name, text in (("1_Pooling/config.json", '{"pooling_mode_cls_token": true}'), ("vocab.txt", "[PAD]\nan\n"),
                       ("tokenizer.json", '{"truncation": 128}')):
        before = _settings_digest(tmp_path, weights)
        (tmp_path / name).write_text(text)
        assert _settings_digest(tmp_path, weights) != before, name


def test_a_files_hash_is_remembered_until_the_file_changes(tmp_path, monkeypatch):
    from qa import embed, filehash

    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"weights one")
    hashed = []
    real = filehash.sha256_of
    monkeypatch.setattr(filehash, "sha256_of", lambda p: hashed.append(p) or real(p))
    first = embed._verified_sha256(weights)
    assert embed._verified_sha256(weights) == first and len(hashed) == 1  # remembered
    weights.write_bytes(b"weights two, changed")
    assert embed._verified_sha256(weights) == real(weights) != first and len(hashed) == 2  # changed: hashed again
    (tmp_path / "cache" / "verified.json").write_text("{broken")
    assert embed._verified_sha256(weights) == real(weights) and len(hashed) == 3  # a damaged cache only costs time


def test_a_question_is_encoded_on_one_blas_thread_and_a_batch_on_all_of_them():
    # BLAS threads left spinning after a question's tiny matrices take the cores e5's own engine
    # needs next; so do a question's words looked up beside it (qa.related); a batch of passages to
    # index still uses every thread, and the limit is undone either way.
    from threadpoolctl import threadpool_info

    from qa.embed import BundledEmbedder

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    embedder = BundledEmbedder()
    before = blas_threads()
    seen = []
    real = embedder._encoder.encode
    embedder._encoder.encode = lambda texts: seen.append((len(texts), blas_threads())) or real(texts)
    question = "who trains the police in Iraq?"
    passage = "The Coalition trains and equips the police of Iraq so that they can hold the areas freed. " * 2
    one = embedder.encode([question], query=True)
    words = embedder.encode([question, "web", "outfit", "heartland", "kids", "troops"], query=True)
    batch = embedder.encode([question] + [passage] * 6)
    assert seen[0] == (1, [1] * len(before)) and seen[1] == (6, [1] * len(before)) and seen[2] == (7, before)
    assert blas_threads() == before
    np.testing.assert_allclose(one[0], batch[0], atol=1e-5)  # the same vector on one thread or several
    np.testing.assert_allclose(one[0], words[0], atol=1e-5)
