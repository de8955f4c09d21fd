"""Per-language system prompts for language-balanced Magpie data.

Magpie itself feeds only the pre-query template; which language the model writes in is then
the model's own habit (mostly English). To balance languages we give each language its own
system prompt (a setting; these are the defaults), and optionally a lead: text that opens the
user turn in that language and becomes the start of the instruction.
"""

from __future__ import annotations

#: language code -> its English name, for the default system prompts
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "Chinese",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
    "hi": "Hindi",
    "pt": "Portuguese",
    "it": "Italian",
}


def default_system(language: str) -> str | None:
    """The default system prompt of a language: none for English (Magpie's bare template)."""
    if language == "en":
        return None
    name = LANGUAGE_NAMES[language]
    return (
        f"You are a helpful assistant. Users write to you in {name} only, and you answer in {name}."
    )
