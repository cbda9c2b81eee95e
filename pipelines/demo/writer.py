"""Write generated tables as landed batch files with DuckDB.

The generator hands over typed Arrow tables (integer ids, money in cents, timestamps)
sorted by batch; DuckDB turns each column into its contract text and writes one file
per batch, so no value is formatted row by row in Python. Both formats carry the same
text: Parquet columns are strings too, which is also the only way a bad row such as
quantity `abc` can be written to them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.core.sql import quote_identifier, quote_literal
from pipelines.ingest.contract import Table

FORMATS = ("csv", "parquet")
READABLE_SUFFIXES = tuple(f".{fmt}" for fmt in FORMATS)
BATCH = "batch"  # index into the list of month names, a column of every generated table
AFTER_ROW = "after_row"  # in bad rows: the generated row they are written after
BAD_ORDER = "bad_order"  # in bad rows: their order among bad rows after the same row


def identifier(prefix: str, digits: int) -> str:
    """SQL rendering an integer as a zero-padded id; printf never truncates a longer one."""
    return f"printf('{prefix}%0{digits}d', {{c}})"


def fixed_point(scale: int) -> str:
    """SQL rendering an integer count of 10**-scale units as a decimal with `scale` places."""
    return f"CAST(CAST({{c}} / {10**scale} AS DECIMAL(18, {scale})) AS VARCHAR)"


PLAIN = "CAST({c} AS VARCHAR)"


class BatchWriter:
    """Writes `<out>/<source>/<table>/<batch>.<fmt>` files through one DuckDB connection."""

    def __init__(self, out_dir: Path, fmt: str, renderings: Mapping[str, Mapping[str, str]]):
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        self.out_dir = Path(out_dir)
        self.fmt = fmt
        self.renderings = renderings
        self.con = duckdb.connect()
        self.workers = max(1, min(4, os.cpu_count() or 1))

    def close(self) -> None:
        self.con.close()

    def folder(self, table: Table) -> Path:
        return self.out_dir / table.source / table.name

    def _select(self, table: Table, data: pa.Table) -> str:
        missing = [c for c in table.column_names if c not in data.column_names]
        if missing:
            raise ValueError(f"generated {table.qualified} lacks contract columns {missing}")
        rendering = self.renderings.get(table.name, {})
        return ", ".join(
            f"{rendering.get(c, PLAIN).format(c=quote_identifier(c))} AS {quote_identifier(c)}"
            for c in table.column_names
        )

    def render(self, table: Table, rows: pa.Table) -> list[dict[str, str | None]]:
        """The contract text of a few generated rows, as the files would carry it."""
        self.con.register("rows_to_render", rows)
        try:
            result = self.con.execute(f"SELECT {self._select(table, rows)} FROM rows_to_render")
            names = [d[0] for d in result.description]
            return [dict(zip(names, values, strict=True)) for values in result.fetchall()]
        finally:
            self.con.unregister("rows_to_render")

    def write(self, table: Table, data: pa.Table, batches: list[str], bad: pa.Table | None = None) -> int:
        """Write every batch of `data` (sorted by its batch column), empty batches as
        header-only files; bad rows go right after the row they were made from.
        Returns the number of files written."""
        folder = self.folder(table)
        folder.mkdir(parents=True, exist_ok=True)
        bounds = np.searchsorted(data.column(BATCH).to_numpy(), np.arange(len(batches) + 1))
        select = self._select(table, data)
        columns = ", ".join(quote_identifier(c) for c in table.column_names)
        bad_batches = set(bad.column(BATCH).to_pylist()) if bad is not None else set()
        options = "FORMAT csv, HEADER" if self.fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"

        def write_batch(index: int) -> None:
            lo, hi = int(bounds[index]), int(bounds[index + 1])
            part = data.slice(lo, hi - lo)
            query = f"SELECT {select} FROM part"
            # Each batch on its own cursor: registered frames are private to it.
            con = self.con.cursor()
            try:
                if index in bad_batches:
                    part = part.append_column("_row", pa.array(np.arange(lo, hi, dtype=np.int64)))
                    con.register("bad_rows", bad)
                    query = (
                        f"SELECT {columns} FROM ("
                        f"SELECT {select}, _row AS _pos, 0 AS _bad FROM part "
                        f"UNION ALL SELECT {columns}, {AFTER_ROW} AS _pos, 1 + {BAD_ORDER} AS _bad "
                        f"FROM bad_rows WHERE {BATCH} = {index}"
                        f") ORDER BY _pos, _bad"
                    )
                con.register("part", part)
                final = folder / f"{batches[index]}.{self.fmt}"
                # Written under a hidden name and renamed, so that a landing sensor never
                # sees half a file.
                partial = folder / f".{final.name}.partial"
                con.execute(f"COPY ({query}) TO {quote_literal(partial.as_posix())} ({options})")
                os.replace(partial, final)
            finally:
                con.close()

        # A COPY of one month's slice keeps about one core busy; run several at once.
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(write_batch, range(len(batches))))
        return len(batches)
