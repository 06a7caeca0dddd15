#!/usr/bin/env python3
"""Benchmark of the Lambda function: the real release binary, cold, against a fast fake of IAM
and Config (bench/fake_aws.py) with an injected per-request latency L. Standard library only.

For every account size N and latency L, R times, a fresh process of the binary is started
(a cold start) under a minimal Lambda Runtime API served here (GET .../invocation/next hands
out events/scheduled.json once, POST .../response or .../error ends the run), with
AWS_ENDPOINT_URL pointing at the fake, dummy credentials, what Lambda sets for a 128 MB
function, and the function's Environment Variables as template.yaml deploys them (--env adds
or overrides). A run that is wrong fails the benchmark (exit 1): an error response, a crash, a
response that is not the summary, or evaluation counts other than the fake's account needs
(one per role, plus one per recorded result of a role that is gone). Targets missed are
printed, never a failure: they depend on the machine's load. Per run it measures:

  cold start  process spawn -> its first GET /runtime/invocation/next
  wall        event handed out -> response (or error) posted
  floor       (max(IAM reads, clean-up reads) + ceil(PutEvaluations calls / C)) x L: the
              function reads IAM and the rule's results at the same time, so the longer of the
              two (ceil(N/250) IAM pages, or the clean-up pages), then ceil(ceil(N/100)/C)
              rounds of PutEvaluations; C is the most
              PutEvaluations the fake saw in flight at once (C_obs), and separately the
              function's configured concurrency (C_cfg: --concurrency, else
              PUT_EVALUATIONS_CONCURRENCY in the function's environment, else not shown)
  CPU         user + sys of the whole process (all threads), from wait4() after SIGKILL, taken
              right after the response (the process is then blocked on the next /next, idle)
  peak RSS    VmHWM from /proc/PID/status, read right after the response, before the kill
  requests    per operation, bytes the client received (headers included), PutEvaluations in
              flight at most, as counted by the fake

and once: the size of the binary and of `bootstrap` zipped (deflate level 9, as `zip -9`).

--kind users runs the same binary with RULE_KIND=users (the environment of the template's
function whose RULE_KIND is users, else RuleFunction's with RULE_KIND=users) against an account
of N users (--users, default 1000,5000) in the fake: a credential report (GenerateCredentialReport
COMPLETE at once, or with --report started STARTED first), GetAccountAuthorizationDetails
Filter=User; the event's ruleParameters are the users rule's (fake_aws.USERS_RULE_PARAMETERS). A
users run is wrong unless the summary says rule_kind users, principals N, not_judged 0 and the
report's GeneratedTime, and the fake saw 1 (or 2) GenerateCredentialReport, 1 GetCredentialReport,
ceil(N/250) IAM pages, N (+ stale) evaluations in ceil(/100) PutEvaluations, no per-user call and
no error answer. Beside it, bench/per_user_pattern.py (boto3) makes the per-user calls of the RDK
sample rule IAM_USER_USED_LAST_90_DAYS against the same account at L = 0 (--pattern-reps per N),
and a table puts requests, CPU, wall time and peak RSS side by side with ratios. --quick runs
1 000 roles and 1 000 users (report STARTED first), L = 0 and 50 ms, and one pattern run.

--bill runs the 30-day bill simulation instead (bench/bill.py, with its own options: see
`bench/run.py --bill --help`): the binary run daily with publish=changes beside publish=all
against an account that changes by day and a Config that stores, checked to hold the same
compliance every day, with the evaluations recorded, Config's price and Access Analyzer's.

Usage: bench/run.py [--quick] [--kind roles|users|all] [--reps R] [--roles 1000,5000,10000]
                    [--users 1000,5000] [--report complete|started] [--pattern-reps P]
                    [--latency-ms 0,50]
                    [--binary [LABEL=]PATH ... | BENCH_BINARY=PATH] [--env KEY=VALUE ...]
                    [--recorded none|all [--stale K]] [--template FILE] [--json FILE]
                    [--logs DIR]
Without --binary it builds `cargo build --release --locked --bin iam-role-last-used` (under
nice -n 10) and measures that; BENCH_BINARY=.aws-sam/build/RuleFunction/bootstrap measures the
sam-built one; BENCH_RUNNER=scripts/qemu-arm64 runs an arm64 binary under qemu (the
counts and the failures --quick checks hold; the times are the emulator's). Several --binary options compare builds (e.g. release profiles): their runs are
interleaved, and a comparison table follows the per-binary tables.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from fake_aws import USERS_MAX_DAYS, USERS_RULE_PARAMETERS  # noqa: E402
FUNCTION_NAME = "iam-role-last-used"
FUNCTION_ID = "RuleFunction"  # the function's logical id in template.yaml
FUNCTION_TIMEOUT_MS = 300_000  # template.yaml: Timeout 300
RUN_TIMEOUT_S = 180
CLK_TCK = os.sysconf("SC_CLK_TCK")
OP_IAM = "iam:GetAccountAuthorizationDetails"
OP_PUT = "config:PutEvaluations"
# Principals the function asks IAM for per page (src/aws/iam.rs PAGE_SIZE).
IAM_PAGE_SIZE = 250
OP_READ = "config:GetComplianceDetailsByConfigRule"
OP_GENERATE = "iam:GenerateCredentialReport"
OP_REPORT = "iam:GetCredentialReport"
OP_LIST_USERS = "iam:ListUsers"
OP_LIST_KEYS = "iam:ListAccessKeys"
OP_KEY_LAST_USED = "iam:GetAccessKeyLastUsed"
PER_USER_OPS = (OP_LIST_USERS, OP_LIST_KEYS, OP_KEY_LAST_USED)

TARGETS = {
    "ratio_at_5000_50": 1.3,
    "rss_mib_at_10000": 48.0,
    "cold_start_ms": 20.0,
    "zipped_mb": 8.0,
}


# ---- the Lambda Runtime API -----------------------------------------------------------------

@dataclass
class Invocation:
    """One cold run: one event handed out, one outcome posted."""

    event: bytes
    request_id: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    handed_out: bool = False
    next_calls: int = 0
    first_next: float | None = None
    delivered_at: float | None = None
    done_at: float | None = None
    outcome: str | None = None  # response | error | init-error
    body: bytes = b""
    error_type: str = ""
    # Seconds the function's clock runs ahead of the real one (a simulated day): its deadline
    # is given on its own clock.
    clock_offset_s: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


class RuntimeApi(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # Every run ends with a SIGKILL of a client that may be mid-connection.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.current: Invocation | None = None

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host}:{port}"


class RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: RuntimeApi
    PREFIX = "/2018-06-01/runtime/"

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                "Content-Type: application/json", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def do_GET(self) -> None:
        now = time.monotonic()
        invocation = self.server.current
        if self.path != self.PREFIX + "invocation/next" or invocation is None:
            self._reply(404, b'{"errorMessage":"unknown path"}')
            return
        with invocation.lock:
            invocation.next_calls += 1
            if invocation.first_next is None:
                invocation.first_next = now
            hand_out = not invocation.handed_out
            invocation.handed_out = True
        if not hand_out:
            # The run is over: hold this /next as Lambda does between invocations, until the
            # driver has measured and killed the process.
            invocation.finished.wait(RUN_TIMEOUT_S)
            self.close_connection = True
            return
        deadline_ms = int((time.time() + invocation.clock_offset_s) * 1000) + FUNCTION_TIMEOUT_MS
        self._reply(200, invocation.event, {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn":
                f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}",
            "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
        })
        invocation.delivered_at = time.monotonic()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        now = time.monotonic()
        invocation = self.server.current
        match = re.fullmatch(re.escape(self.PREFIX) + r"(?:invocation/([^/]+)/(response|error)"
                             r"|init/(error))", self.path)
        if invocation is None or match is None:
            self._reply(404, b'{"errorMessage":"unknown path"}')
            return
        if match.group(1) is not None and match.group(1) != invocation.request_id:
            self._reply(400, b'{"errorMessage":"unknown request id"}')
            return
        invocation.done_at = now
        invocation.outcome = "init-error" if match.group(3) else match.group(2)
        invocation.body = body
        invocation.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
        self._reply(202, b'{"status":"OK"}')
        invocation.done.set()


# ---- the fake AWS -----------------------------------------------------------------------------

class Fake:
    """bench/fake_aws.py in its own process (its serving stays off this process's GIL)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "fake_aws.py"), "--port", "0", "--roles", "1"],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"bench/fake_aws.py did not start: {line!r}")
        self.url = line.split(" ", 1)[1]
        host, port = self.url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                raise RuntimeError(f"fake {path}: {response.status} {data!r}")
            return json.loads(data)
        finally:
            connection.close()

    def configure(self, roles: int, latency_ms: float, recorded: str, stale: int,
                  kind: str = "roles", report: str = "complete") -> dict:
        """An account of `roles` roles, or with kind users of that many users."""
        return self._call("POST", "/__bench/configure", {
            "kind": kind, "roles": roles if kind == "roles" else 0,
            "users": roles if kind == "users" else 0, "latency_ms": latency_ms,
            "recorded": recorded, "stale": stale, "report": report})

    def configure_bill(self, roles: int, latency_ms: float, bill: dict) -> dict:
        """An account that changes by simulated day, and a Config that stores (bench/bill.py)."""
        return self._call("POST", "/__bench/configure", {
            "roles": roles, "latency_ms": latency_ms, "recorded": "stored", "bill": bill})

    def day(self, day: int) -> dict:
        """The simulated account moved on to `day` (counters reset)."""
        return self._call("POST", "/__bench/day", {"day": day})

    def reset(self) -> None:
        """The counters reset, nothing else."""
        self._call("POST", "/__bench/reset", {})

    def stored(self, rule: str) -> dict:
        """What Config holds for `rule`: {"held": {ResourceId: [type, compliance, annotation]},
        "dropped": [[rule, ResourceId], ...]}."""
        return self._call("GET", "/__bench/stored?rule=" + urllib.parse.quote(rule))

    def stats(self) -> dict:
        return self._call("GET", "/__bench/stats")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---- one run ----------------------------------------------------------------------------------

def read_proc(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    kib = lambda name: int(fields[name].split()[0]) if name in fields else 0  # noqa: E731
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_comm = stat.rsplit(")", 1)[1].split()
    utime, stime = int(after_comm[11]), int(after_comm[12])  # fields 14 and 15 of stat(5)
    return {
        "vm_hwm_kib": kib("VmHWM"), "vm_rss_kib": kib("VmRSS"), "threads": kib("Threads"),
        "proc_cpu_ms": (utime + stime) * 1000 / CLK_TCK,
    }


# BENCH_RUNNER: a command that runs the binary, e.g. `scripts/qemu-arm64` for the arm64 build on
# an x86_64 machine. The sizes are still the binary's own; the times are then the emulator's.
# A relative path is taken from here: the function runs in its own folder.
RUNNER = [str(Path(word).resolve()) if i == 0 and os.sep in word else word
          for i, word in enumerate(shlex.split(os.environ.get("BENCH_RUNNER", "")))]


def run_once(binary: Path, runtime: RuntimeApi, fake: Fake, env: dict, event: bytes,
             roles: int, latency_ms: float, recorded: str, stale: int, log_path: Path,
             kind: str = "roles", report_mode: str = "complete", *, setup: dict | None = None,
             checker=None, clock_offset_s: float = 0.0) -> dict:
    """One cold run against an account of `roles` principals (roles, or users with kind users).
    With `setup` the fake is already configured (its counters reset) and `checker(summary,
    stats)` says what is wrong with the run instead of the count checks."""
    if setup is None:
        setup = fake.configure(roles, latency_ms, recorded, stale, kind, report_mode)
    invocation = Invocation(event=event, request_id=f"bench-{roles}-{int(latency_ms)}-{time.time_ns()}",
                            clock_offset_s=clock_offset_s)
    runtime.current = invocation
    with open(log_path, "wb") as log:
        spawned = time.monotonic()
        process = subprocess.Popen([*RUNNER, str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=binary.parent)
        exited = None  # (wait status, rusage) once reaped; wait4, not poll(), keeps the rusage
        try:
            give_up = time.monotonic() + RUN_TIMEOUT_S
            finished = False
            while not finished and time.monotonic() < give_up:
                finished = invocation.done.wait(0.05)
                pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    exited = (wait_status, usage)
                    break
            finished = finished or invocation.done.is_set()
            proc = read_proc(process.pid) if exited is None else {}
        finally:
            if exited is None:
                os.kill(process.pid, signal.SIGKILL)
                _, wait_status, usage = os.wait4(process.pid, 0)
                exited = (wait_status, usage)
            process.returncode = os.waitstatus_to_exitcode(exited[0])
            usage = exited[1]
            invocation.finished.set()
    if not finished:
        why = (f"the function exited with code {process.returncode} without responding"
               if proc == {} else f"no response within {RUN_TIMEOUT_S}s")
        raise RuntimeError(f"{why} (N={roles}, L={latency_ms:g} ms); "
                           f"log: {log_path}\n{tail(log_path)}")
    if invocation.outcome != "response":
        raise RuntimeError(f"the function failed ({invocation.outcome} {invocation.error_type}): "
                           f"{invocation.body[:2000]!r}\nlog: {log_path}\n{tail(log_path)}")
    if not proc:
        raise RuntimeError(f"the function exited after responding; log: {log_path}")
    try:
        summary = json.loads(invocation.body)
    except ValueError:
        raise RuntimeError(f"the response is not JSON: {invocation.body[:2000]!r}; log: {log_path}")
    stats = fake.stats()
    ops = stats["ops"]
    count = lambda op: ops.get(op, {}).get("requests", 0)  # noqa: E731
    if checker is not None:
        problems = checker(summary, stats)
    elif kind == "users":
        problems = check_user_counts(summary, stats, setup, roles, stale if recorded == "all" else 0)
    else:
        problems = check_counts(summary, stats, roles, stale if recorded == "all" else 0)
    if problems:
        raise RuntimeError("the run is wrong: " + "; ".join(problems) + f"; log: {log_path}\n{tail(log_path)}")
    # Time with no request outstanding at the fake: the client's own work between requests
    # (and the transfer of responses, which ends after "reply written" on the fake's side).
    busy = sorted((row[1], row[4]) for row in stats["log"])
    covered, cursor = 0.0, invocation.delivered_at
    for start, end in busy:
        start, end = max(start, cursor), min(end, invocation.done_at)
        if end > start:
            covered += end - start
            cursor = end
    latency_s = latency_ms / 1000
    # The fake's own delay beyond L (its work, and its sleep waking late on a busy machine),
    # and an estimate of how much of it lay on the critical path: all of it for the sequential
    # IAM pages and clean-up reads, 1/C of it for PutEvaluations C at a time.
    late = {op: 0.0 for op in ops}
    for row in stats["log"]:
        late[row[0]] += max(row[3] - row[2] - latency_s, 0)
    fake_ms = sum(late.values()) * 1000
    c_obs = max(stats["max_in_flight"].get(OP_PUT, 1), 1)
    fake_critical_ms = (sum(v for op, v in late.items() if op != OP_PUT)
                        + late.get(OP_PUT, 0.0) / c_obs) * 1000
    phase = lambda op: (ops[op]["last_end"] - ops[op]["first_start"]) * 1000 if op in ops else 0.0  # noqa: E731
    return {
        "kind": kind,
        "roles": roles,
        "latency_ms": latency_ms,
        "cold_start_ms": (invocation.first_next - spawned) * 1000,
        "wall_ms": (invocation.done_at - invocation.delivered_at) * 1000,
        "first_aws_request_ms": ((stats["first_request"] - invocation.delivered_at) * 1000
                                 if stats["first_request"] else None),
        "after_last_aws_response_ms": ((invocation.done_at - stats["last_response"]) * 1000
                                       if stats["last_response"] else None),
        "iam_phase_ms": phase(OP_IAM),
        "read_phase_ms": phase(OP_READ),
        "put_phase_ms": phase(OP_PUT),
        "idle_ms": (invocation.done_at - invocation.delivered_at - covered) * 1000,
        "fake_ms": fake_ms,
        "fake_critical_ms": fake_critical_ms,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
        "cpu_user_ms": usage.ru_utime * 1000,
        "cpu_sys_ms": usage.ru_stime * 1000,
        "proc_cpu_ms": proc["proc_cpu_ms"],
        "peak_rss_mib": proc["vm_hwm_kib"] / 1024,
        "maxrss_mib": usage.ru_maxrss / 1024,
        "rss_after_mib": proc["vm_rss_kib"] / 1024,
        "threads": proc["threads"],
        "requests": {op: v["requests"] for op, v in ops.items()},
        "bytes_received": sum(v["bytes_out"] for v in ops.values()) + len(event),
        "bytes_sent": sum(v["bytes_in"] for v in ops.values()),
        "bytes_received_per_op": {op: v["bytes_out"] for op, v in ops.items()},
        "bytes_sent_per_op": {op: v["bytes_in"] for op, v in ops.items()},
        "max_put_in_flight": stats["max_in_flight"].get(OP_PUT, 0),
        # TCP connections the function opened to AWS (each one a TLS handshake against AWS).
        "connections": len({port for v in ops.values() for port in v.get("ports", [])}),
        "connections_per_op": {op: len(v.get("ports", [])) for op, v in ops.items()},
        "next_calls": invocation.next_calls,
        "fake_setup": setup,
        "summary": summary,
    }



# ---- the AWS blog's rule -----------------------------------------------------------------------

BLOG_RULE = REPO / "bench" / "blog_rule.py"


def run_python_script(command: list[str], env: dict, log_path: Path, what: str,
                      principals: int) -> tuple[float, "os.struct_rusage", dict]:
    """Runs a boto3 script to its end: its wall time from spawn to exit, its wait4 rusage (CPU
    user + sys and ru_maxrss of the whole process) and the JSON object of its last stdout line."""
    out_path = log_path.with_suffix(".out")
    with open(log_path, "wb") as log, open(out_path, "wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=log, stdin=subprocess.DEVNULL)
        give_up = started + RUN_TIMEOUT_S * 5
        while True:
            pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > give_up:
                os.kill(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                raise RuntimeError(f"{what} did not finish (N={principals}); log: {log_path}")
            time.sleep(0.005)
        wall_ms = (time.monotonic() - started) * 1000
    returncode = os.waitstatus_to_exitcode(wait_status)
    if returncode != 0:
        raise RuntimeError(f"{what} failed (exit {returncode}); log: {log_path}\n{tail(log_path)}")
    text = out_path.read_text(errors="replace").strip()
    try:
        return wall_ms, usage, json.loads(text.splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"{what} printed no result: {text[:500]!r}; log: {log_path}")


def run_blog_once(fake: Fake, env: dict, event_path: Path, roles: int, latency_ms: float,
                  log_path: Path, script: Path = BLOG_RULE) -> dict:
    """The AWS blog's Python rule (bench/blog_rule.py, boto3) against the same account as the
    function's run, Config holding nothing, at the same latency: it must read ceil(N/100) IAM
    pages and send N evaluations in ceil(N/100) PutEvaluations, or the run is wrong. Measured as
    the per-user pattern is: wait4 CPU user + sys and ru_maxrss of the whole process, wall from
    spawn to exit, and the script's own CPU and wall after its imports."""
    setup = fake.configure(roles, latency_ms, "none", 0)
    command = [pattern_python(), str(script), "--event", str(event_path)]
    wall_ms, usage, result = run_python_script(command, env, log_path, "the blog's rule", roles)
    stats = fake.stats()
    ops = stats["ops"]
    count = lambda op: ops.get(op, {}).get("requests", 0)  # noqa: E731
    pages = math.ceil(roles / 100)
    problems = []
    if count(OP_IAM) != pages:
        problems.append(f"{count(OP_IAM)} IAM pages read, expected {pages} (100 roles a page)")
    if stats["evaluations"] != roles or result.get("evaluations") != roles:
        problems.append(f"{stats['evaluations']} evaluations sent ({result.get('evaluations')} said), "
                        f"expected {roles}")
    if count(OP_PUT) != pages:
        problems.append(f"{count(OP_PUT)} PutEvaluations calls, expected {pages} for {roles} evaluations")
    if stats["max_evaluations_per_call"] > 100:
        problems.append(f"a PutEvaluations call carried {stats['max_evaluations_per_call']} evaluations")
    errors = {op: v["errors"] for op, v in ops.items() if v.get("errors")}
    if errors:
        problems.append(f"the fake answered with errors: {errors}")
    if problems:
        raise RuntimeError("the blog's rule's run is wrong: " + "; ".join(problems) + f"; log: {log_path}")
    return {
        "roles": roles, "latency_ms": latency_ms, "wall_ms": wall_ms,
        "run_wall_ms": result["run_wall_ms"],
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000, "peak_rss_mib": usage.ru_maxrss / 1024,
        "run_cpu_ms": result["run_cpu_ms"], "import_cpu_ms": result["import_cpu_ms"],
        "non_compliant": result["non_compliant"],
        "requests": {op: v["requests"] for op, v in ops.items()},
        "bytes_received": sum(v["bytes_out"] for v in ops.values()),
        "fake_setup": setup,
    }


# ---- the per-user pattern ---------------------------------------------------------------------

PATTERN = REPO / "bench" / "per_user_pattern.py"


def pattern_python() -> str:
    """The interpreter with boto3 for the per-user pattern: the project's .venv, else this one."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_pattern_once(fake: Fake, env: dict, event_path: Path, users: int, max_days: int,
                     log_path: Path, every_key: bool = False) -> dict:
    """The RDK sample rule's per-user calls (bench/per_user_pattern.py, boto3) against the same
    account, at L = 0: its requests are sequential, so its wall time at a latency L is its
    request count times L, computed rather than waited for."""
    setup = fake.configure(users, 0.0, "none", 0, "users", "complete")
    command = [pattern_python(), str(PATTERN), "--event", str(event_path), "--max-days", str(max_days),
               *(["--every-key"] if every_key else [])]
    wall_ms, usage, result = run_python_script(command, env, log_path, "the per-user pattern", users)
    stats = fake.stats()
    ops = stats["ops"]
    count = lambda op: ops.get(op, {}).get("requests", 0)  # noqa: E731
    problems = []
    if result["evaluations"] != users or stats["evaluations"] != users:
        problems.append(f"{stats['evaluations']} evaluations sent ({result['evaluations']} said), "
                        f"expected {users}")
    if count(OP_LIST_USERS) != math.ceil(users / 100):
        problems.append(f"{count(OP_LIST_USERS)} ListUsers pages, expected {math.ceil(users / 100)}")
    # Without shortcuts, every user's keys are listed and every key looked up.
    keys_ok = ((count(OP_LIST_KEYS), count(OP_KEY_LAST_USED)) == (users, setup["access_keys"])
               if every_key else
               count(OP_LIST_KEYS) <= users and count(OP_KEY_LAST_USED) <= setup["access_keys"])
    if not keys_ok:
        problems.append(f"{count(OP_LIST_KEYS)} ListAccessKeys for {users} users, "
                        f"{count(OP_KEY_LAST_USED)} GetAccessKeyLastUsed for {setup['access_keys']} keys")
    errors = {op: v["errors"] for op, v in ops.items() if v.get("errors")}
    if errors:
        problems.append(f"the fake answered with errors: {errors}")
    if problems:
        raise RuntimeError("the per-user pattern's run is wrong: " + "; ".join(problems))
    return {
        "users": users, "every_key": every_key, "wall_ms": wall_ms,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000, "peak_rss_mib": usage.ru_maxrss / 1024,
        "run_cpu_ms": result["run_cpu_ms"], "import_cpu_ms": result["import_cpu_ms"],
        "non_compliant": result["non_compliant"],
        "requests": {op: v["requests"] for op, v in ops.items()},
        "bytes_received": sum(v["bytes_out"] for v in ops.values()),
        "connections": len({port for v in ops.values() for port in v.get("ports", [])}),
        "fake_setup": setup,
    }


def expected_evaluations(summary: dict, every: int, problems: list[str]) -> int:
    """The evaluations a run must have sent: `every` (one per principal and per result of a
    principal that is gone), or with publish=changes what its summary says it sent, which is
    at least 1 and at most `every` (the fake holds no result to compare with but the recorded
    ones, so it cannot tell which results changed)."""
    if summary.get("publish") != "changes":
        return every
    claimed = summary.get("evaluations_sent")
    if not isinstance(claimed, int) or not 1 <= claimed <= every:
        problems.append(f"the response says evaluations_sent={claimed!r} with publish=changes, "
                        f"expected 1 to {every}")
        return every
    return claimed


def with_publish(event: bytes, publish: str) -> bytes:
    """The event with the rule parameter publish=`publish` (none with "omit": a build without
    the parameter refuses it)."""
    if publish == "omit":
        return event
    decoded = json.loads(event)
    params = json.loads(decoded["ruleParameters"])
    params["publish"] = publish
    decoded["ruleParameters"] = json.dumps(params, separators=(",", ":"))
    return json.dumps(decoded).encode()


def check_counts(summary: dict, stats: dict, roles: int, stale: int) -> list[str]:
    """What is wrong with a run, from what the fake served: `roles` roles, of which the rule
    must evaluate each once, and `stale` recorded results for roles that are gone, each cleaned
    up to NOT_APPLICABLE. The function's own summary must say the same numbers."""
    ops = stats["ops"]
    count = lambda op: ops.get(op, {}).get("requests", 0)  # noqa: E731
    if not isinstance(summary, dict):
        return [f"the response is not a summary object: {summary!r}"]
    problems: list[str] = []
    evaluations = expected_evaluations(summary, roles + stale, problems)
    for key, want in (("principals", roles), ("stale_cleaned", stale)):
        if key not in summary:
            problems.append(f"the response has no {key}: {summary}")
        elif summary[key] != want:
            problems.append(f"the response says {key}={summary[key]}, the fake served {want}")
    if count(OP_IAM) != math.ceil(roles / IAM_PAGE_SIZE):
        problems.append(f"{count(OP_IAM)} IAM pages read, the account has {math.ceil(roles / IAM_PAGE_SIZE)}")
    if stats["evaluations"] != evaluations:
        problems.append(f"{stats['evaluations']} evaluations sent, expected {evaluations} "
                        f"({roles} roles + {stale} gone)")
    if count(OP_PUT) != math.ceil(evaluations / 100):
        problems.append(f"{count(OP_PUT)} PutEvaluations calls, expected {math.ceil(evaluations / 100)} "
                        f"for {evaluations} evaluations")
    if stats["max_evaluations_per_call"] > 100:
        problems.append(f"a PutEvaluations call carried {stats['max_evaluations_per_call']} evaluations")
    errors = {op: v["errors"] for op, v in ops.items() if v.get("errors")}
    if errors:
        problems.append(f"the fake answered with errors: {errors}")
    return problems



def check_user_counts(summary: dict, stats: dict, setup: dict, users: int, stale: int) -> list[str]:
    """What is wrong with a users-rule run, from what the fake served: `users` users, each in
    both the credential report and GetAccountAuthorizationDetails (so every one is judged and
    sent), `stale` recorded results for users that are gone. The report is read once, after
    one GenerateCredentialReport when it is COMPLETE at once, or two when the first answer is
    STARTED; the per-user calls are never made."""
    ops = stats["ops"]
    count = lambda op: ops.get(op, {}).get("requests", 0)  # noqa: E731
    if not isinstance(summary, dict):
        return [f"the response is not a summary object: {summary!r}"]
    problems: list[str] = []
    evaluations = expected_evaluations(summary, users + stale, problems)
    expected = {"rule_kind": "users", "principals": users, "stale_cleaned": stale, "not_judged": 0,
                "credential_report_generated": setup["report_generated"]}
    for key, want in expected.items():
        got = summary.get(key, "(absent)")
        if key == "credential_report_generated" and isinstance(got, str):
            got = normalize_time(got)
        if got != want:
            problems.append(f"the response says {key}={summary.get(key, '(absent)')}, "
                            f"the fake served {want}")
    generate = 2 if setup["report"] == "started" else 1
    for op, want in ((OP_GENERATE, generate), (OP_REPORT, 1), (OP_IAM, math.ceil(users / IAM_PAGE_SIZE))):
        if count(op) != want:
            problems.append(f"{count(op)} {op} calls, expected {want}")
    for op in PER_USER_OPS:
        if count(op):
            problems.append(f"{count(op)} {op} calls: the rule reads no user one by one")
    if stats["evaluations"] != evaluations:
        problems.append(f"{stats['evaluations']} evaluations sent, expected {evaluations} "
                        f"({users} users + {stale} gone)")
    if count(OP_PUT) != math.ceil(evaluations / 100):
        problems.append(f"{count(OP_PUT)} PutEvaluations calls, expected {math.ceil(evaluations / 100)} "
                        f"for {evaluations} evaluations")
    if stats["max_evaluations_per_call"] > 100:
        problems.append(f"a PutEvaluations call carried {stats['max_evaluations_per_call']} evaluations")
    errors = {op: v["errors"] for op, v in ops.items() if v.get("errors")}
    if errors:
        problems.append(f"the fake answered with errors: {errors}")
    return problems


def normalize_time(text: str) -> str:
    """An RFC 3339 time as the fake writes it (2026-01-01T00:00:00Z), or the text unchanged."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def floor_ms(run: dict, concurrency: int) -> float:
    requests = run["requests"]
    puts = requests.get(OP_PUT, 0)
    # The IAM reads (for the users rule, the credential report's generation and download too)
    # run beside the clean-up read: the longer of the two; then PutEvaluations C at a time.
    clean_up = requests.get(OP_READ, 0)
    iam = sum(n for op, n in requests.items() if op not in (OP_PUT, OP_READ))
    return (max(iam, clean_up) + math.ceil(puts / max(concurrency, 1))) * run["latency_ms"]


# ---- set-up -----------------------------------------------------------------------------------

def build_binary() -> Path:
    command = ["nice", "-n", "10", "cargo", "build", "--release", "--locked", "--bin",
               FUNCTION_NAME, "--message-format=json-render-diagnostics"]
    print(f"bench: building: {' '.join(command)}", file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if (message.get("reason") == "compiler-artifact"
                and message["target"]["name"] == FUNCTION_NAME and message.get("executable")):
            return Path(message["executable"])
    raise RuntimeError("cargo build did not report the binary")


def _scalar(text: str, where: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if not text or text[0] in "!&*[{|>" or " #" in text:
        raise RuntimeError(f"{where}: {text!r} is not a plain value this reader resolves")
    return text


def _block(lines: list[str], start: int) -> tuple[list[tuple[int, str, str]], int]:
    """The mapping under lines[start] (a `KEY:` line): its (line number, key, rest of the line)
    at the first deeper indentation, and the index after the block. Comments and blank lines
    are skipped."""
    parent = len(lines[start]) - len(lines[start].lstrip())
    items, indent, i = [], None, start + 1
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        depth = len(line) - len(line.lstrip())
        if depth <= parent:
            break
        indent = depth if indent is None else indent
        if depth == indent:
            key, sep, rest = stripped.partition(":")
            if sep:
                items.append((i, key.strip().strip("'\""), rest.strip()))
        i += 1
    return items, i


def _child(lines: list[str], items: list[tuple[int, str, str]], key: str, where: str) -> list:
    for number, name, _ in items:
        if name == key:
            return _block(lines, number)[0]
    raise RuntimeError(f"{where}: no {key}")


def template_environment(template: Path, function_id: str) -> dict[str, str]:
    """The function's Environment Variables as template.yaml deploys them: plain values as
    written, `!Ref Parameter` as that parameter's Default. The benchmark runs the function with
    exactly these, so it measures what ships (MALLOC_ARENA_MAX among them). A small reader of
    this template's shape, standard library only; anything it cannot resolve is an error
    naming the variable."""
    # Indented one step under a synthetic root, so the top level is a block like any other.
    lines = ["<root>:"] + [f" {line}" if line.strip() else line for line in template.read_text().splitlines()]
    top = _block(lines, 0)[0]
    parameters = {key: _block(lines, number)[0]
                  for number, key, _ in _child(lines, top, "Parameters", str(template))}
    where = f"{template}: Resources.{function_id}"
    resources = _child(lines, top, "Resources", str(template))
    function = _child(lines, resources, function_id, f"{template}: Resources")
    properties = _child(lines, function, "Properties", where)
    environment = _child(lines, properties, "Environment", f"{where}.Properties")
    variables = _child(lines, environment, "Variables", f"{where}.Properties.Environment")
    conditions = {key: rest for number, key, rest in top if key == "Conditions"
                  for _, key, rest in _block(lines, number)[0]}

    def parameter_default(name: str, at: str) -> str:
        default = [value for _, k, value in parameters.get(name, []) if k == "Default"]
        if not default:
            raise RuntimeError(f"{at}: !Ref {name} names no parameter with a Default")
        return _scalar(default[0], f"{template}: Parameters.{name}.Default")

    def resolve(rest: str, at: str) -> str:
        if rest.startswith("!Ref "):
            return parameter_default(rest[len("!Ref "):].strip(), at)
        # `!If [Cond, A, B]` where Cond is `!Not [!Equals [!Ref Param, '']]`: decided by the
        # parameter's default, as a deploy with the defaults decides it.
        chosen = re.fullmatch(r"!If \[(\w+), (!Ref \w+), (!Ref \w+)\]", rest)
        if chosen:
            condition = conditions.get(chosen.group(1), "")
            given = re.fullmatch(r"!Not \[!Equals \[!Ref (\w+), ''\]\]", condition)
            if not given:
                raise RuntimeError(f"{at}: condition {chosen.group(1)} is not one this reader resolves")
            holds = parameter_default(given.group(1), at) != ""
            return resolve(chosen.group(2) if holds else chosen.group(3), at)
        return _scalar(rest, at)

    result = {}
    for _, key, rest in variables:
        result[key] = resolve(rest, f"{where}.Properties.Environment.Variables.{key}")
    if not result:
        raise RuntimeError(f"{where}.Properties.Environment.Variables is empty")
    return result


def configured_concurrency(args, function_env: dict) -> tuple[int | None, str]:
    """C_cfg: --concurrency, else PUT_EVALUATIONS_CONCURRENCY in the function's environment,
    else unknown here (the binary's built-in default, which the benchmark does not read)."""
    if args.concurrency:
        return args.concurrency, "--concurrency"
    if "PUT_EVALUATIONS_CONCURRENCY" in function_env:
        return int(function_env["PUT_EVALUATIONS_CONCURRENCY"]), "PUT_EVALUATIONS_CONCURRENCY"
    return None, "the binary's default: not set in its environment, give --concurrency to compare"


def zipped_size(binary: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "bootstrap.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            zf.write(binary, arcname="bootstrap")
        return archive.stat().st_size


def has_symbols(binary: Path) -> bool:
    with open(binary, "rb") as f:
        return b".symtab\x00" in f.read()


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model})"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---- report -------------------------------------------------------------------------------------

def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(med(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report(runs: list[dict], c_cfg: int | None, c_cfg_source: str, sizes: dict, header: str) -> str:
    out = [header, ""]
    out.append(f"floor = (max(IAM pages, clean-up reads) + ceil(PutEvaluations / C)) × L; "
               f"C_obs = most PutEvaluations in flight seen by the fake; "
               f"C_cfg = {c_cfg if c_cfg else '–'} ({c_cfg_source}). \"fake's delay removed\": wall minus the "
               f"fake's own delay beyond L on the critical path (its sleep waking late on a busy "
               f"machine), over the C_obs floor. Median (min–max) of the runs.")
    out.append("")
    out.append("| N | L ms | runs | wall ms | floor ms (C_obs) | wall/floor | floor ms (C_cfg) "
               "| wall/floor (C_cfg) | wall/floor, fake's delay removed | cold start ms | CPU user+sys ms "
               "| peak RSS MiB |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    groups: dict[tuple[int, float], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["roles"], run["latency_ms"]), []).append(run)
    for (roles, latency), group in sorted(groups.items()):
        walls = [r["wall_ms"] for r in group]
        floors = [floor_ms(r, r["max_put_in_flight"]) for r in group]
        floors_cfg = [floor_ms(r, c_cfg) for r in group] if c_cfg else []
        ratio = ([w / f for w, f in zip(walls, floors)] if latency > 0 else [])
        ratio_cfg = ([w / f for w, f in zip(walls, floors_cfg)] if latency > 0 and c_cfg else [])
        ratio_adj = ([(r["wall_ms"] - r["fake_critical_ms"]) / f for r, f in zip(group, floors)]
                     if latency > 0 else [])
        out.append(
            f"| {roles} | {latency:g} | {len(group)} | {spread(walls, '.0f')} "
            f"| {med(floors):.0f} | {spread(ratio, '.2f') if ratio else '–'} "
            f"| {f'{med(floors_cfg):.0f}' if floors_cfg else '–'} "
            f"| {spread(ratio_cfg, '.2f') if ratio_cfg else '–'} "
            f"| {spread(ratio_adj, '.2f') if ratio_adj else '–'} "
            f"| {spread([r['cold_start_ms'] for r in group], '.1f')} "
            f"| {spread([r['cpu_ms'] for r in group], '.0f')} "
            f"| {spread([r['peak_rss_mib'] for r in group], '.1f')} |")
    out.append("")
    out.append("| N | L ms | requests IAM / clean-up read / PutEvaluations | PutEvaluations in flight "
               "(max) | MB received | MB sent | connections | IAM phase ms | clean-up read ms "
               "| PutEvaluations phase ms | event → 1st request ms | last response → done ms "
               "| no request outstanding ms | fake's delay ms (on critical path) |")
    out.append("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (roles, latency), group in sorted(groups.items()):
        first = group[0]["requests"]
        opt = lambda key: [r[key] for r in group if r[key] is not None]  # noqa: E731
        out.append(
            f"| {roles} | {latency:g} | {first.get(OP_IAM, 0)} / {first.get(OP_READ, 0)} / "
            f"{first.get(OP_PUT, 0)} | {max(r['max_put_in_flight'] for r in group)} "
            f"| {med([r['bytes_received'] for r in group]) / 1e6:.1f} "
            f"| {med([r['bytes_sent'] for r in group]) / 1e6:.2f} "
            f"| {med([r['connections'] for r in group]):.0f} "
            f"| {med([r['iam_phase_ms'] for r in group]):.0f} "
            f"| {med([r['read_phase_ms'] for r in group]):.0f} "
            f"| {med([r['put_phase_ms'] for r in group]):.0f} "
            f"| {med(opt('first_aws_request_ms')):.1f} "
            f"| {med(opt('after_last_aws_response_ms')):.1f} "
            f"| {med([r['idle_ms'] for r in group]):.0f} "
            f"| {med([r['fake_ms'] for r in group]):.0f} "
            f"({med([r['fake_critical_ms'] for r in group]):.0f}) |")
    out.append("")
    out.append(f"binary: {sizes['binary_bytes'] / 1e6:.2f} MB ({'with' if sizes['symbols'] else 'no'} "
               f"symbol table); bootstrap zipped (deflate -9): {sizes['zipped_bytes'] / 1e6:.2f} MB "
               f"({sizes['zipped_bytes'] / 2**20:.2f} MiB)")
    out.append("")
    out.append(targets(groups, c_cfg, sizes))
    return "\n".join(out)


def zipped_target(sizes: dict) -> str:
    zipped = sizes["zipped_bytes"] / 1e6
    return (f"  zipped bootstrap ≤ {TARGETS['zipped_mb']:g} MB: {zipped:.2f} MB → "
            f"{'met' if zipped <= TARGETS['zipped_mb'] else 'MISSED'}")


def targets(groups: dict, c_cfg: int | None, sizes: dict) -> str:
    lines = ["Targets:"]
    if RUNNER:
        # Times and memory are the emulator's: only the sizes are the binary's own.
        lines.append(f"  times and memory: not judged, the binary ran under {' '.join(RUNNER)}")
        lines.append(zipped_target(sizes))
        return "\n".join(lines)
    group = groups.get((5000, 50.0))
    if group:
        ratio = med([r["wall_ms"] / floor_ms(r, r["max_put_in_flight"]) for r in group])
        ratio_cfg = med([r["wall_ms"] / floor_ms(r, c_cfg) for r in group]) if c_cfg else ratio
        with_cfg = f", {ratio_cfg:.2f} with C_cfg={c_cfg}" if c_cfg else ""
        lines.append(f"  N=5000 L=50 ms wall/floor ≤ {TARGETS['ratio_at_5000_50']}: "
                     f"{ratio:.2f} with C_obs{with_cfg} → "
                     f"{'met' if max(ratio, ratio_cfg) <= TARGETS['ratio_at_5000_50'] else 'MISSED'}")
    rss = [r["peak_rss_mib"] for (n, _), g in groups.items() if n == 10000 for r in g]
    if rss:
        value = med(rss)
        lines.append(f"  peak RSS at N=10000 ≤ {TARGETS['rss_mib_at_10000']:g} MiB: {value:.1f} MiB "
                     f"(max {max(rss):.1f}) → {'met' if value <= TARGETS['rss_mib_at_10000'] else 'MISSED'}")
    cold = med([r["cold_start_ms"] for g in groups.values() for r in g])
    lines.append(f"  cold start ≤ {TARGETS['cold_start_ms']:g} ms: {cold:.1f} ms (median of all runs) → "
                 f"{'met' if cold <= TARGETS['cold_start_ms'] else 'MISSED'}")
    lines.append(zipped_target(sizes))
    return "\n".join(lines)


# ---- main -------------------------------------------------------------------------------------

def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def float_list(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def compare(variants: list[dict]) -> str:
    """One line per binary and (N, L): the figures that decide a build profile."""
    out = ["| variant | binary MB | zipped MB | N | L ms | wall ms | cold start ms | CPU user+sys ms "
           "| peak RSS MiB |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for variant in variants:
        groups: dict[tuple[int, float], list[dict]] = {}
        for run in variant["runs"]:
            groups.setdefault((run["roles"], run["latency_ms"]), []).append(run)
        sizes = variant["sizes"]
        for (roles, latency), group in sorted(groups.items()):
            out.append(
                f"| {variant['label']} | {sizes['binary_bytes'] / 1e6:.2f} "
                f"| {sizes['zipped_bytes'] / 1e6:.2f} | {roles} | {latency:g} "
                f"| {spread([r['wall_ms'] for r in group], '.0f')} "
                f"| {spread([r['cold_start_ms'] for r in group], '.1f')} "
                f"| {spread([r['cpu_ms'] for r in group], '.0f')} "
                f"| {spread([r['peak_rss_mib'] for r in group], '.1f')} |")
    return "\n".join(out)



def users_event(roles_event: bytes) -> bytes:
    """The scheduled event with the users rule's parameters (the fake's account is built for
    them: an allowlisted path, an exempt tag, the 45-day threshold)."""
    event = json.loads(roles_event)
    event["ruleParameters"] = json.dumps(USERS_RULE_PARAMETERS, separators=(",", ":"))
    return json.dumps(event).encode()


def users_function_environment(template: Path) -> tuple[dict[str, str], str]:
    """The users rule's function environment: the template's function with RULE_KIND users,
    else the roles function's with RULE_KIND=users (one binary serves both rules)."""
    text = template.read_text()
    for match in re.finditer(r"^  ([A-Za-z0-9]+):\s*$", text, re.MULTILINE):
        try:
            env = template_environment(template, match.group(1))
        except RuntimeError:
            continue
        if env.get("RULE_KIND") == "users":
            return env, match.group(1)
    return {**template_environment(template, FUNCTION_ID), "RULE_KIND": "users"}, \
        f"{FUNCTION_ID} with RULE_KIND=users"


def ratio_text(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "–"


def users_report(runs: list[dict], patterns: list[dict], header: str) -> str:
    out = [header, ""]
    out.append("The users rule (the function binary, RULE_KIND=users). floor = (report generation "
               "calls + report download + IAM pages, or the clean-up reads beside them if longer, + ceil(PutEvaluations / C_obs)) "
               "× L; the polling's own waits are not in it. Median (min–max) of the runs.")
    out.append("")
    out.append("| N users | L ms | runs | wall ms | floor ms | wall/floor | cold start ms "
               "| CPU user+sys ms | peak RSS MiB | requests Generate / GetCredentialReport / "
               "IAM pages / clean-up read / PutEvaluations | MB received |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    groups: dict[tuple[int, float], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["roles"], run["latency_ms"]), []).append(run)
    for (users, latency), group in sorted(groups.items()):
        walls = [r["wall_ms"] for r in group]
        floors = [floor_ms(r, r["max_put_in_flight"]) for r in group]
        first = group[0]["requests"]
        out.append(
            f"| {users} | {latency:g} | {len(group)} | {spread(walls, '.0f')} "
            f"| {med(floors):.0f} | {spread([w / f for w, f in zip(walls, floors)], '.2f') if latency else '–'} "
            f"| {spread([r['cold_start_ms'] for r in group], '.1f')} "
            f"| {spread([r['cpu_ms'] for r in group], '.0f')} "
            f"| {spread([r['peak_rss_mib'] for r in group], '.1f')} "
            f"| {first.get(OP_GENERATE, 0)} / {first.get(OP_REPORT, 0)} / {first.get(OP_IAM, 0)} / "
            f"{first.get(OP_READ, 0)} / {first.get(OP_PUT, 0)} "
            f"| {med([r['bytes_received'] for r in group]) / 1e6:.1f} |")
    if not patterns:
        return "\n".join(out)
    out.append("")
    out.append("Beside it, the per-user pattern of the RDK sample rule IAM_USER_USED_LAST_90_DAYS "
               "(bench/per_user_pattern.py: ListUsers by 100, then per user ListAccessKeys and "
               "GetAccessKeyLastUsed per key until one was used recently; boto3 on CPython, so its "
               "CPU is Python's: the request counts carry over to Lambda, the CPU ratio is "
               "indicative)" + (", here without its shortcuts (--pattern-every-key)"
                                if patterns[0].get("every_key") else "") + ". It ran at L = 0; its requests are one after the other, so its wall "
               "time at L is at least requests × L, shown computed.")
    out.append("")
    out.append("| N users | requests: users rule / per-user pattern | per-user pattern: ListUsers / "
               "ListAccessKeys / GetAccessKeyLastUsed / clean-up / PutEvaluations "
               "| CPU ms: users rule / pattern (its run alone, without starting Python and boto3) "
               "| wall ms at L = 0: users rule / pattern | wall ms at L = 50: users rule / pattern "
               "(requests × 50) | peak RSS MiB: users rule / pattern |")
    out.append("|---:|---|---|---|---|---|---|")
    by_n: dict[int, list[dict]] = {}
    for run in patterns:
        by_n.setdefault(run["users"], []).append(run)
    for users, group in sorted(by_n.items()):
        ours0 = groups.get((users, 0.0), [])
        ours50 = groups.get((users, 50.0), [])
        mine = ours0 or ours50
        if not mine:
            continue
        our_requests = sum(mine[0]["requests"].values())
        theirs = group[0]["requests"]
        their_requests = sum(theirs.values())
        our_cpu = med([r["cpu_ms"] for r in mine])
        their_cpu = med([r["cpu_ms"] for r in group])
        their_run_cpu = med([r["run_cpu_ms"] for r in group])
        wall0 = (f"{med([r['wall_ms'] for r in ours0]):.0f} / {med([r['wall_ms'] for r in group]):.0f} "
                 f"({ratio_text(med([r['wall_ms'] for r in group]), med([r['wall_ms'] for r in ours0]))})"
                 if ours0 else "–")
        wall50 = (f"{med([r['wall_ms'] for r in ours50]):.0f} / {their_requests * 50} "
                  f"({ratio_text(their_requests * 50, med([r['wall_ms'] for r in ours50]))})"
                  if ours50 else f"– / {their_requests * 50}")
        out.append(
            f"| {users} | {our_requests} / {their_requests} ({ratio_text(their_requests, our_requests)}) "
            f"| {theirs.get(OP_LIST_USERS, 0)} / {theirs.get(OP_LIST_KEYS, 0)} / "
            f"{theirs.get(OP_KEY_LAST_USED, 0)} / {theirs.get(OP_READ, 0)} / {theirs.get(OP_PUT, 0)} "
            f"| {our_cpu:.0f} / {their_cpu:.0f} ({their_run_cpu:.0f}): "
            f"{ratio_text(their_cpu, our_cpu)} ({ratio_text(their_run_cpu, our_cpu)}) "
            f"| {wall0} | {wall50} "
            f"| {med([r['peak_rss_mib'] for r in mine]):.1f} / {med([r['peak_rss_mib'] for r in group]):.1f} |")
    return "\n".join(out)


BLOG_CPU_TARGET = 20.0  # issue 14: a run's CPU at least 20 x less than the blog's rule's


def blog_report(runs: list[dict], blogs: list[dict], recorded: str, header: str) -> str:
    """The function's runs beside the blog's rule's, per (N, L), medians, with ratios."""
    out = [header, ""]
    like_with_like = ("with Config holding nothing (--recorded none), so both read IAM and send "
                      "every role" if recorded == "none" else
                      f"the function with --recorded {recorded} (it also reads and cleans up "
                      "Config's results, which the blog's rule never reads): not like with like")
    out.append("The function beside the AWS blog's Python rule (bench/blog_rule.py: "
               "GetAccountAuthorizationDetails by 100, each role judged in Python, keyed by role "
               "name, PutEvaluations 100 at a time one after the other; boto3 on CPython), on the "
               f"same account {like_with_like}. Wall: the function's event → response against the blog's run "
               "after its imports (its whole process, Python's start and imports included, in "
               "brackets). CPU: user + sys of each whole process (wait4); the blog's after its "
               "imports (time.process_time) in brackets. Ratios are blog / function. Median of "
               "the runs.")
    out.append("")
    out.append("| N | L ms | runs function / blog | wall ms: function / blog run (process) "
               "| wall ratio | CPU ms: function / blog (after imports) | CPU ratio (after imports) "
               "| peak RSS MiB: function / blog | requests function: IAM / clean-up / PutEvaluations "
               "| requests blog: IAM / PutEvaluations |")
    out.append("|---:|---:|---:|---|---:|---|---:|---|---|---|")
    ours: dict[tuple[int, float], list[dict]] = {}
    for run in runs:
        ours.setdefault((run["roles"], run["latency_ms"]), []).append(run)
    theirs: dict[tuple[int, float], list[dict]] = {}
    for run in blogs:
        theirs.setdefault((run["roles"], run["latency_ms"]), []).append(run)
    verdicts = []
    for (roles, latency), group in sorted(theirs.items()):
        mine = ours.get((roles, latency), [])
        if not mine:
            continue
        wall, their_wall = med([r["wall_ms"] for r in mine]), med([r["run_wall_ms"] for r in group])
        cpu, their_cpu = med([r["cpu_ms"] for r in mine]), med([r["cpu_ms"] for r in group])
        their_run_cpu = med([r["run_cpu_ms"] for r in group])
        first, blog_first = mine[0]["requests"], group[0]["requests"]
        out.append(
            f"| {roles} | {latency:g} | {len(mine)} / {len(group)} "
            f"| {wall:.0f} / {their_wall:.0f} ({med([r['wall_ms'] for r in group]):.0f}) "
            f"| {ratio_text(their_wall, wall)} "
            f"| {cpu:.0f} / {their_cpu:.0f} ({their_run_cpu:.0f}) "
            f"| {ratio_text(their_cpu, cpu)} ({ratio_text(their_run_cpu, cpu)}) "
            f"| {med([r['peak_rss_mib'] for r in mine]):.1f} / {med([r['peak_rss_mib'] for r in group]):.1f} "
            f"| {first.get(OP_IAM, 0)} / {first.get(OP_READ, 0)} / {first.get(OP_PUT, 0)} "
            f"| {blog_first.get(OP_IAM, 0)} / {blog_first.get(OP_PUT, 0)} |")
        ratio = their_run_cpu / cpu if cpu else 0.0
        verdicts.append(f"  N={roles} L={latency:g} ms: CPU {ratio:.1f}× less than the blog's rule "
                        f"after its imports ({their_cpu / cpu if cpu else 0.0:.1f}× with them) → "
                        f"{'met' if ratio >= BLOG_CPU_TARGET else 'MISSED'}")
    if verdicts:
        out.append("")
        out.append(f"Target: CPU of a run ≥ {BLOG_CPU_TARGET:g}× less than the blog's rule (judged "
                   "on the blog's CPU after its imports, the smaller ratio):")
        out.extend(verdicts)
    return "\n".join(out)


def run_users(args, variants: list[dict], patterns: list[dict], runtime: RuntimeApi, fake: Fake,
              env: dict, event: bytes, logs: Path) -> int:
    """The users rule's runs (every binary, N, L, as for roles) and, once per N and repetition
    up to --pattern-reps, the per-user pattern against the same account. Returns the count of
    the function's runs."""
    setup = fake.configure(max(args.users), 0, args.recorded, args.stale, "users", args.report)
    print(f"bench: fake account of {max(args.users)} users rendered in {setup['render_seconds']}s: "
          f"{setup['iam_bytes_at_max_items'] / 1e6:.1f} MB of IAM pages, a credential report of "
          f"{setup['report_bytes'] / 1e6:.2f} MB; {setup['users_with_password']} with a console "
          f"password, {setup['users_with_keys']} with keys, {setup['access_keys']} keys "
          f"({setup['active_access_keys']} active)", file=sys.stderr, flush=True)
    event_path = logs / "users-event.json"
    event_path.write_bytes(event)
    pattern_env = {k: v for k, v in env.items() if not k.startswith(("AWS_LAMBDA_", "_HANDLER"))}
    for number, variant in enumerate(variants, start=1):
        binary = variant["binary"]
        run_once(binary, runtime, fake, {**env, "LAMBDA_TASK_ROOT": str(binary.parent)}, event,
                 min(args.users), 0.0, args.recorded, args.stale,
                 logs / f"function-b{number}-users-warm-up.log", "users", args.report)
    total = 0
    for rep in range(args.reps):
        for users in args.users:
            for latency in args.latency_ms:
                for number, variant in enumerate(variants, start=1):
                    binary = variant["binary"]
                    run = run_once(binary, runtime, fake, {**env, "LAMBDA_TASK_ROOT": str(binary.parent)},
                                   event, users, latency, args.recorded, args.stale,
                                   logs / f"function-b{number}-users-N{users}-L{latency:g}-r{rep + 1}.log",
                                   "users", args.report)
                    run["rep"] = rep + 1
                    variant["user_runs"].append(run)
                    total += 1
                    print(f"bench: users run {rep + 1}/{args.reps} N={users} L={latency:g}ms: "
                          f"wall {run['wall_ms']:.0f} ms, CPU {run['cpu_ms']:.0f} ms, peak RSS "
                          f"{run['peak_rss_mib']:.1f} MiB, {sum(run['requests'].values())} requests",
                          file=sys.stderr, flush=True)
            if rep < args.pattern_reps:
                pattern = run_pattern_once(fake, pattern_env, event_path, users, USERS_MAX_DAYS,
                                           logs / f"per-user-pattern-N{users}-r{rep + 1}.log",
                                           args.pattern_every_key)
                pattern["rep"] = rep + 1
                patterns.append(pattern)
                print(f"bench: per-user pattern {rep + 1}/{args.pattern_reps} N={users} L=0: "
                      f"wall {pattern['wall_ms']:.0f} ms, CPU {pattern['cpu_ms']:.0f} ms "
                      f"({pattern['run_cpu_ms']:.0f} ms after imports), "
                      f"{sum(pattern['requests'].values())} requests", file=sys.stderr, flush=True)
    return total

def lambda_environment(runtime: RuntimeApi, fake: Fake, function_env: dict) -> dict:
    """What Lambda sets for a 128 MB function, pointed at the fake, then `function_env`."""
    home = tempfile.mkdtemp(prefix="bench-home-")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "TZ": ":UTC",
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": runtime.address,  # host:port, as Lambda sets it
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION_NAME}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "_HANDLER": "bootstrap",
        "AWS_ENDPOINT_URL": fake.url,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDBENCHMARKFAKE000",
        "AWS_SECRET_ACCESS_KEY": "bench-fake-secret-key",
        "AWS_SESSION_TOKEN": "bench-fake-session-token",
        "AWS_EC2_METADATA_DISABLED": "true",
        # What the template deploys (MALLOC_ARENA_MAX among it), then --env on top.
        **function_env,
    }


def main() -> int:
    if "--bill" in sys.argv[1:]:
        import bill  # the 30-day simulation (bench/bill.py), with its own options
        return bill.main([a for a in sys.argv[1:] if a != "--bill"])
    parser = argparse.ArgumentParser(
        description="Benchmark the Lambda binary against a fake IAM and Config.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: N=1000 roles and 1000 users, L=0 and 50 ms, one run "
                             "each, and one run of the per-user pattern")
    parser.add_argument("--kind", choices=["roles", "users", "all"], default=None,
                        help="the rule to run: roles (default), users (with the per-user "
                             "pattern beside it) or all (the default with --quick)")
    parser.add_argument("--users", type=int_list, default=[1000, 5000],
                        help="users account sizes, comma-separated (default 1000,5000)")
    parser.add_argument("--report", choices=["complete", "started"], default="complete",
                        help="GenerateCredentialReport answers COMPLETE at once (default: a "
                             "report exists) or STARTED first, then COMPLETE")
    parser.add_argument("--pattern-reps", type=int, default=1,
                        help="runs of the per-user pattern per N users (default 1; 0: none)")
    parser.add_argument("--pattern-every-key", action="store_true",
                        help="the per-user pattern without its shortcuts: every user's keys "
                             "listed, every key looked up (what naming each credential needs)")
    parser.add_argument("--blog-reps", type=int, default=1,
                        help="runs of the AWS blog's Python rule (bench/blog_rule.py) per N and L "
                             "of the roles runs (default 1; 0: none)")
    parser.add_argument("--reps", type=int, default=5, help="runs per (N, L) (default 5)")
    parser.add_argument("--roles", type=int_list, default=[1000, 5000, 10000],
                        help="account sizes, comma-separated (default 1000,5000,10000)")
    parser.add_argument("--latency-ms", type=float_list, default=[0.0, 50.0],
                        help="injected latency per request, comma-separated (default 0,50)")
    parser.add_argument("--binary", action="append", default=[], metavar="[LABEL=]PATH",
                        help="the function binary (default: $BENCH_BINARY, else cargo build "
                             "--release); give several to compare builds, their runs interleaved")
    parser.add_argument("--template", default=str(REPO / "template.yaml"),
                        help="the SAM template whose function environment the runs get "
                             "(default template.yaml)")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="C_cfg for the second floor (default: PUT_EVALUATIONS_CONCURRENCY "
                             "of the function's environment, else none)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the function, e.g. PUT_EVALUATIONS_CONCURRENCY=8")
    parser.add_argument("--recorded", choices=["none", "all"], default="none",
                        help="results the rule already holds in Config: none (default) or all "
                             "(one per role, plus --stale vanished ones; the clean-up read pages)")
    parser.add_argument("--stale", type=int, default=0, help="with --recorded all: vanished role ids")
    parser.add_argument("--event", default=str(REPO / "events" / "scheduled.json"))
    parser.add_argument("--publish", choices=["all", "changes", "omit"], default="all",
                        help="the rule parameter publish the event carries: all (default: every "
                             "result, one per principal, as every figure here), changes (then the "
                             "counts checked are the summary's evaluations_sent, at most one per "
                             "principal), or omit (a build without the parameter)")
    parser.add_argument("--json", help="write every run's measurements to this file")
    parser.add_argument("--logs", help="keep the function's logs in this directory")
    args = parser.parse_args()
    if args.quick:
        args.roles, args.users, args.latency_ms, args.reps = [1000], [1000], [0.0, 50.0], 1
        args.pattern_reps = min(args.pattern_reps, 1)
        args.report = "started"  # the polling path too
    kind = args.kind or ("all" if args.quick else "roles")
    kinds = ["roles", "users"] if kind == "all" else [kind]

    extra_env = dict(item.split("=", 1) for item in args.env)
    specs = args.binary or ([os.environ["BENCH_BINARY"]] if os.environ.get("BENCH_BINARY") else [])
    variants: list[dict] = []
    for spec in specs or [None]:
        label, _, path = spec.rpartition("=") if spec else ("", "", "")
        binary = Path(path).resolve() if spec else build_binary()
        if not binary.is_file():
            print(f"bench: no binary at {binary}", file=sys.stderr)
            return 2
        variants.append({
            "label": label or str(binary), "binary": binary, "runs": [],
            "sizes": {"binary_bytes": binary.stat().st_size, "zipped_bytes": zipped_size(binary),
                      "symbols": has_symbols(binary)},
        })
    template_env = template_environment(Path(args.template), FUNCTION_ID)
    function_env = {**template_env, **extra_env}
    c_cfg, c_cfg_source = configured_concurrency(args, function_env)
    event = with_publish(Path(args.event).read_bytes(), args.publish)
    users_env_template, users_env_source = users_function_environment(Path(args.template))
    users_function_env = {**users_env_template, **extra_env}
    user_event = with_publish(users_event(event), args.publish)

    load_before = loadavg()
    fake = Fake()
    runtime = RuntimeApi()
    threading.Thread(target=runtime.serve_forever, daemon=True).start()
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="bench-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    env = lambda_environment(runtime, fake, function_env)

    started = time.monotonic()
    total = 0
    patterns: list[dict] = []
    blogs: list[dict] = []  # the AWS blog's rule, beside the first binary's roles runs
    for variant in variants:
        variant["user_runs"] = []
    try:
        if "roles" in kinds:
            # Render the largest account first: smaller ones are its prefix, served from the cache.
            setup = fake.configure(max(args.roles), 0, args.recorded, args.stale)
            print(f"bench: fake account of {max(args.roles)} roles rendered in {setup['render_seconds']}s: "
                  f"{setup['iam_bytes_at_max_items'] / 1e6:.1f} MB of IAM pages, "
                  f"{setup['inline_policies']} inline policies of {setup['inline_policy_chars_mean']} "
                  f"characters on average", file=sys.stderr, flush=True)
            # One discarded run per binary first: it brings the binary into the page cache.
            for number, variant in enumerate(variants, start=1):
                binary = variant["binary"]
                run_once(binary, runtime, fake, {**env, "LAMBDA_TASK_ROOT": str(binary.parent)}, event,
                         min(args.roles), 0.0, args.recorded, args.stale,
                         logs / f"function-b{number}-warm-up.log")
            # Repetitions outermost and binaries innermost, so that load from elsewhere on the
            # machine spreads over every (N, L) and every binary alike.
            for rep in range(args.reps):
                for roles in args.roles:
                    for latency in args.latency_ms:
                        for number, variant in enumerate(variants, start=1):
                            binary = variant["binary"]
                            log_path = logs / f"function-b{number}-N{roles}-L{latency:g}-r{rep + 1}.log"
                            run_env = {**env, "LAMBDA_TASK_ROOT": str(binary.parent)}
                            run = run_once(binary, runtime, fake, run_env, event, roles, latency,
                                           args.recorded, args.stale, log_path)
                            run["rep"] = rep + 1
                            variant["runs"].append(run)
                            total += 1
                            name = f" [{variant['label']}]" if len(variants) > 1 else ""
                            print(f"bench: run {rep + 1}/{args.reps} N={roles} L={latency:g}ms{name}: "
                                  f"wall {run['wall_ms']:.0f} ms, cold start {run['cold_start_ms']:.1f} ms, "
                                  f"CPU {run['cpu_ms']:.0f} ms, peak RSS {run['peak_rss_mib']:.1f} MiB, "
                                  f"PutEvaluations in flight ≤ {run['max_put_in_flight']}",
                                  file=sys.stderr, flush=True)
                        if rep < args.blog_reps:
                            event_path = logs / "roles-event.json"
                            event_path.write_bytes(event)
                            blog_env = {k: v for k, v in env.items()
                                        if not k.startswith(("AWS_LAMBDA_", "_HANDLER"))}
                            blog = run_blog_once(fake, blog_env, event_path, roles, latency,
                                                 logs / f"blog-rule-N{roles}-L{latency:g}-r{rep + 1}.log")
                            blog["rep"] = rep + 1
                            blogs.append(blog)
                            print(f"bench: blog's rule {rep + 1}/{args.blog_reps} N={roles} L={latency:g}ms: "
                                  f"wall {blog['wall_ms']:.0f} ms ({blog['run_wall_ms']:.0f} ms after imports), "
                                  f"CPU {blog['cpu_ms']:.0f} ms ({blog['run_cpu_ms']:.0f} ms after imports), "
                                  f"peak RSS {blog['peak_rss_mib']:.1f} MiB", file=sys.stderr, flush=True)
        if "users" in kinds:
            user_env = {k: v for k, v in env.items() if k not in function_env}
            total += run_users(args, variants, patterns, runtime, fake,
                               {**user_env, **users_function_env}, user_event, logs)
    finally:
        fake.stop()
        runtime.shutdown()
    load_after = loadavg()

    conditions = (f"machine: {machine()}; load average before {load_before}, after {load_after}; "
                  f"{total} cold runs (after one discarded warm-up run per binary) in "
                  f"{time.monotonic() - started:.0f}s; "
                  f"recorded results: {args.recorded}"
                  + (f" (+{args.stale} stale)" if args.stale else "")
                  + f"; rule parameter publish: {args.publish}"
                  + f"; function environment: "
                  + " ".join(f"{k}={v}" for k, v in function_env.items())
                  + (f" (--env: {' '.join(args.env)})" if args.env else " (template.yaml)"))
    for variant in variants:
        if not variant["runs"]:
            continue
        print(report(variant["runs"], c_cfg, c_cfg_source, variant["sizes"],
                     f"iam-role-last-used benchmark: {variant['label']}"
                     + (f" ({variant['binary']})" if variant["label"] != str(variant["binary"]) else "")
                     + "\n"
                     + conditions))
        print()
    if blogs:
        print(blog_report(variants[0]["runs"], blogs, args.recorded,
                          f"iam-role-last-used beside the AWS blog's rule: {variants[0]['label']}\n"
                          + conditions))
        print()
    if len(variants) > 1 and variants[0]["runs"]:
        print("Comparison (median (min–max)):\n")
        print(compare(variants))
    for number, variant in enumerate(variants):
        if not variant["user_runs"]:
            continue
        print(users_report(variant["user_runs"], patterns if number == 0 else [],
                           f"iam-role-last-used benchmark, users rule: {variant['label']}\n"
                           f"{conditions}; users rule: GenerateCredentialReport {args.report}"
                           + (" (STARTED, then COMPLETE)" if args.report == "started" else " at once")
                           + f"; its function environment ({users_env_source}): "
                           + " ".join(f"{k}={v}" for k, v in users_function_env.items())))
        print()
    if args.json:
        Path(args.json).write_text(json.dumps({
            "c_cfg": c_cfg, "c_cfg_source": c_cfg_source, "load_before": load_before,
            "load_after": load_after, "machine": machine(),
            "variants": [{**v, "binary": str(v["binary"])} for v in variants],
            "per_user_pattern": patterns}, indent=1))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, subprocess.CalledProcessError) as failure:
        print(f"bench: FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
