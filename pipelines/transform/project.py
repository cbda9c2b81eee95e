"""The dbt project object and its manifest, prepared once per process and never at import."""

from __future__ import annotations

import filecmp
import functools
import json
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.core import resource as dbt_cli_module
from packaging import version

from pipelines.core.paths import DBT_PROJECT_DIR


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

    def cli(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kwargs):  # type: ignore[override]
        """`DbtCliResource.cli`, plus `env`: variables for the dbt process only (the
        engine's password), never set in this process's environment. dagster-dbt
        builds the dbt process's environment inside `cli`; for the length of the call
        its invocation class is one that adds these. Steps run one at a time in a
        process (the in-process executor), so no other call sees it."""
        if not env:
            return super().cli(args, **kwargs)
        invocation = dbt_cli_module.DbtCliInvocation
        extra = dict(env)

        class WithEnvironment(invocation):
            @classmethod
            def run(cls, *run_args, env: dict[str, str], **run_kwargs):
                return invocation.run(*run_args, env={**env, **extra}, **run_kwargs)

        dbt_cli_module.DbtCliInvocation = WithEnvironment
        try:
            return super().cli(args, **kwargs)
        finally:
            dbt_cli_module.DbtCliInvocation = invocation


def dbt_resource(project: DbtProject) -> ProjectDbtCli:
    return ProjectDbtCli(project_dir=project, dbt_executable=dbt_executable())


def _parse_vars_file(project: DbtProject) -> Path:
    return project.project_dir / project.target_path / "parse_vars.json"


# Vars that only say how to reach the warehouse. The manifest does not change with them,
# only with the DuckDB catalog name, the warehouse file's stem; each makes dbt parse
# again (they are in its profile), which the first dbt step of a run then does itself
# and hands on (hand_back_parse): cheaper than a `dbt parse` of its own.
_CONNECTION_ONLY = ("ccp_duckdb_memory_limit", "ccp_duckdb_threads", "ccp_duckdb_temp_dir", "ccp_dbt_threads")


def manifest_key(profile_vars: Mapping[str, object]) -> dict[str, object]:
    """What of the connection the manifest depends on."""
    key = {name: value for name, value in profile_vars.items() if name not in _CONNECTION_ONLY}
    if "ccp_warehouse" in key:
        key["ccp_warehouse"] = Path(str(key["ccp_warehouse"])).stem
    return key


def _manifest_is_stale(project: DbtProject, profile_vars: Mapping[str, object]) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    # Parse again for another engine or catalog name, or when the project changed.
    vars_file = _parse_vars_file(project)
    if not vars_file.exists() or json.loads(vars_file.read_text()) != manifest_key(profile_vars):
        return True
    built = manifest.stat().st_mtime
    watched = [project.project_dir / "dbt_project.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        watched.extend((project.project_dir / folder).rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


def target_dir() -> Path:
    """dbt's target folder: `DBT_TARGET_PATH` (dbt's own setting, relative to the dbt
    project or absolute), default dbt_project/target. dagster-dbt reads the same variable
    for the folders of each dbt command and the parse they start from, so a second
    checkout or test process with its own folder never reads a parse being rewritten."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


@functools.cache
def _prepared(profile_vars_json: str, target: Path) -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path=target)
    profile_vars = json.loads(profile_vars_json)
    if _manifest_is_stale(project, profile_vars):
        dbt_resource(project).cli(
            ["parse", "--quiet", "--no-version-check", "--vars", profile_vars_json],
            target_path=project.target_path,
        ).wait()
        _parse_vars_file(project).write_text(json.dumps(manifest_key(profile_vars), sort_keys=True))
    return project


def dbt_project(profile_vars: Mapping[str, object]) -> DbtProject:
    """The dbt project with an up-to-date manifest (`dbt parse` only when its sources, the
    engine or the warehouse's catalog name changed), once per process."""
    return _prepared(json.dumps(dict(profile_vars), sort_keys=True), target_dir())


PARTIAL_PARSE = "partial_parse.msgpack"


def copy_aside(source: Path, target: Path) -> None:
    """Readers never see a half-written file: copy aside, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, aside)
    os.replace(aside, target)


def hand_back_parse(invocation_target: Path, project_target: Path) -> bool:
    """Keeps a dbt command's parse as the one the next command starts from.

    dagster-dbt starts each command from the project's `partial_parse.msgpack`. A command
    whose vars differ from that parse's (a run's as_of_date or business vars, each
    month-end partition of a backfill) parses the whole project again, about 3 s, and
    writes the result to its own folder only, so each later step of the run would parse
    again too. dbt checks a parse's vars, connection and files before using it, so the
    newest parse is always safe to start from. Returns whether it was handed back."""
    fresh = invocation_target / PARTIAL_PARSE
    kept = project_target / PARTIAL_PARSE
    if not fresh.exists() or (kept.exists() and filecmp.cmp(fresh, kept, shallow=False)):
        return False
    copy_aside(fresh, kept)
    return True


# dagster-dbt gives each dbt command of a run its own target folder,
# `<step>-<run id>-<invocation id>`, and never removes it (a few MB each).
KEPT_INVOCATIONS = 3


def prune_invocation_folders(current: Path, keep: int = KEPT_INVOCATIONS) -> list[Path]:
    """Removes the target folders of earlier invocations of the same step beyond the
    `keep` newest (the current one always stays), so the project's target folder stops
    growing by three folders per run. Returns the folders removed."""
    step = current.name.rsplit("-", 2)[0]
    pattern = re.compile(rf"{re.escape(step)}-[0-9a-f]+-[0-9a-f]+")
    earlier = [
        p for p in current.parent.iterdir() if p.is_dir() and p != current and pattern.fullmatch(p.name) is not None
    ]
    earlier.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = earlier[max(keep - 1, 0) :]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
