"""``mmrecipe convert``: read one format, write another (no ops)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from mmrecipe.io import FORMATS, open_reader, open_writer


@click.command("convert")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "to_format",
    required=True,
    type=click.Choice([k for k, v in FORMATS.items() if v["write"]]),
)
@click.option("--from", "from_format", default="auto", type=click.Choice(["auto", *FORMATS]))
@click.option(
    "--image-root",
    type=click.Path(path_type=Path),
    help="folder that relative image paths in SOURCE are relative to",
)
def command(
    source: Path, target: Path, to_format: str, from_format: str, image_root: Path | None
) -> None:
    """Convert SOURCE into TARGET in another format; unreadable records are reported."""
    reader = open_reader(
        from_format, source, image_root=image_root, materialize_dir=target.parent / "images"
    )
    writer = open_writer(to_format, target, base_dir=target.parent.absolute())
    written = 0
    bad: Counter[str] = Counter()
    try:
        for sample in reader:
            if sample.rejected:
                assert sample.rejection is not None
                bad[sample.rejection.reason] += 1
                click.echo(f"skipped {sample.id}: {sample.rejection.detail}", err=True)
                continue
            writer.write(sample)
            written += 1
    finally:
        writer.close()
    msg = f"wrote {written} record(s) to {target}"
    if bad:
        msg += " (skipped " + ", ".join(f"{n} {r}" for r, n in bad.items()) + ")"
    click.echo(msg)
