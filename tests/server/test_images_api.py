"""``/api/images``: files by library id only — bytes, media types, metadata, thumbnails,
cache headers, and path-traversal attempts."""

import io

import pytest
from PIL import Image

from pixref.library import open_library

from ._library_data import build_library


@pytest.fixture
def api(client):
    build_library()
    return client


def stored(entry_id):
    with open_library() as lib:
        e = lib.get(entry_id)
        return e, e.path.read_bytes()


def test_png_is_served_as_stored_with_its_infotext(api):
    entry, data = stored(1)
    r = api.get(f"/api/images/1?v={entry.image_hash[:16]}")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("inline;")
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.text["parameters"].startswith("a cute kitty wearing a hat\nNegative prompt:")


def test_jpeg_media_type_and_download_name(api):
    _, data = stored(7)
    r = api.get("/api/images/7")
    assert r.content == data and r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"] == 'inline; filename="lake.jpg"'


def test_versioned_urls_are_immutable_others_revalidate(api):
    entry, _ = stored(1)
    url = api.get("/api/library/1").json()["image_url"]
    r = api.get(url)
    assert r.headers["etag"] == f'"{entry.image_hash}"'
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    for plain in ("/api/images/1", "/api/images/1?v=0000000000000000"):
        assert api.get(plain).headers["cache-control"] == "private, no-cache"
    again = api.get("/api/images/1", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == r.headers["etag"]
    other = api.get("/api/images/1", headers={"If-None-Match": '"abc", "def"'})
    assert other.status_code == 200


def test_linked_files_are_never_immutable(api, tmp_path):
    src = tmp_path / "outside.png"
    Image.new("RGB", (4, 4), (9, 8, 7)).save(src)
    with open_library() as lib:
        e = lib.add(src, link=True)
    url = api.get(f"/api/library/{e.id}").json()["image_url"]
    r = api.get(url)
    assert r.status_code == 200 and r.content == src.read_bytes()
    assert r.headers["cache-control"] == "private, no-cache"
    assert r.headers["etag"].startswith('W/"')


def test_thumbnails_are_nearest_neighbour_pngs(api):
    url = api.get("/api/library/4").json()["thumbnail_url"]
    assert "size=256" in url
    r = api.get(url.replace("size=256", "size=64"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"].endswith("immutable")
    with Image.open(io.BytesIO(r.content)) as im:
        # the 16x16 sprite is never enlarged, and only its two colours remain
        assert im.size == (16, 16)
        assert {c for _, c in im.convert("RGB").getcolors()} == {(255, 0, 0), (0, 0, 255)}
    big, _ = stored(3)  # 32x32
    r = api.get("/api/images/3/thumbnail", params={"size": 64})
    with Image.open(io.BytesIO(r.content)) as im:
        assert im.size == (32, 32)
    etag = r.headers["etag"]
    assert etag == f'"{big.image_hash}-64"'
    assert api.get("/api/images/3/thumbnail?size=128").headers["etag"] != etag
    assert (
        api.get("/api/images/3/thumbnail?size=64", headers={"If-None-Match": etag}).status_code
        == 304
    )


@pytest.mark.parametrize("size", ["0", "100", "-64", "4096", "big", "../../etc/passwd"])
def test_thumbnail_sizes_are_a_fixed_set(api, size):
    assert api.get(f"/api/images/1/thumbnail?size={size}").status_code == 422


def test_missing_image_file_is_a_404(api):
    entry, _ = stored(2)
    entry.path.unlink()
    for url in ("/api/images/2", "/api/images/2/thumbnail"):
        r = api.get(url)
        assert r.status_code == 404
        assert r.json()["error"] == "not_found" and "image of entry 2 is missing" in r.text


SECRET = b"root:x:0:0"


@pytest.mark.parametrize(
    "url",
    [
        "/api/images/../../../../etc/passwd",
        "/api/images/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/api/images/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/images//etc/passwd",
        "/api/images/%2Fetc%2Fpasswd",
        "/api/images/1/../../../etc/passwd",
        "/api/images/1%2f..%2f..%2f..%2fetc%2fpasswd",
        "/api/images/1/thumbnail/../../../../etc/passwd",
        "/api/images/1/thumbnail?size=..%2f..%2fetc%2fpasswd",
        "/api/images/file:%2F%2F%2Fetc%2Fpasswd",
        "/api/images/-1",
        "/api/images/0",
        "/api/images/99",
        f"/api/images/{2**63}",
        "/api/images/" + "9" * 400,
        "/api/images/1.0",
        "/api/images/0x1",
        "/api/images/%00",
        "/api/images/1%00.png",
    ],
)
def test_paths_never_reach_a_file(api, url, tmp_path):
    r = api.get(url)
    assert r.status_code in (404, 422), (url, r.status_code)
    assert SECRET not in r.content
    assert r.headers["content-type"].startswith("application/json")


def test_only_the_id_matters(api):
    """Query strings naming files are ignored: the bytes are entry 1's."""
    _, data = stored(1)
    for extra in ("?path=/etc/passwd", "?file=../../library.db", "?v=/etc/passwd"):
        r = api.get("/api/images/1" + extra)
        assert r.status_code == 200 and r.content == data


def test_a_reused_id_never_serves_old_bytes_as_immutable(api):
    """SQLite gives a purged highest id to the next row: the old URL is not the new image."""
    old_url = api.get("/api/library/7").json()["image_url"]
    api.delete("/api/library/7")
    api.post("/api/library/purge", json={"ids": [7]})
    with open_library() as lib:
        new = lib.add(_png((1, 2, 3)))
    assert new.id == 7
    r = api.get(old_url)
    assert r.status_code == 200 and r.headers["cache-control"] == "private, no-cache"
    assert r.headers["etag"] == f'"{new.image_hash}"'
    assert (
        api.get(api.get("/api/library/7").json()["image_url"])
        .headers["cache-control"]
        .endswith("immutable")
    )


def _png(color):
    buf = io.BytesIO()
    Image.new("RGB", (3, 3), color).save(buf, "PNG")
    return buf.getvalue()
