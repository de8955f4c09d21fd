# Vision-expert family: ops over detector/segmenter/tagger/embedder/OCR backends + their logic.
# Imported by the registry's discovery and tests; shared expert helpers live in mmrecipe.experts.
