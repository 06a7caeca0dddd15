"""`role-audit permissions` end to end: the real CLI against moto with the fake's service last
accessed API (access_advisor_fake.py: a job is IN_PROGRESS for its first Get, then COMPLETED;
the granted services come from the principal's identity policies, their use from what the test
sets). The expected values are the account written out below, not the CLI's own reckoning.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .fake_aws import FakeAws
from .test_role_audit import cli_environment, run_cli

ACCOUNT = "369258147036"
DAY = timedelta(days=1)


def policy(*actions: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


@pytest.fixture(scope="module")
def account(fake_aws: FakeAws) -> datetime:
    """The account's principals; returns the time their use is counted from."""
    now = datetime.now(timezone.utc)
    old = now - 400 * DAY
    a = ACCOUNT
    # Uses S3 (its tracked GetBucketPolicy, not PutBucketPolicy), used Kinesis 200 days ago,
    # never SQS nor IAM.
    fake_aws.create_role("app", "/", old, None, None, [], account_id=a)
    granted = ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "kinesis:PutRecord", "sqs:SendMessage", "iam:PassRole")
    fake_aws.put_role_policy("app", "app", policy(*granted), a)
    app = f"arn:aws:iam::{a}:role/app"
    fake_aws.set_service_access(app, "s3", now - 5 * DAY, actions={"GetBucketPolicy": now - 5 * DAY})
    fake_aws.set_service_access(app, "kinesis", now - 200 * DAY)
    # A user granted SNS through a group and SQS through its own policy; uses SQS only.
    fake_aws.create_user("bob", "/", old, [], account_id=a)
    fake_aws.create_group("publishers", a)
    fake_aws.add_user_to_group("publishers", "bob", a)
    fake_aws.put_group_policy("publishers", "publish", policy("sns:Publish"), a)
    fake_aws.put_user_policy("bob", "own", policy("sqs:SendMessage"), a)
    fake_aws.set_service_access(f"arn:aws:iam::{a}:user/bob", "sqs", now - 1 * DAY)
    # Its report job fails.
    fake_aws.create_role("flaky", "/", old, None, None, [], account_id=a)
    fake_aws.put_role_policy("flaky", "flaky", policy("sns:Publish"), a)
    fake_aws.fail_jobs_for(f"arn:aws:iam::{a}:role/flaky")
    return now


def cli(fake_aws: FakeAws, role_audit: list[str], *args: str):
    env = cli_environment(fake_aws, fake_aws.access_key_for(ACCOUNT))
    return run_cli(role_audit, env, "permissions", *args)


def test_a_roles_services_unused_first_and_the_suggested_deny(fake_aws, role_audit, account):
    shown = cli(fake_aws, role_audit, "--role", "app", "--format", "json", "--fail-on-unused")

    assert shown.returncode == 1, shown.stderr
    report = shown.json()
    assert report["Principal"] == {"Kind": "role", "Name": "app", "Arn": f"arn:aws:iam::{ACCOUNT}:role/app"}
    services = {s["Namespace"]: s for s in report["Services"]}
    assert [s["Namespace"] for s in report["Services"]] == ["iam", "kinesis", "sqs", "s3"]
    assert {ns: s["Unused"] for ns, s in services.items()} == {
        "iam": True, "kinesis": True, "sqs": True, "s3": False,
    }  # fmt: skip
    assert services["kinesis"]["DaysSinceLastAuthenticated"] == 200
    assert services["sqs"]["LastAuthenticated"] is None
    assert report["Summary"]["UnusedActionsOfUsedServices"] == ["s3:PutBucketPolicy"]
    suggestion = report["SuggestedPolicy"]
    assert suggestion["Form"] == "inline"
    # iam is left out: iam:PassRole use never shows in last accessed data.
    assert suggestion["DeniedServices"] == ["kinesis", "sqs"]
    assert [left["Namespace"] for left in suggestion["LeftOut"]] == ["iam"]
    assert suggestion["Document"] == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyServicesUnusedFor90Days", "Effect": "Deny",
            "Action": ["kinesis:*", "sqs:*"], "Resource": "*",
        }],
    }  # fmt: skip
    # One job, generated and read in this one run; the fake answers its first Get IN_PROGRESS.
    calls = fake_aws.access_advisor_calls(f"arn:aws:iam::{ACCOUNT}:role/app")
    assert (calls.generate, calls.get) == (1, 2)


def test_a_users_group_grants_count_and_the_boundary_form_allows_everything_else(
    fake_aws, role_audit, account
):
    shown = cli(fake_aws, role_audit, "--user", "bob", "--boundary", "--max-days", "30")

    assert shown.returncode == 0, shown.stderr
    rows = [line.split() for line in shown.stdout.splitlines() if line.startswith(("UNUSED ", "used "))]
    assert [(row[0], row[1]) for row in rows] == [("UNUSED", "sns"), ("used", "sqs")]
    assert "SUGGESTED POLICY: a suggestion to review before use" in shown.stdout
    assert "a boundary of the Deny alone would deny everything" in shown.stdout
    assert '"Action": "*"' in shown.stdout and '"sns:*"' in shown.stdout


def test_a_failed_job_and_an_unknown_role_are_errors_naming_them(fake_aws, role_audit, account):
    failed = cli(fake_aws, role_audit, "--role", "flaky")
    assert failed.returncode == 2
    assert f"arn:aws:iam::{ACCOUNT}:role/flaky" in failed.stderr
    assert "IAM's report job failed: ServiceFailure" in failed.stderr, failed.stderr

    unknown = cli(fake_aws, role_audit, "--role", "ghost")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "role-audit: invalid --role ghost: IAM has no role of that name in this account (NoSuchEntity)\n"
    )
