"""The package's shape: every module imports alone, no import cycle, lower layers never import upper ones.

The import graph is read with :mod:`ast` from ``src/vinpaint``: module-level imports make the edges
checked for cycles; imports anywhere (lazy ones inside functions too) are checked against the layers.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import vinpaint

PACKAGE = Path(vinpaint.__file__).parent

#: foundation modules and packages, and what they must never import
LOWER = ("vinpaint.io", "vinpaint.flow", "vinpaint.fill", "vinpaint.arrays", "vinpaint.threads", "vinpaint.errors",
         "vinpaint.registry", "vinpaint.composite")
UPPER = ("vinpaint.engines", "vinpaint.masks", "vinpaint.recipes", "vinpaint.cli", "vinpaint.studio", "vinpaint.bench",
         "vinpaint.evaluate", "vinpaint.pipeline")
#: the edges: no library module imports these
FRONT_ENDS = ("vinpaint.cli", "vinpaint.studio")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, *, top_level_only: bool) -> set[str]:
    """The vinpaint modules ``name`` imports (relative imports resolved; ``from pkg import mod`` is ``pkg.mod``)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return {module for module in found if module in MODULES}


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_every_module_imports_on_its_own():
    script = (
        "import importlib, sys, traceback\n"
        "failed = []\n"
        f"for name in {sorted(MODULES)!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'vinpaint' or m.startswith('vinpaint.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def _cycle() -> list[str] | None:
    graph = {name: _imports(name, top_level_only=True) for name in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            # a package's __init__ importing its own submodules, and a submodule importing its
            # package, is Python's normal package initialisation, not a cycle between modules
            if target == node or target.startswith(node + ".") or node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_no_import_cycle():
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("lower", LOWER)
def test_lower_layers_never_import_upper_ones(lower):
    offending = sorted(f"{name} imports {target}" for name in MODULES if _within(name, (lower,))
                       for target in _imports(name, top_level_only=False) if _within(target, UPPER))
    assert not offending, "; ".join(offending)


def test_the_library_never_imports_the_cli_or_the_studio():
    offending = sorted(f"{name} imports {target}" for name in MODULES if not _within(name, FRONT_ENDS)
                       for target in _imports(name, top_level_only=False) if _within(target, FRONT_ENDS))
    assert not offending, "; ".join(offending)


def test_the_command_line_starts_without_the_mask_tools():
    # `vinpaint remove` starts faster without them (vinpaint.masks and SciPy's ndimage: about 0.2 s)
    script = ("import sys, vinpaint.cli\n"
              "print(sorted(m for m in sys.modules if m.startswith(('vinpaint.masks', 'scipy.ndimage'))))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
