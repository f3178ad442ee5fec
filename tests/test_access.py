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


@pytest.fixture(scope="module")
def json_route(tmp_path_factory):
    """The app's plain JSON route on a free port, over the test embedder, with one login."""
    import socket

    from qa.config import Settings
    from qa.embed import HashingEmbedder
    from qa.pipeline import Engine

    from conftest import CORPUS

    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"), model="hashing")
    engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None).batching()
    demo = app.build_app(engine)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, auth=[("ana", "pass one")])
    app.add_json_route(demo, engine, [("ana", "pass one")])
    yield f"http://127.0.0.1:{port}/api/ask"
    demo.close()


def _call(url, body=None, login=("ana", "pass one"), query=""):
    import base64
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if login:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
    request = urllib.request.Request(url + query, data=None if body is None else json.dumps(body).encode(),
                                     headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_json_route_answers_as_the_api_does(json_route):
    status, answer = _call(json_route, {"question": "detainees in northeast Syria", "k": 2, "doc_ids": ["rome-2021"]})
    assert status == 200 and len(answer["hits"]) == 2 and {h["doc_id"] for h in answer["hits"]} == {"rome-2021"}
    status, answer = _call(json_route, query="?question=financing&k=1&official_only=1")
    assert status == 200 and len(answer["hits"]) == 1 and answer["hits"][0]["source_type"] == "official"


def test_the_json_route_names_bad_input_and_never_echoes_a_long_question(json_route):
    status, answer = _call(json_route, {"question": "x", "colour": "red"})
    assert status == 400 and "unknown parameter(s) colour" in answer["error"]
    status, answer = _call(json_route, {"question": "detainees", "k": 0})
    assert status == 400 and "k=0" in answer["error"]
    status, answer = _call(json_route, {"question": "war " * 2000})
    assert status == 400 and len(answer["question"]) < 300
    assert _call(json_route, ["a list"])[0] == 400


def test_the_json_route_takes_the_apps_logins(json_route):
    assert _call(json_route, {"question": "detainees"}, login=None)[0] == 401
    assert _call(json_route, {"question": "detainees"}, login=("ana", "wrong"))[0] == 401
    assert _call(json_route, {"question": "detainees"})[0] == 200


def test_a_port_in_use_is_refused_with_its_number_before_anything_is_loaded(monkeypatch, capsys):
    import socket

    loaded = []
    monkeypatch.setattr("qa.pipeline.Engine.load", lambda *a, **k: loaded.append(1))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert app.main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err
    assert not loaded


def test_a_port_just_freed_by_a_stopped_app_is_not_refused():
    """Connections of an app just stopped linger in TIME_WAIT; restarting on its port must work."""
    import socket

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the app's server (uvicorn) does
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server side closes first: its end of the pair waits in TIME_WAIT
            client.recv(1)
    app.check_port_free("127.0.0.1", port)


def _page_text(demo) -> str:
    """Every text the page's components were built with (markdown, placeholders, example rows)."""
    import json

    return json.dumps([c.get("props", {}) for c in demo.config["components"]], ensure_ascii=False, default=str)


def test_the_page_speaks_of_the_collection_it_serves_not_of_the_bundled_one(tmp_path):
    import shutil

    from qa.config import Settings
    from qa.embed import HashingEmbedder
    from qa.pipeline import Engine

    from conftest import ROOT as root

    corpus = tmp_path / "fisheries"
    shutil.copytree(root / "tests" / "data" / "fisheries", corpus)

    def page() -> str:
        settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="hashing")
        engine = Engine.load(settings, embedder=HashingEmbedder(), progress=False, log=lambda m: None)
        return _page_text(app.build_app(engine))

    plain = page()
    assert "ISIS" not in plain and "Coalition to Defeat" not in plain and "detainees" not in plain
    assert "Ask the statements of Ministers of the Coastal Fisheries Council." in plain
    meta = corpus / "documents.toml"
    meta.write_text('[collection]\ndescription = "the Coastal Fisheries Council\'s ministerial statements"\n'
                    'examples = ["What did the Council decide about seabird bycatch?"]\n\n'
                    + meta.read_text(encoding="utf-8"), encoding="utf-8")
    described = page()
    assert "Ask the Coastal Fisheries Council's ministerial statements." in described
    assert "e.g. What did the Council decide about seabird bycatch?" in described
    assert described.count("seabird bycatch") >= 2  # the placeholder and the example to try


def test_the_app_asks_its_examples_before_it_listens_and_a_bad_one_does_not_stop_it():
    from types import SimpleNamespace

    from qa.errors import QueryError

    asked = []

    def search(question, k):
        asked.append(question)
        if question == "":
            raise QueryError("the question is empty")

    engine = SimpleNamespace(collection=SimpleNamespace(examples=("", "b?", "c?", "d?")), search=search)
    app.warm_up(engine)
    assert asked == ["", "b?", "c?"]
    asked.clear()
    app.warm_up(SimpleNamespace(collection=SimpleNamespace(examples=()), search=search))
    assert len(asked) == 1 and asked[0].strip()
