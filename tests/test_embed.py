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
