"""Text-only rubrics for Magpie instructions: Oasis' clarity, solvability and nonsense
dimensions (scored 1-5 as ``[[k]]``), with the image taken out of each description."""

from __future__ import annotations

_RATING_FOOTER = """\

Rate this dimension only; ignore the others. Be strict: give a score only when the instruction \
fully meets its description, and give 5 only when nothing at all is wrong. Explain your \
judgement in one or two sentences, then give the score on the last line as [[k]], where k is \
1, 2, 3, 4 or 5.

Instruction:
\"\"\"
{instruction}
\"\"\""""

TEXT_SOLVABILITY_PROMPT = (
    """\
You judge the SOLVABILITY of an instruction that a user gives to a text-only AI assistant: \
does the instruction itself, with general knowledge, give everything needed to answer it?

Scoring criteria:
[[1]] Not solvable: it depends on a file, image, link, earlier conversation or private fact \
that is not given, or it cannot be answered at all.
[[2]] Barely solvable: most of what is needed is missing and would have to be invented.
[[3]] Partly solvable: the main information is there, but an important detail must be assumed.
[[4]] Mostly solvable: only a minor detail needs a reasonable assumption.
[[5]] Fully solvable: the instruction and common knowledge give everything needed for a \
complete and verifiable answer."""
    + _RATING_FOOTER
)

TEXT_CLARITY_PROMPT = (
    """\
You judge the CLARITY of an instruction that a user gives to a text-only AI assistant: how \
precisely does it convey its intent, and does it allow a definitive answer?

Scoring criteria:
[[1]] Unclear: the intent cannot be worked out; it could mean many unrelated things.
[[2]] Vague: a topic is visible, but what is asked is left open.
[[3]] Somewhat clear: understandable, but an unclear reference or undefined scope or format \
leaves more than one reasonable reading.
[[4]] Clear: the intent is clear; a small ambiguity remains that barely affects the answer.
[[5]] Perfectly clear: one precise reading, with what is asked and in what form unambiguous."""
    + _RATING_FOOTER
)

TEXT_NONSENSE_PROMPT = (
    """\
You judge NONSENSE in an instruction written for a text-only AI assistant (judge the language \
only): is it grammatically correct, coherent and semantically meaningful, in whatever language \
it is written?

Scoring criteria:
[[1]] Nonsense: gibberish, random tokens, broken markup, or words that do not form a request.
[[2]] Mostly nonsense: fragments of a request drowned in repetition or garbled text.
[[3]] Partly meaningful: a request can be recognised, but cut-off sentences or contradictions \
make parts of it meaningless.
[[4]] Meaningful with flaws: small grammar or wording mistakes that do not change its meaning.
[[5]] Fully meaningful: grammatical, coherent, complete and sensible from start to end."""
    + _RATING_FOOTER
)
