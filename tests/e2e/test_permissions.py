"""The permissions rule (`RULE_KIND=permissions`) end to end: the real binary under the Lambda
Runtime API emulator, against moto with the fake's service last accessed API
(access_advisor_fake.py: jobs IN_PROGRESS then COMPLETED, granted services from the
principal's identity policies, use data the test sets, failed jobs, a throttling rate limit).

1. Verdicts: a handful of roles and users with chosen policies and use; Config ends up holding
   exactly the annotations written out below; principals decided without a report (young,
   allowlisted, service-linked) never get a report job; a failed job leaves its principal's
   result alone.
2. Scale: 2 000 principals (1 500 roles, 500 users), IAM's report API throttled, each run
   limited to CHECK_BUDGET_SECONDS: successive runs each check the principals checked longest
   ago (never checked first) until every principal has a result, each run within its budget.
   The figures (runs, principals a run, throttled calls) are printed for the README; the
   E2E_PERMISSIONS_* variables below change the scale, budget, rate limit, polling and back-off
   to measure other settings (README, "The permissions rule", cycle time).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from .conftest import config_event, function_environment, running_function
from .test_role_audit import cli_environment, run_cli
from .fake_aws import REGION, THROTTLING, FakeAws

VERDICTS_ACCOUNT = "246813579024"
SCALE_ACCOUNT = "135792468013"
DAY = timedelta(days=1)


def policy(*actions: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def permissions_function(cargo_lambda, function_binary, fake_aws, workdir, account, label, **extra):
    env = function_environment(
        fake_aws,
        workdir,
        fake_aws.access_key_for(account),
        RULE_KIND="permissions",
        ACCESS_REPORT_POLL_MS=os.environ.get("E2E_PERMISSIONS_POLL_MS", "50"),
        # Throttled calls back off from 50 ms, not the SDK's 1 s: the runs stay short.
        SDK_INITIAL_BACKOFF_MS=os.environ.get("E2E_PERMISSIONS_BACKOFF_MS", "50"),
        SDK_MAX_BACKOFF_MS=os.environ.get("E2E_PERMISSIONS_MAX_BACKOFF_MS", "400"),
        **extra,
    )
    return running_function(cargo_lambda, function_binary, env, workdir, label)


class Runs:
    """Runs of one permissions rule on one account: each run's summary and what it sent."""

    def __init__(self, function, fake_aws: FakeAws, directory, account: str, rule: str, parameters: dict):
        self.function, self.fake_aws, self.directory = function, fake_aws, directory
        self.account, self.rule, self.parameters = account, rule, parameters

    def run(self) -> tuple[dict, list[dict], float]:
        event = config_event(
            self.directory,
            account=self.account,
            rule=self.rule,
            parameters=self.parameters,
            result_token=self.fake_aws.config_results.result_token(self.rule, self.account, REGION),
        )
        self.fake_aws.recorder.clear()
        started = time.monotonic()
        invocation = self.function.invoke(event)
        took = time.monotonic() - started
        assert invocation.ok, f"{invocation.stdout}\n{invocation.stderr}"
        calls = [c for c in self.fake_aws.recorder.snapshot().put_evaluations if c.account_id == self.account]
        return invocation.response(), [e for c in calls for e in c.evaluations], took

    def stored(self) -> dict[str, dict]:
        return self.fake_aws.config_results.stored(self.rule, self.account, REGION)


# ---- 1. verdicts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verdicts_account(fake_aws: FakeAws) -> dict[str, str]:
    """name -> resource id of the principals below, in VERDICTS_ACCOUNT."""
    now = datetime.now(timezone.utc)
    old = now - 400 * DAY
    a = VERDICTS_ACCOUNT
    ids: dict[str, str] = {}

    def role(name: str, path: str = "/", created: datetime = old) -> str:
        ids[name] = fake_aws.create_role(name, path, created, None, None, [], account_id=a)
        return f"arn:aws:iam::{a}:role{path}{name}"

    def user(name: str) -> str:
        ids[name] = fake_aws.create_user(name, "/", old, [], account_id=a)
        return f"arn:aws:iam::{a}:user/{name}"

    # Uses S3 (and one of its tracked actions), never SQS.
    arn = role("app")
    fake_aws.put_role_policy("app", "app", policy("s3:Get*", "sqs:SendMessage"), a)
    fake_aws.set_service_access(arn, "s3", now - 5 * DAY, actions={"GetBucketPolicy": now - 5 * DAY})
    # Uses everything it is granted, within the threshold (90 days back is still within).
    arn = role("busy")
    fake_aws.put_role_policy("busy", "busy", policy("dynamodb:GetItem", "kms:Decrypt"), a)
    fake_aws.set_service_access(arn, "dynamodb", now - 2 * DAY)
    fake_aws.set_service_access(arn, "kms", now - 89 * DAY)
    # Granted nothing.
    role("empty")
    # Used Kinesis 200 days ago: unused for more than 90.
    arn = role("stale")
    fake_aws.put_role_policy("stale", "stale", policy("kinesis:PutRecord"), a)
    fake_aws.set_service_access(arn, "kinesis", now - 200 * DAY)
    # Decided without a report.
    role("young", created=now - 10 * DAY)
    fake_aws.put_role_policy("young", "young", policy("sqs:*"), a)
    role("ci-deployer", path="/ci/")
    fake_aws.put_role_policy("ci-deployer", "ci", policy("sqs:*"), a)
    role("AWSServiceRoleForECS", path="/aws-service-role/ecs.amazonaws.com/")
    # Its report job fails.
    arn = role("flaky")
    fake_aws.put_role_policy("flaky", "flaky", policy("sns:Publish"), a)
    fake_aws.fail_jobs_for(arn)
    # AWS's AdministratorAccess: every service of the fake's catalogue; uses two.
    arn = role("admin")
    star = fake_aws.aws_managed_policy("AdministratorAccess", policy("*"), a)
    fake_aws.attach_role_policy("admin", star, a)
    fake_aws.set_service_access(arn, "s3", now - 3 * DAY)
    fake_aws.set_service_access(arn, "sqs", now - 3 * DAY)
    # A user granted SNS through a group, and SQS through its own policy; uses SQS only.
    arn = user("bob")
    fake_aws.create_group("publishers", a)
    fake_aws.add_user_to_group("publishers", "bob", a)
    fake_aws.put_group_policy("publishers", "publish", policy("sns:Publish"), a)
    fake_aws.put_user_policy("bob", "own", policy("sqs:SendMessage"), a)
    fake_aws.set_service_access(arn, "sqs", now - 1 * DAY)
    return ids


@pytest.fixture(scope="module")
def verdicts_function(cargo_lambda, function_binary, fake_aws, verdicts_account, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lambda-permissions")
    with permissions_function(cargo_lambda, function_binary, fake_aws, workdir, VERDICTS_ACCOUNT, "permissions") as f:
        yield f


def test_verdicts_on_each_kind_of_principal(verdicts_function, verdicts_account, fake_aws, tmp_path):
    runs = Runs(verdicts_function, fake_aws, tmp_path, VERDICTS_ACCOUNT, "e2e-permissions-verdicts",
                {"role_allowlist": "/ci/*"})  # fmt: skip
    fake_aws.clear_access_advisor_records()
    summary, sent, _ = runs.run()
    held = {rid: (r["ComplianceType"], r["Annotation"]) for rid, r in runs.stored().items()}
    ids = verdicts_account
    assert {name: held.get(rid) for name, rid in ids.items()} == {
        "app": ("NON_COMPLIANT", "app: uses 1 of 2 granted services; unused 90+ days: sqs; 0 of 1 tracked actions unused in the services it uses"),
        "busy": ("COMPLIANT", "busy: uses all 2 granted services within the 90-day threshold"),
        "empty": ("COMPLIANT", "empty: its identity policies grant no service"),
        "stale": ("NON_COMPLIANT", "stale: uses 0 of 1 granted services; unused 90+ days: kinesis"),
        "young": ("COMPLIANT", f"young: created {(datetime.now(timezone.utc) - 10 * DAY).date()}, within the 90-day threshold"),
        "ci-deployer": ("COMPLIANT", "ci-deployer: allowlisted by pattern /ci/*"),
        # NOT_APPLICABLE with nothing held is not sent; a failed job's principal is not judged.
        "AWSServiceRoleForECS": None,
        "flaky": None,
        "bob": ("NON_COMPLIANT", "bob: uses 1 of 2 granted services; unused 90+ days: sns"),
        # The fake's 33 services; S3's 8 tracked actions granted by "*", none used.
        "admin": ("NON_COMPLIANT", "ADMIN: admin: uses 2 of 33 granted services; unused 90+ days: acm, apigateway, athena, autoscaling, cloudformation and 26 more; 8 of 8 tracked actions unused in the services it uses"),
    }  # fmt: skip
    types = {r["ResourceId"]: r["ResourceType"] for r in runs.stored().values()}
    assert types[ids["bob"]] == "AWS::IAM::User" and types[ids["app"]] == "AWS::IAM::Role"
    # The eleventh principal is the user whose access key the function signs with: young.
    assert (summary["rule_kind"], summary["principals"]) == ("permissions", 11)
    assert (summary["needing_report"], summary["checked"], summary["report_failures"], summary["remaining"]) == (7, 6, 1, 0)
    # Reports are asked for exactly the principals that need one, once each.
    generated = {name: fake_aws.access_advisor_calls(arn_of(name)).generate for name in ids}
    assert generated == {
        "app": 1, "busy": 1, "empty": 1, "stale": 1, "flaky": 1, "bob": 1, "admin": 1,
        "young": 0, "ci-deployer": 0, "AWSServiceRoleForECS": 0,
    }  # fmt: skip
    assert len(sent) == 9


def test_role_audit_reports_the_rules_results_by_privilege(
    verdicts_function, verdicts_account, fake_aws, role_audit, tmp_path
):
    rule = "e2e-permissions-report"
    runs = Runs(verdicts_function, fake_aws, tmp_path, VERDICTS_ACCOUNT, rule, {"role_allowlist": "/ci/*"})
    runs.run()
    env = cli_environment(fake_aws, fake_aws.access_key_for(VERDICTS_ACCOUNT))
    report = run_cli(role_audit, env, "report", "--kind", "permissions", "--rule-name", rule,
                     "--compliance", "NON_COMPLIANT", "--format", "json")  # fmt: skip
    assert report.returncode == 0, report.stderr
    rows = report.json()
    # Roles and users alike, named as the rule's principals, with the privilege of each.
    assert {r["PrincipalName"]: r["Privilege"] for r in rows} == {
        "admin": "ADMIN", "app": None, "stale": None, "bob": None,
    }  # fmt: skip
    assert {r["PrincipalId"] for r in rows} == {verdicts_account[n] for n in ("admin", "app", "stale", "bob")}
    admins = run_cli(role_audit, env, "report", "--kind", "permissions", "--rule-name", rule,
                     "--privilege", "admin", "--format", "json")  # fmt: skip
    assert [r["PrincipalName"] for r in admins.json()] == ["admin"]
    # The table puts the administrator first.
    table = run_cli(role_audit, env, "report", "--kind", "permissions", "--rule-name", rule,
                    "--compliance", "NON_COMPLIANT")  # fmt: skip
    lines = [line for line in table.stdout.splitlines() if line.strip()]
    assert "PRINCIPAL" in lines[0] and " admin " in f" {lines[1]} ", table.stdout
    # Its verdicts need IAM's reports: evaluate cannot preview them, and says where to look.
    preview = run_cli(role_audit, env, "evaluate", "--kind", "permissions")
    assert preview.returncode != 0
    assert "role-audit permissions --role NAME" in preview.stderr, preview.stderr


def arn_of(name: str) -> str:
    paths = {"ci-deployer": "/ci/", "AWSServiceRoleForECS": "/aws-service-role/ecs.amazonaws.com/"}
    if name == "bob":
        return f"arn:aws:iam::{VERDICTS_ACCOUNT}:user/bob"
    return f"arn:aws:iam::{VERDICTS_ACCOUNT}:role{paths.get(name, '/')}{name}"


# ---- 2. 2 000 principals over budgeted runs ------------------------------------------------

SCALE_ROLES = int(os.environ.get("E2E_PERMISSIONS_ROLES", "1500"))
SCALE_USERS = int(os.environ.get("E2E_PERMISSIONS_USERS", "500"))
BUDGET_S = int(os.environ.get("E2E_PERMISSIONS_BUDGET_S", "10"))
RATE = float(os.environ.get("E2E_PERMISSIONS_RATE", "80"))
CONCURRENCY = os.environ.get("E2E_PERMISSIONS_CONCURRENCY", "8")
# How long a report job stays IN_PROGRESS (IAM documents no time; peers poll 1 to 2 s).
JOB_SECONDS = float(os.environ.get("E2E_PERMISSIONS_JOB_SECONDS", "0"))
MAX_RUNS = int(os.environ.get("E2E_PERMISSIONS_MAX_RUNS", "40"))


@pytest.fixture(scope="module")
def scale_account(fake_aws: FakeAws) -> dict[str, str]:
    """resource id -> ARN of SCALE_ROLES roles and SCALE_USERS users, each granted S3 and SQS,
    S3 used; every third also used SQS (COMPLIANT), the others not (NON_COMPLIANT)."""
    now = datetime.now(timezone.utc)
    old = now - 400 * DAY
    a = SCALE_ACCOUNT
    principals: dict[str, str] = {}
    for i in range(SCALE_ROLES + SCALE_USERS):
        if i < SCALE_ROLES:
            name = f"role-{i:05d}"
            rid = fake_aws.create_role(name, "/", old, None, None, [], account_id=a)
            fake_aws.put_role_policy(name, "p", policy("s3:ListAllMyBuckets", "sqs:SendMessage"), a)
            arn = f"arn:aws:iam::{a}:role/{name}"
        else:
            name = f"user-{i:05d}"
            rid = fake_aws.create_user(name, "/", old, [], account_id=a)
            fake_aws.put_user_policy(name, "p", policy("s3:ListAllMyBuckets", "sqs:SendMessage"), a)
            arn = f"arn:aws:iam::{a}:user/{name}"
        fake_aws.set_service_access(arn, "s3", now - DAY, actions={"ListAllMyBuckets": now - DAY})
        if i % 3 == 0:
            fake_aws.set_service_access(arn, "sqs", now - DAY)
        principals[rid] = arn
    return principals


@pytest.fixture(scope="module")
def scale_function(cargo_lambda, function_binary, fake_aws, scale_account, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lambda-permissions-scale")
    with permissions_function(
        cargo_lambda, function_binary, fake_aws, workdir, SCALE_ACCOUNT, "permissions-scale",
        CHECK_BUDGET_SECONDS=str(BUDGET_S), ACCESS_REPORTS_CONCURRENCY=CONCURRENCY,
    ) as f:  # fmt: skip
        yield f


def test_every_principal_gets_a_result_over_budgeted_runs_oldest_first(
    scale_function, scale_account, fake_aws, tmp_path
):
    runs = Runs(scale_function, fake_aws, tmp_path, SCALE_ACCOUNT, "e2e-permissions-scale", {})
    fake_aws.clear_access_advisor_records()
    fake_aws.limit_access_advisor_rate(RATE, burst=RATE / 4)
    fake_aws.seconds_in_progress = JOB_SECONDS
    # However fast this machine calls, the first run's first jobs are throttled past the SDK's
    # 8 attempts each (at most CONCURRENCY jobs in flight), so reports are asked again.
    fake_aws.faults.plan(
        "GenerateServiceLastAccessedDetails", [THROTTLING] * (8 * int(CONCURRENCY) + 8)
    )
    total = len(scale_account)
    history: list[tuple[dict, int, float]] = []
    seen: set[str] = set()
    try:
        while len(history) < MAX_RUNS:
            summary, sent, took = runs.run()
            newly = {e["ComplianceResourceId"] for e in sent} & set(scale_account) - seen
            history.append((summary, len(newly), took))
            # Every run checks someone, and, until all have a result, only principals no
            # earlier run checked: the order of need puts those first.
            assert summary["checked"] > 0, summary
            if len(seen) + summary["checked"] <= total:
                assert len(newly) == summary["checked"], (len(history), summary)
            seen |= newly
            # Within its budget, counted from the invocation's start: checking stops when it
            # ends, and the whole run is the budget plus publishing.
            assert summary["checking_ms"] <= BUDGET_S * 1000 + 500, summary
            assert took <= BUDGET_S + 15, (took, summary)
            # total + the user whose access key the function signs with (young: no report).
            assert summary["principals"] == total + 1 and summary["report_failures"] == 0, summary
            if summary["remaining"] == 0:
                break
    finally:
        fake_aws.faults.clear()
        fake_aws.limit_access_advisor_rate(None)
        fake_aws.seconds_in_progress = 0.0
    stats = fake_aws.access_advisor_stats(SCALE_ACCOUNT)
    checked = [s["checked"] for s, _, _ in history]
    print(
        f"\npermissions cycle: {total} principals in {len(history)} runs of "
        f"CHECK_BUDGET_SECONDS={BUDGET_S} at {CONCURRENCY} reports in flight, IAM report API "
        f"limited to {RATE:g} calls/s, jobs IN_PROGRESS for {JOB_SECONDS:g} s and one poll: "
        f"checked a run {checked}, "
        f"{sum(checked) / (len(history) * BUDGET_S):.1f} principals/s of budget; run wall "
        f"{[round(t, 1) for _, _, t in history]} s; calls answered {stats.answered}, "
        f"throttled {stats.throttled}; reports asked again after throttling "
        f"{[s['throttled_reports'] for s, _, _ in history]}"
    )
    held = runs.stored()
    assert set(scale_account) <= set(held), "every principal has a result"
    assert len(history) >= 3, f"{len(history)} runs: the budget did not bind"
    expected = {
        rid: ("COMPLIANT" if int(arn.rsplit("-", 1)[1]) % 3 == 0 else "NON_COMPLIANT")
        for rid, arn in scale_account.items()
    }
    assert {rid: held[rid]["ComplianceType"] for rid in scale_account} == expected
    generates = [fake_aws.access_advisor_calls(arn).generate for arn in scale_account.values()]
    # One report job per check, plus those asked again after throttling and those cut off at
    # a run's end (at most the reports in flight). The last run, done with the due ones,
    # spends its time left re-checking others.
    asked_again = sum(s["throttled_reports"] for s, _, _ in history)
    assert asked_again > 0, "throttling never made a report be asked again"
    checks = sum(s["checked"] for s, _, _ in history)
    assert sum(generates) <= checks + asked_again + len(history) * int(CONCURRENCY), sum(generates)
    assert min(generates) >= 1
