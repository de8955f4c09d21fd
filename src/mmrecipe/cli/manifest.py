"""``mmrecipe manifest``: list a folder's images into a manifest, in parallel, once."""

from __future__ import annotations

import time
from pathlib import Path

import click

from mmrecipe.errors import ConfigError


@click.command("manifest")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the manifest to write: .jsonl or .parquet",
)
@click.option("--threads", default=16, show_default=True, help="subfolders walked at once")
@click.option("--no-recursive", is_flag=True, help="only the folder's own files")
def command(folder: Path, output: Path, threads: int, no_recursive: bool) -> None:
    """List FOLDER's image files (path, size, mtime) into a manifest that a run reads instead of
    listing the folder (input.options.manifest)."""
    from mmrecipe.io.manifest import build_manifest

    if output.suffix not in (".jsonl", ".parquet"):
        raise ConfigError(f"--output must end in .jsonl or .parquet, not {output.name!r}")
    if threads < 1:
        raise ConfigError("--threads must be at least 1")
    t0 = time.perf_counter()
    n = build_manifest(folder, output, threads=threads, recursive=not no_recursive)
    click.echo(f"{output}: {n} file(s) listed in {time.perf_counter() - t0:.1f} s")
