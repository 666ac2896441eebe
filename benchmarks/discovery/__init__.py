"""The direction-discovery benchmark (``benchmarks/directions.py``): known factors, then a trained G."""
