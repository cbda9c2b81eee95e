"""The layout's rules, checked on the source: stages import only the shared core, and
settings are read from the environment only by the entry points."""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines.core.paths import PROJECT_ROOT

PIPELINES = PROJECT_ROOT / "pipelines"
STAGES = ("ingest", "transform", "predict", "checks", "publish", "dashboard")
ENTRY_POINTS = {
    "definitions.py",
    "run.py",
    "instance.py",
    "publish/__main__.py",
    "dashboard/app.py",
    "dashboard/__main__.py",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_a_stage_imports_the_core_and_itself_never_another_stage():
    crossings = []
    for stage in STAGES:
        for path in sorted((PIPELINES / stage).rglob("*.py")):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "pipelines" and len(parts) > 1 and parts[1] not in ("core", stage):
                    crossings.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert crossings == []


def test_the_core_imports_no_stage():
    for path in sorted((PIPELINES / "core").rglob("*.py")):
        stages = {n for n in _imports(path) if n.split(".")[:2][-1] in STAGES and n.startswith("pipelines.")}
        assert not stages, f"{path.name} imports {stages}"


def test_settings_are_read_from_the_environment_only_by_entry_points():
    readers = set()
    for path in sorted(PIPELINES.rglob("*.py")):
        relative = path.relative_to(PIPELINES).as_posix()
        if relative == "core/settings.py":
            continue
        if "from_env(" in path.read_text(encoding="utf-8"):
            readers.add(relative)
    assert readers and readers <= ENTRY_POINTS, readers - ENTRY_POINTS
