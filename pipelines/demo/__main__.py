"""Command line: python -m pipelines.demo --order-lines N --seed S --out DIR [...]."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from pipelines.demo.generator import generate
from pipelines.demo.writer import FORMATS


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.demo",
        description="Write deterministic demo landing files (one per table and month) "
        "that follow the raw data contract.",
    )
    add = parser.add_argument
    add("--order-lines", type=int, required=True, help="order lines to write; customers and orders scale with it")
    add("--seed", type=int, required=True, help="random seed: the same seed and arguments give identical files")
    add("--out", required=True, help="landing folder to write <source>/<table>/<YYYY-MM>.<format> into")
    add("--format", choices=FORMATS, default="csv")
    add("--end-date", type=_date, default=date(2025, 12, 31), help="last date in the data (default 2025-12-31)")
    add("--years", type=int, default=4, help="length of the history in years (default 4)")
    add("--bad-rows", type=int, default=0, help="rows to break for the quarantine (default 0: clean data)")
    args = parser.parse_args(argv)
    try:
        summary = generate(
            args.out,
            order_lines=args.order_lines,
            seed=args.seed,
            fmt=args.format,
            end_date=args.end_date,
            years=args.years,
            bad_rows=args.bad_rows,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(name) for name in summary["tables"])
    for name, table in summary["tables"].items():
        bad = f", {table['bad_rows']:,} bad" if table["bad_rows"] else ""
        print(f"{name:<{width}}  {table['rows']:>12,} rows in {table['files']} files{bad}")
    people = summary["customers"]
    dates = summary["date_range"]
    print(
        f"{people['total']:,} customers ({people['prospects']:,} prospects, "
        f"{people['unknown_to_crm']:,} unknown to CRM), {dates['start']} to {dates['end']}, "
        f"written to {summary['out_dir']} in {summary['elapsed_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
