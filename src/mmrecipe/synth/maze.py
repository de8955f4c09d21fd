"""ThinkMorph's spatial navigation: a maze -> the route drawn in red -> the move sequence.

A perfect maze (one route between any two cells) is carved by a randomized depth-first search;
the assistant draws the route from the green start to the blue goal in red, then reads the moves
off it. ``difficulty`` sets the size (4x4 up to 12x12). The verifier replays the answer's moves on
the stored walls: no wall crossed, the goal reached, and no longer than the shortest route.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import deque
from typing import Any

from PIL import Image, ImageDraw

from mmrecipe.synth.base import Generator, SynthItem, register_generator
from mmrecipe.synth.phrasing import compose

#: open-side bits per cell, and the move letter of each direction
MOVES = {"U": (0, -1, 1), "R": (1, 0, 2), "D": (0, 1, 4), "L": (-1, 0, 8)}
OPPOSITE = {1: 4, 2: 8, 4: 1, 8: 2}
SIZES = {1: 4, 2: 5, 3: 7, 4: 9, 5: 12}
WORDS = {"up": "U", "down": "D", "left": "L", "right": "R"}


def carve(n: int, rng: random.Random) -> list[list[int]]:
    """Open-side bitmasks of an n x n perfect maze (iterative randomized DFS)."""
    cells = [[0] * n for _ in range(n)]
    seen = [[False] * n for _ in range(n)]
    stack = [(rng.randrange(n), rng.randrange(n))]
    seen[stack[0][1]][stack[0][0]] = True
    while stack:
        x, y = stack[-1]
        options = [
            (d, bit)
            for d, (dx, dy, bit) in MOVES.items()
            if 0 <= x + dx < n and 0 <= y + dy < n and not seen[y + dy][x + dx]
        ]
        if not options:
            stack.pop()
            continue
        d, bit = rng.choice(sorted(options))
        dx, dy, _ = MOVES[d]
        nx, ny = x + dx, y + dy
        cells[y][x] |= bit
        cells[ny][nx] |= OPPOSITE[bit]
        seen[ny][nx] = True
        stack.append((nx, ny))
    return cells


def shortest(cells: list[list[int]], start: tuple[int, int], goal: tuple[int, int]) -> str:
    """The shortest move string from start to goal (breadth-first search)."""
    prev: dict[tuple[int, int], tuple[tuple[int, int], str]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        x, y = queue.popleft()
        if (x, y) == goal:
            break
        for d, (dx, dy, bit) in MOVES.items():
            if cells[y][x] & bit and (x + dx, y + dy) not in seen:
                seen.add((x + dx, y + dy))
                prev[(x + dx, y + dy)] = ((x, y), d)
                queue.append((x + dx, y + dy))
    path = []
    at = goal
    while at != start:
        at, d = prev[at]
        path.append(d)
    return "".join(reversed(path))


def _draw(cells: list[list[int]], start: tuple[int, int], goal: tuple[int, int], route: str) -> Any:
    n = len(cells)
    cell = max(24, 384 // n)
    pad = 16
    size = n * cell + 2 * pad
    im = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(im)

    def centre(x: int, y: int) -> tuple[float, float]:
        return (pad + (x + 0.5) * cell, pad + (y + 0.5) * cell)

    for (x, y), colour in ((start, (40, 170, 60)), (goal, (40, 80, 210))):
        cx, cy = centre(x, y)
        r = cell * 0.3
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    if route:
        pts = [centre(*start)]
        x, y = start
        for move in route:
            dx, dy, _ = MOVES[move]
            x, y = x + dx, y + dy
            pts.append(centre(x, y))
        draw.line(pts, fill=(220, 20, 20), width=max(3, cell // 6), joint="curve")
    w = 3
    for y in range(n):
        for x in range(n):
            x0, y0 = pad + x * cell, pad + y * cell
            if not cells[y][x] & 1:
                draw.line([(x0, y0), (x0 + cell, y0)], fill=(0, 0, 0), width=w)
            if not cells[y][x] & 8:
                draw.line([(x0, y0), (x0, y0 + cell)], fill=(0, 0, 0), width=w)
            if y == n - 1 and not cells[y][x] & 4:
                draw.line([(x0, y0 + cell), (x0 + cell, y0 + cell)], fill=(0, 0, 0), width=w)
            if x == n - 1 and not cells[y][x] & 2:
                draw.line([(x0 + cell, y0), (x0 + cell, y0 + cell)], fill=(0, 0, 0), width=w)
    return im


def parse_moves(answer: str) -> str:
    """Moves as letters from 'R R D', 'RRD', 'right, right, down' and the like."""
    text = answer.strip().splitlines()[-1] if answer.strip() else ""
    words = re.findall(r"[A-Za-z]+", text)
    out = []
    for word in words:
        if word.lower() in WORDS:
            out.append(WORDS[word.lower()])
        elif set(word.upper()) <= set(MOVES):
            out.append(word.upper())
        else:
            return "?"
    return "".join(out)


@register_generator("maze")
class MazeGenerator(Generator):
    """Maze navigation with a produced image (the route drawn in red)."""

    levels = 5
    #: its samples are interleaved traces: their reply has no answer style
    interleaved = True

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        n = SIZES[max(1, min(difficulty, 5))]
        cells = carve(n, rng)
        while True:
            start = (rng.randrange(n), rng.randrange(n))
            goal = (rng.randrange(n), rng.randrange(n))
            if abs(start[0] - goal[0]) + abs(start[1] - goal[1]) >= n - 1:
                break
        route = shortest(cells, start, goal)
        answer = " ".join(route)
        question = compose(
            rng,
            (
                "Find the way through this {n}x{n} maze from the green dot to the blue dot "
                "without crossing a wall.",
                "Starting at the green dot, walk through the {n}x{n} maze to the blue dot; walls "
                "cannot be crossed.",
                "This is a {n}-by-{n} grid maze. Give a path from the green start to the blue goal "
                "that never goes through a wall.",
                "Solve the {n}x{n} maze in the image: move from the green dot to the blue dot "
                "along open corridors.",
                "How do you get from the green dot to the blue dot in this maze ({n}x{n} cells) "
                "without passing through walls?",
            ),
            (
                "Answer with the moves, one per cell, as U (up), D (down), L (left) or R "
                "(right), separated by spaces.",
                "List the moves one cell at a time using U, D, L and R (up, down, left, right), "
                "separated by spaces.",
                "Write the route as a space-separated sequence of U/D/L/R moves, one per cell.",
            ),
            n=n,
        )
        turns = sum(1 for a, b in itertools.pairwise(route) if a != b)
        reply = (
            "I will follow the open corridors from the green start, backing out of dead ends, "
            "and draw the route that reaches the blue goal in red:\n<image>\n"
            f"The red route crosses no wall and reaches the goal in {len(route)} moves with "
            f"{turns} turn{'' if turns == 1 else 's'}. The moves are:\n{answer}"
        )
        return SynthItem(
            images=[_draw(cells, start, goal, ""), _draw(cells, start, goal, route)],
            task="interleaved/maze",
            answer=answer,
            messages=[
                {"role": "user", "content": f"<image>\n{question}"},
                {"role": "assistant", "content": reply},
            ],
            ground_truth={
                "size": n,
                "cells": ["".join(f"{c:x}" for c in row) for row in cells],
                "start": list(start),
                "goal": list(goal),
            },
            extra={"question": question},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        cells = [[int(ch, 16) for ch in row] for row in ground_truth["cells"]]
        n = len(cells)
        start, goal = tuple(ground_truth["start"]), tuple(ground_truth["goal"])
        moves = parse_moves(answer)
        if "?" in moves or not moves:
            return f"cannot read moves from {answer!r}"
        x, y = start
        for i, move in enumerate(moves):
            dx, dy, bit = MOVES[move]
            if not cells[y][x] & bit or not (0 <= x + dx < n and 0 <= y + dy < n):
                return f"move {i + 1} ({move}) from cell ({x}, {y}) crosses a wall"
            x, y = x + dx, y + dy
        if (x, y) != goal:
            return f"the moves end at ({x}, {y}), not at the goal {goal}"
        best = len(shortest(cells, start, goal))  # type: ignore[arg-type]
        if len(moves) != best:
            return f"the route takes {len(moves)} moves; the shortest takes {best}"
        return None
