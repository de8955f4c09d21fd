"""Scripted answers for the video and multi-image recipes (``--script video``): keyframe
captions, dense captions, QA JSON (one multiple-choice item with a wrong letter, which the
recipe must drop), motion instructions that name what the generated clips do, comparison QA."""

from __future__ import annotations

import json
from typing import Any


def _text(body: dict[str, Any]) -> str:
    out = []
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p.get("text", "") for p in content or [] if p.get("type") == "text")
    return "\n".join(out)


def video_script(body: dict[str, Any]) -> str | None:
    text = _text(body)
    if "first keyframe of a video" in text:
        return "A yellow square on a blue checkered floor."
    if "two consecutive keyframes" in text:
        return "The square moved to the right; the scene then cut to a red floor."
    if "Write one dense caption" in text:
        return (
            "A yellow square slides to the right across a blue checkered floor; then the shot "
            "cuts to a red floor where a green disk moves down."
        )
    if "Write question-answer pairs" in text:
        return json.dumps(
            {
                "open_ended": [
                    {"question": "What moves first?", "answer": "A yellow square."},
                    {
                        "question": "What happens after the cut?",
                        "answer": "A green disk moves down.",
                    },
                ],
                "multiple_choice": [
                    {
                        "question": "Which way does the square move?",
                        "options": {"A": "Left", "B": "Right", "C": "Up", "D": "Down"},
                        "answer": "B",
                    },
                    {
                        "question": "What colour is the disk?",
                        "options": {"A": "Green", "B": "Blue"},
                        "answer": "E",
                    },
                ],
            }
        )
    if "Name the motion" in text:
        # the verification compares this with the measured flow
        return json.dumps(
            {
                "motion": "object_motion",
                "direction": "right",
                "instruction": "Move the square to the right.",
            }
        )
    if "Compare the images" in text:
        return json.dumps(
            {
                "open_ended": [
                    {
                        "question": "How do Image 1 and Image 2 differ?",
                        "answer": "They show different scenes.",
                    }
                ],
                "multiple_choice": [
                    {
                        "question": "Which image comes first?",
                        "options": {"A": "Image 1", "B": "Image 2"},
                        "answer": "A",
                    }
                ],
            }
        )
    if "Describe this video" in text:
        return "A yellow square slides right, then the scene cuts to a green disk moving down."
    return None
