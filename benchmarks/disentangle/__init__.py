"""The disentanglement benchmark's parts (``benchmarks/disentanglement.py`` is its command line).

- :mod:`.suites`: the configs of each suite, and one run (:func:`.suites.run_one`, in a worker process);
- :mod:`.analysis`: seed means, each config's most reliable λ, the Pareto front;
- :mod:`.report`: the markdown tables (and the paper's Table 4 beside them);
- :mod:`.figures`: the figures.
"""
