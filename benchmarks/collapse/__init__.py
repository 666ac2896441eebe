"""The mode-collapse benchmark's parts (``benchmarks/mode_collapse.py`` is its command line).

- :mod:`.configs`: the datasets' settings and metrics, and the training configs (``Config``);
- :mod:`.nets`: the MLP generator and discriminator, Adam;
- :mod:`.metrics`: measuring a generator (or reference samples) on each dataset;
- :mod:`.training`: one (dataset, config, seed) run, in a worker process;
- :mod:`.analysis`: choosing the exchange setting, the baseline's plateau;
- :mod:`.report`, :mod:`.pacgan`, :mod:`.figure`: the markdown table and the figure;
- :mod:`.experiment`: the two phases of runs, and the result JSON.
"""
