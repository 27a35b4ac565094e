import numpy as np
import pytest

from pixref.pixel import PaletteError, PaletteMethod, extract_palette


def test_few_colours_come_back_exactly(rng):
    colours = np.array([[200, 10, 10], [10, 200, 10], [10, 10, 200]], np.uint8)
    image = colours[rng.integers(0, 3, size=(20, 20))]
    for method in PaletteMethod:
        got = extract_palette(image, 8, method=method).colors
        assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, colours.tolist()))


def test_kmeans_finds_the_cluster_centres_and_is_deterministic(rng):
    centres = np.array([[30, 30, 30], [220, 220, 220], [200, 40, 40]], np.float64)
    labels = rng.integers(0, 3, size=(40, 40))
    noisy = np.clip(centres[labels] + rng.normal(0, 3, (40, 40, 3)), 0, 255).astype(np.uint8)
    first = extract_palette(noisy, 3).colors
    assert np.array_equal(first, extract_palette(noisy, 3).colors)
    for centre in centres:
        assert np.abs(first.astype(int) - centre).sum(axis=1).min() <= 6


def test_palette_is_ordered_dark_to_light(rng):
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    colors = extract_palette(image, 8).colors.astype(float)
    luma = colors @ [0.299, 0.587, 0.114]
    assert luma[0] < luma[-1]


def test_transparent_pixels_take_no_palette_slot():
    image = np.zeros((4, 4, 4), np.uint8)
    image[:2] = [255, 0, 0, 255]
    image[2:] = [0, 255, 0, 0]  # transparent green must not appear
    assert extract_palette(image, 4).colors.tolist() == [[255, 0, 0]]


def test_bad_inputs():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(PaletteError, match="`colors`.*got 0"):
        extract_palette(image, 0)
    with pytest.raises(PaletteError, match="transparent"):
        extract_palette(np.zeros((4, 4, 4), np.uint8), 4)
    with pytest.raises(PaletteError, match="method"):
        extract_palette(image, 4, method="octree")
