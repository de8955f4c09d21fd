"""What the tiny expert builders share: the word list their tokenizers know, the detector and
classifier classes, a CLIP-style BPE tokenizer, and the small text/vision configs and saving
every builder uses. Apart so the encoder and captioner builders stay two readable lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: words the tiny CLIP-style tokenizers know (anything else falls back to characters)
WORDS = [
    "a",
    "photo",
    "of",
    "the",
    "an",
    "and",
    "in",
    "on",
    "with",
    "person",
    "people",
    "man",
    "woman",
    "child",
    "dog",
    "cat",
    "bird",
    "horse",
    "car",
    "bus",
    "truck",
    "bicycle",
    "tree",
    "sign",
    "text",
    "table",
    "chair",
    "cup",
    "bottle",
    "book",
    "phone",
    "red",
    "blue",
    "green",
    "white",
    "black",
    "sky",
    "road",
    "street",
    "building",
    "water",
    "grass",
    "food",
    "plate",
    "window",
    "door",
]

#: the closed-set detector's and classifier's classes
CLASSES = ("person", "dog", "cat", "car", "tree", "sign", "cup", "chair")


def seed_torch(seed: int) -> None:
    """Seed the random weights: the same seed builds the same expert."""
    import torch

    torch.manual_seed(seed)


def bpe(words: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP-style BPE vocabulary and merges that spell each word as one token (special
    tokens last: OWL treats id 0 as padding)."""
    vocab: dict[str, int] = {}
    merges: list[tuple[str, str]] = []
    for ch in sorted(set("".join(words)) | set("0123456789.,")):
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    for word in words:
        parts = [*word[:-1], word[-1] + "</w>"]
        cur = parts[0]
        for part in parts[1:]:
            if (cur, part) not in merges:
                merges.append((cur, part))
            cur += part
            vocab.setdefault(cur, len(vocab))
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    return vocab, merges


def build_clip_tokenizer() -> Any:
    """A CLIP tokenizer that spells every word of :data:`WORDS` as one token."""
    from transformers import CLIPTokenizer

    vocab, merges = bpe(list(WORDS))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def text_config(tok: Any, max_positions: int = 77) -> dict[str, Any]:
    """A two-layer text tower's config for ``tok``."""
    return {
        "vocab_size": len(tok),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": max_positions,
        **special_ids(tok),
    }


def special_ids(tok: Any) -> dict[str, int]:
    """The tokenizer's BOS/EOS/PAD ids, as every text config takes them."""
    return {
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
    }


VISION = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 8,
}


def save_model(folder: Path, model: Any, *processors: Any) -> Path:
    """Save the model and its processors as a checkpoint folder the backends load."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(folder)
    for proc in processors:
        proc.save_pretrained(folder)
    return folder
