"""The Generate page in a real browser: a tiny random model makes an image that lands
in the library; prompt weights edit with Ctrl+↑/↓."""

from pixref.library import open_library


def test_generate_an_image(page):
    page.goto(page.base_url + "/#/generate")
    page.wait_for_selector("#model option", state="attached")
    assert page.locator("#model option").first.inner_text() == "tiny-sd1"
    page.fill("#prompt", "a cute kitty, pixel art")
    page.fill("#steps", "3")
    page.fill("#width", "64")
    page.fill("#height", "64")
    page.fill("#seed", "1234")
    page.click("#generate")
    result = page.wait_for_selector("#results figure img", timeout=60_000)
    assert result.evaluate("img => img.naturalWidth") == 64
    text = page.inner_text("#results .infotext")
    assert "Seed: 1234" in text and "Steps: 3" in text and "Size: 64x64" in text
    link = page.locator("#results a[href^='#/library/']")
    entry_id = int(link.get_attribute("href").rsplit("/", 1)[1])
    with open_library() as lib:
        assert lib.get(entry_id).params.seed == 1234


def test_attention_keys_and_seed_buttons(page):
    page.goto(page.base_url + "/#/generate")
    page.wait_for_selector("#model option", state="attached")
    page.fill("#prompt", "a cat in a hat")
    page.focus("#prompt")
    page.evaluate("() => document.querySelector('#prompt').setSelectionRange(2, 5)")
    page.keyboard.press("Control+ArrowUp")
    assert page.input_value("#prompt") == "a (cat:1.1) in a hat"
    page.keyboard.press("Control+ArrowUp")
    assert page.input_value("#prompt") == "a (cat:1.2) in a hat"
    page.keyboard.press("Control+ArrowDown")
    page.keyboard.press("Control+ArrowDown")
    assert page.input_value("#prompt") == "a cat in a hat"
    page.fill("#seed", "77")
    page.click("button[aria-label='Random seed']")
    assert page.input_value("#seed") == "-1"
    page.fill("#width", "512")
    page.fill("#height", "768")
    page.click("button[aria-label='Swap width and height']")
    assert (page.input_value("#width"), page.input_value("#height")) == ("768", "512")
