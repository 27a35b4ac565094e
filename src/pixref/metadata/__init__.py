"""Image metadata: generation parameters read from and written into image files.

Reads A1111 and its forks (PNG ``parameters``, JPEG/WebP EXIF, stealth alpha
bits), ComfyUI graphs, InvokeAI, NovelAI, Fooocus and SwarmUI; writes PNGs with
the A1111 ``parameters`` chunk. Torch-free.
"""

from pixref.metadata._containers import MAX_TEXT_BYTES, MetadataError, decode_user_comment
from pixref.metadata._read import ImageMetadata, read_metadata
from pixref.metadata._stealth import read_stealth
from pixref.metadata._write import VERSION_TAG, encode_png, save_png

__all__ = [
    "MAX_TEXT_BYTES",
    "VERSION_TAG",
    "ImageMetadata",
    "MetadataError",
    "decode_user_comment",
    "read_metadata",
    "read_stealth",
    "encode_png",
    "save_png",
]
