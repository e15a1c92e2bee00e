"""Block sizes from a memory budget: every blocked loop asks here how many rows fit."""

from __future__ import annotations

DEFAULT_WORKING_MEMORY_MIB = 256


def budget_bytes(working_memory: float | None, free_bytes: int | None = None) -> int:
    """The byte budget for temporaries: the user's MiB cap, else the default,
    and never more than half of what the device reports free."""
    mib = DEFAULT_WORKING_MEMORY_MIB if working_memory is None else working_memory
    if mib <= 0:
        raise ValueError(f"working_memory must be a positive number of MiB, got {mib!r}.")
    budget = int(mib * 2**20)
    if free_bytes is not None:
        budget = min(budget, free_bytes // 2)
    return max(budget, 1)


def rows_per_block(row_bytes: int, budget: int, n_rows: int) -> int:
    """How many rows of ``row_bytes`` each fit in ``budget`` (at least 1, at most n_rows)."""
    return int(max(1, min(n_rows, budget // max(row_bytes, 1))))


def block_starts(n: int, size: int) -> range:
    """Start offsets of consecutive blocks of ``size`` covering ``range(n)``."""
    return range(0, n, max(1, size))
