"""What an actor sends back, read on the driver (no Ray needed)."""

from __future__ import annotations


def test_a_reply_s_images_decode_from_its_png_files_when_read():
    import numpy as np
    from PIL import Image

    from pixref.dist._actor import Reply
    from pixref.dist._backend import _result
    from pixref.metadata import encode_png

    pixels = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    files = (encode_png(pixels, infotext="a"), encode_png(255 - pixels, infotext="b"))
    result = _result(Reply(files, (None, None), ("a", "b"), (), False, 0.1))
    assert len(result.images) == 2 and len(result.images[1:]) == 1
    assert np.array_equal(np.asarray(result.images[0]), pixels)
    assert np.array_equal(np.asarray(result.images[-1]), 255 - pixels)
    assert all(isinstance(image, Image.Image) for image in result.images)
