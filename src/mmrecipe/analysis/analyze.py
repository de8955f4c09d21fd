"""``analyze_run``: the Oasis paper's data-attribute analysis of a finished run dir.

One streaming pass over ``samples/`` (kept) and one over ``rejects/``: lengths, type-token
ratios and score distributions are exact counters; language detection and POS tagging, the
slow measures, run on a deterministic bounded sample of instructions (the ones whose id
hashes lowest), so a run of millions of samples needs bounded memory and time.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from mmrecipe import strictjson
from mmrecipe.analysis.diversity import DEFAULT_WINDOW, TypeTokenRatio
from mmrecipe.analysis.funnel import stage_summary, step_funnel
from mmrecipe.analysis.language import detect_each
from mmrecipe.analysis.lengths import TextLengths
from mmrecipe.analysis.plots import write_plots
from mmrecipe.analysis.sampling import HashSample
from mmrecipe.analysis.scores import ScoreDistributions
from mmrecipe.analysis.text import instruction_and_response, words
from mmrecipe.analysis.verbs import top_pairs, verb_noun_counts
from mmrecipe.errors import ConfigError
from mmrecipe.io import open_reader
from mmrecipe.io.base import GuardedReader, ImageRoot, default_image_root
from mmrecipe.rundir import RunDir

ANALYSIS_DIR = "analysis"
ANALYSIS_FILE = "analysis.json"
#: Instructions sent to langdetect (~2 ms each; 0 = every instruction, as the paper counts) and,
#: of the English ones, to the parser (a deterministic sample: spaCy parses ~1-2k/s).
DEFAULT_LANGUAGE_SAMPLE = 0
DEFAULT_POS_SAMPLE = 20_000
_STORED_CHARS = 2000  # of each sampled instruction: plenty for langdetect and the first sentences


def analyze_run(
    run_dir: Path | str,
    *,
    language_sample: int = DEFAULT_LANGUAGE_SAMPLE,
    pos_sample: int = DEFAULT_POS_SAMPLE,
    mattr_window: int = DEFAULT_WINDOW,
    plots: bool = True,
    output_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Analyse RUN_DIR and write ``RUN_DIR/analysis/analysis.json`` (and the PNG plots).

    RUN_DIR may also be a dataset file in any format mmrecipe reads (LLaVA JSON, ShareGPT,
    OpenAI messages, Parquet, samples): the paper compares Oasis with LLaVA-NeXT this way. Its
    records count as kept, there is no funnel, and the output goes to ``output_dir`` (default
    ``<file stem>.analysis/`` beside the file).

    ``language_sample`` bounds how many instructions get language detection (0, the default:
    all of them, streamed); ``pos_sample`` how many English ones are parsed for verbs and
    nouns (0 = all). Instruction measures skip recycled caption samples
    (``fields.kind == "caption"``), whose "instruction" is a fixed captioning prompt;
    response lengths cover every kept sample.
    """
    source = Path(run_dir)
    layout = RunDir(source)
    if source.is_file():
        stats: dict[str, Any] = {}
        step_ops: dict[str, str] = {}
        kept_records: Iterator[dict[str, Any]] = _dataset_records(source)
        rejected_records: Iterator[dict[str, Any]] = iter(())
        out_dir = Path(output_dir) if output_dir else source.with_name(source.stem + ".analysis")
    else:
        if not layout.root.is_dir() or not layout.stats_file.exists():
            raise ConfigError(
                f"{run_dir} is neither a finished mmrecipe run dir (no stats.json) nor a dataset "
                "file: give the -o folder of a completed `mmrecipe run`, or a LLaVA/ShareGPT/"
                "Parquet file"
            )
        try:
            stats = layout.read_stats()
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{layout.stats_file} is unreadable ({exc}): rerun the recipe"
            ) from exc
        step_ops = _step_ops(layout)
        kept_records = _records(layout, layout.samples)
        rejected_records = _records(layout, layout.rejects)
        out_dir = Path(output_dir) if output_dir else layout.root / ANALYSIS_DIR

    instr_lengths, resp_lengths = TextLengths(), TextLengths()
    instr_ttr, resp_ttr = TypeTokenRatio(mattr_window), TypeTokenRatio(mattr_window)
    scores = ScoreDistributions()
    # every instruction's language, streamed (default), or a deterministic sample of them
    streaming = language_sample <= 0
    sample: HashSample[str] = HashSample(language_sample if not streaming else 1)
    languages: Counter[str] = Counter()
    english_pool: HashSample[str] = HashSample(pos_sample if pos_sample > 0 else 1 << 62)
    detected = 0
    batch: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal detected
        codes = detect_each([text for _, text in batch])
        detected += len(codes)
        for (key, text), code in zip(batch, codes, strict=True):
            languages[code] += 1
            if code == "en":
                english_pool.add(key, text)
        batch.clear()

    counts: Counter[str] = Counter()
    domains: Counter[str] = Counter()

    for record in kept_records:
        counts["kept"] += 1
        fields = record.get("fields") or {}
        if isinstance(fields.get("domain"), str):
            domains[fields["domain"]] += 1
        scores.add(record.get("scores"), "kept")
        instruction, response = instruction_and_response(record)
        if response:
            tokens = words(response)
            resp_lengths.add(response, tokens)
            resp_ttr.add(tokens)
        if fields.get("kind") == "caption":
            counts["caption"] += 1
            continue
        if not instruction:
            counts["without_instruction"] += 1
            continue
        counts["instructions"] += 1
        tokens = words(instruction)
        instr_lengths.add(instruction, tokens)
        instr_ttr.add(tokens)
        key = f"{record.get('id', '')}\x1f{instruction}"
        if streaming:
            batch.append((key, instruction[:_STORED_CHARS]))
            if len(batch) >= 512:
                flush()
        else:
            sample.add(key, instruction[:_STORED_CHARS])

    for record in rejected_records:
        counts["rejected"] += 1
        scores.add(record.get("scores"), "rejected")

    if streaming:
        flush()
        english = english_pool.items()
    else:
        texts = sample.items()
        codes = detect_each(texts)
        languages.update(codes)
        detected = len(texts)
        english = [t for t, code in zip(texts, codes, strict=True) if code == "en"]
        if pos_sample > 0:
            english = english[:pos_sample]
    verb_noun = _verb_noun(english)
    funnel = step_funnel(stats, step_ops)

    analysis: dict[str, Any] = {
        "run_dir": str(source),
        "counts": {k: counts.get(k, 0) for k in _COUNT_KEYS},
        "instruction_length": instr_lengths.result(),
        "response_length": resp_lengths.result(),
        "type_token_ratio": {
            "instruction": instr_ttr.result(),
            "response": resp_ttr.result(),
            "note": (
                "ttr = distinct words / words over the whole corpus (Oasis Tab. 7; falls as "
                "the corpus grows); mattr = moving-average TTR over windows of "
                f"{mattr_window} words (independent of corpus size: compare runs with this)"
            ),
        },
        "languages": dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        "languages_meta": {
            "method": "langdetect, DetectorFactory.seed = 0",
            "detected": detected,
            "instructions": counts.get("instructions", 0),
            "sampled": detected < counts.get("instructions", 0),
        },
        "verb_noun": verb_noun["table"],
        "verb_counts": verb_noun["verb_counts"],
        "scores": scores.result(),
        "funnel": funnel,
        "funnel_stages": stage_summary(funnel, stats),
        "domains": dict(sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    if plots:
        analysis["plots"] = [p.name for p in write_plots(analysis, out_dir)]
    target = out_dir / ANALYSIS_FILE
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(strictjson.dumps(analysis, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)
    analysis["output_dir"] = str(out_dir)
    return analysis


_COUNT_KEYS = ("kept", "rejected", "instructions", "caption", "without_instruction")


def _records(layout: RunDir, folder: Path) -> Any:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(
                        f"{path}:{n} is not valid JSON ({exc.msg}): the run dir is damaged; "
                        "rerun the recipe into it to rewrite the shard"
                    ) from exc
                if isinstance(record, dict):
                    yield record


def _dataset_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a dataset file as sample dicts; unreadable records are skipped (the
    reader reports them as rejected samples)."""
    with tempfile.TemporaryDirectory(prefix="mmrecipe-analyze-") as tmp:
        # the same dataset root as run and convert: a record naming an image outside it is
        # rejected there, so it is not analysed here, and a file the dataset names (an
        # InternVL meta's annotation) outside it is never read
        root = ImageRoot(default_image_root(path))
        reader = open_reader("auto", path, image_root=root, materialize_dir=Path(tmp))
        for sample in GuardedReader(reader, path):
            if not sample.rejected:
                yield sample.to_dict()


def _verb_noun(english: list[str]) -> dict[str, Any]:
    result = verb_noun_counts(english)
    table: dict[str, Any] = {
        "available": result.available,
        "backend": result.backend,
        "note": result.note,
        "instructions_tagged": result.tagged,
        "instructions_with_pair": sum(result.pairs.values()),
    }
    pairs = top_pairs(result) if result.available else {}
    table.update(pairs)
    return {"table": table, "verb_counts": {v: result.verbs[v] for v in pairs}}


def _step_ops(layout: RunDir) -> dict[str, str]:
    """Step name -> op registry name, from the run's resolved recipe (empty if unreadable)."""
    try:
        data = yaml.safe_load(layout.recipe_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    out: dict[str, str] = {}
    for step in data.get("ops") or []:
        if isinstance(step, dict) and isinstance(step.get("op"), str):
            out[str(step.get("name") or step["op"])] = step["op"]
    return out
