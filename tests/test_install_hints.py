"""Every install instruction a user reads works today (issue 13 item 10).

gpusmote is installed from its checkout, not from a package index, so
`pip install gpusmote[cuda12]` fails; the instructions say
`pip install -e ".[cuda12]"` (from the repository root) or name CuPy itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
# `pip install gpusmote`, `pip install "gpusmote[cli]"`, `pip install gpusmote[cuda12]`
FROM_AN_INDEX = re.compile(r"pip install\s+(?:-\w+\s+)*[\\\"'`]*gpusmote\b")


def _user_facing_files():
    yield REPO / "README.md"
    yield REPO / "DEVELOPERS.md"
    yield REPO / "Makefile"
    for folder in ("gpusmote", "examples", "docs"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in (".py", ".md", ".ipynb", ".txt", ".rst"):
                yield path


@pytest.mark.parametrize("path", [p for p in _user_facing_files() if p.exists()],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_no_install_from_an_index(path):
    hits = [line.strip() for line in path.read_text(errors="replace").splitlines()
            if FROM_AN_INDEX.search(line)]
    assert hits == [], f"{path.relative_to(REPO)}: {hits}"


def test_cupy_error_names_an_install_that_works(monkeypatch):
    from gpusmote import SMOTE, backends

    monkeypatch.setattr(backends, "cupy_unavailable_reason", lambda: "CuPy cannot be imported")
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.r_[np.zeros(30, int), np.ones(10, int)]
    with pytest.raises(ValueError, match=r'pip install -e "\.\[cuda12\]"') as info:
        SMOTE(backend="cupy").fit_resample(X, y)
    assert "checkout" in str(info.value) and "cupy-cuda12x" in str(info.value)
    assert not FROM_AN_INDEX.search(str(info.value))


def test_missing_optional_dependency_names_the_checkout_install():
    from gpusmote.cli._registry import CLIError, need

    with pytest.raises(CLIError, match=r'install it with pip install -e "\.\[cli\]" '
                                       r"\(from the gpusmote checkout\)"):
        need("gpusmote_no_such_module", "resample")
