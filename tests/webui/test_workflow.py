"""Issue 11's flow in one browser session: generate with the tiny model → the image is in
the library → send it to pixelize → change the palette → download the PNG, indexed with
that palette."""

import numpy as np
from PIL import Image

from pixref.library import open_library
from pixref.pixel import builtin_palette
from tests.webui.test_pixelize_page import idle, palette_rows, wait_for_variants


def test_generate_to_library_to_pixelize_to_indexed_png(page):
    page.goto(page.base_url + "/#/generate")
    page.wait_for_selector("#model option", state="attached")
    page.fill("#prompt", "a knight, pixel art")
    for field, value in (("#steps", "2"), ("#width", "64"), ("#height", "64"), ("#seed", "7")):
        page.fill(field, value)
    page.click("#generate")
    page.wait_for_selector("#results figure img", timeout=60_000)
    href = page.locator("#results a[href^='#/library/']").get_attribute("href")
    entry_id = int(href.rsplit("/", 1)[1])

    # The image is in the library: its detail page shows it.
    page.click(f"#results a[href='{href}']")
    page.wait_for_selector("text=Seed: 7")
    with open_library() as lib:
        assert lib.get(entry_id).params.seed == 7

    # Send to pixelize from the library, then pick a palette and download.
    page.goto(page.base_url + f"/#/pixelize?image={entry_id}")
    page.wait_for_selector("#source-info:has-text('64 × 64')")
    page.fill("#widths", "16, 32")
    wait_for_variants(page, ["16x16", "32x32"])
    page.select_option("#palette", "dawnbringer-16")
    idle(page)
    with page.expect_download() as info:
        page.locator("#variants figure.variant").nth(0).locator("button[data-download=png]").click()
    png = Image.open(info.value.path())
    db16 = builtin_palette("dawnbringer-16")
    assert png.mode == "P" and png.size == (16, 16)
    rows = palette_rows(png)
    if "transparency" in png.info:
        rows = rows[1:]
    assert np.array_equal(rows, db16.colors)
    used = {tuple(c) for c in np.asarray(png.convert("RGB")).reshape(-1, 3).tolist()}
    assert used <= {tuple(c) for c in db16.colors.tolist()}
