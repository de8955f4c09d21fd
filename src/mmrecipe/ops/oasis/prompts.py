"""The prompts of the Oasis pipeline, written for mmrecipe.

The paper's own prompts are figures (Appendix B); these follow what it says of them: the
categorizer is few-shot and sees instructions hidden in long text, followed by answers, in
interrogative, imperative and multiple-choice form; every quality rubric describes each score
from 1 to 5, because "models have a strong tendency to score a 5 with plain prompt". Each prompt
names its dimension and asks for the score as ``[[k]]``. Placeholders are ``{field}`` names
filled from ``sample.fields``.
"""

from __future__ import annotations

#: the categorizer's two reply forms (the official code's protocol)
INSTRUCTION_PREFIX = "Instruction:"
NO_INSTRUCTION = "NO_INST"

CATEGORIZE_PROMPT = """\
You sort texts that a vision-language model wrote after being shown an image with no question.
Some texts contain an instruction that a user could give about the image: a question, a request, \
a task, or a multiple-choice question. Others only describe the image (a caption), or are noise.

If the text contains an instruction, reply with:
Instruction: <the instruction>
Copy the instruction word for word, complete: keep every line of a multi-line instruction and \
every option of a multiple-choice question. Leave out any answer, explanation or description \
that comes before or after it. Keep its language; do not translate, answer or change it.

If the text contains no instruction, reply with exactly:
NO_INST

Examples.

Text: What is the man in the red jacket holding in his left hand? He is holding a black \
umbrella, probably because rain is expected.
Instruction: What is the man in the red jacket holding in his left hand?

Text: A golden retriever lies on a wooden porch next to a pair of muddy boots, with autumn \
leaves scattered across the steps.
NO_INST

Text: Which of the following best describes the weather in the picture?
A. Sunny
B. Rainy
C. Snowy
D. Foggy
Answer: B. The streets are wet and people carry umbrellas.
Instruction: Which of the following best describes the weather in the picture?
A. Sunny
B. Rainy
C. Snowy
D. Foggy

Text: 请描述图片中桌子上的物品，并说明它们可能的用途。桌子上有一个白色的杯子和一本打开的书。
Instruction: 请描述图片中桌子上的物品，并说明它们可能的用途。

Text: The chart compares quarterly revenue of three companies from 2019 to 2023. Based on the \
chart, calculate the average growth rate of Company B over the period and explain your steps.
Instruction: Based on the chart, calculate the average growth rate of Company B over the period \
and explain your steps.

Text: Photo of a crowded street market at dusk, lanterns hanging over stalls of fruit and \
spices. Street market, lanterns, dusk, travel photography.
NO_INST

Now the text to sort. Reply with the Instruction line or NO_INST only.

Text: {hooked_text}"""

_RATING_FOOTER = """\

Rate this dimension only; ignore the others. Be strict: give a score only when the instruction \
fully meets its description, and give 5 only when nothing at all is wrong. Explain your \
judgement in one or two sentences, then give the score on the last line as [[k]], where k is \
1, 2, 3, 4 or 5.

Instruction:
\"\"\"
{instruction}
\"\"\""""

SOLVABILITY_PROMPT = (
    """\
You judge the SOLVABILITY of an instruction that a user gives about the image shown: does the \
image provide all the information needed to answer the instruction comprehensively?

Scoring criteria:
[[1]] Not solvable: the answer depends almost entirely on information absent from the image \
(events outside the picture, private facts, future outcomes), or the instruction cannot be \
answered at all.
[[2]] Barely solvable: the image gives a small part of what is needed; most of the answer \
would have to be guessed or invented.
[[3]] Partly solvable: the image gives the main information, but an important detail must be \
assumed or taken from outside knowledge that is not common.
[[4]] Mostly solvable: the image gives nearly everything needed; only a minor detail needs \
common knowledge or a reasonable assumption.
[[5]] Fully solvable: the image, together with common knowledge, gives everything needed for \
a complete and verifiable answer."""
    + _RATING_FOOTER
)

CLARITY_PROMPT = (
    """\
You judge the CLARITY of an instruction that a user gives about the image shown: how precisely \
does it convey its intent, and does it allow a definitive answer?

Scoring criteria:
[[1]] Unclear: the intent cannot be worked out; it could mean many unrelated things.
[[2]] Vague: a general topic is visible, but what is asked, or which part of the image it is \
about, is left open; answers could differ widely and all be acceptable.
[[3]] Somewhat clear: the intent is understandable, but some ambiguity (an unclear reference, \
an undefined scope or format) leaves more than one reasonable reading.
[[4]] Clear: the intent and the target are clear; a small ambiguity remains that barely \
affects the answer.
[[5]] Perfectly clear: one precise reading, with what is asked, about which part of the image, \
and in what form all unambiguous; it allows a definitive answer."""
    + _RATING_FOOTER
)

HALLUCINATION_PROMPT = (
    """\
You judge HALLUCINATION in an instruction that a user gives about the image shown: does \
everything the instruction says or presupposes about the image match what the image actually \
contains?

Scoring criteria:
[[1]] Severe hallucination: the instruction is about objects, text, people or events that are \
not in the image at all, or it describes a different image.
[[2]] Major hallucination: a central element the instruction relies on is absent from the \
image or plainly contradicted by it.
[[3]] Moderate hallucination: a secondary element (an attribute, a count, a position, a piece \
of text) is wrong or not in the image.
[[4]] Minor hallucination: one small detail is inaccurate or cannot be confirmed in the image, \
while everything else matches.
[[5]] No hallucination: every object, attribute, relation and piece of text the instruction \
mentions or presupposes is present in the image as described."""
    + _RATING_FOOTER
)

NONSENSE_PROMPT = (
    """\
You judge NONSENSE in an instruction written for a vision-language model (you do not see the \
image; judge the language only): is the instruction grammatically correct, coherent and \
semantically meaningful, in whatever language it is written?

Scoring criteria:
[[1]] Nonsense: gibberish, random tokens, broken markup, or words that do not form a request.
[[2]] Mostly nonsense: fragments of a request drowned in repetition, garbled text or \
unrelated material.
[[3]] Partly meaningful: a request can be recognised, but it has grammar errors, cut-off \
sentences or contradictions that make parts of it meaningless.
[[4]] Meaningful with flaws: a coherent request with small grammar or wording mistakes that do \
not change its meaning.
[[5]] Fully meaningful: grammatical, coherent, complete and sensible from start to end."""
    + _RATING_FOOTER
)

#: dimension -> (prompt, judged with the image?); the paper's split: MLLM for the first three
INSTRUCTION_RUBRICS: dict[str, tuple[str, bool]] = {
    "solvability": (SOLVABILITY_PROMPT, True),
    "clarity": (CLARITY_PROMPT, True),
    "hallucination": (HALLUCINATION_PROMPT, True),
    "nonsense": (NONSENSE_PROMPT, False),
}

_RESPONSE_FOOTER = """\

Rate this dimension only. Be strict: give 5 only when nothing at all is wrong. Explain your \
judgement in one or two sentences, then give the score on the last line as [[k]], where k is \
1, 2, 3, 4 or 5.

Instruction:
\"\"\"
{instruction}
\"\"\"

Response:
\"\"\"
{response}
\"\"\""""

RESPONSE_RUBRICS: dict[str, str] = {
    "helpfulness": """\
You judge the HELPFULNESS of a response to an instruction about the image shown: does it give \
the user what they need, completely and usefully?

Scoring criteria:
[[1]] Useless: off-topic, a refusal without reason, or empty of content.
[[2]] Slightly helpful: touches the request but leaves most of it unanswered.
[[3]] Moderately helpful: answers the main point but misses parts or is hard to use.
[[4]] Helpful: answers the request well with a small omission or some unneeded text.
[[5]] Fully helpful: answers every part of the request completely, directly and usefully."""
    + _RESPONSE_FOOTER,
    "truthfulness": """\
You judge the TRUTHFULNESS of a response to an instruction about the image shown: is every \
statement it makes true of the image and of the world?

Scoring criteria:
[[1]] False: the response is mostly about things not in the image, or mostly wrong.
[[2]] Largely false: a central claim is wrong or contradicted by the image.
[[3]] Mixed: the main answer is right, but a secondary claim is wrong or invented.
[[4]] Mostly true: one small inaccuracy or unverifiable detail.
[[5]] Fully true: every claim matches the image and established facts."""
    + _RESPONSE_FOOTER,
    "instruction_following": """\
You judge INSTRUCTION FOLLOWING in a response to an instruction about the image shown: does it \
do exactly what was asked, in the form that was asked (format, length, language, options)?

Scoring criteria:
[[1]] Ignores the instruction: does something else entirely.
[[2]] Follows little: addresses the topic but not the task or the requested form.
[[3]] Follows partly: does the task but breaks a stated constraint (format, length, language, \
choosing among the given options).
[[4]] Follows well: does the task in the requested form with a minor deviation.
[[5]] Follows exactly: does precisely what was asked, respecting every constraint."""
    + _RESPONSE_FOOTER,
}

CAPTION_REFINE_PROMPT = """\
You check texts that a vision-language model wrote about an image, to keep only good image \
captions. A good caption describes what is visible in the image in fluent sentences. Texts that \
are not captions: questions or tasks for the reader, chat replies, lists of keywords or tags, \
code, text that talks about the model itself, or fragments that stop mid-thought.

If the text is a usable caption, reply with:
Caption: <the caption>
where you copy it with only these repairs: drop a cut-off last sentence, leftover markup, \
chat or field labels, and sentences that are not description. Do not add any detail, do not \
translate, do not shorten what is good.
If it is not a usable caption, reply with exactly:
NOT_CAPTION

Examples.

Text: A red double-decker bus drives past a stone church on a rainy afternoon; pedestrians with \
umbrellas wait at the crossing. The bus displays the route number 24 above the
Caption: A red double-decker bus drives past a stone church on a rainy afternoon; pedestrians \
with umbrellas wait at the crossing.

Text: sunset, beach, palm trees, vacation, summer, travel, ocean, 4k wallpaper
NOT_CAPTION

Text: As an AI, I cannot see images, but I can help you describe one if you tell me more.
NOT_CAPTION

Text: Assistant: The photo shows a kitchen counter with a cutting board, two tomatoes and a \
chef's knife next to a blue bowl.
Caption: The photo shows a kitchen counter with a cutting board, two tomatoes and a chef's \
knife next to a blue bowl.

Now the text to check. Reply with the Caption line or NOT_CAPTION only.

Text: {caption}"""

#: instructions paired with recycled captions: asks for a detailed image description (written
#: for mmrecipe in the spirit of the LLaVA paper's list)
DETAILED_DESCRIPTION_INSTRUCTIONS: tuple[str, ...] = (
    "Describe this image in detail.",
    "Give a detailed description of the image.",
    "What do you see in this picture? Describe it thoroughly.",
    "Write a detailed account of everything shown in the image.",
    "Describe the scene in this image, including the objects, people and setting.",
    "Provide an in-depth description of the picture.",
    "Explain in detail what this image shows.",
    "Walk me through the contents of this image in detail.",
    "Write a thorough description of the visual content of this image.",
    "Describe the image as fully as you can, noting the important details.",
    "Can you describe what is happening in this image in detail?",
    "Give a comprehensive description of this photo.",
    "Tell me about this image in detail: what is in it and how is it arranged?",
    "Describe every notable element of this picture.",
)
