"""The modules of src/vaelab import each other without a circle (typing-only imports count too)."""

import ast
from pathlib import Path

import vaelab

ROOT = Path(vaelab.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("vaelab",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def import_graph() -> dict[str, set[str]]:
    """Module -> the vaelab modules it imports anywhere in its source (function bodies and
    ``if TYPE_CHECKING`` blocks included; ``from vaelab.x import y`` counts as an import of
    ``vaelab.x.y`` when that is a module, else of ``vaelab.x``, as the project's stop hook reads them)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                named = {f"{base}.{a.name}" for a in node.names} & set(modules)
                deps |= named or {base}
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of nodes (first == last), or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(graph[n]):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (found := visit(d)):
                return found
        state[n] = 2
        stack.pop()
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_find_cycle_detects_a_circle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_graph_sees_the_known_edges():
    graph = import_graph()
    assert "vaelab.models" in graph["vaelab.config"]
    assert "vaelab.samplers.base" in graph["vaelab.samplers.flows"]
    assert len(graph) > 50


def test_no_import_circle_in_vaelab():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)
