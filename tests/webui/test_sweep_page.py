"""The Sweep page in a real browser on the tiny random model: validate shows the grid's
shape, the grid fills in with every cell logged, bad axes are named where they are
typed, a running sweep cancels, and a library entry's parameters start a sweep."""

import re

from pixref.library import open_library
from tests.webui.conftest import ARTIFACTS


def open_sweep(page, suffix=""):
    page.goto(page.base_url + "/#/sweep" + suffix)
    page.wait_for_selector("#model option", state="attached")


def base(page, steps="2"):
    page.fill("#prompt", "a cute kitty, pixel art")
    page.fill("#steps", steps)
    page.fill("#width", "64")
    page.fill("#height", "64")


def axis(page, letter, name, values):
    page.fill(f"#axis-{letter}-name", name)
    page.fill(f"#axis-{letter}-values", values)


def test_a_2x2_sweep_fills_in_with_labels_and_logs_every_cell(page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_sweep(page)
    base(page)
    axis(page, "x", "seed", "1,2")
    axis(page, "y", "cfg", "3,7")
    page.click("#sweep-validate")
    page.wait_for_selector("#sweep-shape:has-text('cells')")
    assert page.inner_text("#sweep-shape").startswith("2 × 2 grid · 4 cells")
    assert page.locator("#sweep-grid td.pending").count() == 4  # the shape, before starting
    page.keyboard.press("Control+Enter")  # Start
    page.wait_for_function(
        "document.querySelectorAll('#sweep-grid td img').length === 4", timeout=120_000
    )
    page.wait_for_selector("#sweep-status[data-state='done']")
    assert re.search(r"#/sweep/job-\d+$", page.url)
    assert any(url.endswith("/api/jobs/events") for url in requests)  # followed by SSE
    assert "4 of 4 cells" in page.inner_text("#sweep-status")
    grid = page.locator("#sweep-grid table")
    assert grid.locator("thead th.axis-name").all_inner_texts() == ["X: Seed", "Y: CFG Scale"]
    assert grid.locator("thead th.value").all_inner_texts() == ["1", "2"]
    assert grid.locator("tbody th").all_inner_texts() == ["3", "7"]
    sizes = page.eval_on_selector_all(
        "#sweep-grid td img",
        "imgs => imgs.map(i => [i.complete, i.naturalWidth, getComputedStyle(i).imageRendering])",
    )
    assert all(done and width == 64 and rendering in ("pixelated", "crisp-edges")
               for done, width, rendering in sizes), sizes  # fmt: skip
    links = page.eval_on_selector_all(
        "#sweep-grid td a", "as => as.map(a => [a.getAttribute('href'), a.closest('td').dataset.x,"
        " a.closest('td').dataset.y])",
    )  # fmt: skip
    with open_library() as lib:
        for href, x, y in links:
            entry = lib.get(int(href.rsplit("/", 1)[1]))
            assert entry.kind == "sweep_cell"
            assert (entry.params.seed, entry.params.cfg_scale) == ([1, 2][int(x)], [3, 7][int(y)])
            assert (entry.params.steps, entry.params.width) == (2, 64)
        sweep = lib.sweep(lib.sweep_of(entry.id)["id"])
        assert len(sweep["cells"]) == 4
    assert page.locator("#sweep-links a", has_text="library sweep").count() == 1
    # keyboard: arrows move between cells (the library page opens on Enter)
    page.focus("#sweep-grid td a >> nth=0")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.getAttribute('href')") == links[3][0]


def test_bad_axes_are_named_next_to_the_axis_and_nothing_starts(page):
    open_sweep(page)
    base(page)
    axis(page, "x", "steps", "abc")
    axis(page, "y", "wobble", "1,2")
    axis(page, "z", "cfg", "3,7")
    page.click("#sweep-validate")
    page.wait_for_selector("#axis-x-error:not(:empty)")
    assert "'abc' is not a number" in page.inner_text("#axis-x-error")
    assert "unknown axis `wobble`" in page.inner_text("#axis-y-error")
    assert page.inner_text("#axis-z-error") == ""
    assert page.get_attribute("#axis-x-values", "aria-invalid") == "true"
    assert page.get_attribute("#axis-y-name", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "axis-x-values"
    page.screenshot(path=str(ARTIFACTS / "sweep-axis-errors.png"))
    page.click("#sweep-start")  # validates first, then refuses
    page.wait_for_selector("#axis-y-error:not(:empty)")
    assert page.evaluate("fetch('/api/jobs').then(r => r.json())") == []
    # a base field's problem goes next to that field
    axis(page, "x", "steps", "2,3")
    axis(page, "y", "", "")
    page.select_option("#sampler", "Euler a")
    page.evaluate("""() => { const s = document.querySelector('#model');
        s.append(new Option('missing-model', 'missing-model')); s.value = 'missing-model'; }""")
    page.click("#sweep-validate")
    page.wait_for_selector("#model-error:not(:empty)")
    assert "`missing-model`" in page.inner_text("#model-error")
    assert page.inner_text("#axis-x-error") == "" and page.inner_text("#sweep-shape") == ""
    assert page.evaluate("fetch('/api/jobs').then(r => r.json())") == []


def test_cancel_stops_a_running_sweep_and_keeps_its_cells(page):
    open_sweep(page)
    base(page, steps="3")
    axis(page, "x", "seed", "1-20")
    axis(page, "y", "cfg", "3,7")
    page.fill("#batch-size", "1")
    page.click("#sweep-start")
    page.wait_for_selector("#sweep-grid td img", timeout=120_000)  # the first cell is in
    assert re.search(r"cells · \d+ s left", page.inner_text("#sweep-status"))
    page.screenshot(path=str(ARTIFACTS / "sweep-running.png"))
    page.click("#sweep-cancel")
    page.wait_for_selector("#sweep-status[data-state='cancelled']", timeout=60_000)
    made = page.locator("#sweep-grid td img").count()
    assert 1 <= made < 40 and page.locator("#sweep-grid td.pending").count() == 40 - made
    assert page.is_visible("#sweep-resume") and page.is_enabled("#sweep-start")
    assert page.is_disabled("#sweep-cancel")
    [job] = page.evaluate("fetch('/api/jobs').then(r => r.json())")
    assert job["state"] == "cancelled"
    entry_id = int(page.get_attribute("#sweep-grid td a", "href").rsplit("/", 1)[1])
    with open_library() as lib:
        assert len(lib.sweep(lib.sweep_of(entry_id)["id"])["cells"]) == made
    # the page shows a sweep the server knows again, with its axes and base parameters
    page.click("#nav a[data-page=generate]")
    page.wait_for_selector("#generate")
    page.goto(page.base_url + f"/#/sweep/{job['id']}")
    page.wait_for_selector("#sweep-status[data-state='cancelled']")
    assert page.locator("#sweep-grid td img").count() == made
    assert page.input_value("#axis-x-values") == ",".join(map(str, range(1, 21)))  # as used
    assert (page.input_value("#axis-y-name"), page.input_value("#axis-y-values")) == ("cfg", "3,7")
    assert (page.input_value("#steps"), page.input_value("#width")) == ("3", "64")


def test_starting_from_a_library_entry_takes_its_parameters(page):
    open_sweep(page)
    base(page)
    page.fill("#seed", "4242")
    page.fill("#cfg", "5.5")
    axis(page, "x", "steps", "2")
    page.click("#sweep-start")
    page.wait_for_selector("#sweep-status[data-state='done']", timeout=120_000)
    entry_id = page.get_attribute("#sweep-grid td a", "href").rsplit("/", 1)[1]
    open_sweep(page, f"?image={entry_id}")  # as the library's send-to opens it
    page.wait_for_selector("#sweep-from a")
    assert page.input_value("#prompt") == "a cute kitty, pixel art"
    assert (page.input_value("#seed"), page.input_value("#cfg")) == ("4242", "5.5")
    assert (page.input_value("#width"), page.input_value("#steps")) == ("64", "2")
    assert page.input_value("#model") == "tiny-sd1"
    axis(page, "x", "cfg", "5-6 [3]")
    page.click("#sweep-validate")
    page.wait_for_selector("#sweep-shape:has-text('cells')")
    assert page.inner_text("#sweep-shape").startswith("a row of 3 · 3 cells")
    assert page.locator("#sweep-grid th.value").all_inner_texts() == ["5", "5.5", "6", ""]


def test_every_listed_axis_name_is_one_the_server_knows(page):
    from pixref.params import GenerationParams
    from pixref.sweep._axes import axis_type

    open_sweep(page)
    names = page.eval_on_selector_all("#sweep-axis-names option", "os => os.map(o => o.value)")
    base = GenerationParams(prompt="a TERM <lora:NAME:1>", refiner="r", hires=None)
    for name in names:
        if name in ("Denoising", "ControlNet weight"):
            continue  # need hires fix / a ControlNet unit in the base parameters
        axis_type(name, base)


def test_without_event_source_the_grid_fills_in_by_polling(page):
    page.add_init_script("delete window.EventSource")
    open_sweep(page)
    base(page)
    axis(page, "x", "cfg", "3,7")
    page.click("#sweep-start")
    page.wait_for_function(
        "document.querySelectorAll('#sweep-grid td img').length === 2", timeout=120_000
    )
    page.wait_for_selector("#sweep-status[data-state='done']")
    assert page.locator("#sweep-grid th.value").all_inner_texts()[:2] == ["3", "7"]
