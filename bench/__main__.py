"""`make bench`: every item of issue 6 in one run, one table, the same figures as JSON.

    .venv/bin/python -m bench [--profile quick|long] [--only 1,2,3] [--json PATH]

The profile is ``quick`` (under five minutes on two cores; smaller sizes, said in
the table) unless ``--profile`` or BENCH_PROFILE says ``long`` (the issue's sizes:
1,000,000 events, 1,000,000 customers and 20,000,000 postings; hours on a small
machine). Everything runs on one PostgreSQL: the embedded one in a throwaway
folder, or PUNCHCARD_DATABASE_URL, with ``synchronous_commit`` on. The JSON goes
to ``bench/results/latest.json`` unless ``--json`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench import profiles
from bench.harness import Server, database, postgres_settings
from bench.profiles import Profile
from bench.report import Report

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(profiles.PROFILES),
                        default=os.environ.get("BENCH_PROFILE", "quick"))  # fmt: skip
    parser.add_argument("--only", help="items to run, e.g. 1,2,6 (default: all)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args()
    profile = profiles.PROFILES[args.profile]
    only = {int(n) for n in args.only.split(",")} if args.only else set(range(1, 9))
    report = Report(profile.name)
    report.details["profile"] = profile.as_dict()
    began = time.perf_counter()
    print(f"bench: {profile.name} profile, items {sorted(only)}", flush=True)
    try:
        run(profile, only, report)
    finally:
        report.details["seconds"] = time.perf_counter() - began
        report.write(args.json)
        print()
        print(report.table())
        print(f"\n{profile.name} profile in {report.details['seconds']:.0f} s; JSON: {args.json}")


def run(profile: Profile, only: set[int], report: Report) -> None:
    from bench import items  # noqa: PLC0415 - after the arguments are read

    if 6 in only:
        items.rules(profile, report)
    with database() as url:
        report.details["postgres"] = postgres_settings(url)
        if only & {1, 2}:
            items.baseline(url, profile, report)
        if 4 in only:
            items.contention(url, profile, report)
        if only & {3, 5, 7, 8}:
            with Server(url) as server:
                report.details["api_processes"] = server.processes
                if 3 in only:
                    items.http(url, server, profile, report)
                if only & {5, 8}:
                    items.batch(url, server, profile, report)
                if 7 in only:
                    items.reads(url, server, profile, report)
                if 8 in only:
                    items.api_memory(server, report)


if __name__ == "__main__":
    main()
