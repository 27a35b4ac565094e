"""A small library with known parameters, in the test's data home, for the API tests."""

import io

from PIL import Image

from pixref.infotext import format_infotext
from pixref.library import Kind, Relation, open_library

from ..library.conftest import params, png


def jpeg(color=(10, 200, 10), size=(24, 16)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


def sprite() -> bytes:
    """A 16x16 checkerboard of pure red and blue: nearest-neighbour keeps only those."""
    im = Image.new("RGB", (16, 16))
    im.putdata([(255, 0, 0) if (x + y) % 2 else (0, 0, 255) for y in range(16) for x in range(16)])
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def generation(color, **kw) -> tuple[bytes, object]:
    """PNG bytes carrying A1111's infotext of ``params(**kw)``, and those params."""
    p = params(**kw)
    return png(color=color, size=(32, 32), text={"parameters": format_infotext(p)}), p


def build_library(path=None) -> dict[str, int]:
    """Seven entries (ids 1-7) and one sweep; returns ``{"sweep": id}``.

    1 kitty, Euler a, cfg 7, seed 100, tag fairy, 5 stars, kept         2026-11-01
    2 kitty, cfg 8, img2img of 1                                          2026-11-02
    3 fairy dragonfly <lora:pixelart>, DPM++ 2M Karras, 30 steps, 768x512,
      imported from A1111                                                 2026-11-03
    4 pixelized from 1, no parameters, 16x16 sprite                       2026-11-04
    5, 6 sweep cells "an owl", cfg 5 and 9                                2026-11-05/06
    7 a JPEG imported without parameters, lake.jpg                      2026-11-07
    """
    with open_library(path) as lib:
        data, p = generation((1, 1, 1), seed=100)
        a = lib.add(
            data, params=p, tags=["fairy"], rating=5, keep=True, created_utc="2026-11-01T10:00:00Z"
        )
        data, p = generation((2, 2, 2), seed=100, cfg_scale=8)
        lib.add(
            data,
            params=p,
            parents={a.id: Relation.img2img},
            created_utc="2026-11-02T10:00:00Z",
        )
        data, p = generation(
            (3, 3, 3),
            prompt="tiny fairy riding a dragonfly <lora:pixelart:0.8>",
            sampler="DPM++ 2M",
            schedule_type="Karras",
            steps=30,
            seed=3,
            width=768,
        )
        lib.add(
            data,
            params=p,
            kind=Kind.import_,
            generator="A1111",
            filename="00003-3.png",
            created_utc="2026-11-03T10:00:00Z",
        )
        lib.add(
            sprite(),
            kind=Kind.pixelized,
            parents={a.id: Relation.pixelized_from},
            filename="sprite-16.png",
            created_utc="2026-11-04T10:00:00Z",
        )
        sweep = lib.new_sweep("owl cfg", [{"axis": "CFG scale", "values": [5, 9]}])
        for i, cfg in enumerate((5, 9)):
            data, p = generation((5 + i, 5, 5), prompt="an owl", cfg_scale=cfg, seed=7)
            lib.add(
                data,
                params=p,
                kind=Kind.sweep_cell,
                sweep=(sweep, {"CFG scale": cfg}),
                created_utc=f"2026-11-0{5 + i}T10:00:00Z",
            )
        lib.add(
            jpeg(),
            kind=Kind.import_,
            filename="lake.jpg",
            generator=None,
            created_utc="2026-11-07T10:00:00Z",
        )
    return {"sweep": sweep}
