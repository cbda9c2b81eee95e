"""What a page is given: the data of the live release, the language, the currency and
the business settings (dbt vars) the marts were built with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipelines.dashboard import i18n
from pipelines.dashboard.data import Data


@dataclass(frozen=True)
class PageContext:
    data: Data
    lang: str
    currency: str
    business: Mapping[str, Any] = field(default_factory=dict)

    def t(self, key: str, **values: Any) -> str:
        """A text in the page's language; `{currency}` is filled in where a text has it."""
        return i18n.t(self.lang, key, currency=self.currency, **values)

    def label(self, prefix: str, code: Any) -> str:
        return i18n.label(self.lang, prefix, code)

    def localized(self, frame: pd.DataFrame, column: str) -> pd.Series:
        """A mart's bilingual text column (`<column>_en` / `<column>_zh`) in the page's language."""
        return frame[f"{column}_{self.lang}"]

    def code_labels(self, table: str, code: str) -> dict[str, str]:
        """The labels a summary mart gives its codes (quadrants, profit bands), in the page's language."""
        if not self.data.has(table, "label_en"):
            return {}
        frame = self.data.table(table, [code, "label_en", "label_zh"])
        return dict(zip(frame[code], self.localized(frame, "label"), strict=True))

    def yes_no(self, value: Any) -> str:
        return i18n.yes_no(self.lang, value)

    def setting(self, name: str, default: Any = None) -> Any:
        """A business setting (dbt var): the deployment's override, else the project default."""
        return self.business.get(name, default)

    @property
    def as_of(self) -> str:
        return self.data.release.as_of_date or "–"
