"""The Pixelize page in a real browser: a library image opened by id, variants side by
side, a built-in palette, downloads checked with Pillow; an upload; a server refusal
shown next to the option that caused it; previews log nothing until saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pixref.infotext import parse_infotext
from pixref.library import open_library, record_generation
from pixref.pixel import builtin_palette
from pixref.pixel.palette_io import decode_palette

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "examples" / "reference.png"


def library_image() -> int:
    text = Image.open(REFERENCE).info["parameters"]
    with open_library() as lib:
        return record_generation(lib, REFERENCE, params=parse_infotext(text), infotext=text).id


def library_count() -> int:
    with open_library() as lib:
        return lib.count()


def wait_for_variants(page, sizes: list[str]) -> None:
    """Until the variants shown are exactly ``sizes`` ("16x16", ...) and idle."""
    page.wait_for_function(
        """sizes => {
            const got = [...document.querySelectorAll('#variants figure.variant')]
                .map(f => `${f.dataset.width}x${f.dataset.height}`);
            return !document.querySelector('#pixelize-status.busy') && got.join() === sizes.join();
        }""",
        arg=sizes,
        timeout=20_000,
    )


def idle(page) -> None:
    """Until the preview shown is the one for the options as they are now."""
    page.wait_for_selector("#pixelize-status:not(.busy)", timeout=20_000)


def palette_rows(png: Image.Image) -> np.ndarray:
    return np.array(png.getpalette(), np.uint8).reshape(-1, 3)


def test_library_image_to_pico8_downloads(page, tmp_path):
    entry_id = library_image()
    before = library_count()
    page.goto(page.base_url + f"/#/pixelize?image={entry_id}")
    page.wait_for_selector("#source-info:has-text('512 × 512')")
    assert f"library #{entry_id}" in page.inner_text("#source-info")
    page.fill("#widths", "16, 32, 48")
    wait_for_variants(page, ["16x16", "32x32", "48x48"])

    # Side by side, at one display size, never smoothed.
    boxes = [page.locator(f"#variant-{i}").bounding_box() for i in range(3)]
    assert len({round(b["width"]) for b in boxes}) == 1 and len({round(b["y"]) for b in boxes}) == 1
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    rendering = page.eval_on_selector("#variant-0", "c => getComputedStyle(c).imageRendering")
    assert rendering in ("pixelated", "crisp-edges")
    # The 16-wide variant is zoomed far enough for its pixel grid; turning it off redraws.
    assert page.get_attribute("#variant-0", "data-grid") == "pixels"
    page.uncheck("#pixel-grid")
    assert page.get_attribute("#variant-0", "data-grid") == ""
    page.check("#pixel-grid")

    page.select_option("#palette", "pico-8")
    idle(page)
    pico = builtin_palette("pico-8")
    assert page.locator("#palette-swatches span").count() == len(pico)
    card = page.locator("#variants figure.variant").nth(1)
    with page.expect_download() as info:
        card.locator("button[data-download=png]").click()
    download = info.value
    assert download.suggested_filename == "reference-32x32.png"
    png = Image.open(download.path())
    assert png.mode == "P" and png.size == (32, 32)
    rows = palette_rows(png)
    if "transparency" in png.info:  # index 0 is the transparent entry
        rows = rows[1:]
    assert np.array_equal(rows[: len(pico)], pico.colors) and len(rows) == len(pico)
    used = {tuple(c) for c in np.asarray(png.convert("RGB")).reshape(-1, 3).tolist()}
    assert used <= {tuple(c) for c in pico.colors.tolist()}

    with page.expect_download() as info:
        card.locator("button[data-download=gpl]").click()
    gpl = decode_palette(Path(info.value.path()).read_bytes(), "p.gpl")
    assert info.value.suggested_filename == "reference-32x32.gpl"
    assert gpl.hex() == pico.hex()

    with page.expect_download() as info:
        card.locator("button[data-download=aseprite]").click()
    data = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == "reference-32x32.aseprite"
    assert data[4:6] == b"\xe0\xa5"  # Aseprite's magic number

    # Previews wrote nothing; saving logs the three variants, linked to the source.
    assert library_count() == before
    page.click("#save")
    page.wait_for_selector("#saved a")
    ids = [int(a.get_attribute("href").rsplit("/", 1)[1]) for a in page.locator("#saved a").all()]
    assert len(ids) == 3 and library_count() == before + 3
    with open_library() as lib:
        assert lib.parents(ids[1]) == [("pixelized_from", entry_id)]
        saved = Image.open(lib.get(ids[1]).path)
        assert saved.mode == "P" and np.array_equal(np.asarray(saved), np.asarray(png))


def test_upload_and_options_rerun(page, tmp_path):
    art = np.zeros((96, 64, 4), np.uint8)
    art[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
    art[..., 1] = np.linspace(0, 255, 96, dtype=np.uint8)[:, None]
    art[..., 3] = 255
    art[:8, :8, 3] = 0
    path = tmp_path / "sprite sheet.png"
    Image.fromarray(art, "RGBA").save(path)
    page.goto(page.base_url + "/#/pixelize")
    page.wait_for_selector("#palette option[value='pico-8']", state="attached")
    page.set_input_files("#pixelize-file", str(path))
    page.wait_for_selector("#source-info:has-text('64 × 96')")
    page.fill("#widths", "8, 16")
    wait_for_variants(page, ["8x12", "16x24"])
    assert "transparent" in page.inner_text("#variants figure.variant >> nth=0")
    page.fill("#colors", "3")
    idle(page)
    assert "3 colours + transparent" in page.inner_text("#variants .variant-head >> nth=1")
    page.select_option("#dither", "bayer4")
    idle(page)
    with page.expect_download() as info:
        page.locator("#variants button[data-download=png]").first.click()
    assert info.value.suggested_filename == "sprite-sheet-8x12.png"
    png = Image.open(info.value.path())
    assert png.mode == "P" and png.size == (8, 12) and png.info.get("transparency") == 0


def test_a_refused_option_shows_the_servers_message_beside_it(lenient_page):
    page = lenient_page
    entry_id = library_image()
    page.goto(page.base_url + f"/#/pixelize?image={entry_id}")
    page.wait_for_selector("#variants figure.variant")
    page.fill("#widths", "64, 9000")
    error = page.wait_for_selector("#sizes-error:has-text('larger than the source')")
    assert "9000" in error.inner_text() and page.get_attribute("#widths", "aria-invalid") == "true"
    assert page.inner_text("#pixelize-error") == ""
    # A palette file that is not one: the message goes beside the palette.
    page.select_option("#palette", "@file")
    page.set_input_files(
        "#palette-file", files=[{"name": "bad.gpl", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.fill("#widths", "64")
    page.wait_for_selector("#palette-error:not(:empty)")
    assert "bad.gpl" in page.inner_text("#palette-error") or "GIMP" in page.inner_text(
        "#palette-error"
    )
    assert page.inner_text("#sizes-error") == ""
    # Fixing it clears the messages and shows the result again.
    page.select_option("#palette", "game-boy")
    idle(page)
    assert "4 colours" in page.inner_text("#variants .variant-head")
    assert page.inner_text("#palette-error") == ""
