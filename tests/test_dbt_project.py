"""The dbt project on its own: every unit test of the business rules passes, and the
whole project builds on an empty warehouse (no landed data at all)."""

from __future__ import annotations

import json
import os
import subprocess

import duckdb

from pipelines.core.paths import DBT_PROJECT_DIR
from pipelines.core.resources import warehouse_resource
from pipelines.core.settings import Settings
from pipelines.ingest.loader import ensure_raw_schema
from pipelines.predict.estimate import Settings as FitSettings
from pipelines.predict.estimate import estimate
from pipelines.transform.project import dbt_executable


def dbt(*args: str, settings: Settings) -> subprocess.CompletedProcess:
    # The connection as the pipeline passes it: vars of the command, not the environment.
    profile = json.dumps(warehouse_resource(settings).dbt_profile_vars())
    return subprocess.run(
        [dbt_executable(), *args, "--vars", profile, "--no-version-check"],
        cwd=DBT_PROJECT_DIR,
        env={k: v for k, v in os.environ.items() if not k.startswith("CCP_")},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_dbt_builds_on_empty_input_and_every_unit_test_passes(workdir):
    settings = Settings.from_env()
    with duckdb.connect(str(settings.warehouse)) as con:
        ensure_raw_schema(con)

    # Models first: a unit test of an incremental model reads the model's own columns.
    # The marts read the customer-base models' predictions, written in between as in a run.
    for selection in (["--exclude", "marts"], ["--select", "marts"]):
        result = dbt(
            "build",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "buildable",
            *selection,
            settings=settings,
        )
        assert result.returncode == 0, result.stdout[-4000:]
        assert "ERROR=0" in result.stdout and "FAIL" not in result.stdout.split("Done.")[-1]
        if selection[0] == "--exclude":
            with duckdb.connect(str(settings.warehouse)) as con:
                outcome = estimate(con, FitSettings(min_repeat_customers=20, holdout_days=182))
            assert outcome.status == {"bg_nbd": "too_few_repeat_buyers", "gamma_gamma": "too_few_repeat_buyers"}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.customer_value").fetchone() == (0,)
        summary = con.execute(
            "SELECT customers, revenue_ranked_customers, tier_a_customers FROM marts.pareto_summary"
        ).fetchall()
        quadrants = con.execute("SELECT count(*), sum(customers) FROM marts.quadrant_summary").fetchone()
    assert summary == [(0, 0, 0)]
    assert quadrants == (6, 0)

    result = dbt("test", "--select", "test_type:unit", settings=settings)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ERROR=0" in result.stdout and "FAIL=" not in result.stdout.split("Done.")[-1]
    unit_tests = [line for line in result.stdout.splitlines() if "unit_test" in line or "::" in line]
    assert sum(" PASS " in line for line in unit_tests) >= 15, "\n".join(unit_tests)


def test_every_unit_test_name_fits_a_postgresql_identifier():
    """dbt names a unit test's relation after the test: PostgreSQL refuses a name longer
    than 63 characters, so a longer one would fail only on the postgres engine."""
    import yaml

    too_long = [
        test["name"]
        for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests") or []
        if len(test["name"]) > 63
    ]
    assert not too_long, too_long
