"""The two reference baselines (bench/baselines) against answers worked out by hand, and
against each other on a generated demo data set.

The hand-made landing set (as_of_date 2025-06-30 = the latest completed order; value
window 2024-06-30 < d <= 2025-06-30; cost to serve 20 per order; USD rates 7.5 from
2024-11-01 and 8.0 from 2024-12-15):

| customer | counted orders (date: revenue, gross profit)                  | window rev / gp |
|----------|---------------------------------------------------------------|-----------------|
| C1       | 2024-01-10: 600, 280 (outside); 2025-01-10: 500, 170          | 500 / 170       |
|          |   (the 2025 line is restated from qty 4 to 5 in a later batch; shipping 10)  |
| C2       | 2024-12-01 USD 2 x 20 at 7.5 = 300; cost 24 USD, ship 2 USD: 85 | 300 / 85      |
|          |   (not in CRM; one-time buyer)                                |                 |
| C3       | 2024-03-01: 100, 40; 2025-03-01: 4 x 50 less a 1-unit return  | 150 / 65        |
|          |   refunded 50 = 150, cost 3 x 20, ship 5: 65; a cancelled    |                 |
|          |   2025-07-05 order (first landed completed, restated)        |                 |
| C4       | 2025-06-30: 50, cost 45: -15 (one-time; a completed order    | 50 / -15        |
|          |   without lines on 2025-05-01 does not count)                 |                 |
| C5       | none (prospect; restated to be referred by C1)                | 0 / 0           |
| C6       | created 2025-07-15, after as_of: not a customer yet           |                 |
| C7       | 2024-01-05 and 2024-02-04: 10, -15 each                       | 0 / 0           |
| C8       | 2025-03-01 fully returned: 0, -20; 2025-04-01 free: 0, -25    | 0 / -45         |

Tiers: total 1000; C1 share before 0 -> A, C2 0.5 -> A, C3 exactly 0.80 -> B, C4
exactly 0.95 -> C; the rest D. Profit bands over the 5 customers with window orders:
C1 top_20, C2/C3/C4 middle_60 (C2 at p = 0.2 exactly), C8 bottom_20 (p = 0.8).
Gaps between distinct order dates: C7 30, C8 31, C3 365, C1 366, so G50 = 198 and
G90 = 365.7 for the one-time buyers C2 (recency 211: at_risk) and C4 (0: active).
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.baselines import floor, pandas_rules  # noqa: E402

BASELINES = {"pandas": pandas_rules.compute, "floor": floor.compute}

ORDERS = ["order_id", "customer_id", "ordered_at", "channel", "currency", "status", "shipping_cost"]
LINES = [
    "order_id", "line_number", "product_id", "product_category", "quantity", "unit_price", "discount_amount",
    "unit_cost",
]  # fmt: skip
RETURNS = ["return_id", "order_id", "line_number", "returned_at", "quantity", "refund_amount"]
FX = ["rate_date", "currency", "rate_to_reporting"]
CUSTOMERS = [
    "customer_id", "customer_name", "customer_type", "industry", "region", "city", "created_at",
    "acquisition_channel", "referred_by_customer_id", "account_manager", "crm_group", "membership_level",
    "phone", "email", "birthday",
]  # fmt: skip


def _write(path: Path, header: list[str], rows: list[list[object]], bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _customer(cid: str, created: str, referred_by: str = "") -> list[object]:
    return [
        cid,
        f"客户{cid}",
        "company",
        "制造业",
        "华东",
        "上海",
        created,
        "website",
        referred_by,
        "",
        "",
        "",
        "",
        "",
        "",
    ]


def _line(order_id: str, number: int, quantity: float, price: float, cost: float, discount: float = 0) -> list:
    return [order_id, number, "P00001", "电子产品", quantity, price, discount, cost]


@pytest.fixture(scope="module")
def hand_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hand") / "landing"
    sales, crm = root / "sales", root / "crm"
    _write(
        sales / "orders" / "2025-06.csv",
        ORDERS,
        [
            ["O1", "C1", "2024-01-10 10:00:00", "online", "CNY", "completed", ""],
            ["O2", "C1", "2025-01-10 10:00:00", "online", "CNY", "completed", "10"],
            ["O3", "C2", "2024-12-01 09:00:00", "online", "USD", "completed", "2"],
            ["O4", "C3", "2025-03-01 11:00:00", "phone", "CNY", "completed", "5"],
            ["O5", "C3", "2025-07-05 11:00:00", "phone", "CNY", "completed", "5"],
            ["O6", "C4", "2025-06-30 23:59:59", "online", "CNY", "completed", "0"],
            ["O7", "C4", "2025-05-01 12:00:00", "online", "CNY", "completed", ""],
            ["O8", "C3", "2024-03-01 08:00:00", "phone", "CNY", "completed", ""],
            ["O9", "C7", "2024-01-05 08:00:00", "online", "CNY", "completed", ""],
            ["O10", "C7", "2024-02-04 08:00:00", "online", "CNY", "completed", ""],
            ["O11", "C8", "2025-03-01 08:00:00", "online", "CNY", "completed", ""],
            ["O12", "C8", "2025-04-01 08:00:00", "online", "CNY", "completed", ""],
        ],
        bom=True,
    )
    # A later batch: O5 was cancelled after all (latest batch wins).
    _write(
        sales / "orders" / "2025-07.csv",
        ORDERS,
        [["O5", "C3", "2025-07-05 11:00:00", "phone", "CNY", "cancelled", "5"]],
    )
    _write(
        sales / "order_lines" / "2025-06.csv",
        LINES,
        [
            _line("O1", 1, 10, 60, 30),
            _line("O2", 1, 4, 100, 60),
            _line("O3", 1, 2, 20, 12),
            _line("O4", 1, 4, 50, 20),
            _line("O5", 1, 20, 50, 20),
            _line("O6", 1, 1, 50, 45),
            _line("O8", 1, 2, 50, 20),
            _line("O9", 1, 1, 10, 5),
            _line("O10", 1, 1, 10, 5),
            _line("O11", 1, 1, 30, 10),
            _line("O12", 1, 1, 0, 5),
        ],
    )
    _write(sales / "order_lines" / "2025-07.csv", LINES, [_line("O2", 1, 5, 100, 60)])
    _write(
        sales / "returns" / "2025-06.csv",
        RETURNS,
        [
            ["R1", "O4", 1, "2025-03-05 10:00:00", 1, 50],
            ["R2", "O11", 1, "2025-03-10 10:00:00", 1, 30],
        ],
    )
    _write(
        sales / "fx_rates" / "2025-06.csv",
        FX,
        [["2024-11-01", "USD", "7.5"], ["2024-12-15", "USD", "8.0"], ["2024-11-01", "EUR", "8.1"]],
    )
    _write(
        crm / "customers" / "2023-12.csv",
        CUSTOMERS,
        [
            _customer("C1", "2023-12-01 09:00:00"),
            _customer("C3", "2023-12-01 09:00:00"),
            _customer("C4", "2023-12-01 09:00:00"),
            _customer("C5", "2023-12-01 09:00:00"),
            _customer("C7", "2023-12-01 09:00:00"),
            _customer("C8", "2023-12-01 09:00:00"),
        ],
    )
    _write(
        crm / "customers" / "2025-07.csv",
        CUSTOMERS,
        [_customer("C5", "2023-12-01 09:00:00", "C1"), _customer("C6", "2025-07-15 09:00:00", "C1")],
    )
    # No crm/interactions folder at all: a table with no batch yet.
    return root


EXPECTED = {
    # customer: first, last, tenure, recency, orders life/window, revenue life/window, gp life/window, gap
    "C1": ("2024-01-10", "2025-01-10", 537, 171, 2, 1, 1100, 500, 450, 170, 366),
    "C2": ("2024-12-01", "2024-12-01", 211, 211, 1, 1, 300, 300, 85, 85, None),
    "C3": ("2024-03-01", "2025-03-01", 486, 121, 2, 1, 250, 150, 105, 65, 365),
    "C4": ("2025-06-30", "2025-06-30", 0, 0, 1, 1, 50, 50, -15, -15, None),
    "C5": (None, None, None, None, 0, 0, 0, 0, 0, 0, None),
    "C7": ("2024-01-05", "2024-02-04", 542, 512, 2, 0, 20, 0, -30, 0, 30),
    "C8": ("2025-03-01", "2025-04-01", 121, 90, 2, 2, 0, 0, -45, -45, 31),
}
# customer: tier, band, loss-making, quadrant, churn status, churned_on, at-risk / churn thresholds
CLASSES = {
    "C1": ("A", "top_20", False, "old_big", "active", None, 732, 1098),
    "C2": ("A", "middle_60", False, "new_big", "at_risk", None, 198, 365.7),
    "C3": ("B", "middle_60", False, "old_small", "active", None, 730, 1095),
    "C4": ("C", "middle_60", True, "new_small", "active", None, 198, 365.7),
    "C5": ("D", "none", False, "prospect", "prospect", None, None, None),
    "C7": ("D", "none", False, "inactive", "churned", "2024-05-05", 60, 90),
    "C8": ("D", "bottom_20", True, "new_small", "at_risk", None, 62, 93),
}


def _day(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _num(value) -> float | None:
    return None if pd.isna(value) else float(value)


@pytest.fixture(scope="module", params=sorted(BASELINES))
def hand_result(request: pytest.FixtureRequest, hand_landing: Path) -> dict[str, pd.DataFrame]:
    return BASELINES[request.param](hand_landing)


def test_hand_made_customer_facts(hand_result: dict[str, pd.DataFrame]) -> None:
    cv = hand_result["customer_value"].set_index("customer_id")
    assert list(cv.index) == sorted(EXPECTED), "C6 was created after as_of_date; C2 is known from sales only"
    assert _day(cv["as_of_date"].iloc[0]) == "2025-06-30"  # the cancelled 2025-07-05 order does not set it
    assert not bool(cv.loc["C2", "in_crm"]) and bool(cv.loc["C5", "in_crm"])
    columns = [
        "first_order_date", "last_order_date", "tenure_days", "recency_days", "orders_lifetime", "orders_window",
        "net_revenue_lifetime", "net_revenue_window", "gross_profit_lifetime", "gross_profit_window",
        "typical_gap_days",
    ]  # fmt: skip
    for customer, expected in EXPECTED.items():
        row = cv.loc[customer]
        got = (_day(row[columns[0]]), _day(row[columns[1]]), *(_num(row[c]) for c in columns[2:]))
        for column, g, e in zip(columns, got, expected, strict=True):
            if isinstance(e, (int, float)) and g is not None:
                assert g == pytest.approx(e, abs=1e-6), f"{customer} {column}: {g} != {e}"
            else:
                assert g == e, f"{customer} {column}: {g} != {e}"
    assert int(cv.loc["C1", "referrals_made"]) == 1  # C5 restated to C1; C6 not yet a customer
    assert int(cv["interactions_window"].sum()) == 0


def test_hand_made_classes(hand_result: dict[str, pd.DataFrame]) -> None:
    cv = hand_result["customer_value"].set_index("customer_id")
    columns = [
        "pareto_tier", "profit_band", "is_loss_making", "quadrant", "churn_status", "churned_on",
        "at_risk_threshold_days", "churn_threshold_days",
    ]  # fmt: skip
    for customer, expected in CLASSES.items():
        row = cv.loc[customer]
        got = (
            row["pareto_tier"], row["profit_band"], bool(row["is_loss_making"]), row["quadrant"],
            row["churn_status"], _day(row["churned_on"]), _num(row["at_risk_threshold_days"]),
            _num(row["churn_threshold_days"]),
        )  # fmt: skip
        for column, g, e in zip(columns, got, expected, strict=True):
            if isinstance(e, float):
                assert g == pytest.approx(e), f"{customer} {column}: {g} != {e}"
            else:
                assert g == e, f"{customer} {column}: {g!r} != {e!r}"


def test_hand_made_pareto_summary(hand_result: dict[str, pd.DataFrame]) -> None:
    s = hand_result["pareto_summary"].iloc[0]
    assert int(s["customers"]) == 7
    assert (int(s["ranked_customers"]), int(s["top_customers"])) == (4, 1)
    assert float(s["top_customers_revenue_share"]) == pytest.approx(0.5)
    assert (int(s["profit_ranked_customers"]), int(s["top_profit_customers"])) == (3, 1)
    assert float(s["top_customers_profit_share"]) == pytest.approx(170 / 320)
    tiers = [int(s[f"tier_{t}_customers"]) for t in "abcd"]
    assert tiers == [2, 1, 1, 3]
    assert float(s["tier_a_revenue_share"]) == pytest.approx(0.8)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_hand_made_as_of_date(name: str, hand_landing: Path) -> None:
    """Facts after an explicit as_of_date do not exist: C3's return (03-05) and C8's
    (03-10) have not happened yet on 2025-03-02, C4 has not ordered, C6 is unknown."""
    cv = BASELINES[name](hand_landing, date(2025, 3, 2))["customer_value"].set_index("customer_id")
    assert "C6" not in cv.index
    assert cv.loc["C3", "net_revenue_window"] == pytest.approx(200)  # 2024-03-01 order just outside
    assert cv.loc["C3", "gross_profit_window"] == pytest.approx(200 - 80 - 20 - 5)
    assert cv.loc["C8", "net_revenue_window"] == pytest.approx(30)
    assert cv.loc["C4", "quadrant"] == "prospect" and cv.loc["C4", "churn_status"] == "prospect"
    assert cv.loc["C2", "net_revenue_window"] == pytest.approx(300)


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.demo import generate

    root = tmp_path_factory.mktemp("demo") / "landing"
    generate(root, order_lines=20_000, seed=11)
    return root


@pytest.mark.parametrize("as_of", [None, date(2024, 9, 30)], ids=["latest", "2024-09-30"])
def test_baselines_agree_on_demo_data(demo_landing: Path, as_of: date | None) -> None:
    a = pandas_rules.compute(demo_landing, as_of)
    b = floor.compute(demo_landing, as_of)
    x = a["customer_value"].set_index("customer_id")
    y = b["customer_value"].set_index("customer_id")
    assert list(x.index) == list(y.index)
    assert len(x) > 300
    for column in ("pareto_tier", "profit_band", "quadrant", "churn_status", "is_loss_making"):
        differ = x[column].astype(str) != y[column].astype(str)
        assert not differ.any(), f"{column} differs for {list(x.index[differ][:5])}"
    for column in ("orders_lifetime", "orders_window", "tenure_days", "recency_days"):
        pd.testing.assert_series_equal(
            x[column].astype("float64"), y[column].astype("float64"), check_names=False, check_index=False
        )
    for column in ("net_revenue_window", "gross_profit_window", "net_revenue_lifetime", "typical_gap_days"):
        pd.testing.assert_series_equal(
            x[column].astype("float64"), y[column].astype("float64"), check_names=False, atol=1e-6, rtol=1e-9
        )
    churned = pd.to_datetime(x["churned_on"]) != pd.to_datetime(y["churned_on"])
    both_missing = x["churned_on"].isna() & y["churned_on"].isna()
    assert not (churned & ~both_missing).any()
    sa, sb = a["pareto_summary"].iloc[0], b["pareto_summary"].iloc[0]
    for column in ("customers", "ranked_customers", "top_customers", "tier_a_customers", "tier_d_customers"):
        assert int(sa[column]) == int(sb[column]), column
    for column in ("top_customers_revenue_share", "top_customers_profit_share"):
        assert math.isclose(float(sa[column]), float(sb[column]), rel_tol=1e-9), column
    # The demo data tell the 20/80 story: tier A is the smallest set reaching 80 %.
    assert 0.8 <= float(sa["tier_a_revenue_share"]) < 0.85
