"""``mmrecipe convert``: read one format, write another (no ops)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click
import yaml

from mmrecipe.errors import ConfigError
from mmrecipe.io import EMBEDS_IMAGES, FORMATS, missing_image, open_reader, open_writer
from mmrecipe.io.base import GuardedReader, ImageRoot, default_image_root, record_error
from mmrecipe.safe_yaml import read_yaml_file
from mmrecipe.strictjson import clean_sample


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
@click.option(
    "--allow-private-hosts",
    is_flag=True,
    help="with --allow-remote: let URLs reach loopback, private and link-local addresses "
    "(an image server on your own network)",
)
@click.option(
    "--assistant-images",
    type=click.Choice(["skip", "move_to_user"]),
    default="skip",
    help="images in assistant turns, for formats whose trainers take none: leave the sample "
    "out (counted) or move the image to the user turn before it",
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
    image_roots: tuple[Path, ...],
    allow_outside_root: bool,
    allow_remote: bool,
    allow_private_hosts: bool,
    assistant_images: str,
    writer_options: tuple[str, ...],
    keep_fields: tuple[str, ...],
) -> None:
    """Convert SOURCE into TARGET in another format; unreadable records and samples the
    target format cannot hold are reported by reason. A .json TARGET of a JSON format is one
    JSON array, a .jsonl TARGET one record per line."""
    options = {"assistant_images": assistant_images, **_parse_options(writer_options)}
    images = target.parent / "images"
    root = ImageRoot(
        [r.expanduser() for r in image_roots] or default_image_root(source),
        allow_outside_root=allow_outside_root,
        allow_remote=allow_remote,
        remote_dir=images / "remote",
        allow_private_hosts=allow_private_hosts,
    )
    reader = open_reader(from_format, source, image_root=root, materialize_dir=images)
    writer = open_writer(
        to_format,
        target,
        base_dir=target.parent.absolute(),
        keep_fields=list(keep_fields) or ["domain", "source"],
        options=None if to_format == "samples" else options,
    )
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
                writer.write(clean_sample(sample))  # strict JSON: NaN/Infinity -> null
            except Exception as exc:  # a record this writer cannot convert: skip just it
                bad["write_error"] += 1
                click.echo(
                    f"skipped {sample.id}: {to_format} writer: {record_error(exc)}", err=True
                )
                continue
            written += 1
    finally:
        writer.close()
    left_out: Counter[str] = getattr(writer, "left_out", Counter())
    lost: Counter[str] = getattr(writer, "lost", Counter())
    msg = f"wrote {getattr(writer, 'written', written)} record(s) to {target}"
    if bad:
        msg += " (skipped " + ", ".join(f"{n} {r}" for r, n in bad.items()) + ")"
    if left_out:
        msg += f" (left out of {to_format}: "
        msg += ", ".join(f"{n} {r}" for r, n in left_out.items()) + ")"
    if lost:
        msg += " (lost: " + ", ".join(f"{n} {r}" for r, n in lost.items()) + ")"
    click.echo(msg)
    n_written = getattr(writer, "written", written)
    if n_written == 0 and (bad or left_out):
        raise click.ClickException(_nothing_written(source, root, bad, left_out))


def _nothing_written(
    source: Path, root: ImageRoot, bad: Counter[str], left_out: Counter[str]
) -> str:
    """Why 0 of N records were written, and the fix when the images lie outside the root."""
    total = sum(bad.values()) + sum(left_out.values())
    text = f"wrote 0 of {total} record(s)"
    if not bad.get("image_outside_root"):
        return text + ": every record was skipped or left out (reasons above)"
    roots = ", ".join(str(r) for r in root.roots)
    text += (
        f": {bad['image_outside_root']} name images outside the dataset root ({roots}); "
        "pass --image-root DIR (repeatable) with the folder that holds them"
    )
    recorded = _recorded_root(default_image_root(source))
    if recorded:
        shown = "".join(c for c in recorded if c.isprintable())[:300]
        text += f" (this run read its images from {shown})"
    return text + ", or --allow-outside-root"


def _recorded_root(run_dir: Path) -> str | None:
    """The image root a run recorded in its recipe.yaml (named in the message, never used on
    its own: a run dir's files are input too, and a forged one could name any folder)."""
    recipe = run_dir / "recipe.yaml"
    if not recipe.is_file() or not (run_dir / "state").is_dir():
        return None
    try:
        spec = read_yaml_file(recipe)
    except Exception:
        return None
    given = spec.get("input") if isinstance(spec, dict) else None
    if not isinstance(given, dict):
        return None
    roots = given.get("image_root")
    if isinstance(roots, str) and roots:
        return roots
    if isinstance(roots, list) and roots and all(isinstance(r, str) for r in roots):
        return " and ".join(roots)
    path = given.get("path")
    if isinstance(path, str) and path:
        where = Path(path)
        return str(where if where.is_dir() else where.parent)
    return None
