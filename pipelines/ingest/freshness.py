"""Freshness of the raw tables: a warning, never a stop, when no new batch has been
loaded for longer than CCP_MAX_LANDING_AGE_HOURS. The marts are still built and
published from what is there; the UI and the run summary say the data is old."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import dagster as dg
import duckdb

from pipelines.core.resources import LandingResource
from pipelines.core.warehouse import WarehouseResource
from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import LEDGER

CHECK_NAME = "landing_freshness"


@dataclass(frozen=True)
class Freshness:
    table: str
    newest_loaded_at: datetime | None
    age_hours: float | None
    max_age_hours: float

    @property
    def fresh(self) -> bool:
        return self.age_hours is not None and self.age_hours <= self.max_age_hours

    @property
    def description(self) -> str:
        if self.newest_loaded_at is None:
            return f"raw.{self.table}: no batch has been loaded yet"
        state = "fresh" if self.fresh else "STALE"
        return (
            f"raw.{self.table}: {state}, newest batch loaded {self.newest_loaded_at:%Y-%m-%d %H:%M}, "
            f"{self.age_hours:.1f} h ago (limit {self.max_age_hours:g} h, CCP_MAX_LANDING_AGE_HOURS)"
        )


def landing_freshness(
    con: duckdb.DuckDBPyConnection, table: str, max_age_hours: float, now: datetime | None = None
) -> Freshness:
    """How old the newest batch of a table is, from the ingest ledger's load times
    (stamped with the machine's local clock, as `now` is)."""
    newest = con.execute(f"SELECT max(loaded_at) FROM {LEDGER} WHERE table_name = ?", [table]).fetchone()[0]
    if newest is None:
        return Freshness(table, None, None, max_age_hours)
    age = ((now or datetime.now()) - newest).total_seconds() / 3600
    return Freshness(table, newest, round(age, 2), max_age_hours)


def build_freshness_checks() -> dg.AssetChecksDefinition:
    """One check per raw table, evaluated in one step with one connection (a step of its
    own per table would cost more than the checks)."""
    specs = [
        dg.AssetCheckSpec(
            name=CHECK_NAME,
            asset=dg.AssetKey(["raw", table.name]),
            blocking=False,
            description=(
                f"Warns when the newest batch of {table.qualified} was loaded longer ago than "
                "CCP_MAX_LANDING_AGE_HOURS; never stops the run."
            ),
        )
        for table in TABLES
    ]

    @dg.multi_asset_check(
        specs=specs,
        name="landing_freshness",
        description="Landing freshness of every raw table, from the ingest ledger (warnings only).",
        can_subset=True,
    )
    def landing_freshness_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, landing: LandingResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
        with warehouse.connect(purpose="freshness") as con:
            results = [landing_freshness(con, t.name, landing.max_age_hours) for t in TABLES if t.name in selected]
        for result in results:
            if not result.fresh:
                context.log.warning(result.description)
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(["raw", result.table]),
                check_name=CHECK_NAME,
                passed=result.fresh,
                severity=dg.AssetCheckSeverity.WARN,
                description=result.description,
                metadata={
                    "freshness": True,
                    "newest_batch_loaded_at": result.newest_loaded_at.isoformat() if result.newest_loaded_at else "",
                    "age_hours": result.age_hours if result.age_hours is not None else -1.0,
                    "max_age_hours": result.max_age_hours,
                },
            )

    return landing_freshness_check
