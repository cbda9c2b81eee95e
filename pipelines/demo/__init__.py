"""Deterministic demo data for the landing folder (sales and CRM, per the raw data contract).

    generate(out_dir, order_lines=200_000, seed=7, fmt="csv",
             end_date=date(2025, 12, 31), years=4, bad_rows=0) -> dict

See `pipelines.demo.generator` for what the data contains, and `python -m pipelines.demo
--help` for the command line.
"""

from pipelines.demo.generator import generate

__all__ = ["generate"]
