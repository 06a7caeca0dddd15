"""Privilege in every finding, end to end: roles and users whose policies make them
administrators or let them change IAM, in an account of their own, read live by the real
`role-audit` binary through the real SDK from moto's GetAccountAuthorizationDetails.

Each principal's privilege is STATED by the table below (from the policies it is given, by the
README's "Privilege" rules); the expected annotation is the README's label in front of the
annotation the rule gives without it. The policies come through moto's backend: inline
policies, a customer managed policy (Filter LocalManagedPolicy, paged after the roles), the AWS
managed AdministratorAccess (added to moto's list of AWS managed policies, as moto loads none by
default), and a group's policy for a user.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from moto.iam.models import AWSManagedPolicy

from .fake_aws import REGION, AccessKeySpec, FakeAws
from .test_role_audit import cli_environment, run_cli

PRIVILEGE_ACCOUNT = "888899990000"
REPORT_RULE = "e2e-privilege-report"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
MAX_DAYS = 60

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_ALL = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
IAM_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
READS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "iam:List*"], "Resource": "*"}]}

# name -> (what it is given, the label its finding must start with: None for none)
ROLES = {
    "admin-by-arn": ("AdministratorAccess attached", "ADMIN"),
    "admin-inline": ("an inline Allow of * on *", "ADMIN"),
    "iam-by-managed": ("the customer managed policy iam-editor (iam:*)", "IAM-WRITE"),
    "cancelled": ("an inline Allow of * and the customer managed deny-all", None),
    "reader": ("an inline policy of reads only", None),
    "bare": ("no policy", None),
}
USERS = {
    "in-admins": ("member of group admins, whose inline policy allows * on *", "ADMIN"),
    "in-readers": ("member of group readers, reads only", None),
}


def _days_ago(now: datetime, n: int) -> datetime:
    return now - timedelta(days=n, hours=12)


def _no_use_annotation(name: str, created: datetime) -> str:
    return (f"{name}: no use recorded by IAM (it tracks up to 400 days), created "
            f"{created.date().isoformat()}, over the {MAX_DAYS}-day threshold")


def _with_label(label: str | None, text: str) -> str:
    return f"{label}: {text}" if label else text


@pytest.fixture(scope="module")
def privilege_account(fake_aws: FakeAws):
    """The roles and users of ROLES and USERS, all created 500 days ago and never used."""
    now = datetime.now(timezone.utc)
    created = _days_ago(now, 500)
    iam = fake_aws.iam_of(PRIVILEGE_ACCOUNT)
    # At most 3 entities a page: the customer managed policies come pages after the roles.
    fake_aws.iam_page_limit[PRIVILEGE_ACCOUNT] = 3
    admin_access = AWSManagedPolicy.from_data(
        "AdministratorAccess", PRIVILEGE_ACCOUNT, REGION,
        {"Arn": ADMINISTRATOR_ACCESS, "DefaultVersionId": "v1", "Path": "/",
         "Document": ALLOW_ALL, "CreateDate": "2015-02-06T18:39:46+00:00",
         "UpdateDate": "2015-02-06T18:39:46+00:00"},
    )  # fmt: skip
    iam.aws_managed_policies.append(admin_access)
    iam.managed_policies[admin_access.arn] = admin_access

    def policy(name: str, document: dict) -> str:
        return iam.create_policy("", "/", json.dumps(document), name, []).arn

    iam_editor = policy("iam-editor", IAM_ALL)
    deny_all = policy("deny-all", DENY_ALL)
    role_ids = {}
    for name in ROLES:
        role_ids[fake_aws.create_role(name, "/", created, None, None, [], account_id=PRIVILEGE_ACCOUNT)] = name
    iam.attach_role_policy(ADMINISTRATOR_ACCESS, "admin-by-arn")
    iam.put_role_policy("admin-inline", "everything", json.dumps(ALLOW_ALL))
    iam.attach_role_policy(iam_editor, "iam-by-managed")
    iam.put_role_policy("cancelled", "everything", json.dumps(ALLOW_ALL))
    iam.attach_role_policy(deny_all, "cancelled")
    iam.put_role_policy("reader", "reads", json.dumps(READS))

    user_ids = {}
    for name in USERS:
        key = AccessKeySpec(active=True, created=created, last_used=None)
        user_ids[fake_aws.create_user(name, "/", created, [], keys=[key], account_id=PRIVILEGE_ACCOUNT)] = name
    iam.create_group("admins")
    iam.put_group_policy("admins", "admins-everything", json.dumps(ALLOW_ALL))
    iam.add_user_to_group("admins", "in-admins")
    iam.create_group("readers")
    iam.put_group_policy("readers", "reads", json.dumps(READS))
    iam.add_user_to_group("readers", "in-readers")
    reports = fake_aws.credential_reports
    reports.put(PRIVILEGE_ACCOUNT, reports.snapshot(PRIVILEGE_ACCOUNT))
    return {"created": created, "roles": role_ids, "users": user_ids,
            "key": fake_aws.key_without_user(PRIVILEGE_ACCOUNT)}  # fmt: skip


@pytest.fixture(scope="module")
def run(role_audit, fake_aws, privilege_account):
    env = cli_environment(fake_aws, privilege_account["key"])
    return lambda *args: run_cli(role_audit, env, *args)


def test_role_findings_start_with_the_privilege_their_policies_give(run, privilege_account):
    result = run("evaluate", "--max-days", str(MAX_DAYS), "--format", "json")
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = {row["RoleId"]: row for row in result.json()}
    assert set(rows) == set(privilege_account["roles"])
    wrong = []
    for role_id, name in privilege_account["roles"].items():
        given, label = ROLES[name]
        want = _with_label(label, _no_use_annotation(name, privilege_account["created"]))
        got = rows[role_id]
        if (got["ComplianceType"], got["Annotation"], got["Privilege"]) != ("NON_COMPLIANT", want, label):
            wrong.append(f"{name} ({given}): got {got['Annotation']!r} / {got['Privilege']}, want {want!r} / {label}")
    assert not wrong, "\n".join(wrong)


def test_user_findings_start_with_the_privilege_of_their_groups(run, privilege_account):
    result = run("evaluate", "--kind", "users", "--format", "json")
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    rows = {row["UserId"]: row for row in result.json()}
    assert set(rows) == set(privilege_account["users"])
    for user_id, name in privilege_account["users"].items():
        given, label = USERS[name]
        row = rows[user_id]
        assert row["ComplianceType"] == "NON_COMPLIANT", row
        assert row["Privilege"] == label, f"{name} ({given}): {row}"
        prefix = f"{label}: {name}: " if label else f"{name}: "
        assert row["Annotation"].startswith(prefix), f"{name} ({given}): {row['Annotation']!r}"


def test_report_filters_by_privilege_and_shows_the_most_privileged_first(run, fake_aws, privilege_account):
    """The report reads the label back from the annotations Config holds: the ones the rule
    gives, stored as Config stores them."""
    evaluated = {row["RoleId"]: row for row in run("evaluate", "--max-days", str(MAX_DAYS), "--format", "json").json()}
    for role_id, row in evaluated.items():
        fake_aws.config_results.seed(
            REPORT_RULE, role_id, row["ComplianceType"], row["Annotation"], account_id=PRIVILEGE_ACCOUNT,
        )  # fmt: skip
    by_label = {label: {rid for rid, n in privilege_account["roles"].items() if ROLES[n][1] == label}
                for label in ("ADMIN", "IAM-WRITE", None)}  # fmt: skip

    admins = run("report", "--rule-name", REPORT_RULE, "--privilege", "admin", "--format", "json")
    assert (admins.returncode, admins.stderr) == (0, ""), admins.stderr
    assert {row["RoleId"] for row in admins.json()} == by_label["ADMIN"]
    assert {row["Privilege"] for row in admins.json()} == {"ADMIN"}

    writers = run("report", "--rule-name", REPORT_RULE, "--privilege", "iam-write", "--format", "csv")
    assert writers.returncode == 0, writers.stderr
    lines = writers.stdout.split("\r\n")
    assert lines[0].endswith(",Privilege"), lines[0]
    assert sorted(line.rsplit(",", 1)[1] for line in lines[1:] if line) == ["ADMIN", "ADMIN", "IAM-WRITE"]

    failing = run("report", "--rule-name", REPORT_RULE, "--privilege", "admin", "--fail-on-non-compliant")
    assert failing.returncode == 1, failing.stderr
    table = run("report", "--rule-name", REPORT_RULE)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["COMPLIANCE", "PRIVILEGE"], lines[0]
    privileges = [line.split()[1] for line in lines[1:] if line.startswith("NON_COMPLIANT")]
    assert privileges == ["ADMIN", "ADMIN", "IAM-WRITE", "-", "-", "-"], table.stdout
