"""`make bench`: the whole pipeline against the floors (one DuckDB script each) and pandas.

    python -m bench.run [--scales 100000,1000000,10000000] [--repeats 3] [--no-incremental]

Environment overrides: SCALES, REPEATS, BENCH_FORMAT (csv|parquet), BENCH_TINY_LINES,
BENCH_WORK (work folder, default bench/work), BENCH_MACHINE (name in the results file),
BENCH_WARMUP=0 (same as --no-warmup), BENCH_BASELINES (same as --baselines; empty: the
pipeline alone, e.g. for the 100M memory-bounded run). CCP_DUCKDB_MEMORY_LIMIT, _THREADS
and _TEMP_DIR reach the pipeline and the floor alike and are recorded with the figures
(`workarounds`: settings that differ from a user's defaults). A failed run is recorded
under `failures` in the results file and stops the benchmark.

For each scale (order lines of the demo generator, about one customer per 40 lines):

1. the landing data is generated once under BENCH_WORK/data/ and kept;
2. check (also the warm-up, not timed into the figures): the pipeline (from an empty
   warehouse), the baselines each run once, and the pareto_tier of every customer
   in the pipeline's marts.customer_value is compared with every baseline (with
   --no-warmup the check is made on the outputs of the first timed round instead);
3. timed: REPEATS rounds of pipeline, floor, floor_all, pandas (interleaved, so that a busy moment
   of the machine does not fall on one contender only), each in its own process, wall
   time and peak RSS of the process tree measured from outside (bench.measure); the
   pipeline starts from an empty warehouse and publish folder every time (landing kept)
   and its step timings come from its Dagster run (bench.dagster_stats);
4. at the largest scale, the incremental run: the state after a full run is kept aside,
   one extra day of data is landed (bench.data.land_extra_day), and the next run is timed
   REPEATS times, each from that same state; the extra day is removed afterwards.

The fixed overhead is the pipeline on a tiny data set (BENCH_TINY_LINES, default 2,000
lines), with a breakdown of its start-up (bench.overhead). Results are merged into
bench/results/<date>-<machine>.json (a scale measured again replaces its entry) and the
table in docs/performance.md is rendered from them (bench.report).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

import duckdb

from bench import measure, overhead, report
from bench.data import DataSet, ExtraDay, ensure_dataset, land_extra_day, remove_extra_day

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_SCALES = (100_000, 1_000_000, 10_000_000)
# Beside the pipeline: the floor (customer_value core and pareto_summary), the whole
# floor (every mart SQL computes) and pandas (the rules of bench/baselines/pandas_rules).
BASELINES = ("floor", "floor_all", "pandas")
PACKAGES = (
    "duckdb", "pandas", "pyarrow", "numpy", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb",
    "great-expectations",
)  # fmt: skip
# Settings that would make the contenders compute different things; the bench runs all
# three on the defaults.
DROPPED_ENV = ("CCP_AS_OF_DATE", "CCP_DBT_VARS", "CCP_LANDING_DIR", "CCP_WAREHOUSE", "CCP_PUBLISH_DIR", "DAGSTER_HOME")
RUN_LINE = re.compile(r"Run ([0-9a-f-]{36}) (succeeded|FAILED)")
TARGETS_AT = 10_000_000


class BenchError(RuntimeError):
    def __init__(self, message: str, record: dict | None = None):
        super().__init__(message)
        self.record = record or {}


def error_lines(text: str, limit: int = 6) -> list[str]:
    """The distinct error messages of a failed run's output, for the results file."""
    seen: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if (
            ("Error" in line or "error" in line or "FAILED" in line)
            and line not in seen
            and not line.startswith("File ")
        ):
            seen.append(line[:300])
    return seen[:limit]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --------------------------------------------------------------------------- machine


def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    with contextlib.suppress(OSError, IndexError, ValueError):
        mem_kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
    return {
        "hostname": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "os": platform.platform(),
    }


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


CODE_PATHS = (
    "pipelines",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/tests",
    "dbt_project/seeds",
    "dbt_project/dbt_project.yml",
    "expectations",
)


def code_fingerprint() -> str:
    """A short hash of the pipeline's code (Python, dbt project, GX suites), recorded with
    every pipeline run: figures measured on different code must not be mixed unnoticed."""
    digest = hashlib.sha256()
    for entry in CODE_PATHS:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def machine_name() -> str:
    return os.environ.get("BENCH_MACHINE") or f"{platform.node() or 'machine'}-{os.cpu_count()}cpu"


# --------------------------------------------------------------------------- contenders


class Bench:
    def __init__(self, work: Path, fmt: str, seed: int, baselines: tuple[str, ...] = BASELINES):
        self.work = work
        self.fmt = fmt
        self.seed = seed
        self.baselines = baselines
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
        self.env = env
        # Settings that differ from what a user gets by default, recorded with the figures.
        self.workarounds: list[str] = [
            f"{k}={env[k]}"
            for k in ("CCP_DUCKDB_MEMORY_LIMIT", "CCP_DUCKDB_THREADS", "CCP_DUCKDB_TEMP_DIR", "CCP_DBT_THREADS")
            if env.get(k)
        ]

    # -- state of one scale: warehouse, published set, Dagster instance, logs
    def state(self, ds: DataSet) -> Path:
        return self.work / "runs" / f"{ds.fmt}-{ds.order_lines}"

    def pipeline_env(self, ds: DataSet) -> dict[str, str]:
        state = self.state(ds)
        home = state / "dagster_home"
        if not (home / "dagster.yaml").exists():
            home.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        return {
            **self.env,
            "CCP_LANDING_DIR": str(ds.landing),
            "CCP_WAREHOUSE": str(state / "warehouse" / "warehouse.duckdb"),
            "CCP_PUBLISH_DIR": str(state / "published"),
            "DAGSTER_HOME": str(home),
        }

    def reset(self, ds: DataSet) -> None:
        state = self.state(ds)
        for name in ("warehouse", "published"):
            shutil.rmtree(state / name, ignore_errors=True)

    def pipeline(self, ds: DataSet, tag: str, fresh: bool = True) -> dict:
        if fresh:
            self.reset(ds)
        state = self.state(ds)
        (state / "logs").mkdir(parents=True, exist_ok=True)
        env = self.pipeline_env(ds)
        out = state / "logs" / f"pipeline-{tag}.log"
        code = code_fingerprint()
        spill = Path(env.get("CCP_DUCKDB_TEMP_DIR") or Path(env["CCP_WAREHOUSE"]).parent / "duckdb_tmp")
        m = measure.run([sys.executable, "-m", "pipelines.run"], env=env, cwd=ROOT, log=out, watch_dir=spill)
        text = out.read_text(encoding="utf-8", errors="replace")
        found = RUN_LINE.findall(text)
        if m.exit_code or not found or found[-1][1] != "succeeded":
            raise BenchError(
                f"pipeline run {tag} failed (exit {m.exit_code}); see {out}:\n{text[-3000:]}",
                {
                    "contender": "pipeline",
                    "tag": tag,
                    "order_lines": ds.order_lines,
                    "format": ds.fmt,
                    "wall_s": round(m.wall_s, 3),
                    "peak_rss_mib": round(m.peak_rss_mib, 1),
                    "code": code,
                    "peak_spill_mib": m.peak_dir_mib,
                    "log": str(out),
                    "errors": error_lines(text),
                    "workarounds": list(self.workarounds),
                    "at": datetime.now().isoformat(timespec="seconds"),
                },
            )
        run_id = found[-1][0]
        stats = subprocess.run(
            [sys.executable, "-m", "bench.dagster_stats", run_id], env=env, cwd=ROOT, capture_output=True, text=True
        )
        timings = json.loads(stats.stdout) if stats.returncode == 0 else {"run_s": None, "steps": {}, "stages": {}}
        refresh_log = Path(env["CCP_WAREHOUSE"]).parent / "logs" / "refresh.log"
        if refresh_log.exists():
            shutil.copy(refresh_log, state / "logs" / f"refresh-{tag}.log")
        result = {**m.to_dict(), "run_id": run_id, "code": code, **timings}
        if code_fingerprint() != code:
            result["code_changed_during_run"] = True
        if timings.get("run_s"):
            # Outside the Dagster run: interpreter start, imports, building the
            # definitions, and the summary printed after the run.
            result["process_overhead_s"] = round(m.wall_s - timings["run_s"], 3)
        result["dbt_exec_s"] = overhead.dbt_exec_seconds(refresh_log)
        return result

    def contender(self, name: str, ds: DataSet, tag: str, tiers_out: Path | None = None) -> dict:
        state = self.state(ds)
        (state / "logs").mkdir(parents=True, exist_ok=True)
        env = dict(self.env)
        env.setdefault("CCP_DUCKDB_TEMP_DIR", str(state / "floor_tmp"))
        command = [sys.executable, "-m", "bench.contenders", name, str(ds.landing)]
        if tiers_out:
            command += ["--tiers-out", str(tiers_out)]
        out = state / "logs" / f"{name}-{tag}.log"
        m = measure.run(command, env=env, cwd=ROOT, log=out, watch_dir=Path(env["CCP_DUCKDB_TEMP_DIR"]))
        text = out.read_text(encoding="utf-8", errors="replace")
        if m.exit_code:
            raise BenchError(
                f"{name} run {tag} failed (exit {m.exit_code}); see {out}:\n{text[-3000:]}",
                {
                    "contender": name,
                    "tag": tag,
                    "order_lines": ds.order_lines,
                    "format": ds.fmt,
                    "wall_s": round(m.wall_s, 3),
                    "peak_rss_mib": round(m.peak_rss_mib, 1),
                    "log": str(out),
                    "errors": error_lines(text),
                    "at": datetime.now().isoformat(timespec="seconds"),
                },
            )
        info = json.loads([line for line in text.splitlines() if line.startswith("{")][-1])
        return {
            **m.to_dict(),
            "compute_s": info["compute_s"],
            "customers": info["customers"],
            "as_of_date": info["as_of_date"],
        }

    # -- the agreement check
    def tier_files(self, ds: DataSet) -> dict[str, Path]:
        return {name: self.state(ds) / f"tiers-{name}.parquet" for name in self.baselines}

    def agreement(self, ds: DataSet) -> dict:
        warehouse = Path(self.pipeline_env(ds)["CCP_WAREHOUSE"])
        agreement = compare_tiers(warehouse, self.tier_files(ds))
        log(
            f"  tiers agree: {agreement['tiers_agree']} "
            f"(disagreements {agreement['tier_disagreements']}, as_of {agreement['as_of_dates']})"
        )
        return agreement

    def check(self, ds: DataSet) -> dict:
        log(
            f"  check: pipeline, {', '.join(self.baselines) or 'no baseline'} once each (warm-up, not timed) on {ds.order_lines:,} lines"
        )
        pipeline = self.pipeline(ds, "check")
        runs = {name: self.contender(name, ds, "check", tiers_out=path) for name, path in self.tier_files(ds).items()}
        agreement = self.agreement(ds)
        agreement["warmup"] = {"pipeline_s": pipeline["wall_s"], **{f"{k}_s": v["wall_s"] for k, v in runs.items()}}
        return agreement


def compare_tiers(warehouse: Path, tiers: dict[str, Path]) -> dict:
    """pareto_tier per customer_id: the pipeline's marts against each baseline (a
    customer missing on one side counts as a disagreement)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{warehouse.as_posix()}' AS wh (READ_ONLY)")
        con.execute(
            "CREATE TEMP TABLE t_pipeline AS SELECT customer_id, pareto_tier, "
            "CAST(CAST(as_of_date AS DATE) AS VARCHAR) AS as_of_date FROM wh.marts.customer_value"
        )
        for name, path in tiers.items():
            con.execute(f"CREATE TEMP TABLE t_{name} AS SELECT * FROM read_parquet('{path.as_posix()}')")
        con.execute("DETACH wh")
        sides = ["pipeline", *tiers]
        counts = {s: con.execute(f"SELECT count(*) FROM t_{s}").fetchone()[0] for s in sides}
        as_of = {s: con.execute(f"SELECT min(as_of_date) FROM t_{s}").fetchone()[0] for s in sides}
        tiers_of = {
            s: dict(con.execute(f"SELECT pareto_tier, count(*) FROM t_{s} GROUP BY 1 ORDER BY 1").fetchall())
            for s in sides
        }
        pairs = [(a, b) for i, a in enumerate(sides) for b in sides[i + 1 :]]
        disagreements, examples = {}, {}
        for a, b in pairs:
            query = f"""SELECT coalesce(x.customer_id, y.customer_id), x.pareto_tier, y.pareto_tier
                        FROM t_{a} AS x FULL JOIN t_{b} AS y USING (customer_id)
                        WHERE x.pareto_tier IS DISTINCT FROM y.pareto_tier ORDER BY 1"""
            rows = con.execute(query).fetchall()
            disagreements[f"{a}_vs_{b}"] = len(rows)
            examples[f"{a}_vs_{b}"] = [list(r) for r in rows[:5]]
    finally:
        con.close()
    return {
        "tiers_agree": all(n == 0 for n in disagreements.values()) if disagreements else None,
        "tier_disagreements": disagreements,
        "disagreement_examples": examples,
        "customers_per_side": counts,
        "tier_counts": tiers_of,
        "as_of_dates": as_of,
    }


# --------------------------------------------------------------------------- figures


def spread(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def stage_medians(runs: list[dict]) -> dict:
    keys = sorted({k for r in runs for k in r.get("stages", {})})
    out = {k: spread([r["stages"].get(k) for r in runs]) for k in keys}
    out["dagster_run"] = spread([r.get("run_s") for r in runs])
    out["process_outside_run"] = spread([r.get("process_overhead_s") for r in runs])
    dbt_counts = {len(r.get("dbt_exec_s", [])) for r in runs}
    if len(dbt_counts) == 1 and dbt_counts != {0}:
        for i in range(dbt_counts.pop()):
            out[f"dbt_exec_{i + 1}"] = spread([r["dbt_exec_s"][i] for r in runs])
    return out


def summarise(name: str, runs: list[dict]) -> dict:
    """Scalar fields `<name>_s`, `<name>_s_min`, `<name>_s_max`, `<name>_peak_rss_mib` (median)."""
    wall = spread([r["wall_s"] for r in runs])
    rss = spread([r["peak_rss_mib"] for r in runs])  # None when not measured
    return {
        f"{name}_s": wall["median"],
        f"{name}_s_min": wall["min"],
        f"{name}_s_max": wall["max"],
        f"{name}_peak_rss_mib": rss["median"],
        f"{name}_peak_rss_mib_max": rss["max"],
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def targets(scale: dict) -> dict:
    marginal = scale.get("marginal_pipeline_s")
    floor_s = scale.get("floor_s")
    out = {
        "marginal_le_2x_floor": {"value": ratio(marginal, floor_s), "limit": "<= 2.0"},
        "fixed_overhead_le_20s": {"value": scale.get("fixed_overhead_s"), "limit": "<= 20 s"},
        "peak_memory_le_2gb": {"value": scale.get("pipeline_peak_rss_mib"), "limit": "<= 2048 MiB"},
        "incremental_le_25pct": {
            "value": ratio(scale.get("incremental_s"), scale.get("pipeline_s")),
            "limit": "<= 0.25",
        },
        "pandas_ge_3x_pipeline": {"value": ratio(scale.get("pandas_s"), scale.get("pipeline_s")), "limit": ">= 3.0"},
    }
    limits = {
        "marginal_le_2x_floor": lambda v: v <= 2.0,
        "fixed_overhead_le_20s": lambda v: v <= 20.0,
        "peak_memory_le_2gb": lambda v: v <= 2048.0,
        "incremental_le_25pct": lambda v: v <= 0.25,
        "pandas_ge_3x_pipeline": lambda v: v >= 3.0,
    }
    for key, target in out.items():
        target["met"] = None if target["value"] is None else bool(limits[key](target["value"]))
    return out


# --------------------------------------------------------------------------- plan


def timed_rounds(bench: Bench, ds: DataSet, repeats: int, check: bool = False) -> tuple[dict[str, list[dict]], dict]:
    """REPEATS rounds of pipeline, floor, pandas. With `check` (no warm-up run), the
    agreement check is made on the outputs of round 1, before round 2 starts."""
    runs: dict[str, list[dict]] = {"pipeline": [], **{name: [] for name in bench.baselines}}
    agreement: dict = {}
    tiers = bench.tier_files(ds)
    for i in range(1, repeats + 1):
        first = check and i == 1
        runs["pipeline"].append(bench.pipeline(ds, f"r{i}"))
        for name in bench.baselines:
            runs[name].append(bench.contender(name, ds, f"r{i}", tiers_out=tiers[name] if first else None))
        log(
            f"  round {i}/{repeats}: "
            + ", ".join(f"{n} {rs[-1]['wall_s']:.1f} s ({rs[-1]['peak_rss_mib']:.0f} MiB)" for n, rs in runs.items())
        )
        if first:
            agreement = bench.agreement(ds)
            agreement["warmup"] = None
    return runs, agreement


def incremental_rounds(bench: Bench, ds: DataSet, repeats: int) -> tuple[list[dict], ExtraDay]:
    """After the last full run: keep its warehouse and published set aside, land one more
    day, time the next run; each repeat starts again from the kept state."""
    state = bench.state(ds)
    saved = state / "after_full_run"
    shutil.rmtree(saved, ignore_errors=True)
    saved.mkdir(parents=True)
    for name in ("warehouse", "published"):
        shutil.copytree(state / name, saved / name, symlinks=True)
    extra = land_extra_day(ds.landing)
    log(
        f"  incremental: landed {extra.day} ({extra.orders:,} orders, {extra.order_lines:,} lines = "
        f"{extra.order_lines / ds.order_lines:.3%} of the lines, {extra.interactions:,} interactions)"
    )
    runs = []
    try:
        for i in range(1, repeats + 1):
            if i > 1:
                bench.reset(ds)
                for name in ("warehouse", "published"):
                    shutil.copytree(saved / name, state / name, symlinks=True)
            runs.append(bench.pipeline(ds, f"incremental-r{i}", fresh=False))
            log(f"  incremental round {i}/{repeats}: {runs[-1]['wall_s']:.1f} s ({runs[-1]['peak_rss_mib']:.0f} MiB)")
    finally:
        remove_extra_day(extra)
        shutil.rmtree(saved, ignore_errors=True)
    return runs, extra


def measure_scale(bench: Bench, lines: int, repeats: int, incremental: bool, warmup: bool = True) -> dict:
    log(f"scale {lines:,} order lines ({bench.fmt})")
    ds = ensure_dataset(bench.work, lines, bench.fmt, bench.seed)
    if warmup:
        agreement = bench.check(ds)
        runs, _ = timed_rounds(bench, ds, repeats)
    else:
        runs, agreement = timed_rounds(bench, ds, repeats, check=True)
    scale: dict = {
        "order_lines": lines,
        "customers": agreement.get("customers_per_side", {}).get("pipeline"),
        "format": bench.fmt,
        "landing_mib": round(ds.size_mib, 1),
        "repeats": repeats,
        "warmup_run": warmup,
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }
    for name in ("pipeline", *BASELINES):
        scale.update(summarise(name, runs.get(name, [])))
    scale["pipeline_over_floor"] = ratio(scale["pipeline_s"], scale["floor_s"])
    scale["pipeline_over_floor_all"] = ratio(scale["pipeline_s"], scale["floor_all_s"])
    scale["pandas_over_pipeline"] = ratio(scale["pandas_s"], scale["pipeline_s"])
    scale["stages_s"] = stage_medians(runs["pipeline"])
    scale["pipeline_peak_spill_mib"] = spread([r.get("peak_dir_mib") for r in runs["pipeline"]])["max"]
    scale["compute_s"] = {n: spread([r["compute_s"] for r in runs[n]]) for n in bench.baselines}
    scale["incremental_s"] = None
    if incremental:
        inc, extra = incremental_rounds(bench, ds, repeats)
        s = summarise("incremental", inc)
        scale.update(
            {k: s[k] for k in ("incremental_s", "incremental_s_min", "incremental_s_max", "incremental_peak_rss_mib")}
        )
        scale["incremental_over_full"] = ratio(scale["incremental_s"], scale["pipeline_s"])
        scale["incremental_day"] = {
            "date": extra.day.isoformat(), "orders": extra.orders, "order_lines": extra.order_lines,
            "share_of_lines": round(extra.order_lines / lines, 5), "interactions": extra.interactions,
            "fx_rates": extra.fx_rates,
        }  # fmt: skip
        scale["incremental_stages_s"] = stage_medians(inc)
        runs["incremental"] = inc
    scale.update(
        {
            k: agreement.get(k)
            for k in ("tiers_agree", "tier_disagreements", "disagreement_examples", "as_of_dates", "tier_counts")
        }
    )
    scale["warmup_s"] = agreement.get("warmup")
    scale["workarounds"] = list(bench.workarounds)
    scale["code_fingerprints"] = sorted({r["code"] for r in runs["pipeline"] + runs.get("incremental", [])})
    scale["code_changed"] = len(scale["code_fingerprints"]) > 1 or any(
        r.get("code_changed_during_run") for r in runs["pipeline"] + runs.get("incremental", [])
    )
    scale["load_average"] = spread([r["load_before"] for rs in runs.values() for r in rs])
    scale["runs"] = runs
    return scale


def measure_tiny(bench: Bench, lines: int, repeats: int) -> dict:
    log(f"fixed overhead: tiny data set of {lines:,} order lines")
    ds = ensure_dataset(bench.work, lines, bench.fmt, bench.seed)
    agreement = bench.check(ds)
    runs, _ = timed_rounds(bench, ds, repeats)
    tiny = {"order_lines": lines, "customers": agreement["customers_per_side"]["pipeline"], "repeats": repeats}
    for name in ("pipeline", *BASELINES):
        tiny.update(summarise(name, runs.get(name, [])))
    tiny["stages_s"] = stage_medians(runs["pipeline"])
    tiny["code_fingerprints"] = sorted({r["code"] for r in runs["pipeline"]})
    tiny["workarounds"] = list(bench.workarounds)
    tiny["tiers_agree"] = agreement["tiers_agree"]
    tiny["tier_disagreements"] = agreement["tier_disagreements"]
    log("  start-up probes (interpreter, imports, definitions, dbt CLI) ...")
    tiny["startup_probes"] = overhead.startup_costs({**bench.pipeline_env(ds)}, repeats=repeats)
    tiny["runs"] = runs
    return tiny


# --------------------------------------------------------------------------- results


def load_results(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"scales": []}


def save(results: dict, path: Path) -> None:
    by_scale = {(s["order_lines"], s.get("format", "csv")): s for s in results["scales"]}
    results["scales"] = [by_scale[k] for k in sorted(by_scale)]
    tiny = results.get("tiny") or {}
    for s in results["scales"]:
        s["fixed_overhead_s"] = tiny.get("pipeline_s")
        s["marginal_pipeline_s"] = (
            round(s["pipeline_s"] - s["fixed_overhead_s"], 3) if s.get("fixed_overhead_s") is not None else None
        )
        s["marginal_over_floor"] = ratio(s["marginal_pipeline_s"], s["floor_s"])
        s["targets"] = targets(s)
        s["targets_apply"] = s["order_lines"] == TARGETS_AT
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(results, indent=1, default=str) + "\n")
    tmp.replace(path)


def parse_scales(text: str | None) -> list[int]:
    if not text:
        return list(DEFAULT_SCALES)
    return [int(float(part.replace("_", ""))) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("SCALES"), help="order lines, comma-separated")
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("REPEATS") or 3))
    parser.add_argument("--format", default=os.environ.get("BENCH_FORMAT") or "csv", choices=("csv", "parquet"))
    parser.add_argument("--tiny-lines", type=int, default=int(os.environ.get("BENCH_TINY_LINES") or 2000))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("BENCH_WORK") or ROOT / "bench" / "work"))
    parser.add_argument("--results", type=Path, help="results file (default bench/results/<date>-<machine>.json)")
    parser.add_argument("--no-incremental", action="store_true", help="skip the incremental run")
    parser.add_argument(
        "--baselines",
        default=os.environ.get("BENCH_BASELINES", ",".join(BASELINES)),
        help="baselines to run beside the pipeline (comma-separated; empty: the pipeline alone, e.g. at 100M)",
    )
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        default=os.environ.get("BENCH_WARMUP", "1") == "0",
        help="no untimed check run: check the tiers on the first timed round (saves a run at large scales)",
    )
    parser.add_argument("--no-tiny", action="store_true", help="keep the fixed overhead already in the results file")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the table in docs/performance.md")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    scales = parse_scales(args.scales)
    path = args.results or RESULTS_DIR / f"{datetime.now():%Y-%m-%d}-{machine_name()}.json"
    results = load_results(path)
    results.update(
        {
            "benchmark": "core customers: pipeline vs floor and floor_all (DuckDB scripts) vs pandas",
            "updated_at": datetime.now().isoformat(timespec="seconds"),
            "machine": machine_info(),
            "versions": versions(),
            "method": {
                "wall": "time.perf_counter around the whole process (spawn to exit)",
                "peak_rss": "peak of the sum of VmRSS over the process tree, sampled every 50 ms from /proc",
                "figures": "median of the timed repeats, with min and max; one untimed check run first",
                "pipeline": "python -m pipelines.run from an empty warehouse and publish folder",
                "floor": "python -m bench.contenders floor (bench/baselines/floor.sql, one DuckDB connection)",
                "floor_all": "python -m bench.contenders floor_all (bench/baselines/floor_all.sql: every mart "
                "SQL computes, one DuckDB connection)",
                "pandas": "python -m bench.contenders pandas (bench/baselines/pandas_rules.py)",
                "duckdb_memory_limit": os.environ.get("CCP_DUCKDB_MEMORY_LIMIT")
                or "1GB (pipeline default; the floor keeps DuckDB's own)",
                "duckdb_threads": os.environ.get("CCP_DUCKDB_THREADS") or f"{os.cpu_count()} (cores)",
            },
        }
    )
    baselines = tuple(b for b in (x.strip() for x in args.baselines.split(",")) if b)
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        parser.error(f"unknown baselines {sorted(unknown)}")
    bench = Bench(args.work.resolve(), args.format, args.seed, baselines)
    log(f"results -> {path}; scales {scales}, {args.repeats} repeats, {args.format}, work {bench.work}")
    started = time.perf_counter()
    try:
        if not args.no_tiny or not results.get("tiny"):
            results["tiny"] = measure_tiny(bench, args.tiny_lines, args.repeats)
            save(results, path)
        largest = max(scales)
        for lines in scales:
            scale = measure_scale(
                bench,
                lines,
                args.repeats,
                incremental=not args.no_incremental and lines == largest,
                warmup=not args.no_warmup,
            )
            results["scales"] = [
                s for s in results["scales"] if (s["order_lines"], s.get("format", "csv")) != (lines, args.format)
            ] + [scale]
            save(results, path)
            log(
                f"  {lines:,}: pipeline {scale['pipeline_s']} s, floor {scale['floor_s']} s, "
                f"floor_all {scale['floor_all_s']} s, pandas {scale['pandas_s']} s, "
                f"incremental {scale['incremental_s']}"
            )
    except BenchError as exc:
        if exc.record:
            results.setdefault("failures", []).append(exc.record)
            save(results, path)
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.no_docs and path.exists():
            report.update_docs(path)
    log(f"done in {(time.perf_counter() - started) / 60:.1f} min; results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
