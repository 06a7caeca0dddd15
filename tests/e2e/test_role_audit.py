"""role-audit for people: the real `role-audit` binary, live against the fake AWS.

The CLI runs as a user runs it: the standard credential chain with dummy keys from the
environment, every service at the fake (`AWS_ENDPOINT_URL`), no profile file, no instance
metadata, nothing inherited from the caller's environment but PATH, stdout and stderr piped.
It works on an account of its own (AUDIT_ACCOUNT: 120 roles of account.py's table, IAM pages of
at most 50 roles, so a live read takes 3 pages), so nothing here changes the other tests'
accounts; only the progress-line test reads the 2 500-role account (10 pages of 250).

1. `evaluate` live: JSON checked per RoleId against account.py's expected results, CSV equal to
   the JSON, the table's header, rows, order and count line, no colour when piped (colour on a
   terminal, none with NO_COLOR), nothing on stderr when piped (a progress line on a terminal),
   and the `--fail-on-non-compliant` exit codes.
2. `report`: after the Lambda stored the rule's results (a run without TestMode) and one role
   was deleted, one row per stored result, joined by RoleId with the live roles, the deleted
   role's row marked, `--compliance` filtering, exit codes.
3. Errors: exit 2, one line naming the failure and a hint, for a rule Config does not know,
   access denied by IAM or by Config, and no credentials at all.
4. `--kind users`, live on an account of its own (users_account.py's table, its credential
   report generated before the late users were created): `evaluate` JSON checked per UserId
   (the user missing from the report shown INSUFFICIENT_DATA, the deleted one absent), the
   table's user columns and count; `report --kind users` joins Config's AWS::IAM::User results
   with the live users by UserId and marks a deleted user's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .account import (
    COMPLIANT,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    SERVICE_LINKED,
    UNUSED_TOO_LONG,
    USED_RECENTLY,
    RoleSpec,
    build_account,
)
from .conftest import (
    EVENTS,
    REPO_ROOT,
    Account,
    config_event,
    function_environment,
    running_function,
    seed_account,
    timed,
)
from .fake_aws import (
    ACCESS_DENIED,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    REGION,
    FakeAws,
)
from .users_account import CREATED_AFTER_REPORT, DELETED, NOT_IN_REPORT, REPORT_AGE
from .users_account import PARAMETERS as USER_PARAMETERS
from .users_account import UserSpec, build_users

AUDIT_ACCOUNT = "444455556666"
ROLES = 120
IAM_PAGE_LIMIT = 50
IAM_PAGES = -(-ROLES // IAM_PAGE_LIMIT)  # 3
RESULTS_PAGE = 100  # GetComplianceDetailsByConfigRule's Limit (src/aws/config_rule.rs)
# The parameters account.py's expected results are for (events/scheduled-testmode.json's).
RULE_PARAMETERS = json.loads(
    json.loads((EVENTS / "scheduled-testmode.json").read_text())["ruleParameters"]
)
REPORT_RULE = "e2e-role-audit-report"
CLI_TIMEOUT_S = 120

ROW_KEYS = [
    "RoleName",
    "Path",
    "RoleId",
    "ComplianceType",
    "DaysSinceLastUse",
    "LastUsedRegion",
    "Annotation",
]
# The privilege label the annotation starts with (findings only; null here, where no role has
# a policy): always the last key.
JSON_KEYS = [*ROW_KEYS, "Privilege"]
REPORT_JSON_KEYS = [*ROW_KEYS, "ResultRecordedTime", "Privilege"]
# CSV always has every column (JSON leaves out what a command does not fill in); AccountId is
# for aggregator reports (`report --aggregator`), empty here.
CSV_HEADER = [*ROW_KEYS, "ResultRecordedTime", "AccountId", "Privilege"]
EVALUATE_HEADER = ["COMPLIANCE", "ROLE", "ROLE ID", "UNUSED", "REGION", "REASON"]
REPORT_HEADER = ["COMPLIANCE", "ROLE", "ROLE ID", "UNUSED", "REGION", "RECORDED", "REASON"]
RANK = {NON_COMPLIANT: 0, COMPLIANT: 1, NOT_APPLICABLE: 2}
GONE = "(no longer exists)"

# Fast retries for the error cases: the errors here are not retried, and a hang would show.
FAST_SDK = {
    "SDK_MAX_ATTEMPTS": "2",
    "SDK_INITIAL_BACKOFF_MS": "10",
    "SDK_MAX_BACKOFF_MS": "50",
    "SDK_ATTEMPT_TIMEOUT_MS": "5000",
    "SDK_OPERATION_TIMEOUT_MS": "10000",
}

# What role-audit prints when a hint is missing or differs from the README's promise: the
# assertion says so, for the Rust side to fix.
HINT_PROBLEM = "ROLE-AUDIT HINT MISSING OR WRONG (a bug in src/cli/hints.rs, not the test)"
ONE_LINE_PROBLEM = (
    "ROLE-AUDIT ERROR IS NOT ONE LINE (the README promises one clear line and a hint; a bug in "
    "the Rust error rendering, not the test)"
)


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def audit_account(fake_aws: FakeAws) -> Account:
    fake_aws.iam_page_limit[AUDIT_ACCOUNT] = IAM_PAGE_LIMIT
    with timed(f"seed {ROLES} roles into the role-audit account"):
        now = datetime.now(timezone.utc)
        return seed_account(fake_aws, now, build_account(now, ROLES), AUDIT_ACCOUNT)


@pytest.fixture(scope="module")
def audit_key(fake_aws: FakeAws) -> str:
    return fake_aws.access_key_for(AUDIT_ACCOUNT)


@pytest.fixture(autouse=True)
def no_faults_left_over(fake_aws: FakeAws):
    yield
    fake_aws.faults.clear()


def cli_environment(fake_aws: FakeAws, access_key_id: str | None, **extra: str) -> dict[str, str]:
    """A user's shell, reduced to what matters: PATH, the fake's endpoint, dummy keys (none at
    all when `access_key_id` is None), the Region, no profile files and no instance metadata."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_ENDPOINT_URL": fake_aws.endpoint_url,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        **extra,
    }
    if access_key_id is not None:
        env["AWS_ACCESS_KEY_ID"] = access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
    return env


@dataclass
class Cli:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> list[dict]:
        return json.loads(self.stdout)


def run_cli(role_audit: list[str], env: dict[str, str], *args: str) -> Cli:
    with timed("role-audit runs"):
        completed = subprocess.run(
            [*role_audit, *args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CLI_TIMEOUT_S,
        )
    # Decoded as written: no newline translation, so CSV's CRLF stays visible.
    return Cli(
        completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    )


def run_on_terminal(role_audit: list[str], env: dict[str, str], stream: str, *args: str):
    """role-audit with `stream` ("stdout" or "stderr") on a pseudo-terminal and the other one
    piped: (exit code, what the pipe got, what the terminal got). The terminal is read while
    the process runs, so a long output cannot block it."""
    master, slave = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
    with timed("role-audit runs"):
        process = subprocess.Popen(
            [*role_audit, *args], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, **streams
        )
        os.close(slave)
        chunks: list[bytes] = []

        def drain() -> None:
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the process closed the terminal
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            out, err = process.communicate(timeout=CLI_TIMEOUT_S)
        finally:
            reader.join(10)
            os.close(master)
    piped = (err if stream == "stdout" else out).decode("utf-8")
    return process.returncode, piped, b"".join(chunks).decode("utf-8")


@pytest.fixture(scope="module")
def audit(role_audit, fake_aws, audit_key, audit_account):
    """Runs role-audit on the audit account, as a user with read access to it."""
    env = cli_environment(fake_aws, audit_key)

    def run(*args: str) -> Cli:
        return run_cli(role_audit, env, *args)

    return run


def evaluate_args(*extra: str) -> list[str]:
    return ["evaluate", "--rule-parameters", json.dumps(RULE_PARAMETERS), *extra]


# ---- what the rows must say ---------------------------------------------------------------


def expected_evaluate_row(role_id: str, spec: RoleSpec) -> dict:
    """`role-audit evaluate`'s row for a role: the rule's result, and the days and Region of
    the last use where that use decided it (README rows 6 and 7)."""
    decided_by_use = spec.kind.rule in (UNUSED_TOO_LONG, USED_RECENTLY)
    return {
        "RoleName": spec.name,
        "Path": spec.path,
        "RoleId": role_id,
        "ComplianceType": spec.expected_compliance,
        "DaysSinceLastUse": spec.expected_days_since_last_use,
        "LastUsedRegion": spec.region if decided_by_use else None,
        "Annotation": spec.expected_annotation,
        "Privilege": None,
    }


def csv_text(value) -> str:
    return "" if value is None else str(value)


def table_rows(text: str, header: list[str]) -> tuple[list[dict[str, str]], list[str]]:
    """The table's rows as {column: cell}, cut at the header's column starts (the columns are
    padded to a common width), and the lines after the rows."""
    lines = text.split("\n")
    head = lines[0]
    assert re.split(r"\s{2,}", head) == header, f"table header {head!r}"
    starts = [head.index(name) for name in header]
    rows, index = [], 1
    while index < len(lines) and lines[index]:
        line = lines[index]
        cells = [
            line[start : (starts[i + 1] if i + 1 < len(starts) else None)].strip()
            for i, start in enumerate(starts)
        ]
        rows.append(dict(zip(header, cells)))
        index += 1
    return rows, lines[index:]


def table_order(rows: list[dict]) -> list[str]:
    """RoleIds in the README's table order: NON_COMPLIANT first, then COMPLIANT, then
    NOT_APPLICABLE; longest unused first (no recorded use last); then by name and RoleId."""

    def key(row: dict):
        days = row["DaysSinceLastUse"]
        return (
            RANK[row["ComplianceType"]],
            days is None,
            -(days or 0),
            row["RoleName"],
            row["RoleId"],
        )

    return [row["RoleId"] for row in sorted(rows, key=key)]


def summary_line(rows: list[dict], gone: int = 0) -> str:
    counts = {kind: sum(1 for r in rows if r["ComplianceType"] == kind) for kind in RANK}
    line = (
        f"{len(rows)} roles: {counts[NON_COMPLIANT]} NON_COMPLIANT, {counts[COMPLIANT]} "
        f"COMPLIANT, {counts[NOT_APPLICABLE]} NOT_APPLICABLE"
    )
    return line + (f" ({gone} no longer exists)" if gone == 1 else "")


def assert_table(
    text: str, rows: list[dict], header: list[str], gone: int = 0, details: dict[str, str] | None = None
) -> None:
    """The table shows exactly `rows` (the JSON rows of the same command), in order, then a
    blank line and the count line. details: RoleId -> the verdict worded with ages, which
    `evaluate` shows in place of the annotation; without it the reason is the annotation."""
    assert "\x1b" not in text, "colour codes in a table written to a pipe"
    shown, rest = table_rows(text, header)
    assert rest == ["", summary_line(rows, gone), ""], f"after the rows: {rest!r}"
    by_id = {row["RoleId"]: row for row in rows}
    assert [cell["ROLE ID"] for cell in shown] == table_order(rows)
    wrong = []
    for cell in shown:
        row = by_id[cell["ROLE ID"]]
        name = row["RoleName"]
        days, region = row["DaysSinceLastUse"], row["LastUsedRegion"]
        reason = details[row["RoleId"]] if details is not None else row["Annotation"]
        want = {
            "COMPLIANCE": row["ComplianceType"],
            "ROLE": name or GONE,
            "ROLE ID": row["RoleId"],
            "UNUSED": "-" if days is None else f"{days}d",
            "REGION": region or "-",
            # The reason is the annotation (or detail) without the role name it starts with.
            "REASON": reason.removeprefix(f"{name}: ") if name else reason,
        }
        if "RECORDED" in header:
            want["RECORDED"] = row["ResultRecordedTime"]
        if cell != want:
            wrong.append(f"got {cell}\nwant {want}")
    assert not wrong, f"{len(wrong)} table rows differ (first 5):\n" + "\n".join(wrong[:5])


# ---- 1. evaluate, live --------------------------------------------------------------------


def test_evaluate_live_json_has_the_expected_result_for_every_role(
    audit, fake_aws, audit_account
):
    fake_aws.recorder.clear()
    result = audit(*evaluate_args("--format", "json"))

    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = result.json()
    assert all(list(row) == JSON_KEYS for row in rows), rows[:2]
    by_id = {row["RoleId"]: row for row in rows}
    assert len(by_id) == len(rows) == ROLES
    assert set(by_id) == set(audit_account.roles)
    wrong = [
        f"got {by_id[role_id]}\nwant {expected_evaluate_row(role_id, spec)}"
        for role_id, spec in audit_account.roles.items()
        if by_id[role_id] != expected_evaluate_row(role_id, spec)
    ]
    assert not wrong, f"{len(wrong)} rows differ (first 5):\n" + "\n".join(wrong[:5])
    assert {row["ComplianceType"] for row in rows} == set(RANK)

    # Live, it only reads IAM: every page, signed for the audit account; nothing from Config.
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.account_id, a.iam_page, a.status) for a in attempts] == [
        (GET_ACCOUNT_AUTHORIZATION_DETAILS, AUDIT_ACCOUNT, page, 200)
        for page in range(1, IAM_PAGES + 1)
    ]


def test_evaluate_live_csv_is_the_json_rows(audit, audit_account):
    as_json = audit(*evaluate_args("--format", "json"))
    as_csv = audit(*evaluate_args("--format", "csv"))

    assert (as_csv.returncode, as_csv.stderr) == (0, ""), as_csv.stderr
    assert as_csv.stdout.endswith("\r\n")
    reader = csv.DictReader(io.StringIO(as_csv.stdout, newline=""))
    assert reader.fieldnames == CSV_HEADER
    got = list(reader)
    # The same rows, the columns evaluate leaves out of its JSON empty.
    assert got == [{key: csv_text(row.get(key)) for key in CSV_HEADER} for row in as_json.json()]
    assert {row["ResultRecordedTime"] for row in got} == {row["AccountId"] for row in got} == {""}
    # The annotations hold commas and quotes: quoted as RFC 4180 says, read back intact.
    assert any("," in row["Annotation"] for row in got)


def test_evaluate_live_table_lists_non_compliant_first_and_counts_without_colour(
    audit, audit_account
):
    as_json = audit(*evaluate_args("--format", "json")).json()
    table = audit(*evaluate_args("--format", "table"))
    default = audit(*evaluate_args())

    assert (table.returncode, table.stderr) == (0, ""), table.stderr
    assert default.stdout == table.stdout, "table is the default format"
    # People read ages; the JSON's Annotation is what Config gets.
    details = {role_id: spec.expected_detail for role_id, spec in audit_account.roles.items()}
    assert_table(table.stdout, as_json, EVALUATE_HEADER, details=details)
    assert table.stdout.splitlines()[-1] == summary_line(as_json)
    counts = re.fullmatch(
        r"(\d+) roles: (\d+) NON_COMPLIANT, (\d+) COMPLIANT, (\d+) NOT_APPLICABLE",
        table.stdout.splitlines()[-1],
    )
    assert counts and int(counts.group(1)) == ROLES
    assert all(int(counts.group(n)) > 0 for n in (2, 3, 4))


def test_evaluate_table_is_coloured_on_a_terminal_only_without_no_color(
    role_audit, fake_aws, audit_key, audit_account
):
    env = cli_environment(fake_aws, audit_key)
    code, stderr, coloured = run_on_terminal(role_audit, env, "stdout", *evaluate_args())
    code_plain, _, plain = run_on_terminal(
        role_audit, {**env, "NO_COLOR": "1"}, "stdout", *evaluate_args()
    )

    assert (code, stderr, code_plain) == (0, "", 0), stderr
    # The compliance cell of each row, in its colour (the header is not coloured).
    assert "\x1b[31mNON_COMPLIANT" in coloured and "\x1b[32mCOMPLIANT" in coloured
    assert "\x1b[2mNOT_APPLICABLE" in coloured
    assert coloured.splitlines()[0].startswith("COMPLIANCE")
    assert "\x1b" not in plain, "NO_COLOR set: no colour even on a terminal"
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_evaluate_shows_progress_on_a_terminal_only(role_audit, fake_aws, account):
    """On the 2 500-role account (10 IAM pages of 250): a progress line on stderr when it is
    a terminal, cleared at the end; nothing at all on stderr when it is piped."""
    env = cli_environment(fake_aws, "testing")  # the 2 500-role account's keys
    code, stdout, terminal = run_on_terminal(
        role_audit, env, "stderr", *evaluate_args("--format", "json")
    )
    piped = run_cli(role_audit, env, *evaluate_args("--format", "json"))

    assert code == 0, terminal
    assert len(json.loads(stdout)) == len(account.roles)
    assert "reading IAM roles: 2500 roles in 10 pages" in terminal, repr(terminal)
    assert terminal.endswith("\r\x1b[2K"), f"the progress line is not cleared: {terminal!r}"
    assert (piped.returncode, piped.stderr) == (0, ""), piped.stderr
    assert piped.stdout == stdout


def test_evaluate_fail_on_non_compliant_exit_codes(audit, audit_account):
    failing = audit(*evaluate_args("--format", "json", "--fail-on-non-compliant"))
    # Every role allowlisted: nothing is NON_COMPLIANT (service-linked roles stay
    # NOT_APPLICABLE: that rule comes first).
    passing = audit("evaluate", "--allowlist", "*", "--format", "json", "--fail-on-non-compliant")

    assert (failing.returncode, failing.stderr) == (1, ""), failing.stderr
    assert any(row["ComplianceType"] == NON_COMPLIANT for row in failing.json())
    assert (passing.returncode, passing.stderr) == (0, ""), passing.stderr
    rows = {row["RoleId"]: row for row in passing.json()}
    assert set(rows) == set(audit_account.roles)
    for role_id, spec in audit_account.roles.items():
        if spec.kind.rule == SERVICE_LINKED:
            want = (NOT_APPLICABLE, spec.expected_annotation)
        else:
            want = (COMPLIANT, f"{spec.name}: allowlisted by pattern *")
        assert (rows[role_id]["ComplianceType"], rows[role_id]["Annotation"]) == want


# ---- 2. report ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def audit_function(cargo_lambda, function_binary, fake_aws, audit_key, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lambda-role-audit")
    env = function_environment(fake_aws, workdir, audit_key)
    with running_function(cargo_lambda, function_binary, env, workdir, "role-audit") as emulator:
        yield emulator


def audit_event(fake_aws: FakeAws, directory: Path, rule: str) -> Path:
    """events/scheduled.json for `rule` in the audit account, with account.py's parameters and
    a ResultToken the fake issued for the rule: a run without TestMode, so results are kept."""
    # publish=all: Config then holds a result for every role, NOT_APPLICABLE ones included,
    # which the report must show too.
    return config_event(
        directory, account=AUDIT_ACCOUNT, rule=rule, parameters={**RULE_PARAMETERS, "publish": "all"},
        result_token=fake_aws.config_results.result_token(rule, AUDIT_ACCOUNT, REGION),
    )  # fmt: skip


@dataclass
class Recorded:
    stored: dict[str, dict]  # the rule's results in Config, by RoleId
    deleted_id: str
    deleted: RoleSpec


@pytest.fixture(scope="module")
def recorded(audit_function, fake_aws, audit_account, tmp_path_factory) -> Recorded:
    """The Lambda's run on the audit account, results kept under REPORT_RULE, then one role
    deleted: a NON_COMPLIANT one made for this, so the audit account keeps its 120 roles."""
    template = next(s for s in audit_account.roles.values() if s.kind.slug == "never-900")
    name = "to-be-deleted-after-the-run"
    deleted = replace(
        template,
        name=name,
        expected_annotation=template.expected_annotation.replace(template.name, name, 1),
    )
    deleted_id = fake_aws.create_role(
        deleted.name, deleted.path, deleted.created, deleted.last_used, deleted.region,
        deleted.tags, account_id=AUDIT_ACCOUNT,
    )  # fmt: skip
    try:
        event = audit_event(fake_aws, tmp_path_factory.mktemp("role-audit-events"), REPORT_RULE)
        with timed("role-audit: the Lambda run that stores results"):
            invocation = audit_function.invoke(event)
    finally:
        fake_aws.delete_role(deleted.name, AUDIT_ACCOUNT)
    assert invocation.ok, f"{invocation.stdout}\n{invocation.stderr}"
    assert invocation.response()["principals"] == ROLES + 1
    assert fake_aws.role_count(AUDIT_ACCOUNT) == ROLES
    stored = fake_aws.config_results.stored(REPORT_RULE, AUDIT_ACCOUNT, REGION)
    assert set(stored) == {*audit_account.roles, deleted_id}
    return Recorded(stored, deleted_id, deleted)


def recorded_time(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_report_row(recorded: Recorded, account: Account, role_id: str) -> dict:
    """The report's row for a stored result: name, path, days and Region of the role's last
    use from the live account (empty when the role is gone), result and annotation from
    Config, with when Config recorded it."""
    result = recorded.stored[role_id]
    spec = account.roles.get(role_id)
    return {
        "RoleName": spec.name if spec else "",
        "Path": spec.path if spec else "",
        "RoleId": role_id,
        "ComplianceType": result["ComplianceType"],
        "DaysSinceLastUse": spec.kind.used_days_ago if spec else None,
        "LastUsedRegion": spec.region if spec else None,
        "Annotation": result["Annotation"],
        "ResultRecordedTime": recorded_time(result["ResultRecordedTime"]),
        "Privilege": None,
    }


def test_report_joins_every_stored_result_with_the_live_roles(
    audit, fake_aws, recorded, audit_account
):
    fake_aws.recorder.clear()
    result = audit("report", "--rule-name", REPORT_RULE, "--format", "json")

    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = result.json()
    assert all(list(row) == REPORT_JSON_KEYS for row in rows), rows[:2]
    by_id = {row["RoleId"]: row for row in rows}
    assert len(by_id) == len(rows) == len(recorded.stored) == ROLES + 1
    assert set(by_id) == set(recorded.stored)
    wrong = [
        f"got {by_id[rid]}\nwant {expected_report_row(recorded, audit_account, rid)}"
        for rid in recorded.stored
        if by_id[rid] != expected_report_row(recorded, audit_account, rid)
    ]
    assert not wrong, f"{len(wrong)} rows differ (first 5):\n" + "\n".join(wrong[:5])
    # Config's results are the rule's: the expected result and annotation of every role.
    for role_id, spec in audit_account.roles.items():
        assert (by_id[role_id]["ComplianceType"], by_id[role_id]["Annotation"]) == (
            spec.expected_compliance,
            spec.expected_annotation,
        )
    gone = by_id[recorded.deleted_id]
    assert (gone["RoleName"], gone["ComplianceType"], gone["Annotation"]) == (
        "",
        NON_COMPLIANT,
        recorded.deleted.expected_annotation,
    )

    # Every page of the rule's results, then every IAM page, all for the audit account.
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.account_id, a.status) for a in attempts] == [
        (GET_COMPLIANCE_DETAILS, AUDIT_ACCOUNT, 200)
    ] * -(-(ROLES + 1) // RESULTS_PAGE) + [
        (GET_ACCOUNT_AUTHORIZATION_DETAILS, AUDIT_ACCOUNT, 200)
    ] * IAM_PAGES


def test_report_csv_and_table_show_the_same_rows_and_the_deleted_role(audit, recorded):
    rows = audit("report", "--rule-name", REPORT_RULE, "--format", "json").json()
    as_csv = audit("report", "--rule-name", REPORT_RULE, "--format", "csv")
    table = audit("report", "--rule-name", REPORT_RULE)

    assert (as_csv.returncode, as_csv.stderr) == (0, ""), as_csv.stderr
    got = list(csv.DictReader(io.StringIO(as_csv.stdout, newline="")))
    assert got == [{key: csv_text(row.get(key)) for key in CSV_HEADER} for row in rows]

    assert (table.returncode, table.stderr) == (0, ""), table.stderr
    assert_table(table.stdout, rows, REPORT_HEADER, gone=1)
    gone_lines = [line for line in table.stdout.splitlines() if recorded.deleted_id in line]
    assert len(gone_lines) == 1 and GONE in gone_lines[0], gone_lines
    assert table.stdout.splitlines()[-1].endswith(" (1 no longer exists)")


def test_report_compliance_filter_and_fail_on_non_compliant(audit, recorded, audit_account):
    only = audit(
        "report", "--rule-name", REPORT_RULE, "--compliance", "NON_COMPLIANT", "--format", "json"
    )
    failing = audit("report", "--rule-name", REPORT_RULE, "--fail-on-non-compliant")
    passing = audit(
        "report", "--rule-name", REPORT_RULE, "--compliance", "COMPLIANT,NOT_APPLICABLE",
        "--format", "json", "--fail-on-non-compliant",
    )  # fmt: skip

    assert (only.returncode, only.stderr) == (0, ""), only.stderr
    non_compliant = {
        rid for rid, result in recorded.stored.items() if result["ComplianceType"] == NON_COMPLIANT
    }
    assert recorded.deleted_id in non_compliant
    assert {row["RoleId"] for row in only.json()} == non_compliant
    assert len(only.json()) == len(non_compliant)
    assert {row["ComplianceType"] for row in only.json()} == {NON_COMPLIANT}

    assert (failing.returncode, failing.stderr) == (1, ""), failing.stderr
    assert failing.stdout.splitlines()[-1] == summary_line(
        [{"ComplianceType": r["ComplianceType"]} for r in recorded.stored.values()], gone=1
    )
    assert (passing.returncode, passing.stderr) == (0, ""), passing.stderr
    assert {row["ComplianceType"] for row in passing.json()} == {COMPLIANT, NOT_APPLICABLE}
    assert len(passing.json()) == len(recorded.stored) - len(non_compliant)


# ---- 3. errors: exit 2, one line, a hint --------------------------------------------------


def stderr_lines(result: Cli) -> list[str]:
    return result.stderr.splitlines()


def test_the_fake_answers_an_unknown_rule_as_config_does(fake_aws, audit_key):
    """HTTP 400 with Config's JSON error body: what role-audit's hint is keyed on."""
    request = urllib.request.Request(
        fake_aws.endpoint_url + "/",
        data=json.dumps({"ConfigRuleName": "e2e-no-such-rule"}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "StarlingDoveService.GetComplianceDetailsByConfigRule",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={audit_key}/20260101/{REGION}/config/aws4_request, "
                "SignedHeaders=host, Signature=0"
            ),
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert json.loads(raised.value.read()) == {
        "__type": "NoSuchConfigRuleException",
        "message": "The ConfigRule 'e2e-no-such-rule' provided in the request is invalid. "
        "Please check the configRule name",
    }


def test_a_rule_config_does_not_know_exits_2_with_a_hint_about_rule_name(
    role_audit, fake_aws, audit_key, audit_account
):
    rule = "e2e-no-such-rule"
    fake_aws.recorder.clear()
    result = run_cli(
        role_audit, cli_environment(fake_aws, audit_key, **FAST_SDK), "report", "--rule-name", rule
    )

    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert lines[0] == (
        f'role-audit: reading the results of Config rule "{rule}" failed: '
        f"NoSuchConfigRuleException: The ConfigRule '{rule}' provided in the request is "
        "invalid. Please check the configRule name"
    ), result.stderr
    assert lines[1:] == [
        f'hint: there is no Config rule named "{rule}" in this Region: check --rule-name '
        "(the stack's ConfigRuleName output) and --region"
    ], f"{HINT_PROBLEM}: stderr was {result.stderr!r}"
    assert "--rule-name" in lines[1]
    # One request, answered 400 by the fake as by Config; not retried, IAM never read.
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.status) for a in attempts] == [(GET_COMPLIANCE_DETAILS, 400)]


def denied(service: str, operation: str) -> str:
    return (
        f"User: arn:aws:iam::{AUDIT_ACCOUNT}:user/e2e-function-credentials is not authorized "
        f"to perform: {service}:{operation} on resource: * because no identity-based policy "
        f"allows the {service}:{operation} action"
    )


def test_iam_access_denied_exits_2_with_a_hint_naming_the_permission(
    role_audit, fake_aws, audit_key, audit_account
):
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [ACCESS_DENIED])
    fake_aws.recorder.clear()
    result = run_cli(
        role_audit, cli_environment(fake_aws, audit_key, **FAST_SDK), *evaluate_args()
    )

    assert fake_aws.faults.pending() == {}
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert lines[0] == (
        "role-audit: IAM GetAccountAuthorizationDetails failed on page 1: AccessDenied: "
        f"{denied('iam', GET_ACCOUNT_AUTHORIZATION_DETAILS)}"
    ), result.stderr
    assert lines[1:] == [
        "hint: the credentials in use are not allowed iam:GetAccountAuthorizationDetails; "
        "role-audit needs it (read-only)"
    ], f"{HINT_PROBLEM}: stderr was {result.stderr!r}"
    # IAM's own answer: HTTP 403, not retried.
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.fault, a.status) for a in attempts] == [
        (GET_ACCOUNT_AUTHORIZATION_DETAILS, "access_denied", 403)
    ]


def test_config_access_denied_exits_2_with_a_hint_naming_the_permission(
    role_audit, fake_aws, audit_key, recorded
):
    fake_aws.faults.plan(GET_COMPLIANCE_DETAILS, [ACCESS_DENIED])
    fake_aws.recorder.clear()
    result = run_cli(
        role_audit,
        cli_environment(fake_aws, audit_key, **FAST_SDK),
        "report", "--rule-name", REPORT_RULE,
    )  # fmt: skip

    assert fake_aws.faults.pending() == {}
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert lines[0] == (
        f'role-audit: reading the results of Config rule "{REPORT_RULE}" failed: '
        f"AccessDeniedException: {denied('config', GET_COMPLIANCE_DETAILS)}"
    ), result.stderr
    assert lines[1:] == [
        "hint: the credentials in use are not allowed config:GetComplianceDetailsByConfigRule; "
        "role-audit needs it (read-only)"
    ], f"{HINT_PROBLEM}: stderr was {result.stderr!r}"
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.fault, a.status) for a in attempts] == [
        (GET_COMPLIANCE_DETAILS, "access_denied", 400)
    ]


CREDENTIALS_HINT = (
    "hint: no AWS credentials were found: pass --profile, set AWS_PROFILE or the "
    "AWS_ACCESS_KEY_ID variables, or run `aws sso login`"
)


@pytest.mark.parametrize(
    ("args", "first_line_start"),
    [
        (evaluate_args(), "role-audit: IAM GetAccountAuthorizationDetails failed on page 1: "),
        (
            ["report", "--rule-name", REPORT_RULE],
            f'role-audit: reading the results of Config rule "{REPORT_RULE}" failed: ',
        ),
    ],
    ids=["evaluate", "report"],
)
def test_no_credentials_exits_2_with_the_credentials_hint_and_no_request(
    role_audit, fake_aws, args, first_line_start
):
    fake_aws.recorder.clear()
    result = run_cli(role_audit, cli_environment(fake_aws, None, **FAST_SDK), *args)

    assert result.returncode == 2, result
    assert result.stdout == ""
    assert fake_aws.recorder.snapshot().attempts == [], "nothing can be signed: no request"
    lines = stderr_lines(result)
    assert lines[0].startswith(first_line_start + "dispatch failure: "), result.stderr
    assert "no credentials found in chain" in lines[0], result.stderr
    assert lines[-1] == CREDENTIALS_HINT, f"{HINT_PROBLEM}: stderr was {result.stderr!r}"
    # The README: "2 for errors, with one clear line on stderr and a hint".
    assert len(lines) == 2 and "DispatchFailure(" not in result.stderr, (
        f"{ONE_LINE_PROBLEM}: the error takes {len(lines) - 1} lines, the SDK's provider chain "
        f"and its Debug dump included; stderr was {result.stderr!r}"
    )


# ---- 4. --kind users ----------------------------------------------------------------------

USERS_AUDIT_ACCOUNT = "555566667777"
USERS_REPORT_RULE = "e2e-role-audit-users-report"
USER_JSON_KEYS = ["UserName", "Path", "UserId", *JSON_KEYS[3:]]
USERS_EVALUATE_HEADER = ["COMPLIANCE", "USER", "USER ID", "REASON"]


@dataclass
class UsersAudit:
    specs: list[UserSpec]
    run: object  # (*args) -> Cli

    def listed(self) -> list[UserSpec]:
        return [u for u in self.specs if u.row.rule != DELETED]


@pytest.fixture(scope="module")
def users_audit(role_audit, fake_aws) -> UsersAudit:
    """users_account.py's users in an account of their own; the credential report (complete,
    generated REPORT_AGE ago) was taken before the late users were created and the deleted one
    was deleted."""
    with timed("seed the role-audit users account"):
        now = datetime.now(timezone.utc)
        specs = build_users(now)
        key = fake_aws.key_without_user(USERS_AUDIT_ACCOUNT)
        late = (CREATED_AFTER_REPORT, NOT_IN_REPORT)

        def create(spec: UserSpec) -> None:
            spec.user_id = fake_aws.create_user(
                spec.name, spec.path, spec.created, spec.tags,
                password_set=spec.password_set, password_last_used=spec.password_last_used,
                keys=spec.keys, account_id=USERS_AUDIT_ACCOUNT,
            )  # fmt: skip

        for spec in specs:
            if spec.row.rule not in late:
                create(spec)
        reports = fake_aws.credential_reports
        generated = (now - REPORT_AGE).replace(microsecond=0)
        reports.put(USERS_AUDIT_ACCOUNT, reports.snapshot(USERS_AUDIT_ACCOUNT, at=generated))
        for spec in specs:
            if spec.row.rule in late:
                create(spec)
        for spec in specs:
            if spec.row.rule == DELETED:
                fake_aws.delete_user(spec.name, account_id=USERS_AUDIT_ACCOUNT)
    env = cli_environment(fake_aws, key)
    return UsersAudit(specs, lambda *args: run_cli(role_audit, env, *args))


def users_evaluate(users_audit: UsersAudit, *extra: str) -> Cli:
    return users_audit.run(
        "evaluate", "--kind", "users", "--rule-parameters", json.dumps(USER_PARAMETERS), *extra
    )


def test_evaluate_users_live_json_has_the_expected_result_for_every_user(users_audit):
    result = users_evaluate(users_audit, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = result.json()
    assert all(list(row) == USER_JSON_KEYS for row in rows), rows[0]
    by_id = {row["UserId"]: row for row in rows}
    assert len(by_id) == len(rows), "one row per UserId"
    listed = users_audit.listed()
    assert set(by_id) == {u.user_id for u in listed}, "every listed user, the deleted one absent"
    wrong = []
    for spec in listed:
        row = by_id[spec.user_id]
        got = (row["UserName"], row["Path"], row["ComplianceType"], row["Annotation"])
        want = (spec.name, spec.path, spec.expected_compliance, spec.expected_annotation)
        if got != want:
            wrong.append(f"{spec.row.slug}: got {got}, want {want}")
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong)
    assert {u.expected_compliance for u in listed} >= {"INSUFFICIENT_DATA", COMPLIANT, NON_COMPLIANT}


def test_evaluate_users_live_table_names_users_and_counts_them(users_audit):
    result = users_evaluate(users_audit)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0].strip()) == USERS_EVALUATE_HEADER
    listed = users_audit.listed()
    counts = {c: sum(u.expected_compliance == c for u in listed) for c in
              (NON_COMPLIANT, COMPLIANT, NOT_APPLICABLE, "INSUFFICIENT_DATA")}  # fmt: skip
    parts = [f"{n} {c}" for c, n in counts.items() if n or c != "INSUFFICIENT_DATA"]
    assert lines[-1] == f"{len(listed)} users: " + ", ".join(parts)


def test_report_users_joins_stored_results_with_the_live_users_by_user_id(users_audit, fake_aws):
    listed = users_audit.listed()
    stored = [u for u in listed if u.expected_compliance in (COMPLIANT, NON_COMPLIANT)][:5]
    for spec in stored:
        fake_aws.config_results.seed(
            USERS_REPORT_RULE, spec.user_id, spec.expected_compliance, spec.expected_annotation,
            account_id=USERS_AUDIT_ACCOUNT, resource_type="AWS::IAM::User",
        )  # fmt: skip
    gone = "AIDAGONEGONEGONEGONE2"
    fake_aws.config_results.seed(
        USERS_REPORT_RULE, gone, NON_COMPLIANT, "left-the-company: password last used 300 days ago",
        account_id=USERS_AUDIT_ACCOUNT, resource_type="AWS::IAM::User",
    )  # fmt: skip
    result = users_audit.run(
        "report", "--kind", "users", "--rule-name", USERS_REPORT_RULE, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = {row["UserId"]: row for row in result.json()}
    assert set(rows) == {u.user_id for u in stored} | {gone}
    for spec in stored:
        row = rows[spec.user_id]
        assert (row["UserName"], row["Path"], row["ComplianceType"], row["Annotation"]) == (
            spec.name, spec.path, spec.expected_compliance, spec.expected_annotation
        )
        assert row["ResultRecordedTime"], row
    assert rows[gone]["UserName"] == "" and rows[gone]["ComplianceType"] == NON_COMPLIANT
    table = users_audit.run("report", "--kind", "users", "--rule-name", USERS_REPORT_RULE)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[-1].endswith("(1 no longer exists)")
    assert any(GONE in line and gone in line for line in table.stdout.splitlines())
