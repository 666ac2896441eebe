"""Known-factor benchmarks of the host scripts: train on a rendered set, read the factors back, score."""
