"""Bad rows for the ingest's quarantine (SPEC section 3, "Bad input").

Each bad row is an extra row written right after the generated row it was copied
from, with one thing broken. Apart from the duplicates it gets a key of its own, so
that it is the only row at fault and the clean data around it stays loadable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.writer import AFTER_ROW, BAD_ORDER, BATCH, BatchWriter
from pipelines.ingest.contract import TABLES_BY_NAME

UNCASTABLE = "uncastable"
MISSING_REQUIRED = "missing_required"
NEGATIVE_QUANTITY = "negative_quantity"
BAD_CURRENCY = "bad_currency"
DUPLICATE_KEY = "duplicate_key"
FUTURE_TIMESTAMP = "future_timestamp"
KINDS = (UNCASTABLE, MISSING_REQUIRED, NEGATIVE_QUANTITY, BAD_CURRENCY, DUPLICATE_KEY, FUTURE_TIMESTAMP)

# The (table, column) each kind breaks, used in turn as the kind comes round again
# (ordered so that the first six bad rows hit every table); a duplicate copies the
# whole row.
TARGETS: dict[str, tuple[tuple[str, str | None], ...]] = {
    UNCASTABLE: (("order_lines", "quantity"), ("orders", "shipping_cost"), ("customers", "birthday")),
    MISSING_REQUIRED: (("customers", "customer_name"), ("order_lines", "product_id"), ("orders", "customer_id")),
    NEGATIVE_QUANTITY: (("order_lines", "quantity"),),
    BAD_CURRENCY: (("orders", "currency"),),
    DUPLICATE_KEY: (("orders", None), ("customers", None), ("order_lines", None)),
    FUTURE_TIMESTAMP: (("customers", "created_at"), ("orders", "ordered_at")),
}
# Values that do not cast to the column's kind.
UNCASTABLE_VALUES = {"quantity": "abc", "shipping_cost": "12,50", "birthday": "1990-02-30"}
BAD_CURRENCY_VALUE = "RMB1"
FUTURE_YEAR = "2099"
# The column a bad row gets a new value in so that its key is its own.
OWN_KEY = {"orders": "order_id", "order_lines": "line_number", "customers": "customer_id"}


@dataclass(frozen=True)
class BadRow:
    kind: str
    table: str
    column: str | None


def plan(count: int) -> list[BadRow]:
    """`count` bad rows, every kind in turn, so six or more cover them all."""
    rows = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        targets = TARGETS[kind]
        table, column = targets[(i // len(KINDS)) % len(targets)]
        rows.append(BadRow(kind, table, column))
    return rows


def broken(kind: str, column: str | None, value: str | None) -> str | None:
    if kind == UNCASTABLE:
        return UNCASTABLE_VALUES[column]
    if kind == MISSING_REQUIRED:
        return None
    if kind == NEGATIVE_QUANTITY:
        return "-" + value
    if kind == BAD_CURRENCY:
        return BAD_CURRENCY_VALUE
    if kind == FUTURE_TIMESTAMP:
        # 2099 is no leap year.
        return (FUTURE_YEAR + value[4:]).replace("-02-29", "-02-28", 1)
    return value  # duplicate: an exact copy


def inject_bad_rows(
    count: int, tables: dict[str, pa.Table], writer: BatchWriter, rng: np.random.Generator
) -> dict[str, pa.Table]:
    """Bad rows per table name: contract columns as text, plus the batch and position
    they are written at."""
    by_table: dict[str, list[BadRow]] = {}
    for row in plan(count):
        by_table.setdefault(row.table, []).append(row)
    injected = {}
    for name, bad in by_table.items():
        data = tables[name]
        # Source rows drawn over the whole table, so the bad rows spread over its batches.
        sources = np.sort(rng.choice(data.num_rows, len(bad), replace=len(bad) > data.num_rows))
        typed = data.take(pa.array(sources))
        key = OWN_KEY[name]
        own_key = pc.max(data.column(key)).as_py() + 1 + np.arange(len(bad))
        typed = typed.set_column(
            typed.schema.get_field_index(key),
            key,
            pa.array(
                np.where([b.kind == DUPLICATE_KEY for b in bad], typed.column(key).to_numpy(), own_key),
                typed.schema.field(key).type,
            ),
        )
        rendered = writer.render(TABLES_BY_NAME[name], typed)
        for values, row in zip(rendered, bad, strict=True):
            if row.column is not None:
                values[row.column] = broken(row.kind, row.column, values[row.column])
        columns = {c: pa.array([v[c] for v in rendered], pa.string()) for c in TABLES_BY_NAME[name].column_names}
        columns[BATCH] = typed.column(BATCH)
        columns[AFTER_ROW] = pa.array(sources.astype(np.int64))
        columns[BAD_ORDER] = pa.array(np.arange(len(bad), dtype=np.int64))
        injected[name] = pa.table(columns)
    return injected
