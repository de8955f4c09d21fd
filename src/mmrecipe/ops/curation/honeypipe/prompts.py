"""HoneyPipe's prompts (Bee-8B's curation pipeline): judges of existing question/answer pairs,
chain-of-thought triage, generation and fidelity, domain labels, and the OctoThinker-style
0-5 quality score. Every answer format is a bracketed token the parsers find defensively."""

from __future__ import annotations

_QA = '''

Question:
"""
{instruction}
"""

Given answer:
"""
{answer}
"""'''

_FOOTER = """

Explain your judgement in one or two sentences, then give the score on the last line as [[k]], \
where k is 1, 2, 3, 4 or 5."""

RELEVANCE_PROMPT = (
    """\
You judge the RELEVANCE of a question asked about the image shown: is it about this image?

[[1]] Unrelated: it is about something the image does not show at all.
[[2]] Loosely related: it mentions the image's topic but asks about things not shown.
[[3]] Partly about the image: some of what it asks is shown, some is not.
[[4]] About the image, with a minor reference to something not visible.
[[5]] Entirely about what the image shows."""
    + _FOOTER
    + _QA
)

ANSWERABILITY_PROMPT = (
    """\
You judge the ANSWERABILITY of a question asked about the image shown: can it be answered from \
the image (with common knowledge), definitively?

[[1]] Not answerable: the answer depends on information absent from the image.
[[2]] Mostly guesswork: the image gives little of what is needed.
[[3]] Partly answerable: an important detail must be assumed.
[[4]] Answerable, with a minor assumption.
[[5]] Fully answerable from the image."""
    + _FOOTER
    + _QA
)

CORRECTNESS_PROMPT = (
    """\
You judge the CORRECTNESS of the given answer to a question about the image shown: look at the \
image and check every claim of the answer.

[[1]] Wrong: the answer contradicts the image or does not answer the question.
[[2]] Mostly wrong: the main point is wrong, some details are right.
[[3]] Partly right: the main point is right but a claim is wrong or invented.
[[4]] Right, with a minor inaccuracy or omission.
[[5]] Entirely right and consistent with the image."""
    + _FOOTER
    + _QA
)

QA_PROMPTS = {
    "relevance": RELEVANCE_PROMPT,
    "answerability": ANSWERABILITY_PROMPT,
    "correctness": CORRECTNESS_PROMPT,
}

TRIAGE_PROMPT = (
    """\
You decide whether answering a question about an image needs step-by-step reasoning \
(counting, comparing, computing, reading a chart or a diagram, several facts combined, \
inference) or is a direct perception answer (naming an object, a colour, reading one word).

Reply with [[REASONING]] or [[DIRECT]] on the last line."""
    + _QA
)

COT_PROMPT = """\
{cot_instruction}

Think step by step about what the image shows and what the question needs, then give the \
final answer on the last line, starting with "Final answer:"."""

LONG_COT_PROMPT = """\
{cot_instruction}

Reason carefully and at length: describe the relevant parts of the image, consider each step \
and check it against the image, reconsider anything doubtful, then give the final answer on the \
last line, starting with "Final answer:"."""

FIDELITY_PROMPT = '''\
You check whether two answers to the same question agree. The reference answer is trusted; \
the candidate comes at the end of a chain of reasoning. They agree when they state the same \
result (the same option, number, name or fact), whatever the wording or length.

Question:
"""
{instruction}
"""

Reference answer:
"""
{answer}
"""

Candidate final answer:
"""
{cot_final}
"""

Reply with [[AGREE]] or [[DISAGREE]] on the last line.'''

DOMAIN_PROMPT = '''\
You label the domain of a visual question-answer sample. Choose exactly one label from this \
list:
{labels}

Question:
"""
{instruction}
"""

Answer:
"""
{answer}
"""

Reply with the label in double brackets on the last line, e.g. [[{example}]].'''

QUALITY_PROMPT = '''\
You rate how useful a visual question-answer sample is for training a vision-language model \
to reason, on a scale of 0 to 5:
0: broken, meaningless or harmful
1: trivial or badly written
2: acceptable but shallow
3: a clear question with a correct, useful answer
4: a question needing real understanding of the image, with a careful answer
5: an excellent, demanding question with an exemplary answer that reasons well

Question:
"""
{instruction}
"""

Answer:
"""
{answer}
"""

Explain in one sentence, then give the score on the last line as [[k]].'''
