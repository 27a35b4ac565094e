"""The Mockup page in a real browser: build a two-layer mockup with the mouse and the
keyboard, render it (the PNG is what pixref.mockup renders for the stored document),
export ORA and PSD, send to img2img, and show the server's errors where they arise."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import httpx
import numpy as np
import pytest
from PIL import Image

from pixref.library import open_library, record_generation
from pixref.mockup import render
from pixref.mockup.io import load_mask_images, load_sources, read_document
from pixref.params import GenerationParams
from pixref.server import _mockups as store


def png_bytes(rows: int, cols: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (rows, cols, 4), dtype=np.uint8)
    image[..., 3] = 255
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG")
    return buf.getvalue()


def library_entry(rows: int, cols: int, seed: int) -> int:
    params = GenerationParams(prompt=f"fairy part {seed}", seed=seed, width=cols, height=rows)
    with open_library() as lib:
        return record_generation(lib, png_bytes(rows, cols, seed), params=params).id


def stored(name: str):
    return read_document(store.doc_path(name))


def stage_render(name: str) -> np.ndarray:
    path = store.doc_path(name)
    doc = read_document(path)
    sources = load_sources(doc, base_dir=path.parent)
    return render(doc, sources, mask_images=load_mask_images(doc, base_dir=path.parent))


def settled(page) -> None:
    """Wait until the canvas shows the server's render of the stored document."""
    page.wait_for_selector("#mk-status[data-state=server]", timeout=10_000)


def to_screen(page, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of document pixel (x, y)."""
    box = page.locator("#mk-canvas").bounding_box()
    width = page.evaluate("() => document.querySelector('#mk-canvas').width")
    scale = box["width"] / width
    return box["x"] + x * scale, box["y"] + y * scale


def drag(page, start, end) -> None:
    page.mouse.move(*to_screen(page, *start))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *end), steps=6)
    page.mouse.up()


def new_mockup(page, name: str, width: int, height: int) -> None:
    page.goto(page.base_url + "/#/mockup")
    page.fill("#mk-new-name", name)
    page.fill("#mk-new-width", str(width))
    page.fill("#mk-new-height", str(height))
    page.click("#mk-create")
    page.wait_for_selector(f"#mk-select option[value='{name}']", state="attached")


def layer_names(page) -> list[str]:
    """The layer list, top first."""
    return page.eval_on_selector_all(
        "#mk-layers li[data-name]", "li => li.map(x => x.dataset.name)"
    )


def wait_for_layers(page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('#mk-layers li[data-name]').length === {count}"
    )


def upload(page, name: str, data: bytes, mime: str = "image/png") -> None:
    page.set_input_files("#mk-upload", files=[{"name": name, "mimeType": mime, "buffer": data}])


def error_in(page, slot: str) -> str:
    return page.wait_for_selector(f"{slot}:not(:empty)").inner_text()


def test_build_render_and_export_a_mockup(page, tmp_path):
    body = library_entry(30, 40, seed=2)
    new_mockup(page, "fairy", 96, 64)
    # a library entry, then an upload on top of it
    page.click("#mk-from-library")
    page.click(f".mk-pick-item[title^='#{body} ']")
    wait_for_layers(page, 1)
    upload(page, "arm.png", png_bytes(40, 48, 1))
    wait_for_layers(page, 2)
    assert layer_names(page) == ["arm", f"#{body}"]
    assert page.get_attribute("#mk-layers li[data-name='arm'] button", "aria-pressed") == "true"
    settled(page)

    # move the arm with the mouse: whole pixels, as far as the pointer went
    drag(page, (10, 10), (30, 22))
    settled(page)
    arm = stored("fairy").find("arm")
    assert (arm.transform.x, arm.transform.y) == (20, 12)
    # scale it by its corner handle, about its centre (44, 32): half-way in is half size
    drag(page, (68, 52), (56, 42))
    settled(page)
    t = stored("fairy").find("arm").transform
    assert 0.45 < t.scale[0] == t.scale[1] < 0.55
    assert abs(t.x + 24 * t.scale[0] - 44) < 0.01 and abs(t.y + 20 * t.scale[1] - 32) < 0.01
    assert page.input_value("#mk-sx") == str(round(t.scale[0] * 100, 2)).removesuffix(".0")

    # opacity and blend mode
    page.fill("#mk-opacity", "60")
    settled(page)
    page.select_option("#mk-blend", "multiply")
    settled(page)
    arm = stored("fairy").find("arm")
    assert (arm.opacity, arm.blend.value) == (0.6, "multiply")

    # a feathered rectangle mask, drawn with the Rect tool inside the layer
    page.fill("#mk-feather", "3")
    page.click(".mk-tool[data-tool=rect]")
    left, top = t.x + 2, t.y + 2
    drag(page, (left, top), (left + 16, top + 12))
    settled(page)
    (item,) = stored("fairy").find("arm").mask
    assert (item.shape.value, item.feather, item.op.value) == ("rect", 3.0, "add")
    (x0, y0), (x1, y1) = item.points
    # in the layer's own pixels (it is at half size): twice what was dragged on the canvas
    assert x0 < x1 and y0 < y1 and 20 < x1 - x0 < 44 and 14 < y1 - y0 < 34

    # render: the PNG logged in the library is the stage's render of the stored document
    page.click("#mk-render")
    link = page.wait_for_selector("#mk-result a[href^='#/library/']")
    rendered = int(link.get_attribute("href").rsplit("/", 1)[1])
    with open_library() as lib:
        entry = lib.get(rendered)
        assert entry.kind == "mockup"
        pixels = np.asarray(Image.open(entry.path).convert("RGBA"))
    assert np.array_equal(pixels, stage_render("fairy"))

    # ORA for Krita: both layers in stack.xml
    with page.expect_download() as download:
        page.click("#mk-export-ora")
    assert download.value.suggested_filename == "fairy.ora"
    ora = tmp_path / "fairy.ora"
    download.value.save_as(ora)
    with zipfile.ZipFile(ora) as z:
        stack = ET.fromstring(z.read("stack.xml"))
    assert sorted(x.get("name") for x in stack.iter("layer")) == sorted(["arm", f"#{body}"])

    # PSD for Clip Studio Paint: two layers
    psd_tools = pytest.importorskip("psd_tools")
    with page.expect_download() as download:
        page.click("#mk-export-psd")
    psd_path = tmp_path / "fairy.psd"
    download.value.save_as(psd_path)
    psd = psd_tools.PSDImage.open(psd_path)
    assert sorted(layer.name for layer in psd.descendants()) == sorted(["arm", f"#{body}"])
    assert (psd.width, psd.height) == (96, 64)

    # and the ORA comes back as a new mockup, its layers drawn from the mockup's own files
    page.click("summary:has-text('Import PSD / ORA')")
    page.fill("#mk-import-name", "fairy-again")
    page.set_input_files("#mk-import", str(ora))
    page.wait_for_function("location.hash === '#/mockup/fairy-again'")
    wait_for_layers(page, 2)
    settled(page)
    assert [x.name for x in stored("fairy-again").walk()] == [f"#{body}", "arm"]
    page.wait_for_function("""[...document.querySelectorAll('#mk-layers canvas')].every(
        (c) => c.getContext('2d').getImageData(0, 0, 28, 28).data.some((v) => v > 0))""")


def make_mockup_over_http(base: str, name: str) -> None:
    with httpx.Client(base_url=base) as http:
        made = http.post("/api/mockups", json={"name": name, "width": 64, "height": 48})
        assert made.status_code == 201
        for layer, seed in (("back", 3), ("front", 4)):
            files = {"file": (f"{layer}.png", png_bytes(20, 24, seed), "image/png")}
            url = f"/api/mockups/{name}/layers/upload"
            added = http.post(url, data={"name": layer}, files=files)
            assert added.status_code == 201, added.text


def test_keyboard_nudges_restacks_and_deletes(page):
    make_mockup_over_http(page.base_url, "kb")
    page.goto(page.base_url + "/#/mockup/kb")
    page.click("#mk-layers li[data-name='front'] button")
    settled(page)
    page.focus("#mk-viewport")
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "Shift+ArrowDown"):
        page.keyboard.press(key)
    assert page.input_value("#mk-x") == "3"  # shown at once, stored a moment later
    settled(page)
    front = stored("kb").find("front")
    assert (front.transform.x, front.transform.y) == (3, 10)
    # rotate by the knob above the layer (Shift snaps to 15°), then flip it
    knob = page.locator("#mk-overlay circle[data-handle=rotate]").bounding_box()
    page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
    page.mouse.down()
    page.keyboard.down("Shift")
    page.mouse.move(*to_screen(page, 15 + 20, 20 + 1), steps=5)  # the layer's centre is (15, 20)
    page.mouse.up()
    page.keyboard.up("Shift")
    settled(page)
    page.click("#mk-flip-x")
    settled(page)
    t = stored("kb").find("front").transform
    assert (t.rotate, t.flip_x, t.x, t.y) == (90, True, 3, 10)
    page.focus("#mk-viewport")
    page.keyboard.press("PageDown")
    page.wait_for_function("document.querySelector('#mk-layers li').dataset.name === 'back'")
    assert [layer.name for layer in stored("kb").walk()] == ["front", "back"]
    # Delete asks first: Escape keeps the layer, Enter removes it
    page.keyboard.press("Delete")
    page.wait_for_selector("dialog[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog", state="detached")
    assert len(list(stored("kb").walk())) == 2
    page.focus("#mk-viewport")
    page.keyboard.press("Delete")
    page.wait_for_selector("dialog[open]")
    page.keyboard.press("Enter")
    wait_for_layers(page, 1)
    settled(page)
    assert [layer.name for layer in stored("kb").walk()] == ["back"]


def test_send_from_library_and_on_to_img2img(page):
    a = library_entry(24, 32, seed=5)
    b = library_entry(16, 16, seed=6)
    page.goto(page.base_url + f"/#/mockup?image={a}")
    page.wait_for_function(f"location.hash === '#/mockup/entry-{a}'")
    assert stored(f"entry-{a}").width == 32 and layer_names(page) == [f"#{a}"]
    # the next entry sent joins the open mockup; sending it again only selects it
    for _ in range(2):
        page.goto(page.base_url + f"/#/mockup?image={b}")
        page.wait_for_function(f"location.hash === '#/mockup/entry-{a}'")
        wait_for_layers(page, 2)
    assert [x.name for x in stored(f"entry-{a}").walk()] == [f"#{a}", f"#{b}"]
    settled(page)
    page.click("#mk-img2img")
    page.wait_for_function("location.hash.startsWith('#/generate?')")
    query = dict(x.split("=") for x in page.evaluate("location.hash").split("?")[1].split("&"))
    assert query["mode"] == "img2img"
    with open_library() as lib:
        assert lib.get(int(query["image"])).kind == "mockup"
    preview = page.wait_for_selector("#init-preview")
    assert preview.evaluate("img => img.naturalWidth") == 32


def test_live_drawing_is_close_to_the_server_render(page):
    """The browser's own drawing (shown while dragging) looks like the server's render:
    placement, rotation, flips, adjustments, a feathered mask, opacity and blend."""
    make_mockup_over_http(page.base_url, "live")
    with httpx.Client(base_url=page.base_url) as http:
        doc = http.get("/api/mockups/live").json()["document"]
        http.put("/api/mockups/live", json={"document": {**doc, "background": "#406080"}})
        changes = {
            "x": 20, "y": 10, "scale": 1.5, "rotate": 30, "flip_x": True, "opacity": 0.8,
            "blend": "screen", "adjust": {"hue": 40, "brightness": 0.1, "levels": {"gamma": 1.4}},
            "mask": [{"shape": "ellipse", "points": [[2, 2], [22, 18]], "feather": 2}],
        }  # fmt: skip
        assert http.patch("/api/mockups/live/layers/front", json=changes).status_code == 200
    page.goto(page.base_url + "/#/mockup/live")
    settled(page)
    drawn = page.evaluate("""async () => {
        const R = await import('/ui/lib/mockup-render.js');
        const doc = (await (await fetch('/api/mockups/live')).json()).document;
        const images = new Map();
        for (const { layer } of R.walk(doc.layers)) {
            const file = layer.source.path.split('/').pop();
            const blob = await (await fetch(`/api/mockups/live/files/${file}`)).blob();
            images.set(R.sourceKey(layer.source), await createImageBitmap(blob));
        }
        const canvas = R.makeCanvas(doc.width, doc.height);
        const ctx = canvas.getContext('2d');
        R.drawDocument(ctx, doc, images, new Map(), new Map());
        return Array.from(ctx.getImageData(0, 0, doc.width, doc.height).data);
    }""")
    ours = np.array(drawn, np.float64).reshape(48, 64, 4)
    truth = stage_render("live").astype(np.float64)
    diff = np.abs(ours - truth)
    # about 1 level in 255 on average here: resampled edges and the feather's blur differ
    assert diff.mean() < 2, diff.mean()
    assert np.percentile(diff, 95) < 12


def test_server_errors_show_next_to_their_cause(lenient_page):
    page = lenient_page
    page.goto(page.base_url + "/#/mockup")
    page.fill("#mk-new-name", "not a name")
    page.click("#mk-create")
    assert "mockup name must be" in error_in(page, "#mk-new-error")
    page.fill("#mk-new-name", "errs")
    page.click("#mk-create")
    page.wait_for_selector("#mk-select option[value='errs']", state="attached")
    assert page.inner_text("#mk-new-error") == ""
    upload(page, "notes.txt", b"hello", "text/plain")
    assert error_in(page, "#mk-layers-error") == (
        "`file` upload 'notes.txt' is not an image pixref can read (PNG, JPEG, WebP, ...)"
    )
    upload(page, "ok.png", png_bytes(8, 8, 7))
    wait_for_layers(page, 1)
    assert page.inner_text("#mk-layers-error") == ""  # cleared by the next upload that worked
    settled(page)
    # a refused edit: the message under the fields, the stored value back in them
    page.fill("#mk-sx", "0")
    page.press("#mk-sx", "Enter")
    assert "`scale` must be above 0" in error_in(page, "#mk-props-error")
    page.wait_for_function("document.querySelector('#mk-status').dataset.state === 'server'")
    page.locator("#mk-sx").blur()
    page.wait_for_function("document.querySelector('#mk-sx').value === '100'")
    assert stored("errs").find("ok").transform.scale == (1.0, 1.0)
