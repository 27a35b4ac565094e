"""``pixref serve``: settings from flags, refusals in one line."""

import pytest
from typer.testing import CliRunner

from pixref.cli import app

uvicorn = pytest.importorskip("uvicorn")


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


def run(*args):
    return CliRunner().invoke(app, ["serve", *args])


def test_defaults_to_a1111s_port_on_loopback(served):
    r = run()
    assert r.exit_code == 0, r.stderr
    ((server, options),) = served
    assert options["host"] == "127.0.0.1" and options["port"] == 7860
    assert server.state.pixref.settings.auth is None
    assert "http://127.0.0.1:7860" in r.stderr


def test_listen_needs_credentials(served):
    r = run("--listen")
    assert r.exit_code == 1 and not served
    assert "--auth USER:PASSWORD or --token" in r.stderr
    assert "Traceback" not in r.stderr


def test_listen_with_auth_and_cors(served):
    r = run("--listen", "--auth", "me:pw", "--cors-allow-origins", "http://a.test, http://b.test",
            "--port", "7861")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    ((server, options),) = served
    settings = server.state.pixref.settings
    assert options["host"] == "0.0.0.0" and options["port"] == 7861
    assert settings.auth == ("me", "pw")
    assert settings.cors_allow_origins == ("http://a.test", "http://b.test")


def test_token_from_the_environment(served, monkeypatch):
    monkeypatch.setenv("PIXREF_TOKEN", "abc")
    r = run("--host", "10.0.0.2")
    assert r.exit_code == 0, r.stderr
    assert served[0][0].state.pixref.settings.token == "abc"


def test_bad_port_and_bad_auth(served):
    assert "within 1-65535" in run("--port", "70000").stderr
    assert "USER:PASSWORD" in run("--auth", "nopassword").stderr
