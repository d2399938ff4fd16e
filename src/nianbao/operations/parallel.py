"""Spread independent per-file work over the machine's cores, in input order, with a progress hook."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Protocol, TypeVar, cast

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class Progress(Protocol):
    """A progress hook: passes the results through as they come, showing how far along of ``total``."""

    def __call__(self, results: Iterator[R], total: int, /) -> Iterable[R]: ...


MIN_PARALLEL = 16  # below this, starting worker processes costs more than it saves


def no_progress(results: Iterator[R], total: int) -> Iterable[R]:
    return results


_shared: object = None  # in a worker: the object given once to ordered_map, for every item


def _start_worker(shared: object, parent: int) -> None:
    """Workers ignore Ctrl-C: the parent cancels what is queued and lets running items finish their
    (atomic) writes, so an interrupted run leaves only complete files and no tracebacks. ``shared`` is
    sent once per worker instead of once per chunk of items (a roster of thousands is not small). A worker
    whose parent is killed outright (kill -9, a closed terminal) stops too, instead of working on and then
    waiting forever."""
    global _shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _shared = shared
    threading.Thread(target=_stop_without, args=(parent,), daemon=True).start()


def _stop_without(parent: int) -> None:
    while os.getppid() == parent:  # on POSIX an orphan gets another parent; on Windows its pipes break instead
        time.sleep(0.2)
    os._exit(1)


def _call_with_shared(func: Callable[[S, T], R], item: T) -> R:
    return func(cast(S, _shared), item)


def workers_wanted() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def ordered_map(
    func: Callable[[S, T], R],
    shared: S,
    items: list[T],
    progress: Progress = no_progress,
    workers: int | None = None,
) -> Iterator[R]:
    """``func(shared, item)`` for every item, over worker processes when there are enough items; results in
    input order. ``func`` must be a module-level function; ``shared`` reaches each worker once."""
    workers = workers_wanted() if workers is None else workers
    if workers <= 1 or len(items) < MIN_PARALLEL:
        yield from progress((func(shared, item) for item in items), len(items))
        return
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: only when there is work for it

    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(shared, os.getpid())) as pool:
        chunk = max(1, min(32, len(items) // (workers * 8)))
        try:
            yield from progress(pool.map(partial(_call_with_shared, func), items, chunksize=chunk), len(items))
        except BaseException:  # Ctrl-C or an error: stop queued work at once, finish nothing half-way
            pool.shutdown(wait=True, cancel_futures=True)
            raise
