"""The factor algebra COGS programs are written in, over a table's ground truth.

The seeds describe COGS as breaking seed questions "into primitive perception and reasoning
factors" and recombining them "with new images". Our factors: perception reads a cell
(``lookup``) or a column (``column``); reasoning folds the last column read (``sum``, ``mean``,
``max``, ``min``, ``argmax``, ``argmin``, ``count_above``) or combines two earlier results
(``difference``). Columns and rows are bound by position, so a program from one table runs on
any table with enough columns and rows. Every value is computed here, never by a model.
"""

from __future__ import annotations

from typing import Any

from mmrecipe.synth.table import fmt_num, parse_number

PERCEPTION = ("lookup", "column")
REASONING = ("sum", "mean", "max", "min", "argmax", "argmin", "count_above", "difference")
FACTORS = PERCEPTION + REASONING
#: the longest program kept (a model that writes 40 steps has not decomposed anything)
MAX_STEPS = 8


class FactorError(ValueError):
    """A program that does not fit the algebra or the table it runs on."""


def bind_program(steps: Any, header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    """Validate a model's steps against the seed table; names become positions."""
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise FactorError(f"a program is a list of 1..{MAX_STEPS} steps")
    names = [h.lower() for h in header]
    entities = [r[0].lower() for r in rows]
    bound: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or step.get("factor") not in FACTORS:
            raise FactorError(f"step {i + 1}: factor must be one of {', '.join(FACTORS)}")
        out: dict[str, Any] = {"factor": step["factor"]}
        if step["factor"] in PERCEPTION:
            col = str(step.get("column", "")).lower()
            if col not in names[1:]:
                raise FactorError(
                    f"step {i + 1}: column {step.get('column')!r} is not a value column"
                )
            out["column"] = names.index(col)
        if step["factor"] == "lookup":
            row = str(step.get("row", "")).lower()
            if row not in entities:
                raise FactorError(f"step {i + 1}: row {step.get('row')!r} is not in the table")
            out["row"] = entities.index(row)
        elif step["factor"] in REASONING[:-1]:
            if not any(b["factor"] == "column" for b in bound):
                raise FactorError(f"step {i + 1}: {step['factor']} needs a column read before it")
            if step["factor"] == "count_above":
                threshold = step.get("threshold")
                if not isinstance(threshold, int | float) or isinstance(threshold, bool):
                    raise FactorError(f"step {i + 1}: count_above needs a numeric threshold")
                out["threshold"] = float(threshold)
        elif step["factor"] == "difference":
            of = step.get("of")
            ok = isinstance(of, list) and len(of) == 2
            if not ok or not all(isinstance(j, int) and 1 <= j <= i for j in of):
                raise FactorError(f"step {i + 1}: difference needs 'of': two earlier step numbers")
            if any(bound[j - 1]["factor"] in ("column", "argmax", "argmin") for j in of):
                raise FactorError(f"step {i + 1}: difference needs two numbers")
            out["of"] = list(of)
        bound.append(out)
    if bound[-1]["factor"] == "column":
        raise FactorError("the last step must give one value, not a whole column")
    return bound


def run_program(
    program: list[dict[str, Any]], table: dict[str, Any], unique_extrema: bool = False
) -> list[dict[str, Any]]:
    """Each step's sub-question and answer on ``table`` (its ground truth, or a chart's table
    view: ``views.py``), in order. ``unique_extrema`` refuses a tied argmax/argmin (a reader
    could name either), so a new image with a tie is redrawn."""
    header, rows, decimals = table["header"], table["rows"], table["decimals"]
    if any(s.get("column", 0) >= len(header) or s.get("row", 0) >= len(rows) for s in program):
        raise FactorError("the program needs more columns or rows than this table has")
    entity = header[0].lower()
    chart = table.get("kind") == "chart"
    values: list[float | None] = []
    trace: list[dict[str, Any]] = []
    col = 0
    for step in program:
        factor = step["factor"]
        value: float | None = None
        if factor == "lookup":
            col, r = step["column"], step["row"]
            text = rows[r][col]
            value = float(parse_number(text) or 0.0)
            q = f"What is the {header[col]} of {rows[r][0]}?"
        elif factor == "column":
            col = step["column"]
            text = ", ".join(f"{r[0]}: {r[col]}" for r in rows)
            q = (
                f"Read the {header[col]} value of every {entity} in the chart."
                if chart
                else f"Read the {header[col]} column for every {entity}."
            )
        elif factor == "difference":
            a, b = (values[j - 1] for j in step["of"])
            assert a is not None and b is not None
            dec = max(decimals[1:])
            value = round(a - b, dec)
            text = fmt_num(value, dec)
            q = f"What is the result of step {step['of'][0]} minus the result of step {step['of'][1]}?"
        else:
            nums = [float(parse_number(r[col]) or 0.0) for r in rows]
            dec = decimals[col]
            if factor in ("sum", "mean", "max", "min"):
                value = {"sum": sum, "mean": lambda v: sum(v) / len(v), "max": max, "min": min}[
                    factor
                ](nums)
                value = round(value, 2 if factor == "mean" else dec)
                text = f"{value:.2f}" if factor == "mean" else fmt_num(value, dec)
                word = {"sum": "total", "mean": "average", "max": "largest", "min": "smallest"}
                q = f"What is the {word[factor]} {header[col]}?"
            elif factor in ("argmax", "argmin"):
                pick = max if factor == "argmax" else min
                if unique_extrema and nums.count(pick(nums)) > 1:
                    raise FactorError(f"{factor}: several {entity} values tie")
                text = rows[nums.index(pick(nums))][0]
                q = f"Which {entity} has the {'highest' if factor == 'argmax' else 'lowest'} {header[col]}?"
            else:
                threshold = step["threshold"]
                value = float(sum(1 for v in nums if v > threshold))
                text = str(int(value))
                rows_word = f"{entity} values" if chart else f"{entity} rows"
                q = f"How many {rows_word} have {header[col]} above {fmt_num(threshold, dec)}?"
        values.append(value)
        trace.append({"factor": factor, "question": q, "answer": text})
    return trace
