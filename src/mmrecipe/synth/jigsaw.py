"""ThinkMorph's jigsaw assembly: shuffled numbered tiles -> the reassembled picture -> the order.

An interleaved trace (text -> image -> text): the user shows the shuffled tiles, the assistant
reasons, *produces* the reassembled image, and reads the tile order off it. ``difficulty`` sets
the grid (2x2 up to 4x4). The answer lists, row by row, the number of the tile that belongs at
each place; the verifier re-derives it from the stored shuffle.
"""

from __future__ import annotations

import random
import re
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.drawing import background, font
from mmrecipe.synth.phrasing import compose

TILE = 112
GAP = 8
GRIDS = {1: (2, 2), 2: (2, 3), 3: (3, 3), 4: (3, 4), 5: (4, 4)}


def _badge(draw: ImageDraw.ImageDraw, x: int, y: int, text: str) -> None:
    f = font(18)
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=f)
    w, h = x1 - x0 + 10, y1 - y0 + 8
    draw.rectangle([x, y, x + w, y + h], fill=(255, 255, 255), outline=(0, 0, 0))
    draw.text((x + 5 - x0, y + 4 - y0), text, font=f, fill=(0, 0, 0))


def _tiles(image: Image.Image, rows: int, cols: int) -> list[Image.Image]:
    return [
        image.crop((c * TILE, r * TILE, (c + 1) * TILE, (r + 1) * TILE))
        for r in range(rows)
        for c in range(cols)
    ]


def fit(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Center-crop to the aspect ratio of ``size``, then scale to it (no-op when it fits)."""
    if picture.size == size:
        return picture
    width, height = picture.size
    target = size[0] / size[1]
    if width / height > target:
        crop_w = round(height * target)
        left = (width - crop_w) // 2
        picture = picture.crop((left, 0, left + crop_w, height))
    else:
        crop_h = round(width / target)
        top = (height - crop_h) // 2
        picture = picture.crop((0, top, width, top + crop_h))
    return picture.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def _order(shuffled: list[int]) -> list[int]:
    """Tile numbers (1-based, as labelled) for each place of the original, row by row."""
    return [shuffled.index(place) + 1 for place in range(len(shuffled))]


@register_generator("jigsaw")
class JigsawGenerator(Generator):
    """Jigsaw assembly with a produced (reassembled) image."""

    levels = 5
    #: its samples are interleaved traces: their reply has no answer style
    interleaved = True

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        rows, cols = GRIDS[max(1, min(difficulty, 5))]
        picture, source = background(rng, (cols * TILE, rows * TILE))
        return self.make_on(picture, source, rng, difficulty)

    def make_on(
        self, picture: Image.Image, source: Any, rng: random.Random, difficulty: int
    ) -> SynthItem:
        """The puzzle cut from ``picture`` (center-cropped to the grid's shape and scaled to
        its size when it is not already): the user's own photo as the source."""
        rows, cols = GRIDS[max(1, min(difficulty, 5))]
        picture = fit(picture, (cols * TILE, rows * TILE))
        tiles = _tiles(picture, rows, cols)
        n = rows * cols
        shuffled = list(range(n))
        while shuffled == sorted(shuffled):
            rng.shuffle(shuffled)
        # the puzzle: tile k of the shuffled grid shows original place shuffled[k]
        puzzle = Image.new(
            "RGB", (cols * TILE + (cols + 1) * GAP, rows * TILE + (rows + 1) * GAP), (235, 235, 235)
        )
        draw = ImageDraw.Draw(puzzle)
        for k, place in enumerate(shuffled):
            r, c = divmod(k, cols)
            x, y = GAP + c * (TILE + GAP), GAP + r * (TILE + GAP)
            puzzle.paste(tiles[place], (x, y))
            _badge(draw, x + 3, y + 3, str(k + 1))
        # the produced image: tiles back in place, each still wearing its number
        solved = picture.copy()
        draw = ImageDraw.Draw(solved)
        order = _order(shuffled)
        for place, label in enumerate(order):
            r, c = divmod(place, cols)
            draw.rectangle(
                [c * TILE, r * TILE, (c + 1) * TILE - 1, (r + 1) * TILE - 1], outline=(255, 0, 0)
            )
            _badge(draw, c * TILE + 3, r * TILE + 3, str(label))
        answer = ", ".join(map(str, order))
        question = compose(
            rng,
            (
                "The image shows the {n} pieces of a picture cut into a {rows}x{cols} grid and "
                "shuffled; the pieces are numbered 1-{n}.",
                "A picture was cut into {rows} rows and {cols} columns and the {n} numbered "
                "pieces (1-{n}) were shuffled.",
                "These {n} tiles, labelled 1 to {n}, come from one picture split into a "
                "{rows}x{cols} grid.",
                "Here is a jigsaw of {n} numbered pieces ({rows} rows by {cols} columns) in "
                "random order.",
            ),
            (
                "Reassemble the picture.",
                "Put the pieces back in place.",
                "Restore the original picture.",
                "Work out where each piece belongs.",
            ),
            (
                "Answer with the piece numbers in their correct places, row by row from the top "
                "left, separated by commas.",
                "Give the piece numbers in reading order (row by row, starting top left), "
                "separated by commas.",
                "List which piece goes in each cell, left to right and top to bottom, as "
                "comma-separated numbers.",
            ),
            n=n,
            rows=rows,
            cols=cols,
        )
        reply = (
            "I will match the edges of the pieces - colours, lines and shapes that continue "
            "across a border - and lay them out in the grid:\n<image>\n"
            "In the reassembled picture every border continues smoothly, so the arrangement is "
            f"consistent. Reading the piece numbers row by row:\n{answer}"
        )
        return SynthItem(
            images=[puzzle, solved],
            task="interleaved/jigsaw",
            answer=answer,
            messages=[
                {"role": "user", "content": f"<image>\n{question}"},
                {"role": "assistant", "content": reply},
            ],
            ground_truth={"rows": rows, "cols": cols, "shuffled": shuffled},
            extra={"source_image": source, "question": question},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        shuffled = [int(x) for x in ground_truth["shuffled"]]
        n = int(ground_truth["rows"]) * int(ground_truth["cols"])
        if sorted(shuffled) != list(range(n)):
            return "stored shuffle is not a permutation"
        got = [int(x) for x in re.findall(r"\d+", answer)]
        if len(got) != n:
            return f"expected {n} piece numbers, got {len(got)}"
        if sorted(got) != list(range(1, n + 1)):
            return f"answer is not a permutation of 1-{n}: {got}"
        for place, label in enumerate(got):
            if shuffled[label - 1] != place:
                return f"piece {label} does not belong at place {place + 1}"
        return None
