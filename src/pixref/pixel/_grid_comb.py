"""Pixel-grid detection: the comb resultant of edge profiles (pitch and phase per axis).

The edges of upscaled pixel art sit on a lattice ``offset + k * pitch``. For a
candidate pitch p, the resultant R(p) = |Σ g(x) e^{-2πi x/p}| / Σ g(x) of the edge
profile g measures how well edges line up with that lattice (1 = all on it), and
its angle gives the phase. This is the reference detector of
``shared/reference/pixel-art.md`` §4.4, made fast by reading R at every frequency
at once from a zero-padded FFT and then refining the winner by a direct sum.
Sub-multiples of the true pitch (p/2, p/3) line up as well as p itself, so the
longest integer multiple of the best pitch that scores nearly as well (and whose
divisors do too) is taken as the fundamental.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: A pitch is trusted when its mean resultant reaches this (0–1). Measured: native pixel
#: art and photos score below 0.2, upscaled art 0.4–0.9 even after blur and JPEG.
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class AxisGrid:
    """The grid along one array axis.

    Attributes
    ----------
    pitch : float
        Cell size in source pixels (non-integer allowed).
    offset : float
        Position of the first cell boundary, 0 ≤ offset < pitch, in pixels from the
        image's first row or column (a cropped first cell gives offset > 0).
    """

    pitch: float
    offset: float

    def edges(self, length: int, *, min_partial: float = 0.15) -> np.ndarray:
        """Cell boundaries clipped to ``[0, length]``, keeping partial edge cells.

        A cell cut by the image border is kept when its visible part is at least
        ``min_partial`` of a cell and at least 0.75 pixel; thinner slivers are
        dropped into their neighbour.
        """
        first = self.offset - self.pitch if self.offset > 0 else self.offset
        count = math.ceil((length - first) / self.pitch)
        edges = np.clip(first + self.pitch * np.arange(count + 1), 0, length)
        edges = np.unique(edges)
        keep = max(0.75, min_partial * self.pitch)
        if len(edges) > 2 and edges[1] - edges[0] < keep:
            edges = np.delete(edges, 1)
        if len(edges) > 2 and edges[-1] - edges[-2] < keep:
            edges = np.delete(edges, -2)
        return edges


@dataclass(frozen=True)
class Grid:
    """A detected (or given) pixel grid.

    Attributes
    ----------
    rows, cols : AxisGrid
        The grid along array axis 0 (rows) and axis 1 (columns).
    confidence : float
        0–1; below `MIN_CONFIDENCE` the image has no reliable grid.
    """

    rows: AxisGrid
    cols: AxisGrid
    confidence: float

    def shape(self, image_shape: tuple[int, ...]) -> tuple[int, int]:
        """Output (rows, cols) in art pixels for an image of ``image_shape``."""
        return (
            len(self.rows.edges(image_shape[0])) - 1,
            len(self.cols.edges(image_shape[1])) - 1,
        )


def _channels(image: np.ndarray):
    """The colour channels (alpha-premultiplied for RGBA) and alpha, one at a time."""
    if image.shape[2] == 3:
        yield from (image[..., c] for c in range(3))
        return
    alpha = image[..., 3].astype(np.uint16)
    for c in range(3):
        yield ((image[..., c] * alpha + 127) // 255).astype(np.uint8)
    yield image[..., 3]


def edge_profile(image: np.ndarray, axis: int) -> np.ndarray:
    """Summed colour-gradient magnitude between neighbours along ``axis`` (0–255 units).

    Entry x is the edge between pixel x and x + 1 (boundary position x + 1).
    Per-pixel gradients below twice the median are dropped as noise (JPEG ringing,
    sensor noise), the rest soft-thresholded. Works channel by channel in int16 so
    that it holds about two copies of the input at most.
    """
    diff = None
    for channel in _channels(image):
        step = np.abs(np.diff(channel.astype(np.int16), axis=axis))
        diff = step if diff is None else diff + step
    floor = 2.0 * float(np.median(diff[::3, ::3])) + 5.0  # a ninth of the pixels is plenty
    strong = np.maximum(diff.astype(np.float32) - np.float32(floor), 0)
    return strong.sum(axis=1 - axis, dtype=np.float64)


def resultant(profile: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Complex resultant Σ g(x) e^{-2πi f (x+1)} / Σ g at each frequency (direct sum)."""
    positions = np.arange(1, len(profile) + 1)
    total = profile.sum() or 1.0
    return np.exp(-2j * np.pi * np.outer(freqs, positions)) @ profile / total


def _spectrum(profile: np.ndarray, n_fft: int) -> np.ndarray:
    """|resultant| on the FFT frequency grid k / n_fft, with the mean removed and a Hann window.

    Removing the mean and windowing keeps the zero-frequency lobe from leaking
    into long pitches.
    """
    total = profile.sum() or 1.0
    centred = (profile - profile.mean()) * np.hanning(len(profile))
    return np.abs(np.fft.rfft(centred, n=n_fft)) / total


def detect_grid(
    image: np.ndarray,
    *,
    min_pitch: float = 2.0,
    max_pitch: float | None = None,
    tolerance: float = 0.85,
) -> Grid:
    """Detect the pitch and phase of a pixel grid on each axis.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        Upscaled pixel art, possibly blurred, JPEG-compressed, noisy or cropped.
    min_pitch, max_pitch : float
        Pitch search range in pixels; ``max_pitch`` defaults to a quarter of the
        shorter side (at least 4 cells), capped at 64.
    tolerance : float
        A multiple of the best pitch wins when it (and its divisors) score at least
        ``tolerance`` × the best score.

    Returns
    -------
    Grid
        Pitch and offset per axis and a confidence (mean resultant, 0–1). Cells are
        assumed near-square: both axes pick the pitch jointly, then each axis is
        refined within ±10 %.
    """
    rows, cols = image.shape[:2]
    if max_pitch is None:
        max_pitch = min(64.0, min(rows, cols) / 4)
    max_pitch = max(max_pitch, min_pitch + 1)
    profiles = [edge_profile(image, 0), edge_profile(image, 1)]
    n_fft = 1 << math.ceil(math.log2(8 * max(rows, cols)))
    freqs = np.fft.rfftfreq(n_fft)
    score = _spectrum(profiles[0], n_fft) + _spectrum(profiles[1], n_fft)
    in_range = (freqs >= 1 / max_pitch) & (freqs <= 1 / min_pitch)
    peaks = _local_maxima(score) & in_range
    if not peaks.any():
        return Grid(AxisGrid(float(rows), 0.0), AxisGrid(float(cols), 0.0), 0.0)
    best = int(np.flatnonzero(peaks)[score[peaks].argmax()])
    freq = _fundamental(score, freqs, best, tolerance=tolerance, min_freq=1 / max_pitch)
    axes = [_refine_axis(profile, freq, 1 / n_fft) for profile in profiles]
    confidence = float(np.mean([strength for _, strength in axes]))
    return Grid(axes[0][0], axes[1][0], confidence)


def _fundamental(
    score: np.ndarray, freqs: np.ndarray, best: int, *, tolerance: float, min_freq: float
) -> float:
    """The frequency of the longest pitch m × p_best that explains the best peak.

    The best peak may be a sub-multiple p/m of the true pitch p, which lines up
    with the same edges. A multiple m is accepted when the score at f_best / m,
    and at f_best / d for every divisor d of m, reaches ``tolerance`` × the best
    score; a pitch that merely matches a larger repeating pattern (tiles, 4.5 ×
    the pitch) fails at some divisor, because there the edges cancel.
    """
    f_best, s_best = freqs[best], score[best]
    step = freqs[1]

    def near(freq: float) -> float:
        i = int(round(freq / step))
        return float(score[max(i - 2, 0) : i + 3].max())

    passed = {1: True}
    chosen = 1
    for m in range(2, int(f_best / min_freq) + 1):
        divisors_ok = all(passed[d] for d in range(2, m) if m % d == 0)
        passed[m] = divisors_ok and near(f_best / m) >= tolerance * s_best
        if passed[m]:
            chosen = m
    return float(f_best / chosen)


def _local_maxima(values: np.ndarray) -> np.ndarray:
    peak = np.zeros(len(values), dtype=bool)
    peak[1:-1] = (values[1:-1] > values[:-2]) & (values[1:-1] >= values[2:])
    # The last bin is the Nyquist frequency, pitch 2: a peak if it tops its neighbour.
    peak[-1] = values[-1] > values[-2]
    return peak


def _refine_axis(profile: np.ndarray, freq: float, step: float) -> tuple[AxisGrid, float]:
    """Best pitch within ±10 % of 1/freq for one axis, its offset and resultant."""
    coarse = np.linspace(freq / 1.1, freq / 0.9, 161)
    best = coarse[np.abs(resultant(profile, coarse)).argmax()]
    fine = np.linspace(best - 2 * step, best + 2 * step, 81)
    values = resultant(profile, fine)
    k = int(np.abs(values).argmax())
    pitch = 1.0 / fine[k]
    offset = (-np.angle(values[k]) / (2 * np.pi) * pitch) % pitch
    if offset > pitch - 1e-3:
        offset = 0.0
    return AxisGrid(float(pitch), float(offset)), float(np.abs(values[k]))
