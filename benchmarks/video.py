"""Video: frame sampling against a bare PyAV loop, and memory of a video-caption run by size.

    python benchmarks/video.py [--clips 4] [--sizes 50,200,800] [--skip-memory]

1. Throughput: ``sample_frames`` (8 uniform frames per clip, written as JPEG under a run dir)
   against two bare loops with the same decoder (PyAV): seek to each time and decode forward
   to it; and one pass decoding every frame with no seek. On ``clips`` generated 10 s 854x480
   H.264 clips; each run ``--rounds`` times (5), interleaved, best of each; frames/s and the ratios printed.
2. Memory: ``recipes/video-caption.yaml`` end to end (intake, frame-hash dedup, shots,
   differential captions, dense caption) against the scripted server in its own process, over
   N distinct short clips, each N in a fresh Python process, shard_size 25 (so every size runs
   two shards in flight); peak RSS per N and its ratio to the smallest run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mmrecipe.testing.videos import moving_shapes

ROOT = Path(__file__).resolve().parents[1]


def bare_loop(paths: list[Path], n: int) -> int:
    """Seek + decode to each of ``n`` uniform times: what any frame sampler has to do."""
    import av

    frames = 0
    for path in paths:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            duration = float(stream.duration * stream.time_base)
            for i in range(n):
                t = (i + 0.5) * duration / n
                container.seek(int(t / stream.time_base), stream=stream)
                for frame in container.decode(stream):
                    if frame.time >= t - 1e-6:
                        frame.to_ndarray(format="rgb24")
                        frames += 1
                        break
    return frames


def bare_forward(paths: list[Path], n: int) -> int:
    """One pass, no seeking: decode every frame, convert the ``n`` wanted ones."""
    import av

    frames = 0
    for path in paths:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            duration = float(stream.duration * stream.time_base)
            wanted = [(i + 0.5) * duration / n for i in range(n)]
            for frame in container.decode(stream):
                if wanted and frame.time >= wanted[0] - 1e-6:
                    frame.to_ndarray(format="rgb24")
                    frames += 1
                    wanted.pop(0)
                if not wanted:
                    break
    return frames


def sampler(paths: list[Path], n: int, run_dir: Path) -> int:
    from mmrecipe.context import OpContext
    from mmrecipe.ops.video.sample_frames import SampleFrames
    from mmrecipe.ops.video.video_intake import VideoIntake
    from mmrecipe.sample import Sample, VideoRef

    samples = VideoIntake().process_batch(
        [Sample(id=str(i), videos=[VideoRef(str(p))]) for i, p in enumerate(paths)]
    )
    op = SampleFrames(num_frames=n, max_side=None)
    op.setup(OpContext(run_dir=run_dir))
    start = time.perf_counter()
    out = op.process_batch(samples)
    sampler.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
    return sum(len(s.videos[0].frames) for s in out)


def throughput(n_clips: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [
            moving_shapes(Path(tmp) / f"c{i}.mp4", 10.0, 30, (854, 480), 5.0, 3 + i, scene=i)
            for i in range(n_clips)
        ]
        best = {"bare": float("inf"), "forward": float("inf"), "sample_frames": float("inf")}
        count = {}
        for round_ in range(rounds):
            for name, fn in (("bare", bare_loop), ("forward", bare_forward)):
                start = time.perf_counter()
                count[name] = fn(paths, 8)
                best[name] = min(best[name], time.perf_counter() - start)
            count["sample_frames"] = sampler(paths, 8, Path(tmp) / f"run{round_}")
            best["sample_frames"] = min(best["sample_frames"], sampler.seconds)  # type: ignore[attr-defined]
        rate = {k: count[k] / best[k] for k in best}
        print(f"frame sampling: {n_clips} clips, 10 s 854x480 H.264 30 fps, 8 uniform frames each")
        print(f"{'':<32} {'frames':>6} {'seconds':>8} {'frames/s':>9}")
        print(
            f"{'bare PyAV seek+decode loop':<32} {count['bare']:>6} {best['bare']:>8.3f} {rate['bare']:>9.1f}"
        )
        print(
            f"{'bare PyAV decode-forward loop':<32} {count['forward']:>6} "
            f"{best['forward']:>8.3f} {rate['forward']:>9.1f}"
        )
        print(
            f"{'sample_frames (+ JPEG writes)':<32} {count['sample_frames']:>6} "
            f"{best['sample_frames']:>8.3f} {rate['sample_frames']:>9.1f}"
        )
        print(f"ratio sample_frames / bare seek loop: {rate['sample_frames'] / rate['bare']:.2f}")
        print(
            f"ratio sample_frames / bare forward loop: "
            f"{rate['sample_frames'] / rate['forward']:.2f}"
        )


CHILD = """
import json, resource, sys
from click.testing import CliRunner
from mmrecipe.cli import main
args = json.loads(sys.argv[1])
result = CliRunner().invoke(main, args, catch_exceptions=False)
assert result.exit_code == 0, result.output
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def memory(sizes: list[int]) -> None:
    from mmrecipe.testing.openai_server import spawn

    proc, url = spawn("--kind", "vllm", "--script", "video")
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "clips"
            for i in range(max(sizes)):
                moving_shapes(
                    folder / f"c{i:04d}.mp4", 2.0, 10, (96, 72), 1.0, 1 + i % 5, scene=i + 1
                )
            for n in sizes:
                subset = Path(tmp) / f"in{n}"
                subset.mkdir()
                for i in range(n):
                    os.symlink(folder / f"c{i:04d}.mp4", subset / f"c{i:04d}.mp4")
                args = [
                    "run", str(ROOT / "recipes" / "video-caption.yaml"), "--input", str(subset),
                    "-o", str(Path(tmp) / f"run{n}"), "--quiet",
                    "--set", f"backends.mllm.base_url={url}",
                    "--set", "backends.mllm.model=Qwen/Qwen2.5-VL-7B-Instruct",
                    "--set", "input.allow_outside_root=true",
                    # memory is about shard_size x shards_in_flight: the same at every size
                    "--set", "executor.shard_size=25",
                ]  # fmt: skip
                start = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, json.dumps(args)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                seconds = time.perf_counter() - start
                stats = json.loads((Path(tmp) / f"run{n}" / "stats.json").read_text())
                peak = json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"]
                rows.append((n, stats["totals"]["kept"], peak, seconds))
    finally:
        proc.kill()
    base = rows[0][2]
    print(
        "\nvideo-caption dry run (scripted server), 2 s 96x72 clips, shard_size 25, one process per size"
    )
    print(f"{'clips':>6} {'kept':>6} {'peak RSS MB':>12} {'vs first':>9} {'seconds':>8}")
    for n, kept, peak, seconds in rows:
        print(f"{n:>6} {kept:>6} {peak:>12.1f} {peak / base:>9.2f} {seconds:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--sizes", default="50,200,800")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    throughput(args.clips, args.rounds)
    if not args.skip_memory:
        memory([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
