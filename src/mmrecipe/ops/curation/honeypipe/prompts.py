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
You triage a question about an image for chain-of-thought enrichment. Give two labels.

How much reasoning does answering it need?
[[DIRECT]]: a direct perception answer (naming an object, a colour, reading one word).
[[REASONING]]: moderate step-by-step reasoning (counting, comparing, computing, reading a \
chart or a diagram, combining a few facts, inference).
[[COMPLEX]]: deep, multi-step problem solving (a competition-style math or science problem, a \
long derivation or proof, many dependent steps).

What kind of question is it?
[[FACTUAL]]: it has one objectively right answer (an option, a number, a name, a fact).
[[DESCRIPTIVE]]: it asks for a description, an explanation or an opinion, open-ended.

Reply with both labels on the last line, e.g. [[REASONING]] [[FACTUAL]]."""
    + _QA
)

#: HoneyPipe generates short CoT with no added constraints: the question alone (the format
#: suffix is a setting, ``cot_generate(format_suffix: true)``)
COT_PROMPT = "{cot_instruction}"

#: appended when ``format_suffix`` is on: a parseable final-answer line
FORMAT_SUFFIX = """

Think step by step about what the image shows and what the question needs, then give the \
final answer on the last line, starting with "Final answer:"."""

LONG_COT_PROMPT = """\
{cot_instruction}

Reason carefully and at length: describe the relevant parts of the image, consider each step \
and check it against the image, reconsider anything doubtful, then give your answer."""

#: the long-CoT trace format HoneyPipe's long branch produces: reasoning in <think> tags, then
#: the final response
LONG_THINK_PROMPT = """\
{cot_instruction}

First reason carefully and at length inside <think> and </think>: describe the relevant parts \
of the image, consider each step and check it against the image, reconsider anything \
doubtful. Then, after </think>, write your final response to the question."""

_FIDELITY_QA = '''

Question:
"""
{instruction}
"""

Reference answer:
"""
{answer}
"""

Candidate response:
"""
{cot_conclusion}
"""

Reply with [[AGREE]] or [[DISAGREE]] on the last line.'''

#: factual questions: the candidate's final answer must match the reference precisely
FIDELITY_FACTUAL_PROMPT = (
    """\
You check a new response to a FACTUAL question about the image shown against the trusted \
reference answer. Find the final answer the candidate response reaches (its conclusion, after \
any reasoning). They agree only when that final answer states precisely the same result as the \
reference: the same option, number, name or fact, whatever the wording or length."""
    + _FIDELITY_QA
)

#: descriptive questions: thematic relevance and coverage of the reference
FIDELITY_DESCRIPTIVE_PROMPT = (
    """\
You check a new response to a DESCRIPTIVE question about the image shown against the trusted \
reference answer. They agree when the candidate stays on the reference's theme, covers its \
main points and contradicts none of them (extra correct detail is fine; omitting a main point \
or contradicting one is not)."""
    + _FIDELITY_QA
)

FIDELITY_PROMPTS = {"factual": FIDELITY_FACTUAL_PROMPT, "descriptive": FIDELITY_DESCRIPTIVE_PROMPT}

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
