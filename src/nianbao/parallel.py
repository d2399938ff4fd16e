"""Spread independent per-file work over the machine's cores, in input order, with a progress hook."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[Iterator[R], int], Iterable[R]]
MIN_PARALLEL = 16  # below this, starting worker processes costs more than it saves


def no_progress(results: Iterator[R], total: int) -> Iterable[R]:
    return results


def _leave_ctrl_c_to_the_parent() -> None:
    """Workers ignore Ctrl-C: the parent cancels what is queued and lets running items finish their
    (atomic) writes, so an interrupted run leaves only complete files and no tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def workers_wanted() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def ordered_map(
    func: Callable[[T], R], items: list[T], progress: Progress = no_progress, workers: int | None = None
) -> Iterator[R]:
    """``map(func, items)`` over worker processes when there are enough items; results in input order.
    ``func`` must be picklable (a module-level function or a functools.partial of one)."""
    workers = workers_wanted() if workers is None else workers
    if workers <= 1 or len(items) < MIN_PARALLEL:
        yield from progress(map(func, items), len(items))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_leave_ctrl_c_to_the_parent) as pool:
        chunk = max(1, min(32, len(items) // (workers * 8)))
        try:
            yield from progress(pool.map(func, items, chunksize=chunk), len(items))
        except BaseException:  # Ctrl-C or an error: stop queued work at once, finish nothing half-way
            pool.shutdown(wait=True, cancel_futures=True)
            raise
