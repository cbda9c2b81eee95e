"""The results tables of docs/performance.md, rendered from a results file:

    python -m bench.report [bench/results/<date>-<machine>.json]

Only the part between the `bench:results` markers is rewritten; the analysis around it
is written by hand. Without an argument the newest results file is used.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
RESULTS_DIR = ROOT / "bench" / "results"
BEGIN = "<!-- bench:results:begin (rendered by python -m bench.report; edit outside) -->"
END = "<!-- bench:results:end -->"

STAGE_ORDER = [
    ("process_outside_run", "process start + summary (outside the Dagster run)"),
    ("ingest", "ingest (6 raw__ steps)"),
    ("raw_gate", "raw gate (GX)"),
    ("dbt_staging", "dbt staging step"),
    ("dbt_exec_1", "  of which dbt's own work"),
    ("staging_gate", "staging gate (GX)"),
    ("dbt_marts", "dbt intermediate + marts step"),
    ("dbt_exec_2", "  of which dbt's own work"),
    ("marts_gate", "marts gate (GX)"),
    ("publish", "publish"),
    ("dagster_run", "Dagster run, start to end"),
]


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _spread(scale: dict, name: str, digits: int = 1) -> str:
    median = scale.get(f"{name}_s")
    if median is None:
        return "not measured"
    low, high = scale.get(f"{name}_s_min"), scale.get(f"{name}_s_max")
    if scale.get("repeats", 1) > 1 and low is not None:
        return f"**{_n(median, digits)}** ({_n(low, digits)}–{_n(high, digits)})"
    return f"**{_n(median, digits)}**"


def _lines(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def main_table(results: dict) -> list[str]:
    out = [
        "| order lines | customers | pipeline s | floor s | floor_all s | pandas s | pipeline / floor "
        "| pipeline / floor_all | marginal / floor | pandas / pipeline | incremental s "
        "| peak MiB pipeline / floor / floor_all / pandas | tiers agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results["scales"]:
        inc = _spread(s, "incremental") if s.get("incremental_s") is not None else "not measured"
        disagreements = s.get("tier_disagreements") or {}
        if s.get("tiers_agree") is None:
            agree = "not checked"
        elif s["tiers_agree"]:
            agree = "yes"
        else:
            agree = "no (" + ", ".join(f"{k}: {v}" for k, v in disagreements.items()) + ")"
        spill = f" (spilled {_n(s['pipeline_peak_spill_mib'], 0)} MiB)" if s.get("pipeline_peak_spill_mib") else ""
        out.append(
            f"| {_lines(s['order_lines'])} ({s.get('format', 'csv')}, {_n(s.get('landing_mib'), 0)} MiB) "
            f"| {_n(s.get('customers'))} | {_spread(s, 'pipeline')} | {_spread(s, 'floor', 2)} "
            f"| {_spread(s, 'floor_all')} | {_spread(s, 'pandas')} | {_n(s.get('pipeline_over_floor'))} "
            f"| {_n(s.get('pipeline_over_floor_all'))} | {_n(s.get('marginal_over_floor'))} "
            f"| {_n(s.get('pandas_over_pipeline'), 2)} | {inc} "
            f"| {_n(s.get('pipeline_peak_rss_mib'), 0)}{spill} / {_n(s.get('floor_peak_rss_mib'), 0)} / "
            f"{_n(s.get('floor_all_peak_rss_mib'), 0)} / {_n(s.get('pandas_peak_rss_mib'), 0)} | {agree} |"
        )
    return out


def code_note(results: dict) -> list[str]:
    """Which pipeline code each row was measured on (bench.run.code_fingerprint)."""
    rows = [("tiny", results.get("tiny") or {})] + [(_lines(s["order_lines"]), s) for s in results["scales"]]
    prints = {name: r.get("code_fingerprints") or [] for name, r in rows}
    distinct = sorted({f for fs in prints.values() for f in fs})
    if not distinct:
        return []
    if len(distinct) == 1:
        return ["", f"All rows measured on the same pipeline code (fingerprint `{distinct[0]}`)."]
    detail = "; ".join(f"{name}: {', '.join(f'`{f}`' for f in fs)}" for name, fs in prints.items() if fs)
    return ["", f"**Rows measured on different pipeline code** (fingerprints {detail}): compare with care."]


def workaround_note(results: dict) -> list[str]:
    rows = [("tiny", results.get("tiny") or {})] + [(_lines(s["order_lines"]), s) for s in results["scales"]]
    used = [(name, r["workarounds"]) for name, r in rows if r.get("workarounds")]
    if not used:
        return []
    return [
        "",
        "Measured with non-default settings (a workaround, see below): "
        + "; ".join(f"{name}: {', '.join(w)}" for name, w in used)
        + ".",
    ]


def failures(results: dict) -> list[str]:
    out = []
    for f in results.get("failures") or []:
        errors = f.get("errors") or ["?"]
        # The database's own message ("Not implemented Error: ...") says more than the wrappers.
        message = next((e for e in errors if re.match(r"^[A-Z][A-Za-z ]* Error: ", e)), errors[-1])
        facts = [f"{f.get('format', 'csv')}"]
        if f.get("code"):
            facts.append(f"code `{f['code']}`")
        if f.get("workarounds"):
            facts.append(", ".join(f["workarounds"]))
        if f.get("wall_s") is not None:
            facts.append(f"after {_n(f['wall_s'])} s")
        if f.get("peak_rss_mib") is not None:
            facts.append(f"peak {_n(f['peak_rss_mib'], 0)} MiB")
        if f.get("peak_spill_mib"):
            facts.append(f"spilled {_n(f['peak_spill_mib'], 0)} MiB")
        out.append(
            f"- {f['contender']} run `{f['tag']}` at {_lines(f['order_lines'])} lines ({'; '.join(facts)}; "
            f"{f.get('at', '?')}) **failed**: `{message}`" + (f" — {f['note']}" if f.get("note") else "")
        )
    return ["", "Failed runs:", "", *out] if out else []


def tiny_table(results: dict) -> list[str]:
    tiny = results.get("tiny")
    if not tiny:
        return ["Fixed overhead: not measured."]
    out = [
        f"Fixed overhead: the same runs on a tiny data set ({tiny['order_lines']:,} order lines, "
        f"{_n(tiny.get('customers'))} customers), median of {tiny['repeats']} "
        "(min–max); peak MiB of the process tree.",
        "",
        "| contender | wall s | peak MiB |",
        "|---|---|---|",
    ]
    for name in ("pipeline", "floor", "floor_all", "pandas"):
        out.append(f"| {name} | {_spread(tiny, name, 2)} | {_n(tiny.get(f'{name}_peak_rss_mib'), 0)} |")
    probes = tiny.get("startup_probes") or {}
    if probes:
        out += [
            "",
            "Start-up probes, each a fresh process doing only this (median wall s; they overlap, "
            "each includes the interpreter):",
            "",
            "| probe | wall s | peak MiB |",
            "|---|---|---|",
        ]
        for name, p in probes.items():
            out.append(f"| {name} | {_n(p['wall_s'], 2)} | {_n(p['peak_rss_mib'], 0)} |")
    return out


def stage_table(results: dict) -> list[str]:
    columns = [("tiny", results.get("tiny", {}).get("stages_s", {}))]
    for s in results["scales"]:
        columns.append((_lines(s["order_lines"]), s.get("stages_s", {})))
        if s.get("incremental_stages_s"):
            columns.append((_lines(s["order_lines"]) + " incremental", s["incremental_stages_s"]))
    out = [
        "Pipeline stages, from the Dagster run's step timings (median s of the timed runs):",
        "",
        "| stage | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for key, label in STAGE_ORDER:
        if not any(key in stages for _, stages in columns):
            continue
        cells = [_n((stages.get(key) or {}).get("median")) for _, stages in columns]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


TARGET_LABELS = {
    "marginal_le_2x_floor": "marginal pipeline time (full − tiny) ≤ 2 × floor",
    "fixed_overhead_le_20s": "fixed overhead ≤ 20 s",
    "peak_memory_le_2gb": "peak memory of the pipeline ≤ 2 GB (2,048 MiB)",
    "incremental_le_25pct": "incremental run ≤ 25 % of a full run",
    "pandas_ge_3x_pipeline": "pipeline ≥ 3 × faster than pandas (pandas / pipeline)",
}


def targets_table(results: dict) -> list[str]:
    if not results["scales"]:
        return []
    at = [s for s in results["scales"] if s.get("targets_apply")]
    s = at[0] if at else max(results["scales"], key=lambda x: x["order_lines"])
    note = "" if at else f" (10M not measured yet: shown at the largest measured scale, {_lines(s['order_lines'])})"
    out = [
        f"Targets at {_lines(s['order_lines'])} order lines{note}:",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for key, label in TARGET_LABELS.items():
        t = s["targets"][key]
        met = "not measured" if t["met"] is None else ("met" if t["met"] else "**missed**")
        out.append(f"| {label} | {_n(t['value'], 2)} | {met} |")
    return out


def render(results: dict, source: Path) -> str:
    m, v = results["machine"], results["versions"]
    versions = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    lines = [
        BEGIN,
        "",
        f"Results file: `{source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}` "
        f"(updated {results.get('updated_at', '?')}).",
        f"Machine: {m.get('cpu') or '?'}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, "
        f"Linux {m.get('kernel')}. Versions: {versions}.",
        "",
        "Wall seconds: **median** (min–max) of the timed runs; peak memory: median of the "
        "peak RSS summed over each process tree. marginal = pipeline − fixed overhead.",
        "",
        *main_table(results),
        *code_note(results),
        *workaround_note(results),
        *failures(results),
        "",
        *targets_table(results),
        "",
        *stage_table(results),
        "",
        *tiny_table(results),
        "",
        END,
    ]
    return "\n".join(lines)


def update_docs(results_path: Path, docs: Path = DOCS) -> None:
    results = json.loads(Path(results_path).read_text())
    block = render(results, Path(results_path).resolve())
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        path = Path(argv[0])
    else:
        found = sorted(RESULTS_DIR.glob("*.json"), key=lambda p: p.stat().st_mtime)
        if not found:
            print("no results in bench/results/", file=sys.stderr)
            return 1
        path = found[-1]
    update_docs(path)
    print(f"{DOCS.relative_to(ROOT)} updated from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
