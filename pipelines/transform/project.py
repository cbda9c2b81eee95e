"""The dbt project object and its manifest, prepared once per process and never at import."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from pipelines.settings import DBT_PROJECT_DIR, Settings


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """dbt reads its connection (profiles.yml) from the environment of its subprocess,
    copied when the command starts: set the warehouse settings for that moment only."""
    extra = settings.dbt_env()
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_executable() -> str:
    """The dbt installed beside this interpreter, so a virtualenv need not be on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class ProjectDbtCli(DbtCliResource):
    """The dbt CLI resource, without two probes dagster-dbt makes before every dbt
    command of a run and that this project has no use for:

    * `dbt --version` in a subprocess (about 3 s on 2 cores), when the dbt executable is
      the one installed beside this interpreter: its version is the dbt-core package's;
    * a dbt adapter built inside the Dagster process (about 5 s, most of it importing
      dbt), which only serves optional row-count and column-metadata fetches.

    tests/test_pipeline.py checks both names still exist in dagster-dbt, so an upgrade
    that changes them fails loudly instead of quietly bringing the probes back.
    """

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def _parse_env_file(project: DbtProject) -> Path:
    return project.project_dir / project.target_path / "parse_env.json"


def _manifest_is_stale(project: DbtProject, settings: Settings) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    # Builds reuse the parse (dagster-dbt copies partial_parse.msgpack) only while the
    # profile dbt renders is the one it was parsed with, and the profile holds the
    # warehouse settings: parse again once when they change.
    env_file = _parse_env_file(project)
    if not env_file.exists() or json.loads(env_file.read_text()) != settings.dbt_env():
        return True
    built = manifest.stat().st_mtime
    watched = [project.project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        watched.extend((project.project_dir / folder).rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project with an up-to-date manifest (`dbt parse` only when sources changed)."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    settings = Settings.from_env()
    if _manifest_is_stale(project, settings):
        with dbt_environment(settings):
            ProjectDbtCli(project_dir=project, dbt_executable=dbt_executable()).cli(
                ["parse", "--quiet", "--no-version-check"], target_path=project.target_path
            ).wait()
        _parse_env_file(project).write_text(json.dumps(settings.dbt_env()))
    return project
