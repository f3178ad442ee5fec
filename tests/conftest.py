from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = ROOT / "corpus"


@pytest.fixture
def make_corpus(tmp_path):
    """Write a corpus folder: ``files`` maps names to bytes/str, ``toml`` is the metadata text."""

    def make(files: dict[str, bytes | str], toml: str) -> Path:
        folder = tmp_path / "corpus"
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / name).write_bytes(data)
        (folder / "documents.toml").write_text(toml, encoding="utf-8")
        return folder

    return make


@pytest.fixture
def bundled_corpus_copy(tmp_path) -> Path:
    """A private copy of the bundled corpus, safe to change."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
