"""Run benchmark jobs in worker processes, in threads (jobs that start their own processes), or in this process."""
from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

Mapper = Callable[..., Iterator[Any]]


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Mapper]:
    """A ``map(fn, jobs, ordered=False)`` for the ``with`` block.

    ``workers > 1``: a pool of that many *spawned* processes (a fresh interpreter each, so no state is
    inherited: ``fn`` must be a module-level function, and sets its own torch threads); results come in
    the order they finish unless ``ordered``. Otherwise the jobs run one by one in this process (what a
    test imports and runs). The pool is terminated when the block ends.
    """
    if workers <= 1:
        def run_here(fn: Callable[[Any], Any], jobs: Iterable[Any], ordered: bool = False) -> Iterator[Any]:
            return map(fn, jobs)

        yield run_here
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        def run_there(fn: Callable[[Any], Any], jobs: Iterable[Any], ordered: bool = False) -> Iterator[Any]:
            return (pool.imap if ordered else pool.imap_unordered)(fn, jobs)

        yield run_there


@contextlib.contextmanager
def thread_pool(workers: int) -> Iterator[Mapper]:
    """A ``map(fn, jobs)`` on ``workers`` threads, results in the order they finish: for jobs that each run a
    subprocess (a host's training script), where a process pool would only add a second interpreter."""
    with ThreadPoolExecutor(workers) as pool:
        def run_threads(fn: Callable[[Any], Any], jobs: Iterable[Any], ordered: bool = False) -> Iterator[Any]:
            futures = [pool.submit(fn, job) for job in jobs]
            try:
                for future in (futures if ordered else as_completed(futures)):
                    yield future.result()
            finally:  # a failed job (or an interrupted caller) cancels those not started: fail fast
                for future in futures:
                    future.cancel()

        yield run_threads
