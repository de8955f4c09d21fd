"""The COGS prompts: decompose a seed question into factors (JSON), recompose a question;
for tables and, reworded, for charts."""

from __future__ import annotations

DECOMPOSE_PROMPT = """\
You decompose a question about a table into primitive steps. The table has the columns \
{cogs_columns} (the first names each row) and the rows {cogs_rows}.

Question: {cogs_question}

Write the steps that answer it as a JSON list. Each step is an object with "factor" one of:
- "lookup": read one cell; give "row" (a row name) and "column" (a column name)
- "column": read a whole value column; give "column"
- "sum", "mean", "max", "min", "argmax", "argmin": over the last column read
- "count_above": rows of the last column read above "threshold" (a number)
- "difference": the result of step "of"[0] minus step "of"[1] (step numbers from 1)
Reply with the JSON list only."""

RECOMPOSE_PROMPT = """\
A table about {cogs_entity} rows is shown to a student. These sub-questions, answered in \
order, lead to one final answer:
{cogs_steps_text}

Write ONE natural question that asks for the final answer directly, so that answering it \
needs exactly these steps. Do not give the answer or the steps. Reply with the question only."""

# the chart seeds' prompts (recipes/cogs-chart.yaml): the same steps, the chart's data named as
# its table (ops/cogs/views.py); the table prompts above stay as they are
CHART_DECOMPOSE_PROMPT = DECOMPOSE_PROMPT.replace(
    "a question about a table into primitive steps. The table has",
    "a question about a chart into primitive steps. The chart's data table has",
)

CHART_RECOMPOSE_PROMPT = RECOMPOSE_PROMPT.replace(
    "A table about {cogs_entity} rows is shown", "{cogs_shown} is shown"
)
