"""Image generation and editing: what the generation ops share (seeds, saving, masks) and the
edit-verification metrics."""
