"""Multi-expert consensus (Florence-2's data engine, Image Textualization's cross-checks):
several experts answer the same question; keep what at least ``k`` of them agree on and
record how many did.

Three kinds of answers: labels (tags, class names), boxes (matched across experts by IoU,
optionally only within the same label) and text lines (OCR; matched after normalization by
string similarity). Each kept item carries ``votes`` (distinct experts) and ``sources``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mmrecipe.experts.geometry import iou
from mmrecipe.experts.labels import item_label as item_label
from mmrecipe.experts.labels import norm_label as norm_label
from mmrecipe.experts.labels import singularize as singularize

_SPACE = re.compile(r"\s+")


def label_consensus(
    sources: Mapping[str, Sequence[Any]],
    min_agree: int,
    synonyms: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Labels named by at least ``min_agree`` sources, most votes first (ties: first seen)."""
    votes: dict[str, list[str]] = {}
    for source, items in sources.items():
        for item in items or []:
            label = norm_label(item_label(item), synonyms)
            if label and source not in votes.setdefault(label, []):
                votes[label].append(source)
    kept = [
        {"label": label, "votes": len(who), "sources": who}
        for label, who in votes.items()
        if len(who) >= min_agree
    ]
    kept.sort(key=lambda d: -d["votes"])  # stable: first seen wins ties
    return kept


@dataclass
class _Cluster:
    label: str
    members: list[tuple[str, list[float], float]] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(m[0] for m in self.members))

    def box(self) -> list[float]:
        """The members' score-weighted mean box."""
        weights = [max(s, 1e-6) for _, _, s in self.members]
        total = sum(weights)
        return [
            round(
                sum(b[k] * w for (_, b, _), w in zip(self.members, weights, strict=True)) / total, 1
            )
            for k in range(4)
        ]


def box_consensus(
    sources: Mapping[str, Sequence[Mapping[str, Any]]],
    min_agree: int,
    iou_threshold: float = 0.5,
    match_labels: bool = True,
    synonyms: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Boxes at least ``min_agree`` sources put on the same object.

    Every box (best score first) joins the cluster of the same label (when ``match_labels``)
    whose mean box overlaps it most, if that IoU reaches ``iou_threshold`` and the cluster has
    no box from the same source yet; else it starts a cluster. A cluster's votes are its
    distinct sources; kept clusters come back with their mean box, mean score, votes, sources.
    """
    items = []
    for source, dets in sources.items():
        for det in dets or []:
            box = det.get("box") if isinstance(det, Mapping) else None
            if not box or len(box) != 4:
                continue
            label = norm_label(item_label(det), synonyms) if match_labels else ""
            items.append((float(det.get("score", 1.0)), source, [float(v) for v in box], label))
    items.sort(key=lambda t: -t[0])
    clusters: list[_Cluster] = []
    for score, source, box, label in items:
        best, best_iou = None, iou_threshold
        for cluster in clusters:
            if cluster.label != label or source in cluster.sources:
                continue
            overlap = iou(cluster.box(), box)
            if overlap >= best_iou:
                best, best_iou = cluster, overlap
        if best is None:
            best = _Cluster(label=label)
            clusters.append(best)
        best.members.append((source, box, score))
    kept = []
    for cluster in clusters:
        who = cluster.sources
        if len(who) < min_agree:
            continue
        labels = [item_label(d) for s in who for d in sources[s]]
        out: dict[str, Any] = {
            "box": cluster.box(),
            "score": round(sum(m[2] for m in cluster.members) / len(cluster.members), 4),
            "votes": len(who),
            "sources": who,
        }
        out["label"] = cluster.label if match_labels else (labels[0] if labels else "")
        kept.append(out)
    kept.sort(key=lambda d: (-d["votes"], -d["score"]))
    return kept


def norm_text(line: str) -> str:
    return _SPACE.sub(" ", str(line).strip().lower())


def text_consensus(
    sources: Mapping[str, Sequence[Any]],
    min_agree: int,
    similarity: float = 0.8,
) -> list[dict[str, Any]]:
    """Text lines (OCR) that at least ``min_agree`` sources read alike: lines match when their
    normalized forms have a difflib ratio >= ``similarity``. A source given as one string is
    split into lines. The kept text is the group's most common spelling (first seen on ties)."""
    groups: list[dict[str, Any]] = []
    for source, lines in sources.items():
        if isinstance(lines, str):
            lines = lines.splitlines()
        for raw in lines or []:
            text = item_label(raw).strip()
            key = norm_text(text)
            if not key:
                continue
            best, best_ratio = None, similarity
            for group in groups:
                if source in group["sources"]:
                    continue
                ratio = difflib.SequenceMatcher(None, group["key"], key).ratio()
                if ratio >= best_ratio:
                    best, best_ratio = group, ratio
            if best is None:
                best = {"key": key, "spellings": [], "sources": []}
                groups.append(best)
            best["spellings"].append(text)
            best["sources"].append(source)
    kept = []
    for group in groups:
        if len(group["sources"]) < min_agree:
            continue
        spellings = group["spellings"]
        text = max(spellings, key=lambda s: (spellings.count(s), -spellings.index(s)))
        kept.append({"text": text, "votes": len(group["sources"]), "sources": group["sources"]})
    return kept
