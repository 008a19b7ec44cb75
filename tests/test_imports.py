"""The import graph, stated: imports go one way between packages, and inside a
package no module imports, at its top, one that imports it back.

Read from the source with ``ast`` (nothing is imported): an import at a module's
top level runs when the module is imported; one inside a function runs when the
function is called (a lazy import); one under ``if TYPE_CHECKING:`` never runs.
The top-level imports of each package form no circle. A lazy import that would
close a circle is allowed only when it is listed in ``LAZY`` with the reason it
is lazy; a new one fails here, and so does a listed one that no longer exists.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grammar", "procedures", "book")

# (importer, imported): why the import is inside a function rather than at the top.
LAZY = {
    (
        "grammar.tree",
        "grammar.render",
    ): "a node's str is its rendering, and rendering walks the tree's classes",
    ("book.sandbox.app", "book.sandbox.transport"): (
        "the in-process transport drives the sandbox's ASGI app, which makes it on demand"
    ),
}

# Each package imports only those after it: book -> procedures -> grammar.
MAY_IMPORT = {"grammar": {"grammar"}, "procedures": {"grammar", "procedures"}, "book": set(PACKAGES)}

Edge = tuple[str, str, int, str]  # importer, imported, line, "top" / "lazy" / "typing"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project's module an imported name is, or is in (None: not the project's)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
        ]
    for name in names:
        found = _resolve(name)
        if found is not None and found != module:
            yield found


def _edges(module: str, path: Path) -> Iterator[Edge]:
    def visit(node: ast.AST, how: str) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield from ((module, target, child.lineno, how) for target in _targets(child, module, path))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, "lazy" if how == "top" else how)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for statement in child.body:
                    yield from visit(ast.Module(body=[statement], type_ignores=[]), "typing")
                for statement in child.orelse:
                    yield from visit(ast.Module(body=[statement], type_ignores=[]), how)
            else:
                yield from visit(child, how)

    return visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), "top")


EDGES = [edge for module, path in MODULES.items() for edge in _edges(module, path)]


def _graph(extra: tuple[str, str] | None = None) -> dict[str, set[str]]:
    """The top-level imports inside each package (plus ``extra``)."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for importer, imported, _, how in EDGES:
        if how == "top" and importer.split(".")[0] == imported.split(".")[0]:
            graph[importer].add(imported)
    if extra is not None:
        graph[extra[0]].add(extra[1])
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    circles.append(sorted(group))
    return circles


def test_the_graph_is_read() -> None:
    """A sanity check of the reading itself: known imports are found, of each kind."""
    edges = {(importer, imported, how) for importer, imported, _, how in EDGES}
    assert ("procedures.runtime", "procedures.registry", "top") in edges
    assert ("book.session", "book.procedures", "top") in edges
    assert ("grammar.tree", "grammar.render", "lazy") in edges
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_circle_among_top_level_imports_inside_a_package() -> None:
    assert _circles(_graph()) == []


def test_each_lazy_import_that_closes_a_circle_is_listed_with_its_reason() -> None:
    closing = {
        (importer, imported)
        for importer, imported, _, how in EDGES
        if how == "lazy"
        and importer.split(".")[0] == imported.split(".")[0]
        and _circles(_graph((importer, imported)))
    }
    assert closing == set(LAZY), (
        "a lazy import closes a circle: remove the circle, or list it in LAZY with the reason it is lazy"
        if closing - set(LAZY)
        else "LAZY lists an import that no longer closes a circle: remove it from LAZY"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_go_one_way(package: str) -> None:
    """grammar imports nothing of procedures or book; procedures nothing of book
    (at any level, lazily or for type checking too)."""
    wrong = [
        f"{importer}:{line} imports {imported}"
        for importer, imported, line, _ in EDGES
        if importer.split(".")[0] == package and imported.split(".")[0] not in MAY_IMPORT[package]
    ]
    assert wrong == []


def test_the_command_parser_loads_no_parser_client_or_models() -> None:
    """`book --help` starts light: the command's parser is made without lark, httpx,
    pydantic or the book's procedures, which load when a command runs (issue 18)."""
    code = (
        "import importlib, sys; importlib.import_module('book.cli.main').parser(); "
        "print(sorted(m for m in ('lark', 'httpx', 'pydantic', 'procedures', 'book.client') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _loaded_by_run(english: str, tmp_path: Path, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a ``book run -e ENGLISH`` on a new sandbox has loaded when it ends."""
    code = (
        "import sys; from book.cli.main import main; "
        f"code = main(['run', '-e', {english!r}]); "
        f"print(code, sorted(m for m in {modules!r} if m in sys.modules))"
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TWILIO_") and key != "SMS_BOOK_TWILIO_URL"
    }
    environment["SMS_BOOK_SANDBOX"] = str(tmp_path / "sandbox.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    )
    code, loaded = done.stdout.strip().splitlines()[-1].split(" ", 1)
    assert code == "0", done.stderr
    return list(ast.literal_eval(loaded))


SERVING = (
    "starlette",
    "anyio",
    "uvicorn",
    "httpx",
    "book.client",
    "book.sandbox.transport",
    "book.sandbox.asgi",
)


def test_a_run_that_makes_no_request_loads_no_web_framework(tmp_path: Path) -> None:
    """`book run -e 'say "hi"'` opens the sandbox (SQLite) but sends it nothing:
    the clients and httpx, the sandbox's ASGI app, Starlette and anyio load with the
    first request, through its transport (issue 18). A read loads them, which shows
    the test can see them."""
    assert _loaded_by_run('say "hi"', tmp_path, SERVING) == []
    assert _loaded_by_run("read the first 5 SMS messages", tmp_path, SERVING) == [
        "anyio",
        "book.client",
        "book.sandbox.asgi",
        "book.sandbox.transport",
        "httpx",
        "starlette",
    ]
