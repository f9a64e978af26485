"""Command line of dev/soak: one step per call (so dev/soak takes the stack lock per step).

  python -m bench.soak fault COMPONENT --json FILE [--clients 4 --before 10 --outage 20 --after 30]
  python -m bench.soak load --json FILE [--clients 64 --duration 300 --warmup 30]
  python -m bench.soak log-size                 bytes of Apache's access log now
  python -m bench.soak log-count OFFSET         requests Apache logged since OFFSET
  python -m bench.soak summary DIR              the table of everything in DIR

Run as root with the dev stack up and `eval "$(dev/stack env)"`, from the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench import faults, loadgen


def _access_log() -> Path:
    return faults.state_dir() / "log" / "apache-access.log"


def cmd_fault(args: argparse.Namespace) -> int:
    """Run one fault and write its report."""
    report = faults.run_fault(args.component, clients=args.clients, before=args.before,
                              outage=args.outage, after=args.after, log=Path(args.log))
    print(faults.format_report(report), flush=True)
    Path(args.json).write_text(json.dumps(report.as_dict(), indent=1), encoding="utf-8")
    return 0 if report.ok else 1


def cmd_load(args: argparse.Namespace) -> int:
    """Run the load test and write its report."""
    paths = loadgen.stack_paths()
    cfg = loadgen.LoadConfig(url=paths["url"], ca=paths["ca"], keytabs=paths["keytabs"],
                             clients=args.clients, duration=args.duration, cancel_after=15.0)
    report = loadgen.load_test(cfg, str(faults.state_dir()), warmup=args.warmup)
    data = report.as_dict()
    data["same_workers"] = report.same_workers
    data["ok"] = load_ok(report)
    print(format_load(data), flush=True)
    Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0 if data["ok"] else 1


def load_ok(report: loadgen.LoadReport, max_growth_pct: float = 10.0) -> bool:
    """No error at all, Slurm's side right, memory growth under ``max_growth_pct`` (10 %).

    An attempt whose keep-alive connection was closed without any answer, and that succeeded
    when sent again, is reported (dropped and resent) but is not an error: every HTTP client
    resends an idempotent request then."""
    f = report.figures
    answered = f.successes + f.dropped_resent + f.throttled
    return (answered == f.requests and f.requests > 0 and report.jobs.ok
            and report.same_workers and report.rss_growth_pct < max_growth_pct)


def format_load(data: dict[str, Any]) -> str:
    """A few lines for people."""
    f, j = data["figures"], data["jobs"]
    lines = [
        f"load: {data['clients']} clients x {data['duration']:.0f} s -> "
        f"{'OK' if data['ok'] else 'FAILED'}",
        f"  requests {f['requests']}, ok {f['successes']}, throughput {f['throughput']:.1f}/s, "
        f"p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, max {f['max_latency_ms']:.0f} ms",
        f"  errors: {_fmt(f['named_errors'])}; 500s {f['server_500']}; unnamed "
        f"{len(f['unnamed'])}; hangs {f['hangs']}; 429 and sent again {f['throttled']}",
    ]
    for op, fig in data["by_op"].items():
        lines.append(f"  {op:<8} {fig['requests']:>6} requests, p50 {fig['p50_ms']:.0f} ms, "
                     f"p99 {fig['p99_ms']:.0f} ms, max {fig['max_ms']:.0f} ms")
    start, end = sum(data["rss_kib_start"].values()), sum(data["rss_kib_end"].values())
    samples = data.get("rss_samples_kib") or [start, end]
    lines += [
        f"  jobs: accepted {j['accepted']}, duplicates {j['duplicates']}, lost {len(j['lost'])}, "
        f"missing in accounting {len(j['not_in_accounting'])}, orphans {len(j['orphans'])}",
        f"  gunicorn workers RSS {start} KiB -> {end} KiB, {len(samples)} samples from "
        f"{min(samples)} to {max(samples)} KiB; growth "
        f"{'along their fitted line' if len(samples) >= 8 else 'from first to last'}: "
        f"{data['rss_growth_pct']:+.1f} %"
        + ("" if data["same_workers"] else " (workers were replaced: not comparable)"),
    ]
    return "\n".join(lines)


def _pytest_row(out: Path, name: str) -> tuple[str, dict[str, Any], dict[str, Any], str, str, bool]:
    """The table row of a pytest step: requests and 5xx as Apache logged them, plus for the
    fuzzing the named errors the test itself counted (its HPCAPI_FUZZ_REPORT). The attacks'
    answers are mostly refusals by design: each test checks its own, so they are not counted."""
    rc, logged, server_errors = (int(x) for x in (out / f"{name}.logged").read_text().split())
    named: dict[str, int] = {}
    successes = None
    report = out / f"{name}.json"
    if report.exists():
        named = json.loads(report.read_text())["named_errors"]
        successes = logged - sum(named.values())
    # Apache's 5xx in these steps are answers to requests, never a 500 from hpcapi: the tests
    # themselves fail on any 500, and on any 5xx not named by the backend.
    figures: dict[str, Any] = {"requests": logged, "successes": successes,
               "named_errors": named, "server_500": server_errors, "unnamed": [], "hangs": 0}
    jobs: dict[str, Any] = {"duplicates": 0, "lost": []}
    return name, figures, jobs, "-", "-", rc == 0 and server_errors == 0


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} x{n}" for label, n in counts.items()) or "none"


def cmd_log_size(_: argparse.Namespace) -> int:
    """Print the size of Apache's access log."""
    log = _access_log()
    print(log.stat().st_size if log.exists() else 0)
    return 0


def cmd_log_count(args: argparse.Namespace) -> int:
    """Print how many requests Apache logged since the offset, and how many were 5xx."""
    total = server_errors = 0
    with _access_log().open("rb") as handle:
        handle.seek(args.offset)
        for line in handle:
            total += 1
            # LogFormat "%h %u \"%r\" %>s %B %Dus": the status follows the quoted request
            fields = line.rsplit(b'"', 1)[-1].split()
            if fields and fields[0].startswith(b"5"):
                server_errors += 1
    print(f"{total} {server_errors}")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """The table: per fault, the load, the attacks and the fuzzing, then totals."""
    out = Path(args.dir)
    rows = []
    totals = {"requests": 0, "500": 0, "unnamed": 0, "hangs": 0, "duplicates": 0, "lost": 0}
    named: dict[str, int] = {}
    failed = []
    print("\n== dev/soak summary")
    print(f"{'step':<17}{'requests':>9}{'ok':>7}{'named err':>10}{'500':>5}{'unnamed':>8}"
          f"{'hangs':>6}{'dup':>5}{'lost':>5}{'back s':>8}{'recov s':>8}  result")
    for path in sorted(out.glob("fault-*.json"), key=lambda p: p.stat().st_mtime):
        data = json.loads(path.read_text())
        f, j = data["figures"], data["jobs"]
        rows.append((data["component"], f, j, f"{data['outage_s']:.1f}",
                     f"{data['recovery_s']:.2f}", data["ok"]))
    load = out / "load.json"
    if load.exists():
        data = json.loads(load.read_text())
        rows.append((f"load x{data['clients']}", data["figures"], data["jobs"], "-", "-",
                     data["ok"]))
    rows += [_pytest_row(out, name) for name in ("attacks", "fuzz")
             if (out / f"{name}.logged").exists()]
    for name, f, j, back, recovery, ok in rows:
        errors = sum(n for label, n in f["named_errors"].items() if not label.startswith("500"))
        known = f["successes"] is not None  # an attack's refusals are its test's business
        print(f"{name:<17}{f['requests']:>9}{f['successes'] if known else '-':>7}"
              f"{errors if known else '-':>10}{f['server_500']:>5}"
              f"{len(f['unnamed']):>8}{f['hangs']:>6}{j['duplicates']:>5}{len(j['lost']):>5}"
              f"{back:>8}{recovery:>8}  {'ok' if ok else 'FAILED'}")
        totals["requests"] += f["requests"]
        totals["500"] += f["server_500"]
        totals["unnamed"] += len(f["unnamed"])
        totals["hangs"] += f["hangs"]
        totals["duplicates"] += j["duplicates"]
        totals["lost"] += len(j["lost"])
        for label, n in f["named_errors"].items():
            named[label] = named.get(label, 0) + n
        if not ok:
            failed.append(name)
    print(f"{'total':<17}{totals['requests']:>9}{'':>7}{sum(named.values()):>10}"
          f"{totals['500']:>5}{totals['unnamed']:>8}{totals['hangs']:>6}"
          f"{totals['duplicates']:>5}{totals['lost']:>5}")
    print(f"named errors by code: {_fmt(dict(sorted(named.items())))}")
    if load.exists():
        data = json.loads(load.read_text())
        f = data["figures"]
        print(f"load: p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms, "
              f"{f['throughput']:.1f} requests/s, workers' memory "
              f"{data['rss_growth_pct']:+.1f} %")
    fuzz = out / "fuzz.json"
    if fuzz.exists():
        data = json.loads(fuzz.read_text())
        print(f"fuzz: {data['requests']} requests checked by the test, "
              f"{data['accepted_submissions']} submissions accepted (each exactly its one held "
              f"job), {data['refused_submissions']} refused (no job), {data['server_errors']} 5xx")
    for name in ("attacks", "fuzz"):
        text = out / f"{name}.summary"
        if text.exists():
            print(text.read_text().rstrip())
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one step."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    sub = parser.add_subparsers(dest="command", required=True)
    fault = sub.add_parser("fault")
    fault.add_argument("component", choices=faults.COMPONENTS)
    fault.add_argument("--json", required=True)
    fault.add_argument("--clients", type=int, default=4)
    fault.add_argument("--before", type=float, default=10.0)
    fault.add_argument("--outage", type=float, default=20.0)
    fault.add_argument("--after", type=float, default=30.0)
    fault.add_argument("--log", default=f"/tmp/hpcapi-soak-stack-{os.getpid()}.log")
    fault.set_defaults(run=cmd_fault)
    load = sub.add_parser("load")
    load.add_argument("--json", required=True)
    load.add_argument("--clients", type=int, default=64)
    load.add_argument("--duration", type=float, default=300.0)
    load.add_argument("--warmup", type=float, default=30.0)
    load.set_defaults(run=cmd_load)
    sub.add_parser("log-size").set_defaults(run=cmd_log_size)
    count = sub.add_parser("log-count")
    count.add_argument("offset", type=int)
    count.set_defaults(run=cmd_log_count)
    summary = sub.add_parser("summary")
    summary.add_argument("dir")
    summary.set_defaults(run=cmd_summary)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
