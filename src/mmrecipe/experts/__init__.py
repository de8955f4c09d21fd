# Shared vision-expert logic: box/mask geometry, embedding files, expert-backend helpers for ops.
# Imported by backends/experts, io/, ops/experts, ops/imagegen, ops/intake, ops/curation; never ops.
"""Model-free logic the vision-expert outputs share across families: box and mask geometry
(IoU, NMS, RLE), embedding vector files, and what ops need to call an expert backend (open an
image, crop regions, read a text source). Family-only logic lives with its ops
(``ops/experts``: consensus, textualization; ``ops/intake``: SemDeDup; ``ops/curation``: CoMM)."""
