"""OpenRaster and PSD: structure per spec, read back, merged image == render, round trip."""

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from pixref.mockup import MockupError, to_uint8
from pixref.mockup._psd import flatten_on_white
from pixref.mockup.io import export_file, import_file, read_layered, render_file

psd_tools = pytest.importorskip("psd_tools")

BLENDS = ["normal", "multiply", "screen", "overlay", "darken", "lighten", "color_dodge",
          "color_burn", "hard_light", "soft_light", "difference", "add", "hue", "saturation",
          "color", "luminosity"]  # fmt: skip


def test_ora_structure_follows_the_spec(workdir):
    doc_path, ora = workdir / "fairy.pixmock.json", workdir / "fairy.ora"
    export_file(doc_path, ora)
    with zipfile.ZipFile(ora) as z:
        infos = z.infolist()
        first = infos[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"image/openraster"  # exactly, no newline
        # Stored uncompressed right after its 30-byte local header and 8-byte name, so
        # `file` and the like see the type at a fixed offset.
        assert ora.read_bytes()[30:54] == b"mimetypeimage/openraster"
        names = {i.filename for i in infos}
        assert {"stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png"} <= names
        assert all(i.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos)
        root = ET.fromstring(z.read("stack.xml"))
        assert root.tag == "image" and (root.get("w"), root.get("h")) == ("96", "64")
        assert root.get("version") == "0.0.6"
        stack = root.find("stack")
        assert stack.attrib == {}  # the root stack carries no attributes
        # First child is the top: offcanvas, hidden, the leaves group, arm, sky.
        assert [e.get("name") for e in stack] == ["offcanvas", "hidden", "leaves", "arm", "sky"]
        group = stack[2]
        assert group.tag == "stack" and group.get("composite-op") == "svg:screen"
        assert group.get("opacity") == "0.7" and group.get("isolation") == "isolate"
        assert [(e.get("name"), e.get("composite-op")) for e in group] == [
            ("glow", "svg:plus"), ("leaf", "svg:color")]  # fmt: skip
        arm = stack[3]
        assert arm.get("composite-op") == "svg:multiply" and arm.get("opacity") == "0.8"
        assert stack[1].get("visibility") == "hidden" and arm.get("visibility") == "visible"
        srcs = [e.get("src") for e in root.iter("layer")]
        data = sorted(n for n in names if n.startswith("data/"))
        assert sorted(srcs) == data  # every data file referenced, all PNG, lower-case
        assert all(s.endswith(".png") and s.startswith("data/") for s in srcs)
        assert "Thumbnails" not in z.read("stack.xml").decode()
        thumb = Image.open(io.BytesIO(z.read("Thumbnails/thumbnail.png")))
        assert thumb.size == (96, 64)  # small images are not upscaled
        merged = np.asarray(Image.open(io.BytesIO(z.read("mergedimage.png"))))
    _, rendered = render_file(doc_path)
    np.testing.assert_array_equal(merged, rendered)


def test_ora_thumbnail_fits_256_keeping_aspect(tmp_path):
    doc = {"width": 1000, "height": 400, "layers": [{"name": "c", "source": {"color": "#123456"}}]}
    (tmp_path / "big.pixmock.json").write_text(json.dumps(doc))
    export_file(tmp_path / "big.pixmock.json", tmp_path / "big.ora")
    with zipfile.ZipFile(tmp_path / "big.ora") as z:
        thumb = Image.open(io.BytesIO(z.read("Thumbnails/thumbnail.png")))
        assert thumb.size == (256, 102) and thumb.mode == "RGBA"


def test_psd_reads_back_with_psd_tools(workdir):
    doc_path, psd_path = workdir / "fairy.pixmock.json", workdir / "fairy.psd"
    export_file(doc_path, psd_path)
    psd = psd_tools.PSDImage.open(psd_path)
    assert psd.size == (96, 64) and psd.channels == 3  # RGB merged image: no CSP selection
    top = {layer.name: layer for layer in psd}
    assert list(top) == ["sky", "arm", "leaves", "hidden", "offcanvas"]  # bottom first
    arm = top["arm"]
    assert arm.offset == (10, 5) and arm.opacity == 204 and arm.visible
    assert arm.blend_mode.name == "MULTIPLY" and arm.has_mask()
    assert arm.topil().mode == "RGBA"  # transparency kept as transparency, not as a mask
    assert not top["hidden"].visible
    leaves = top["leaves"]
    assert leaves.is_group() and leaves.blend_mode.name == "SCREEN"
    assert [(x.name, x.blend_mode.name) for x in leaves] == [("leaf", "COLOR"),
                                                             ("glow", "LINEAR_DODGE")]  # fmt: skip
    _, rendered = render_file(doc_path)
    merged = np.asarray(psd.topil()).astype(int)
    assert merged.shape == (64, 96, 3)
    assert np.abs(merged - to_uint8(flatten_on_white(rendered))).max() <= 1


@pytest.mark.parametrize("suffix", [".ora", ".psd"])
def test_export_import_round_trip(workdir, suffix):
    doc_path = workdir / "fairy.pixmock.json"
    export_file(doc_path, workdir / f"fairy{suffix}")
    back_path = workdir / "back.pixmock.json"
    back, warnings = import_file(workdir / f"fairy{suffix}", back_path)
    assert warnings == ()
    # The off-canvas layer comes back as one clear pixel: the stack is unchanged.
    assert [x.name for x in back.walk()] == ["sky", "arm", "leaf", "glow", "hidden", "offcanvas"]
    arm = back.find("arm")
    assert (arm.transform.x, arm.transform.y, arm.blend.value) == (10, 5, "multiply")
    assert arm.opacity == pytest.approx(0.8, abs=1 / 255) and not back.find("hidden").visible
    assert bool(arm.mask) == (suffix == ".psd")  # ORA bakes the mask into alpha
    _, before = render_file(doc_path)
    _, after = render_file(back_path)
    assert np.abs(before.astype(int) - after).max() <= 1
    layered = read_layered(workdir / f"fairy{suffix}")
    assert (layered.width, layered.height) == (96, 64)


@pytest.mark.parametrize("mode", BLENDS)
def test_psd_tools_compositor_agrees_with_the_render(tmp_path, mode):
    """psd-tools' own compositor is an independent oracle for every blend mode."""
    rng = np.random.default_rng(BLENDS.index(mode))
    a = rng.integers(0, 256, (12, 12, 4), dtype=np.uint8)
    a[..., 3] = 255
    b = rng.integers(0, 256, (12, 12, 4), dtype=np.uint8)  # translucent, varied alpha
    Image.fromarray(a).save(tmp_path / "a.png")
    Image.fromarray(b).save(tmp_path / "b.png")
    doc = {"width": 12, "height": 12, "layers": [
        {"name": "a", "source": {"path": "a.png"}},
        {"name": "b", "source": {"path": "b.png"}, "blend": mode, "opacity": 0.8}]}  # fmt: skip
    (tmp_path / "d.pixmock.json").write_text(json.dumps(doc))
    export_file(tmp_path / "d.pixmock.json", tmp_path / "d.psd")
    theirs = psd_tools.PSDImage.open(tmp_path / "d.psd").composite(force=True).convert("RGBA")
    _, ours = render_file(tmp_path / "d.pixmock.json")
    assert np.abs(np.asarray(theirs).astype(int) - ours).max() <= 1


def test_bad_files(tmp_path, workdir):
    with pytest.raises(MockupError, match=r"speak .ora and .psd, got '.tif'"):
        export_file(workdir / "fairy.pixmock.json", tmp_path / "x.tif")
    (tmp_path / "fake.ora").write_bytes(b"not a zip")
    with pytest.raises(MockupError, match="not an OpenRaster file"):
        read_layered(tmp_path / "fake.ora")
    with zipfile.ZipFile(tmp_path / "wrong.ora", "w") as z:
        z.writestr("stack.xml", "<image/>")
    with pytest.raises(MockupError, match="no image/openraster mimetype"):
        read_layered(tmp_path / "wrong.ora")
    (tmp_path / "fake.psd").write_bytes(b"8BPS garbage")
    with pytest.raises(MockupError, match="is not a PSD pixref can read"):
        read_layered(tmp_path / "fake.psd")
