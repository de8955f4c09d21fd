"""``mmrecipe convert``: read one format, write another (no ops)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click
import yaml

from mmrecipe.errors import ConfigError
from mmrecipe.io import FORMATS, open_reader, open_writer


def _parse_options(pairs: tuple[str, ...]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--option takes KEY=VALUE, not {pair!r}")
        options[key.strip()] = yaml.safe_load(value)
    return options


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
    help="folder that relative image paths in SOURCE are relative to (default: the run dir "
    "that holds SOURCE, else SOURCE's folder)",
)
@click.option(
    "--assistant-images",
    type=click.Choice(["skip", "move_to_user"]),
    default="skip",
    help="images in assistant turns, for formats whose trainers take none",
)
@click.option(
    "--option",
    "writer_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="a writer option of the target format, e.g. embed_images=false (repeatable)",
)
@click.option(
    "--keep-field",
    "keep_fields",
    multiple=True,
    help="a sample field to copy into each record (repeatable; default: domain, source)",
)
def command(
    source: Path,
    target: Path,
    to_format: str,
    from_format: str,
    image_root: Path | None,
    assistant_images: str,
    writer_options: tuple[str, ...],
    keep_fields: tuple[str, ...],
) -> None:
    """Convert SOURCE into TARGET in another format; unreadable records and samples the
    target format cannot hold are reported by reason."""
    options = {"assistant_images": assistant_images, **_parse_options(writer_options)}
    reader = open_reader(
        from_format, source, image_root=image_root, materialize_dir=target.parent / "images"
    )
    writer = open_writer(
        to_format,
        target,
        base_dir=target.parent.absolute(),
        keep_fields=list(keep_fields) or ["domain", "source"],
        options=None if to_format == "samples" else options,
    )
    bad: Counter[str] = Counter()
    count = 0
    try:
        for sample in reader:
            if sample.rejected:
                assert sample.rejection is not None
                bad[sample.rejection.reason] += 1
                click.echo(f"skipped {sample.id}: {sample.rejection.detail}", err=True)
                continue
            writer.write(sample)
            count += 1
    finally:
        writer.close()
    left_out: Counter[str] = getattr(writer, "left_out", Counter())
    lost: Counter[str] = getattr(writer, "lost", Counter())
    msg = f"wrote {getattr(writer, 'written', count)} record(s) to {target}"
    if bad:
        msg += " (unreadable: " + ", ".join(f"{n} {r}" for r, n in bad.items()) + ")"
    if left_out:
        msg += (
            f" (left out of {to_format}: "
            + ", ".join(f"{n} {r}" for r, n in left_out.items())
            + ")"
        )
    if lost:
        msg += " (lost: " + ", ".join(f"{n} {r}" for r, n in lost.items()) + ")"
    click.echo(msg)
