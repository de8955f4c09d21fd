"""Digests of what the recipes write, to show a refactor changes no output byte.

Runs the quickstart (with ``--limit``) and an offline dry run of one or more recipes per op
family (generated inputs, the test kit's scripted OpenAI server and tiny seeded stand-ins for
model backends), then prints one sha256 per run over its ``data/`` and ``rejects/`` files (the
rest of a run directory holds timings). The scratch folder's path is replaced by a fixed token
before hashing, so the digests do not depend on where the runs were made.

    python scripts/output_digests.py                      # print
    python scripts/output_digests.py --write FILE         # store
    python scripts/output_digests.py --check FILE         # compare; exit 1 on any difference

Only runs whose bytes are stable across repeated runs on one tree belong here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image, ImageDraw

from mmrecipe.cli import main as cli_main
from mmrecipe.testing.openai_server import SCRIPTS, FakeOpenAIServer

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
WORK_TOKEN = b"<WORK>"


# ---- inputs -------------------------------------------------------------------------------
def _photo(seed: int, w: int = 96, h: int = 72) -> Image.Image:
    """A seeded picture with some structure (shapes on a noisy gradient)."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)
    base = base * rng.uniform(0.3, 1.0, 3) + rng.normal(0, 12, (h, w, 3))
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(3):
        x, y = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.rectangle([x, y, x + int(rng.integers(8, 30)), y + int(rng.integers(8, 30))], colour)
    return im


def image_folder(root: Path, n: int = 5) -> Path:
    """n pictures, an exact copy, a resized near-copy and a file that is no image."""
    folder = root / "images"
    folder.mkdir()
    for i in range(n):
        _photo(i).save(folder / f"img{i}.png")
    _photo(0).save(folder / "img0_copy.png")
    _photo(1).resize((80, 60)).save(folder / "img1_small.png")
    (folder / "broken.png").write_bytes(b"not an image")
    return folder


def _turns(question: str, answer: str) -> list[dict[str, str]]:
    return [{"from": "human", "value": f"<image>\n{question}"}, {"from": "gpt", "value": answer}]


def llava_pairs(root: Path, folder: Path) -> Path:
    """LLaVA conversations over the image folder (duplicates, rule failures, a broken image)."""
    rows = [
        ("a", "img0.png", _turns("What colour is the box on the left?", "It is red.")),
        ("b", "img1.png", _turns("How many shapes are there?", "There are three shapes.")),
        ("c", "img2.png", _turns("Describe the picture.", "A gradient with three boxes.")),
        ("d", "img3.png", _turns("What is in the corner?", "  ")),
        ("e", "img4.png", _turns("Describe the scene.", "the red box and the " * 12 + "end.")),
        ("f", "img0_copy.png", _turns("What colour is the box on the left?", "It is red.")),
        ("g", "broken.png", _turns("What is this?", "Nothing.")),
        ("h", "img1_small.png", _turns("Is there text?", "No, there is no text.</s>")),
    ]
    data = [{"id": i, "image": img, "conversations": conv} for i, img, conv in rows]
    path = folder / "pairs.json"
    path.write_text(json.dumps(data))
    return path


def coco(root: Path) -> Path:
    """COCO instances with captions and boxes over four pictures."""
    folder = root / "coco"
    folder.mkdir()
    cats = {"dog": 18, "cat": 17, "person": 1, "cup": 47}
    boxes = {
        1: [([4, 6, 30, 20], "dog"), ([40, 10, 20, 30], "cat")],
        2: [([10, 10, 50, 40], "person")],
        3: [([5, 5, 10, 10], "cup"), ([20, 20, 10, 10], "cup"), ([60, 30, 20, 30], "dog")],
        4: [],
    }
    images, anns = [], []
    for image_id, items in boxes.items():
        _photo(100 + image_id).save(folder / f"{image_id}.png")
        images.append({"id": image_id, "file_name": f"{image_id}.png", "width": 96, "height": 72})
        for bbox, cat in items:
            anns.append({"id": len(anns) + 1, "image_id": image_id, "bbox": bbox,
                         "category_id": cats[cat], "area": bbox[2] * bbox[3], "iscrowd": 0})  # fmt: skip
    categories = [{"id": i, "name": n} for n, i in cats.items()]
    path = folder / "instances.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": categories}))
    captions = [
        {"id": i + 1, "image_id": i % 4 + 1, "caption": c}
        for i, c in enumerate(["A dog and a cat.", "A person standing.", "Cups on a table."])
    ]
    cap = folder / "captions.json"
    cap.write_text(json.dumps({"images": images, "annotations": captions}))
    return folder


# ---- runs ---------------------------------------------------------------------------------
class Runs:
    """Shared inputs, servers and stand-in models of one digest pass."""

    def __init__(self, work: Path, stack: ExitStack) -> None:
        self.work = work
        self.stack = stack
        self.images = image_folder(work)
        self.pairs = llava_pairs(work, self.images)
        self.coco = coco(work)
        self.models = work / "models"
        self.models.mkdir()
        self._servers: dict[str, str] = {}

    def server(self, script: str, kind: str = "plain") -> str:
        """The base URL of a fake server answering with the test kit's ``script``."""
        key = f"{script}-{kind}"
        if key not in self._servers:
            fake = FakeOpenAIServer(
                kind,  # type: ignore[arg-type]
                model="fake",
                responder=SCRIPTS[script],
                keep_bodies=False,
            )
            self._servers[key] = fake.start()
            self.stack.callback(fake.stop)
        return self._servers[key]

    def run(self, name: str, recipe: str, *args: str, standins: bool = False) -> Path:
        out = self.work / "runs" / name
        path = RECIPES / recipe
        cmd = ["run", str(path), "-o", str(out), "--quiet"]
        if standins:  # first: the run's own --set may replace a stand-in
            from mmrecipe.testing.standins import standin_overrides

            for line in standin_overrides(path, self.models):
                cmd += ["--set", line]
        cmd += args
        result = CliRunner().invoke(cli_main, cmd, catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"{name}: exit {result.exit_code}\n{result.output}")
        return out


def _sets(**pairs: str) -> list[str]:
    out: list[str] = []
    for key, value in pairs.items():
        out += ["--set", f"{key.replace('__', '.')}={value}"]
    return out


def run_quickstart(r: Runs) -> Path:
    return r.run("quickstart", "quickstart.yaml", "--limit", "40")


def run_curate_folder(r: Runs) -> Path:
    return r.run("curate-folder", "curate-folder.yaml", "--input", str(r.images))


def run_dedup_images(r: Runs) -> Path:
    return r.run("dedup-images", "dedup-images.yaml", "--input", str(r.images))


def run_synth_geometry(r: Runs) -> Path:
    return r.run("synth-geometry", "synth-geometry.yaml", "--limit", "12")


def run_synth_stem(r: Runs) -> Path:
    return r.run("synth-stem", "synth-stem.yaml", "--limit", "12")


def run_synth_caption(r: Runs) -> Path:
    return r.run("synth-caption", "synth-caption.yaml", "--limit", "8")


def run_oasis(r: Runs) -> Path:
    sets = _sets(
        backends__mllm__base_url=r.server("oasis", "vllm"),  # hooks need a vLLM server
        backends__mllm__model="fake",
        backends__llm__base_url=r.server("oasis"),
        backends__llm__model="fake",
    )
    return r.run("oasis", "oasis.yaml", "--input", str(r.images), *sets)


def run_honeypipe(r: Runs) -> Path:
    url = r.server("honeypipe")
    sets = _sets(
        backends__mllm__base_url=url,
        backends__mllm_long__base_url=url,
        backends__llm__base_url=url,
        executor__shard_size="3",
    )
    return r.run("honeypipe", "honeypipe.yaml", "--input", str(r.pairs), *sets)


def run_llava_instruct(r: Runs) -> Path:
    url = r.server("annotations")
    cap = str(r.coco / "captions.json")
    return r.run("llava-instruct", "llava-instruct.yaml", "--input", cap,
                 *_sets(backends__llm__base_url=url))  # fmt: skip


def run_mmevol(r: Runs) -> Path:
    url = r.server("annotations")
    return r.run("mmevol", "mmevol.yaml", "--input", str(r.pairs),
                 *_sets(backends__mllm__base_url=url))  # fmt: skip


def run_grounding(r: Runs) -> Path:
    return r.run("grounding-qwenvl", "grounding-qwenvl.yaml",
                 "--input", str(r.coco / "instances.json"))  # fmt: skip


def run_clip_filter(r: Runs) -> Path:
    sets = _sets(ops__score__min_score="-1")
    return r.run("clip-filter", "clip-filter.yaml", "--input", str(r.pairs), *sets, standins=True)


def run_consensus_labels(r: Runs) -> Path:
    sets = _sets(ops__boxes__min_agree="1")
    return r.run("consensus-labels", "consensus-labels.yaml", "--input", str(r.images),
                 *sets, standins=True)  # fmt: skip


def run_all_seeing(r: Runs) -> Path:
    sets = _sets(ops__qa_llm__enabled="true", ops__qa_llm__max_tokens="8")
    return r.run("all-seeing", "all-seeing.yaml", "--input", str(r.images), *sets, standins=True)


def run_sparcl(r: Runs) -> Path:
    url = r.server("imagegen")
    llm = json.dumps({"type": "openai", "base_url": url, "model": "fake"}, separators=(",", ":"))
    sets = _sets(input__image_root=str(r.images), backends__llm=llm,
                 ops__intake__min_side="16", ops__rank__min_margin="-2")  # fmt: skip
    return r.run("sparcl", "sparcl.yaml", "--input", str(r.pairs), *sets, standins=True)


def _imagegen_llm(r: Runs) -> str:
    spec = {"type": "openai", "base_url": r.server("imagegen"), "model": "fake"}
    return json.dumps(spec, separators=(",", ":"))


def run_edit_triplets(r: Runs) -> Path:
    sets = _sets(backends__mllm=_imagegen_llm(r), ops__intake__min_side="16",
                 ops__verify__min_clip_direction="-1")  # fmt: skip
    return r.run("edit-triplets", "edit-triplets.yaml", "--input", str(r.images), *sets,
                 standins=True)  # fmt: skip


def run_refedit(r: Runs) -> Path:
    sets = _sets(backends__mllm=_imagegen_llm(r), ops__intake__min_side="16",
                 ops__refer__min_area_fraction="0", ops__refer__max_area_fraction="1")  # fmt: skip
    return r.run("refedit", "refedit.yaml", "--input", str(r.images), *sets, standins=True)


def run_image_textualization(r: Runs) -> Path:
    sets = _sets(ops__reference__max_tokens="12", ops__entities__max_tokens="8",
                 ops__recaption__max_tokens="12")  # fmt: skip
    return r.run("image-textualization", "image-textualization.yaml", "--input", str(r.images),
                 *sets, standins=True)  # fmt: skip


def run_comm_interleaved(r: Runs) -> Path:
    docs = [
        {"id": "obelics", "texts": ["How to paint a box.", None, "Then paint it red.", None],
         "images": [None, "img0.png", None, "img1.png"]},
        {"id": "mmc4", "text_list": ["A blue sky.", "A red square."],
         "image_info": [{"image_name": "img2.png", "matched_text_index": 1},
                        {"image_name": "img3.png", "matched_text_index": 0}]},
        {"id": "text-only", "texts": ["Just words here."], "images": [None]},
        {"id": "broken-image", "texts": ["x", None], "images": [None, "broken.png"]},
    ]  # fmt: skip
    path = r.images / "docs.jsonl"
    # (no malformed line: its reject id hashes the file's absolute path, which varies)
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    sets = _sets(ops__consistency__min_score="-1", ops__alignment__min_score="-1",
                 ops__coherence__max_tokens="8", ops__coherence__min_score="0")  # fmt: skip
    return r.run("comm-interleaved", "comm-interleaved.yaml", "--input", str(path), *sets,
                 standins=True)  # fmt: skip


def run_llavar(r: Runs) -> Path:
    url = r.server("annotations")
    return r.run("llavar", "llavar.yaml", "--input", str(r.images),
                 *_sets(backends__llm__base_url=url))  # fmt: skip


#: name -> run; the families each covers are in the name's recipe
def run_magpie(r: Runs) -> Path:
    url = r.server("magpie", "vllm")
    return r.run("magpie", "magpie.yaml", "--limit", "12", "--set", f"backends.llm.base_url={url}")


def run_cogs(r: Runs) -> Path:
    url = r.server("cogs")
    return r.run("cogs", "cogs.yaml", "--limit", "8", "--set", f"backends.llm.base_url={url}")


RUNS: dict[str, Callable[[Runs], Path]] = {
    "quickstart": run_quickstart,
    "synth-geometry": run_synth_geometry,
    "synth-stem": run_synth_stem,
    "synth-caption": run_synth_caption,
    "curate-folder": run_curate_folder,
    "dedup-images": run_dedup_images,
    "oasis": run_oasis,
    "honeypipe": run_honeypipe,
    "llava-instruct": run_llava_instruct,
    "mmevol": run_mmevol,
    "grounding-qwenvl": run_grounding,
    "clip-filter": run_clip_filter,
    "consensus-labels": run_consensus_labels,
    "all-seeing": run_all_seeing,
    "sparcl": run_sparcl,
    "edit-triplets": run_edit_triplets,
    "refedit": run_refedit,
    "image-textualization": run_image_textualization,
    "comm-interleaved": run_comm_interleaved,
    "llavar": run_llavar,
    "magpie": run_magpie,
    "cogs": run_cogs,
}


# ---- digests ------------------------------------------------------------------------------
def digest(run_dir: Path, work: Path) -> tuple[str, int]:
    """sha256 over (relative path, bytes) of every file under data/ and rejects/, sorted."""
    h = hashlib.sha256()
    n = 0
    token = str(work).encode()
    for sub in ("data", "rejects"):
        base = run_dir / sub
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(run_dir)).encode() + b"\0")
            h.update(path.read_bytes().replace(token, WORK_TOKEN) + b"\0")
            n += 1
    return h.hexdigest(), n


def measure(names: list[str], keep: Path | None) -> dict[str, str]:
    logging.disable(logging.WARNING)
    out: dict[str, str] = {}
    with ExitStack() as stack:
        if keep is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="digests-")))
        else:
            keep.mkdir(parents=True, exist_ok=False)
            work = keep.resolve()
        runs = Runs(work, stack)
        for name in names:
            start = time.perf_counter()
            value, n = digest(RUNS[name](runs), work)
            out[name] = value
            took = time.perf_counter() - start
            print(f"{name:18s} {value[:16]}  {n:3d} files  {took:5.1f} s", file=sys.stderr)
    return out


#: libraries whose versions decide output bytes (PNG/JPEG encoders, plots, tiny models' init)
VERSIONED = (
    "pillow",
    "numpy",
    "matplotlib",
    "opencv-python-headless",
    "pyarrow",
    "torch",
    "transformers",
    "diffusers",
    "scikit-image",
    "langdetect",
    "sympy",  # function-plot answers and the expressions written in their questions
)


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries that decide output bytes."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    # the host's fonts decide scene-text and document pixels (the face a seed picks)
    import hashlib

    from mmrecipe.synth.multilingual.fonts import _font_files, font_dirs

    listing = "\n".join(_font_files(font_dirs())).encode()
    out["fonts"] = hashlib.sha256(listing).hexdigest()[:16]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, help="store the digests in this JSON file")
    group.add_argument(
        "--check", type=Path, help="compare with this JSON file; exit 1 if not equal"
    )
    parser.add_argument("--only", action="append", choices=sorted(RUNS), help="run only these")
    parser.add_argument("--keep", type=Path, help="make the runs in this new folder, kept")
    args = parser.parse_args(argv)
    names = args.only or list(RUNS)
    if args.check:
        recorded = json.loads(args.check.read_text()).get("_versions")
        now = library_versions()
        if recorded is not None and recorded != now:
            moved = [
                f"{k} {recorded.get(k)} -> {v}" for k, v in now.items() if recorded.get(k) != v
            ]
            print("digests: not comparable, recorded under other versions: " + ", ".join(moved))
            return 3
    got = measure(names, args.keep)
    if args.write:
        args.write.write_text(json.dumps({**got, "_versions": library_versions()}, indent=2) + "\n")
    if not args.check:
        print(json.dumps(got, indent=2))
        return 0
    want = json.loads(args.check.read_text())
    bad = [n for n in names if want.get(n) != got[n]]
    for name in bad:
        print(f"DIFFERS {name}: stored {want.get(name)} now {got[name]}")
    print("digests: " + ("all equal" if not bad else f"{len(bad)} of {len(names)} differ"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
