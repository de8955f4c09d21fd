"""Scripted answers for the fake OpenAI server (``openai_server --script NAME``): responders
that carry every sample through a family's recipes in a dry run (Oasis, the annotation recipes,
HoneyPipe, image generation), and ``by_marker`` for a test's own rules. Apart from the server so
that a script reads as what the recipe's prompts get back, not as HTTP handling."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from mmrecipe.testing.imagegen_script import imagegen_script
from mmrecipe.testing.video_script import video_script


def text_of(content: Any) -> str:
    """A message's content as the text a template would show (an image as its Qwen segment)."""
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if part.get("type") == "text":
            parts.append(part.get("text", ""))
        elif part.get("type") == "image_url":
            parts.append("<|vision_start|><|image_pad|><|vision_end|>")
        elif part.get("type") == "video_url":
            parts.append("<|vision_start|><|video_pad|><|vision_end|>")
    return "".join(parts)


def image_tag(messages: list[dict[str, Any]]) -> str:
    """A short digest of the images sent, so the same prompt on two images is two keys."""
    urls = [
        p[p["type"]]["url"]
        for m in messages
        if isinstance(m.get("content"), list)
        for p in m["content"]
        if p.get("type") in ("image_url", "video_url")
    ]
    if not urls:
        return ""
    return " #img:" + hashlib.sha1("".join(urls).encode()).hexdigest()[:8]


def oasis_script(body: dict[str, Any]) -> str | None:
    """Answers that carry every sample through the Oasis recipe (benchmarks, smoke runs): the
    categorizer finds an instruction, every judge gives full marks, captions are kept."""
    if body.get("continue_final_message"):  # a hook: a different instruction per image
        return f"What stands out most in this picture{image_tag(body['messages'])}?"
    text = text_of(body.get("messages", [{}])[-1].get("content"))
    if text.startswith("You sort texts"):
        return "Instruction: " + text.rsplit("\nText: ", 1)[-1]
    if "[[k]]" in text:
        return "Nothing is wrong with it. [[5]]"
    if text.startswith("You check texts"):
        return "Caption: " + text.rsplit("\nText: ", 1)[-1]
    return None


def by_marker(
    rules: dict[str, str | Callable[[dict[str, Any]], str | None]],
) -> Callable[[dict[str, Any]], str | None]:
    """A responder that answers by the first marker (a substring) found in the request's text,
    system prompt included; a rule is a fixed answer or ``body -> answer``. Requests no rule
    matches get the default ``answer to: ...``."""

    def respond(body: dict[str, Any]) -> str | None:
        text = "\n".join(text_of(m.get("content")) for m in body.get("messages", []))
        for marker, rule in rules.items():
            if marker in text:
                return rule(body) if callable(rule) else rule
        return None

    return respond


def annotations_script(body: dict[str, Any]) -> str | None:
    """Answers that carry every sample through the annotation recipes (LLaVA-Instruct, ALLaVA,
    LLaVAR, MMEvol, ...): QA lists as JSON, evolutions that every judge passes."""
    text = "\n".join(text_of(m.get("content")) for m in body.get("messages", []))
    tag = image_tag(body.get("messages", [])) or f" #{hashlib.sha1(text.encode()).hexdigest()[:6]}"
    if "You check an evolved" in text:
        return json.dumps({"harder": 4, "correct": 5, "reason": "harder and still correct"})
    if "You evolve visual" in text:
        return json.dumps(
            {"question": f"What fine detail stands out{tag}?", "answer": "A small one."}
        )
    if "Reply with JSON only: a list" in text:
        return json.dumps(
            [
                {"question": f"What is shown{tag}?", "answer": "A scene worth describing."},
                {"question": "What else is there?", "answer": "More of the same scene."},
            ]
        )
    return None


def honeypipe_script(body: dict[str, Any]) -> str | None:
    """Answers that carry every sample through ``recipes/honeypipe.yaml``: full marks from
    the judges, every question needs reasoning (factual), the fidelity check agrees, domain
    ``general``; anything else is a CoT request (the short one is the question alone)."""
    text = text_of(body.get("messages", [{}])[-1].get("content"))
    text = text.replace("<|vision_start|><|image_pad|><|vision_end|>", "").lstrip()
    if text.startswith("You judge the"):
        return "Fine in every respect. [[5]]"
    if text.startswith("You triage a question"):
        return "[[REASONING]] [[FACTUAL]]"
    if text.startswith("You check a new response"):
        return "[[AGREE]]"
    if text.startswith("You label the domain"):
        return "[[general]]"
    if text.startswith("You rate how useful"):
        return "[[4]]"
    if "inside <think> and </think>" in text:
        return "<think>Step 1: look at the image. Step 2: reason.</think>\nThe answer (scripted)."
    return "Step 1: look at the image. Step 2: reason.\nFinal answer: (scripted)"


def magpie_script(body: dict[str, Any]) -> str | None:
    """Answers that carry every sample through recipes/magpie.yaml: a text-only hook (no image
    part) writes an instruction in the system prompt's language, every judge gives full marks."""
    messages = body.get("messages", [])
    if body.get("continue_final_message") and not image_tag(messages):
        system = next((text_of(m.get("content")) for m in messages if m["role"] == "system"), "")
        language = system.split(" in ", 1)[1].split()[0].rstrip(",.") if " in " in system else ""
        return f"Explain how a rainbow forms{' (' + language + ')' if language else ''}."
    if "[[k]]" in text_of(messages[-1].get("content") if messages else ""):
        return "Clear, solvable and meaningful. [[5]]"
    return None


def cogs_script(body: dict[str, Any]) -> str | None:
    """Answers for recipes/cogs.yaml and cogs-chart.yaml: a decomposition that reads the asked
    column and folds it the way the seed question says (the synth table's wording; a chart's
    value, extrema and difference questions), and a recomposed question."""
    text = text_of((body.get("messages") or [{}])[-1].get("content"))
    if text.startswith("You decompose"):
        columns = text.split("the columns ", 1)[1].split(" (the first", 1)[0]
        names = [c.strip().strip("'") for c in columns.split(", ")]
        question = text.split("Question: ", 1)[1].split("\n", 1)[0]
        column = next((c for c in names[1:] if c.lower() in question.lower()), names[1])
        if text.startswith("You decompose a question about a chart"):
            return _cogs_chart_program(text, question, column)
        folds = {"total": "sum", "average": "mean", "highest": "argmax", "lowest": "argmin"}
        fold = next((f for w, f in folds.items() if w in question.lower()), "max")
        return json.dumps([{"factor": "column", "column": column}, {"factor": fold}])
    if "is shown to a student" in text:
        steps = [line.split(". ", 1)[1] for line in text.splitlines() if line[:1].isdigit()]
        shown = "chart" if " chart of " in text.split("\n", 1)[0] else "table"
        return f"Looking at the {shown}: " + steps[-1]
    return None


def _cogs_chart_program(text: str, question: str, column: str) -> str:
    """A chart seed's program: a value is a lookup, an extreme a column fold, a difference two
    lookups in the question's order (its absolute value: a smaller first is a wrong program)."""
    rows = [
        r.strip().strip("'") for r in text.split("the rows ", 1)[1].split(".\n", 1)[0].split(", ")
    ]
    named = sorted((question.find(f" {r}"), r) for r in rows if f" {r}" in question)
    if "highest" in question or "lowest" in question:
        fold = "argmax" if "highest" in question else "argmin"
        return json.dumps([{"factor": "column", "column": column}, {"factor": fold}])
    steps: list[dict[str, Any]] = [
        {"factor": "lookup", "row": r, "column": column} for _, r in named[:2]
    ]
    if len(steps) == 2:
        steps.append({"factor": "difference", "of": [1, 2]})
    return json.dumps(steps)


SCRIPTS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "oasis": oasis_script,
    "annotations": annotations_script,
    "honeypipe": honeypipe_script,
    # the image-generation recipes' text steps (captions, edit instructions, contrastive captions)
    "imagegen": imagegen_script,
    # the video and multi-image recipes (keyframe captions, QA JSON, motion names)
    "video": video_script,
    # recipes/magpie.yaml: text-only hooks and the text judges
    "magpie": magpie_script,
    # recipes/cogs.yaml: decompositions as JSON, recomposed questions
    "cogs": cogs_script,
}
