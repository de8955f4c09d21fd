"""OctoThinker's recipe, step 2: a fastText classifier learns the LLM's labels and filters
everything, at a tiny fraction of the LLM's cost.

``fasttext-numpy2`` rather than ``fasttext-wheel``: both ship wheels, but only the former
imports beside numpy 2 (the wheel's ``predict`` uses ``np.array(copy=False)``, removed in
numpy 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from mmrecipe.curation.turns import answer_of, instruction_of
from mmrecipe.errors import ConfigError
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample

_SPACE = re.compile(r"\s+")
POSITIVE, NEGATIVE = "__label__keep", "__label__drop"


def sample_text(sample: Sample) -> str:
    """One line of text per sample: its question and answer, lower case."""
    text = f"{instruction_of(sample)} {answer_of(sample)}".replace("<image>", " ")
    return _SPACE.sub(" ", text).strip().lower()


@register_op("fasttext_filter")
class FasttextFilter(BarrierOp):
    """Fits a fastText classifier on the samples an LLM scored (``scores.<label_score>`` >=
    ``positive_min`` is a keeper), saves it as ``RUN_DIR/models/<step>.bin`` and applies it
    to every sample: ``scores.<step>_prob`` is the probability of a keeper, kept when >=
    ``threshold``. With ``model_path`` it fits nothing and applies that classifier (one saved
    by another run). Rejects: ``low_quality``. Fitting with fewer than ``min_labeled`` labels
    or a single class stops the run with one line.

    Args:
        label_score: the score holding the LLM's 0-5 labels
        positive_min: lowest label counted as a keeper (ours: 3 of OctoThinker's 0-5 scale)
        threshold: lowest keeper probability kept (OctoThinker: 0.4)
        model_path: apply this classifier instead of fitting one
        min_labeled: fewest labeled samples to fit on
        epoch: training epochs
        lr: learning rate
        word_ngrams: word n-grams as features
        dim: vector size
        bucket: hashed n-gram buckets (fastText's 2M makes a 400 MB file at dim 50)
        seed: fastText's seed (one thread: deterministic)
    """

    def __init__(
        self,
        label_score: str = "llm_quality",
        positive_min: float = 3.0,
        threshold: float = 0.4,
        model_path: str | None = None,
        min_labeled: int = 10,
        epoch: int = 25,
        lr: float = 0.5,
        word_ngrams: int = 2,
        dim: int = 50,
        bucket: int = 200_000,
        seed: int = 0,
    ) -> None:
        self.label_score = label_score
        self.positive_min = positive_min
        self.threshold = threshold
        self.model_path = model_path
        self.min_labeled = min_labeled
        self.params = {
            "epoch": epoch,
            "lr": lr,
            "wordNgrams": word_ngrams,
            "dim": dim,
            "bucket": bucket,
        }
        self.seed = seed
        self._model_file: str | None = model_path
        self.reads = ("messages", "fields.instruction", "fields.answer")
        if model_path is None:  # fitting reads the labels; a saved classifier needs none
            self.reads = (*self.reads, f"scores.{label_score}")
        self.writes = ("scores.*",)
        self._model = None

    def _import(self):
        try:
            import fasttext
        except ImportError:
            raise ConfigError(
                "fasttext_filter needs fastText: pip install 'mmrecipe[curate]' (fasttext-numpy2)"
            ) from None
        return fasttext

    def fit(self, samples: Iterable[Sample]) -> None:
        fasttext = self._import()
        if self.model_path is not None:
            if not Path(self.model_path).is_file():
                raise ConfigError(f"{self.name}: model_path {self.model_path} does not exist")
            self._model = fasttext.load_model(self.model_path)
            return
        assert self.ctx is not None
        lines, labels = [], set()
        for sample in samples:
            value = sample.scores.get(self.label_score)
            if not isinstance(value, int | float):
                continue
            label = POSITIVE if value >= self.positive_min else NEGATIVE
            labels.add(label)
            lines.append(f"{label} {sample_text(sample)}")
        if len(lines) < self.min_labeled or len(labels) < 2:
            raise ConfigError(
                f"{self.name}: {len(lines)} samples labeled in scores.{self.label_score} "
                f"({len(labels)} class(es)); fitting needs {self.min_labeled} and both classes "
                "(raise the scoring step's sample_rate, or check positive_min)"
            )
        folder = self.ctx.run_dir / "models"
        folder.mkdir(parents=True, exist_ok=True)
        train = folder / f"{self.name}.train.txt"
        train.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._model = self._train(fasttext, train)
        self._model_file = str(folder / f"{self.name}.bin")
        self._model.save_model(self._model_file)

    def _train(self, fasttext, train: Path):
        """Train; fastText sometimes diverges (NaN) on a handful of labels: halve lr and retry."""
        params = dict(self.params)
        for _ in range(3):
            try:
                return fasttext.train_supervised(
                    str(train), thread=1, seed=self.seed, verbose=0, minCount=1, **params
                )
            except RuntimeError as exc:
                if "NaN" not in str(exc):
                    raise
                params["lr"] = params["lr"] / 2
        raise ConfigError(
            f"{self.name}: fastText diverged (NaN) even at lr {params['lr'] * 2:g}: "
            "label more samples or lower lr"
        )

    def __getstate__(self) -> dict:
        # a fitted op travels to other workers (Ray) without the native model: it reloads
        # the saved file, which lives in the run dir every worker writes to
        state = dict(self.__dict__)
        state["_model"] = None
        return state

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        if self._model is None:
            assert self._model_file is not None, "fit() was not called"
            self._model = self._import().load_model(self._model_file)
        name = f"{self.name}_prob"
        for sample in samples:
            labels, probs = self._model.predict(sample_text(sample), k=2)
            prob = dict(zip(labels, probs, strict=True)).get(POSITIVE, 0.0)
            sample.scores[name] = round(float(prob), 4)
            if prob < self.threshold:
                sample.reject(
                    self.name, "low_quality", f"keeper probability {prob:.2f} < {self.threshold}"
                )
        return samples
