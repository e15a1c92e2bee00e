"""Keep freed memory inside a heavy task on a Dask worker, and give it back after.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``
(``distributed.nanny.pre-spawn-environ``): glibc then hands every freed block
above 64 KiB back to the kernel at once, and stops raising its mmap threshold.
The neighbour search allocates and frees block temporaries of megabytes over and
over, so each one comes back as fresh pages, faulted in one by one: W2's search
took 0.38 s instead of 0.16 s in such a process. ``roomy_malloc`` raises both
thresholds for the length of one task (the search, a plan, a block of new rows)
and then restores Dask's setting and trims, so between tasks the worker holds
no more than Dask intends. Elsewhere (no glibc, or no such variable) it does
nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's mmap threshold cannot exceed 32 MiB on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX)
_MMAP_MAX = 32 << 20
_DEFAULT_MMAP = 128 << 10
_lock = threading.Lock()
_depth = 0


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    return libc


def _trim_threshold() -> int | None:
    value = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@contextlib.contextmanager
def roomy_malloc():
    """Inside: freed memory stays with the process; after: the process's setting
    again, and what is free given back (see the module docstring). Nested and
    concurrent uses (threads of one worker) share one raise."""
    global _depth
    trim = _trim_threshold()
    libc = _libc() if trim is not None else None
    if libc is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_MMAP)
                libc.mallopt(_M_TRIM_THRESHOLD, trim)
                libc.malloc_trim(0)


def roomy(fn):
    """``fn`` run inside ``roomy_malloc`` (for the Dask path's heavy task functions)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with roomy_malloc():
            return fn(*args, **kwargs)
    return wrapper
