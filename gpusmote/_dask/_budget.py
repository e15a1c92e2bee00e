"""The memory budget of one gathered set of rows (one task's share).

A class that is over-sampled is gathered into one task; so are the rows its
new rows are drawn from and the draws themselves. Each must fit
``gpusmote.dask.gather-budget`` in Dask's configuration (default 2 GiB), or
``fit_resample`` stops before reading anything, with the sizes and the fix.
"""

from __future__ import annotations

CONFIG_KEY = "gpusmote.dask.gather-budget"
DEFAULT_BUDGET = "2GiB"


def gather_budget() -> int:
    """The budget in bytes: ``dask.config.get(CONFIG_KEY)``, else the default."""
    import dask
    from dask.utils import parse_bytes

    value = dask.config.get(CONFIG_KEY, default=DEFAULT_BUDGET)
    return int(parse_bytes(value) if isinstance(value, str) else value)


def check_budget(what: str, n_rows: int, row_bytes: int, sampler_name: str,
                 fix: str = "or ask for fewer new rows (sampling_strategy), or use fewer "
                            "feature columns.") -> None:
    """Refuse to gather ``n_rows`` rows of ``row_bytes`` into one task past the budget
    (``fix``: the message's last words, the other ways out)."""
    need = int(n_rows) * int(row_bytes)
    budget = gather_budget()
    if need <= budget:
        return
    from dask.utils import format_bytes

    raise ValueError(
        f"{sampler_name} on Dask gathers {what} into one task: {n_rows} rows of "
        f"{row_bytes} bytes, {format_bytes(need)}, more than the gather budget of "
        f"{format_bytes(budget)}. Raise the budget if one worker has the memory: "
        f"dask.config.set({{{CONFIG_KEY!r}: '{format_bytes(int(need * 1.25)).replace(' ', '')}'}}); "
        f"{fix}")
