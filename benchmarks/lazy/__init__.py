"""Parts of ``benchmarks/lazy_regularization.py``: the settings, one run, the timing pass, the page and figure."""
