"""The disentanglement testbed of docs/design.md §8: on-the-fly anti-aliased squares, small G/D models;
:mod:`.training` trains and evaluates them (the demo and the benchmarks use it)."""
from .models import LATENT_DIM, Discriminator, Generator
from .squares import (FACTOR_NAMES, FACTOR_RANGES, SIZE, SquaresDataset, factors_from_images,
                      render, sample_factors, valid_fraction)

__all__ = [
    "sample_factors", "render", "factors_from_images", "valid_fraction", "SquaresDataset",
    "FACTOR_NAMES", "FACTOR_RANGES", "SIZE", "Generator", "Discriminator", "LATENT_DIM",
]
