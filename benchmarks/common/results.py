"""Result files: the ``--out`` and ``--from-json`` arguments, and writing and reading the JSON."""
from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

from . import DEFAULT_OUT


def add_output_arguments(parser: argparse.ArgumentParser, from_json: str | None = None) -> None:
    """``--out DIR`` (default ``docs/benchmarks``) and, with its help text, ``--from-json PATH``: redraw the
    outputs from a JSON the script wrote instead of running it again."""
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    if from_json is not None:
        parser.add_argument("--from-json", type=Path, default=None, help=from_json)


def command_line(script: str, argv: list[str] | None) -> str:
    """The command that ran ``script`` (``benchmarks/x.py``) with ``argv`` (``None``: this process's
    arguments), quoted for a shell, for a result page."""
    import shlex
    import sys

    return " ".join([f"python {script}", *map(shlex.quote, sys.argv[1:] if argv is None else argv)])


def write_result(out: Path, name: str, result: Any) -> None:
    """``result`` as ``out/<name>.json`` (:func:`dumps_compact`), ``out`` created if needed."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(dumps_compact(result))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def write_json(path: Path, obj: Any, indent: int = 2) -> None:
    """``obj`` as indented JSON (NaN written as ``NaN``, as :func:`json.dumps` does), one trailing newline."""
    Path(path).write_text(json.dumps(obj, indent=indent) + "\n")


def clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf become None (an undefined value, e.g. no exchange yet or no HQ sample)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    return obj


def image_list(images: Any, digits: int = 3) -> list:
    """Image values (a tensor or array) as nested lists rounded to ``digits`` decimals, for a figure's data in
    a result JSON (rounded in float64: a float32's round() still prints 0.43099999...)."""
    import numpy as np

    array = images.detach().cpu().double().numpy() if hasattr(images, "detach") else np.asarray(images, np.float64)
    return array.round(digits).tolist()


def dumps_compact(obj: Any) -> str:
    """Strict JSON (``clean`` first), indented, with every list of plain numbers on one line (sample
    points, counts), one trailing newline."""
    text = json.dumps(clean(obj), indent=1, allow_nan=False)
    # only the line breaks and indents json.dumps put between the items go: a string holds no raw newline, so
    # "[2.6, 2.7]" inside a string stays as it is
    return re.sub(r"\[[-0-9.eE+,\s\[\]]*\]", lambda m: re.sub(r"\s*\n\s*", "", m.group(0)), text) + "\n"
