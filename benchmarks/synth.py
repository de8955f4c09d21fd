"""Samples per second of every registered synthesis generator, single process, on this machine.

Each generator makes N samples end to end (draw, encode PNG, write, build the sample) into a
temporary folder, at a fixed difficulty; a second column times ``make`` alone (no PNG encoding).

    python benchmarks/synth.py [-n 200] [--difficulty 3] [--only chart] [--profile chart]
    python benchmarks/synth.py --against /path/to/main/src    # before/after ratio per generator

``--profile KIND`` runs KIND under cProfile and prints where its time goes, stage by stage.
For ``chart`` (the slowest generator) it is matplotlib's text handling, not our code: every
chart lays out all its texts (tick labels, axis labels, value labels, legend) twice: once
in ``tight_layout`` (about 27% of the time: it measures every text's extent so labels are not
clipped) and again in the final Agg draw (about 34%, glyph rendering included); creating the
tick objects is another ~15%, spread over both. ``pin_fonts`` (bundled font files on every
text, for pixels that do not depend on the host's fonts) is about 13%, most of it the tick
creation it triggers early; PNG encoding about 3%; the plot calls themselves (bars, lines,
scatter) about 14%. Measured on this 2-core machine (n=40, difficulty 3):

    render_chart 97% = canvas draw 34% + tight_layout 27% + pin_fonts 13% + plot calls 14%
                       + add_subplot 6% (+ title, facecolor); item_to_sample (PNG) 3%
    across those: text layout 19%, tick creation 15%

The STEM generators (function_plot, analytic_geometry, solid_geometry, stats_chart,
diagram_caption) are matplotlib-bound like chart; function_plot adds sympy's exact solving
(solveset, extrema). Measured beside chart in one run (n=20, difficulty 2, 2 cores at load ~12):
function_plot 0.9x chart, analytic_geometry 1.0x, stats_chart 1.2x, diagram_caption 1.9x,
solid_geometry 2.8x (geometry, Pillow-drawn, 4.8x).

Nothing cheap is left: a fixed layout instead of ``tight_layout`` clips long labels, and
looking fonts up by family name instead of pinning files would make pixels host-dependent.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mmrecipe.synth.base import all_generators, item_rng
from mmrecipe.synth.source import generate_samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="samples per generator")
    parser.add_argument("--difficulty", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", help="time only these generator kinds")
    parser.add_argument("--profile", metavar="KIND", help="print where KIND's time goes")
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="another mmrecipe source tree (e.g. main's src/): before/after ratio per generator",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (--against)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.n, args.difficulty, args.seed)
        return
    if args.against:
        compare(args)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, cls in all_generators().items():
            if args.only and kind not in args.only:
                continue
            gen = cls()
            t0 = time.perf_counter()
            for i in range(args.n):
                gen.make(item_rng(args.seed, kind, i), args.difficulty)
            make_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            samples = generate_samples(gen, 0, args.n, args.seed, args.difficulty, Path(tmp))
            total_s = time.perf_counter() - t0
            images = sum(len(s.images) for s in samples)
            rows.append((kind, args.n / total_s, args.n / make_s, images / args.n))
    if args.json:
        print(json.dumps({kind: sps for kind, sps, _m, _i in rows}))
        return
    print(f"{'generator':<16} {'samples/s':>10} {'make only/s':>12} {'images/sample':>14}")
    for kind, sps, make_sps, ips in rows:
        print(f"{kind:<16} {sps:>10.1f} {make_sps:>12.1f} {ips:>14.1f}")
    print(f"(n={args.n} per generator, difficulty {args.difficulty}, one process)")


def compare(args: argparse.Namespace) -> None:
    """Before/after in one run: each generator is timed in fresh processes on the other source
    tree and on this one, back to back, for ``--rounds`` rounds (the load of a shared machine
    drifts over minutes, so the two sides of a ratio are measured seconds apart), and the
    median samples/s of each side and their ratio are printed."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    base = [sys.executable, __file__, "--json", "-n", str(args.n)]
    base += ["--difficulty", str(args.difficulty), "--seed", str(args.seed)]
    kinds = args.only or list(all_generators())
    print(f"{'generator':<16} {'before/s':>9} {'after/s':>9} {'after/before':>13}")
    for kind in kinds:
        runs: dict[str, list[float]] = {"before": [], "after": []}
        for _round in range(args.rounds):
            for side, tree in (("before", args.against), ("after", here)):
                env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
                cmd = [*base, "--only", kind]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                rates = json.loads(out.stdout.strip().splitlines()[-1])
                if kind in rates:
                    runs[side].append(rates[kind])
        if not runs["before"]:
            print(f"{kind:<16} {'-':>9} {statistics.median(runs['after']):>9.1f}   (new)")
            continue
        before, after = statistics.median(runs["before"]), statistics.median(runs["after"])
        print(f"{kind:<16} {before:>9.1f} {after:>9.1f} {after / before:>13.2f}", flush=True)
    print(f"(n={args.n}, difficulty {args.difficulty}, median of {args.rounds} rounds, each")
    print(" round timing both sides back to back in fresh processes)")


#: (label, function name) of the stages worth naming, in the order printed
STAGES = (
    ("make", "make"),
    ("render_chart", "render_chart"),
    ("  canvas draw", "figure_image"),
    ("  tight_layout", "tight_layout"),
    ("  pin_fonts", "pin_fonts"),
    ("  add_subplot", "add_subplot"),
    ("  text layout (all)", "_get_layout"),
    ("  tick creation (all)", "_get_tick"),
    ("item_to_sample (PNG)", "item_to_sample"),
)


def profile(kind: str, n: int, difficulty: int, seed: int) -> None:
    """Where one generator's time goes: each stage's share of the end-to-end time."""
    gen = all_generators()[kind]()
    with tempfile.TemporaryDirectory() as tmp:
        generate_samples(gen, 0, 2, seed, difficulty, Path(tmp))  # warm caches (fonts)
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.runcall(generate_samples, gen, 0, n, seed, difficulty, Path(tmp))
        total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    cum: dict[str, float] = {}
    plots = 0.0
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.items():
        cum[func] = max(cum.get(func, 0.0), ct)
        if "mmrecipe" in file and func.startswith("_draw_"):
            plots += ct  # the generator's own plotting (bars, lines, ...)
    print(f"{kind}: {n / total:.1f} samples/s under the profiler ({n} samples)")
    for label, func in STAGES:
        if func in cum:
            print(f"{label:<24} {cum[func] / total:>6.0%}")
    if plots:
        print(f"{'  plot calls (_draw_*)':<24} {plots / total:>6.0%}")


if __name__ == "__main__":
    main()
