"""An aesthetic score as a small head on image embeddings, fit on the user's own ratings.

LAION's aesthetic predictor is this shape: a regressor on CLIP image embeddings trained on
human ratings. Its weights are not shipped here; instead a ridge-regression head (closed form,
numpy) is fit on whatever ratings the user has for a share of the images, saved under
``RUN_DIR/models/`` and applied to every image, the way ``fasttext_filter`` fits and applies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from mmrecipe.errors import ConfigError
from mmrecipe.experts.embstore import VectorReader
from mmrecipe.ops.base import BarrierOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge regression with an unpenalized bias: (weights, bias)."""
    mean_x, mean_y = x.mean(axis=0), float(y.mean())
    xc = x - mean_x
    gram = xc.T @ xc + alpha * np.eye(x.shape[1])
    w = np.linalg.solve(gram, xc.T @ (y - mean_y))
    return w, mean_y - float(mean_x @ w)


def cv_rmse(x: np.ndarray, y: np.ndarray, alpha: float, folds: int = 5, seed: int = 0) -> float:
    """Root mean squared error of the head on held-out folds: how well the ratings generalize."""
    order = np.random.default_rng(seed).permutation(len(y))
    errors = []
    for fold in np.array_split(order, min(folds, len(y))):
        train = np.setdiff1d(order, fold)
        w, b = fit_ridge(x[train], y[train], alpha)
        errors.append((x[fold] @ w + b - y[fold]) ** 2)
    return float(np.sqrt(np.concatenate(errors).mean()))


@register_op("aesthetic_score")
class AestheticScore(BarrierOp):
    """Fits a ridge head from image embeddings (``fields.<embedding_field>``, written by an
    ``embed`` step) to the ratings in ``fields.<label_field>`` (any numeric scale, e.g. 1-10),
    on the samples that have one; saves it as ``RUN_DIR/models/<step>.npz`` with a report
    (``<step>.json``: labelled count, 5-fold cross-validated RMSE) and stores
    ``scores.<step>`` (the predicted rating) on every sample. With ``model_path`` it fits
    nothing and applies that head. The op only scores: gate with ``score_gate``. Rejects:
    ``no_embedding``.

    Args:
        label_field: the field holding the user's ratings (fitting only)
        embedding_field: the field holding the image embedding reference
        model_path: a saved head (``.npz``) to apply instead of fitting
        alpha: ridge penalty
        min_labeled: fewest ratings to fit on
    """

    @property  # type: ignore[override]
    def writes(self) -> tuple[str, ...]:
        return (f"scores.{self.name}",)

    def __init__(
        self,
        label_field: str = "aesthetic_rating",
        embedding_field: str = "image_embedding",
        model_path: str | None = None,
        alpha: float = 1.0,
        min_labeled: int = 20,
    ) -> None:
        if alpha <= 0:
            raise ConfigError("aesthetic_score: alpha must be > 0")
        self.label_field = label_field
        self.embedding_field = embedding_field
        self.model_path = model_path
        self.alpha = alpha
        self.min_labeled = min_labeled
        self.reads = (f"fields.{embedding_field}",)
        self._head: tuple[np.ndarray, float] | None = None
        self._reader: VectorReader | None = None

    def fit(self, samples: Iterable[Sample]) -> None:
        assert self.ctx is not None
        self._reader = VectorReader(self.ctx.run_dir)
        if self.model_path is not None:
            self._head = self._load(Path(self.model_path))
            return
        rows, ratings = [], []
        for sample in samples:
            rating = sample.fields.get(self.label_field)
            ref = sample.fields.get(self.embedding_field)
            if sample.rejected or isinstance(rating, bool) or not isinstance(rating, int | float):
                continue
            try:
                rows.append(self._reader.get(ref))
            except ValueError:
                continue
            ratings.append(float(rating))
        if len(ratings) < self.min_labeled or len(set(ratings)) < 2:
            raise ConfigError(
                f"{self.name}: {len(ratings)} samples with a rating in fields.{self.label_field} "
                f"and an embedding; fitting needs {self.min_labeled} and two distinct ratings"
            )
        x, y = np.stack(rows), np.asarray(ratings)
        w, b = fit_ridge(x, y, self.alpha)
        self._head = (w, b)
        folder = self.ctx.run_dir / "models"
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / f"{self.name}.npz", weights=w.astype(np.float32), bias=np.float32(b))
        report = {
            "labeled": len(y),
            "alpha": self.alpha,
            "cv_rmse": round(cv_rmse(x, y, self.alpha), 4),
        }
        report["rating_std"] = round(float(y.std()), 4)
        (folder / f"{self.name}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")

    def _load(self, path: Path) -> tuple[np.ndarray, float]:
        if not path.is_file() or path.suffix != ".npz":
            raise ConfigError(f"{self.name}: model_path {path} is not a saved head (.npz)")
        with np.load(path, allow_pickle=False) as data:
            if set(data.files) != {"weights", "bias"} or data["weights"].ndim != 1:
                raise ConfigError(f"{self.name}: {path} is not an aesthetic head")
            return data["weights"].astype(np.float32), float(data["bias"])

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        if self._head is None or self._reader is None:
            raise RuntimeError("aesthetic_score: fit() was not called")
        w, b = self._head
        for sample in samples:
            if sample.rejected:
                continue
            try:
                vector = self._reader.get(sample.fields.get(self.embedding_field))
            except ValueError as exc:
                sample.reject(self.name, "no_embedding", str(exc)[:300])
                continue
            if vector.shape != w.shape:
                sample.reject(
                    self.name, "no_embedding", f"dimension {vector.shape[0]} != head's {w.shape[0]}"
                )
                continue
            sample.scores[self.name] = round(float(vector @ w + b), 4)
        return samples
