# mmrecipe: the package root; re-exports the record types (Sample, ImageRef, Rejection).
# Anyone may import it; it imports only mmrecipe.sample, so importing it stays cheap.
"""mmrecipe: turn image collections into training data for vision-language models."""

from mmrecipe.sample import ImageRef, Rejection, Sample

__all__ = ["ImageRef", "Rejection", "Sample", "__version__"]
__version__ = "0.1.0"
