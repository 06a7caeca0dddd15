"""`role-audit quarantine` and `restore` against the fake: the same guards, refusing with the
same words, and the same IAM calls as the stack's SSM documents (run step by step by
ssm_automation.py), and a round trip back to exactly the principal there was.

The documents are the template's; the CLI is the crate's; neither is read to write the other's
expectations: the dry run is compared with what the document really called.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from .fake_aws import AccessKeySpec, FakeAws
from .test_quarantine_documents import (
    DEACTIVATED_KEYS,
    POLICY_DOCUMENT,
    POLICY_NAME,
    QUARANTINED_AT,
    QUARANTINED_BY,
    ROLE_ALLOWLIST,
    ROLE_GUARDS,
    ROLES_RULE,
    STACK,
    SUCCESS,
    USERS_RULE,
    APP_POLICY,
    Account,
    _seed_role_guard,
    _seed_user_guard,
    canonical,
)
from .test_role_audit import cli_environment, run_cli

REFUSED = 4


@pytest.fixture
def account(fake_aws: FakeAws) -> Account:
    return Account(fake_aws)


def cli(role_audit, account: Account, *args: str):
    return run_cli(role_audit, cli_environment(account.fake, account.key), *args)


def by_whom(calls: list[dict]) -> tuple[list[dict], set[str]]:
    """The calls with the quarantined-by value taken out (it names who quarantined: the CLI or
    the document), and the values taken out."""
    out, seen = canonical(calls), set()
    for call in out:
        for tag in call["parameters"].get("Tags", []):
            if tag["Key"] == QUARANTINED_BY:
                seen.add(tag["Value"])
                tag["Value"] = "<by>"
    return out, seen


def dry_run_calls(role_audit, account: Account, command: str, *args: str) -> list[dict]:
    result = cli(role_audit, account, command, *args, "--dry-run", "--format", "json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["DryRun"] is True and printed["Action"] == command
    return printed["Calls"]


def test_the_dry_run_prints_the_calls_the_role_documents_make(role_audit, account: Account):
    role_id = account.non_compliant_role("nightly-export", tags={"team": "data"})
    account.fake.put_role_policy("nightly-export", "app", APP_POLICY, account_id=account.id)
    before = account.role_state("nightly-export")

    planned = dry_run_calls(
        role_audit, account, "quarantine", "--role", "nightly-export", "--rule-name", ROLES_RULE
    )
    assert account.role_state("nightly-export") == before, "a dry run changes nothing"
    document = account.run("QuarantineRoleDocument", RoleId=role_id)
    assert document.status == SUCCESS, document.message

    cli_calls, cli_by = by_whom(planned)
    document_calls, document_by = by_whom(document.calls)
    assert cli_calls == document_calls
    assert [c["operation"] for c in cli_calls] == ["TagRole", "PutRolePolicy"]
    assert (cli_by, document_by) == ({"role-audit"}, {f"{STACK}-QuarantineRole"})

    # The document quarantined it: the CLI's restore plan is what the Restore document does.
    planned = dry_run_calls(role_audit, account, "restore", "--role", "nightly-export")
    restore = account.run("RestoreRoleDocument", RoleId=role_id)
    assert restore.status == SUCCESS, restore.message
    assert planned == restore.calls
    assert account.role_state("nightly-export") == before


def test_the_dry_run_prints_the_calls_the_user_documents_make(role_audit, account: Account):
    now = account.now
    user_id = account.non_compliant_user("ci-deploy", keys=[
        AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=90)),
        AccessKeySpec(created=now - timedelta(days=300)),  # never used
    ], password=True)  # fmt: skip
    before = account.user_state("ci-deploy")

    planned = dry_run_calls(
        role_audit, account, "quarantine", "--user", "ci-deploy", "--rule-name", USERS_RULE
    )
    assert account.user_state("ci-deploy") == before, "a dry run changes nothing"
    document = account.run("QuarantineUserDocument", UserId=user_id)
    assert document.status == SUCCESS, document.message

    cli_calls, _ = by_whom(planned)
    document_calls, _ = by_whom(document.calls)
    assert cli_calls == document_calls
    assert [c["operation"] for c in cli_calls] == ["TagUser", "UpdateAccessKey", "UpdateAccessKey", "PutUserPolicy"]

    planned = dry_run_calls(role_audit, account, "restore", "--user", "ci-deploy")
    restore = account.run("RestoreUserDocument", UserId=user_id)
    assert restore.status == SUCCESS, restore.message
    assert planned == restore.calls
    assert account.user_state("ci-deploy") == before


def test_quarantine_then_restore_by_role_audit_leaves_the_role_as_it_was(role_audit, account: Account):
    account.non_compliant_role("old-batch", tags={"team": "data"})
    account.fake.put_role_policy("old-batch", "app", APP_POLICY, account_id=account.id)
    before = account.role_state("old-batch")

    done = cli(role_audit, account, "quarantine", "--role", "old-batch", "--rule-name", ROLES_RULE)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("quarantined role old-batch (AROA")
    assert "Undo: role-audit restore --role old-batch\n" in done.stdout
    during = account.role_state("old-batch")
    assert during["inline"] == before["inline"] | {POLICY_NAME: json.loads(POLICY_DOCUMENT)}
    assert dict(during["tags"])[QUARANTINED_BY] == "role-audit"
    assert QUARANTINED_AT in dict(during["tags"])

    again = cli(role_audit, account, "quarantine", "--role", "old-batch", "--rule-name", ROLES_RULE)
    assert again.returncode == REFUSED
    assert "refused: role old-batch is already quarantined (since " in again.stderr
    assert account.role_state("old-batch") == during

    undone = cli(role_audit, account, "restore", "--role", "old-batch")

    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("restored role old-batch (AROA")
    assert account.role_state("old-batch") == before


def test_quarantine_then_restore_by_role_audit_leaves_the_user_as_it_was(role_audit, account: Account):
    now = account.now
    account.non_compliant_user("contractor", keys=[
        AccessKeySpec(created=now - timedelta(days=200)),  # never used: unused since creation
        AccessKeySpec(created=now - timedelta(days=300), active=False),
    ], password=True)  # fmt: skip
    before = account.user_state("contractor")
    unused_key = before["keys"][0][0] if before["keys"][0][1] == "Active" else before["keys"][1][0]

    done = cli(role_audit, account, "quarantine", "--user", "contractor", "--rule-name", USERS_RULE)

    assert done.returncode == 0, done.stderr
    assert "delete it by hand" in done.stdout and "aws iam delete-login-profile" in done.stdout
    during = account.user_state("contractor")
    assert dict(during["keys"]) == {k: "Inactive" for k, _ in before["keys"]}
    assert dict(during["tags"])[DEACTIVATED_KEYS] == unused_key
    assert during["password"] is True, "the console password is never deleted"

    undone = cli(role_audit, account, "restore", "--user", "contractor")

    assert undone.returncode == 0, undone.stderr
    assert account.user_state("contractor") == before


# The documents take a RoleId, the CLI a name: an unknown RoleId is the documents' case alone.
CLI_ROLE_GUARDS = [case for case in ROLE_GUARDS if case != "unknown-role-id"]


@pytest.mark.parametrize("case", CLI_ROLE_GUARDS)
def test_each_role_guard_refuses_as_the_document_does_and_changes_nothing(
    role_audit, fake_aws: FakeAws, case: str
):
    account = Account(
        fake_aws, roles_rule={"role_allowlist": ROLE_ALLOWLIST, "exempt_tag_key": "keep-until"}
    )
    _, name, refusal = _seed_role_guard(account, case)
    before = account.role_state(name)

    for dry_run in (["--dry-run"], []):
        result = cli(role_audit, account, "quarantine", "--role", name, "--rule-name", ROLES_RULE, *dry_run)

        assert result.returncode == REFUSED, result.stderr
        assert result.stdout == ""
        assert result.stderr.splitlines()[0] == f"role-audit: refused: {refusal}"
        assert account.role_state(name) == before


@pytest.mark.parametrize(
    "case",
    ["already-quarantined", "already-quarantined-policy", "allowlisted", "exempt", "COMPLIANT", "no-result",
     "password-signed-in", "key-used-45-days-ago", "key-created-10-days-ago-never-used",
     "key-in-use-after-an-unused-one", "two-keys-in-use"],  # fmt: skip
)
def test_each_user_guard_refuses_as_the_document_does_and_changes_nothing(
    role_audit, fake_aws: FakeAws, case: str
):
    account = Account(
        fake_aws, users_rule={"user_allowlist": "/breakglass-*", "exempt_tag_key": "keep-until"}
    )
    _, name, refusal = _seed_user_guard(account, case)
    before = account.user_state(name)

    result = cli(role_audit, account, "quarantine", "--user", name, "--rule-name", USERS_RULE)

    assert result.returncode == REFUSED, result.stderr
    assert result.stderr.splitlines()[0] == f"role-audit: refused: {refusal}"
    assert account.user_state(name) == before


def test_restore_refuses_a_role_never_quarantined(role_audit, account: Account):
    account.role("plain")
    before = account.role_state("plain")

    result = cli(role_audit, account, "restore", "--role", "plain")

    assert result.returncode == REFUSED
    assert result.stderr.splitlines()[0] == (
        f"role-audit: refused: role plain is not quarantined (no {QUARANTINED_AT} tag)"
    )
    assert account.role_state("plain") == before


def test_an_unknown_name_or_rule_is_an_error_naming_it(role_audit, account: Account):
    missing = cli(role_audit, account, "quarantine", "--role", "no-such-role", "--rule-name", ROLES_RULE)
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[0] == (
        "role-audit: invalid --role no-such-role: IAM has no role of that name in this account (NoSuchEntity)"
    )
    account.non_compliant_role("real")
    no_rule = cli(role_audit, account, "quarantine", "--role", "real", "--rule-name", "no-such-rule")
    assert no_rule.returncode == 2
    assert no_rule.stderr.splitlines()[0] == (
        "role-audit: invalid --rule-name no-such-rule: Config has no rule of that name in this Region"
    )


def test_a_user_still_using_an_access_key_is_refused_and_left_as_it_was(role_audit, account: Account):
    now = account.now
    account.non_compliant_user("half-used", keys=[
        AccessKeySpec(created=now - timedelta(days=300)),  # never used: the finding
        AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=2)),
    ])  # fmt: skip
    before = account.user_state("half-used")
    in_use = next(k for k, _ in before["keys"] if account.iam.get_access_key_last_used(AccessKeyId=k)[
        "AccessKeyLastUsed"].get("LastUsedDate"))

    result = cli(role_audit, account, "quarantine", "--user", "half-used", "--rule-name", USERS_RULE)

    assert result.returncode == REFUSED, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"role-audit: refused: user half-used has access key {in_use} used or created 2 days ago "
        "(within the rule's 45 days): quarantine would stop it; remove the unused credentials by hand instead"
    )
    assert account.user_state("half-used") == before
