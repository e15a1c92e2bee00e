"""Per-phase wall-clock timing for the benchmarks, free when nobody is recording.

``with record() as phases:`` collects seconds per phase name from every
``with phase("neighbours", be):`` inside it. On the GPU a phase synchronises
the device at its end, so the time is the work's, not the launch's.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import defaultdict

_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("gpusmote_phases",
                                                                       default=None)


@contextlib.contextmanager
def record():
    """Collect ``{phase: seconds}`` for the code inside the block."""
    phases: dict = defaultdict(float)
    token = _current.set(phases)
    try:
        yield phases
    finally:
        _current.reset(token)


@contextlib.contextmanager
def phase(name: str, be=None):
    """Time a phase when a ``record()`` is active; otherwise do nothing."""
    phases = _current.get()
    if phases is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        sync = getattr(be, "synchronize", None)
        if sync is not None:
            sync()
        phases[name] += time.perf_counter() - start
