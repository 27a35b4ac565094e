"""The web UI's files: served from a fixed list, guarded like the API."""

import base64

import pytest

from pixref.server.web_ui import FILES


def test_index_and_modules_are_served(client):
    index = client.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/app.js">' in index.text
    for name in ("app.js", "app.css", "pages/generate.js", "lib/api.js"):
        response = client.get(f"/ui/{name}")
        assert response.status_code == 200, name
        assert response.content == FILES[name].read_bytes()
    assert client.get("/ui/app.js").headers["content-type"].startswith("text/javascript")


def test_every_page_module_the_router_names_exists():
    app_js = FILES["app.js"].read_text()
    pages = app_js.split("const PAGES = [", 1)[1].split("]", 1)[0]
    for name in (p.strip().strip('"') for p in pages.split(",")):
        assert f"pages/{name}.js" in FILES, name


@pytest.mark.parametrize(
    "name",
    ["../_app.py", "..%2F_app.py", "%2e%2e/_app.py", "/etc/passwd", "pages/../../_app.py",
     "web/index.html", "nothing.js"],
)  # fmt: skip
def test_nothing_outside_the_list(client, name):
    response = client.get(f"/ui/{name}")
    assert response.status_code == 404
    assert "import" not in response.text


def test_the_ui_needs_the_same_credentials(make_client):
    client = make_client(auth=("me", "pw"))
    assert client.get("/").status_code == 401
    assert client.get("/ui/app.js").status_code == 401
    header = {"Authorization": "Basic " + base64.b64encode(b"me:pw").decode()}
    assert client.get("/", headers=header).status_code == 200
