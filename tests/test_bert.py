import numpy as np
import pytest

from qa.bert import BertEncoder
from qa.embed import bundled_model_path

QUESTION = "What did the ministers say about detainees held in the north-east?"
WORDS = ["web", "outfit", "heartland", "kids"]


@pytest.fixture(scope="module")
def encoder() -> BertEncoder:
    return BertEncoder(bundled_model_path())


def test_a_question_and_its_words_run_as_one_sequence_give_each_its_own_vector(encoder, monkeypatch):
    alone = np.vstack([encoder.encode([t]) for t in [QUESTION, *WORDS]])
    runs = []
    real = encoder._run
    monkeypatch.setattr(encoder, "_run", lambda ids, *rest: runs.append(ids.shape) or real(ids, *rest))
    packed = encoder.encode([QUESTION, *WORDS])
    assert runs == [(1, sum(len(encoder._tokenizer.encode(t).ids) for t in [QUESTION, *WORDS]))]
    np.testing.assert_allclose(packed, alone, atol=1e-5)
    # each text attends only to itself: a word's vector does not depend on its neighbours
    np.testing.assert_allclose(encoder.encode(["kids", QUESTION])[0], alone[4], atol=1e-5)


def test_texts_too_long_to_pack_are_padded_side_by_side_to_the_same_vectors(encoder, monkeypatch):
    monkeypatch.setattr(encoder, "PACK_TOKENS", 8)
    runs = []
    real = encoder._run
    monkeypatch.setattr(encoder, "_run", lambda ids, *rest: runs.append(ids.shape) or real(ids, *rest))
    padded = encoder.encode([QUESTION, *WORDS])
    assert runs[0][0] == 1 + len(WORDS)
    alone = np.vstack([encoder.encode([t]) for t in [QUESTION, *WORDS]])
    np.testing.assert_allclose(padded, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(padded, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_the_numpy_encoder_matches_sentence_transformers(encoder):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
    texts = [QUESTION, *WORDS]
    expected = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(encoder.encode(texts), expected, atol=1e-5)
