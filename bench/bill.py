#!/usr/bin/env python3
"""The monthly bill: a 30-day simulation of the rule evaluated daily, with `publish=changes`
beside `publish=all`. Run as `bench/run.py --bill [options]` (or `scripts/bench --bill`).

For each account size N, the fake (bench/fake_aws.py, recorded "stored") holds an account of N
roles that changes by simulated day (BillAccount: each day from day 2, --change-percent of N
change between used and unused past the 60-day threshold, half each way, --create-percent are
created and --delete-percent deleted; young roles age past the threshold by themselves) and a
Config that stores what it is sent, one store per rule name. Day by day, the release binary runs
once with publish=changes against rule A and once with publish=all against rule B (the order
alternates by day), each a cold run measured as bench/run.py measures one (wall, CPU, peak RSS),
each store carried from day to day; day 1 starts from empty stores, so both send everything.

After every day, what Config holds for rule A must be what it holds for rule B: the same
ComplianceType per resource for COMPLIANT and NON_COMPLIANT results (a NOT_APPLICABLE result
counts as none; the `AWS::::Account` marker of a run with nothing to send is ignored). A
difference fails the benchmark (exit 1, naming the day, the resource and both values), as does a
run that errs, crashes or answers with other counts than the fake served (principals, IAM pages,
`evaluations_sent` against the evaluations the fake received, for `all` one evaluation per role
plus the clean-up).

The function's clock: the account's times are those of the simulated day. With --clock
faketime (the default) the function runs under libfaketime with its clock moved to the day's
moment, so a date IAM reports stays the same date from day to day, as it does in an account;
with --clock shift the fake renders every IAM time moved back by the simulated days gone by,
relative to the real clock (the account ages a day per day: verdicts and ages are those of the
simulated day, but every date the function writes moves back a day each day, so a rule that
states dates in its annotations resends them; use it where libfaketime is not installed).

Per N it prints: evaluations recorded (the fake's count of evaluations received without
TestMode) with changes and with all, on day 1, on days 2..D and in total, their ratio, the
results that changed from one day to the next in rule B's store (what any diff must send at
least), AWS Config's price at its tiers for the D days and for a steady month (30 x the mean of
days 2..D), IAM Access Analyzer's unused-access price for the roles the month saw, and the
median wall, CPU and peak RSS of the changes runs and of the all runs of days 2..D, with day 1
apart. The target (changes <= 5 % of all over the D days) is printed, met or missed, never a
failure. --quick: N = 300, 4 days, --clock shift (the CI smoke test).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import run
from fake_aws import result_token

RULE_CHANGES = "iam-role-last-used-bill-changes"
RULE_ALL = "iam-role-last-used-bill-all"
HELD = ("COMPLIANT", "NON_COMPLIANT")
MARKER_TYPE = "AWS::::Account"
# AWS Config pricing, rule evaluations per account per Region per month: $0.001 for the first
# 100 000, $0.0008 for the next 400 000, $0.0005 beyond.
CONFIG_TIERS = ((100_000, 0.001), (400_000, 0.0008), (math.inf, 0.0005))
# IAM Access Analyzer, unused access analysis: $0.20 per IAM role or user analysed per month.
ACCESS_ANALYZER_PER_PRINCIPAL = 0.20
TARGET_RATIO = 0.05
FAKETIME_LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
)


def config_price(evaluations: float) -> float:
    """AWS Config's charge for `evaluations` rule evaluations in one month and Region."""
    price, left = 0.0, evaluations
    for size, each in CONFIG_TIERS:
        taken = min(left, size)
        price += taken * each
        left -= taken
    return price


def faketime_library(given: str | None) -> Path:
    if given and not Path(given).is_file():
        raise RuntimeError(f"--faketime-lib {given}: no such file")
    candidates = [given] if given else [os.environ.get("BENCH_FAKETIME_LIB"), *FAKETIME_LIBRARIES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeError("--clock faketime needs libfaketime (Debian/Ubuntu: apt-get install "
                       "libfaketime; or --faketime-lib PATH), or run with --clock shift")


def day_event(base: dict, rule: str, mode: str | None, moment: str) -> bytes:
    """events/scheduled.json for `rule` on the simulated day: its name and ResultToken, the day's
    notificationCreationTime and, unless `mode` is None, the rule parameter publish=`mode`."""
    event = dict(base)
    params = json.loads(event["ruleParameters"])
    if mode is not None:
        params["publish"] = mode
    invoking = json.loads(event["invokingEvent"])
    invoking["notificationCreationTime"] = moment.replace("Z", ".000Z")
    event.update(ruleParameters=json.dumps(params, separators=(",", ":")),
                 invokingEvent=json.dumps(invoking, separators=(",", ":")),
                 configRuleName=rule, resultToken=result_token(rule))
    return json.dumps(event).encode()


def checker(mode: str, rule: str, present: int, publish_sent: bool):
    """What is wrong with one day's run of `rule` against `present` roles."""
    def check(summary: dict, stats: dict) -> list[str]:
        if not isinstance(summary, dict):
            return [f"the response is not a summary object: {summary!r}"]
        ops = stats["ops"]
        received = stats["evaluations_by_rule"].get(rule, 0)
        problems = []
        if summary.get("principals") != present:
            problems.append(f"the response says principals={summary.get('principals')}, "
                            f"the fake served {present} roles")
        if publish_sent and summary.get("publish", mode) != mode:
            problems.append(f"the response says publish={summary.get('publish')}, the event said {mode}")
        if "evaluations_sent" in summary and summary["evaluations_sent"] != received:
            problems.append(f"the response says evaluations_sent={summary['evaluations_sent']}, "
                            f"the fake received {received}")
        if set(stats["evaluations_by_rule"]) - {rule}:
            problems.append(f"evaluations for other rules: {stats['evaluations_by_rule']}")
        if stats["evaluations"] != received:
            problems.append(f"{stats['evaluations'] - received} evaluations sent with TestMode")
        iam_pages = ops.get(run.OP_IAM, {}).get("requests", 0)
        if iam_pages != math.ceil(present / run.IAM_PAGE_SIZE):
            problems.append(f"{iam_pages} IAM pages read, the account has "
                            f"{math.ceil(present / run.IAM_PAGE_SIZE)}")
        if mode == "all" and received != present + summary.get("stale_cleaned", 0):
            problems.append(f"publish=all sent {received} evaluations for {present} roles and "
                            f"{summary.get('stale_cleaned')} cleaned up")
        if received < 1:
            problems.append("no evaluation sent: Config would not know that the rule ran")
        errors = {op: v["errors"] for op, v in ops.items() if v.get("errors")}
        if errors:
            problems.append(f"the fake answered with errors: {errors}")
        return problems
    return check


def compliance(held: dict) -> dict[str, str]:
    """ResourceId -> COMPLIANT or NON_COMPLIANT, for the results that count (see the module)."""
    return {rid: value[1] for rid, value in held.items()
            if value[0] != MARKER_TYPE and value[1] in HELD}


def differences(a: dict[str, str], b: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(rid, a.get(rid, "absent"), b.get(rid, "absent"))
            for rid in sorted(set(a) | set(b)) if a.get(rid) != b.get(rid)]


def changed_results(before: dict, after: dict) -> int:
    """Resources whose (ComplianceType, Annotation) in the store differ between two days,
    the account marker aside: what a diff must send at least."""
    changed = 0
    for rid in set(before) | set(after):
        old, new = before.get(rid), after.get(rid)
        if MARKER_TYPE in (old or [None])[:1] + (new or [None])[:1]:
            continue
        changed += (old[1:] if old else None) != (new[1:] if new else None)
    return changed


def simulate(args, binary: Path, runtime: run.RuntimeApi, fake: run.Fake, env: dict,
             base_event: dict, roles: int, logs: Path, faketime: Path | None) -> dict:
    """The D days of one account size; returns every run and the per-day figures."""
    rules = {"changes": RULE_CHANGES, "all": RULE_ALL}
    bill = {"rules": list(rules.values()), "days": args.days, "seed": args.seed,
            "change_percent": args.change_percent, "create_percent": args.create_percent,
            "delete_percent": args.delete_percent, "clock": args.clock}
    if args.fault_drop_day:
        bill["drop"] = {"rule": RULE_CHANGES, "day": args.fault_drop_day}
    setup = fake.configure_bill(roles, args.latency_ms, bill)
    print(f"bench: bill N={roles}: account rendered in {setup['render_seconds']}s; per day from "
          f"day 2: {setup['per_day']}", file=sys.stderr, flush=True)
    days: list[dict] = []
    previous_b: dict = {}
    for day in range(1, args.days + 1):
        info = fake.day(day) if day > 1 else setup
        present = info["roles_present"]
        moment = info["day_moment"]
        record = {"day": day, "events": info["day_events"], "roles": present, "runs": {}}
        order = ["changes", "all"] if day % 2 else ["all", "changes"]
        for mode in order:
            rule = rules[mode]
            event = day_event(base_event, rule, None if args.no_publish_parameter else mode, moment)
            run_env = {**env, "LAMBDA_TASK_ROOT": str(binary.parent)}
            offset = 0.0
            if faketime is not None:
                offset = datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp() - time.time()
                run_env.update(LD_PRELOAD=str(faketime), FAKETIME=f"{offset:+.3f}",
                               FAKETIME_DONT_FAKE_MONOTONIC="1")
            fake.reset()
            result = run.run_once(
                binary, runtime, fake, run_env, event, present, args.latency_ms, "stored", 0,
                logs / f"bill-N{roles}-day{day:02d}-{mode}.log", setup=setup,
                checker=checker(mode, rule, present, not args.no_publish_parameter),
                clock_offset_s=offset)
            result["evaluations"] = fake.stats()["evaluations_by_rule"].get(rule, 0)
            record["runs"][mode] = result
        held_a, held_b = fake.stored(RULE_CHANGES), fake.stored(RULE_ALL)
        if held_a["dropped"] and day == args.fault_drop_day:  # the store's, whichever rule
            print(f"bench: fault injected on day {day}: the fake did not store "
                  f"{held_a['dropped']}", file=sys.stderr, flush=True)
        diff = differences(compliance(held_a["held"]), compliance(held_b["held"]))
        if diff:
            shown = "; ".join(f"{rid}: {a} (publish=changes) vs {b} (publish=all)" for rid, a, b in diff[:5])
            more = f" and {len(diff) - 5} more" if len(diff) > 5 else ""
            raise RuntimeError(f"N={roles}, day {day}: what Config holds differs between "
                               f"publish=changes ({RULE_CHANGES}) and publish=all ({RULE_ALL}) "
                               f"for {len(diff)} resource{'' if len(diff) == 1 else 's'}: "
                               f"{shown}{more}")
        record["changed_results"] = changed_results(previous_b, held_b["held"])
        record["held"] = len(compliance(held_b["held"]))
        previous_b = held_b["held"]
        runs = record["runs"]
        print(f"bench: bill N={roles} day {day}/{args.days}: {present} roles, events "
              f"{ {k: v for k, v in info['day_events'].items() if k not in ('day', 'roles')} }; "
              f"evaluations changes {runs['changes']['evaluations']} / all {runs['all']['evaluations']}; "
              f"results changed {record['changed_results']}; wall "
              f"{runs['changes']['wall_ms']:.0f} / {runs['all']['wall_ms']:.0f} ms, CPU "
              f"{runs['changes']['cpu_ms']:.0f} / {runs['all']['cpu_ms']:.0f} ms",
              file=sys.stderr, flush=True)
        days.append(record)
    return {"roles": roles, "setup": setup, "days": days}


def med(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs) if runs else float("nan")


def figures(result: dict) -> dict:
    days = result["days"]
    later = days[1:]
    per_mode = {}
    for mode in ("changes", "all"):
        first = days[0]["runs"][mode]["evaluations"]
        rest = sum(d["runs"][mode]["evaluations"] for d in later)
        per_mode[mode] = {
            "day1": first, "later": rest, "total": first + rest,
            "steady_daily": rest / len(later) if later else float("nan"),
            "day1_run": days[0]["runs"][mode],
            "steady_runs": [d["runs"][mode] for d in later],
        }
    seen = result["roles"] + sum(d["events"].get("created", 0) for d in days)
    return {"roles": result["roles"], "days": len(days), "modes": per_mode, "roles_seen": seen,
            "changed_results": sum(d["changed_results"] for d in later),
            "events": {k: sum(d["events"].get(k, 0) for d in later)
                       for k in ("newly_unused", "used_again", "created", "deleted",
                                 "aged_past_threshold")}}


def fmt_int(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def money(x: float) -> str:
    return f"${x:,.2f}"


def report(results: list[dict], args, header: str) -> str:
    lines = [header, ""]
    lines += ["| N roles | days | evaluations with changes: day 1 / days 2..D / total | with all: day 1 / "
              "days 2..D / total | changes / all (days 2..D) | results changed, days 2..D |",
              "|---:|---:|---|---|---:|---:|"]
    rows = [figures(r) for r in results]
    for f in rows:
        c, a = f["modes"]["changes"], f["modes"]["all"]
        lines.append(f"| {fmt_int(f['roles'])} | {f['days']} | {fmt_int(c['day1'])} / {fmt_int(c['later'])} / "
                     f"{fmt_int(c['total'])} | {fmt_int(a['day1'])} / {fmt_int(a['later'])} / "
                     f"{fmt_int(a['total'])} | {c['total'] / a['total']:.1%} "
                     f"({c['later'] / max(a['later'], 1):.1%}) | {fmt_int(f['changed_results'])} |")
    lines += ["", "Monthly bill for one rule in one account and Region (Config: the D days as "
              "simulated, day 1 included, and a steady month, 30 x the mean of days 2..D; Access "
              "Analyzer: every role the D days saw):", "",
              "| N roles | Config, changes: D days / steady month | Config, all: D days / steady month "
              "| IAM Access Analyzer (unused access) |", "|---:|---:|---:|---:|"]
    for f in rows:
        c, a = f["modes"]["changes"], f["modes"]["all"]
        lines.append(f"| {fmt_int(f['roles'])} | {money(config_price(c['total']))} / "
                     f"{money(config_price(30 * c['steady_daily']))} | {money(config_price(a['total']))} / "
                     f"{money(config_price(30 * a['steady_daily']))} | "
                     f"{money(ACCESS_ANALYZER_PER_PRINCIPAL * f['roles_seen'])} "
                     f"({fmt_int(f['roles_seen'])} roles) |")
    lines += ["", f"Runs (median of days 2..D; day 1, empty stores, apart), L = {args.latency_ms:g} ms:", "",
              "| N roles | publish | wall ms: days 2..D / day 1 | CPU user+sys ms: days 2..D / day 1 "
              "| peak RSS MiB: days 2..D / day 1 | requests IAM / results read / PutEvaluations (median) |",
              "|---:|---|---:|---:|---:|:---:|"]
    for f in rows:
        for mode in ("changes", "all"):
            m = f["modes"][mode]
            steady, first = m["steady_runs"], m["day1_run"]
            req = lambda op: statistics.median(r["requests"].get(op, 0) for r in steady) if steady else 0  # noqa: E731
            lines.append(f"| {fmt_int(f['roles'])} | {mode} | {med(steady, 'wall_ms'):.0f} / {first['wall_ms']:.0f} | "
                         f"{med(steady, 'cpu_ms'):.0f} / {first['cpu_ms']:.0f} | "
                         f"{med(steady, 'peak_rss_mib'):.1f} / {first['peak_rss_mib']:.1f} | "
                         f"{req(run.OP_IAM):g} / {req(run.OP_READ):g} / {req(run.OP_PUT):g} |")
    lines += ["", "Changes simulated on days 2..D (from day 2, per day: "
              f"{args.change_percent:g} % of N between used and unused, {args.create_percent:g} % created, "
              f"{args.delete_percent:g} % deleted; seed {args.seed}; clock {args.clock}):", ""]
    for f in rows:
        e = f["events"]
        lines.append(f"- N = {fmt_int(f['roles'])}: {e['newly_unused']} newly unused past the threshold, "
                     f"{e['used_again']} used again, {e['created']} created, {e['deleted']} deleted, "
                     f"{e['aged_past_threshold']} young roles aged past the threshold")
    lines += ["", "| target | measured |", "|---|---|"]
    for f in rows:
        c, a = f["modes"]["changes"], f["modes"]["all"]
        ratio = c["total"] / a["total"]
        lines.append(f"| N = {fmt_int(f['roles'])}: evaluations with changes <= {TARGET_RATIO:.0%} of all "
                     f"over {f['days']} days, same compliance every day | {ratio:.1%}, compliance identical "
                     f"every day: {'met' if ratio <= TARGET_RATIO else 'missed'} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/run.py --bill", description="The 30-day bill simulation.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: N = 300, 4 days, --clock shift")
    parser.add_argument("--roles", type=run.int_list, default=[1000, 5000, 10000],
                        help="account sizes, comma-separated (default 1000,5000,10000)")
    parser.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    parser.add_argument("--change-percent", type=float, default=1.0,
                        help="%% of N changing between used and unused each day (default 1)")
    parser.add_argument("--create-percent", type=float, default=0.5,
                        help="%% of N created each day (default 0.5)")
    parser.add_argument("--delete-percent", type=float, default=0.5,
                        help="%% of N deleted each day (default 0.5)")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="injected latency per request (default 0)")
    parser.add_argument("--clock", choices=["faketime", "shift"], default=None,
                        help="how the function sees the simulated day (default faketime; "
                             "shift with --quick)")
    parser.add_argument("--faketime-lib", help="libfaketimeMT.so.1 (default: found in the usual places "
                                               "or $BENCH_FAKETIME_LIB)")
    parser.add_argument("--no-publish-parameter", action="store_true",
                        help="send no publish parameter (a build without it: both runs send all)")
    parser.add_argument("--fault-drop-day", type=int, default=0,
                        help="fault for the benchmark's own test: on this day the fake silently does "
                             "not store one COMPLIANT or NON_COMPLIANT evaluation of rule A")
    parser.add_argument("--binary", help="the function binary (default: $BENCH_BINARY, else cargo build --release)")
    parser.add_argument("--template", default=str(run.REPO / "template.yaml"))
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--event", default=str(run.REPO / "events" / "scheduled.json"))
    parser.add_argument("--json", help="write every run's measurements to this file")
    parser.add_argument("--logs", help="keep the function's logs in this directory")
    args = parser.parse_args(argv)
    if args.quick:
        args.roles, args.days = [300], 4
        args.clock = args.clock or "shift"
    args.clock = args.clock or "faketime"
    if args.days < 2:
        parser.error("--days must be at least 2 (day 1 starts from empty stores)")
    faketime = faketime_library(args.faketime_lib) if args.clock == "faketime" else None
    spec = args.binary or os.environ.get("BENCH_BINARY")
    binary = Path(spec).resolve() if spec else run.build_binary()
    if not binary.is_file():
        print(f"bench: no binary at {binary}", file=sys.stderr)
        return 2
    function_env = {**run.template_environment(Path(args.template), run.FUNCTION_ID),
                    **dict(item.split("=", 1) for item in args.env)}
    base_event = json.loads(Path(args.event).read_text())
    load_before = run.loadavg()
    fake = run.Fake()
    runtime = run.RuntimeApi()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="bench-bill-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    env = run.lambda_environment(runtime, fake, function_env)
    started = time.monotonic()
    results = []
    try:
        for roles in args.roles:
            results.append(simulate(args, binary, runtime, fake, env, base_event, roles, logs, faketime))
    finally:
        fake.stop()
        runtime.shutdown()
    header = (f"iam-role-last-used monthly bill: {binary}\nmachine: {run.machine()}; load average before "
              f"{load_before}, after {run.loadavg()}; "
              f"{sum(2 * len(r['days']) for r in results)} cold runs in {time.monotonic() - started:.0f}s; "
              f"clock {args.clock}; publish parameter "
              f"{'not sent (both runs send all)' if args.no_publish_parameter else 'changes / all'}; "
              "function environment: " + " ".join(f"{k}={v}" for k, v in function_env.items()))
    print(report(results, args, header))
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "results": results}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, OSError) as failure:
        print(f"bench: FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
