"""Progress bars on stderr for long work (tqdm; renders in notebooks too)."""

from __future__ import annotations


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
