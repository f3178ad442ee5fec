"""Embedding with Ray Data workers (a local Ray on this machine): the same vectors, the same index."""

from __future__ import annotations

import numpy as np
import pytest

from qa.embed import HashingEmbedder

from conftest import CORPUS

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_workers_give_the_vectors_one_process_gives(local_ray):
    from qa import ray_embed

    texts = [f"passage {i} about topic {i % 7} and more words {i * 13}" for i in range(300)]
    vectors = ray_embed.embed(HashingEmbedder(), texts, batch=32, workers=2)
    np.testing.assert_allclose(vectors, HashingEmbedder().encode(texts), atol=1e-6)
    assert ray_embed.embed(HashingEmbedder(), [], workers=1).shape == (0, 256)


def test_a_worker_with_another_model_is_refused(local_ray):
    from qa import ray_embed

    class Renamed(HashingEmbedder):
        fingerprint = "hashing-v0-somewhere-else"

    with pytest.raises(Exception, match="fingerprint hashing-v1, the build uses hashing-v0-somewhere-else"):
        ray_embed.embed(Renamed(), ["one text"], workers=1)


def test_qa_build_with_ray_writes_the_milvus_store_and_it_answers(local_ray, tmp_path, monkeypatch, capsys):
    pytest.importorskip("pymilvus")
    from qa.cli import main
    from qa.config import Settings
    from qa.pipeline import Engine

    for name, value in {"QA_MODEL": "hashing", "QA_STORE": "milvus", "QA_CORPUS_DIR": str(CORPUS),
                        "QA_INDEX_DIR": str(tmp_path / "index")}.items():
        monkeypatch.setenv(name, value)
    assert main(["build", "--ray", "--ray-workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "0 passage vectors reused from the last build" in out and "passages) from 5 documents" in out
    engine = Engine.load(Settings.from_env(), rebuild="never", progress=False)
    assert engine.store.kind == "milvus"
    hit = engine.search("detainees in northeast Syria", k=1).hits[0]
    assert hit.doc_id == "rome-2021"
