"""Rule filter on the shape of a conversation: empty turns, roles that do not alternate."""

from __future__ import annotations

from mmrecipe.io.conversation import text_of
from mmrecipe.ops.base import FilterOp
from mmrecipe.registry import register_op
from mmrecipe.sample import Sample


@register_op("turn_structure")
class TurnStructure(FilterOp):
    """Checks every turn of an existing conversation the way trainers' loaders need it
    (LLaVA: human/gpt alternating, starting with the user, ending with an answer).

    Scores: ``scores.<step>_turns`` (user/assistant turns), ``scores.<step>_empty_turns``
    (turns with no text besides ``<image>``), ``scores.<step>_role_breaks`` (places where the
    user/assistant alternation breaks, including a first turn that is not the user's and a last
    turn that is not an answer; system turns are allowed first only). Rejects: ``no_turns``,
    ``empty_turn``, ``non_alternating`` (the detail names the turn).

    Args:
        max_empty_turns: most empty turns kept
        max_role_breaks: most alternation breaks kept
    """

    reads = ("messages",)
    writes = ("scores.*",)

    def __init__(self, max_empty_turns: int = 0, max_role_breaks: int = 0) -> None:
        self.max_empty_turns = max_empty_turns
        self.max_role_breaks = max_role_breaks

    def score(self, samples: list[Sample]) -> None:
        for sample in samples:
            msgs = sample.messages
            start = 0
            while start < len(msgs) and msgs[start].get("role") == "system":
                start += 1
            turns = msgs[start:]
            empty = sum(1 for m in turns if not text_of(m).replace("<image>", "").strip())
            breaks = 0
            expected = "user"
            for m in turns:
                if m.get("role") != expected:
                    breaks += 1
                expected = "assistant" if m.get("role") == "user" else "user"
            if turns and turns[-1].get("role") != "assistant":
                breaks += 1
            sample.scores[f"{self.name}_turns"] = float(len(turns))
            sample.scores[f"{self.name}_empty_turns"] = float(empty)
            sample.scores[f"{self.name}_role_breaks"] = float(breaks)

    def keep(self, sample: Sample) -> tuple[str, str] | None:
        if not sample.scores[f"{self.name}_turns"]:
            return ("no_turns", "the conversation has no user or assistant turn")
        empty = sample.scores[f"{self.name}_empty_turns"]
        if empty > self.max_empty_turns:
            return ("empty_turn", f"{empty:g} empty turn(s) > {self.max_empty_turns}")
        breaks = sample.scores[f"{self.name}_role_breaks"]
        if breaks > self.max_role_breaks:
            roles = [m.get("role") for m in sample.messages]
            return ("non_alternating", f"roles {roles}: {breaks:g} break(s)")
        return None
