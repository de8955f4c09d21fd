"""Tiny random captioners and readers (BLIP, BLIP-2, TrOCR, Florence-2): the generative experts
of ``tiny_experts``, which are built with the byte-level tokenizer of ``tiny_models`` and a
decoder rather than from the CLIP-style encoders."""

from __future__ import annotations

from pathlib import Path

from mmrecipe.testing.tiny_expert_parts import (
    VISION,
    save_model,
    seed_torch,
    special_ids,
    text_config,
)


def build_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """BLIP (captioner) with the tiny byte-level BPE tokenizer."""
    from transformers import BlipConfig, BlipForConditionalGeneration, BlipProcessor
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    seed_torch(seed)
    tok = build_tiny_tokenizer()
    text = {**text_config(tok, 64), "sep_token_id": tok.eos_token_id}
    config = BlipConfig(text_config=text, vision_config=dict(VISION), projection_dim=32)
    images = BlipImageProcessorPil(size={"height": 32, "width": 32})
    return save_model(
        folder,
        BlipForConditionalGeneration(config),
        BlipProcessor(image_processor=images, tokenizer=tok),
    )


def build_tiny_blip2(folder: Path, seed: int = 0) -> Path:
    """BLIP-2: ViT + Q-Former (4 queries) + a tiny OPT decoder (captioner)."""
    from transformers import Blip2Config, Blip2ForConditionalGeneration, Blip2Processor, OPTConfig
    from transformers.models.blip.image_processing_pil_blip import BlipImageProcessorPil

    from mmrecipe.testing.tiny_models import build_tiny_tokenizer

    seed_torch(seed)
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
        **special_ids(tok),
    )
    config = Blip2Config(
        vision_config=dict(VISION),
        qformer_config=qformer,
        text_config=text.to_dict(),
        num_query_tokens=queries,
        image_token_index=tok.image_token_id,
    )
    images = BlipImageProcessorPil(size={"height": 32, "width": 32})
    processor = Blip2Processor(image_processor=images, tokenizer=tok, num_query_tokens=queries)
    return save_model(folder, Blip2ForConditionalGeneration(config), processor)


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

    seed_torch(seed)
    tok = build_tiny_tokenizer()
    encoder = ViTConfig(**VISION)
    decoder = TrOCRConfig(
        vocab_size=len(tok),
        d_model=32,
        decoder_layers=2,
        decoder_attention_heads=2,
        decoder_ffn_dim=64,
        max_position_embeddings=64,
        **special_ids(tok),
        decoder_start_token_id=tok.bos_token_id,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tok.bos_token_id
    config.pad_token_id = tok.pad_token_id
    config.eos_token_id = tok.eos_token_id
    images = ViTImageProcessorPil(size={"height": 32, "width": 32})
    return save_model(
        folder,
        VisionEncoderDecoderModel(config),
        TrOCRProcessor(image_processor=images, tokenizer=tok),
    )


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

    seed_torch(seed)
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
        **special_ids(tok),
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
    return save_model(folder, Florence2ForConditionalGeneration(config), processor)
