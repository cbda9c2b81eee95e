"""Landing data for the benchmark: one demo data set per scale, generated once, and the
one extra day of data the incremental run lands on top of it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.core.sql import quote_literal

ROOT = Path(__file__).resolve().parent.parent
READABLE = (".csv", ".parquet")


@dataclass(frozen=True)
class DataSet:
    landing: Path
    order_lines: int
    fmt: str
    seed: int
    summary: str  # what the generator printed

    @property
    def size_mib(self) -> float:
        return sum(p.stat().st_size for p in self.landing.rglob("*") if p.is_file()) / 2**20


def ensure_dataset(work: Path, order_lines: int, fmt: str = "csv", seed: int = 7) -> DataSet:
    """The demo landing folder for this scale under `work/data/`, generated on first use
    (`python -m pipelines.demo`); an interrupted generation is started again."""
    folder = work / "data" / f"{fmt}-{order_lines}-s{seed}"
    landing, marker = folder / "landing", folder / "generated.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        return DataSet(landing, order_lines, fmt, seed, meta["summary"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [
        sys.executable, "-m", "pipelines.demo", "--out", str(landing), "--order-lines", str(order_lines),
        "--seed", str(seed), "--format", fmt,
    ]  # fmt: skip
    print(f"  generating {order_lines:,} order lines ({fmt}) into {landing} ...", flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"demo generator failed:\n{done.stdout}\n{done.stderr}")
    marker.write_text(json.dumps({"command": command, "summary": done.stdout}, indent=1))
    return DataSet(landing, order_lines, fmt, seed, done.stdout)


# --------------------------------------------------------------------------- extra day


def _files(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in READABLE and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def _relation(paths: list[Path]) -> str:
    listed = "[" + ", ".join(quote_literal(p.as_posix()) for p in paths) + "]"
    if paths[0].suffix.lower() == ".csv":
        return f"read_csv({listed}, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
    return f"read_parquet({listed})"


def _id_parts(value: str) -> tuple[str, int]:
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", value)
    if not match:
        raise ValueError(f"cannot number new ids after {value!r}")
    return match.group(1), len(match.group(2))


@dataclass(frozen=True)
class ExtraDay:
    day: date
    files: list[Path]
    orders: int
    order_lines: int
    interactions: int
    fx_rates: int


def land_extra_day(landing: Path) -> ExtraDay:
    """Land one more day of data as new batches named `<day>.<fmt>`, which sort after the
    monthly `YYYY-MM` batches: the orders (with their lines) and CRM interactions of the
    latest day, moved one day on under new ids, and that day's FX rates one day on. The
    files carry every contract column, as text, in the columns' landed order."""
    con = duckdb.connect()
    try:
        tables = {name: landing / "sales" / name for name in ("orders", "order_lines", "fx_rates")}
        tables["interactions"] = landing / "crm" / "interactions"
        files = {name: _files(folder) for name, folder in tables.items()}
        fmt = files["orders"][-1].suffix.lower()
        for name, paths in files.items():
            con.execute(f"CREATE TEMP VIEW all_{name} AS SELECT * FROM {_relation(paths)}")
            con.execute(f"CREATE TEMP VIEW last_{name} AS SELECT * FROM {_relation(paths[-1:])}")
        last_day = con.execute("SELECT max(CAST(CAST(ordered_at AS TIMESTAMP) AS DATE)) FROM last_orders").fetchone()[0]
        day = last_day + timedelta(days=1)
        name_of = f"{day.isoformat()}{fmt}"
        for paths in files.values():
            if name_of <= paths[-1].name:
                raise ValueError(f"{name_of} would not sort after {paths[-1]}")

        def renumber(table: str, id_column: str, time_column: str) -> str:
            top = con.execute(f"SELECT max({id_column}) FROM all_{table}").fetchone()[0]
            prefix, width = _id_parts(top)
            base = int(top[len(prefix) :])
            con.execute(
                f"""CREATE TEMP TABLE day_{table} AS
                    SELECT *, '{prefix}' || lpad(CAST({base} + row_number() OVER (ORDER BY {time_column}, {id_column})
                              AS VARCHAR), {width}, '0') AS _new_id
                    FROM last_{table}
                    WHERE CAST(CAST({time_column} AS TIMESTAMP) AS DATE) = DATE '{last_day}'"""
            )
            return f"day_{table}"

        def columns(relation: str) -> list[str]:
            return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]

        def shifted(column: str, fmt_: str) -> str:
            return f"strftime(CAST({column} AS TIMESTAMP) + INTERVAL 1 DAY, '{fmt_}') AS {column}"

        selects = {}
        renumber("orders", "order_id", "ordered_at")
        selects["orders"] = (
            "SELECT "
            + ", ".join(
                "_new_id AS order_id"
                if c == "order_id"
                else shifted(c, "%Y-%m-%d %H:%M:%S")
                if c == "ordered_at"
                else c
                for c in columns("last_orders")
            )
            + " FROM day_orders ORDER BY _new_id"
        )
        selects["order_lines"] = (
            "SELECT "
            + ", ".join("d._new_id AS order_id" if c == "order_id" else f"l.{c}" for c in columns("last_order_lines"))
            + " FROM last_order_lines AS l JOIN day_orders AS d USING (order_id) ORDER BY d._new_id, CAST(l.line_number AS INTEGER)"
        )
        selects["fx_rates"] = (
            "SELECT "
            + ", ".join(shifted(c, "%Y-%m-%d") if c == "rate_date" else c for c in columns("last_fx_rates"))
            + f" FROM last_fx_rates WHERE CAST(rate_date AS DATE) = DATE '{last_day}'"
        )
        renumber("interactions", "interaction_id", "occurred_at")
        selects["interactions"] = (
            "SELECT "
            + ", ".join(
                "_new_id AS interaction_id"
                if c == "interaction_id"
                else shifted(c, "%Y-%m-%d %H:%M:%S")
                if c == "occurred_at"
                else c
                for c in columns("last_interactions")
            )
            + " FROM day_interactions ORDER BY _new_id"
        )

        written, counts = [], {}
        for name, select in selects.items():
            target = tables[name] / name_of
            counts[name] = con.execute(f"SELECT count(*) FROM ({select})").fetchone()[0]
            options = "FORMAT csv, HEADER true, DELIMITER ','" if fmt == ".csv" else "FORMAT parquet"
            partial = target.with_name("." + target.name + ".partial")  # landed whole, by rename
            con.execute(f"COPY ({select}) TO '{partial.as_posix()}' ({options})")
            partial.rename(target)
            written.append(target)
    finally:
        con.close()
    return ExtraDay(day, written, counts["orders"], counts["order_lines"], counts["interactions"], counts["fx_rates"])


def remove_extra_day(extra: ExtraDay) -> None:
    for path in extra.files:
        path.unlink(missing_ok=True)
