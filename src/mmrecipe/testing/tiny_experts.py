"""Tiny random vision experts built in code, for offline tests and dry runs.

Each builder writes a complete model folder (weights, config, processor, tokenizer) that the
expert backends load like any checkpoint, in about a second, with nothing downloaded. Outputs
are random (boxes, tags, captions, embeddings): what pipeline tests need. ``seed`` makes two
"different experts" disagree, so consensus steps see real disagreement.
"""

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


def _seed(seed: int) -> None:
    import torch

    torch.manual_seed(seed)


def _bpe(words: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
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
    from transformers import CLIPTokenizer

    vocab, merges = _bpe(list(WORDS))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def _text_cfg(tok: Any, max_positions: int = 77) -> dict[str, Any]:
    return {
        "vocab_size": len(tok),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": max_positions,
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": tok.eos_token_id,
        "pad_token_id": tok.pad_token_id,
    }


_VISION = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 8,
}


def _save(folder: Path, model: Any, *processors: Any) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.eval().save_pretrained(folder)
    for proc in processors:
        proc.save_pretrained(folder)
    return folder


def build_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """CLIP (embedder, zero-shot tagger, CLIP score)."""
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    _seed(seed)
    tok = build_clip_tokenizer()
    config = CLIPConfig(text_config=_text_cfg(tok), vision_config=dict(_VISION), projection_dim=16)
    images = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    return _save(folder, CLIPModel(config), CLIPProcessor(image_processor=images, tokenizer=tok))


def build_tiny_siglip(folder: Path, seed: int = 0) -> Path:
    """SigLIP (embedder, sigmoid zero-shot tagger; texts padded to max_length)."""
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    _seed(seed)
    tok = build_clip_tokenizer()
    tok.model_max_length = 16
    config = SiglipConfig(text_config=_text_cfg(tok, 16), vision_config=dict(_VISION))
    images = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    return _save(
        folder, SiglipModel(config), SiglipProcessor(image_processor=images, tokenizer=tok)
    )


def build_tiny_owlv2(folder: Path, seed: int = 0) -> Path:
    """OWLv2 (open-vocabulary detector)."""
    from transformers import Owlv2Config, Owlv2ForObjectDetection, Owlv2Processor
    from transformers.models.owlv2.image_processing_pil_owlv2 import Owlv2ImageProcessorPil

    _seed(seed)
    tok = build_clip_tokenizer()
    config = Owlv2Config(
        text_config=_text_cfg(tok, 16), vision_config=dict(_VISION), projection_dim=32
    )
    images = Owlv2ImageProcessorPil(size={"height": 32, "width": 32})
    tok.model_max_length = 16
    return _save(
        folder,
        Owlv2ForObjectDetection(config),
        Owlv2Processor(image_processor=images, tokenizer=tok),
    )


def build_tiny_detr(folder: Path, seed: int = 0) -> Path:
    """DETR with a tiny ResNet backbone (closed-set detector over :data:`CLASSES`)."""
    from transformers import DetrConfig, DetrForObjectDetection, ResNetConfig
    from transformers.models.detr.image_processing_pil_detr import DetrImageProcessorPil

    _seed(seed)
    backbone = ResNetConfig(
        num_channels=3,
        embedding_size=8,
        hidden_sizes=[8, 16],
        depths=[1, 1],
        out_features=["stage2"],
    )
    config = DetrConfig(
        use_timm_backbone=False,
        backbone_config=backbone,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_queries=12,
        num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)),
        label2id={c: i for i, c in enumerate(CLASSES)},
    )
    images = DetrImageProcessorPil(size={"shortest_edge": 32, "longest_edge": 64})
    return _save(folder, DetrForObjectDetection(config), images)


def build_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """SAM (promptable segmentation) on 64 px inputs."""
    from transformers import SamConfig, SamModel, SamProcessor
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    _seed(seed)
    config = SamConfig(
        vision_config={
            **{k: v for k, v in _VISION.items() if k != "image_size"},
            "image_size": 64,
            "output_channels": 16,
            "window_size": 4,
            "global_attn_indexes": [1],
            "mlp_dim": 64,
            "num_pos_feats": 8,
        },
        prompt_encoder_config={
            "hidden_size": 16,
            "image_size": 64,
            "patch_size": 8,
            "mask_input_channels": 4,
        },
        mask_decoder_config={
            "hidden_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "mlp_dim": 32,
            "iou_head_hidden_dim": 16,
        },
    )
    images = SamImageProcessorPil(
        size={"longest_edge": 64},
        pad_size={"height": 64, "width": 64},
        mask_size={"longest_edge": 16},
        mask_pad_size={"height": 16, "width": 16},
    )
    return _save(folder, SamModel(config), SamProcessor(image_processor=images))


def build_tiny_classifier(folder: Path, seed: int = 0) -> Path:
    """A multi-label ViT image classifier over :data:`CLASSES` (tagger)."""
    from transformers import ViTConfig, ViTForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    _seed(seed)
    config = ViTConfig(
        **_VISION,
        num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)),
        label2id={c: i for i, c in enumerate(CLASSES)},
        problem_type="multi_label_classification",
    )
    images = ViTImageProcessorPil(size={"height": 32, "width": 32})
    return _save(folder, ViTForImageClassification(config), images)


def build_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """BLIP (captioner) with the tiny byte-level BPE tokenizer."""
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipProcessor
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    _seed(seed)
    tok = build_tiny_tokenizer()
    text = {**_text_cfg(tok, 64), "sep_token_id": tok.eos_token_id}
    config = BlipConfig(text_config=text, vision_config=dict(_VISION), projection_dim=32)
    images = BlipImageProcessorPil(size={"height": 32, "width": 32})
    return _save(
        folder,
        BlipForConditionalGeneration(config),
        BlipProcessor(image_processor=images, tokenizer=tok),
    )


def build_tiny_blip2(folder: Path, seed: int = 0) -> Path:
    """BLIP-2: ViT + Q-Former (4 queries) + a tiny OPT decoder (captioner)."""
    from transformers import Blip2Config, Blip2ForConditionalGeneration, Blip2Processor, OPTConfig
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    _seed(seed)
    tok = build_tiny_tokenizer()
    queries = 4
    qformer = {
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "encoder_hidden_size": 32,
        "vocab_size": len(tok),
    }
    text = OPTConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        ffn_dim=64,
        num_attention_heads=2,
        max_position_embeddings=128,
        word_embed_proj_dim=32,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    config = Blip2Config(
        vision_config=dict(_VISION),
        qformer_config=qformer,
        text_config=text.to_dict(),
        num_query_tokens=queries,
        image_token_index=tok.image_token_id,
    )
    images = BlipImageProcessorPil(size={"height": 32, "width": 32})
    processor = Blip2Processor(image_processor=images, tokenizer=tok, num_query_tokens=queries)
    return _save(folder, Blip2ForConditionalGeneration(config), processor)


def build_tiny_trocr(folder: Path, seed: int = 0) -> Path:
    """TrOCR: a ViT encoder and a TrOCR decoder (OCR)."""
    from transformers import (
        TrOCRConfig,
        TrOCRProcessor,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
    )
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    _seed(seed)
    tok = build_tiny_tokenizer()
    encoder = ViTConfig(**_VISION)
    decoder = TrOCRConfig(
        vocab_size=len(tok),
        d_model=32,
        decoder_layers=2,
        decoder_attention_heads=2,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        decoder_start_token_id=tok.bos_token_id,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tok.bos_token_id
    config.pad_token_id = tok.pad_token_id
    config.eos_token_id = tok.eos_token_id
    images = ViTImageProcessorPil(size={"height": 32, "width": 32})
    return _save(
        folder,
        VisionEncoderDecoderModel(config),
        TrOCRProcessor(image_processor=images, tokenizer=tok),
    )


def build_tiny_grounding_dino(folder: Path, seed: int = 0) -> Path:
    """Grounding DINO (open-vocabulary detector prompted with "a. b. c.") on a tiny ResNet."""
    from transformers import (
        BertConfig,
        BertTokenizerFast,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoProcessor,
        ResNetConfig,
    )
    from transformers.models.grounding_dino.image_processing_pil_grounding_dino import (
        GroundingDinoImageProcessorPil,
    )

    _seed(seed)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", *WORDS]
    tok = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, model_max_length=32)
    backbone = ResNetConfig(
        num_channels=3,
        embedding_size=8,
        hidden_sizes=[8, 16, 16, 16],
        depths=[1, 1, 1, 1],
        out_features=["stage2", "stage3", "stage4"],
    )
    text = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    config = GroundingDinoConfig(
        use_timm_backbone=False,
        backbone_config=backbone,
        text_config=text,
        d_model=32,
        encoder_layers=1,
        decoder_layers=2,  # the model needs >= 2
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_queries=10,
        num_feature_levels=3,
        max_text_len=32,
        encoder_n_points=2,
        decoder_n_points=2,
    )
    # >= 64 px: the deepest feature map (stride 32) must be larger than 1 x 1 for GroupNorm
    images = GroundingDinoImageProcessorPil(size={"shortest_edge": 64, "longest_edge": 128})
    processor = GroundingDinoProcessor(image_processor=images, tokenizer=tok)
    return _save(folder, GroundingDinoForObjectDetection(config), processor)


#: Florence-2's parsing rules, as its hub processor config gives them
_FLORENCE_POST = {
    "ocr": {
        "pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>",
        "area_threshold": 0.0,
    },
    "phrase_grounding": {"banned_grounding_tokens": []},
    "pure_text": {},
    "description_with_bboxes": {},
    "description_with_polygons": {},
    "polygons": {},
    "bboxes": {},
    "description_with_bboxes_or_polygons": {},
}


def build_tiny_florence2(folder: Path, seed: int = 0) -> Path:
    """Florence-2 (native transformers class): ``<CAPTION>``, ``<OCR>``, ``<OD>`` with
    ``<loc_i>`` tokens, on 64 px inputs (image_seq_length = (64 / 32)^2 + 1)."""
    from transformers import (
        BartConfig,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        Florence2VisionConfig,
    )
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    _seed(seed)
    tok = build_tiny_tokenizer()
    tok.add_tokens([f"<loc_{i}>" for i in range(1000)])  # at the end of the vocabulary
    size = 64
    vision = Florence2VisionConfig(
        depths=[1, 1, 1, 1],
        embed_dim=[16, 16, 32, 32],
        num_heads=[1, 1, 2, 2],
        num_groups=[1, 1, 2, 2],
        window_size=2,
        projection_dim=32,
        max_position_embeddings=16,
        drop_path_rate=0.0,
    )
    text = BartConfig(
        vocab_size=len(tok),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=256,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        decoder_start_token_id=tok.eos_token_id,
        forced_eos_token_id=None,
    )
    config = Florence2Config(
        text_config=text, vision_config=vision, image_token_id=tok.image_token_id
    )
    images = CLIPImageProcessorPil(
        size={"height": size, "width": size},
        do_center_crop=False,
        crop_size={"height": size, "width": size},
    )
    images.image_seq_length = (size // 32) ** 2 + 1
    processor = Florence2Processor(
        image_processor=images,
        tokenizer=tok,
        num_additional_image_tokens=1,
        post_processor_config=_FLORENCE_POST,
    )
    return _save(folder, Florence2ForConditionalGeneration(config), processor)


#: family -> builder (what ``python -m mmrecipe.testing tiny`` and the tests use)
BUILDERS = {
    "clip": build_tiny_clip,
    "siglip": build_tiny_siglip,
    "owlv2": build_tiny_owlv2,
    "detr": build_tiny_detr,
    "sam": build_tiny_sam,
    "classifier": build_tiny_classifier,
    "blip": build_tiny_blip,
    "blip2": build_tiny_blip2,
    "trocr": build_tiny_trocr,
    "grounding_dino": build_tiny_grounding_dino,
    "florence2": build_tiny_florence2,
}


def build_tiny(family: str, folder: Path, seed: int = 0) -> Path:
    """Build one family into ``folder`` unless a finished build is already there."""
    folder = Path(folder)
    marker = folder / ".mmrecipe-tiny"
    if marker.is_file() and marker.read_text(encoding="utf-8") == f"{family} {seed}":
        return folder
    BUILDERS[family](folder, seed=seed)
    marker.write_text(f"{family} {seed}", encoding="utf-8")
    return folder
