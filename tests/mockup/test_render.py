"""Rendering a document: hand-computed pixels, visibility, groups, determinism."""

import numpy as np

from pixref.mockup import document_from_dict, render
from pixref.mockup.io import render_file


def doc(*layers, **kw):
    return document_from_dict({"width": 4, "height": 2, "layers": list(layers), **kw})


def color(name, hex_, size=None, **kw):
    source = {"color": hex_} | ({"size": size} if size else {})
    return {"name": name, "source": source, **kw}


def test_hand_computed_stack():
    # Grey #808080 (0.50196), then red at 50 % opacity, multiply: C = Cb·(1 − .5) + .5·Cb·Cs.
    d = doc(color("g", "#808080"), color("r", "#ff0000", opacity=0.5, blend="multiply"))
    out = render(d, {})
    g = 128 / 255
    expected = np.round(np.array([g, g * 0.5, g * 0.5]) * 255)
    np.testing.assert_array_equal(out[0, 0, :3], expected)
    assert out[0, 0, 3] == 255


def test_background_hidden_layers_and_partial_layers():
    d = doc(
        color("half", "#00ff00", size=[2, 2]),
        color("hidden", "#ff0000", visible=False),
        background="#0000ff",
    )
    out = render(d, {})
    assert out[0, 0].tolist() == [0, 255, 0, 255]
    assert out[0, 3].tolist() == [0, 0, 255, 255]
    empty = render(doc(color("x", "#ff000080", size=[1, 1])), {})
    assert empty[0, 0].tolist() == [255, 0, 0, 128] and empty[1, 3].tolist() == [0, 0, 0, 0]


def test_groups_are_isolated():
    # Inside the group multiply has nothing beneath it, so the group is plain red; a
    # non-isolated multiply would darken the white background to red too, so test with
    # a grey bottom layer where the two differ.
    d = doc(
        color("grey", "#808080"),
        {"group": "g", "layers": [color("r", "#ff0000", blend="multiply")]},
    )
    assert render(d, {})[0, 0].tolist() == [255, 0, 0, 255]
    flat = doc(color("grey", "#808080"), color("r", "#ff0000", blend="multiply"))
    assert render(flat, {})[0, 0].tolist() == [128, 0, 0, 255]
    hidden = doc(color("grey", "#808080"), {"group": "g", "visible": False,
                                            "layers": [color("r", "#ff0000")]})  # fmt: skip
    assert render(hidden, {})[0, 0].tolist() == [128, 128, 128, 255]


def test_render_is_deterministic(workdir):
    _, a = render_file(workdir / "fairy.pixmock.json")
    _, b = render_file(workdir / "fairy.pixmock.json")
    np.testing.assert_array_equal(a, b)
    assert a.shape == (64, 96, 4) and a.dtype == np.uint8
