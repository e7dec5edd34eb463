"""The layers import one way: core ← festival ← merchants ← logistics ← promotions ←
reports ← api ← public, with demo on top. The project modules in festival/ (settings,
root URLconf, Celery app) name the apps only by string, so they are checked like the
rest of festival/.

Read from the source with ``ast``, so an upward import anywhere in a module (at the
top or inside a function) fails here, and so does an import cycle between modules
at import time (imports inside functions, such as a task importing its service, run
later and cannot form one).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "festival", "merchants", "logistics", "promotions", "reports", "api", "public", "demo"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield module_name(path), path


def imports_of(name: str, path: Path):
    """(imported module, at import time?) for every import of ours in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from package import module" imports the module
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in LAYERS:
                # Only statements of the module body run at import time (not those in
                # functions, nor under ``if TYPE_CHECKING:``).
                yield target, id(node) in top_level


def layer_of(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{name} imports {target}"
        for name, path in source_modules()
        for target, _at_import in imports_of(name, path)
        if layer_of(target) > layer_of(name)
    ]

    assert upward == []


def test_core_imports_no_app_of_ours():
    ours = [
        f"{name} imports {target}"
        for name, path in source_modules()
        if name.split(".")[0] == "core"
        for target, _at_import in imports_of(name, path)
        if target.split(".")[0] != "core"
    ]

    assert ours == []


def test_no_import_cycle_between_modules_at_import_time():
    modules = dict(source_modules())
    graph = {
        name: {target for target, at_import in imports_of(name, path) if at_import and target in modules}
        for name, path in modules.items()
    }
    cycles = []
    state: dict[str, str] = {}

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])

    assert cycles == []


@pytest.mark.parametrize(
    ("source", "target", "caught"),
    [
        ("merchants.urls", "promotions.views", True),
        ("festival.models", "merchants.models", True),
        ("promotions.services", "merchants.models", False),
        ("demo.builder", "api.models", False),
    ],
)
def test_layer_order_flags_upward_imports(source, target, caught):
    assert (layer_of(target) > layer_of(source)) is caught
