"""Ingest of landed files into the raw schema: good files, re-landed files, restated
keys, and every kind of bad input, with rows read = loaded + quarantined."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.contract import TABLES_BY_NAME
from pipelines.ingest.loader import LEDGER, QUARANTINE, ingest_table
from tests.conftest import write_csv

TODAY = date(2026, 1, 31)
ORDERS = TABLES_BY_NAME["orders"]
CUSTOMERS = TABLES_BY_NAME["customers"]
ORDER_HEADER = ORDERS.column_names


def order(
    order_id, customer="C1", at="2025-01-05 10:00:00", channel="web", currency="CNY", status="completed", shipping=""
):
    return [order_id, customer, at, channel, currency, status, shipping]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def orders_dir(landing: Path) -> Path:
    return landing / "sales" / "orders"


def ledger(con) -> list[tuple]:
    return con.execute(f"SELECT file, rows_read, rows_loaded, rows_quarantined FROM {LEDGER} ORDER BY file").fetchall()


def test_good_batches_load_in_order_with_their_batch_names(con, landing):
    write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1"), order("O2", shipping="12.5")])
    write_csv(orders_dir(landing) / "2025-02.csv", ORDER_HEADER, [order("O3", at="2025-02-01 09:00:00")])

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (3, 3, 0)
    rows = con.execute(
        "SELECT order_id, shipping_cost, _batch, _row_number FROM raw.orders ORDER BY order_id"
    ).fetchall()
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("O1", "2025-01.csv", 2),
        ("O2", "2025-01.csv", 3),
        ("O3", "2025-02.csv", 2),
    ]
    assert rows[0][1] is None and float(rows[1][1]) == 12.5


def test_a_file_landed_again_is_loaded_once(con, landing):
    first = write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1"), order("O2")])
    ingest_table(con, ORDERS, landing, TODAY)
    # The same content again under another name, and the original untouched.
    (orders_dir(landing) / "2025-01-copy.csv").write_bytes(first.read_bytes())

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [(f.file.split("/")[-1], f.status) for f in report.files] == [
        ("2025-01-copy.csv", "skipped"),
        ("2025-01.csv", "skipped"),
    ]
    assert "same content as sales/orders/2025-01.csv" in report.files[0].detail
    assert con.execute("SELECT count(*) FROM raw.orders").fetchone()[0] == 2
    assert len(ledger(con)) == 1


def test_a_restated_key_is_kept_per_batch_for_staging_to_pick_the_latest(con, landing):
    write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1", channel="web")])
    write_csv(orders_dir(landing) / "2025-02.csv", ORDER_HEADER, [order("O1", channel="store")])

    ingest_table(con, ORDERS, landing, TODAY)

    rows = con.execute("SELECT _batch, channel FROM raw.orders ORDER BY _batch").fetchall()
    assert rows == [("2025-01.csv", "web"), ("2025-02.csv", "store")]


def test_bad_rows_are_quarantined_with_file_row_column_and_reason(con, landing):
    rows = [
        order("O1"),  # line 2: good
        order("O2", currency="RMB1"),  # line 3
        order("O3", at="2099-01-01 00:00:00"),  # line 4: future
        order("O4", customer=""),  # line 5: required value missing
        order("O5", shipping="abc"),  # line 6: does not cast
        order("O6", shipping="-3"),  # line 7: negative
        order("O7", status="shipped"),  # line 8: not an accepted value
        order("O8"),  # line 9 and 10: duplicate key in one batch
        order("O8", channel="store"),
        order("O9", at="2025-13-45 10:00:00"),  # line 11: not a timestamp
    ]
    write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, rows)

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (10, 1, 9)
    assert ledger(con) == [("sales/orders/2025-01.csv", 10, 1, 9)]
    quarantined = con.execute(
        f"SELECT file, row_number, column_name, reason, record FROM {QUARANTINE} ORDER BY row_number"
    ).fetchall()
    by_row = {r[1]: r for r in quarantined}
    assert {r[0] for r in quarantined} == {"sales/orders/2025-01.csv"}
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert by_row[3][2:4] == ("currency", "currency: 'RMB1' is not a three-letter ISO 4217 code")
    assert by_row[4][2] == "ordered_at" and "in the future" in by_row[4][3]
    assert by_row[5][2:4] == ("customer_id", "customer_id: required value is missing")
    assert by_row[6][2:4] == ("shipping_cost", "shipping_cost: 'abc' is not a number")
    assert by_row[7][2:4] == ("shipping_cost", "shipping_cost: must not be negative")
    assert by_row[8][2] == "status" and "'shipped' is not one of completed, cancelled" in by_row[8][3]
    assert by_row[9][3] == by_row[10][3] == "duplicate key (order_id) in this batch"
    assert by_row[11][2] == "ordered_at" and "is not a timestamp" in by_row[11][3]
    # The whole original record is kept, so nothing is lost.
    assert json.loads(by_row[6][4])["shipping_cost"] == "abc"
    assert con.execute("SELECT order_id FROM raw.orders").fetchall() == [("O1",)]


def test_a_file_missing_a_column_is_rejected_whole_and_others_still_load(con, landing):
    header = [c for c in ORDER_HEADER if c != "currency"]
    write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1")])
    write_csv(orders_dir(landing) / "2025-02.csv", header, [["O2", "C1", "2025-02-01", "web", "completed", ""]])

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [f.status for f in report.files] == ["loaded", "rejected"]
    assert report.files[1].detail == (
        "sales/orders/2025-02.csv, column 'currency': required column is missing from the header"
    )
    assert con.execute("SELECT order_id FROM raw.orders").fetchall() == [("O1",)]
    assert [r[0] for r in ledger(con)] == ["sales/orders/2025-01.csv"]


def test_an_unreadable_file_is_rejected_and_loads_nothing(con, landing):
    folder = orders_dir(landing)
    folder.mkdir(parents=True)
    # A header and a line in Latin-1: not UTF-8.
    (folder / "2025-01.csv").write_bytes(
        (",".join(ORDER_HEADER) + "\n").encode() + "O1,Café,2025-01-05,web,CNY,completed,\n".encode("latin-1")
    )
    (folder / "2025-02.parquet").write_bytes(b"PAR1 this is not parquet")

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [f.status for f in report.files] == ["rejected", "rejected"]
    assert report.files[0].detail.startswith("sales/orders/2025-01.csv: cannot be read")
    assert report.files[1].detail.startswith("sales/orders/2025-02.parquet: cannot be read")
    assert con.execute("SELECT count(*) FROM raw.orders").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM {QUARANTINE}").fetchone()[0] == 0
    assert ledger(con) == []


def test_a_loaded_file_whose_content_changed_is_rejected(con, landing):
    path = write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1")])
    ingest_table(con, ORDERS, landing, TODAY)
    write_csv(path, ORDER_HEADER, [order("O1"), order("O2")])

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert report.files[0].status == "rejected"
    assert "content changed after it was loaded" in report.files[0].detail
    assert con.execute("SELECT count(*) FROM raw.orders").fetchone()[0] == 1


def test_text_in_any_script_round_trips_unchanged_with_or_without_bom(con, landing):
    names = ["上海华东贸易有限公司", "Zoë Ångström", "محمد", "Ελληνικά 😀", '"Quoted, comma"']
    folder = landing / "crm" / "customers"
    header = CUSTOMERS.column_names
    rows = [
        [
            f"C{i}",
            name,
            "company",
            "制造业",
            "华东",
            "上海",
            "2024-01-01 00:00:00",
            "展会",
            "",
            "王芳",
            "G1",
            "金卡",
            "13800000000",
            "a@example.com",
            "",
        ]
        for i, name in enumerate(names)
    ]
    write_csv(folder / "2025-01.csv", header, rows[:3], bom=True)
    write_csv(folder / "2025-02.csv", header, rows[3:])

    report = ingest_table(con, CUSTOMERS, landing, TODAY)

    assert report.rows_loaded == len(names) and report.rows_quarantined == 0
    loaded = con.execute(
        "SELECT customer_name, industry, membership_level FROM raw.customers ORDER BY customer_id"
    ).fetchall()
    assert [r[0] for r in loaded] == names
    assert loaded[0][1:] == ("制造业", "金卡")


def test_parquet_batches_load_like_csv(con, landing, tmp_path):
    folder = orders_dir(landing)
    folder.mkdir(parents=True)
    source = write_csv(tmp_path / "src.csv", ORDER_HEADER, [order("O1"), order("O2", currency="usd")])
    con.execute(
        f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true)) TO '{folder / '2025-01.parquet'}' (FORMAT parquet)"
    )

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert con.execute(f"SELECT row_number, column_name FROM {QUARANTINE}").fetchall() == [(2, "currency")]


def test_a_file_that_breaks_past_its_header_is_rejected_alone(con, landing):
    # New files load together in one statement; a file that the reader only fails on
    # far into its body must still be named on its own, with the good files loaded.
    folder = orders_dir(landing)
    write_csv(folder / "2025-01.csv", ORDER_HEADER, [order("O1")])
    good_rows = "".join(f"B{i},C1,2025-02-01 09:00:00,web,CNY,completed,\n" for i in range(30_000))
    (folder / "2025-02.csv").write_bytes(
        (",".join(ORDER_HEADER) + "\n" + good_rows).encode()
        + "O9,Café,2025-02-05 10:00:00,web,CNY,completed,\n".encode("latin-1")
    )
    write_csv(folder / "2025-03.csv", ORDER_HEADER, [order("O3", at="2025-03-01 09:00:00")])

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [f.status for f in report.files] == ["loaded", "rejected", "loaded"]
    assert report.files[1].detail.startswith("sales/orders/2025-02.csv: cannot be read")
    assert con.execute("SELECT order_id FROM raw.orders ORDER BY 1").fetchall() == [("O1",), ("O3",)]
    assert [r[0] for r in ledger(con)] == ["sales/orders/2025-01.csv", "sales/orders/2025-03.csv"]


def test_the_same_content_twice_in_one_landing_is_loaded_once(con, landing):
    first = write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1"), order("O2")])
    (orders_dir(landing) / "2025-01-again.csv").write_bytes(first.read_bytes())

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [(f.file.split("/")[-1], f.status, f.rows_loaded) for f in report.files] == [
        ("2025-01-again.csv", "loaded", 2),
        ("2025-01.csv", "skipped", 0),
    ]
    assert report.files[1].detail == "same content as sales/orders/2025-01-again.csv, already loaded"
    assert con.execute("SELECT count(*) FROM raw.orders").fetchone()[0] == 2


def test_rows_of_files_loaded_together_keep_their_own_file_and_line(con, landing):
    # Duplicate keys are per batch: the same key in two files loaded at once is a
    # restatement, not a duplicate, and each row keeps its own line number.
    write_csv(orders_dir(landing) / "2025-01.csv", ORDER_HEADER, [order("O1"), order("O2"), order("O2")])
    write_csv(orders_dir(landing) / "2025-02.csv", ORDER_HEADER, [order("O9"), order("O1", channel="store")])

    report = ingest_table(con, ORDERS, landing, TODAY)

    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [(3, 1, 2), (2, 2, 0)]
    assert con.execute(
        "SELECT order_id, channel, _batch, _row_number FROM raw.orders ORDER BY _batch, _row_number"
    ).fetchall() == [
        ("O1", "web", "2025-01.csv", 2),
        ("O9", "web", "2025-02.csv", 2),
        ("O1", "store", "2025-02.csv", 3),
    ]
    assert con.execute(f"SELECT file, row_number FROM {QUARANTINE} ORDER BY row_number").fetchall() == [
        ("sales/orders/2025-01.csv", 3),
        ("sales/orders/2025-01.csv", 4),
    ]
