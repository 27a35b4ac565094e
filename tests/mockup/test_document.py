"""The .pixmock.json document: round trip, validation messages, missing sources."""

import json

import numpy as np
import pytest
from PIL import Image

from pixref.library import open_library
from pixref.mockup import MockupError, document_from_dict, render
from pixref.mockup.io import (
    dumps_document,
    load_sources,
    read_document,
    render_file,
    write_document,
)


def test_round_trip_is_exact_and_readable(workdir):
    doc = read_document(workdir / "fairy.pixmock.json")
    text = dumps_document(doc)
    assert '"points": [[0, 0], [50, 40]]' in text  # number lists stay on one line
    assert '"version": 1' in text and '"opacity": 1' not in text  # defaults omitted
    assert document_from_dict(json.loads(text)) == doc
    write_document(doc, workdir / "copy.pixmock.json")
    assert read_document(workdir / "copy.pixmock.json") == doc
    assert [layer.name for layer in doc.walk()] == ["sky", "arm", "leaf", "glow", "hidden",
                                                    "offcanvas"]  # fmt: skip


def base(**layer):
    return {"width": 8, "height": 8, "layers": [{"name": "a", "source": {"color": "#fff"}} | layer]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base(opacity=1.5), r"layer 'a': `opacity` must be between 0 and 1, got 1.5"),
        (base(blend="glow"), r"layer 'a': `blend`: unknown blend mode 'glow'"),
        (base(wobble=1), r"layer 'a': unknown key\(s\) 'wobble'"),
        (base(scale=0), r"layer 'a': `scale` must be above 0"),
        (base(x="3"), r"layer 'a': `x` must be a number, got '3'"),
        (base(visible=1), r"layer 'a': `visible` must be true or false"),
        (base(source={"path": "a.png", "color": "#fff"}), r"layer 'a' source: give exactly one"),
        (base(source={"color": "red"}), r"layer 'a' source: colour must be #rrggbb"),
        (base(source={"path": "a.png", "size": [2, 2]}), r"`size` applies to colour sources"),
        (base(perspective=[[0, 0], [1, 0]]), r"layer 'a': `perspective` needs exactly 4"),
        (base(mask=[{"shape": "blob"}]), r"layer 'a' mask: `shape` must be one of rect"),
        (base(mask=[{"shape": "rect"}]), r"layer 'a' mask: a rect mask needs `points`"),
        (base(adjust={"hue": 400}), r"layer 'a' adjust: `hue` must be between -180 and 180"),
        (base(adjust={"levels": {"in_low": 0.8, "in_high": 0.2}}), r"`in_high` must be above"),
        ({"width": 8, "height": 8, "layers": [{"source": {"color": "#fff"}}]},
         r"layer 1: every layer needs a non-empty `name`"),
        ({"width": 8, "height": 8, "layers": [{"name": "a"}]}, r"layer 'a': missing `source`"),
        ({"width": 8, "height": 8, "version": 9}, r"version 9 is newer"),
        ({"width": 8}, r"`width` and `height`"),
        ({"width": 8, "height": 8, "format": "other"}, r"is this a pixref mockup"),
        ({"width": 8, "height": 8, "layers": [{"name": "a", "source": {"color": "#fff"}},
                                              {"name": "a", "source": {"color": "#000"}}]},
         r"layer 'a': layer names must be unique"),
    ],
)  # fmt: skip
def test_validation_errors_are_one_line_and_name_the_layer(data, message):
    with pytest.raises(MockupError, match=message) as info:
        document_from_dict(data)
    assert "\n" not in str(info.value)


def test_bad_json_says_where(tmp_path):
    path = tmp_path / "x.pixmock.json"
    path.write_text('{"width": 8,\n "height": }')
    with pytest.raises(MockupError, match=r"not valid JSON \(line 2\)"):
        read_document(path)
    with pytest.raises(MockupError, match="does not exist"):
        read_document(tmp_path / "nope.pixmock.json")


def test_deleted_source_names_the_layer_and_the_file(workdir):
    (workdir / "b.png").rename(workdir / "b-moved.png")
    with pytest.raises(MockupError, match=r"layer 'leaf': source file `b.png` is missing"):
        render_file(workdir / "fairy.pixmock.json")
    (workdir / "b-moved.png").rename(workdir / "b.png")
    (workdir / "m.png").unlink()
    with pytest.raises(MockupError, match=r"layer 'arm': mask image `m.png` is missing"):
        render_file(workdir / "fairy.pixmock.json")


def test_library_sources(tmp_path, workdir):
    with open_library(tmp_path / "lib.db") as lib:
        entry = lib.add(workdir / "b.png")
        doc = document_from_dict(
            {"width": 30, "height": 30, "layers": [
                {"name": "gen", "source": {"library": entry.id}},
                {"name": "gone", "source": {"library": 999}, "visible": False}]}
        )  # fmt: skip
        with pytest.raises(MockupError, match=r"layer 'gone': library entry #999 is unavailable"):
            load_sources(doc, base_dir=tmp_path, library=lib)
        doc = doc.replace_layer("gone", None)
        sources = load_sources(doc, base_dir=tmp_path, library=lib)
    out = render(doc, sources)
    np.testing.assert_array_equal(out, np.asarray(Image.open(workdir / "b.png")))
