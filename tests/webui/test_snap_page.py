"""The Snap page in a real browser: a shared sprite, upscaled ×6 and blurred and
JPEG'd as AI "pixel art" is, dropped on the page comes back at its own size with the
grid drawn over it; a manual pitch re-runs; an image without a grid is refused beside
the grid controls."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

SPRITE = "crawl_nellie.png"


def pixelart() -> Path:
    """../shared/data/pixelart beside the checkout (a worktree sits deeper: any ancestor),
    or $PIXREF_SHARED_DATA/pixelart; the tests skip cleanly without it."""
    override = os.environ.get("PIXREF_SHARED_DATA")
    candidates = [Path(override) / "pixelart"] if override else []
    candidates += [
        folder / "shared" / "data" / "pixelart" for folder in Path(__file__).resolve().parents
    ]
    for candidate in candidates:
        if (candidate / SPRITE).is_file():
            return candidate
    pytest.skip("../shared/data/pixelart is not beside this checkout")


def degraded(sprite: Path, scale: int = 6) -> tuple[bytes, tuple[int, int]]:
    """The sprite on a flat background, ×scale nearest, slightly blurred, as a JPEG."""
    art = Image.open(sprite).convert("RGBA")
    flat = Image.new("RGBA", art.size, (40, 44, 52, 255))
    flat.alpha_composite(art)
    big = flat.convert("RGB").resize((art.width * scale, art.height * scale), Image.NEAREST)
    big = big.filter(ImageFilter.GaussianBlur(0.7))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=88)
    return out.getvalue(), art.size


def drop(page, selector: str, data: bytes, name: str, mime: str) -> None:
    page.evaluate(
        """([selector, b64, name, mime]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            const zone = document.querySelector(selector);
            const init = { dataTransfer: dt, bubbles: true, cancelable: true };
            zone.dispatchEvent(new DragEvent('dragover', init));
            zone.dispatchEvent(new DragEvent('drop', init));
        }""",
        [selector, base64.b64encode(data).decode(), name, mime],
    )


def idle(page) -> None:
    page.wait_for_selector("#snap-status:not(.busy)", timeout=20_000)


def test_dropped_ai_pixel_art_comes_back_at_its_size(page, tmp_path):
    data, (w, h) = degraded(pixelart() / SPRITE)
    page.goto(page.base_url + "/#/snap")
    page.wait_for_selector("#snap-palette option[value='pico-8']", state="attached")
    drop(page, "#snap-drop", data, "nellie-ai.jpg", "image/jpeg")
    page.wait_for_selector("#snap-result:not(.hidden)")
    idle(page)
    assert page.inner_text("#recovered-size") == f"{w} × {h}"
    assert page.eval_on_selector("#snap-1x", "i => [i.naturalWidth, i.naturalHeight]") == [w, h]
    assert page.eval_on_selector("#snap-1x", "i => i.getBoundingClientRect().width") == w
    zoomed = page.locator("#snap-zoomed")
    assert zoomed.get_attribute("data-width") == str(w)
    assert (
        float(zoomed.get_attribute("data-zoom")) >= 2
        and zoomed.get_attribute("data-grid") == "pixels"
    )
    # The detected grid is drawn over the source: one line between every two cells.
    assert page.get_attribute("#snap-source", "data-lines") == f"{w - 1}x{h - 1}"
    assert 5.9 < float(page.inner_text("#pitch-found").split()[0]) < 6.1
    assert float(page.inner_text("#confidence")) >= 0.3
    page.uncheck("#show-grid")
    assert page.get_attribute("#snap-source", "data-lines") is None
    page.check("#show-grid")

    # Manual pitch and phase: twice the cell from the corner gives half the size, and
    # the grid drawn follows.
    page.fill("#pitch", "12")
    assert page.is_checked("#manual-grid")
    page.fill("#offset-x", "0")
    page.fill("#offset-y", "0")
    idle(page)
    assert page.inner_text("#recovered-size") == f"{w // 2} × {h // 2}"
    assert page.get_attribute("#snap-source", "data-lines") == f"{w // 2 - 1}x{h // 2 - 1}"
    page.click("#detect")
    idle(page)
    assert page.inner_text("#recovered-size") == f"{w} × {h}"
    assert not page.is_checked("#manual-grid")

    with page.expect_download() as info:
        page.click("#download-png")
    assert info.value.suggested_filename == f"nellie-ai-{w}x{h}.png"
    png = Image.open(info.value.path())
    assert png.size == (w, h) and png.mode == "P"


def test_upload_by_file_picker_and_save(page, tmp_path):
    from pixref.library import open_library

    data, (w, h) = degraded(pixelart() / SPRITE)
    path = tmp_path / "sprite.jpg"
    path.write_bytes(data)
    page.goto(page.base_url + "/#/snap")
    page.set_input_files("#snap-file", str(path))
    page.wait_for_selector("#snap-result:not(.hidden)")
    idle(page)
    assert page.inner_text("#recovered-size") == f"{w} × {h}"
    page.click("#snap-save")
    link = page.wait_for_selector("#snap-saved a")
    entry_id = int(link.get_attribute("href").rsplit("/", 1)[1])
    with open_library() as lib:
        entry = lib.get(entry_id)
        assert entry.kind == "snapped" and Image.open(entry.path).size == (w, h)


def test_a_library_image_opened_by_id(page):
    from pixref.library import open_library

    data, (w, h) = degraded(pixelart() / SPRITE, scale=4)
    with open_library() as lib:
        entry_id = lib.add(data, kind="import", filename="nellie x4.jpg").id
    page.goto(page.base_url + f"/#/snap?image={entry_id}")
    page.wait_for_selector("#snap-result:not(.hidden)")
    idle(page)
    assert f"library #{entry_id}" in page.inner_text("#snap-source-info")
    assert page.inner_text("#recovered-size") == f"{w} × {h}"


def test_no_grid_is_refused_beside_the_grid_controls(lenient_page, tmp_path):
    page = lenient_page
    y, x = np.mgrid[0:96, 0:96]
    smooth = np.stack([x * 2, y * 2, (x + y)], -1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(smooth, "RGB").save(out, "PNG")
    page.goto(page.base_url + "/#/snap")
    page.wait_for_selector("#snap-drop")
    drop(page, "#snap-drop", out.getvalue(), "gradient.png", "image/png")
    error = page.wait_for_selector("#grid-error:has-text('no pixel grid found')")
    assert "confidence" in error.inner_text()
    assert page.is_hidden("#snap-result") and page.inner_text("#snap-error") == ""
    # The way out is right there: set the grid by hand.
    page.click("#set-by-hand")
    assert page.is_checked("#manual-grid")
    page.fill("#pitch", "8")
    idle(page)
    assert page.inner_text("#recovered-size") == "12 × 12"
    assert page.inner_text("#grid-error") == ""
