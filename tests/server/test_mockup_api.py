"""/api/mockups against the mockup stage: documents by name, layers, render, PSD/ORA."""

import base64
import io
import zipfile

import numpy as np
import pytest

from pixref.library import open_library
from pixref.mockup import render
from pixref.mockup.io import load_mask_images, load_sources, read_document
from pixref.server import _mockups as store
from tests.server.helpers import assert_one_line_error, png_bytes, read_png


def photo(rows=40, cols=60, seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (rows, cols, 4), dtype=np.uint8)
    image[..., 3] = 255
    image[:5, :5, 3] = 0
    return image


@pytest.fixture
def fairy(client):
    """A 96x64 mockup with a background, an uploaded layer, a library layer and a colour."""
    assert (
        client.post(
            "/api/mockups",
            json={"name": "fairy", "width": 96, "height": 64, "background": "#ffffff"},
        ).status_code
        == 201
    )
    up = client.post(
        "/api/mockups/fairy/layers/upload",
        data={"name": "arm", "x": "10", "y": "4", "scale": "0.75", "opacity": "0.9"},
        files={"file": ("arm.png", png_bytes(photo()), "image/png")},
    )
    assert up.status_code == 201, up.text
    with open_library() as lib:
        body_id = lib.add(png_bytes(photo(32, 32, seed=2)), kind="import", filename="b.png").id
    added = client.post(
        "/api/mockups/fairy/layers",
        json={"name": "body", "source": {"library": body_id}, "x": 50, "y": 20, "rotate": 15,
              "blend": "multiply"},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    tint = client.post(
        "/api/mockups/fairy/layers",
        json={"source": {"color": "#3060a0"}, "opacity": 0.25, "blend": "overlay"},
    )
    assert tint.json()["layers"] == ["arm", "body", "color"]
    return body_id


def stage_render(name: str) -> np.ndarray:
    path = store.doc_path(name)
    doc = read_document(path)
    sources = load_sources(doc, base_dir=path.parent)
    return render(doc, sources, mask_images=load_mask_images(doc, base_dir=path.parent))


def test_create_list_get_delete(client):
    made = client.post("/api/mockups", json={"name": "a-1", "width": 32, "height": 16})
    assert made.status_code == 201
    assert made.json()["document"] == {"format": "pixref-mockup", "version": 1, "width": 32,
                                       "height": 16, "layers": []}  # fmt: skip
    assert client.get("/api/mockups").json() == [
        {"name": "a-1", "width": 32, "height": 16, "layers": 0}
    ]
    assert client.get("/api/mockups/a-1").json()["name"] == "a-1"
    assert_one_line_error(client.post("/api/mockups", json={"name": "a-1"}), 409, "already exists")
    assert client.delete("/api/mockups/a-1").status_code == 204
    assert_one_line_error(client.get("/api/mockups/a-1"), 404, "no mockup 'a-1'")
    assert not store.files_dir("a-1").exists()


@pytest.mark.parametrize("name", ["../up", "a b", ".hidden", "x" * 65, "é"])
def test_names_are_validated(client, name):
    r = client.post("/api/mockups", json={"name": name})
    assert_one_line_error(r, 400, "mockup name must be")
    assert not store.folder().exists() or list(store.folder().iterdir()) == []


def test_render_equals_the_stage_and_is_logged_with_its_library_layer(client, fairy):
    r = client.post("/api/mockups/fairy/render?inline=true")
    assert r.status_code == 200, r.text
    image = r.json()["image"]
    got = np.asarray(read_png(base64.b64decode(image["png_base64"])).convert("RGBA"))
    assert got.shape == (64, 96, 4)
    assert np.array_equal(got, stage_render("fairy"))
    with open_library() as lib:
        entry = lib.get(image["image_id"])
        assert entry.kind == "mockup" and image["url"] == f"/api/images/{entry.id}"
        assert lib.parents(entry.id) == [("mockup_layer", fairy)]
        assert "pixref-mockup" in read_png(entry.path.read_bytes()).info


def test_layer_edits_go_through_the_stage(client, fairy):
    patched = client.patch(
        "/api/mockups/fairy/layers/arm",
        json={"x": 0, "flip_x": True, "adjust": {"hue": -20, "levels": {"in_low": 0.1}},
              "perspective": [[0, 0], [40, 2], [44, 30], [2, 28]]},
    )  # fmt: skip
    assert patched.status_code == 200, patched.text
    arm = patched.json()["document"]["layers"][0]
    assert arm["flip_x"] is True and arm["adjust"] == {"levels": {"in_low": 0.1, "in_high": 1.0,
           "gamma": 1.0, "out_low": 0.0, "out_high": 1.0}, "hue": -20.0}  # fmt: skip
    assert "x" not in arm and arm["y"] == 4 and arm["opacity"] == 0.9
    reset = client.patch("/api/mockups/fairy/layers/arm", json={"perspective": None})
    assert "perspective" not in reset.json()["document"]["layers"][0]
    masked = client.post(
        "/api/mockups/fairy/layers/2/mask",
        json={"shape": "ellipse", "points": [[0, 0], [32, 32]], "feather": 2},
    )
    assert masked.json()["document"]["layers"][1]["mask"] == [
        {"shape": "ellipse", "points": [[0.0, 0.0], [32.0, 32.0]], "feather": 2.0}
    ]
    second = client.post(
        "/api/mockups/fairy/layers/body/mask",
        json={"shape": "rect", "points": [[0, 0], [8, 8]], "op": "subtract"},
    )
    assert len(second.json()["document"]["layers"][1]["mask"]) == 2
    cleared = client.delete("/api/mockups/fairy/layers/body/mask")
    assert "mask" not in cleared.json()["document"]["layers"][1]
    ordered = client.post("/api/mockups/fairy/layers/color/order", json={"to": "bottom"})
    assert ordered.json()["layers"] == ["color", "arm", "body"]
    renamed = client.patch("/api/mockups/fairy/layers/color", json={"name": "tint"})
    assert renamed.json()["layers"] == ["tint", "arm", "body"]
    removed = client.delete("/api/mockups/fairy/layers/tint")
    assert removed.json()["layers"] == ["arm", "body"]
    assert read_document(store.doc_path("fairy")).find("arm").transform.flip_x


def test_a_mask_image_from_an_uploaded_file(client, fairy):
    mask = np.zeros((40, 60, 3), np.uint8)
    mask[:, :30] = 255
    up = client.post("/api/mockups/fairy/files", files={"file": ("m.png", png_bytes(mask))})
    assert up.status_code == 200 and up.json()["width"] == 60
    r = client.post(
        "/api/mockups/fairy/layers/arm/mask", json={"shape": "image", "file": up.json()["file"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["document"]["layers"][0]["mask"][0]["image"].startswith("fairy.layers/")
    rendered = client.post("/api/mockups/fairy/render?inline=true").json()["image"]
    got = np.asarray(read_png(base64.b64decode(rendered["png_base64"])).convert("RGBA"))
    assert np.array_equal(got, stage_render("fairy"))


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "words"),
    [
        ("patch", "arm", {"opacity": 1.5}, 400, ["layer 'arm'", "`opacity`", "1.5"]),
        ("patch", "arm", {"blend": "glow"}, 422, ["`blend`"]),
        ("patch", "arm", {"wobble": 1}, 422, ["`wobble`"]),
        ("patch", "nosuch", {"x": 1}, 400, ["no layer 'nosuch'"]),
        ("patch", "arm", {"name": "body"}, 409, ["already has a layer 'body'"]),
        ("patch", "arm", {"scale": 0}, 400, ["`scale`"]),
        ("patch", "arm", {"source": {"library": 999}}, 404, ["no library entry 999"]),
        ("patch", "arm", {"source": {"file": "../x.png"}}, 400, ["`file` must be"]),
        ("patch", "arm", {"source": {"file": "nothere.png"}}, 404, ["no file 'nothere.png'"]),
        ("post", "arm/mask", {"shape": "rect"}, 400, ["needs `points`"]),
        ("post", "arm/order", {"to": "sideways"}, 400, ["`to` must be"]),
        ("post", "", {"source": {}}, 400, ["exactly one of"]),
        ("post", "", {"source": {"color": "red"}}, 400, ["#rrggbb"]),
    ],
)
def test_bad_edits_are_one_line_4xx_and_leave_the_document(
    client, fairy, method, url, body, status, words
):
    before = store.doc_path("fairy").read_bytes()
    target = f"/api/mockups/fairy/layers/{url}".rstrip("/")
    r = getattr(client, method)(target, json=body)
    assert_one_line_error(r, status, *words)
    assert store.doc_path("fairy").read_bytes() == before


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../../library.db", "fairy.layers/../../x.png", "other.layers/a.png"]
)
def test_a_put_document_may_not_point_outside_its_files(client, fairy, path):
    document = client.get("/api/mockups/fairy").json()["document"]
    document["layers"][0]["source"] = {"path": path}
    assert_one_line_error(
        client.put("/api/mockups/fairy", json={"document": document}), 400, "is not a file of"
    )
    document["layers"][0]["source"] = {"color": "#ff0000"}
    document["layers"][0]["mask"] = [{"shape": "image", "image": path}]
    assert_one_line_error(
        client.put("/api/mockups/fairy", json={"document": document}), 400, "is not a file of"
    )


def test_put_replaces_the_document(client, fairy):
    document = client.get("/api/mockups/fairy").json()["document"]
    document["layers"] = document["layers"][:1]
    document["background"] = "#000000"
    r = client.put("/api/mockups/fairy", json={"document": document})
    assert r.status_code == 200 and r.json()["layers"] == ["arm"]
    bad = {**document, "version": 9}
    assert_one_line_error(
        client.put("/api/mockups/fairy", json={"document": bad}), 400, "newer than this pixref"
    )


def test_uploads_are_checked(make_client):
    client = make_client(max_image_pixels=50 * 50)
    client.post("/api/mockups", json={"name": "m", "width": 10, "height": 10})
    big = client.post("/api/mockups/m/files", files={"file": ("big.png", png_bytes(photo(60, 60)))})
    assert_one_line_error(big, 400, "above the server's limit")
    text = client.post(
        "/api/mockups/m/layers/upload", files={"file": ("a.png", b"hello", "image/png")}
    )
    assert_one_line_error(text, 400, "not an image")
    assert not store.files_dir("m").exists()
    assert_one_line_error(
        client.post("/api/mockups/nope/files", files={"file": ("a.png", png_bytes(photo()))}),
        404, "no mockup 'nope'",
    )  # fmt: skip


def test_psd_export_opens_in_psd_tools_with_the_layers(client, fairy):
    psd_tools = pytest.importorskip("psd_tools")
    r = client.get("/api/mockups/fairy/export?format=psd")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/vnd.adobe.photoshop"
    assert 'filename="fairy.psd"' in r.headers["content-disposition"]
    psd = psd_tools.PSDImage.open(io.BytesIO(r.content))
    assert (psd.width, psd.height) == (96, 64)
    assert [layer.name for layer in psd] == ["arm", "body", "color"]
    assert psd[1].blend_mode.name == "MULTIPLY" and psd[0].opacity == round(0.9 * 255)


def test_ora_export_and_import_round_trip(client, fairy):
    # The document background is not a layer, so it does not travel (a stage limit).
    document = client.get("/api/mockups/fairy").json()["document"]
    document.pop("background")
    client.put("/api/mockups/fairy", json={"document": document})
    ora = client.get("/api/mockups/fairy/export?format=ora")
    assert ora.status_code == 200 and ora.headers["content-type"] == "image/openraster"
    with zipfile.ZipFile(io.BytesIO(ora.content)) as z:
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"image/openraster"
    imported = client.post("/api/mockups/import", files={"file": ("fairy edit.ora", ora.content)})
    assert imported.status_code == 201, imported.text
    assert imported.json()["name"] == "fairy-edit"
    assert imported.json()["layers"] == ["arm", "body", "color"]
    a, b = stage_render("fairy"), stage_render("fairy-edit")
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    again = client.post(
        "/api/mockups/import", data={"name": "fairy-edit"}, files={"file": ("x.ora", ora.content)}
    )
    assert_one_line_error(again, 409, "already exists")


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("a.tif", b"II*\x00", ["must be a .psd or .ora"]),
        ("a.ora", b"not a zip", ["not an OpenRaster file"]),
        ("a.psd", b"8BPS" + b"\x00" * 40, ["is not a PSD pixref can read"]),
        ("a.psd", b"GIF89a", ["not a PSD file"]),
    ],
)
def test_bad_imports_leave_nothing_behind(client, filename, data, words):
    if filename.endswith(".psd") and b"8BPS" in data:
        pytest.importorskip("psd_tools")
    r = client.post("/api/mockups/import", files={"file": (filename, data)})
    body = assert_one_line_error(r, 400, *words)
    assert "/tmp" not in body["detail"] and ".import-" not in body["detail"]
    assert client.get("/api/mockups").json() == []
    assert not store.folder().exists() or list(store.folder().iterdir()) == []


def test_an_import_above_the_pixel_limit_is_refused_before_reading(make_client):
    client = make_client(max_image_pixels=100)
    ora = io.BytesIO()
    with zipfile.ZipFile(ora, "w") as z:
        z.writestr("mimetype", "image/openraster")
        z.writestr("stack.xml", '<image version="0.0.6" w="20000" h="20000"><stack/></image>')
    r = client.post("/api/mockups/import", files={"file": ("huge.ora", ora.getvalue())})
    assert_one_line_error(r, 400, "20000×20000", "limit of 100")


def test_render_of_a_missing_library_source_is_one_line(client, fairy):
    with open_library() as lib:
        lib.trash([fairy])
        lib.purge([fairy])
    assert_one_line_error(
        client.post("/api/mockups/fairy/render"), 400, "layer 'body'", f"#{fairy}"
    )
