"""Helpers for the server tests: PNG bytes in and out, and the one-line error shape."""

import io

import numpy as np
from PIL import Image


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W, 3|4) uint8 array as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def read_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_one_line_error(response, status: int, *words: str) -> dict:
    """A 4xx answer with ``{"error", "detail"}``, the detail one line holding ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert "\n" not in body["detail"] and body["detail"], body
    for word in words:
        assert word in body["detail"], body
    return body
