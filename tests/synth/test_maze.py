"""Maze: the verifier replays moves on the stored walls."""

from __future__ import annotations

from mmrecipe.synth.base import item_rng
from mmrecipe.synth.maze import MazeGenerator, parse_moves


def test_replay_rejects_walls_detours_and_wrong_ends() -> None:
    gen = MazeGenerator()
    item = gen.make(item_rng(0, "maze", 0), 3)
    truth, moves = item.ground_truth, item.answer.split()
    assert gen.verify(truth, item.answer) is None
    assert gen.verify(truth, "".join(moves)) is None  # compact form is read too
    assert "goal" in (gen.verify(truth, " ".join(moves[:-1])) or "")
    back = {"U": "D", "D": "U", "L": "R", "R": "L"}[moves[0]]
    detour = " ".join([moves[0], back, *moves])  # reaches the goal, but not the shortest way
    assert "shortest" in (gen.verify(truth, detour) or "")
    n = truth["size"]
    x, y = truth["start"]
    closed = next(
        m
        for m, bit in (("U", 1), ("R", 2), ("D", 4), ("L", 8))
        if not int(truth["cells"][y][x], 16) & bit
    )
    assert "wall" in (gen.verify(truth, closed) or "")
    assert n >= 4


def test_parse_moves_accepts_words() -> None:
    assert parse_moves("right, right, down") == "RRD"
    assert parse_moves("go north") == "?"
