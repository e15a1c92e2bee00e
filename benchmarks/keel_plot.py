"""One picture of `benchmarks/keel.py` runs: for every sampler, one dot per KEEL data
set at imbalanced-learn's median time over gpusmote's (log scale; right of the 1x line
is faster), and the sampler's median as a bar.

    python benchmarks/keel_plot.py results/keel_a.json results/keel_b.json -o docs/keel.png

Several result files are drawn together (a sampler in more than one file takes the
last file's pairs), so that the main samplers' run and issue 15's run make one figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

FASTER = "#1f77b4"
SLOWER = "#d62728"


def ratios_by_sampler(paths: list[str]) -> dict[str, list[tuple[str, float]]]:
    """{sampler: [(data set, ratio), ...]} from keel.py result files, in the order
    the samplers first appear; pairs that were skipped or failed are left out."""
    by_sampler: dict[str, list[tuple[str, float]]] = {}
    for path in paths:
        rows = json.loads(Path(path).read_text())["results"]
        fresh: dict[str, list[tuple[str, float]]] = {}
        for row in rows:
            if "ratio" in row:
                fresh.setdefault(row["sampler"], []).append((row["data_set"], row["ratio"]))
        by_sampler.update(fresh)
    return by_sampler


def plot(by_sampler: dict[str, list[tuple[str, float]]], out: str,
         title: str | None = None) -> str:
    """Draw the figure into ``out`` (PNG) and return its path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(by_sampler)
    fig, ax = plt.subplots(figsize=(8, 0.36 * len(names) + 1.4))
    jitter = np.random.default_rng(0)
    for row, name in enumerate(names):
        ratios = np.array([r for _, r in by_sampler[name]])
        y = row + jitter.uniform(-0.22, 0.22, size=ratios.size)
        ax.scatter(ratios, y, s=12, alpha=0.7, linewidths=0,
                   c=np.where(ratios < 1.0, SLOWER, FASTER))
        median = statistics.median(ratios.tolist())
        ax.plot([median, median], [row - 0.35, row + 0.35], color="black", lw=2)
    ax.axvline(1.0, color="grey", lw=1, ls="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.set_yticks(range(len(names)), [f"{n} ({len(by_sampler[n])})" for n in names])
    ax.invert_yaxis()
    ax.set_xlabel("imbalanced-learn's median time / gpusmote's (right of 1× is faster)")
    ax.set_title(title or "gpusmote vs imbalanced-learn on KEEL data sets\n"
                 "(dot: one data set; bar: the sampler's median; red: slower)", fontsize=10)
    ax.set_xlim(left=min(0.5, ax.get_xlim()[0]))
    ax.grid(axis="x", which="both", alpha=0.25)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="keel.py result JSON files")
    parser.add_argument("-o", "--out", default="docs/keel.png")
    parser.add_argument("--title")
    args = parser.parse_args(argv)
    path = plot(ratios_by_sampler(args.results), args.out, args.title)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
