"""Tiny random vision experts built in code, for offline tests and dry runs.

Each builder writes a complete model folder (weights, config, processor, tokenizer) that the
expert backends load like any checkpoint, in about a second, with nothing downloaded. Outputs
are random (boxes, tags, captions, embeddings): what pipeline tests need. ``seed`` makes two
"different experts" disagree, so consensus steps see real disagreement.

Here: the encoders and detectors and ``build_tiny``; the captioners and readers are in
``tiny_captioners``, what the builders share in ``tiny_expert_parts``.
"""

from __future__ import annotations

from pathlib import Path

from mmrecipe.testing.tiny_captioners import (
    build_tiny_blip,
    build_tiny_blip2,
    build_tiny_florence2,
    build_tiny_trocr,
)
from mmrecipe.testing.tiny_expert_parts import (
    CLASSES,
    VISION,
    WORDS,
    build_clip_tokenizer,
    save_model,
    seed_torch,
    text_config,
)

__all__ = ["BUILDERS", "CLASSES", "WORDS", "build_clip_tokenizer", "build_tiny"]


def build_tiny_clip(folder: Path, seed: int = 0) -> Path:
    """CLIP (embedder, zero-shot tagger, CLIP score)."""
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    seed_torch(seed)
    tok = build_clip_tokenizer()
    config = CLIPConfig(text_config=text_config(tok), vision_config=dict(VISION), projection_dim=16)
    images = CLIPImageProcessorPil(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    return save_model(
        folder, CLIPModel(config), CLIPProcessor(image_processor=images, tokenizer=tok)
    )


def build_tiny_siglip(folder: Path, seed: int = 0) -> Path:
    """SigLIP (embedder, sigmoid zero-shot tagger; texts padded to max_length)."""
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    seed_torch(seed)
    tok = build_clip_tokenizer()
    tok.model_max_length = 16
    config = SiglipConfig(text_config=text_config(tok, 16), vision_config=dict(VISION))
    images = SiglipImageProcessorPil(size={"height": 32, "width": 32})
    return save_model(
        folder, SiglipModel(config), SiglipProcessor(image_processor=images, tokenizer=tok)
    )


def build_tiny_owlv2(folder: Path, seed: int = 0) -> Path:
    """OWLv2 (open-vocabulary detector)."""
    from transformers import Owlv2Config, Owlv2ForObjectDetection, Owlv2Processor
    from transformers.models.owlv2.image_processing_pil_owlv2 import Owlv2ImageProcessorPil

    seed_torch(seed)
    tok = build_clip_tokenizer()
    config = Owlv2Config(
        text_config=text_config(tok, 16), vision_config=dict(VISION), projection_dim=32
    )
    images = Owlv2ImageProcessorPil(size={"height": 32, "width": 32})
    tok.model_max_length = 16
    return save_model(
        folder,
        Owlv2ForObjectDetection(config),
        Owlv2Processor(image_processor=images, tokenizer=tok),
    )


def build_tiny_detr(folder: Path, seed: int = 0) -> Path:
    """DETR with a tiny ResNet backbone (closed-set detector over :data:`CLASSES`)."""
    from transformers import DetrConfig, DetrForObjectDetection, ResNetConfig
    from transformers.models.detr.image_processing_pil_detr import DetrImageProcessorPil

    seed_torch(seed)
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
    return save_model(folder, DetrForObjectDetection(config), images)


def build_tiny_sam(folder: Path, seed: int = 0) -> Path:
    """SAM (promptable segmentation) on 64 px inputs."""
    from transformers import SamConfig, SamModel, SamProcessor
    from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

    seed_torch(seed)
    config = SamConfig(
        vision_config={
            **{k: v for k, v in VISION.items() if k != "image_size"},
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
    return save_model(folder, SamModel(config), SamProcessor(image_processor=images))


def build_tiny_classifier(folder: Path, seed: int = 0) -> Path:
    """A multi-label ViT image classifier over :data:`CLASSES` (tagger)."""
    from transformers import ViTConfig, ViTForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    seed_torch(seed)
    config = ViTConfig(
        **VISION,
        num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)),
        label2id={c: i for i, c in enumerate(CLASSES)},
        problem_type="multi_label_classification",
    )
    images = ViTImageProcessorPil(size={"height": 32, "width": 32})
    return save_model(folder, ViTForImageClassification(config), images)


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

    seed_torch(seed)
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
    return save_model(folder, GroundingDinoForObjectDetection(config), processor)


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
