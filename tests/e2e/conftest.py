"""Fixtures of the end-to-end suite: the build, the fake account (moto), the function under
`cargo lambda watch`, and the one TESTMODE run that scenarios 1 and 3 both read.

Everything listens on 127.0.0.1 only, on ports picked at run time, and is stopped at the end of
the session. When a test fails, the report carries the logs of both servers. The suite never
skips: a missing tool is a failure, and so is any skipped test (see pytest_sessionfinish).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .account import RoleSpec, build_account
from .fake_aws import ACCOUNT_ID, REGION, FakeAws, Recorder
from .lambda_emulator import Invocation, LambdaEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS = REPO_ROOT / "events"
BUILD_TIMEOUT_S = 900
LOG_TAIL_LINES = 300

# Wall time of each stage, printed at the end of the run.
TIMINGS: dict[str, float] = {}
# name -> callable returning a server's log, attached to the report of a failing test.
SERVER_LOGS: dict[str, object] = {}
_SKIPPED: list[str] = []


class timed:
    def __init__(self, stage: str):
        self.stage = stage

    def __enter__(self):
        self.started = time.monotonic()

    def __exit__(self, *exc):
        TIMINGS[self.stage] = TIMINGS.get(self.stage, 0.0) + time.monotonic() - self.started


# ---- tools ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cargo_lambda() -> str:
    """cargo-lambda from the venv (scripts/setup-venv installs it), else from PATH."""
    beside_python = Path(sys.executable).parent / "cargo-lambda"
    found = str(beside_python) if beside_python.exists() else shutil.which("cargo-lambda")
    if not found:
        pytest.fail(
            "cargo-lambda is not installed: run scripts/e2e (it installs it with "
            "scripts/setup-venv), or pip install cargo-lambda",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def built_binaries() -> None:
    """Builds both binaries in debug, the profile `cargo lambda watch` runs, so the function
    starts at once instead of compiling under the first invocation's timeout."""
    command = ["cargo", "build", "--locked", "--bins"]
    if shutil.which("nice"):
        command = ["nice", "-n", "10", *command]
    with timed("cargo build --bins (debug)"):
        completed = subprocess.run(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
    if completed.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{completed.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def role_audit(built_binaries) -> list[str]:
    """The command that runs the offline CLI (already built)."""
    return ["cargo", "run", "--locked", "--quiet", "--bin", "role-audit", "--"]


# ---- the fake account --------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_aws():
    with timed("moto server start"):
        fake = FakeAws().start()
    SERVER_LOGS["moto server (requests)"] = fake.server_log
    SERVER_LOGS["moto server (recorded calls)"] = lambda: _describe_recorder(fake.recorder)
    try:
        yield fake
    finally:
        fake.stop()


@dataclass
class Account:
    now: datetime
    roles: dict[str, RoleSpec]  # by RoleId, in creation order


@pytest.fixture(scope="session")
def account(fake_aws: FakeAws) -> Account:
    """The 2 500 roles of account.py, created in moto's IAM backend."""
    with timed("seed 2500 roles into moto"):
        now = datetime.now(timezone.utc)
        specs = build_account(now)
        roles: dict[str, RoleSpec] = {}
        for spec in specs:
            role_id = fake_aws.create_role(
                spec.name, spec.path, spec.created, spec.last_used, spec.region, spec.tags
            )
            roles[role_id] = spec
    assert fake_aws.role_count() == len(roles) == len(specs), (
        "moto holds a different number of roles than were created (a RoleId collision?)"
    )
    return Account(now=now, roles=roles)


# ---- the function --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def function(cargo_lambda, built_binaries, fake_aws: FakeAws, tmp_path_factory):
    """The Lambda binary under cargo-lambda's Runtime API emulator, pointed at moto."""
    workdir = tmp_path_factory.mktemp("lambda")
    for empty in ("aws-config", "aws-credentials"):
        (workdir / empty).write_text("")
    env = {
        # aws-config reads these: every service goes to moto, with dummy credentials.
        "AWS_ENDPOINT_URL": fake_aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        # Never read a developer's profile, nor ask for an instance role.
        "AWS_CONFIG_FILE": str(workdir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
    }
    emulator = LambdaEmulator(REPO_ROOT, cargo_lambda, env, workdir / "cargo-lambda-watch.log")
    SERVER_LOGS["cargo lambda watch (and the function's own log)"] = emulator.log
    with timed("cargo lambda watch start"):
        emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@dataclass
class Run:
    invocation: Invocation
    recorded: Recorder


def invoke_and_record(function: LambdaEmulator, fake_aws: FakeAws, event: str) -> Run:
    fake_aws.recorder.clear()
    invocation = function.invoke(EVENTS / event)
    return Run(invocation, fake_aws.recorder.snapshot())


@pytest.fixture(scope="session")
def testmode_run(function, fake_aws, account) -> Run:
    """events/scheduled-testmode.json, once, on the seeded account."""
    with timed("TESTMODE invocation (2500 roles)"):
        run = invoke_and_record(function, fake_aws, "scheduled-testmode.json")
    assert run.invocation.ok, (
        f"the TESTMODE invocation failed:\n{run.invocation.stdout}\n{run.invocation.stderr}"
    )
    return run


# ---- reporting --------------------------------------------------------------------------


def _describe_recorder(recorder: Recorder) -> str:
    snap = recorder.snapshot()
    lines = [f"{r.service} {r.action} {r.content_type} -> {r.status}" for r in snap.requests]
    lines += [f"IAM page: {page}" for page in snap.iam_pages]
    lines += [
        f"PutEvaluations: {len(call.evaluations)} evaluations, TestMode={call.test_mode}, "
        f"{call.account_id}/{call.region}"
        for call in snap.put_evaluations
    ]
    return "\n".join(lines) or "(no requests since the last clear)"


def _tail(text: str) -> str:
    lines = text.splitlines()
    if len(lines) <= LOG_TAIL_LINES:
        return text
    return f"... ({len(lines) - LOG_TAIL_LINES} earlier lines left out)\n" + "\n".join(
        lines[-LOG_TAIL_LINES:]
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for name, read in SERVER_LOGS.items():
            try:
                text = read()
            except Exception as error:  # noqa: BLE001 - a report must not fail
                text = f"(could not read: {error})"
            report.sections.append((f"server log: {name}", _tail(text) or "(empty)"))


def pytest_runtest_logreport(report):
    if report.skipped:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # Never pass silently: a skipped test fails the suite (pytest itself exits 5 when it
    # collects no test).
    if _SKIPPED and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED:
        terminalreporter.write_line(
            f"FAIL: the end-to-end suite may not skip, but skipped: {', '.join(_SKIPPED)}",
            red=True,
        )
    if TIMINGS:
        terminalreporter.section("end-to-end stage timings")
        for stage, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:7.1f}s  {stage}")


def pytest_report_header(config):
    return [f"e2e: account {ACCOUNT_ID}, region {REGION}, repo {REPO_ROOT}"]
