"""Auth, CORS, body limits and bind rules of `pixref serve`."""

import base64

import pytest

from pixref.server import ServerConfigError, ServerSettings, is_loopback, parse_auth


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_non_loopback_needs_credentials(host):
    with pytest.raises(ServerConfigError, match="--auth USER:PASSWORD or --token"):
        ServerSettings(host=host).check()
    ServerSettings(host=host, auth=("a", "b")).check()
    ServerSettings(host=host, token="t0k3n").check()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "::1", "localhost"])
def test_loopback_is_allowed_without_credentials(host):
    assert is_loopback(host)
    ServerSettings(host=host).check()


def test_parse_auth_keeps_colons_in_the_password():
    assert parse_auth("artist:se:cret") == ("artist", "se:cret")
    for bad in ("nopassword", ":pw", "user:"):
        with pytest.raises(ServerConfigError, match="USER:PASSWORD"):
            parse_auth(bad)


def test_open_server_needs_no_credentials(client):
    assert client.get("/api/jobs").status_code == 200


def test_basic_auth(make_client):
    client = make_client(auth=("artist", "pw"))
    refused = client.get("/api/jobs")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert client.get("/api/jobs", headers=basic("artist", "wrong")).status_code == 401
    assert client.get("/api/jobs", headers=basic("other", "pw")).status_code == 401
    assert client.get("/api/jobs", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get("/api/jobs", headers=basic("artist", "pw")).status_code == 200
    # the A1111 routes are guarded too
    assert client.post("/api/jobs/job-1/cancel").status_code == 401


def test_bearer_token(make_client):
    client = make_client(token="s3cret")
    assert client.get("/api/jobs").status_code == 401
    assert client.get("/api/jobs", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/jobs", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_cors_is_closed_unless_origins_are_given(make_client):
    headers = {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
    closed = make_client()
    assert "access-control-allow-origin" not in closed.options("/api/jobs", headers=headers).headers
    assert "access-control-allow-origin" not in closed.get("/api/jobs", headers=headers).headers
    opened = make_client(cors_allow_origins=("http://krita.local",))
    ok = opened.get("/api/jobs", headers={"Origin": "http://krita.local"})
    assert ok.headers["access-control-allow-origin"] == "http://krita.local"
    other = opened.get("/api/jobs", headers=headers)
    assert "access-control-allow-origin" not in other.headers


def test_request_bodies_are_limited(make_client):
    client = make_client(max_body_bytes=1000)
    response = client.post("/api/jobs/job-1/cancel", content=b"x" * 5000)
    assert response.status_code == 413


def test_unknown_job_is_a_404_with_a_json_error(client):
    response = client.get("/api/jobs/job-999")
    assert response.status_code == 404
    assert response.json() == {
        "error": "job_not_found",
        "detail": "no job 'job-999'; `GET /api/jobs` lists the known ones",
    }
