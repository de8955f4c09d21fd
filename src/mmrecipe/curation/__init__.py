# Shared curation measures: perceptual hashes, Hamming search, text similarity, turn readers.
# Imported by ops/intake, ops/curation, benchmarks and tests; it imports io/ only, never ops.
"""Curation of existing datasets: perceptual hashes, Hamming search, near-duplicate text."""
