import io
import json
import sys

import pytest

from qa.cli import main


@pytest.fixture
def hashing_env(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_MODEL", "hashing")
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("QA_ABSTAIN_THRESHOLD", "0.0")


def test_ask_json_prints_the_documented_shape(hashing_env, capsys):
    assert main(["ask", "Italian-led police training program", "--k", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["question"] == "Italian-led police training program" and row["answerable"] is True
    assert [h["rank"] for h in row["hits"]] == [1, 2]
    assert row["hits"][0]["citation"].endswith("22 March 2017, para 5")
    assert row["brief"][0]["rank"] == 1 and row["brief"][0]["quote"] == " ".join(row["hits"][0]["highlight"].split())


def test_ask_json_gives_how_it_changed_for_a_question_across_statements(hashing_env, capsys):
    assert main(["ask", "How has the position on foreign terrorist fighters changed over the years?", "--k", "2",
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert len(row["hits"]) == 2 and len(row["changes"]) >= 2
    assert [c["date"] for c in row["changes"]] == sorted(c["date"] for c in row["changes"])


def test_ask_for_people_shows_how_the_statements_changed_when_asked_across_them(hashing_env, capsys):
    assert main(["ask", "How has the position on foreign terrorist fighters changed over the years?", "--k", "2"]) == 0
    out = capsys.readouterr().out
    timeline = out.split("How it changed")[1]
    years = [int(line.split(", ")[-2][-4:]) for line in timeline.splitlines() if line.startswith("- ")]
    assert len(years) >= 2 and years == sorted(years)
    assert "[+" in timeline  # words added since the statement before are marked


def test_ask_for_people_prints_citations(hashing_env, capsys):
    assert main(["ask", "Italian-led police training program", "--k", "1", "--doc", "washington-2017"]) == 0
    out = capsys.readouterr().out
    assert "1. Statement by Ministers of the Global Coalition: Meeting on the Defeat of ISIS, Washington, 22 March 2017, para 5" in out
    assert "» " in out


def test_batch_answers_every_line_in_order_and_reports_bad_ones(hashing_env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("detainees in Syria\n\nmoney laundering\n"))
    assert main(["ask", "--json", "--k", "3", "-"]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["question"] for r in rows] == ["detainees in Syria", "", "money laundering"]
    assert "the question is empty" in rows[1]["error"]
    assert len(rows[2]["hits"]) == 3


def test_bad_input_is_one_line_not_a_traceback(hashing_env, capsys):
    assert main(["ask", "   "]) == 1
    assert main(["ask", "detainees", "--since", "yesterday"]) == 1
    assert main(["ask", "detainees", "--doc", "paris-2024"]) == 1
    err = capsys.readouterr().err
    assert "error: the question is empty" in err
    assert "error: since 'yesterday' is not a date" in err
    assert "error: unknown document id(s) paris-2024" in err
    assert "Traceback" not in err


def test_bad_setting_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("QA_PIECE_CHARS", "lots")
    assert main(["corpus"]) == 1
    assert "QA_PIECE_CHARS='lots' is not a whole number" in capsys.readouterr().err


def test_build_uses_every_model_of_a_joined_setting(monkeypatch, tmp_path, capsys):
    # The default setting joins two models; `build` must make the index `ask` then uses as it is.
    from pathlib import Path

    monkeypatch.setenv("QA_MODEL", "e5+hashing")
    monkeypatch.setenv("QA_CORPUS_DIR", str(Path(__file__).parent / "data" / "harbours"))
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    assert main(["build"]) == 0
    assert "Built " in capsys.readouterr().out
    from qa.config import Settings
    from qa.pipeline import Engine

    engine = Engine.load(Settings.from_env(), rebuild="never")  # raises if the build does not fit the setting
    assert len(engine.embedders) == 2
