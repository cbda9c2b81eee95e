"""The calendar of the demo data and small vectorised helpers shared by its tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class Period:
    """The `years` ending at `end`, both ends included. Times inside the generator
    are whole seconds since the start of the first day, days are whole days since it."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, years: int) -> Period:
        try:
            year_before = end.replace(year=end.year - years)
        except ValueError:  # 29 February
            year_before = end.replace(year=end.year - years, day=28)
        return cls(year_before + timedelta(days=1), end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> list[str]:
        """Batch names, YYYY-MM, first to last."""
        first, last = np.datetime64(self.start, "M"), np.datetime64(self.end, "M")
        return [str(m) for m in np.arange(first, last + 1)]

    def timestamps(self, seconds: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start, "s") + seconds.astype("timedelta64[s]")

    def dates(self, days: np.ndarray) -> np.ndarray:
        return np.datetime64(self.start, "D") + days.astype("timedelta64[D]")

    def month_of(self, seconds: np.ndarray) -> np.ndarray:
        """Batch index (months since the first month) of each time."""
        months = self.timestamps(seconds).astype("datetime64[M]")
        return (months - np.datetime64(self.start, "M")).astype(np.int16)


def pick(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Indices into `weights`, drawn in proportion to them."""
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right").astype(np.int32)


def uniform_int(rng: np.random.Generator, low: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Element-wise low + a whole number drawn uniformly from [0, count); count >= 1."""
    return low + np.floor(rng.random(len(low)) * count).astype(np.int64)


def group_positions(counts: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of np.repeat(values, counts)."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """0 for the smallest value up to 1 for the largest."""
    return np.argsort(np.argsort(values, kind="stable"), kind="stable") / max(len(values) - 1, 1)


def labels(codes: np.ndarray, words, missing: np.ndarray | None = None) -> pa.Array:
    """A text column from codes into a word list (dictionary-encoded), null where `missing`."""
    indices = pa.array(np.asarray(codes).astype(np.int32), mask=missing)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(words), pa.string()))


def first_of(words) -> list:
    """The first field of each tuple in a vocabulary list."""
    return [entry[0] for entry in words]
