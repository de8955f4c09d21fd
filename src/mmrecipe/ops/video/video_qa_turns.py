"""LLaVA-Video-178K-style QA: a model's JSON list of questions becomes checked turns."""

from __future__ import annotations

import json
import re
from typing import Any

from mmrecipe.ops.base import MapOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample
from mmrecipe.stats import current_step_stats

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
LETTERS = "ABCDEFGH"


def parse_qa(text: str) -> dict[str, Any]:
    """The JSON object in a model answer (a fenced block or the outermost braces)."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the QA answer is not a JSON object")
    return data


def check_choice(item: Any) -> tuple[str, str] | str:
    """A multiple-choice item as (question with lettered options, answer letter), or why not."""
    if not isinstance(item, dict):
        return "not_an_object"
    question, options, answer = item.get("question"), item.get("options"), item.get("answer")
    if isinstance(options, dict):
        letters, texts = list(options), list(options.values())
    elif isinstance(options, list):
        letters, texts = list(LETTERS[: len(options)]), options
    else:
        return "no_options"
    if not isinstance(question, str) or not question.strip():
        return "no_question"
    if not 2 <= len(texts) <= len(LETTERS) or letters != list(LETTERS[: len(texts)]):
        return "bad_options"
    if not all(isinstance(t, str) and t.strip() for t in texts) or len(set(texts)) != len(texts):
        return "bad_options"
    letter = str(answer or "").strip().rstrip(".").strip("()")[:1].upper()
    if letter not in letters:
        return "answer_not_an_option"
    lines = [question.strip(), *(f"{k}. {t.strip()}" for k, t in zip(letters, texts, strict=True))]
    lines.append("Answer with the option's letter from the given choices directly.")
    return "\n".join(lines), letter


@register_op("video_qa_turns")
class VideoQATurns(MapOp):
    """Parse the QA a model wrote from a video's caption (``{"open_ended": [{"question",
    "answer"}], "multiple_choice": [{"question", "options", "answer"}]}``) into conversation
    turns, the video placeholder in the first. A multiple-choice item is kept only when its
    options are ``A``.. (a dict) or a list, distinct, and its answer letter is one of them;
    the prompt format is LLaVA-Video-178K's ("Answer with the option's letter from the given
    choices directly."). Dropped items are counted in the step's ``routed`` stats by reason.

    Rejects: ``unparsable_qa`` (no JSON object), ``no_valid_qa`` (nothing survived the checks).

    Args:
        field: the model's answer
        max_pairs: most QA pairs kept per video (open-ended first, then multiple choice)
    """

    writes = ("messages", "fields.qa_pairs")

    def __init__(self, field: str = "qa_json", max_pairs: int = 8) -> None:
        self.field = field
        self.max_pairs = max_pairs
        self.reads = (f"fields.{field}",)

    def process_batch(self, samples: list[Sample]) -> list[Sample]:
        stats = current_step_stats.get()
        for sample in samples:
            if sample.rejected:
                continue
            try:
                data = parse_qa(str(sample.fields.get(self.field) or ""))
            except (ValueError, json.JSONDecodeError) as exc:
                sample.reject(self.name, "unparsable_qa", str(exc)[:200])
                continue
            pairs: list[dict[str, str]] = []
            for item in data.get("open_ended") or []:
                q = item.get("question") if isinstance(item, dict) else None
                a = item.get("answer") if isinstance(item, dict) else None
                if isinstance(q, str) and q.strip() and isinstance(a, str) and a.strip():
                    pairs.append({"kind": "open_ended", "question": q.strip(), "answer": a.strip()})
                elif stats is not None:
                    stats.routed["dropped_open_ended"] += 1
            for item in data.get("multiple_choice") or []:
                checked = check_choice(item)
                if isinstance(checked, str):
                    if stats is not None:
                        stats.routed[f"dropped_choice_{checked}"] += 1
                    continue
                pairs.append(
                    {"kind": "multiple_choice", "question": checked[0], "answer": checked[1]}
                )
            pairs = pairs[: self.max_pairs]
            if not pairs:
                sample.reject(self.name, "no_valid_qa", "no question passed the checks")
                continue
            lead = "\n".join(["<video>"] * len(sample.videos) + ["<image>"] * len(sample.images))
            messages: list[dict[str, Any]] = []
            for i, pair in enumerate(pairs):
                question = f"{lead}\n{pair['question']}" if i == 0 and lead else pair["question"]
                messages += [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": pair["answer"]},
                ]
            sample.messages = messages
            sample.fields["qa_pairs"] = pairs
        return samples
