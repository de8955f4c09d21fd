"""mmrecipe: turn image collections into training data for vision-language models."""

from mmrecipe.sample import ImageRef, Rejection, Sample

__all__ = ["ImageRef", "Rejection", "Sample", "__version__"]
__version__ = "0.1.0"
