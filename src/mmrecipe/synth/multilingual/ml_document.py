"""The ``multilingual_document`` generator: pages, forms and merged-cell tables per language.

Languages are a setting with ratios (en fr ru ar hi zh ja); each page is in one language, its
text from that language's grammar (no word salad), in a Noto face of its script, shaped by
raqm, right-aligned and mirrored for Arabic. Every line is a region with its quad, so
``text_region_consensus`` can read documents back as it does scene text.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from typing import Any

from mmrecipe.errors import ConfigError
from mmrecipe.synth.base import Generator, SynthItem, check_choices, register_generator
from mmrecipe.synth.multilingual.fonts import FontFace, font_catalog
from mmrecipe.synth.multilingual.languages import LanguageMix, script_of
from mmrecipe.synth.multilingual.ml_pages import make_form, make_page
from mmrecipe.synth.multilingual.ml_table import make_table, parse_html_cells, table_html
from mmrecipe.synth.multilingual.scene_text import _degrade

MODES = ("page", "form", "table")
TASKS_BY_MODE = {
    "page": ("ocr", "read_field"),
    "form": ("read_field", "key_values"),
    "table": ("table_html", "cell_value", "merged_span"),
}
TASKS = tuple(dict.fromkeys(t for ts in TASKS_BY_MODE.values() for t in ts))


@lru_cache(maxsize=8)
def _catalog(
    scripts: tuple[str, ...], alphabets: tuple[tuple[str, str], ...], dirs: tuple[str, ...]
) -> dict[str, list[FontFace]]:
    return font_catalog(list(scripts), dict(alphabets), list(dirs) or None)


@register_generator("multilingual_document")
class MultilingualDocumentGenerator(Generator):
    """Pages, forms with key-value fields and tables with merged cells, in several languages.

    Difficulty 1: large type; 2: smaller type, slight blur; 3: small type, blur and noise."""

    def __init__(
        self,
        languages: dict[str, float] | list[str] | None = None,
        modes: list[str] | None = None,
        tasks: list[str] | None = None,
        font_dirs: list[str] | None = None,
    ) -> None:
        mix = LanguageMix(languages)
        self.languages = mix.ratios
        self.modes = check_choices("mode", modes, MODES)
        self.tasks = check_choices("task", tasks, TASKS)
        if not any(set(TASKS_BY_MODE[m]) & set(self.tasks) for m in self.modes):
            raise ConfigError("no mode of modes supports any task of tasks")
        self._mix = mix
        self._catalog = _catalog(
            tuple(mix.scripts), tuple(sorted(mix.alphabets().items())), tuple(font_dirs or ())
        )

    def make(self, rng: random.Random, difficulty: int) -> SynthItem:
        mode = rng.choice([m for m in self.modes if set(TASKS_BY_MODE[m]) & set(self.tasks)])
        language = self._mix.draw(rng)
        faces = self._catalog[script_of(language)]
        maker = {"page": make_page, "form": make_form, "table": make_table}[mode]
        image, gt = maker(rng, language, faces, difficulty)
        blur = {1: 0.0, 2: round(rng.uniform(0.0, 0.4), 2), 3: round(rng.uniform(0.3, 0.7), 2)}
        noise = {1: 0.0, 2: 0.0, 3: 5.0}[difficulty]
        image = _degrade(image, rng, blur[difficulty], noise)
        gt["render"] = {"blur": blur[difficulty], "noise": noise, "size": list(image.size)}
        task = rng.choice([t for t in TASKS_BY_MODE[mode] if t in self.tasks])
        gt["question"] = _question(rng, task, gt)
        return SynthItem(
            images=[image],
            task=task,
            ground_truth=gt,
            question=gt["question"]["text"],
            answer=derive_answer(gt),
            extra={"ocr_mode": mode, "language": language},
        )

    def verify(self, ground_truth: dict[str, Any], answer: str) -> str | None:
        expected = derive_answer(ground_truth)
        task = ground_truth["question"]["task"]
        if task == "table_html":
            got = parse_html_cells(answer)
            if got is None:
                return "the answer is not an HTML table"
            return None if got == parse_html_cells(expected) else "table cells or spans differ"
        if task == "key_values":
            try:
                got_fields = json.loads(answer)
            except ValueError:
                return "the answer is not a JSON object"
            return None if got_fields == json.loads(expected) else "fields differ"
        if task == "ocr":
            got_lines = [" ".join(x.split()) for x in answer.strip().splitlines()]
            return None if got_lines == expected.splitlines() else "transcription differs"
        if " ".join(expected.split()).casefold() != " ".join(answer.split()).casefold():
            return f"expected {expected!r}, got {answer!r}"
        return None


def _question(rng: random.Random, task: str, gt: dict[str, Any]) -> dict[str, Any]:
    q: dict[str, Any] = {"task": task}
    kind = {"page": "document", "form": "form", "table": "table"}[gt["mode"]]
    if task == "ocr":
        q["text"] = rng.choice(
            (
                "Transcribe the document line by line.",
                "Read all the text on this page, one line per line.",
                "Write out every line of the document exactly as printed.",
            )
        )
    elif task == "read_field":
        key = rng.choice(sorted(gt["fields"]))
        q.update(key=key, text=f'What is the value of the field "{key}" on this {kind}?')
    elif task == "key_values":
        q["text"] = (
            "Extract every field of the form as a JSON object that maps each label to the value "
            "written in its box."
        )
    elif task == "table_html":
        q["text"] = (
            "Convert the table to HTML (<table>, <tr>, <th> for header cells, <td> for the "
            "others), keeping merged cells as rowspan/colspan."
        )
    elif task == "cell_value":
        body = [c for c in gt["cells"] if not c.get("header") and c["c"] >= 2]
        cell = rng.choice(body)
        item = _at(gt, cell["r"], 1)
        group = next(
            c for c in gt["cells"] if c["c"] == 0 and c["r"] <= cell["r"] < c["r"] + c["rowspan"]
        )
        month = _at(gt, 1, cell["c"])
        q.update(
            cell=[cell["r"], cell["c"]],
            text=f'In the table, what is the value for "{item["text"]}" in "{group["text"]}" '
            f'under "{month["text"]}"?',
        )
    elif task == "merged_span":
        group = rng.choice([c for c in gt["cells"] if c["c"] == 0 and not c.get("header")])
        q.update(
            cell=[group["r"], 0],
            text=f'How many body rows does the merged cell "{group["text"]}" span?',
        )
    else:
        raise ConfigError(f"unknown document task {task!r}")
    return q


def _at(gt: dict[str, Any], r: int, c: int) -> dict[str, Any]:
    return next(x for x in gt["cells"] if x["r"] == r and x["c"] == c)


def derive_answer(gt: dict[str, Any]) -> str:
    q = gt["question"]
    task = q["task"]
    if task == "ocr":
        return "\n".join(r["text"] for r in gt["regions"])
    if task == "read_field":
        return str(gt["fields"][q["key"]])
    if task == "key_values":
        return json.dumps(gt["fields"], ensure_ascii=False)
    if task == "table_html":
        return table_html(gt)
    if task == "cell_value":
        return str(_at(gt, *q["cell"])["text"])
    if task == "merged_span":
        return str(_at(gt, *q["cell"])["rowspan"])
    raise ValueError(f"unknown document task {task!r}")
