"""The raw data contract (SPEC section 3): which tables arrive, their keys and columns.

One place for it: the ingest assets validate landed files against it, the demo
generator writes files that follow it, and the dbt sources describe the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Every landed value is read as text first, then cast by kind, so a
# value that does not cast is a row error rather than a file error.
TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
DATE = "date"
TIMESTAMP = "timestamp"
CURRENCY = "currency"  # ISO 4217: three upper-case letters


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = True
    # A SQL predicate on the cast value, written `{v}`, that a valid value satisfies.
    check: str | None = None
    check_reason: str | None = None
    accepted: tuple[str, ...] | None = None
    # Dates and timestamps after the load date are row errors.
    not_future: bool = False


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def qualified(self) -> str:
        return f"{self.source}/{self.name}"


_POSITIVE = ("{v} > 0", "must be greater than 0")
_NON_NEGATIVE = ("{v} >= 0", "must not be negative")


def _col(name: str, kind: str = TEXT, *, required: bool = True, rule=None, **kw) -> Column:
    check, reason = rule if rule else (None, None)
    return Column(name, kind, required, check, reason, **kw)


TABLES: tuple[Table, ...] = (
    Table(
        "sales",
        "orders",
        ("order_id",),
        (
            _col("order_id"),
            _col("customer_id"),
            _col("ordered_at", TIMESTAMP, not_future=True),
            _col("channel"),
            _col("currency", CURRENCY),
            _col("status", accepted=("completed", "cancelled")),
            _col("shipping_cost", DECIMAL, required=False, rule=_NON_NEGATIVE),
        ),
    ),
    Table(
        "sales",
        "order_lines",
        ("order_id", "line_number"),
        (
            _col("order_id"),
            _col("line_number", INTEGER, rule=_POSITIVE),
            _col("product_id"),
            _col("product_category"),
            _col("quantity", DECIMAL, rule=_POSITIVE),
            _col("unit_price", DECIMAL, rule=_NON_NEGATIVE),
            _col("discount_amount", DECIMAL, rule=_NON_NEGATIVE),
            _col("unit_cost", DECIMAL, rule=_NON_NEGATIVE),
        ),
    ),
    Table(
        "sales",
        "returns",
        ("return_id",),
        (
            _col("return_id"),
            _col("order_id"),
            _col("line_number", INTEGER, rule=_POSITIVE),
            _col("returned_at", TIMESTAMP, not_future=True),
            _col("quantity", DECIMAL, rule=_POSITIVE),
            _col("refund_amount", DECIMAL, rule=_NON_NEGATIVE),
        ),
    ),
    Table(
        "sales",
        "fx_rates",
        ("rate_date", "currency"),
        (
            _col("rate_date", DATE, not_future=True),
            _col("currency", CURRENCY),
            _col("rate_to_reporting", DECIMAL, rule=_POSITIVE),
        ),
    ),
    Table(
        "crm",
        "customers",
        ("customer_id",),
        (
            _col("customer_id"),
            _col("customer_name"),
            _col("customer_type", accepted=("company", "individual")),
            _col("industry", required=False),
            _col("region", required=False),
            _col("city", required=False),
            _col("created_at", TIMESTAMP, not_future=True),
            _col("acquisition_channel", required=False),
            _col("referred_by_customer_id", required=False),
            _col("account_manager", required=False),
            _col("crm_group", required=False),
            _col("membership_level", required=False),
            _col("phone", required=False),
            _col("email", required=False),
            _col("birthday", DATE, required=False),
        ),
    ),
    Table(
        "crm",
        "interactions",
        ("interaction_id",),
        (
            _col("interaction_id"),
            _col("customer_id"),
            _col("occurred_at", TIMESTAMP, not_future=True),
            _col("channel", accepted=("call", "visit", "sms", "email", "wechat", "event", "gift")),
            _col(
                "interaction_type",
                accepted=("contact", "complaint", "feedback", "referral", "gift"),
            ),
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
