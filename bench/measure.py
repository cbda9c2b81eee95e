"""Wall time and peak memory of one command, measured from outside its process.

Peak memory is the peak of the *sum* of VmRSS over the whole process tree (the command
and every descendant alive at that moment, e.g. the dbt subprocesses the pipeline
starts), sampled every `interval` seconds from /proc. `/usr/bin/time -v` is not used:
its "Maximum resident set size" is the largest single process (getrusage's ru_maxrss),
not the tree, so it under-reports a Python process and its dbt child running side by
side. That figure is kept too, as `max_single_rss_mib`, from the same wait4 call.

A sum of RSS counts pages shared between processes (libraries, a forked parent's pages)
once per process, so it is an upper bound of what the tree really holds.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measurement:
    wall_s: float
    peak_rss_mib: float  # peak of the sum over the process tree
    max_single_rss_mib: float  # largest single process (ru_maxrss of wait4)
    user_cpu_s: float  # CPU of the command and its waited-for descendants
    system_cpu_s: float
    max_processes: int  # most processes alive in the tree at one sample
    samples: int
    exit_code: int
    load_before: float  # 1-minute load average of the machine when it started
    load_after: float
    peak_dir_mib: float | None = None  # peak size of watch_dir (DuckDB's spill folder)

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids.extend(int(x) for x in fh.read().split())
        except OSError:
            continue
    return kids


def _rss_kib(pid: int) -> int:
    # /proc/<pid>/statm is cheaper to read than status; its second field is resident pages.
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_kib(root: int) -> tuple[int, int]:
    """(sum of RSS in KiB, number of processes) of root and all its descendants."""
    total, count, todo, seen = 0, 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        rss = _rss_kib(pid)
        if rss:
            total += rss
            count += 1
        todo.extend(_children(pid))
    return total, count


def dir_bytes(folder: Path) -> int:
    total = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
                    elif entry.is_dir(follow_symlinks=False):
                        total += dir_bytes(Path(entry.path))
                except OSError:
                    continue
    except OSError:
        pass
    return total


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    log: Path | None = None,
    interval: float = 0.05,
    watch_dir: Path | None = None,
) -> Measurement:
    """Run `command` to its end; its stdout and stderr go to `log` (or are discarded).
    With `watch_dir`, the peak size on disk of that folder is recorded too (every 10th
    sample), e.g. DuckDB's temp directory, to see whether a run spilled."""
    load_before = _load()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(command), env=dict(env) if env else None, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
        peak, most, samples, peak_dir = 0, 0, 0, 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, count = tree_rss_kib(proc.pid)
            peak, most, samples = max(peak, rss), max(most, count), samples + 1
            if watch_dir is not None and samples % 10 == 1:
                peak_dir = max(peak_dir, dir_bytes(watch_dir))
            time.sleep(interval)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
    finally:
        if log:
            out.close()
    return Measurement(
        wall_s=wall,
        peak_rss_mib=peak / 1024,
        max_single_rss_mib=usage.ru_maxrss / 1024,
        user_cpu_s=usage.ru_utime,
        system_cpu_s=usage.ru_stime,
        max_processes=most,
        samples=samples,
        exit_code=proc.returncode,
        load_before=load_before,
        load_after=_load(),
        peak_dir_mib=peak_dir / 2**20 if watch_dir is not None else None,
    )
