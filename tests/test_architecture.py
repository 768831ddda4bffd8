"""The house rules of ``src/handgrad`` (see ARCHITECTURE.md), checked on the source with ``ast``.

* imports run one way: every module imports only modules of its own level or below
  (:data:`LEVELS`), and the import graph has no cycle;
* no handgrad import inside a function body (an import to dodge a cycle hides it; optional
  third-party extras such as matplotlib or onnx may be imported where they are used);
* no module reaches into another module's private (``_name``) attributes;
* no module over 600 lines; no function over 60 lines in the training loop (``training/``).

``TEMPORARY_EXCEPTIONS`` lists the modules another piece of work is splitting; they are exempt
until then.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "handgrad"

#: Modules being split into packages elsewhere (tuning/ and plotting/); remove them from this
#: list once that work has landed.
TEMPORARY_EXCEPTIONS = ("handgrad.tuning", "handgrad.plotting")

MAX_MODULE_LINES = 600
MAX_TRAINING_FUNCTION_LINES = 60

#: The levels of the house, bottom first; a module may import its own level and the ones below.
#: A module not listed takes the level of its package (``handgrad.layers.dense`` is ``layers``).
LEVELS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundations",
        (
            "handgrad._version",
            "handgrad._atomic",
            "handgrad._parallel",
            "handgrad._rowops",
            "handgrad._split",
            "handgrad.validation",
            "handgrad._validation",
            "handgrad.activations",
            "handgrad.losses",
            "handgrad.initializers",
            "handgrad.regularizers",
            "handgrad.constraints",
            "handgrad.schedules",
            "handgrad.optimizers",
            "handgrad.metrics",
            "handgrad.data",
        ),
    ),
    ("layers", ("handgrad.layers",)),
    ("serialization", ("handgrad.saving", "handgrad.saving.registry", "handgrad.saving.hgz")),
    ("session", ("handgrad.training", "handgrad.training.session", "handgrad.training.batching")),
    ("tools", ("handgrad.tools",)),
    ("callbacks", ("handgrad.callbacks",)),
    ("trainer", ("handgrad.training.trainer",)),
    ("model", ("handgrad.sequential",)),
    (
        "applications",
        (
            "handgrad.saving.load",
            "handgrad.saving.onnx",
            "handgrad.models",
            "handgrad.recipes",
            "handgrad.sklearn",
            "handgrad.cli",
            "handgrad.tuning",
            "handgrad.plotting",
            "handgrad.playground",
            # the old homes of moved modules: shims that re-export them
            "handgrad.model",
            "handgrad.io",
            "handgrad.onnx_export",
            "handgrad.gradcheck",
            "handgrad.diagnostics",
            "handgrad.lr_finder",
        ),
    ),
    ("package", ("handgrad",)),
]

#: Private attributes of third-party objects that handgrad must use, with the reason.
THIRD_PARTY_PRIVATE = {
    ("handgrad.sklearn.estimator", "_validate_data"): "scikit-learn < 1.6 has no validate_data",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module of a relative ``from ... import`` in module ``name``."""
    package = name.split(".") if _is_package(name) else name.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, node: ast.AST) -> list[str]:
    """The handgrad modules an import statement loads (parent packages included)."""
    targets = []
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        module = _resolve(name, node) if node.level else (node.module or "")
        targets = [module]
        # ``from package import submodule`` loads the submodule
        targets += [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
    found = set()
    for target in targets:
        if target != "handgrad" and not target.startswith("handgrad."):
            continue
        parts = target.split(".")
        for i in range(2, len(parts) + 1):  # every package on the way is imported too ...
            found.add(".".join(parts[:i]))
    # ... but the packages the importing module sits in are already being imported
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return sorted((found & MODULES.keys()) - ancestors - {name})


def _function_bodies(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _top_level_imports(name: str) -> set[str]:
    nested = {
        id(n)
        for fn in _function_bodies(TREES[name])
        for n in ast.walk(fn)
        if isinstance(n, (ast.Import, ast.ImportFrom))
    }
    return {
        target
        for node in ast.walk(TREES[name])
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in nested
        for target in _imports(name, node)
    }


GRAPH = {name: _top_level_imports(name) for name in MODULES}


def _level(name: str) -> int:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        for level, (_, members) in enumerate(LEVELS):
            if prefix in members:
                return level
    raise AssertionError(f"{name} has no level; add it (or its package) to LEVELS")


def _exempt(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in TEMPORARY_EXCEPTIONS)


# ------------------------------------------------------------------------------ the rules
def test_every_module_has_a_level():
    for name in MODULES:
        _level(name)


def test_imports_never_go_up_a_level():
    upward = [
        f"{name} ({LEVELS[_level(name)][0]}) imports {target} ({LEVELS[_level(target)][0]})"
        for name, targets in GRAPH.items()
        if name != "handgrad" and not _exempt(name)
        for target in targets
        if _level(target) > _level(name)
    ]
    assert upward == []


def test_the_import_graph_has_no_cycle():
    graph = {n: {t for t in ts if t != "handgrad"} for n, ts in GRAPH.items() if n != "handgrad"}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_no_handgrad_import_inside_a_function():
    found = [
        f"{name}:{node.lineno} imports {', '.join(_imports(name, node))} inside {fn.name}()"
        for name, tree in TREES.items()
        if not _exempt(name)
        for fn in _function_bodies(tree)
        for node in ast.walk(fn)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _imports(name, node)
    ]
    assert found == []


def _own_names(tree: ast.AST) -> set[str]:
    """Names a module defines: functions, classes, assigned names and ``self.x`` attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def _is_self(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def test_no_module_reaches_into_another_modules_private_attributes():
    found = []
    for name, tree in TREES.items():
        if _exempt(name):
            continue
        own = _own_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _imports(name, node):
                module = _resolve(name, node) if node.level else node.module
                found += [
                    f"{name}:{node.lineno} imports the private {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                    and not a.name.startswith("__")
                    and f"{module}.{a.name}" not in MODULES  # a private module is fine
                ]
            if not isinstance(node, ast.Attribute) or _is_self(node.value):
                continue
            attr = node.attr
            private = attr.startswith("_") and not attr.startswith("__")
            if private and attr not in own and (name, attr) not in THIRD_PARTY_PRIVATE:
                found.append(f"{name}:{node.lineno} reads .{attr}")
    assert found == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_600_lines(name):
    if _exempt(name):
        pytest.skip("being split elsewhere (TEMPORARY_EXCEPTIONS)")
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{MODULES[name]} has {lines} lines"


def _body_lines(fn: ast.FunctionDef) -> int:
    """Lines of a function's body, its docstring left out."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] or body
    return body[-1].end_lineno - body[0].lineno + 1


def test_no_function_of_the_training_loop_is_over_60_lines():
    long = [
        f"{name}.{fn.name}: {_body_lines(fn)} lines"
        for name, tree in TREES.items()
        if name.startswith("handgrad.training")
        for fn in _function_bodies(tree)
        if _body_lines(fn) > MAX_TRAINING_FUNCTION_LINES
    ]
    assert long == []


def test_the_rules_see_real_violations():
    """The checkers flag what they are meant to (guards against a test that passes vacuously)."""
    tree = ast.parse("def f(obj):\n    from . import sequential\n    return obj._layers\n")
    fn = next(_function_bodies(tree))
    nested = [n for n in ast.walk(fn) if isinstance(n, ast.ImportFrom)]
    assert _imports("handgrad.recipes", nested[0]) == ["handgrad.sequential"]
    assert "handgrad.sequential" in GRAPH["handgrad.recipes"]
    assert _level("handgrad.layers.dense") == 1 and _level("handgrad.cli.parser") == len(LEVELS) - 2
    assert _body_lines(fn) == 2
