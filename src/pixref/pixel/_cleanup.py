"""Clean-up of palettized images: isolated single pixels."""

from __future__ import annotations

import numpy as np

_NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def remove_isolated_pixels(labels: np.ndarray) -> np.ndarray:
    """Replace each pixel none of whose 8 neighbours shares its label.

    The replacement is the label most common among its neighbours (ties: the
    first in row order). Diagonal lines are not isolated and stay.

    Parameters
    ----------
    labels : (H, W) int array
        Palette indices (any integer labels, e.g. −1 for transparent).

    Returns
    -------
    (H, W) int array, a new array.

    Examples
    --------
    >>> remove_isolated_pixels(np.array([[1, 1, 1], [1, 2, 1], [1, 1, 1]])).tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """
    rows, cols = labels.shape
    pad = np.pad(labels.astype(np.int64), 1, constant_values=np.iinfo(np.int64).min)
    neighbours = np.stack(
        [pad[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols] for dy, dx in _NEIGHBOURS]
    )
    valid = neighbours != np.iinfo(np.int64).min
    isolated = ~(neighbours == labels[None]).any(axis=0) & (valid.sum(axis=0) >= 3)
    if not isolated.any():
        return labels.copy()
    # For each neighbour, how many of the 8 neighbours share its label: the mode wins.
    votes = np.stack([((neighbours == n[None]) & valid).sum(axis=0) for n in neighbours])
    votes[~valid] = -1
    mode = np.take_along_axis(neighbours, votes.argmax(axis=0)[None], axis=0)[0]
    out = labels.copy()
    out[isolated] = mode[isolated]
    return out
