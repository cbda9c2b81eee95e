"""Settings come from the environment with documented defaults; bad values are
refused with the variable's name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.core.paths import PROJECT_ROOT
from pipelines.core.resources import RunParameters, run_parameters_resource, warehouse_resource
from pipelines.core.settings import Settings, SettingsError


def test_defaults_match_the_documented_ones(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.landing_dir == tmp_path / "data" / "landing"
    assert settings.warehouse == tmp_path / "data" / "warehouse.duckdb"
    assert settings.publish_dir == tmp_path / "data" / "published"
    assert settings.as_of_date is None and settings.dbt_vars == {}
    assert (settings.timezone, settings.schedule_cron) == ("Asia/Shanghai", "0 6 * * *")
    assert (settings.max_quarantine_share, settings.max_orphan_share) == (0.05, 0.02)
    assert settings.expectations_dir == PROJECT_ROOT / "expectations"
    assert (settings.max_landing_age_hours, settings.run_retention_days) == (36.0, 90)
    assert (settings.alert_webhook_url, settings.dagster_postgres_url) == ("", "")
    assert settings.dagster_ui_url == "http://127.0.0.1:3000"
    assert settings.backfill_start == date(2024, 1, 31)
    assert (settings.sales_source_url, settings.sales_source_schema, settings.sales_source_page_rows) == (
        "",
        "public",
        100_000,
    )
    assert (settings.engine, settings.postgres_url, settings.spark_master) == ("duckdb", "", "local[*]")
    documented = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    for line in (
        "CCP_LANDING_DIR=data/landing",
        "CCP_WAREHOUSE=data/warehouse.duckdb",
        "CCP_PUBLISH_DIR=data/published",
        "CCP_TIMEZONE=Asia/Shanghai",
        "CCP_MAX_QUARANTINE_SHARE=0.05",
        "CCP_MAX_ORPHAN_SHARE=0.02",
        "CCP_MAX_LANDING_AGE_HOURS=36",
        "CCP_RUN_RETENTION_DAYS=90",
        "CCP_DAGSTER_UI_URL=http://127.0.0.1:3000",
        "CCP_ALERT_WEBHOOK_URL=",
        "CCP_DAGSTER_POSTGRES_URL=",
        "CCP_SALES_SOURCE_URL=",
        "CCP_SALES_SOURCE_SCHEMA=public",
        "CCP_SALES_SOURCE_PAGE_ROWS=100000",
        "CCP_ENGINE=duckdb",
        "CCP_POSTGRES_URL=",
        "CCP_SPARK_MASTER=local[*]",
    ):
        assert line in documented


def test_environment_overrides_reach_the_run_parameters(tmp_path):
    settings = Settings.from_env(
        {
            "CCP_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "CCP_AS_OF_DATE": "2025-06-30",
            "CCP_DBT_VARS": "{min_churn_days: 120, publish_customer_names: true, reporting_currency: CNY}",
        }
    )
    assert settings.warehouse == Path(tmp_path / "w.duckdb")
    assert settings.as_of_date == date(2025, 6, 30)
    assert warehouse_resource(settings).dbt_profile_vars()["ccp_warehouse"] == str(tmp_path / "w.duckdb")
    assert run_parameters_resource(settings).dbt_vars() == {
        "min_churn_days": 120,
        "publish_customer_names": True,
        "reporting_currency": "CNY",
        "as_of_date": "2025-06-30",
    }
    # A run's own config wins over the environment.
    launched = RunParameters(as_of_date="2024-12-31", vars={"min_churn_days": "90"})
    assert launched.dbt_vars() == {"min_churn_days": 90, "as_of_date": "2024-12-31"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CCP_AS_OF_DATE", "31/12/2025", "CCP_AS_OF_DATE='31/12/2025' is not a date"),
        ("CCP_DUCKDB_THREADS", "two", "CCP_DUCKDB_THREADS='two' is not a whole number"),
        ("CCP_DBT_THREADS", "1.5", "CCP_DBT_THREADS='1.5' is not a whole number"),
        ("CCP_DBT_THREADS", "0", "CCP_DBT_THREADS='0' must be at least 1"),
        ("CCP_DUCKDB_THREADS", "-2", "CCP_DUCKDB_THREADS='-2' must be at least 1"),
        ("CCP_MAX_ORPHAN_SHARE", "5", "must be a share between 0 and 1"),
        ("CCP_DBT_VARS", "[1, 2]", "CCP_DBT_VARS must be a mapping"),
        ("CCP_MAX_LANDING_AGE_HOURS", "0", "CCP_MAX_LANDING_AGE_HOURS='0' must be more than 0 hours"),
        ("CCP_MAX_LANDING_AGE_HOURS", "a day", "CCP_MAX_LANDING_AGE_HOURS='a day' is not a number of hours"),
        ("CCP_RUN_RETENTION_DAYS", "0", "CCP_RUN_RETENTION_DAYS='0' must be at least 1"),
        ("CCP_BACKFILL_START", "2024-02-30", "CCP_BACKFILL_START='2024-02-30' is not a date"),
        ("CCP_ALERT_WEBHOOK_URL", "hooks.example.com/x", "CCP_ALERT_WEBHOOK_URL must be a URL starting with http://"),
        (
            "CCP_DAGSTER_POSTGRES_URL",
            "mysql://u:pw@h/d",
            "^CCP_DAGSTER_POSTGRES_URL must be a URL starting with postgresql://",
        ),
        (
            "CCP_DAGSTER_POSTGRES_URL",
            "postgresql://u:pw@h/d",
            "^CCP_DAGSTER_POSTGRES_URL must name the psycopg2 driver",
        ),
        ("CCP_SALES_SOURCE_URL", "mysql://u:secret@h/db", "CCP_SALES_SOURCE_URL must be a PostgreSQL URL"),
        ("CCP_SALES_SOURCE_PAGE_ROWS", "0", "CCP_SALES_SOURCE_PAGE_ROWS='0' must be at least 1"),
        ("CCP_ENGINE", "snowflake", "CCP_ENGINE='snowflake' is not an engine: one of duckdb, postgres, spark"),
        ("CCP_POSTGRES_URL", "mysql://u:secret@h/db", "CCP_POSTGRES_URL must be a PostgreSQL URL"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(name, value, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")) as refused:
        Settings.from_env({name: value})
    if name.endswith("_URL"):
        # A URL may hold a password: the error names the variable, never the value.
        assert value not in str(refused.value)


def test_the_documented_example_sets_no_value_that_differs_from_the_code(monkeypatch, tmp_path):
    """.env.example says every value shown is the default: read as an environment, it
    must give the same settings as no environment at all."""
    monkeypatch.chdir(tmp_path)
    # A machine with another core count than any value a file could hard-code.
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    example = {}
    for line in (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            example[name] = value
    assert "DAGSTER_HOME" not in example, "an empty DAGSTER_HOME in .env hides runs from `make dev`"
    assert Settings.from_env(example) == Settings.from_env({})


@pytest.mark.parametrize(
    ("value", "source"),
    [("2025-02-30", "CCP_AS_OF_DATE"), ("yesterday", "--as-of-date"), ("2025/06/30", "schedule daily_refresh")],
)
def test_one_check_of_as_of_date_names_where_the_value_came_from(value, source):
    from pipelines.core.settings import parse_as_of_date

    with pytest.raises(SettingsError, match=f"^{source}={value!r} is not a date"):
        parse_as_of_date(value, source)
    assert parse_as_of_date(" 2025-06-30 ", source) == date(2025, 6, 30)
    assert parse_as_of_date("", source) is None


def test_a_bad_command_line_date_is_refused_before_anything_runs(workdir, capsys):
    from pipelines.run import main

    assert main(["--as-of-date", "2025-13-01"]) == 2
    assert "--as-of-date='2025-13-01' is not a date" in capsys.readouterr().err
    assert not (workdir / "warehouse.duckdb").exists()
    assert not any((workdir / "landing").iterdir())


def test_the_command_exits_with_the_runs_code_and_its_whole_message(workdir):
    # `python -m pipelines.run` ends its process without tearing the interpreter down:
    # the exit code and what was printed must still come through.
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pipelines.run", "--as-of-date", "2025-13-01"],
        cwd=PROJECT_ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done
    assert done.stderr.strip().endswith("--as-of-date='2025-13-01' is not a date (expected YYYY-MM-DD)"), done.stderr


def test_the_sales_source_password_is_shown_nowhere(monkeypatch):
    """The URL reaches the pull, but neither the settings' repr, the resource's config
    in the Dagster UI (an EnvVar, by name) nor the labels of what was pulled show the password."""
    from pipelines.core.resources import sales_source_resource
    from pipelines.ingest.postgres import redact

    url = "postgresql://sales:s3cret@db.example:5433/shop"
    monkeypatch.setenv("CCP_SALES_SOURCE_URL", url)
    settings = Settings.from_env()
    assert settings.sales_source_url == url and "s3cret" not in repr(settings)
    shown = repr(sales_source_resource(settings))
    assert "url='CCP_SALES_SOURCE_URL'" in shown and "s3cret" not in shown
    assert redact(url) == "postgresql://sales@db.example:5433/shop"


def test_the_postgres_engine_needs_its_url():
    with pytest.raises(SettingsError, match="CCP_ENGINE=postgres needs CCP_POSTGRES_URL"):
        Settings.from_env({"CCP_ENGINE": "postgres"})
    assert Settings.from_env({"CCP_ENGINE": " Spark "}).engine == "spark"


def test_the_engine_password_is_shown_nowhere_and_reaches_dbt_only_in_its_environment(monkeypatch, tmp_path):
    """The engine's URL reaches dbt's profile as host, port, user and database vars
    (they appear in the dbt command a run logs) and the password only in the dbt
    process's environment; the settings' repr, the resource's config in the Dagster UI
    (an EnvVar, by name) and the engine's label never show it."""
    from pipelines.core.engines import DBT_PASSWORD_ENV, engine_resource

    url = "postgresql://ccp:s3cr%40t@db.example:6543/marts"
    monkeypatch.setenv("CCP_ENGINE", "postgres")
    monkeypatch.setenv("CCP_POSTGRES_URL", url)
    monkeypatch.setenv("CCP_WAREHOUSE", str(tmp_path / "w.duckdb"))
    settings = Settings.from_env()
    assert settings.postgres_url == url and "s3cr" not in repr(settings)
    resource = engine_resource(settings)
    assert "postgres_url='CCP_POSTGRES_URL'" in repr(resource) and "s3cr" not in repr(resource)
    engine = resource.model_copy(update={"postgres_url": url})
    assert engine.display == "postgres (postgresql://ccp@db.example:6543/marts)"
    profile = engine.dbt_profile_vars()
    assert "s3cr" not in repr(profile)
    assert profile == {
        "ccp_engine": "postgres",
        "ccp_postgres_host": "db.example",
        "ccp_postgres_port": 6543,
        "ccp_postgres_user": "ccp",
        "ccp_postgres_database": "marts",
    }
    assert engine.dbt_env() == {DBT_PASSWORD_ENV: "s3cr@t"}
    assert "s3cr" not in repr(engine.postgres)


def test_the_spark_engine_keeps_its_warehouse_and_metastore_beside_the_duckdb_warehouse(tmp_path):
    from pipelines.core.engines import engine_resource

    settings = Settings.from_env(
        {"CCP_ENGINE": "spark", "CCP_WAREHOUSE": str(tmp_path / "w.duckdb"), "CCP_SPARK_MASTER": "local[2]"}
    )
    profile = engine_resource(settings).dbt_profile_vars()
    assert profile == {
        "ccp_engine": "spark",
        "ccp_spark_master": "local[2]",
        "ccp_spark_warehouse_dir": str(tmp_path / "spark" / "warehouse"),
        "ccp_spark_metastore_dir": str(tmp_path / "spark" / "metastore_db"),
    }
