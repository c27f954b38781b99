"""The shape of the code, read from the source with `ast`: each domain imports only the domains below it
(LAYERS), there is no import cycle, and no civicwatch module is imported inside a function (such an import
usually hides a cycle). A new upward import fails here, naming the module that makes it."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "civicwatch"

# The domains, bottom to top. A domain may import the domains of its own layer and of the layers below it.
# README.md ("Architecture") says the same in words.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"audit"}),  # every domain's changes write their audit entry, taxonomy's too
    frozenset({"taxonomy"}),
    frozenset({"accounts"}),
    frozenset({"messaging"}),
    frozenset({"classify"}),
    frozenset({"cases"}),
    frozenset({"routing"}),
    frozenset({"disclosure"}),  # the identity vault's grants: above cases, whose pages link to it
    frozenset({"patterns"}),  # allegations, subjects, related cases, alerts: read cases, shown by transparency
    frozenset({"transparency", "publishing"}),
    frozenset({"intake"}),
    frozenset({"sms"}),
    frozenset({"interfaces"}),
    frozenset({"retention"}),  # erases personal content wherever it is kept, SMS included: above them all
    frozenset({"demo", "public", "oversight"}),
)
# Modules directly under civicwatch/ that every domain may import. They import only each other.
CORE = frozenset({
    "database", "extensions", "errors", "crypto", "clock", "templating", "security_headers", "instance_secrets",
    "webhooks", "text", "phones", "cli", "schema_guard", "clients", "public_urls", "open_data", "open_data_cache",
    "request_limits", "settings", "xmltext", "compression", "durable", "i18n", "sqlite_writes", "wal_sync", "raw_statements",
    "session_cookies", "forms", "commit_outcome",
})
# The top, which wires everything together (the app factory, the commands, the models' metadata). Nothing
# below it imports it.
TOP = frozenset({"civicwatch", "commands", "models"})
# A module whose layer is not its folder's (none today): {module: domain whose layer it belongs to}.
LAYER_OF_MODULE: dict[str, str] = {}

LAYER_INDEX = {domain: index for index, layer in enumerate(LAYERS) for domain in layer}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. civicwatch.sms.inbox
    target: str  # the imported module, e.g. civicwatch.messaging.operations
    line: int
    in_function: bool
    type_checking: bool  # under `if TYPE_CHECKING:`: never runs

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The civicwatch modules an import statement loads (relative imports resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "civicwatch"]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    if base.split(".")[0] != "civicwatch":
        return []
    if base != "civicwatch":
        return [base]
    # `from civicwatch import x`: the module civicwatch.x, or a name defined in civicwatch/__init__.py.
    return [f"civicwatch.{alias.name}" if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").is_file()
            else "civicwatch" for alias in node.names]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, module: str, is_package: bool, in_function: bool, type_checking: bool) -> Iterator[Import]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for target in resolve(child, module, is_package):
                yield Import(module, target, child.lineno, in_function, type_checking)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, module, is_package, True, type_checking)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from _walk(child, module, is_package, in_function, True)
        else:
            yield from _walk(child, module, is_package, in_function, type_checking)


def all_imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found += _walk(tree, module_name(path), path.name == "__init__.py", False, False)
    return found


def unit(module: str) -> str:
    """The domain (folder under civicwatch/), or the core or top module, that a module belongs to."""
    for moved, layer in LAYER_OF_MODULE.items():
        if module == moved or module.startswith(moved + "."):
            return layer
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "civicwatch"


def runtime_edges() -> list[tuple[str, str, Import]]:
    return [(unit(i.module), unit(i.target), i) for i in all_imports()
            if not i.type_checking and unit(i.module) != unit(i.target)]


def layering_problem(source: str, target: str) -> str | None:
    if source in TOP:
        return None
    if target in TOP:
        return f"only the top ({', '.join(sorted(TOP))}) imports {target}"
    if source in CORE:
        return None if target in CORE else f"core module {source} may import only core modules, not {target}"
    if target in CORE:
        return None
    if LAYER_INDEX[target] > LAYER_INDEX[source]:
        allowed = sorted(d for d, index in LAYER_INDEX.items() if index <= LAYER_INDEX[source] and d != source)
        return f"{source} may import only core modules{''.join(', ' + d for d in allowed)}, not {target}"
    return None


def test_every_module_has_a_place_in_the_layering():
    top_level = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    domains = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert sorted(top_level - CORE - TOP) == [], "add each new module under civicwatch/ to CORE or TOP"
    assert sorted(domains - set(LAYER_INDEX)) == [], "add each new domain folder to LAYERS"
    assert sum(len(layer) for layer in LAYERS) == len(LAYER_INDEX), "a domain is listed twice in LAYERS"
    assert not CORE & TOP


def test_no_civicwatch_module_is_imported_inside_a_function():
    inner = [str(i) for i in all_imports() if i.in_function and not i.type_checking]
    assert not inner, "Import at module level; if that makes a cycle, the code is in the wrong domain:\n" + "\n".join(
        inner)


def test_no_dynamic_import_of_civicwatch_modules():
    calls = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and any(
                    isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("civicwatch")
                    for arg in node.args):
                name = ast.unparse(node.func)
                if name.endswith(("import_module", "__import__")):
                    calls.append(f"{module_name(path)} (line {node.lineno}) calls {name}")
    assert not calls, "Import the module by name instead: the layering checks only what it can read:\n" + "\n".join(
        calls)


def test_domains_import_only_downwards():
    problems = sorted({f"{imp}: {problem}" for source, target, imp in runtime_edges()
                       if (problem := layering_problem(source, target))})
    assert not problems, "Upward imports (see LAYERS):\n" + "\n".join(problems)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path (first node repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == "open":
                return path[path.index(successor):] + [successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_there_is_no_import_cycle_between_domains_or_core_modules():
    graph: dict[str, set[str]] = {}
    witness: dict[tuple[str, str], Import] = {}
    for source, target, imp in runtime_edges():
        if source not in TOP:
            graph.setdefault(source, set()).add(target)
            witness.setdefault((source, target), imp)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle) + ": " + "; ".join(
        str(witness[(a, b)]) for a, b in zip(cycle, cycle[1:], strict=False))


def test_the_checks_see_an_upward_import_and_a_cycle():
    """The rules themselves, on made-up edges: they must fail where the layering says so."""
    assert layering_problem("messaging", "sms") is not None
    assert layering_problem("sms", "messaging") is None
    assert layering_problem("transparency", "publishing") is None  # one layer
    assert layering_problem("cases", "commands") is not None
    assert layering_problem("database", "cases") is not None
    assert layering_problem("commands", "demo") is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
