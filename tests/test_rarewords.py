"""scripts/rarewords.py: questions a collection writes for itself, on the test model."""

import importlib.util
from pathlib import Path

import pytest

from conftest import DATA

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "rarewords.py"


@pytest.fixture
def rarewords():
    spec = importlib.util.spec_from_file_location("rarewords", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_rare_word_is_asked_framed_and_bare_and_counted(rarewords, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QA_MODEL", "hashing")
    assert rarewords.main(["--corpus", str(DATA / "rivers"), "--index", str(tmp_path / "index"),
                           "--sample", "12", "--frame", "What was said about {}?"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("12 words used by one paragraph each")
    rows = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines[2:]}
    assert set(rows) == {"framed", "bare"}
    for first, top5, answered in rows.values():
        assert first <= top5 <= 12 and answered <= 12
    assert rows["bare"][0] >= 9  # a word only one paragraph writes finds it by its words alone


def test_a_frame_without_a_place_for_the_word_is_refused(rarewords, capsys):
    with pytest.raises(SystemExit):
        rarewords.main(["--frame", "What was said?"])
    assert "has no {} for the word" in capsys.readouterr().err
