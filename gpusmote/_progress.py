"""Progress bars on stderr for long work (tqdm; renders in notebooks too)."""

from __future__ import annotations

import contextlib
import contextvars

# Set by a sampler's fit_resample for everything it calls (nested samplers add
# to it), so each neighbour search need not be told separately.
_verbose: contextvars.ContextVar[bool] = contextvars.ContextVar("gpusmote_verbose",
                                                                default=False)


@contextlib.contextmanager
def verbosity(enabled: bool):
    """Progress bars on for the code inside the block (if on outside, they stay on)."""
    token = _verbose.set(bool(enabled) or _verbose.get())
    try:
        yield
    finally:
        _verbose.reset(token)


def verbose_default() -> bool:
    """Whether the enclosing sampler asked for progress bars."""
    return _verbose.get()


class _Silent:
    """Stands in for a bar when progress is off."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def progress_bar(enabled: bool, total: int, desc: str, unit: str = "row"):
    """A tqdm bar when ``enabled``, else an object with the same methods that does nothing."""
    if not enabled:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, leave=False,
                dynamic_ncols=True)
