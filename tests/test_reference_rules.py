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

The second hand-made landing set, for the churn signals, contact, referrals and traits of
SPEC 7.1 and 7.2 (pandas baseline only: the floor baseline does not compute them).
as_of_date 2025-06-30 (A's last order); window after 2024-06-30; CNY unless said; no
shipping, unit cost 0. "L" is the customer's last order date. K*, R*, D*, M and N* order
on 2024-12-22 and L = 2025-01-01 (one gap of 10 days: thresholds 60 / 90, recency 180:
churned, churned_on 2025-04-02).

| customer | what it has (amounts are list values, quantity x unit_price)   | signal worked out           |
|----------|----------------------------------------------------------------|-----------------------------|
| K1       | 100 + 100; a complaint on L - 180 = 2024-07-05                 | complaints no (not > L-180) |
| K2       | the same; the complaint on L - 179 = 2024-07-06                | complaints yes              |
| K3       | the same; the complaint on 2025-03-01, after L                 | complaints yes              |
| K4       | the same; the complaint on 2025-07-05, after as_of: none       | complaints no; no contact   |
| R1       | 100 + 100; 40 refunded on 2025-01-05: 40 >= 0.2 x 200          | returns yes                 |
| R2       | the same with 39.99 refunded                                   | returns no                  |
| R3       | the same with 100 refunded on 2025-07-02, after as_of          | returns no                  |
| R4       | two orders with a line priced 0, 0 refunded: whole 0           | returns, discount no        |
| D1       | 100 less 60 discount + 100: 60 >= 0.3 x 200                    | discount yes                |
| D2       | the same with 59.99 discount                                   | discount no                 |
| D3       | 30 discount on each (60 of 200), 28 refunded: 0.2 x (200 - 60) | returns and discount yes    |
|          |   (28 of the list value 200 would be 0.14)                     |                             |
| M        | 100; 10 USD less 7 USD discount at 8.0: 56 of 180 = 0.31       | discount yes (7/110 no)     |
| E1       | L = 2024-09-01; L-729, L-365, L: earlier 2, recent 1 (not < 1) | decline no                  |
| E2       | L-730 (left out), L-400, L-365, L: earlier 2, recent 1         | decline no                  |
| E3       | L-500, L-366, L-365, L: earlier 3, recent 1                    | decline yes                 |
| E4       | two orders on L-500, two on L-400, L: earlier 4 (2 days)       | decline yes                 |
| E5       | L-500, L-400, L-364, L: earlier 2, recent 2                    | decline no                  |
| N1       | 100 + 100; feedback (email) on 2025-04-01: 90 days             | no contact no               |
| N2       | 100 + 100; a gift on 2025-03-31: 91 days                       | no contact yes              |
| O1       | two orders on 2023-06-30 (one date); a contact on 2025-06-01   | one-time yes                |

Churn: E1 gaps 364, 365 (g 364.5), E2 330, 35, 365 (g 330), E4 100, 400 (g 250): active;
E3 134, 1, 365 (g 134, thresholds 268 / 402, recency 302): at_risk; E5 100, 36, 364
(g 100, 200 / 300): churned on 2025-06-29. The largest gap of all is 400, so G90 <= 400:
the one-time buyers S (recency 546) and O1 (731) are churned, Q, U (29) and W (15) are
within the 60-day floor: active. Reasons, first true signal: K2, K3 complaints (before
no_contact); R1, D3 returns (before discount); D1, M discount_dependent; E3 order_decline;
S no_contact (before one_time); O1 one_time; N1 none true: unexplained; the others
churned no_contact; active customers (P, H, Q, E4 with true signals) no reason.

The value customers (window revenue; tier A while share_before < 0.80 of the total
23,386.02: A 6,000 at 0, P 5,000, B 4,000, H 3,000, G 2,000 at 18,000 = 0.77; the next,
L, at 20,000 = 0.86 is not A; A, P, H (typical gap 31), B (92) and L (31) ordered within
29 days: active):

| customer | orders                                                 | interactions                     |
|----------|--------------------------------------------------------|----------------------------------|
| A        | 2024-06-30 (tenure 365); 03-30, 04-30, 05-30,          | contact/event 2024-06-30 (out of |
|          |   06-30 2025 (4 months); gaps 273, 31, 30, 31          |   the window), feedback/event    |
|          |                                                        |   2024-07-01, gift 2025-01-10,   |
|          |                                                        |   contact/event 2025-06-30, one  |
|          |                                                        |   on 2025-07-01 (after as_of)    |
| P        | 2024-05-01; 2025-04-20, 05-20, 06-20 (3 months)        | none; referred Q, S and T        |
| B        | 2024-07-01 (tenure 364), 10-01, 2025-01-01, 06-01      | referral/wechat 2025-06-01       |
| H        | 2025-05-01, 06-01                                      | referral/visit 2024-06-30 (out)  |
| G        | 2024-06-01; 07-15 .. 10-15 2024 (4 months); gap 31,    | none                             |
|          |   recency 258 > 93: churned                            |                                  |
| L        | 2024-06-15 (tenure 380); 03-10 .. 06-10 2025           | referral/email 2025-05-10        |
| Q        | referred by P; 2025-06-01 2 x 50 - 10, 40 refunded: 50 | none                             |
| S        | referred by P; 2024-01-01 only (no window order)       | none                             |
| T        | referred by P; no order: a prospect, every signal null | none                             |
| W        | referred by X9, which no one is; 2025-06-15            | none                             |
| U        | not in CRM; 2025-06-01                                 | none                             |

| customer | high_value | loyal            | advocate           | retained | core_traits | is_core |
|----------|------------|------------------|--------------------|----------|-------------|---------|
| A        | yes        | yes (365, 4 mo.) | no                 | yes      | 3           | yes     |
| P        | yes        | no (3 months)    | yes (3 referrals)  | yes      | 3           | yes     |
| B        | yes        | no (tenure 364)  | yes (referral)     | yes      | 3           | yes     |
| H        | yes        | no               | no (out of window) | yes      | 2           | no      |
| G        | yes        | yes              | no                 | no       | 2           | no      |
| L        | no         | yes              | yes                | yes      | 3           | no      |

P: referred_customers_active 1 (Q; S has no window order, T no order), referred revenue
window 50 (Q's); X9's referral of W counts for no one.
"""

from __future__ import annotations

import csv
import math
import sys
from datetime import date, timedelta
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


# --------------------------------------------------------------------------- SPEC 7.1 and 7.2 (pandas only)

INTERACTIONS = ["interaction_id", "customer_id", "occurred_at", "channel", "interaction_type"]


@pytest.fixture(scope="module")
def signals_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("signals") / "landing"
    sales, crm = root / "sales", root / "crm"
    orders: list[list[object]] = []
    lines: list[list[object]] = []
    returns: list[list[object]] = []

    def order(
        customer: str, day: str, price: float = 100, discount: float = 0, quantity: float = 1, currency="CNY"
    ) -> str:
        order_id = f"{customer}-{len(orders) + 1}"
        orders.append([order_id, customer, f"{day} 10:00:00", "online", currency, "completed", ""])
        lines.append(_line(order_id, 1, quantity, price, 0, discount))
        return order_id

    def refund(order_id: str, day: str, quantity: float, amount: float) -> None:
        returns.append([f"R-{order_id}", order_id, 1, f"{day} 10:00:00", quantity, amount])

    # K, R, D, M, N: an order ten days before their last one, L = 2025-01-01.
    for customer in ("K1", "K2", "K3", "K4", "N1", "N2"):
        order(customer, "2024-12-22")
        order(customer, "2025-01-01")
    for customer, amount, day in [("R1", 40, "2025-01-05"), ("R2", 39.99, "2025-01-05"), ("R3", 100, "2025-07-02")]:
        refund(order(customer, "2024-12-22", 10, quantity=10), day, 4, amount)
        order(customer, "2025-01-01", 10, quantity=10)
    refund(order("R4", "2024-12-22", 0), "2025-01-05", 1, 0)  # 0 of 0: not a share reached
    order("R4", "2025-01-01", 0)
    for customer, discount in [("D1", 60), ("D2", 59.99)]:
        order(customer, "2024-12-22", 10, discount, quantity=10)
        order(customer, "2025-01-01", 10, quantity=10)
    order("D3", "2024-12-22", 10, 30, quantity=10)
    refund(order("D3", "2025-01-01", 10, 30, quantity=10), "2025-01-05", 2, 28)
    order("M", "2024-12-22", 100)
    order("M", "2025-01-01", 10, 7, currency="USD")
    # E: decline around L = 2024-09-01 (days before it).
    for customer, days_before in {
        "E1": (729, 365, 0),
        "E2": (730, 400, 365, 0),
        "E3": (500, 366, 365, 0),
        "E4": (500, 500, 400, 400, 0),
        "E5": (500, 400, 364, 0),
    }.items():
        for days in days_before:
            order(customer, (date(2024, 9, 1) - timedelta(days=days)).isoformat())
    order("O1", "2023-06-30")
    order("O1", "2023-06-30")
    # The value customers (window revenue A 6000, P 5000, B 4000, H 3000, G 2000, L 400).
    order("A", "2024-06-30", 1000)
    for day in ("2025-03-30", "2025-04-30", "2025-05-30", "2025-06-30"):  # the last sets as_of_date
        order("A", day, 1500)
    for day, price in [("2024-05-01", 1000), ("2025-04-20", 2000), ("2025-05-20", 1500), ("2025-06-20", 1500)]:
        order("P", day, price)
    for day in ("2024-07-01", "2024-10-01", "2025-01-01", "2025-06-01"):
        order("B", day, 1000)
    for day in ("2025-05-01", "2025-06-01"):
        order("H", day, 1500)
    order("G", "2024-06-01", 100)
    for day in ("2024-07-15", "2024-08-15", "2024-09-15", "2024-10-15"):
        order("G", day, 500)
    for day in ("2024-06-15", "2025-03-10", "2025-04-10", "2025-05-10", "2025-06-10"):
        order("L", day, 100)
    refund(order("Q", "2025-06-01", 50, 10, quantity=2), "2025-06-05", 1, 40)
    order("S", "2024-01-01", 50)
    order("W", "2025-06-15", 100)
    order("U", "2025-06-01", 100)

    _write(sales / "orders" / "2025-06.csv", ORDERS, orders)
    _write(sales / "order_lines" / "2025-06.csv", LINES, lines)
    _write(sales / "returns" / "2025-06.csv", RETURNS, returns)
    _write(sales / "fx_rates" / "2025-06.csv", FX, [["2024-12-01", "USD", "8.0"]])
    # CRM knows every customer with an order but U, and the prospect T.
    known = [c for c in dict.fromkeys(row[1] for row in orders) if c != "U"] + ["T"]
    referrers = {"Q": "P", "S": "P", "T": "P", "W": "X9"}
    _write(
        crm / "customers" / "2025-06.csv",
        CUSTOMERS,
        [
            _customer(c, "2023-01-01 09:00:00" if c in referrers else "2022-01-01 09:00:00", referrers.get(c, ""))
            for c in known
        ],
    )
    interactions = [
        ("K1", "2024-07-05", "call", "complaint"),
        ("K2", "2024-07-06", "call", "complaint"),
        ("K3", "2025-03-01", "call", "complaint"),
        ("K4", "2025-07-05", "call", "complaint"),
        ("N1", "2025-04-01", "email", "feedback"),
        ("N2", "2025-03-31", "gift", "gift"),
        ("O1", "2025-06-01", "call", "contact"),
        ("A", "2024-06-30", "event", "contact"),
        ("A", "2024-07-01", "event", "feedback"),
        ("A", "2025-01-10", "gift", "gift"),
        ("A", "2025-06-30", "event", "contact"),
        ("A", "2025-07-01", "event", "contact"),
        ("B", "2025-06-01", "wechat", "referral"),
        ("H", "2024-06-30", "visit", "referral"),
        ("L", "2025-05-10", "email", "referral"),
    ]
    _write(
        crm / "interactions" / "2025-06.csv",
        INTERACTIONS,
        [[f"I{n}", c, f"{day} 11:00:00", channel, kind] for n, (c, day, channel, kind) in enumerate(interactions, 1)],
    )
    return root


# customer: complaints, returns, order_decline, discount_dependent, no_contact, one_time (1 true, 0 false,
# None null), churn_status, churn_reason
EXPECTED_SIGNALS = {
    "K1": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "K2": (1, 0, 0, 0, 1, 0, "churned", "complaints"),
    "K3": (1, 0, 0, 0, 1, 0, "churned", "complaints"),
    "K4": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "R1": (0, 1, 0, 0, 1, 0, "churned", "returns"),
    "R2": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "R3": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "R4": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "D1": (0, 0, 0, 1, 1, 0, "churned", "discount_dependent"),
    "D2": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "D3": (0, 1, 0, 1, 1, 0, "churned", "returns"),
    "M": (0, 0, 0, 1, 1, 0, "churned", "discount_dependent"),
    "E1": (0, 0, 0, 0, 1, 0, "active", None),
    "E2": (0, 0, 0, 0, 1, 0, "active", None),
    "E3": (0, 0, 1, 0, 1, 0, "at_risk", "order_decline"),
    "E4": (0, 0, 1, 0, 1, 0, "active", None),
    "E5": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "N1": (0, 0, 0, 0, 0, 0, "churned", "unexplained"),
    "N2": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "O1": (0, 0, 0, 0, 0, 1, "churned", "one_time"),
    "A": (0, 0, 0, 0, 0, 0, "active", None),
    "P": (0, 0, 0, 0, 1, 0, "active", None),
    "B": (0, 0, 0, 0, 0, 0, "active", None),
    "H": (0, 0, 0, 0, 1, 0, "active", None),
    "G": (0, 0, 0, 0, 1, 0, "churned", "no_contact"),
    "L": (0, 0, 0, 0, 0, 0, "active", None),
    "Q": (0, 1, 0, 0, 1, 1, "active", None),
    "S": (0, 0, 0, 0, 1, 1, "churned", "no_contact"),
    "T": (None, None, None, None, None, None, "prospect", None),
    "W": (0, 0, 0, 0, 1, 1, "active", None),
    "U": (0, 0, 0, 0, 1, 1, "active", None),
}
# customer: last_contact_date, days_since_last_contact, contacts, feedback, gifts, events, referral interactions
EXPECTED_CONTACTS = {
    "A": ("2025-06-30", 0, 1, 1, 1, 2, 0),
    "B": ("2025-06-01", 29, 0, 0, 0, 0, 1),
    "H": ("2024-06-30", 365, 0, 0, 0, 0, 0),
    "L": ("2025-05-10", 51, 0, 0, 0, 0, 1),
    "K1": ("2024-07-05", 360, 0, 0, 0, 0, 0),
    "K2": ("2024-07-06", 359, 0, 0, 0, 0, 0),
    "K3": ("2025-03-01", 121, 0, 0, 0, 0, 0),
    "K4": (None, None, 0, 0, 0, 0, 0),
    "N1": ("2025-04-01", 90, 0, 1, 0, 0, 0),
    "N2": ("2025-03-31", 91, 0, 0, 1, 0, 0),
    "O1": ("2025-06-01", 29, 1, 0, 0, 0, 0),
    "P": (None, None, 0, 0, 0, 0, 0),
    "T": (None, None, 0, 0, 0, 0, 0),
}
# customer: high_value, loyal, advocate, retained, core_traits, is_core_customer, active_months_window,
# referrals_made, referred_customers_active, referred_revenue_window, referred_by_customer_id
EXPECTED_TRAITS = {
    "A": (1, 1, 0, 1, 3, 1, 4, 0, 0, 0, None),
    "P": (1, 0, 1, 1, 3, 1, 3, 3, 1, 50, None),
    "B": (1, 0, 1, 1, 3, 1, 4, 0, 0, 0, None),
    "H": (1, 0, 0, 1, 2, 0, 2, 0, 0, 0, None),
    "G": (1, 1, 0, 0, 2, 0, 4, 0, 0, 0, None),
    "L": (0, 1, 1, 1, 3, 0, 4, 0, 0, 0, None),
    "Q": (0, 0, 0, 1, 1, 0, 1, 0, 0, 0, "P"),
    "S": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "P"),
    "T": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "P"),
    "W": (0, 0, 0, 1, 1, 0, 1, 0, 0, 0, "X9"),
    "U": (0, 0, 0, 1, 1, 0, 1, 0, 0, 0, None),
    "K2": (0, 0, 0, 0, 0, 0, 2, 0, 0, 0, None),
}


@pytest.fixture(scope="module")
def signals_cv(signals_landing: Path) -> pd.DataFrame:
    return pandas_rules.compute(signals_landing)["customer_value"].set_index("customer_id")


def _value(value) -> object:
    """A cell as a plain Python value (None when missing), so that a null flag is not False."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _check(cv: pd.DataFrame, expected: dict[str, tuple], columns: list[str]) -> None:
    for customer, row in expected.items():
        for column, e in zip(columns, row, strict=True):
            g = _day(cv.loc[customer, column]) if column.endswith("_date") else _value(cv.loc[customer, column])
            if isinstance(e, int) and column.startswith(("signal_", "trait_", "is_")):
                e = bool(e)
            assert g == e, f"{customer} {column}: {g!r} != {e!r}"


def test_signals_customer_set(signals_cv: pd.DataFrame) -> None:
    assert _day(signals_cv["as_of_date"].iloc[0]) == "2025-06-30"
    # X9 referred W but is no customer; U is known from sales only.
    assert list(signals_cv.index) == sorted(EXPECTED_SIGNALS)
    assert not bool(signals_cv.loc["U", "in_crm"])


def test_churn_signals_and_reason(signals_cv: pd.DataFrame) -> None:
    _check(signals_cv, EXPECTED_SIGNALS, [*pandas_rules.SIGNALS, "churn_status", "churn_reason"])


def test_contact_and_window_counts(signals_cv: pd.DataFrame) -> None:
    columns = [
        "last_contact_date", "days_since_last_contact", "contacts_window", "feedback_window", "gifts_window",
        "events_window", "referral_interactions_window",
    ]  # fmt: skip
    _check(signals_cv, EXPECTED_CONTACTS, columns)


def test_traits_and_referrals(signals_cv: pd.DataFrame) -> None:
    columns = [
        *pandas_rules.TRAITS, "core_traits", "is_core_customer", "active_months_window", "referrals_made",
        "referred_customers_active", "referred_revenue_window", "referred_by_customer_id",
    ]  # fmt: skip
    _check(signals_cv, EXPECTED_TRAITS, columns)
    tier_a = set(signals_cv.index[signals_cv["pareto_tier"] == "A"])
    assert tier_a == {"A", "P", "B", "H", "G"}
    # W's window order is credited to no one: Q's 50 is the only referred revenue.
    assert int(signals_cv["referred_customers_active"].sum()) == 1
    assert float(signals_cv["referred_revenue_window"].sum()) == pytest.approx(50)
    assert list(signals_cv.index[signals_cv["is_core_customer"]]) == ["A", "B", "P"]


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
