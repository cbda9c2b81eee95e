"""The engines dbt builds on and the gates validate in (CCP_ENGINE): the embedded
DuckDB warehouse (the default), a PostgreSQL database, or Spark. Ingest and its
validation, quarantine and ledger always run in the DuckDB warehouse; on another
engine the validated raw tables are then shipped to it (pipelines/core/shipping.py),
dbt and the staging, predictions and marts gates run there, and publish reads the
marts back from it (docs/scale-out.md).

One resource, `engine`, describes the engine of a run to every step: how dbt's profile
reaches it (vars of each dbt command, the password in the dbt process's environment
only), and how Python steps connect to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import dagster as dg
from pydantic import Field

from pipelines.core.settings import POSTGRES_URL, Settings

DUCKDB, POSTGRES, SPARK = "duckdb", "postgres", "spark"

# dbt reads the PostgreSQL password from this variable of its own process (dbt keeps
# DBT_ENV_SECRET_* values out of its logs); nothing else sees it.
DBT_PASSWORD_ENV = "DBT_ENV_SECRET_POSTGRES_PASSWORD"


def redact(url: str) -> str:
    """A database URL without its password, for labels, logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class PostgresTarget:
    """The parts of a postgresql://user:password@host:port/db URL."""

    host: str
    port: int
    user: str
    database: str
    password: str = ""

    @classmethod
    def from_url(cls, url: str) -> PostgresTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            # Never echo the URL: it may hold a password.
            raise ValueError(f"{POSTGRES_URL} must look like postgresql://user:password@host:5432/db")
        return cls(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username or "postgres"),
            database=unquote(parts.path.lstrip("/")) or "postgres",
            password=unquote(parts.password or ""),
        )

    def connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.database}
        if self.password:
            kwargs["password"] = self.password
        return kwargs

    def __repr__(self) -> str:
        return f"PostgresTarget({self.user}@{self.host}:{self.port}/{self.database})"


class EngineResource(dg.ConfigurableResource):
    """Where dbt builds, the gates validate and publish reads the marts from."""

    kind: str = Field(default=DUCKDB, description="duckdb, postgres or spark (CCP_ENGINE).")
    postgres_url: str = Field(
        default="",
        description="postgresql://user:password@host:port/db of the postgres engine (CCP_POSTGRES_URL).",
    )
    spark_master: str = Field(default="local[*]", description="Spark master of the spark engine (CCP_SPARK_MASTER).")
    spark_dir: str = Field(
        default="",
        description="Spark's warehouse, metastore and shipped tables (local session); beside the DuckDB warehouse.",
    )

    @property
    def is_duckdb(self) -> bool:
        return self.kind == DUCKDB

    @property
    def _postgres_url(self) -> str:
        # Outside a run (building the definitions) the field may still be the EnvVar.
        url = self.postgres_url
        return (url.get_value() or "") if isinstance(url, dg.EnvVar) else url

    @property
    def postgres(self) -> PostgresTarget:
        return PostgresTarget.from_url(self._postgres_url)

    @property
    def display(self) -> str:
        """The engine as a person reads it, without a password."""
        if self.kind == POSTGRES:
            return f"postgres ({redact(self._postgres_url)})"
        if self.kind == SPARK:
            return f"spark ({self.spark_master})"
        return DUCKDB

    # Spark's folders: its SQL warehouse, its Derby metastore, and the tables other
    # steps write (raw tables, predictions) as Parquet registered with dbt.
    @property
    def spark_root(self) -> Path:
        return Path(self.spark_dir)

    def spark_shipped_dir(self, schema: str, table: str) -> Path:
        return self.spark_root / "shipped" / schema / table

    def dbt_profile_vars(self) -> dict[str, str | int]:
        """The connection dbt's profile reads (profiles.yml) besides the warehouse's,
        as vars of each dbt command; the password is not among them (dbt_env)."""
        found: dict[str, str | int] = {"ccp_engine": self.kind}
        if self.kind == POSTGRES:
            target = self.postgres
            found.update(
                ccp_postgres_host=target.host,
                ccp_postgres_port=target.port,
                ccp_postgres_user=target.user,
                ccp_postgres_database=target.database,
            )
        elif self.kind == SPARK:
            found.update(
                ccp_spark_master=self.spark_master,
                ccp_spark_warehouse_dir=str(self.spark_root / "warehouse"),
                ccp_spark_metastore_dir=str(self.spark_root / "metastore_db"),
            )
        return found

    def dbt_env(self) -> dict[str, str]:
        """What the dbt process needs in its environment: the PostgreSQL password."""
        if self.kind == POSTGRES and self.postgres.password:
            return {DBT_PASSWORD_ENV: self.postgres.password}
        return {}

    @contextmanager
    def postgres_connection(self) -> Iterator[Any]:
        """A psycopg connection to the postgres engine, closed after use."""
        import psycopg

        target = self.postgres
        try:
            connection = psycopg.connect(**target.connect_kwargs(), connect_timeout=30)
        except psycopg.OperationalError as exc:
            # libpq's message names host and user, never the password.
            raise ConnectionError(f"cannot connect to the postgres engine {self.display}: {exc}") from exc
        try:
            yield connection
        finally:
            connection.close()


def engine_resource(settings: Settings) -> EngineResource:
    # Taken from the environment, the URL is handed over by name (EnvVar): Dagster then
    # shows the variable, never the password, in the UI and the run's config.
    from_env = bool(settings.postgres_url) and os.environ.get(POSTGRES_URL) == settings.postgres_url
    return EngineResource(
        kind=settings.engine,
        postgres_url=dg.EnvVar(POSTGRES_URL) if from_env else settings.postgres_url,
        spark_master=settings.spark_master,
        spark_dir=str(settings.warehouse.parent / "spark"),
    )
