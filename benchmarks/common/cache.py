"""Resumable runs: finished rows kept in a JSON-lines file (``--cache FILE``), so that a long benchmark
interrupted, or run a piece at a time, does not train what it already has.

Each line is ``{"key": ..., "row": ...}``; the key is the job's (its config, seed and every setting that
changes the result), so a job with other settings is trained again. Rows of an older version of the code
are reused as they are: start a new file when the training code changes.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .pool import Mapper


def _keyed(item: tuple[Any, Callable[[Any], Any], Any]) -> tuple[Any, Any]:
    key, fn, job = item
    return key, fn(job)


def _freeze(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def run_cached(fn: Callable[[dict[str, Any]], dict[str, Any]], jobs: Iterable[dict[str, Any]], run: Mapper,
               key: Callable[[dict[str, Any]], Any], cache: Path | None,
               on_row: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """``fn(job)`` for every job not already in ``cache`` (by ``key(job)``, a JSON-able value), through the
    mapper ``run`` (``fn`` module-level for a process pool); each new row is appended to ``cache`` as it
    finishes and passed to ``on_row``. Returns the rows in the jobs' order, read-back ones included."""
    jobs = list(jobs)
    done: dict[str, dict[str, Any]] = {}
    if cache is not None and Path(cache).exists():
        for line in Path(cache).read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                done[_freeze(entry["key"])] = entry["row"]
    todo = [(key(j), fn, j) for j in jobs if _freeze(key(j)) not in done]
    for job_key, row in run(_keyed, todo):
        done[_freeze(job_key)] = row
        if cache is not None:
            with Path(cache).open("a") as f:
                f.write(json.dumps({"key": job_key, "row": row}) + "\n")
        if on_row is not None:
            on_row(row)
    return [done[_freeze(key(j))] for j in jobs]
