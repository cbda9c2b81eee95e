"""The dashboard's pages, one module each, in the order of the menu.

A page module has `REQUIRES` (the published tables it cannot do without) and
`render(page)`, which draws it from a `PageContext`.
"""

from __future__ import annotations

from types import ModuleType

from pipelines.dashboard.views import (
    churn,
    cohorts,
    customer,
    key_accounts,
    overview,
    profit_bands,
    quadrants,
    segments,
)

PAGES: dict[str, ModuleType] = {
    "overview": overview,
    "quadrants": quadrants,
    "profit_bands": profit_bands,
    "churn": churn,
    "key_accounts": key_accounts,
    "segments": segments,
    "cohorts": cohorts,
    "customer": customer,
}
