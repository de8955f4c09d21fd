"""The ``samples`` fixture: every shape trainers disagree on (see ``trainer_samples``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from trainer_samples import build_samples

from mmrecipe.sample import Sample


@pytest.fixture
def samples(tmp_path: Path) -> list[Sample]:
    return build_samples(tmp_path)
