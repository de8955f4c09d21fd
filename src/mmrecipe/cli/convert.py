"""``mmrecipe convert``: read one format, write another (no ops)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from mmrecipe.io import EMBEDS_IMAGES, FORMATS, missing_image, open_reader, open_writer
from mmrecipe.io.base import GuardedReader, ImageRoot, default_image_root, record_error


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
    "image_roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="the dataset root: relative image paths are resolved against it and no image may lie "
    "outside it (default: SOURCE's folder, or the run dir when SOURCE is inside one); "
    "repeatable: several folders, relative paths resolved against the first",
)
@click.option(
    "--allow-outside-root",
    is_flag=True,
    help="let records name images outside the root (absolute paths, .., symlinks out)",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="download http(s) images next to TARGET (images/remote/) instead of rejecting them",
)
def command(
    source: Path,
    target: Path,
    to_format: str,
    from_format: str,
    image_roots: tuple[Path, ...],
    allow_outside_root: bool,
    allow_remote: bool,
) -> None:
    """Convert SOURCE into TARGET in another format; unreadable records are reported."""
    images = target.parent / "images"
    root = ImageRoot(
        [r.expanduser() for r in image_roots] or default_image_root(source),
        allow_outside_root=allow_outside_root,
        allow_remote=allow_remote,
        remote_dir=images / "remote",
    )
    reader = open_reader(from_format, source, image_root=root, materialize_dir=images)
    writer = open_writer(to_format, target, base_dir=target.parent.absolute())
    embeds = to_format in EMBEDS_IMAGES
    written = 0
    bad: Counter[str] = Counter()
    try:
        for sample in GuardedReader(reader, source):
            if not sample.rejected and embeds and (problem := missing_image(sample)):
                sample.reject("write", "missing_image", problem)
            if sample.rejected:
                assert sample.rejection is not None
                bad[sample.rejection.reason] += 1
                click.echo(f"skipped {sample.id}: {sample.rejection.detail}", err=True)
                continue
            try:
                writer.write(sample)
            except Exception as exc:  # a record this writer cannot convert: skip just it
                bad["write_error"] += 1
                click.echo(
                    f"skipped {sample.id}: {to_format} writer: {record_error(exc)}", err=True
                )
                continue
            written += 1
    finally:
        writer.close()
    msg = f"wrote {written} record(s) to {target}"
    if bad:
        msg += " (skipped " + ", ".join(f"{n} {r}" for r, n in bad.items()) + ")"
    click.echo(msg)
