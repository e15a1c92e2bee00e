"""The package's layers import one way: the library never imports the tool layer
(gpusmote/cli/; only __main__.py, `python -m gpusmote`, enters it), and inside the tool layer the arrows run
_main -> _compare/_demo/_tables -> _registry/_plots/_models -> the library."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gpusmote"


def _imports(path: Path) -> set[str]:
    """Absolute names of the gpusmote modules a file imports (at any depth)."""
    package = ["gpusmote"] + list(path.relative_to(PACKAGE).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "gpusmote"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "gpusmote":
                continue
            found.add(module)
            found |= {f"{module}.{a.name}" for a in node.names}  # `from . import _demo`
    return found


def test_the_library_does_not_import_the_tool_layer():
    offenders = {str(p.relative_to(PACKAGE)): sorted(m for m in _imports(p)
                                                       if m.startswith("gpusmote.cli"))
                 for p in PACKAGE.rglob("*.py")
                 if "cli" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py"}
    assert {k: v for k, v in offenders.items() if v} == {}


ALLOWED = {
    "_main": {"_registry", "_tables", "_compare", "_demo", "_plots", "_stream"},
    "_stream": {"_registry", "_tables"},
    "_compare": {"_registry", "_models", "_demo"},
    "_demo": {"_registry", "_models", "_plots"},
    "_tables": {"_registry"},
    "_plots": {"_registry"},
    "_models": set(),
    "_registry": set(),
}


def test_the_tool_layer_imports_one_way():
    cli = PACKAGE / "cli"
    modules = {p.stem for p in cli.glob("_*.py") if p.stem != "__init__"}
    assert modules == set(ALLOWED), "a new module of gpusmote/cli needs its place here"
    for name in modules:
        used = {m.split(".")[2] for m in _imports(cli / f"{name}.py")
                if m.startswith("gpusmote.cli.") and m.split(".")[2] in modules}
        assert used <= ALLOWED[name], (name, used - ALLOWED[name])
