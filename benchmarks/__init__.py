"""The benchmark scripts (``python benchmarks/<name>.py``, or ``python -m benchmarks.<name>``) and their parts.

:mod:`benchmarks.common` holds what several scripts use (statistics, the worker pool, result files,
markdown tables, plateau detection, figure helpers); :mod:`benchmarks.collapse` holds the pieces of the
mode-collapse benchmark. The scripts themselves only parse their command line and call these.
"""
