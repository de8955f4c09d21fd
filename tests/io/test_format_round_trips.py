"""Round trips llava <-> sharegpt <-> hf_messages <-> parquet <-> webdataset lose nothing but
what a format cannot hold, and what is lost is counted by the writer."""

from __future__ import annotations

from pathlib import Path

from trainer_samples import sha, write

from mmrecipe.io import WRITE_SUFFIX, open_reader
from mmrecipe.io.layout import prepare
from mmrecipe.sample import Sample


def _view(samples: list[Sample]) -> dict[str, tuple]:
    """What every trainer format must keep: the conversation as trainers take it, the image
    bytes in order, and the kept fields."""
    out = {}
    for s in samples:
        conv = prepare(s)
        out[s.id] = (
            conv.system,
            conv.messages,
            [sha(i.path) for i in conv.images],
            s.fields.get("domain"),
        )
    return out


def _through(
    samples: list[Sample], chain: list[str], tmp_path: Path
) -> tuple[list[Sample], list[dict[str, int]]]:
    """Write and read back through each format in turn; the writers' left-out counts."""
    left_out: list[dict[str, int]] = []
    current = samples
    for step, fmt in enumerate(chain):
        folder = tmp_path / f"{step}-{fmt}"
        path = folder / f"shard-00000{WRITE_SUFFIX[fmt]}"
        writer = write(fmt, current, path, folder, keep_fields=["domain"])
        left_out.append(dict(getattr(writer, "left_out", {})))
        # the images stay in tmp_path/images: the dataset root is tmp_path
        current = list(open_reader(fmt, path, image_root=tmp_path, materialize_dir=folder / "m"))
        assert not any(s.rejected for s in current)
    return current, left_out


def test_chain_of_trainer_formats(tmp_path: Path, samples: list[Sample]) -> None:
    trainable = [s for s in samples if s.id not in ("interleaved", "empty")]
    chain = ["sharegpt", "hf_messages", "parquet", "webdataset", "llava_onevision", "sharegpt"]
    final, left_out = _through(samples, chain, tmp_path)
    # the two samples no trainer format here can hold are left out once, counted, and then
    # never seen again
    assert left_out[0] == {"assistant_image": 1, "empty_conversation": 1}
    assert left_out[1:] == [{}] * (len(chain) - 1)
    want = _view(trainable)
    # LLaVA-NeXT has no system turn: llava_onevision folds it into the first human turn
    _system, messages, images, domain = want["single"]
    folded = [dict(m) for m in messages]
    folded[0]["content"] = "<image>\nYou are terse.\n\nWhat is shown?"
    want["single"] = ("", folded, images, domain)
    assert _view(final) == want


def test_llava_keeps_single_image_samples_and_counts_the_rest(
    tmp_path: Path, samples: list[Sample]
) -> None:
    final, left_out = _through(samples, ["parquet", "llava", "sharegpt", "llava"], tmp_path)
    assert left_out[0] == {}  # a container: even the interleaved trace fits
    assert left_out[1] == {"multi_image": 2, "empty_conversation": 1}
    assert left_out[2:] == [{}, {}]
    single_image = [s for s in samples if s.id in ("single", "text_only", "split_turn")]
    got = _view(final)
    want = _view(single_image)
    # LLaVA has no system turn: it is folded into the first human turn
    _system, messages, images, domain = want["single"]
    folded = [dict(m) for m in messages]
    folded[0]["content"] = "<image>\nYou are terse.\n\nWhat is shown?"
    want["single"] = ("", folded, images, domain)
    assert got == want


def test_interleaved_trace_survives_the_containers(tmp_path: Path, samples: list[Sample]) -> None:
    interleaved = [s for s in samples if s.id == "interleaved"]
    final, _ = _through(interleaved, ["parquet", "webdataset", "samples"], tmp_path)
    assert final[0].messages == interleaved[0].messages
    assert [sha(i.path) for i in final[0].images] == [sha(i.path) for i in interleaved[0].images]
