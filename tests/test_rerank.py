import pytest

from qa.errors import ModelError
from qa.rerank import CrossEncoderReranker, load_reranker


def test_no_reranker_path_means_no_reranker():
    assert load_reranker("") is None


def test_a_missing_folder_names_the_setting(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match=r"QA_RERANKER='.*no-such-model' is not a folder"):
        load_reranker(str(missing))


def test_a_file_instead_of_a_folder_names_the_setting(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"not a model folder")
    with pytest.raises(ModelError, match=r"QA_RERANKER='.*model\.safetensors' is not a folder"):
        load_reranker(str(weights))


def test_scores_pairs_the_question_with_each_text_in_order():
    class FakeModel:
        def predict(self, pairs, show_progress_bar):
            self.pairs = pairs
            return [len(text) / 10 for _, text in pairs]

    reranker = CrossEncoderReranker.__new__(CrossEncoderReranker)  # no model loaded: none is installed
    reranker._model = FakeModel()
    assert reranker.scores("q?", ["abc", "a"]) == [0.3, 0.1]
    assert reranker._model.pairs == [("q?", "abc"), ("q?", "a")]
