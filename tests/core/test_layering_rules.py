"""The architecture's rules (DESIGN.md), checked on the sources and at import time.

Which package may import which is one table, ``MAY_IMPORT``; inside ``kiosk/`` the
packages are layers, each importing only those below it (``KIOSK_LAYERS``). The last test
imports every module a kiosk runs with central's server libraries made unimportable, as on
a kiosk installed without them.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Our top-level packages and which of ours each may import (itself always).
MAY_IMPORT: dict[str, set[str]] = {
    "protocol": set(),
    # faces as numbers and the drawn demo faces, shared by the kiosk and central
    "biometrics": set(),
    "drivers": {"biometrics"},
    "kiosk": {"protocol", "drivers", "biometrics"},
    "screens": {"kiosk", "protocol", "drivers"},
    "kiosk_app": {"kiosk", "screens", "protocol", "drivers"},
    "central": {"protocol", "biometrics"},
}
OURS = set(MAY_IMPORT) | {"tools", "tests", "benchmarks"}

# Libraries only the central server installs: nothing a kiosk runs may need them.
SERVER_ONLY = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "argon2", "psycopg", "anyio"}
KIVY_FREE = {"protocol", "biometrics", "drivers", "kiosk", "central"}

# kiosk/ from the bottom up: a module imports only from its own layer and those below.
KIOSK_LAYERS: list[set[str]] = [
    {"kiosk", "kiosk.config", "kiosk.errors", "kiosk.i18n", "kiosk.worker", "kiosk.periodic",
     "kiosk.crash", "kiosk.sqlite_files", "kiosk.addresses", "kiosk.status"},
    {"kiosk.devices"},
    {"kiosk.photo"},
    {"kiosk.fleet"},
    {"kiosk.effects"},
    {"kiosk.journey"},
    {"kiosk.diagnostics"},
    {"kiosk.runtime", "kiosk.headless"},
    {"kiosk.cli"},
]


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Every absolute module name the file imports, at any depth (lazy imports count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def layer_of(module: str) -> int | None:
    """The layer of a kiosk module: its longest prefix named in KIOSK_LAYERS."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        for i, layer in enumerate(KIOSK_LAYERS):
            if prefix in layer:
                return i
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_the_table_allows(package):
    allowed = MAY_IMPORT[package] | {package}
    offenders = []
    for path in modules(package):
        for name in imported(path):
            top = name.split(".")[0]
            if top in OURS and top not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("package", sorted(set(MAY_IMPORT) - {"central"}))
def test_nothing_a_kiosk_runs_needs_a_server_library(package):
    offenders = [f"{p.relative_to(ROOT)} imports {n}" for p in modules(package)
                 for n in imported(p) if n.split(".")[0] in SERVER_ONLY]
    assert offenders == []


@pytest.mark.parametrize("package", sorted(KIVY_FREE))
def test_only_the_ui_imports_kivy(package):
    offenders = [f"{p.relative_to(ROOT)} imports {n}" for p in modules(package)
                 for n in imported(p) if n.split(".")[0] == "kivy"]
    assert offenders == []


def test_kiosk_packages_import_only_the_layers_below_them():
    offenders = []
    for path in modules("kiosk"):
        here = layer_of(module_name(path))
        assert here is not None, f"{path.relative_to(ROOT)} is in no layer of KIOSK_LAYERS"
        for name in imported(path):
            if name.split(".")[0] != "kiosk" or name == "kiosk":
                continue
            there = layer_of(name)
            if there is not None and there > here:
                offenders.append(f"{module_name(path)} imports {name}")
    assert offenders == []


def test_every_kiosk_module_imports_without_server_libraries_or_kivy_in_the_core():
    """As on a kiosk installed from the README: no sqlalchemy, fastapi, uvicorn. The core,
    the drivers and the protocol also import without Kivy; the UI and the composition
    root import with it."""
    code = f"""
import importlib, pkgutil, sys
for name in {sorted(SERVER_ONLY)!r}:
    sys.modules[name] = None  # 'import name' now raises ImportError
def walk(package):
    yield package
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not info.name.endswith("__main__"):
            yield info.name
failed = []
def import_all(packages):
    for package in packages:
        for name in walk(package):
            try:
                importlib.import_module(name)
            except Exception as exc:
                failed.append(f"{{name}}: {{type(exc).__name__}}: {{exc}}")
sys.modules["kivy"] = None
import_all(["protocol", "biometrics", "drivers", "kiosk"])
assert not any(m.startswith("kivy.") for m in sys.modules), "the core imported Kivy"
del sys.modules["kivy"]
import_all(["screens", "kiosk_app"])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1",
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env=env, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
