"""Per-phase wall-clock timing for the benchmarks, free when nobody is recording.

``with record() as phases:`` collects seconds per phase name from every
``with phase("neighbours", be):`` inside it, and in ``phases.counts`` the
totals of every ``count("doubtful_rows", n)``. On the GPU a phase synchronises
the device at its end, so the time is the work's, not the launch's.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import defaultdict

_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("gpusmote_phases",
                                                                       default=None)


class _Phases(defaultdict):
    """Seconds per phase, plus the stack of open phases (for nesting)."""

    def __init__(self):
        super().__init__(float)
        self.open: list[float] = []  # per open phase: seconds spent in its inner phases
        self.counts: defaultdict = defaultdict(int)  # events, from count()


@contextlib.contextmanager
def record():
    """Collect ``{phase: seconds}`` for the code inside the block."""
    phases = _Phases()
    token = _current.set(phases)
    try:
        yield phases
    finally:
        _current.reset(token)


@contextlib.contextmanager
def phase(name: str, be=None):
    """Time a phase when a ``record()`` is active; otherwise do nothing.

    Phases nest: an inner phase (a transfer inside validation) is counted
    under its own name only, so the phases add up to the wall time.
    """
    phases = _current.get()
    if phases is None:
        yield
        return
    start = time.perf_counter()
    phases.open.append(0.0)
    try:
        yield
    finally:
        sync = getattr(be, "synchronize", None)
        if sync is not None:
            sync()
        elapsed = time.perf_counter() - start
        inner = phases.open.pop()
        phases[name] += elapsed - inner
        if phases.open:
            phases.open[-1] += elapsed


def count(name: str, n: int) -> None:
    """Add ``n`` to the event counter ``name`` when a ``record()`` is active."""
    phases = _current.get()
    if phases is not None:
        phases.counts[name] += int(n)
