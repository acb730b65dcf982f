"""The import layers of README "Layout", checked over every import (function-level ones included).

A module may import its own package and the layers below it, never a layer above; packages that
share a layer as independent siblings never import each other; there is no import cycle anywhere;
`analysis/` and `survey_definitions/` import nothing from `app`, Flask or SQLAlchemy; a
function-level import is only for a heavy optional dependency, with its reason on the line.
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "analysis", "survey_definitions")

VIEWS = "views"
# Top to bottom. Each entry: (names, independent). A name is a package or module prefix.
LAYERS: list[tuple[tuple[str, ...], bool]] = [
    (("app",), False),  # the factory: app/__init__.py only
    (("app.api", "app.cli"), True),
    (("app.demo", "app.demo_rows", "app.demo_units"), False),
    ((VIEWS,), False),  # every feature's *_views.py and app/homes.py: routes over the services below
    (("app.reports", "app.opendata"), True),
    (("app.quality",), False),
    (("app.review",), False),
    (("app.results",), False),
    (("app.reach",), False),
    (("app.collect",), False),
    (("app.cases",), False),
    (("app.outbox",), False),
    (("app.programme",), False),
    (("app.accounts",), False),
    (("app.shared",), False),
    (("app.blueprints", "app.config", "app.dbpool", "app.errors", "app.extensions", "app.health",
      "app.i18n", "app.logfilter", "app.security", "app.static_files", "app.throttle", "app.transport"), False),
    (("app.models",), False),
    (("analysis", "survey_definitions"), True),
]
# Deferred on purpose: slow to import, or optional extras. Anything else is imported at the top.
HEAVY = {"analysis", "scipy", "statsmodels", "numpy", "pandas", "plotly", "pyreadstat", "openpyxl", "redis",
         "segno", "babel", "pyarrow"}
# The application factory and the CLI's init_app import the parts they assemble when they are
# called (Flask's factory pattern), so that `import app.models` (Alembic, scripts) stays light.
FACTORIES = {"app", "app.cli"}
FORBIDDEN_BELOW_APP = ("app", "flask", "flask_babel", "flask_wtf", "flask_sqlalchemy", "sqlalchemy")
HEAVY |= {"dask", "distributed"}  # the optional extra sipas[dask]: analysis/partitioned.py
HEAVY |= {"pyvi", "sklearn"}  # the comment tagger: pyvi loads its CRF model, scikit-learn fits (app/review/vitext.py, tag_model.py)
MAX_LINES, MAX_MODULES = 400, 16


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (or the module a name comes from)
    line: int
    nested: bool  # inside a function or class body
    reason: bool  # a comment on the line or the line above


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_tree(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))
            if "node_modules" not in p.parts}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    is_package = path.name == "__init__.py"
    nested_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    nested_lines.add(inner.lineno)
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            # `from package import module` imports the module; `from module import name` the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        line = node.lineno
        reason = "#" in lines[line - 1] or (line > 1 and lines[line - 2].strip().startswith("#"))
        found += [Import(name, t, line, line in nested_lines, reason) for t in targets]
    return found


def layer_of(module: str) -> int | None:
    if module.endswith("_views") or module == "app.homes":
        return next(i for i, (names, _) in enumerate(LAYERS) if names == (VIEWS,))
    best: tuple[int, int] | None = None  # (length of the matching name, layer index)
    for index, (names, _independent) in enumerate(LAYERS):
        for prefix in names:
            if module == prefix or module.startswith(prefix + "."):
                if prefix == "app" and module != "app":
                    continue  # "app" names the factory module alone
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return None if best is None else best[1]


def group_of(module: str) -> str:
    if layer_of(module) == layer_of("app.homes"):
        return VIEWS
    index = layer_of(module)
    names = LAYERS[index][0] if index is not None else ()
    return max((p for p in names if module == p or module.startswith(p + ".")), key=len, default=module)


def internal(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def problems(root: Path) -> list[str]:
    modules = read_tree(root)
    found: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        where = path.relative_to(root)
        for imp in imports_of(name, path, modules):
            top = imp.target.split(".")[0]
            if name.split(".")[0] in ("analysis", "survey_definitions") and top in FORBIDDEN_BELOW_APP:
                found.append(f"{where}:{imp.line}: {name} imports {imp.target} (analysis and survey_definitions "
                             "stay free of app, Flask and SQLAlchemy)")
            if imp.nested and name not in FACTORIES and not (top in HEAVY and imp.reason):
                found.append(f"{where}:{imp.line}: function-level import of {imp.target}: import it at the top, "
                             "or, for a heavy optional dependency, say why on the line")
            target = internal(imp.target, modules)
            if target is None or target == name:
                continue
            graph[name].add(target)
            if not name.startswith("app"):
                continue
            mine, theirs = layer_of(name), layer_of(target)
            if mine is None or theirs is None:
                found.append(f"{where}:{imp.line}: {name if mine is None else target} is in no layer of "
                             "tests/test_layers.py (add it where it belongs)")
            elif theirs < mine:
                found.append(f"{where}:{imp.line}: {name} imports {target}, a layer above it")
            elif theirs == mine and LAYERS[mine][1] and group_of(name) != group_of(target):
                found.append(f"{where}:{imp.line}: {name} imports {target}: independent siblings")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component) + [sorted(component)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


def test_the_code_keeps_its_layers():
    assert problems(ROOT) == []


def test_modules_stay_small_and_packages_few():
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "app").rglob("*.py")}
    assert {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > MAX_LINES} == {}
    for package in [p for p in (ROOT / "app").rglob("__init__.py")]:
        count = len([m for m in package.parent.glob("*.py") if m.name != "__init__.py"])
        assert count <= MAX_MODULES, f"{package.parent.relative_to(ROOT)} holds {count} modules"
    assert not (ROOT / "app" / "services").exists()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


GOOD = {"app/collect/__init__.py": "", "app/collect/store.py": "from app.programme import waves\n",
        "app/programme/__init__.py": "", "app/programme/waves.py": "from app.models import Wave\n",
        "app/models/__init__.py": "Wave = None\n", "analysis/rates.py": "import numpy\n"}


def test_a_clean_tree_passes(tmp_path):
    assert problems(write(tmp_path, GOOD)) == []


@pytest.mark.parametrize(("files", "expected"), [
    ({"app/programme/waves.py": "from app.collect import store\n"}, "a layer above it"),
    ({"app/programme/waves.py": "def f():\n    from app.collect.store import x\n"}, "a layer above it"),
    ({"app/collect/store.py": "from app.collect import paper\n", "app/collect/paper.py": "from app.collect import store\n"},
     "import cycle: app.collect.paper -> app.collect.store -> app.collect.paper"),
    ({"analysis/rates.py": "from app.models import Wave\n"}, "stay free of app"),
    ({"survey_definitions/loader.py": "import sqlalchemy\n"}, "stay free of app"),
    ({"app/collect/store.py": "def f():\n    from app.programme import waves\n"}, "function-level import"),
    ({"app/collect/store.py": "def f():\n    import scipy\n"}, "say why on the line"),
    ({"app/collect/store.py": "from app.collect import answer_views\n", "app/collect/answer_views.py": ""},
     "a layer above it"),
    ({"app/cli/demo.py": "from app.api import routes\n", "app/api/routes.py": ""}, "independent siblings"),
    ({"app/newthing.py": "from app.models import Wave\n"}, "is in no layer"),
])
def test_an_upward_or_circular_import_is_caught(tmp_path, files, expected):
    found = problems(write(tmp_path, {**GOOD, **files}))
    assert any(expected in p for p in found), found


def test_a_heavy_import_with_its_reason_is_allowed(tmp_path):
    files = {"app/collect/store.py": "def f():\n    import scipy  # slow to import; only the export needs it\n"}
    assert problems(write(tmp_path, {**GOOD, **files})) == []
