"""Fixtures of the end-to-end suite: the two binaries (as `cargo test` builds them), the fake
account (moto), the function under cargo-lambda's Runtime API emulator, and the one TESTMODE run
that scenarios 1 and 3 both read. test_faults.py starts two more functions (`running_function`)
on an account of its own, with fast SDK retries and, for one, a short Lambda timeout.

The suite compiles nothing that `cargo test` has not: it runs the binaries `cargo test --no-run`
leaves at target/debug/ (a no-op after `cargo test`), and the emulator only serves the Lambda
APIs. E2E_FUNCTION_BINARY picks another function binary, e.g. the release bootstrap that
`sam build` makes (.aws-sam/build/RuleFunction/bootstrap); a relative path is from the repo root.

Everything listens on 127.0.0.1 only, on ports picked at run time, and is stopped at the end of
the session. When a test fails, the report carries the logs of the servers. The suite never
skips: a missing tool is a failure, and so is any skipped test (see pytest_sessionfinish).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .account import RoleSpec, build_account
from .fake_aws import ACCOUNT_ID, REGION, FakeAws, Recorder
from .lambda_emulator import FUNCTION_NAME, INVOKE_TIMEOUT_S, Invocation, LambdaEmulator

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


BINARIES = ("iam-role-last-used", "role-audit")
FUNCTION_BINARY_VARIABLE = "E2E_FUNCTION_BINARY"
# What the suite learnt about the build, printed at the end of the run.
BUILD_NOTES: list[str] = []


@pytest.fixture(scope="session")
def built_binaries() -> dict[str, Path]:
    """The two binaries as `cargo test` builds them (the CARGO_BIN_EXE_* of tests/it/cli.rs), by
    name: `cargo test --no-run --locked` builds what the tests need, with the same features
    (the SDK's dev-only test-util unified in), so after scripts/test's `cargo test` it compiles
    nothing. A plain `cargo build` or `cargo run` would build the SDK a second time without
    test-util. Each path is the one cargo reports for the bin target: cargo has just checked
    it against its sources (a clean clone has no dep-info file for it to read again)."""
    command = ["cargo", "test", "--no-run", "--locked", "--message-format=json-render-diagnostics"]
    if shutil.which("nice"):
        command = ["nice", "-n", "10", *command]
    with timed("cargo test --no-run"):
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

    binaries: dict[str, Path] = {}
    compiled = []
    for line in completed.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") != "compiler-artifact":
            continue
        target = message["target"]
        if not message.get("fresh", True):
            compiled.append(target["name"] + (" (test)" if message["profile"]["test"] else ""))
        if target["kind"] == ["bin"] and not message["profile"]["test"]:
            binaries[target["name"]] = Path(message["executable"])
    BUILD_NOTES.append(
        "cargo test --no-run: "
        + (f"compiled {len(compiled)} units of this package or its dependencies "
           f"({', '.join(compiled[:8])}{', ...' if len(compiled) > 8 else ''})"
           if compiled else "nothing compiled (every unit fresh)")
    )  # fmt: skip

    missing = [name for name in BINARIES if name not in binaries]
    if missing:
        pytest.fail(f"{' '.join(command)} reported no binary for {missing}", pytrace=False)
    for name in BINARIES:
        binary = binaries[name]
        if not binary.is_file():
            pytest.fail(f"{binary} is missing after {' '.join(command)}", pytrace=False)
        BUILD_NOTES.append(f"{name}: {binary}")
    return binaries


@pytest.fixture(scope="session")
def function_binary(built_binaries) -> Path:
    """The function binary to run: E2E_FUNCTION_BINARY if set, else `cargo test`'s debug one."""
    chosen = os.environ.get(FUNCTION_BINARY_VARIABLE, "").strip()
    if not chosen:
        return built_binaries["iam-role-last-used"]
    path = Path(chosen)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{FUNCTION_BINARY_VARIABLE}={chosen}: {path} is not an executable file",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def role_audit(built_binaries) -> list[str]:
    """The command that runs the offline CLI (already built; run directly, as `cargo run`
    would rebuild it with other features)."""
    return [str(built_binaries["role-audit"])]


# ---- the fake account --------------------------------------------------------------------


@pytest.fixture(scope="session")
def fake_aws():
    fake = FakeAws()
    SERVER_LOGS["moto server (requests)"] = fake.server_log
    SERVER_LOGS["moto server (recorded calls)"] = lambda: _describe_recorder(fake.recorder)
    try:
        with timed("moto server start"):
            fake.start()
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
        return seed_account(fake_aws, now, build_account(now))


def seed_account(
    fake_aws: FakeAws, now: datetime, specs: list[RoleSpec], account_id: str = ACCOUNT_ID
) -> Account:
    """Creates `specs` in moto's IAM for `account_id` (which must hold no role yet)."""
    roles: dict[str, RoleSpec] = {}
    for spec in specs:
        role_id = fake_aws.create_role(
            spec.name,
            spec.path,
            spec.created,
            spec.last_used,
            spec.region,
            spec.tags,
            account_id=account_id,
        )
        roles[role_id] = spec
    assert fake_aws.role_count(account_id) == len(roles) == len(specs), (
        "moto holds a different number of roles than were created (a RoleId collision?)"
    )
    return Account(now=now, roles=roles)


# ---- the function --------------------------------------------------------------------------


def function_environment(
    fake_aws: FakeAws, workdir: Path, access_key_id: str = "testing", **extra: str
) -> dict[str, str]:
    """What the function's environment holds besides what Lambda sets: every service goes to
    moto, signed with `access_key_id` (moto serves the account that key belongs to), plus
    `extra` (SDK_* overrides and the like)."""
    for empty in ("aws-config", "aws-credentials"):
        (workdir / empty).write_text("")
    return {
        # aws-config reads these: every service goes to moto, with dummy credentials.
        "AWS_ENDPOINT_URL": fake_aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        # Never read a developer's profile, nor ask for an instance role.
        "AWS_CONFIG_FILE": str(workdir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        **extra,
    }


@contextmanager
def running_function(
    cargo_lambda: str,
    function_binary: Path,
    env: dict[str, str],
    workdir: Path,
    label: str,
    function_timeout_s: int = INVOKE_TIMEOUT_S,
    invoked_function_arn: str | None = None,
):
    """The function binary under its own cargo-lambda Runtime API emulator, stopped on exit;
    its logs go with any failing test's report, under `label`. `invoked_function_arn`: the
    function's own ARN, handed to it with each event as Lambda does (the emulator's own value,
    `function-arn`, names no account)."""
    emulator = LambdaEmulator(
        REPO_ROOT,
        cargo_lambda,
        function_binary,
        env,
        workdir,
        function_timeout_s,
        invoked_function_arn,
    )
    SERVER_LOGS[f"function {FUNCTION_NAME} ({label}, {function_binary})"] = emulator.log
    SERVER_LOGS[f"cargo lambda watch --only-lambda-apis ({label})"] = emulator.emulator_log
    try:
        with timed(f"emulator + function start ({label})"):
            emulator.start()
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def function(cargo_lambda, function_binary: Path, fake_aws: FakeAws, tmp_path_factory):
    """The function binary under cargo-lambda's Runtime API emulator, pointed at moto."""
    workdir = tmp_path_factory.mktemp("lambda")
    env = function_environment(fake_aws, workdir)
    BUILD_NOTES.append(f"function under test: {function_binary}")
    with running_function(cargo_lambda, function_binary, env, workdir, "main") as emulator:
        yield emulator


def config_event(
    directory: Path,
    *,
    account: str,
    rule: str,
    result_token: str,
    template: str = "scheduled.json",
    parameters: dict | None = None,
    rule_arn: str | None = None,
    execution_role_arn: str | None = None,
) -> Path:
    """events/`template` as Config would send it for `rule` in `account`: the account in the
    event and its invokingEvent, the rule's name and ARN, and `result_token` (a token the fake
    issued, or TESTMODE); `parameters` replace the ruleParameters. Written to a new file in
    `directory`, whose path is returned."""
    event = json.loads((EVENTS / template).read_text())
    invoking = json.loads(event["invokingEvent"])
    invoking["awsAccountId"] = account
    event["invokingEvent"] = json.dumps(invoking)
    if parameters is not None:
        event["ruleParameters"] = json.dumps(parameters)
    event["accountId"] = account
    event["configRuleName"] = rule
    event["configRuleArn"] = rule_arn or f"arn:aws:config:{REGION}:{account}:config-rule/{rule}"
    if execution_role_arn is not None:
        event["executionRoleArn"] = execution_role_arn
    event["resultToken"] = result_token
    # A fresh name each time: a test may send the same rule several events.
    path = directory / f"{rule}-{account}-{len(list(directory.iterdir()))}.json"
    path.write_text(json.dumps(event, indent=2))
    return path


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
    lines = [
        f"attempt: {a.service} {a.operation} account {a.account_id}"
        + (f" page {a.iam_page}" if a.iam_page else "")
        + f" fault={a.fault} -> {a.status} ({a.seconds:.2f}s)"
        for a in snap.attempts
    ]
    lines += [f"{r.service} {r.action} {r.content_type} -> {r.status}" for r in snap.requests]
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
    if BUILD_NOTES:
        terminalreporter.section("end-to-end build")
        for note in BUILD_NOTES:
            terminalreporter.write_line(note)
    if TIMINGS:
        terminalreporter.section("end-to-end stage timings")
        for stage, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:7.1f}s  {stage}")


def pytest_report_header(config):
    chosen = os.environ.get(FUNCTION_BINARY_VARIABLE, "").strip()
    return [
        f"e2e: account {ACCOUNT_ID}, region {REGION}, repo {REPO_ROOT}",
        f"e2e: function binary {chosen or 'target/debug/iam-role-last-used (cargo test)'}"
        + (f" ({FUNCTION_BINARY_VARIABLE})" if chosen else ""),
    ]
