"""Sales pulled from a real PostgreSQL by their updated_at cursor: batches under the
same contract, quarantine and ledger as landed files; restated rows win; a pull
stopped part-way resumes from the last committed cursor and ends where one clean
pull ends; a whole refresh from PostgreSQL publishes what the same data as files does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.core.settings import Settings
from pipelines.ingest import contract
from pipelines.ingest.contract import TABLES_BY_NAME
from pipelines.ingest.postgres import CURSORS, PostgresSource, SourceRejected, pull_table
from pipelines.run import failure_messages, run_refresh

pytestmark = pytest.mark.slow

TODAY = date(2026, 1, 15)
T0 = datetime(2025, 6, 1, 8, 0, 0)
PG_TYPES = {
    contract.TEXT: "text",
    contract.CURRENCY: "text",
    contract.INTEGER: "bigint",
    contract.DECIMAL: "numeric(18, 6)",
    contract.DATE: "date",
    contract.TIMESTAMP: "timestamp",
}


def execute(url: str, *statements: str) -> None:
    import adbc_driver_postgresql.dbapi as adbc

    with adbc.connect(url) as pg, pg.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        pg.commit()


def create_table(url: str, name: str, *, text_columns: bool = False, leave_out: str | None = None) -> None:
    """A source table with the contract's columns (typed, or all text), updated_at and a primary key."""
    table = TABLES_BY_NAME[name]
    columns = [f"{c.name} {'text' if text_columns else PG_TYPES[c.kind]}" for c in table.columns if c.name != leave_out]
    execute(
        url,
        f"create table {name} ({', '.join(columns)}, updated_at timestamp not null, "
        f"primary key ({', '.join(table.key)}))",
    )


def order(order_id: str, at: datetime, **values) -> str:
    row = {
        "order_id": order_id,
        "customer_id": "C1",
        "ordered_at": "2025-05-01 10:00:00",
        "channel": "web",
        "currency": "CNY",
        "status": "completed",
        "shipping_cost": "5",
    } | values
    cells = ", ".join("null" if v is None else f"'{v}'" for v in row.values())
    return f"({cells}, '{at.isoformat(sep=' ')}')"


def pull(con: duckdb.DuckDBPyConnection, url: str, table: str = "orders", page_rows: int = 2, **kw):
    return pull_table(con, TABLES_BY_NAME[table], PostgresSource(url, page_rows=page_rows), TODAY, **kw)


def latest_rows(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """Each key's row from the latest batch, the rule the staging models apply."""
    key = ", ".join(TABLES_BY_NAME[table].key)
    rows = con.execute(
        f"""SELECT * EXCLUDE (_batch, _file, _row_number, _loaded_at) FROM raw.{table}
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _batch DESC, _row_number DESC) = 1"""
    ).fetchall()
    width = len(TABLES_BY_NAME[table].key)
    return {row[:width]: row for row in rows}


def ledger(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(
        "SELECT batch, rows_read, rows_loaded, rows_quarantined FROM raw.ingest_ledger WHERE table_name = ? ORDER BY batch",
        [table],
    ).fetchall()


def test_inserts_then_updates_are_pulled_incrementally_and_restated_rows_win(postgres_server, tmp_path):
    url = postgres_server.create_database("pull_updates")
    create_table(url, "orders")
    execute(url, "insert into orders values " + ", ".join(order(f"O{i}", T0) for i in range(1, 6)))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    first = pull(con, url)
    # Five rows with one updated_at, cut into pages of two: the key orders them.
    assert [f.rows_read for f in first.files] == [2, 2, 1]
    assert con.execute(f"SELECT cursor_value, cursor_key FROM {CURSORS}").fetchall() == [
        ("2025-06-01 08:00:00", ["O5"])
    ]

    execute(
        url,
        f"update orders set status = 'cancelled', updated_at = '{T0 + timedelta(hours=1)}' where order_id = 'O2'",
        "insert into orders values " + order("O6", T0 + timedelta(hours=2)),
    )
    second = pull(con, url, page_rows=10)
    assert [(f.rows_read, f.rows_loaded) for f in second.files] == [(2, 2)]
    assert pull(con, url).files == []

    latest = latest_rows(con, "orders")
    assert sorted(k[0] for k in latest) == ["O1", "O2", "O3", "O4", "O5", "O6"]
    assert latest[("O2",)][5] == "cancelled"
    assert latest[("O1",)][5] == "completed"
    assert con.execute("SELECT count(*) FROM raw.orders").fetchone()[0] == 7
    assert [b for b, *_ in ledger(con, "orders")] == [f"postgresql-{i:010d}" for i in range(1, 5)]


def test_bad_rows_are_quarantined_counted_and_named_by_table_key_and_column(postgres_server, tmp_path):
    url = postgres_server.create_database("pull_bad_rows")
    create_table(url, "orders")
    create_table(url, "order_lines", text_columns=True)
    execute(
        url,
        "insert into orders values "
        + ", ".join(
            [
                order("O1", T0),
                order("O2", T0, currency="RMB1"),
                order("O3", T0, customer_id=None),
                order("O4", T0, status="shipped"),
                order("O5", T0, ordered_at="2099-01-01 00:00:00"),
                order("O6", T0, shipping_cost="-3"),
            ]
        ),
        "insert into order_lines values "
        "('O1', '1', 'P1', 'tea', '2', '10.5', '0', '4', '2025-06-01'), "
        "('O1', '2', 'P2', 'tea', 'abc', '10.5', '0', '4', '2025-06-01'), "
        "('O1', '3', 'P3', 'tea', '-1', '10.5', '0', '4', '2025-06-01')",
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    orders = pull(con, url, page_rows=100)
    lines = pull(con, url, "order_lines", page_rows=100)

    assert (orders.rows_read, orders.rows_loaded, orders.rows_quarantined) == (6, 1, 5)
    assert (lines.rows_read, lines.rows_loaded, lines.rows_quarantined) == (3, 1, 2)
    for table in ("orders", "order_lines"):
        for _, read, loaded, quarantined in ledger(con, table):
            assert read == loaded + quarantined
    quarantined = {
        (reason, column): file
        for file, column, reason in con.execute("SELECT file, column_name, reason FROM raw.quarantine").fetchall()
    }
    assert set(quarantined) == {
        ("order_id=O2: currency: 'RMB1' is not a three-letter ISO 4217 code", "currency"),
        ("order_id=O3: customer_id: required value is missing", "customer_id"),
        ("order_id=O4: status: 'shipped' is not one of completed, cancelled", "status"),
        ("order_id=O5: ordered_at: '2099-01-01 00:00:00' is in the future (after 2026-01-15)", "ordered_at"),
        ("order_id=O6: shipping_cost: must not be negative", "shipping_cost"),
        ("order_id=O1, line_number=2: quantity: 'abc' is not a number", "quantity"),
        ("order_id=O1, line_number=3: quantity: must be greater than 0", "quantity"),
    }
    files = set(quarantined.values())
    assert {f.split("/")[-2] for f in files} == {"public.orders", "public.order_lines"}
    assert all(f.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/pull_bad_rows/") for f in files)


def test_a_source_table_without_a_contract_column_is_refused_naming_table_and_column(postgres_server, tmp_path):
    url = postgres_server.create_database("pull_missing_column")
    create_table(url, "orders", leave_out="currency")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(
        SourceRejected, match=r"/pull_missing_column/public\.orders, column 'currency': required column"
    ):
        pull(con, url)
    with pytest.raises(SourceRejected, match=r"public\.returns: table not found"):
        pull(con, url, "returns")
    assert con.execute("SELECT count(*) FROM raw.ingest_ledger").fetchone()[0] == 0


LINES = 2_400
PAGE = 300


def _fill_order_lines(url: str) -> None:
    create_table(url, "order_lines")
    # Many rows share an updated_at, so pages end inside one cursor value.
    execute(
        url,
        f"""insert into order_lines
        select 'O' || lpad((g / 3)::text, 6, '0'), g % 3 + 1, 'P' || g % 50, '茶叶', 1 + g % 4, 9.5, 0, 3,
            timestamp '{T0}' + ((g / 7) || ' minutes')::interval
        from generate_series(0, {LINES - 1}) as g""",
    )


def _warehouse_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT * EXCLUDE (_batch, _file, _row_number, _loaded_at) FROM raw.order_lines ORDER BY ALL"
        ).fetchall()


def test_a_pull_killed_mid_batch_resumes_from_the_last_cursor_and_ends_as_one_clean_pull(postgres_server, tmp_path):
    url = postgres_server.create_database("pull_killed")
    _fill_order_lines(url)
    killed = tmp_path / "killed.duckdb"
    # The fourth batch is written but not committed when the process is killed.
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        import duckdb
        from pipelines.ingest.contract import TABLES_BY_NAME
        from pipelines.ingest.postgres import PostgresSource, pull_table

        def stop(number):
            if number == 4:
                os.kill(os.getpid(), signal.SIGKILL)

        con = duckdb.connect({str(killed)!r})
        pull_table(con, TABLES_BY_NAME["order_lines"], PostgresSource({url!r}, page_rows={PAGE}),
                   date({TODAY.year}, {TODAY.month}, {TODAY.day}), before_commit=stop)
        """
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr

    with duckdb.connect(str(killed)) as con:
        assert [(b, r) for b, r, *_ in ledger(con, "order_lines")] == [
            (f"postgresql-{i:010d}", PAGE) for i in (1, 2, 3)
        ]
        assert con.execute("SELECT count(*) FROM raw.order_lines").fetchone()[0] == 3 * PAGE
        assert con.execute(f"SELECT batch FROM {CURSORS}").fetchall() == [("postgresql-0000000003",)]

        # A failure raised inside a batch rolls it back the same way.
        def fail(number):
            if number == 2:
                raise RuntimeError("injected")

        with pytest.raises(RuntimeError, match="injected"):
            pull(con, url, "order_lines", page_rows=PAGE, before_commit=fail)
        assert len(ledger(con, "order_lines")) == 4

        resumed = pull(con, url, "order_lines", page_rows=PAGE)
        assert resumed.rows_read == LINES - 4 * PAGE
        read, loaded = con.execute("SELECT sum(rows_read), sum(rows_loaded) FROM raw.ingest_ledger").fetchone()
        assert read == loaded == LINES

    clean = tmp_path / "clean.duckdb"
    with duckdb.connect(str(clean)) as con:
        assert pull(con, url, "order_lines", page_rows=LINES).rows_read == LINES
    rows = _warehouse_rows(killed)
    assert len(rows) == len({r[:2] for r in rows}) == LINES
    assert rows == _warehouse_rows(clean)


def _load_sales_into_postgres(url: str, landing: Path) -> None:
    """The landed sales batches as a database would hold them: typed columns, each batch
    applied in order as an upsert, stamped with a later updated_at than the one before."""
    import adbc_driver_postgresql.dbapi as adbc

    duck = duckdb.connect()
    with adbc.connect(url) as pg, pg.cursor() as cur:
        for name in ("orders", "order_lines", "returns", "fx_rates"):
            table = TABLES_BY_NAME[name]
            columns = ", ".join(f"{c.name} {PG_TYPES[c.kind]}" for c in table.columns)
            cur.execute(
                f"create table {name} ({columns}, updated_at timestamp not null, primary key ({', '.join(table.key)}))"
            )
            for number, path in enumerate(sorted((landing / "sales" / name).glob("*.csv"))):
                batch = duck.execute(
                    f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)"
                ).to_arrow_table()
                if batch.num_rows == 0:
                    continue
                cur.adbc_ingest("landed", batch, mode="replace")
                values = ", ".join(f"nullif(trim({c.name}), '')::{PG_TYPES[c.kind]}" for c in table.columns)
                updates = ", ".join(f"{c} = excluded.{c}" for c in [*table.column_names, "updated_at"])
                cur.execute(
                    f"insert into {name} select {values}, timestamp '{T0}' + interval '{number} hours' from landed "
                    f"on conflict ({', '.join(table.key)}) do update set {updates}"
                )
        pg.commit()


def _marts(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
        ]
        return {n: con.execute(f"SELECT * FROM marts.{n} ORDER BY ALL").fetchall() for n in sorted(names)}


def test_a_refresh_with_sales_from_postgresql_publishes_what_the_same_files_publish(
    postgres_server, small_release, workdir, monkeypatch
):
    # The files' side is the shared workspace that one refresh of these files built.
    landing = small_release / "landing"
    from_files = _marts(small_release / "warehouse.duckdb")

    url = postgres_server.create_database("refresh_sales")
    _load_sales_into_postgres(url, landing)
    crm_only = workdir / "crm_landing"
    shutil.copytree(landing / "crm", crm_only / "crm")
    monkeypatch.setenv("CCP_LANDING_DIR", str(crm_only))
    monkeypatch.setenv("CCP_WAREHOUSE", str(workdir / "from_pg.duckdb"))
    monkeypatch.setenv("CCP_PUBLISH_DIR", str(workdir / "published_pg"))
    monkeypatch.setenv("CCP_SALES_SOURCE_URL", url)
    monkeypatch.setenv("CCP_SALES_SOURCE_PAGE_ROWS", "1000")
    settings = Settings.from_env()
    pg_run = run_refresh(settings)
    assert pg_run.success, failure_messages(pg_run)

    from_postgres = _marts(settings.warehouse)
    assert from_postgres.keys() == from_files.keys() and len(from_files) >= 10
    for mart, rows in from_files.items():
        assert rows, mart
        assert from_postgres[mart] == rows, mart
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        files = con.execute("SELECT DISTINCT table_name, split_part(file, '/', 1) FROM raw.ingest_ledger").fetchall()
        read, loaded, quarantined = con.execute(
            "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM raw.ingest_ledger"
        ).fetchone()
    # Every sales batch came from PostgreSQL, every CRM batch from a file.
    assert sorted(files) == [
        ("customers", "crm"),
        ("fx_rates", "postgresql:"),
        ("interactions", "crm"),
        ("order_lines", "postgresql:"),
        ("orders", "postgresql:"),
        ("returns", "postgresql:"),
    ]
    assert read == loaded + quarantined


def _materialize_orders(url: str, workdir: Path) -> dg.ExecuteInProcessResult:
    from pipelines.core.resources import pipeline_resources
    from pipelines.ingest.assets import build_ingest_asset

    resources = pipeline_resources(Settings.from_env({**os.environ, "CCP_SALES_SOURCE_URL": url}))
    return dg.materialize([build_ingest_asset(TABLES_BY_NAME["orders"])], resources=resources, raise_on_error=False)


def test_the_raw_orders_asset_pulls_from_postgresql_and_fails_naming_the_table_and_column(postgres_server, workdir):
    url = postgres_server.create_database("asset_orders")
    create_table(url, "orders")
    execute(url, "insert into orders values " + ", ".join([order("O1", T0), order("O2", T0, currency="rmb")]))
    result = _materialize_orders(url, workdir)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("raw__orders")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert (metadata["rows_read"], metadata["rows_loaded"], metadata["rows_quarantined"]) == (2, 1, 1)
    assert metadata["source"].endswith("/asset_orders/public.orders")
    assert "order_id=O2: currency: 'rmb' is not a three-letter ISO 4217 code" in metadata["quarantine_sample"]

    broken = postgres_server.create_database("asset_orders_broken")
    create_table(broken, "orders", leave_out="status")
    failed = _materialize_orders(broken, workdir)
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "/asset_orders_broken/public.orders, column 'status': required column is missing from the table" in (
        failure.step_failure_data.error.message
    )


def test_a_timestamp_with_time_zone_reads_as_the_business_wall_clock(postgres_server, tmp_path):
    url = postgres_server.create_database("pull_timezone")
    create_table(url, "orders")
    execute(
        url,
        "alter table orders alter column ordered_at type timestamptz",
        "insert into orders values " + order("O1", T0, ordered_at="2025-05-01 02:00:00+00"),
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    source = PostgresSource(url, timezone="Asia/Shanghai")
    assert pull_table(con, TABLES_BY_NAME["orders"], source, TODAY).rows_loaded == 1
    assert con.execute("SELECT ordered_at FROM raw.orders").fetchall() == [(datetime(2025, 5, 1, 10, 0),)]
