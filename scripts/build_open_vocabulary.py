"""Build ``src/mmrecipe/data/open_vocabulary.txt``, the default tag vocabulary of the
open-vocabulary taggers and detectors, from Princeton WordNet 3.0 as Debian ships it
(``apt-get install wordnet-base``: ``/usr/share/wordnet``; WordNet 3.0 license, notice kept in
the file's header).

A tag is a noun lemma whose MOST FREQUENT noun sense (sense number 1 in ``cntlist.rev``, the
SemCor tag counts) is an everyday visual thing: an animal, artifact, food, natural object,
plant or substance (WordNet's lexicographer files), or a colour (a hyponym of color.n.01);
plus a short hand-written list of visible people words (WordNet's person file is mostly roles). Lemmas are ranked by that sense's tag count (how often people used the word in
that sense), at most two words, letters only; the ``--size`` most frequent are kept.

    python scripts/build_open_vocabulary.py [--wordnet /usr/share/wordnet] [--size 3000]
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

#: WordNet lexicographer files (noun.*) holding visual things
LEXFILES = {5: "animal", 6: "artifact", 13: "food", 17: "object", 20: "plant", 27: "substance"}
#: WordNet's noun.person file is mostly roles a picture cannot show (friend, officer, ...): these
#: visible ones are taken by hand instead (ours)
PEOPLE = ("person", "man", "woman", "child", "boy", "girl", "baby", "people", "crowd", "player")
COLOR = "04956594"  # color.n.01
_LEMMA = re.compile(r"^[a-z]+(?: [a-z]+)?$")
OUT = Path(__file__).resolve().parents[1] / "src" / "mmrecipe" / "data" / "open_vocabulary.txt"


def hypernyms(data_noun: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in data_noun.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split(" | ")[0].split()
        offset, n_words = parts[0], int(parts[3], 16)
        i = 4 + 2 * n_words
        n_ptrs = int(parts[i])
        ptrs = parts[i + 1 : i + 1 + 4 * n_ptrs]
        out[offset] = [ptrs[j + 1] for j in range(0, len(ptrs), 4) if ptrs[j] in ("@", "@i")]
    return out


def is_colour(offset: str, parents: dict[str, list[str]], seen: set[str] | None = None) -> bool:
    seen = seen or set()
    if offset == COLOR:
        return True
    seen.add(offset)
    return any(p not in seen and is_colour(p, parents, seen) for p in parents.get(offset, []))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wordnet", default="/usr/share/wordnet")
    parser.add_argument("--size", type=int, default=3000)
    args = parser.parse_args()
    root = Path(args.wordnet)
    parents = hypernyms(root / "data.noun")
    # sense key -> synset offset (index.sense is not shipped by Debian: use index.noun's order)
    first_sense: dict[str, str] = {}
    for line in (root / "index.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        parts = line.split()
        lemma, synset_cnt = parts[0], int(parts[2])
        first_sense[lemma] = parts[-synset_cnt]  # synsets are listed most frequent first
    counts: dict[str, int] = defaultdict(int)
    for line in (root / "cntlist.rev").read_text(encoding="latin-1").splitlines():
        key, sense_number, tag_count = line.split()
        lemma, _, rest = key.partition("%")
        ss_type, lexfile = rest.split(":")[0], int(rest.split(":")[1])
        if ss_type != "1" or sense_number != "1":
            continue
        word = lemma.replace("_", " ").lower()
        if not _LEMMA.match(word) or lemma not in first_sense:
            continue
        if lexfile in LEXFILES or is_colour(first_sense[lemma], parents):
            counts[word] = max(counts[word], int(tag_count))
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[: args.size - len(PEOPLE)]
    ranked = [*PEOPLE, *(w for w in ranked if w not in PEOPLE)]
    header = [
        "# mmrecipe's default open vocabulary: everyday objects, animals, plants, food, materials",
        "# and colours, the most frequent WordNet 3.0 noun lemmas whose primary sense is one of",
        "# those, after ten people words of our own (scripts/build_open_vocabulary.py, from",
        "# Debian's wordnet-base).",
        "# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. Used under the",
        "# WordNet 3.0 license (permission to use, copy, modify and distribute, with this notice):",
        '# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO',
        "# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED.",
        f"# {len(ranked)} tags, most frequent first.",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join([*header, *ranked]) + "\n", encoding="utf-8")
    print(f"{len(counts)} candidate lemmas, {len(ranked)} written to {OUT}")


if __name__ == "__main__":
    main()
