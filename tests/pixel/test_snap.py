import numpy as np
import pytest
from PIL import Image
from pixel_helpers import degrade, load_sprite, upscale_nearest

from pixref.pixel import (
    PixelError,
    detect_grid,
    grid_from_pixel_size,
    merge_similar_colors,
    snap_to_grid,
)

SPRITES = ["crawl_nellie.png", "grafxkid_lilwiz_running_32x32.png", "dawnlike_commissions_mage.png"]


def _opaque_equal(a: np.ndarray, b: np.ndarray) -> bool:
    alpha_a, alpha_b = a[..., 3] >= 128, b[..., 3] >= 128
    return bool(np.array_equal(alpha_a, alpha_b) and np.array_equal(a[alpha_b, :3], b[alpha_b, :3]))


@pytest.mark.parametrize("name", SPRITES)
@pytest.mark.parametrize("scale", [2, 3, 6, 8, 11])
def test_snapping_a_nearest_upscaled_sprite_returns_it_exactly(name, scale):
    sprite = load_sprite(name)
    result = snap_to_grid(upscale_nearest(sprite, scale))
    assert result.art.shape == sprite.shape
    assert _opaque_equal(result.art, sprite)
    assert result.grid.rows.pitch == pytest.approx(scale, abs=0.02)
    assert result.noise == 0 and result.merge_threshold == 0


@pytest.mark.parametrize(("scale", "crop"), [(7.5, (3, 2)), (9.4, (5, 0)), (6.3, (1, 4))])
def test_non_integer_scale_with_a_cropped_first_cell(scale, crop):
    sprite = load_sprite("grafxkid_twiggy_idle_32x32.png")[..., :3]
    big = upscale_nearest(sprite, scale)[crop[0] :, crop[1] :]
    result = snap_to_grid(big)
    assert result.art.shape == sprite.shape
    assert (result.art == sprite).all(axis=2).mean() >= 0.99
    assert result.grid.rows.offset == pytest.approx((-crop[0]) % scale, abs=0.6)


def test_blurred_jpeg_noisy_copy_recovers_size_and_almost_all_pixels():
    sprite = load_sprite("dawnlike_commissions_mage.png")
    flat = np.where(sprite[..., 3:] >= 128, sprite[..., :3], 255).astype(np.uint8)
    big = degrade(upscale_nearest(flat, 8.6)[4:, 2:], blur=0.9, jpeg=72, noise=3)
    result = snap_to_grid(big)
    assert result.art.shape[:2] == flat.shape[:2]
    palette = np.unique(flat.reshape(-1, 3), axis=0).astype(int)
    nearest = np.abs(result.art[..., None, :].astype(int) - palette).sum(-1).argmin(-1)
    assert (palette[nearest] == flat).all(axis=2).mean() >= 0.97
    assert 0 < result.merge_threshold <= 0.03


def test_detect_grid_reports_phase_of_a_shifted_grid():
    sprite = load_sprite("crawl_wood_golem.png")[..., :3]
    grid = detect_grid(upscale_nearest(sprite, 10)[3:, 7:])
    assert grid.cols.pitch == pytest.approx(10, abs=0.05)
    assert grid.cols.offset == pytest.approx(3, abs=0.3)
    assert grid.rows.offset == pytest.approx(7, abs=0.3)
    assert grid.confidence > 0.5


def test_native_resolution_art_and_smooth_noise_have_no_grid(rng):
    native = load_sprite("spd_sprites_rat.png")[..., :3]
    with pytest.raises(PixelError, match="no pixel grid"):
        snap_to_grid(native)
    noise = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    assert detect_grid(noise).confidence < 0.3


def test_pixel_size_override_skips_detection():
    sprite = load_sprite("crawl_spriggan.png")
    big = upscale_nearest(sprite, 4)
    result = snap_to_grid(big, grid_from_pixel_size(4))
    assert _opaque_equal(result.art, sprite)
    with pytest.raises(PixelError, match="pixel size"):
        grid_from_pixel_size(0)


def test_snap_refuses_tiny_images():
    with pytest.raises(PixelError, match="1×1"):
        snap_to_grid(np.zeros((1, 1, 3), np.uint8))


def test_merge_joins_near_duplicates_into_the_frequent_colour():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:] = [100, 100, 100]
    image[0, 0] = [101, 100, 99]  # noise variant
    image[3, 3] = [200, 30, 30]  # a real, distinct colour
    merged = merge_similar_colors(image, threshold=0.02)
    assert merged[0, 0].tolist() == [100, 100, 100]
    assert merged[3, 3].tolist() == [200, 30, 30]
    assert merge_similar_colors(image, threshold=0) is image


def test_grid_preview_draws_lines_on_cell_boundaries():
    from pixref.pixel import draw_grid

    sprite = load_sprite("crawl_wood_golem.png")
    big = upscale_nearest(sprite, 5)
    drawn = draw_grid(big, snap_to_grid(big).grid)
    assert (drawn[:, 5] == [255, 0, 255]).all()
    assert not (drawn[:, 7] == [255, 0, 255]).all()
    Image.fromarray(drawn)  # a valid RGB image


def test_art_with_strong_edges_on_even_pixels_is_not_read_at_double_pitch():
    # Thick dark 2-px bars (strong edges on even boundaries only) and fainter 1-px
    # details at odd positions: twice the pitch scores nearly as well as the pitch.
    art = np.full((48, 48, 3), 200, np.uint8)
    art[::8, :] = art[1::8, :] = 60
    art[:, ::8] = art[:, 1::8] = 60
    art[3::8, 3::8] = 150
    art[5::8, 4::8] = 150
    big = degrade(upscale_nearest(art, 6.5)[3:, 2:], blur=0.9, jpeg=75, noise=2)
    result = snap_to_grid(big)
    assert result.art.shape[:2] == (48, 48)


def test_a_drifting_grid_is_not_mistaken_for_half_pitch_detail():
    # AI-style drift: cell width grows from 7.6 to 8.4 px across the image. The uniform
    # grid misses some cells by up to half a pitch; that must not double the size.
    sprite = load_sprite("dawnlike_commissions_mage.png")
    flat = np.where(sprite[..., 3:] >= 128, sprite[..., :3], 96).astype(np.uint8)
    edges = np.concatenate([[0], np.cumsum(np.linspace(7.6, 8.4, 64))])
    index = np.clip(np.searchsorted(edges, np.arange(int(edges[-1])) + 0.5) - 1, 0, 63)
    big = degrade(flat[index][:, index], blur=0.8, jpeg=75, noise=2)
    rows, cols = snap_to_grid(big).art.shape[:2]
    assert abs(rows - 64) <= 2 and abs(cols - 64) <= 2  # uniform grid: edge slivers, not 2x
