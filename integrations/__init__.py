"""Glue for host trainers, one subpackage per host (installed as ``hjgan_plugin.integrations``).

- :mod:`hjgan_plugin.integrations.stylegan2_ada`: NVlabs ``stylegan2-ada-pytorch`` (loss and optimizer
  ``class_name`` swaps, ``--hj-*`` options for its ``train.py``, a launcher and ``hjgan patch``).
"""
