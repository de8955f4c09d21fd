"""Curation of existing datasets: perceptual hashes, Hamming search, near-duplicate text."""
