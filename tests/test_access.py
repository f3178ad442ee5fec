"""Who may use the web chat: logins, and no open listening on a network without one (fast: no server)."""

import sys

import pytest

from qa.errors import ConfigError

from conftest import ROOT

sys.path.insert(0, str(ROOT))
import app  # noqa: E402


def test_logins_come_from_flags_and_a_file(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# analysts\nana:pass one\n\nben:two:with:colons\n", encoding="utf-8")
    assert app.read_logins(["cli:secret"], str(users)) == [("cli", "secret"), ("ana", "pass one"),
                                                          ("ben", "two:with:colons")]
    assert app.read_logins([], None) == []


@pytest.mark.parametrize("entry", ["nopassword", ":secret", "user:", ""])
def test_a_login_that_is_not_user_password_is_refused_without_echoing_a_password(entry):
    with pytest.raises(ConfigError, match="is not user:password") as caught:
        app.read_logins([entry], None)
    assert "secret" not in str(caught.value)


def test_an_unreadable_login_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"--auth-file .*nowhere.txt.* cannot be read"):
        app.read_logins([], str(tmp_path / "nowhere.txt"))


def test_it_will_not_listen_on_a_network_without_a_login(monkeypatch, capsys):
    monkeypatch.delenv("QA_AUTH", raising=False)
    monkeypatch.delenv("QA_AUTH_FILE", raising=False)
    loaded = []
    monkeypatch.setattr("qa.pipeline.Engine.load", lambda *a, **k: loaded.append(1))
    assert app.main(["--host", "0.0.0.0"]) == 1
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0 without a login" in err and "--auth" in err and "--insecure" in err
    assert not loaded  # refused before anything is loaded
