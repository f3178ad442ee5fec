"""The eval set: loading, and every malformed line named with its number and the fix."""

import json

import pytest

from qa.corpus import load_collection
from qa.errors import EvalError
from qa.eval.dataset import DEFAULT_SET, EVAL_DIR, KINDS, half, load_eval_set

from conftest import CORPUS


@pytest.fixture(scope="module")
def collection():
    return load_collection(CORPUS)


def write_set(tmp_path, rows):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows), encoding="utf-8")
    return path


GOOD = {"id": "a", "kind": "direct", "question": "q", "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 2}]}


@pytest.mark.parametrize(
    "rows, message",
    [([GOOD, {**GOOD, "id": "b", "gold": [{"doc_id": "paris-2024", "paragraph": 1}]}],
      r"set\.jsonl:2: gold doc_id 'paris-2024' is not in the collection"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 12}]}], r"set\.jsonl:1: rome-2021 has no paragraph 12"),
     ([GOOD, "{broken"], r"set\.jsonl:2 is not valid JSON"),
     ([GOOD, GOOD], r"set\.jsonl:2: id 'a' is used twice"),
     ([{**GOOD, "kind": "trivia"}], r"kind 'trivia' is not one of direct"),
     ([{**GOOD, "kind": "off_topic"}], "an off_topic question must have no gold"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 1}]}], "needs at least one gold paragraph of grade 2"),
     ([{**GOOD, "gold": [{"doc_id": "rome-2021", "paragraph": 7, "grade": 3}]}], "grade 3 must be 1"),
     ([{"id": "a", "kind": "direct"}], "needs string fields id, kind and question")],
)
def test_eval_file_errors_name_the_line(tmp_path, collection, rows, message):
    with pytest.raises(EvalError, match=message):
        load_eval_set(write_set(tmp_path, rows), collection)


def test_public_eval_sets_are_valid_and_cover_every_kind(collection):
    questions = load_eval_set(DEFAULT_SET, collection)
    assert len(questions) >= 100
    assert {g.doc_id for qq in questions for g in qq.gold} == {d.id for d in collection.documents}
    dev = load_eval_set(EVAL_DIR / "dev.jsonl", collection)
    assert len(dev) >= 150
    languages = load_eval_set(EVAL_DIR / "languages.jsonl", collection)
    for kind in KINDS:
        assert sum(q.kind == kind for q in questions + dev + languages) >= 10, kind
    # Questions in other languages: each half holds enough of each kind to fit and to report on.
    for split in ("tune", "test"):
        part = half(languages, split)
        assert sum(q.kind == "other_language" for q in part) >= 15
        assert sum(not q.answerable for q in part) >= 10


def test_a_split_set_gives_each_half_and_an_unsplit_set_says_so(tmp_path, collection):
    rows = [{**GOOD, "id": "a", "split": "tune"}, {**GOOD, "id": "b", "split": "test"},
            {"id": "c", "kind": "near_subject", "split": "test", "question": "q", "gold": []}]
    questions = load_eval_set(write_set(tmp_path, rows), collection)
    assert [q.id for q in half(questions, "test")] == ["b", "c"] and [q.id for q in half(questions, "all")] == ["a", "b", "c"]
    assert not questions[2].answerable  # near-subject questions must be refused, like off-topic ones
    with pytest.raises(EvalError, match="split 'train' is not one of all, tune, test"):
        half(questions, "train")
    unsplit = load_eval_set(write_set(tmp_path, [GOOD]), collection)
    with pytest.raises(EvalError, match="this eval set has no tune half"):
        half(unsplit, "tune")
    with pytest.raises(EvalError, match="split 'half' is not one of tune, test"):
        load_eval_set(write_set(tmp_path, [{**GOOD, "split": "half"}]), collection)


def test_every_bundled_eval_set_is_split_in_halves_within_each_kind_or_kept_for_reporting(collection):
    for path in sorted(EVAL_DIR.glob("*.jsonl")):
        questions = load_eval_set(path, collection)
        if all(q.split == "test" for q in questions):
            continue  # written only to be reported on: nothing is tuned or fitted on it
        for kind in {q.kind for q in questions}:
            splits = [q.split for q in questions if q.kind == kind]
            assert abs(splits.count("tune") - splits.count("test")) <= 1, (path.name, kind)
