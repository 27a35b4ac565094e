"""The labelled grid image, drawn as A1111's ``images.draw_grid_annotations`` does.

Black text, centred, on a white margin: X labels above the columns, Y labels to
the left of the rows, and each Z value as the title of its own sub-grid. The
font size follows A1111, ``(cell width + cell height) // 25``, with a floor so
the tiny cells of pixel-art sweeps stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

MIN_FONT = 12
LINE_SPACING = 0.25


@dataclass(frozen=True)
class Layout:
    """Where everything goes in one X/Y grid, in pixels.

    ``cell`` is ``(width, height)`` of the largest image; ``left`` and ``top`` are
    the label margins; ``gap`` is the space between cells ("Grid margins").
    """

    cols: int
    rows: int
    cell: tuple[int, int]
    left: int
    top: int
    gap: int
    font_size: int

    @property
    def size(self) -> tuple[int, int]:
        w, h = self.cell
        return (
            self.left + self.cols * w + (self.cols - 1) * self.gap,
            self.top + self.rows * h + (self.rows - 1) * self.gap,
        )

    def origin(self, col: int, row: int) -> tuple[int, int]:
        w, h = self.cell
        return self.left + col * (w + self.gap), self.top + row * (h + self.gap)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    # Greedy word wrap to the available width, as A1111's wrap() does.
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            trial = f"{line} {word}".strip()
            if line and draw.textlength(trial, font=font) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def _text_height(draw: ImageDraw.ImageDraw, lines: list[str], font, size: int) -> int:
    if not any(lines):
        return 0
    return len(lines) * size + int((len(lines) - 1) * size * LINE_SPACING)


def layout_grid(
    cell: tuple[int, int],
    col_labels: Sequence[str],
    row_labels: Sequence[str],
    *,
    gap: int = 0,
) -> Layout:
    """The `Layout` of a grid of ``len(col_labels)`` x ``len(row_labels)`` cells."""
    w, h = cell
    size = max(MIN_FONT, (w + h) // 25)
    font = _font(size)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cols, rows = max(1, len(col_labels)), max(1, len(row_labels))
    has_rows = any(row_labels)
    # A1111: a left margin of 3/4 of a cell when there are row labels; wider when a
    # word (a 10-digit seed) would not fit on one line of it.
    words = [word for text in row_labels for word in text.split()]
    widest = max((int(draw.textlength(word, font=font)) for word in words), default=0)
    left = max(w * 3 // 4, 4 * size, widest + size) if has_rows else 0
    heights = [_text_height(draw, _wrap(draw, t, font, w), font, size) for t in col_labels]
    top = max(heights, default=0)
    top = top + size if top else 0  # half a line of padding above and below
    return Layout(cols, rows, (w, h), left, top, gap, size)


def render_grid(
    images: Sequence[Sequence[Image.Image | None]],
    col_labels: Sequence[str],
    row_labels: Sequence[str],
    *,
    gap: int = 0,
) -> Image.Image:
    """Draw one labelled X/Y grid.

    Parameters
    ----------
    images : rows of cell images (PIL), ``images[row][col]``; None leaves a blank cell
    col_labels, row_labels : the X and Y legends (empty strings draw no margin)
    gap : pixels between cells

    Returns
    -------
    grid : RGB PIL image of `layout_grid(...).size`
    """
    cells = [im for row in images for im in row if im is not None]
    cell = (max((im.width for im in cells), default=8), max((im.height for im in cells), default=8))
    lay = layout_grid(cell, col_labels, row_labels, gap=gap)
    grid = Image.new("RGB", lay.size, "white")
    for r, row in enumerate(images):
        for c, image in enumerate(row):
            if image is not None:
                x, y = lay.origin(c, r)
                # Smaller images (a size axis) sit centred in the largest cell.
                grid.paste(image.convert("RGB"), (x + (cell[0] - image.width) // 2,
                                                 y + (cell[1] - image.height) // 2))  # fmt: skip
    draw = ImageDraw.Draw(grid)
    font = _font(lay.font_size)
    for c, text in enumerate(col_labels):
        x, _ = lay.origin(c, 0)
        _draw_centred(draw, text, font, lay.font_size, (x, 0, x + cell[0], lay.top))
    if lay.left:
        for r, text in enumerate(row_labels):
            _, y = lay.origin(0, r)
            _draw_centred(draw, text, font, lay.font_size, (0, y, lay.left, y + cell[1]))
    return grid


def _draw_centred(draw, text: str, font, size: int, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    lines = _wrap(draw, text, font, max(1, x1 - x0 - size // 2))
    height = _text_height(draw, lines, font, size)
    y = y0 + (y1 - y0 - height) // 2
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text((x0 + (x1 - x0 - width) / 2, y), line, fill="black", font=font)
        y += int(size * (1 + LINE_SPACING))


def render_sheet(
    grids: Sequence[Image.Image], titles: Sequence[str], *, gap: int = 0
) -> Image.Image:
    """Z sub-grids side by side in one row, each titled with its Z label (A1111's layout)."""
    if len(grids) == 1 and not any(titles):
        return grids[0]
    size = max(MIN_FONT, max(g.width for g in grids) // 25)
    font = _font(size)
    title_h = 2 * size
    spacing = max(gap, size)
    width = sum(g.width for g in grids) + spacing * (len(grids) - 1)
    height = title_h + max(g.height for g in grids)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for grid, title in zip(grids, titles, strict=True):
        sheet.paste(grid, (x, title_h))
        _draw_centred(draw, title, font, size, (x, 0, x + grid.width, title_h))
        x += grid.width + spacing
    return sheet
