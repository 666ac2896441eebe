"""Direction discovery on a frozen generator (docs/design.md §12): penalty-based (Hessian, Jacobian,
joint), closed form (SeFa, GANSpace) and classifier-guided, one interface."""
from .api import METHODS, OPTIONS, discover_directions
from .orthonormal import matched_cosines, orthonormalize, random_directions
from .result import Directions

__all__ = ["METHODS", "OPTIONS", "Directions", "discover_directions", "matched_cosines", "orthonormalize",
           "random_directions"]
