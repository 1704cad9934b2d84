"""The model's speed on the CPU with 1 thread, 2 threads, torch's default and propmine's own choice.

    .venv/bin/python benchmarks/threads.py [--passages 4] [--repeat 1] [--only SETTING] [--paper PDF]

Each setting runs in a fresh process (torch's thread pool and OpenMP's wait policy are set once
per process): it loads the model, parses the sample paper and times the model on its first N
candidate passages. Settings: PROPMINE_THREADS=1, 2, 0 (torch's default), 2 with
OMP_WAIT_POLICY=PASSIVE (OpenMP threads sleep rather than spin while they wait for each other),
and unset (propmine's choice from the free physical cores, with the passive policy the CLI sets).
The load average before each run is printed beside it: on a shared machine the figures mean
little without it. Settings run in turn, `--repeat` times, so a change of load hits all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# name: (PROPMINE_THREADS, extra environment)
SETTINGS: dict[str, tuple[str | None, dict[str, str]]] = {
    "1 thread": ("1", {}),
    "2 threads": ("2", {}),
    "2 threads, passive": ("2", {"OMP_WAIT_POLICY": "PASSIVE"}),  # OpenMP threads sleep instead of spinning
    "torch default": ("0", {}),
    "propmine's choice": (None, {"OMP_WAIT_POLICY": "PASSIVE"}),  # as `propmine` sets it (prefer_passive_openmp)
}

CHILD = """
import json, os, sys, time
sys.path.insert(0, {repo!r})
from extractors.documents.papers import open_paper, parse_document
from extractors.documents.passages import is_candidate, make_passages
from extractors.records.llm import LLMExtractor
from schemas.options import ExtractionOptions
import torch

load = os.getloadavg()[0]
extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm"))
doc = parse_document(open_paper({paper!r}))
candidates = [p for p in make_passages(doc) if is_candidate(p, None)][:{passages}]
clock = time.perf_counter()
extractor.propose(candidates)
print(json.dumps({{"threads": torch.get_num_threads(), "passages": len(candidates),
                   "seconds": time.perf_counter() - clock, "load": load}}))
"""


def run(setting: str | None, extra: dict[str, str], paper: Path, passages: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PROPMINE_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env.update(extra)
    if setting is not None:
        env["PROPMINE_THREADS"] = setting
    code = CHILD.format(repo=str(REPO), paper=str(paper), passages=passages)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"run with PROPMINE_THREADS={setting} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=4, help="candidate passages through the model per run")
    parser.add_argument("--repeat", type=int, default=1, help="rounds over the settings")
    parser.add_argument("--paper", type=Path, default=REPO / "data" / "samples" / "sample_paper.pdf")
    parser.add_argument("--only", action="append", choices=list(SETTINGS), help="only these settings (repeatable)")
    args = parser.parse_args()
    print(f"{args.paper.name}, {args.passages} candidate passages per run, {os.cpu_count()} CPUs")
    print(f"{'setting':<20} {'threads':>7} {'load before':>11} {'seconds':>8} {'s/passage':>9}")  # load: 1-min average
    results: dict[str, list[float]] = {name: [] for name in SETTINGS if not args.only or name in args.only}
    clock = time.perf_counter()
    for _ in range(args.repeat):
        for name, (setting, extra) in SETTINGS.items():
            if args.only and name not in args.only:
                continue
            got = run(setting, extra, args.paper, args.passages)
            results[name].append(got["seconds"])
            print(
                f"{name:<20} {got['threads']:>7} {got['load']:>11.2f} {got['seconds']:>8.1f} "
                f"{got['seconds'] / max(1, got['passages']):>9.2f}",
                flush=True,
            )
    if args.repeat > 1:
        print("median seconds: " + ", ".join(f"{n} {sorted(v)[len(v) // 2]:.1f}" for n, v in results.items()))
    print(f"total {time.perf_counter() - clock:.0f} s")


if __name__ == "__main__":
    main()
