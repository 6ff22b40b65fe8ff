"""TrustLPR: license plate reads with privacy rules enforced and publicly checkable."""

from .core.errors import TrustLPRError

__version__ = "0.1.0"
__all__ = ["TrustLPRError", "__version__"]
