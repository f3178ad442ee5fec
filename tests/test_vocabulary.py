"""The collection's vocabulary is data beside the collection, never Python.

A synthetic collection on another subject (tests/data/harbours: harbour safety statements, with
its own vocabulary file) builds and answers with no change to the code; editing a vocabulary file
makes the index stale; and the code names no subject of the bundled collection.
"""

import ast
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from qa.config import QuerySettings, Settings
from qa.corpus import load_collection
from qa.embed import HashingEmbedder
from qa.errors import StoreError
from qa.pipeline import Engine
from qa.types import Filters

from conftest import CORPUS, DATA, ROOT

HARBOURS = DATA / "harbours"


def load(corpus, index, rebuild="auto"):
    # The hashing embedder's similarities are small: no threshold, so every question is answered; and
    # its bag-of-words "meaning" is no judge of paraphrase, so words count by min-max, not coverage.
    settings = Settings(corpus_dir=corpus, index_dir=index, model="hashing",
                        query=QuerySettings(abstain_threshold=0.0, fusion="weighted", weight_lexical=0.5))
    return Engine.load(settings, embedder=HashingEmbedder(), rebuild=rebuild, progress=False, log=lambda m: None)


@pytest.fixture
def harbours(tmp_path):
    corpus = tmp_path / "harbours"
    shutil.copytree(HARBOURS, corpus)
    return corpus


def top_lexical(engine, question):
    query = engine.intent.parse(question)
    found = engine.store.lexical(query.terms, 5, Filters())
    return [engine.paragraphs[pid][1].text for pid in found.ids]


def test_another_subject_builds_and_answers_with_its_own_words(harbours, tmp_path):
    engine = load(harbours, tmp_path / "index")
    answer = engine.search("which rules did the Lisbon communique give on cargo cranes?", k=2)
    assert answer.answerable and (answer.hits[0].doc_id, answer.hits[0].paragraph) == ("lisbon-2020", 2)
    assert answer.hits[0].citation == "Communique of the Harbour Safety Council, Lisbon, 4 May 2020, para 2"
    # Its aliases: "IMO" finds the paragraph that spells the organisation out, and the other way round.
    assert "International Maritime Organization" in top_lexical(engine, "IMO inspection guidance")[0]
    assert "the IMO to publish" in top_lexical(engine, "International Maritime Organization near misses")[0]
    # Its lay words: "boats" searches the statements' "vessels", "tugs", "tankers".
    assert "tugs and tankers" in " ".join(top_lexical(engine, "boats colliding")[:2])
    # Its places and titles name documents.
    assert engine.intent.parse("what did the Gdansk declaration say about pumps?").cue_doc_ids == {"gdansk-2023"}


def test_without_its_vocabulary_file_the_same_collection_has_no_aliases(harbours, tmp_path):
    (harbours / "vocabulary.toml").unlink()
    engine = load(harbours, tmp_path / "index")
    assert all("International Maritime Organization" not in text for text in top_lexical(engine, "IMO"))
    assert engine.search("cargo cranes inspection", k=1).hits[0].paragraph == 2  # still answers plainly


def test_editing_the_vocabulary_file_makes_the_index_stale(harbours, tmp_path):
    first = load(harbours, tmp_path / "index")
    with open(harbours / "vocabulary.toml", "a", encoding="utf-8") as f:
        f.write('\n[[aliases]]\nspellings = ["dock workers", "dockers"]\n')
    with pytest.raises(StoreError, match="build_settings: index has"):
        load(harbours, tmp_path / "index", rebuild="never")
    second = load(harbours, tmp_path / "index")
    assert second.folder != first.folder
    assert second.manifest["build_settings"]["profile_fingerprint"] != first.manifest["build_settings"]["profile_fingerprint"]
    assert any("train dock workers" in text for text in top_lexical(second, "dockers"))


def _code_strings(path: Path) -> list[str]:
    """String constants of a module that are not docstrings (those may give examples)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_the_code_holds_no_word_of_the_bundled_collection():
    vocabulary = tomllib.loads((CORPUS / "vocabulary.toml").read_text(encoding="utf-8"))
    collection = load_collection(CORPUS)
    words = {s for group in vocabulary["aliases"] for s in group["spellings"]}
    words |= {d.place.split(",")[0] for d in collection.documents} | {d.id for d in collection.documents}
    words = {w for w in words if len(w) >= 4}  # "IS", "UN", "CT" are ordinary letters in code
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?![\w-])",
                         re.IGNORECASE)
    found = [(path.relative_to(ROOT).as_posix(), m.group(0)) for path in sorted((ROOT / "qa").rglob("*.py"))
             for text in _code_strings(path) for m in pattern.finditer(text)]
    assert found == [], "subject words belong in corpus/vocabulary.toml or the metadata, not in code"
