"""``python -m hjgan_plugin ...``: the ``hjgan`` command line (:mod:`hjgan_plugin.cli`)."""
from .cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="hjgan")
