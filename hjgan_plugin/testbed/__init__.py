"""SPEC §8 disentanglement testbed: on-the-fly anti-aliased squares and small G/D models."""
from .models import LATENT_DIM, Discriminator, Generator
from .squares import (FACTOR_NAMES, FACTOR_RANGES, SIZE, SquaresDataset, factors_from_images,
                      render, sample_factors, valid_fraction)

__all__ = [
    "sample_factors", "render", "factors_from_images", "valid_fraction", "SquaresDataset",
    "FACTOR_NAMES", "FACTOR_RANGES", "SIZE", "Generator", "Discriminator", "LATENT_DIM",
]
