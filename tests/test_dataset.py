"""The eval set: loading, and every malformed line named with its number and the fix."""

import json

import pytest

from qa.corpus import load_collection
from qa.errors import EvalError
from qa.eval.dataset import DEFAULT_SET, KINDS, load_eval_set

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


def test_public_eval_set_is_valid_and_covers_every_kind(collection):
    questions = load_eval_set(DEFAULT_SET, collection)
    assert len(questions) >= 100
    for kind in KINDS:
        assert sum(q.kind == kind for q in questions) >= 10, kind
    assert {g.doc_id for qq in questions for g in qq.gold} == {d.id for d in collection.documents}
