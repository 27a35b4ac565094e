"""Recording hooks for the generation stages (engine CLI and server, sweeps, mockup, pixel)."""

from __future__ import annotations

import os
from pathlib import Path

from pixref.library._entry import Entry, Kind, Relation
from pixref.library._errors import LibraryError
from pixref.library._files import sha256_bytes
from pixref.library._library import Library, parse_id
from pixref.params import GenerationParams


def find_image(lib: Library, image: str | os.PathLike[str] | bytes) -> int | None:
    """The id of the entry holding exactly these image bytes (or this file's), or None."""
    if isinstance(image, bytes):
        return lib.find_hash(sha256_bytes(image))
    try:
        data = Path(image).read_bytes()
    except OSError:
        return None
    return lib.find_hash(sha256_bytes(data))


def record_generation(
    lib: Library,
    image: str | os.PathLike[str] | bytes,
    *,
    params: GenerationParams,
    infotext: str | None = None,
    kind: str = Kind.generation,
    init_image: str | os.PathLike[str] | bytes | None = None,
    inpaint: bool = False,
    variation_of: int | str | None = None,
    source_path: str | None = None,
) -> Entry:
    """Log one generated image with its lineage.

    ``init_image``: the img2img/inpaint input (a file or its bytes); when its
    bytes are already in the library the new entry links to it (``img2img``, or ``inpaint`` when
    ``inpaint``). ``variation_of``: the library id the generation started from
    (``--from ID``); linked as ``variation_of`` when ``params`` has a variation seed.
    """
    parents: dict[int, str] = {}
    if init_image is not None:
        parent = find_image(lib, init_image)
        if parent is not None:
            parents[parent] = Relation.inpaint if inpaint else Relation.img2img
    if variation_of is not None and params.variation_seed is not None:
        try:
            parents.setdefault(parse_id(variation_of), Relation.variation_of)
        except LibraryError:
            pass  # --from was a file or an infotext, not a library id
    return lib.add(
        image,
        params=params,
        infotext=infotext,
        kind=kind,
        parents=parents,
        source_path=source_path,
    )


def record_derived(
    lib: Library,
    image: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | bytes,
    kind: str,
) -> Entry:
    """Log a pixelized or snapped image, linked to its source when the source is logged.

    ``source`` is the source file or its bytes (an upload). ``kind`` is `Kind.pixelized`
    or `Kind.snapped`; the link is ``pixelized_from`` or ``snapped_from``.
    """
    relation = Relation.snapped_from if kind == Kind.snapped else Relation.pixelized_from
    parent = find_image(lib, source)
    parents = {parent: relation} if parent is not None else {}
    return lib.add(image, kind=kind, parents=parents, source_path=str(image))
