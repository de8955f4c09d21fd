"""The layout of a run directory, in one place.

```
RUN_DIR/
  recipe.yaml          the resolved recipe (overrides applied)
  data/                output shards: shard-00000.jsonl (first format), data/<format>/ (others)
  samples/             the same samples, lossless (fields, scores, trace): for report/analyze
  rejects/             one JSONL line per dropped sample: id, op, reason, detail, the sample
  images/              images the run produced (normalized inputs, synthesized images)
  trainers/            registrations for trainers (written at the end of a run: io/snippets.py)
  state/state.sqlite   finished shards, per-shard stats
  state/cache/         the model request cache: append-only segments, one writer each
  state/stage-K/       intermediate shards before a barrier op (dedup)
  state/answers/       long model answers, one file per distinct answer (the cache refers to them)
  run.lock             held by the run using the dir (pid, host, start time)
  stats.json           per step: in, out, rejected by reason, seconds, model usage
```
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mmrecipe import strictjson
from mmrecipe.errors import ConfigError

if TYPE_CHECKING:
    from mmrecipe.recipe import Recipe


class RunDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def state_db(self) -> Path:
        return self.state / "state.sqlite"

    @property
    def stats_file(self) -> Path:
        return self.root / "stats.json"

    @property
    def recipe_file(self) -> Path:
        return self.root / "recipe.yaml"

    def create(self) -> None:
        for path in (self.data, self.samples, self.rejects, self.state):
            path.mkdir(parents=True, exist_ok=True)

    def data_file(self, fmt: str, shard: int, suffix: str, primary: bool) -> Path:
        folder = self.data if primary else self.data / fmt
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"shard-{shard:05d}{suffix}"

    def samples_file(self, shard: int) -> Path:
        return self.samples / f"shard-{shard:05d}.jsonl"

    def rejects_file(self, phase: int, shard: int) -> Path:
        return self.rejects / f"p{phase}-shard-{shard:05d}.jsonl"

    def stage_file(self, phase: int, shard: int) -> Path:
        folder = self.state / f"stage-{phase}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"shard-{shard:05d}.jsonl"

    def remove_shard(self, phase: int, shard: int, final: bool) -> None:
        """Delete every file of one shard (its input is gone from a rerun's input)."""
        name = f"shard-{shard:05d}"
        self.rejects_file(phase, shard).unlink(missing_ok=True)
        if final:
            for path in self.data.rglob(f"{name}.*"):
                path.unlink(missing_ok=True)
            self.samples_file(shard).unlink(missing_ok=True)
        else:
            (self.state / f"stage-{phase}" / f"{name}.jsonl").unlink(missing_ok=True)

    def clear_outputs(self) -> None:
        """Remove outputs of an earlier, different recipe (the state's cache is kept)."""
        for path in (self.data, self.samples, self.rejects):
            if path.exists():
                shutil.rmtree(path)
        for stage in self.state.glob("stage-*"):
            shutil.rmtree(stage)
        if self.stats_file.exists():
            self.stats_file.unlink()
        self.remove_report()
        self.create()

    def remove_report(self) -> None:
        """Drop ``report.html``: it describes outputs that are being redone."""
        (self.root / "report.html").unlink(missing_ok=True)

    def recorded_recipe_name(self) -> str | None:
        """The ``name`` of the recipe this run dir was made by (its ``recipe.yaml``)."""
        try:
            data = yaml.safe_load(self.recipe_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            return None
        name = data.get("name") if isinstance(data, dict) else None
        return str(name) if name is not None else None

    def holds_outputs(self) -> bool:
        """Whether any shard was written (a start that failed before leaves nothing)."""
        return any(
            any(p.is_file() for p in folder.rglob("*"))
            for folder in (self.data, self.samples, self.rejects)
            if folder.is_dir()
        )

    def remove_temporaries(self) -> None:
        """Delete half-written files of shards that were in flight when a run died."""
        for folder in (self.data, self.samples, self.rejects, self.state):
            if folder.exists():
                for tmp in folder.rglob("*.tmp"):
                    tmp.unlink(missing_ok=True)

    def refuse_links(self) -> None:
        """Refuse a run dir holding a symbolic link (a run dir received from someone else may
        plant ``state/answers/x.txt -> ~/.bashrc``): mmrecipe writes only its own files there
        and never through a link; ConfigError names the first one found."""
        stack = [str(self.root)]
        while stack:
            try:
                entries = list(os.scandir(stack.pop()))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if entry.is_symlink():
                    raise ConfigError(
                        f"the run dir holds a symbolic link, {entry.path} -> "
                        f"{os.readlink(entry.path)}; mmrecipe never writes through links in its "
                        "run dir: remove it (or use another -o)"
                    )
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)

    def write_recipe(self, recipe: Recipe) -> None:
        from mmrecipe.backends.settings import redact_secrets

        data = redact_secrets(recipe.to_yaml_dict())
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        tmp = self.recipe_file.with_suffix(".yaml.tmp")
        tmp.unlink(missing_ok=True)  # a planted link is replaced, never written through
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.recipe_file)

    def write_stats(self, stats: dict[str, Any]) -> None:
        tmp = self.stats_file.with_suffix(".json.tmp")
        tmp.unlink(missing_ok=True)
        tmp.write_text(strictjson.dumps(stats, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.stats_file)

    def read_stats(self) -> dict[str, Any]:
        return json.loads(self.stats_file.read_text(encoding="utf-8"))

    def iter_jsonl(self, folder: Path) -> Any:
        """Every record of every ``*.jsonl`` directly in ``folder``, in shard order."""
        for path in sorted(folder.glob("*.jsonl")):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        yield json.loads(line)
