"""Writing a finished shard: every output format and the ``samples/`` (or stage) file under
temporary names, then renamed into place, with ``rejects/`` beside them. A sample a writer cannot
convert becomes a ``write_error`` reject and the files are written again without it, so one bad
sample never costs the shard."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mmrecipe.executor.shards import OUTPUT_PREFIX, WRITE_STEP, Phase
from mmrecipe.io import EMBEDS_IMAGES, WRITE_SUFFIX, missing_image, open_writer
from mmrecipe.io.base import portable_path, record_error, resolve_cache
from mmrecipe.recipe import OutputSpec
from mmrecipe.rundir import RunDir
from mmrecipe.sample import Sample
from mmrecipe.stats import StepStats


def check_writable(
    formats: list[str], samples: list[Sample], stats: dict[str, StepStats], rejects: list[Sample]
) -> list[Sample]:
    """A format that embeds image bytes (Parquet) needs the files: a sample whose image is
    gone is rejected at a ``write`` step (``missing_image``) instead of failing the shard."""
    if not any(fmt in EMBEDS_IMAGES for fmt in formats):
        return samples
    st = stats.setdefault(WRITE_STEP, StepStats())
    st.n_in += len(samples)
    kept: list[Sample] = []
    for s in samples:
        problem = missing_image(s)
        if problem is None:
            kept.append(s)
            continue
        s.reject(WRITE_STEP, "missing_image", problem)
        st.rejected["missing_image"] += 1
        rejects.append(s)
    st.n_out += len(kept)
    return kept


def write_shard(
    layout: RunDir,
    output: OutputSpec,
    phase: Phase,
    shard: int,
    kept: list[Sample],
    rejects: list[Sample],
    stats: dict[str, StepStats] | None = None,
) -> list[Sample]:
    """Write the shard's files; a sample some writer cannot convert is moved to ``rejects``
    (``write_error``) and the files are written again without it. Returns those samples.
    Samples a format cannot hold (left out by its writer, by reason) go into ``stats``."""
    with resolve_cache():
        return _write_shard(layout, output, phase, shard, kept, rejects, stats)


def _write_shard(
    layout: RunDir,
    output: OutputSpec,
    phase: Phase,
    shard: int,
    kept: list[Sample],
    rejects: list[Sample],
    stats: dict[str, StepStats] | None,
) -> list[Sample]:
    counts: dict[str, StepStats] = {}

    def outputs(samples: list[Sample], failed: dict[int, str]) -> list[tuple[Path, Path]]:
        written: list[tuple[Path, Path]] = []
        counts.clear()
        if phase.final:
            formats = output.formats
            for index, fmt in enumerate(formats):
                final = layout.data_file(fmt, shard, WRITE_SUFFIX[fmt], primary=index == 0)
                tmp = write_file(layout.root, output, fmt, final, samples, failed, counts)
                written.append((tmp, final))
            final = layout.samples_file(shard)
            written.append(
                (write_file(layout.root, output, "samples", final, samples, failed), final)
            )
        else:
            final = layout.stage_file(phase.index, shard)
            written.append(
                (write_file(layout.root, output, "samples", final, samples, failed), final)
            )
        return written

    failed: dict[int, str] = {}
    written = outputs(kept, failed)
    unwritable = [s for s in kept if id(s) in failed]
    if unwritable:
        for s in unwritable:
            rejects.append(s.reject(WRITE_STEP, "write_error", failed[id(s)]))
        written = outputs([s for s in kept if id(s) not in failed], {})
    if stats is not None:
        for fmt, st in counts.items():
            stats.setdefault(f"{OUTPUT_PREFIX}{fmt}", StepStats()).merge(st)
    rejects_final = layout.rejects_file(phase.index, shard)
    if rejects:
        tmp = rejects_final.with_name(rejects_final.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as fh:
            for s in rejects:
                record = reject_record(s)
                record["images"] = [  # relative to the run dir, as in samples/
                    {**i, "path": portable_path(str(i.get("path", "")), layout.root)}
                    for i in record.get("images", [])
                    if isinstance(i, dict)
                ]
                line = json.dumps(record, ensure_ascii=False, default=str)
                fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        written.append((tmp, rejects_final))
    else:
        rejects_final.unlink(missing_ok=True)
    for tmp_path, final_path in written:
        os.replace(tmp_path, final_path)
    return unwritable


def write_file(
    root: Path,
    output: OutputSpec,
    fmt: str,
    final: Path,
    samples: list[Sample],
    failed: dict[int, str],
    counts: dict[str, StepStats] | None = None,
) -> Path:
    """Write one file of the shard under its temporary name (returned); a sample the writer
    cannot convert goes into ``failed`` with the reason."""
    tmp = final.with_name(final.name + ".tmp")
    options = output.writer_options(fmt) if fmt != "samples" else None
    writer = open_writer(fmt, tmp, base_dir=root, keep_fields=output.keep_fields, options=options)
    try:
        for s in samples:
            try:
                writer.write(s)
            except Exception as exc:  # one sample a writer cannot convert: its reject
                failed.setdefault(id(s), f"{fmt} writer: {record_error(exc)}")
    finally:
        writer.close()
    if counts is not None:
        # samples a format cannot hold, by reason (stats.json "outputs")
        st = counts.setdefault(fmt, StepStats())
        st.n_in += len(samples)
        st.n_out += getattr(writer, "written", len(samples))
        st.rejected.update(getattr(writer, "left_out", {}))
        st.routed.update({f"lost:{k}": v for k, v in getattr(writer, "lost", {}).items()})
    return tmp


def reject_record(sample: Sample) -> dict[str, Any]:
    """A line of ``rejects/``: id, op, reason and detail first, then the whole sample."""
    assert sample.rejection is not None
    record: dict[str, Any] = {"id": sample.id, **sample.rejection.to_dict()}
    body = sample.to_dict()
    body.pop("rejection", None)
    body.pop("id", None)
    record.update(body)
    return record
