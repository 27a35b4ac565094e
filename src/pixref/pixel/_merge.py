"""Merging near-identical colours (leftovers of blur, JPEG and noise)."""

from __future__ import annotations

import numpy as np

from pixref.pixel._color import rgb8_to_oklab
from pixref.pixel._quantize_common import unique_colors


def merge_similar_colors(image: np.ndarray, *, threshold: float = 0.03) -> np.ndarray:
    """Replace colours within ``threshold`` (OKLab distance) of a more frequent colour by it.

    Leader clustering in order of frequency: the most common colour leads, and
    each next colour joins the first leader within ``threshold`` or becomes one.
    Hand-written because the rule "frequent colours absorb rare look-alikes" is
    what a pixel artist expects of a cleaned sprite and no scikit-learn clusterer
    does it. 0.03 is about ΔE 3 (ai2pixelart merges within ΔE 3).

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
    threshold : float
        OKLab distance, 0 disables merging.

    Returns
    -------
    (H, W, 3|4) uint8 array, alpha untouched.
    """
    if threshold <= 0:
        return image
    pixels = image[..., :3].reshape(-1, 3)
    colors, counts = unique_colors(pixels)
    order = np.argsort(-counts, kind="stable")
    colors = colors[order]
    lab = rgb8_to_oklab(colors)
    leader_of = _leaders(lab, threshold)
    keys = (colors[:, 0].astype(np.int32) << 16) | (colors[:, 1].astype(np.int32) << 8)
    keys |= colors[:, 2]
    sorter = np.argsort(keys)
    pix_keys = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8)
    pix_keys |= pixels[:, 2]
    index = sorter[np.searchsorted(keys, pix_keys, sorter=sorter)]
    out = image.copy()
    out[..., :3] = colors[leader_of[index]].reshape(image.shape[:2] + (3,))
    return out


def _leaders(lab: np.ndarray, threshold: float, *, block: int = 256) -> np.ndarray:
    """For each colour (most frequent first), the index of the colour it merges into.

    Blocks of colours are first matched against the existing leaders in one
    vectorised step; only the few left over are walked one by one (each may
    become a leader for the next ones).
    """
    leader_of = np.arange(len(lab))
    leaders: list[int] = []
    limit = threshold**2
    for start in range(0, len(lab), block):
        pending = np.arange(start, min(start + block, len(lab)))
        if leaders:
            d = ((lab[pending, None, :] - lab[leaders][None]) ** 2).sum(axis=2)
            nearest = d.argmin(axis=1)
            close = d[np.arange(len(pending)), nearest] <= limit
            leader_of[pending[close]] = np.asarray(leaders)[nearest[close]]
            pending = pending[~close]
        for i in pending:
            if leaders:
                d = ((lab[leaders] - lab[i]) ** 2).sum(axis=1)
                j = int(d.argmin())
                if d[j] <= limit:
                    leader_of[i] = leaders[j]
                    continue
            leaders.append(int(i))
    return leader_of
