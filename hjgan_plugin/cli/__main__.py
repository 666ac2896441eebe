"""``python -m hjgan_plugin.cli ...``: the ``hjgan`` command line."""
from . import main

if __name__ == "__main__":  # pragma: no cover
    main()
