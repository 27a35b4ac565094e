"""/api/pixelize, /api/snap and /api/palettes against the pixel stage they wrap."""

import base64
import time

import numpy as np
import pytest
from PIL import Image

from pixref.library import open_library
from pixref.pixel import PixelizeSettings, builtin_palette, pixelize
from pixref.pixel import io as pixel_io
from pixref.pixel.palette_io import decode_palette
from tests.server.helpers import assert_one_line_error, png_bytes, read_png


def sprite(rows: int = 12, cols: int = 10, seed: int = 3) -> np.ndarray:
    """A small RGBA sprite: 6 colours in blocks, a transparent corner."""
    rng = np.random.default_rng(seed)
    colors = rng.integers(0, 256, (6, 3), dtype=np.uint8)
    art = colors[rng.integers(0, 6, (rows, cols))]
    alpha = np.full((rows, cols, 1), 255, np.uint8)
    alpha[:3, :3] = 0
    return np.concatenate([art, alpha], axis=2)


def upscale(image: np.ndarray, k: int) -> np.ndarray:
    return np.repeat(np.repeat(image, k, axis=0), k, axis=1)


def gradient(size: int = 64) -> np.ndarray:
    """A smooth gradient: no edges, so no pixel grid."""
    y, x = np.mgrid[0:size, 0:size]
    return np.stack([x * 4, y * 4, (x + y) * 2], -1).astype(np.uint8)


def upload(image: np.ndarray, name: str = "ref.png") -> dict:
    return {"image": (name, png_bytes(image), "image/png")}


def output_files(home) -> list:
    return sorted(p for p in (home / "outputs").rglob("*") if p.is_file())


@pytest.fixture
def home(tmp_path_factory):
    from pixref.home import paths

    return paths().home


def test_pixelize_a_shared_sprite_equals_the_stage_and_is_logged(client, pixelart):
    path = pixelart / "crawl_nellie.png"
    data = path.read_bytes()
    r = client.post(
        "/api/pixelize?inline=true",
        data={"width": "16", "colors": "8", "method": "dominant"},
        files={"image": (path.name, data, "image/png")},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    (art,) = body["images"]
    assert (art["width"], art["height"]) == (16, 16) and art[
        "url"
    ] == f"/api/images/{art['image_id']}"
    got = read_png(base64.b64decode(art["png_base64"]))
    expected = pixelize(
        pixel_io.read_image(path), PixelizeSettings(width=16, colors=8, method="dominant")
    )
    assert got.mode == "P"
    assert np.array_equal(np.asarray(got), expected.indices)
    assert art["palette"] == expected.palette.hex() and art["transparent"] == expected.transparent
    assert art["settings"]["command"] == "pixelize" and art["settings"]["source"] == path.name
    with open_library() as lib:
        entry = lib.get(art["image_id"])
        assert entry.kind == "pixelized"
        assert np.array_equal(np.asarray(Image.open(entry.path)), expected.indices)


def test_builtin_palette_gives_only_its_colours_and_an_indexed_png_with_that_palette(client):
    image = upscale(sprite(), 4)
    r = client.post(
        "/api/pixelize?inline=true", data={"width": "10", "palette": "pico-8"}, files=upload(image)
    )
    assert r.status_code == 200, r.text
    (art,) = r.json()["images"]
    pico = builtin_palette("pico-8")
    png = read_png(base64.b64decode(art["png_base64"]))
    assert png.mode == "P" and art["transparent"]
    entries = np.array(png.getpalette()[: 3 * (len(pico) + 1)], np.uint8).reshape(-1, 3)
    assert np.array_equal(entries[1:], pico.colors)  # index 0 is the transparent entry
    assert png.info["transparency"] == 0
    used = np.asarray(png.convert("RGBA")).reshape(-1, 4)
    opaque = {tuple(c[:3]) for c in used if c[3] == 255}
    assert opaque <= {tuple(c) for c in pico.colors.tolist()}
    assert art["palette"] == pico.hex() and r.json()["palette"]["colors"] == pico.hex()


def test_variants_by_width_and_height_with_contact_sheet_preview_and_aseprite(client):
    r = client.post(
        "/api/pixelize",
        data={"widths": "10,20", "heights": "6", "colors": "4", "preview_scale": "3",
              "aseprite": "true"},
        files=upload(upscale(sprite(), 4)),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(a["width"], a["height"]) for a in body["images"]] == [(10, 12), (20, 24), (5, 6)]
    assert all(a["png_base64"] is None and a["colors"] == 4 for a in body["images"])
    assert len({a["image_id"] for a in body["images"]}) == 3
    first = body["images"][0]
    assert (first["preview"]["width"], first["preview"]["height"]) == (30, 36)
    assert base64.b64decode(first["aseprite_base64"])[4:6] == b"\xe0\xa5"  # Aseprite magic
    sheet = read_png(base64.b64decode(body["contact_sheet"]["png_base64"]))
    assert sheet.size == (body["contact_sheet"]["width"], body["contact_sheet"]["height"])
    gpl = decode_palette(body["palette"]["gpl"].encode(), "p.gpl")
    assert gpl.hex() == body["palette"]["colors"] == body["images"][1]["palette"]


def test_results_are_linked_to_a_logged_source_by_upload_and_by_id(client):
    image = upscale(sprite(), 4)
    with open_library() as lib:
        source_id = lib.add(png_bytes(image), kind="import", filename="src.png").id
    by_upload = client.post("/api/pixelize", data={"width": "10"}, files=upload(image)).json()
    by_id = client.post("/api/snap", data={"image_id": str(source_id), "colors": "6"}).json()
    assert by_upload["source_id"] == by_id["source_id"] == source_id
    with open_library() as lib:
        pixelized = by_upload["images"][0]["image_id"]
        assert lib.parents(pixelized) == [("pixelized_from", source_id)]
        assert lib.parents(by_id["image"]["image_id"]) == [("snapped_from", source_id)]
        assert lib.get(by_id["image"]["image_id"]).kind == "snapped"


def test_snap_recovers_an_upscaled_sprite_exactly(client):
    art = sprite(12, 10)
    r = client.post("/api/snap?inline=true", files=upload(upscale(art, 8)))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["image"]["width"], body["image"]["height"]) == (10, 12)
    assert body["pitch"] == [8.0, 8.0] and body["confidence"] > 0.9 and body["merge"] == 0
    got = np.asarray(read_png(base64.b64decode(body["image"]["png_base64"])).convert("RGBA"))
    opaque = art[..., 3] == 255
    assert np.array_equal(got[opaque], art[opaque]) and (got[~opaque, 3] == 0).all()
    assert body["colors"] == 6 and len(body["palette"]) == 6


def test_snap_with_a_given_pixel_size_and_previews(client):
    r = client.post(
        "/api/snap",
        data={"pixel_size": "8", "grid_preview": "true", "preview_scale": "2"},
        files=upload(upscale(sprite(), 8)),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["confidence"] == 1.0 and body["preview"]["width"] == 20
    assert (body["grid_preview"]["width"], body["grid_preview"]["height"]) == (80, 96)


def test_snap_refuses_an_image_without_a_grid_in_one_line(client, home):
    r = client.post("/api/snap", files=upload(gradient()))
    assert_one_line_error(r, 400, "no pixel grid found", "confidence")
    assert output_files(home) == []


@pytest.mark.parametrize(
    ("route", "data", "files", "status", "words"),
    [
        ("pixelize", {"palette": "nosuch"}, "image", 400, ["unknown palette 'nosuch'"]),
        ("pixelize", {"colors": "0"}, "image", 422, ["`colors`", "greater than or equal"]),
        ("pixelize", {"method": "blur"}, "image", 422, ["`method`"]),
        ("pixelize", {"width": "500"}, "image", 400, ["larger than the source"]),
        ("pixelize", {"width": "8", "height": "8"}, "image", 400, ["give only one of"]),
        ("pixelize", {"variants": "3", "widths": "8"}, "image", 400, ["not both"]),
        ("pixelize", {"size": "big"}, "image", 400, ["`size`"]),
        ("pixelize", {}, "text", 400, ["not an image"]),
        ("pixelize", {}, "empty", 400, ["is empty"]),
        ("pixelize", {}, None, 400, ["exactly one of `image`"]),
        ("pixelize", {"image_id": "1"}, "image", 400, ["exactly one of `image`"]),
        ("pixelize", {"image_id": "77"}, None, 404, ["no library entry 77"]),
        ("pixelize", {"wobble": "1"}, "image", 422, ["`wobble`", "Extra inputs"]),
        ("pixelize", {"palette": "pico-8"}, "palette", 400, ["not both"]),
        ("snap", {"colors": "300"}, "image", 422, ["`colors`"]),
        ("snap", {"pixel_size": "0.5"}, "image", 422, ["`pixel_size`"]),
        ("palettes/extract", {"colors": "0"}, "image", 422, ["`colors`"]),
    ],
)
def test_bad_inputs_are_one_line_4xx_and_write_nothing(
    client, home, route, data, files, status, words
):
    image = upscale(sprite(), 4)
    attached = {
        "image": upload(image),
        "text": {"image": ("notes.png", b"just text", "image/png")},
        "empty": {"image": ("e.png", b"", "image/png")},
        "palette": {**upload(image), "palette_file": ("p.hex", b"ff0000\n", "text/plain")},
        None: None,
    }[files]
    r = client.post(f"/api/{route}", data=data, files=attached)
    assert_one_line_error(r, status, *words)
    assert output_files(home) == []


def test_an_image_above_the_servers_pixel_limit_is_refused_before_decoding(make_client, home):
    client = make_client(max_image_pixels=32 * 32)
    r = client.post("/api/pixelize", files=upload(np.zeros((40, 40, 3), np.uint8)))
    assert_one_line_error(r, 400, "40×40 = 1600 pixels", "limit of 1024")
    assert output_files(home) == []


def test_a_palette_file_upload_is_used(client):
    r = client.post(
        "/api/pixelize",
        data={"width": "10"},
        files={**upload(upscale(sprite(), 4)), "palette_file": ("two.hex", b"ff0000\n0000ff\n",
                                                                "text/plain")},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert set(r.json()["images"][0]["palette"]) <= {"ff0000", "0000ff"}


def test_wait_false_answers_202_and_the_result_comes_from_the_job(client):
    r = client.post("/api/pixelize?wait=false", data={"width": "10"}, files=upload(sprite(24, 20)))
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    assert job["kind"] == "pixelize" and r.json()["result_url"] == f"/api/jobs/{job['id']}/result"
    deadline = time.time() + 20
    while client.get(f"/api/jobs/{job['id']}").json()["state"] != "done":
        assert time.time() < deadline
        time.sleep(0.02)
    result = client.get(r.json()["result_url"])
    assert result.status_code == 200 and result.json()["images"][0]["width"] == 10


def test_a_job_failing_after_wait_false_reports_its_error(client):
    job = client.post("/api/snap?wait=false", files=upload(gradient())).json()["job"]
    deadline = time.time() + 20
    while (state := client.get(f"/api/jobs/{job['id']}").json())["state"] != "failed":
        assert time.time() < deadline
        time.sleep(0.02)
    assert "no pixel grid" in state["error"] and state["error_kind"] == "pixel_error"
    assert_one_line_error(client.get(f"/api/jobs/{job['id']}/result"), 400, "no pixel grid")


def test_palettes_list_show_extract_convert(client):
    listed = client.get("/api/palettes").json()
    pico = next(p for p in listed if p["name"] == "pico-8")
    assert pico["count"] == 16 and pico["colors"] == builtin_palette("pico-8").hex()
    shown = client.get("/api/palettes/db32").json()
    assert shown["name"] == "dawnbringer-32" and len(shown["colors"]) == 32
    assert decode_palette(shown["gpl"].encode(), "x.gpl").hex() == shown["colors"]
    assert_one_line_error(client.get("/api/palettes/nope"), 404, "unknown palette 'nope'")
    image = np.zeros((8, 8, 3), np.uint8)
    image[:, 4:] = (255, 0, 0)
    extracted = client.post("/api/palettes/extract", data={"colors": "2"}, files=upload(image))
    assert sorted(extracted.json()["colors"]) == ["000000", "ff0000"]
    converted = client.post("/api/palettes/convert", data={"palette": "pico-8", "format": "act"})
    assert converted.status_code == 200
    assert 'filename="pico-8.act"' in converted.headers["content-disposition"]
    assert decode_palette(converted.content, "p.act").hex()[:16] == builtin_palette("pico-8").hex()
    from_hex = client.post(
        "/api/palettes/convert", data={"colors": "ff0044,00ff00", "format": "gpl", "name": "two"}
    )
    assert from_hex.text.startswith("GIMP Palette\nName: two")
    assert_one_line_error(
        client.post("/api/palettes/convert", data={"palette": "pico-8", "format": "xyz"}),
        422, "`format`", "'gpl'",
    )  # fmt: skip
    assert_one_line_error(
        client.post("/api/palettes/convert", data={"format": "gpl"}), 400, "exactly one of"
    )
