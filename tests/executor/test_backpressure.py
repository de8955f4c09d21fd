"""The driver holds only ``shards_in_flight`` shards: the input is read no further ahead than
that, however long it is (a listing of a billion files is never held)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmrecipe.executor.local import LocalExecutor
from mmrecipe.recipe import InputSpec, Recipe, step
from mmrecipe.sample import Sample


class CountingInput:
    """An input of ``n`` samples that counts how many were taken."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.taken = 0

    def count(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[Sample]:
        for i in range(self.n):
            self.taken += 1
            yield Sample(id=f"s{i:05d}", fields={"i": i})


class Watched(LocalExecutor):
    def __init__(self, *args: Any, source: CountingInput, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.input = source
        self.finished = 0
        self.ahead: list[int] = []

    def _reader(self) -> Any:
        return self.input

    async def process_shard(self, phase, shard, samples):  # type: ignore[no-untyped-def]
        self.ahead.append(self.input.taken - self.finished * 10)
        await asyncio.sleep(0.002 * (shard % 3))  # shards finish out of order
        out = await super().process_shard(phase, shard, samples)
        self.finished += 1
        return out


def test_the_input_is_read_only_shards_in_flight_ahead(tmp_path: Path) -> None:
    recipe = Recipe(
        input=InputSpec(format="samples", path=str(tmp_path)),
        ops=[step("set_fields", "tag", values={"domain": "x"})],
    )
    recipe.executor.shard_size = 10
    recipe.executor.shards_in_flight = 3
    source = CountingInput(2000)
    run = Watched(recipe, tmp_path / "run", quiet=True, source=source)
    run.run()
    assert run.finished == 200 and source.taken == 2000
    # samples read but not finished: the shards in flight, plus the one being read
    assert max(run.ahead) <= (3 + 1) * 10, max(run.ahead)
    assert max(run.ahead) > 10  # shards did overlap
