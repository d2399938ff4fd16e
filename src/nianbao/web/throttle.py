"""Failed logins counted in the server's memory, per client address and per name tried (issue #21).

After `MOST_FAILURES` failures within `WINDOW`, the address (or the name) may not try again for a while: a minute
the first time, twice as long each time after, at most a quarter of an hour; a key's lockouts are forgotten after
an hour without a failure, and a login that succeeds forgets the failures of its address and name. A refused
attempt is answered at once: nothing sleeps, so no request thread of the server waits on a guesser.

An attempt is counted when it begins, before its password is checked (it is taken back if it succeeds): a burst of
simultaneous guesses cannot all pass the count before the first of them fails. Checking a colleague's password
takes some 50 ms of a processor (scrypt, on purpose); guesses from many addresses at once are checked on at most
half of the computer's processors (`checking`), the others keep serving pages: an attempt that finds them all busy
is not checked, and asked to try again in a moment."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MOST_FAILURES = 5
WINDOW = 15 * 60
FIRST_LOCK = 60
LONGEST_LOCK = 15 * 60
FORGET = 60 * 60
MOST_KEYS = 10_000  # addresses and names remembered at most (the oldest quiet ones are forgotten first)
CHECKING = max(1, (os.cpu_count() or 2) // 2)  # passwords checked at the same time at most


@dataclass
class _Count:
    failures: list[float] = field(default_factory=list)  # when, within WINDOW
    pending: int = 0  # attempts being checked now
    lockouts: int = 0  # so far, each twice as long as the one before
    until: float = 0.0  # locked until then
    last: float = 0.0  # the last failure


class Throttle:
    """The counts of one server (thread-safe). ``clock``: seconds, monotonic (a test gives its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, _Count] = {}
        self.checking = threading.BoundedSemaphore(CHECKING)  # taken without waiting (acquire(blocking=False))

    def begin(self, keys: Sequence[str]) -> float:
        """0 when an attempt of these keys may be checked now (it is counted), else the seconds to wait."""
        with self._lock:
            now = self._clock()
            self._forget(now)
            wait = max((self._wait(self._counts.get(key), now) for key in keys), default=0.0)
            if wait > 0:
                return wait
            for key in keys:
                self._counts.setdefault(key, _Count()).pending += 1
            return 0.0

    def end(self, keys: Sequence[str], succeeded: bool | None) -> int:
        """An attempt checked: succeeded (its keys' failures forgotten), failed (counted; the keys locked when
        they reach the limit), or None (not checked after all: not counted). Returns the seconds of a lockout
        this failure began (0: none)."""
        with self._lock:
            now = self._clock()
            locked = 0
            for key in keys:
                count = self._counts.setdefault(key, _Count())
                count.pending = max(0, count.pending - 1)
                if succeeded:
                    count.failures.clear()
                    count.lockouts, count.until = 0, 0.0
                elif succeeded is False:
                    locked = max(locked, self._failed(count, now))
            return locked

    def _failed(self, count: _Count, now: float) -> int:
        if count.last < now - FORGET and count.until <= now:
            count.lockouts = 0  # an hour without a failure: the next lockout is the first again
        count.failures = [t for t in count.failures if t > now - WINDOW] + [now]
        count.last = now
        if len(count.failures) < MOST_FAILURES or count.until > now:
            return 0
        seconds = min(FIRST_LOCK * 2**count.lockouts, LONGEST_LOCK)
        count.until, count.lockouts = now + seconds, count.lockouts + 1
        count.failures.clear()
        return seconds

    @staticmethod
    def _wait(count: _Count | None, now: float) -> float:
        if count is None:
            return 0.0
        if count.until > now:
            return count.until - now
        recent = sum(t > now - WINDOW for t in count.failures)
        if recent + count.pending >= MOST_FAILURES:  # the attempts being checked will lock it if they fail
            return float(min(FIRST_LOCK * 2**count.lockouts, LONGEST_LOCK))
        return 0.0

    def _forget(self, now: float) -> None:
        if len(self._counts) < MOST_KEYS:
            return
        quiet = [k for k, c in self._counts.items() if not c.pending and c.until <= now and c.last < now - FORGET]
        for key in quiet:
            del self._counts[key]
        if len(self._counts) >= MOST_KEYS:  # still full: the quiet ones longest without a failure go first
            idle = sorted((c.last, k) for k, c in self._counts.items() if not c.pending and c.until <= now)
            for _, key in idle[: len(self._counts) - MOST_KEYS // 2]:
                del self._counts[key]
