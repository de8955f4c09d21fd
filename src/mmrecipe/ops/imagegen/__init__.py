# Image-generation family: generate/edit images, edit instructions and checks, SPARCL pairs.
# Imported by the registry's discovery and tests; its helpers (support, verify, ...) by it alone.
"""Image generation and editing: what the generation ops share (seeds, saving, masks) and the
edit-verification metrics."""
