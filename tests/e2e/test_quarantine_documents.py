"""The quarantine and restore SSM Automation documents of template.yaml, run step by step by
tests/e2e/ssm_automation.py against the fake AWS (moto's IAM, and the fake's Config results).

What they must do is the README's quarantine behaviour ("Act on NON_COMPLIANT roles"): the same
calls, in the same order, as `role-audit quarantine|restore`. The expected calls, messages and
effects below are written from that behaviour, not read from the documents. Each test works in its
own account of the shared fake, so nothing here changes the accounts other suites count.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from .fake_aws import REGION, AccessKeySpec, FakeAws
from .ssm_automation import FAILED, SUCCESS, Stack, execute, load_template, run_document

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
STACK = "e2e-unused-access"
# The template's defaults: the documents' RuleName defaults name these rules.
ROLES_RULE = "iam-role-last-used"
USERS_RULE = "iam-user-unused-credentials"

# The quarantine's names, written out here, not imported from the documents.
POLICY_NAME = "UnusedAccessQuarantine"
POLICY_DOCUMENT = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"UnusedAccessQuarantine","Effect":"Deny",'
    '"Action":"*","Resource":"*"}]}'
)
QUARANTINED_AT = "unused-access:quarantined-at"
QUARANTINED_BY = "unused-access:quarantined-by"
DEACTIVATED_KEYS = "unused-access:deactivated-keys"
UTC_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
APP_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}

_accounts = (f"6024182{n:05d}" for n in itertools.count(1))


class Account:
    """One fresh account of the fake: principals, the two rules, their results, and the
    documents run as the stack would have deployed them."""

    def __init__(self, fake: FakeAws, roles_rule: dict | None = None, users_rule: dict | None = None):
        self.fake = fake
        self.id = next(_accounts)
        self.key = fake.key_without_user(self.id)
        self.now = datetime.now(timezone.utc)
        self.iam = boto3.client(
            "iam",
            endpoint_url=fake.endpoint_url,
            region_name=REGION,
            aws_access_key_id=self.key,
            aws_secret_access_key="e2e-secret",
        )
        self.stack = Stack(load_template(TEMPLATE), STACK, account_id=self.id)
        fake.config_rules.put(ROLES_RULE, roles_rule or {"max_days_for_last_used": "60"}, account_id=self.id)
        fake.config_rules.put(USERS_RULE, users_rule or {"max_days_for_last_used": "45"}, account_id=self.id)

    # -- principals

    def role(self, name: str, path: str = "/", tags: dict[str, str] | None = None) -> str:
        return self.fake.create_role(
            name, path, self.now - timedelta(days=400), None, None,
            [{"Key": k, "Value": v} for k, v in (tags or {}).items()], account_id=self.id,
        )  # fmt: skip

    def user(
        self, name: str, keys=(), tags: dict[str, str] | None = None, password: bool = False,
        password_last_used: datetime | None = None,
    ) -> str:
        """A user; `password` gives it a console password never signed in with,
        `password_last_used` one last signed in with then."""
        has_password = password or password_last_used is not None
        return self.fake.create_user(
            name, "/", self.now - timedelta(days=400),
            [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            password_set=self.now - timedelta(days=300) if has_password else None,
            password_last_used=password_last_used, keys=list(keys), account_id=self.id,
        )  # fmt: skip

    def result(self, rule: str, resource_id: str, compliance: str, resource_type: str) -> None:
        self.fake.config_results.seed(
            rule, resource_id, compliance, "e2e", account_id=self.id, resource_type=resource_type
        )

    def non_compliant_role(self, name: str, **kwargs) -> str:
        role_id = self.role(name, **kwargs)
        self.result(ROLES_RULE, role_id, "NON_COMPLIANT", "AWS::IAM::Role")
        return role_id

    def non_compliant_user(self, name: str, **kwargs) -> str:
        user_id = self.user(name, **kwargs)
        self.result(USERS_RULE, user_id, "NON_COMPLIANT", "AWS::IAM::User")
        return user_id

    # -- running

    def run(self, logical_id: str, **parameters):
        _, content = self.stack.document(logical_id)
        return execute(content, parameters, self.fake.endpoint_url, self.id, access_key_id=self.key)

    # -- what IAM says

    def role_state(self, name: str) -> dict:
        inline = self.iam.list_role_policies(RoleName=name)["PolicyNames"]
        return {
            "inline": {
                p: self.iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in inline
            },
            "attached": sorted(
                p["PolicyArn"] for p in self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            ),
            "tags": sorted((t["Key"], t["Value"]) for t in self.iam.list_role_tags(RoleName=name)["Tags"]),
        }

    def user_state(self, name: str) -> dict:
        inline = self.iam.list_user_policies(UserName=name)["PolicyNames"]
        try:
            self.iam.get_login_profile(UserName=name)
            password = True
        except self.iam.exceptions.NoSuchEntityException:
            password = False
        return {
            "inline": {
                p: self.iam.get_user_policy(UserName=name, PolicyName=p)["PolicyDocument"] for p in inline
            },
            "attached": sorted(
                p["PolicyArn"] for p in self.iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            ),
            "tags": sorted((t["Key"], t["Value"]) for t in self.iam.list_user_tags(UserName=name)["Tags"]),
            "keys": sorted(
                (k["AccessKeyId"], k["Status"])
                for k in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
            ),
            "password": password,
        }

    def recreate_key_at(self, user: str, key_id: str, created: datetime) -> None:
        """Moves a never-used key's creation date (the fake's keys get random ids, so a test
        picks the key by its sort order first)."""
        (key,) = (k for k in self.fake.iam_of(self.id).get_user(user).access_keys if k.access_key_id == key_id)
        key.create_date = created.astimezone(timezone.utc).replace(tzinfo=None)

    def key_ids(self, user: str) -> list[str]:
        """The user's access key ids, in creation order."""
        return [k.access_key_id for k in self.fake.iam_of(self.id).get_user(user).access_keys]


@pytest.fixture
def account(fake_aws: FakeAws) -> Account:
    return Account(fake_aws)


def canonical(calls: list[dict]) -> list[dict]:
    """The calls with each quarantined-at value checked for its shape and replaced by "<time>"
    (that value is compared by shape)."""
    out = json.loads(json.dumps(calls))
    for call in out:
        for tag in call["parameters"].get("Tags", []):
            if tag["Key"] == QUARANTINED_AT:
                assert UTC_SECOND.match(tag["Value"]), tag
                tag["Value"] = "<time>"
    return out


def iam_call(operation: str, **parameters) -> dict:
    return {"service": "iam", "operation": operation, "parameters": parameters}


def requests_of(fake: FakeAws, action: str) -> int:
    with fake.recorder.lock:
        return sum(1 for r in fake.recorder.requests if r.action == action)


# ---- roles: quarantine, restore, and back to exactly the role there was ----------------------


def test_quarantine_then_restore_leaves_a_role_exactly_as_before(account: Account):
    role_id = account.non_compliant_role("nightly-export", tags={"team": "data"})
    account.fake.put_role_policy("nightly-export", "app", APP_POLICY, account_id=account.id)
    arn = account.fake.create_policy("export-read", APP_POLICY, account_id=account.id)
    account.fake.attach_role_policy("nightly-export", arn, account_id=account.id)
    before = account.role_state("nightly-export")

    quarantine = account.run("QuarantineRoleDocument", RoleId=role_id)

    assert (quarantine.status, quarantine.message) == (SUCCESS, "")
    assert canonical(quarantine.calls) == [
        iam_call("TagRole", RoleName="nightly-export", Tags=[
            {"Key": QUARANTINED_AT, "Value": "<time>"},
            {"Key": QUARANTINED_BY, "Value": f"{STACK}-QuarantineRole"},
        ]),
        iam_call("PutRolePolicy", RoleName="nightly-export", PolicyName=POLICY_NAME,
                 PolicyDocument=POLICY_DOCUMENT),
    ]  # fmt: skip
    during = account.role_state("nightly-export")
    assert during["inline"] == before["inline"] | {POLICY_NAME: json.loads(POLICY_DOCUMENT)}
    assert during["attached"] == before["attached"]
    tags = dict(during["tags"])
    assert tags[QUARANTINED_BY] == f"{STACK}-QuarantineRole"
    stamped = datetime.strptime(tags[QUARANTINED_AT], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(stamped - datetime.now(timezone.utc)) < timedelta(minutes=1)

    restore = account.run("RestoreRoleDocument", RoleId=role_id)

    assert (restore.status, restore.message) == (SUCCESS, "")
    assert restore.calls == [
        iam_call("DeleteRolePolicy", RoleName="nightly-export", PolicyName=POLICY_NAME),
        iam_call("UntagRole", RoleName="nightly-export", TagKeys=[QUARANTINED_AT, QUARANTINED_BY]),
    ]
    assert account.role_state("nightly-export") == before


def test_an_interrupted_quarantine_tags_only_is_restored_without_deleting_a_policy(account: Account):
    role_id = account.role("half-done", tags={QUARANTINED_AT: "2026-11-30T10:00:00Z",
                                              QUARANTINED_BY: f"{STACK}-QuarantineRole"})  # fmt: skip

    restore = account.run("RestoreRoleDocument", RoleId=role_id)

    assert restore.status == SUCCESS, restore.message
    assert restore.calls == [
        iam_call("UntagRole", RoleName="half-done", TagKeys=[QUARANTINED_AT, QUARANTINED_BY])
    ]
    assert account.role_state("half-done")["tags"] == []


def test_the_role_config_names_by_role_id_is_found_beyond_the_first_list_roles_page(account: Account):
    # ListRoles pages 100 roles at a time by default, ordered by RoleId in moto: the highest
    # RoleId of 150 is on the second page.
    ids = {account.role(f"filler-{n:03d}"): f"filler-{n:03d}" for n in range(150)}
    last_id = max(ids)
    account.result(ROLES_RULE, last_id, "NON_COMPLIANT", "AWS::IAM::Role")
    pages_before = requests_of(account.fake, "ListRoles")

    quarantine = account.run("QuarantineRoleDocument", RoleId=last_id)

    assert quarantine.status == SUCCESS, quarantine.message
    assert requests_of(account.fake, "ListRoles") - pages_before >= 2
    assert quarantine.calls[0]["parameters"]["RoleName"] == ids[last_id]


def test_the_current_result_is_read_across_every_page_of_the_resource_results(account: Account):
    account.fake.config_results.resource_page_size = 1
    try:
        role_id = account.role("many-rules")
        for rule in ("other-rule-1", "other-rule-2"):
            account.result(rule, role_id, "COMPLIANT", "AWS::IAM::Role")
        account.result(ROLES_RULE, role_id, "NON_COMPLIANT", "AWS::IAM::Role")
        pages_before = requests_of(account.fake, "GetComplianceDetailsByResource")

        quarantine = account.run("QuarantineRoleDocument", RoleId=role_id)
    finally:
        account.fake.config_results.resource_page_size = 10

    assert quarantine.status == SUCCESS, quarantine.message
    assert requests_of(account.fake, "GetComplianceDetailsByResource") - pages_before == 3


# ---- the guards: each refuses with its reason and changes nothing ----------------------------

ROLE_ALLOWLIST = "/breakglass-*|  |/ops/*"


def _seed_role_guard(account: Account, case: str) -> tuple[str, str, str]:
    """(RoleId, role name, the refusal's words) for one guard."""
    rule = ROLES_RULE
    if case == "service-linked":
        name = "AWSServiceRoleForExample"
        role_id = account.non_compliant_role(name, path="/aws-service-role/example.amazonaws.com/")
        return role_id, name, f"role {name} is service-linked: never quarantined"
    if case == "identity-center":
        name = "AWSReservedSSO_Admin_0123456789abcdef"
        role_id = account.non_compliant_role(name, path="/aws-reserved/sso.amazonaws.com/eu-west-1/")
        return role_id, name, (
            f"role {name} is an IAM Identity Center role: never quarantined "
            "(change its permission set instead)"
        )
    if case == "own-role":
        name = "e2e-unused-access-QuarantineAutomationRole-0123ABCD"
        role_id = account.non_compliant_role(name, path="/unused-access/")
        return role_id, name, (
            f"role {name} is one of this stack's own roles (path /unused-access/): never quarantined"
        )
    if case == "already-quarantined-tag":
        role_id = account.non_compliant_role("tagged", tags={QUARANTINED_AT: "2026-11-01T08:00:00Z"})
        return role_id, "tagged", "role tagged is already quarantined (since 2026-11-01T08:00:00Z)"
    if case == "already-quarantined-policy":
        role_id = account.non_compliant_role("denied")
        account.fake.put_role_policy("denied", POLICY_NAME, APP_POLICY, account_id=account.id)
        return role_id, "denied", (
            f"role denied is already quarantined (since an unknown time: it has the {POLICY_NAME} policy)"
        )
    if case == "allowlisted":
        role_id = account.non_compliant_role("worker", path="/ops/")
        return role_id, "worker", f"role worker is allowlisted by pattern /ops/* of rule {rule}"
    if case == "allowlisted-legacy-key":
        account.fake.config_rules.put(rule, {"role_whitelist": "/break*"}, account_id=account.id)
        role_id = account.non_compliant_role("breakglass")
        return role_id, "breakglass", f"role breakglass is allowlisted by pattern /break* of rule {rule}"
    if case == "exempt":
        role_id = account.non_compliant_role("kept", tags={"keep-until": "until=2020-01-01"})
        return role_id, "kept", "role kept carries the exempt tag keep-until"
    if case in ("COMPLIANT", "NOT_APPLICABLE"):
        role_id = account.role("judged")
        account.result(rule, role_id, case, "AWS::IAM::Role")
        return role_id, "judged", f"role judged is {case} in rule {rule}, not NON_COMPLIANT"
    if case == "no-result":
        role_id = account.role("unjudged")
        return role_id, "unjudged", f"role unjudged is not evaluated in rule {rule}, not NON_COMPLIANT"
    if case == "result-in-another-rule-only":
        role_id = account.role("elsewhere")
        account.result("another-rule", role_id, "NON_COMPLIANT", "AWS::IAM::Role")
        return role_id, "elsewhere", f"role elsewhere is not evaluated in rule {rule}, not NON_COMPLIANT"
    if case == "unknown-role-id":
        return "AROAE2ENOSUCHROLE0001", "", "no role with RoleId AROAE2ENOSUCHROLE0001 in this account"
    if case == "rule-not-custom":
        account.fake.config_rules.put(rule, None, owner="AWS", account_id=account.id)
        role_id = account.non_compliant_role("managed")
        return role_id, "managed", f"rule {rule} is owned by AWS, not CUSTOM_LAMBDA: not a rule of this stack"
    raise AssertionError(case)


ROLE_GUARDS = [
    "service-linked", "identity-center", "own-role", "already-quarantined-tag", "already-quarantined-policy",
    "allowlisted", "allowlisted-legacy-key", "exempt", "COMPLIANT", "NOT_APPLICABLE", "no-result",
    "result-in-another-rule-only", "unknown-role-id", "rule-not-custom",
]  # fmt: skip


@pytest.mark.parametrize("case", ROLE_GUARDS)
def test_each_role_guard_refuses_with_its_reason_and_changes_nothing(fake_aws: FakeAws, case: str):
    account = Account(
        fake_aws, roles_rule={"role_allowlist": ROLE_ALLOWLIST, "exempt_tag_key": "keep-until"}
    )
    role_id, name, refusal = _seed_role_guard(account, case)
    before = account.role_state(name) if name else None

    quarantine = account.run("QuarantineRoleDocument", RoleId=role_id)

    assert (quarantine.status, quarantine.message) == (FAILED, refusal)
    assert quarantine.calls == []
    assert quarantine.steps == ["CheckGuards"], "it stops at the guards"
    if name:
        assert account.role_state(name) == before


def test_the_first_failing_guard_is_the_one_reported(fake_aws: FakeAws):
    account = Account(fake_aws, roles_rule={"role_allowlist": "/*", "exempt_tag_key": "keep"})
    # Service-linked, allowlisted, exempt and COMPLIANT at once: guard 1 speaks.
    name = "AWSServiceRoleForAll"
    role_id = account.role(name, path="/aws-service-role/all.amazonaws.com/", tags={"keep": ""})
    account.result(ROLES_RULE, role_id, "COMPLIANT", "AWS::IAM::Role")
    assert account.run("QuarantineRoleDocument", RoleId=role_id).message == (
        f"role {name} is service-linked: never quarantined"
    )
    # The stack's own role, already quarantined, allowlisted, exempt and COMPLIANT: the own-role
    # guard (after Identity Center) speaks before the later ones.
    name = "e2e-unused-access-QuarantineAutomationRole-0123ABCD"
    role_id = account.role(name, path="/unused-access/", tags={"keep": "", QUARANTINED_AT: "2026-11-01T08:00:00Z"})
    account.result(ROLES_RULE, role_id, "COMPLIANT", "AWS::IAM::Role")
    assert account.run("QuarantineRoleDocument", RoleId=role_id).message == (
        f"role {name} is one of this stack's own roles (path /unused-access/): never quarantined"
    )
    # Allowlisted, exempt and COMPLIANT: guard 4 (the allowlist) before 5 and 6.
    role_id = account.role("everything", tags={"keep": ""})
    account.result(ROLES_RULE, role_id, "COMPLIANT", "AWS::IAM::Role")
    assert account.run("QuarantineRoleDocument", RoleId=role_id).message == (
        f"role everything is allowlisted by pattern /* of rule {ROLES_RULE}"
    )


def test_restore_refuses_a_role_that_is_not_quarantined_and_changes_nothing(account: Account):
    role_id = account.role("innocent", tags={"team": "web"})
    account.fake.put_role_policy("innocent", POLICY_NAME, APP_POLICY, account_id=account.id)
    before = account.role_state("innocent")

    restore = account.run("RestoreRoleDocument", RoleId=role_id)

    assert (restore.status, restore.message) == (
        FAILED, f"role innocent is not quarantined (no {QUARANTINED_AT} tag)"
    )  # fmt: skip
    assert restore.calls == []
    assert account.role_state("innocent") == before


# ---- users: the unused keys only, and back ---------------------------------------------------


def test_quarantine_then_restore_deactivates_and_reactivates_exactly_the_unused_keys(account: Account):
    now = account.now
    # IAM allows two access keys a user. alice: a console password never signed in with and
    # two unused active keys; bob: one unused active key and one inactive key used yesterday
    # (an inactive key is no credential in use: it neither refuses nor is touched).
    account.non_compliant_user("alice", password=True, tags={"team": "ops"}, keys=[
        AccessKeySpec(created=now - timedelta(days=200)),  # never used: counted from creation
        AccessKeySpec(created=now - timedelta(days=200), last_used=now - timedelta(days=90)),
    ])  # fmt: skip
    account.non_compliant_user("bob", keys=[
        AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=90)),
        AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=1), active=False),
    ])  # fmt: skip
    alice_keys = sorted(account.key_ids("alice"))
    bob_unused, bob_inactive = account.key_ids("bob")
    for name, deactivated in (("alice", alice_keys), ("bob", [bob_unused])):
        user_id = account.fake.iam_of(account.id).get_user(name).id
        before = account.user_state(name)

        quarantine = account.run("QuarantineUserDocument", UserId=user_id)

        assert (quarantine.status, quarantine.message) == (SUCCESS, ""), name
        assert canonical(quarantine.calls) == [
            iam_call("TagUser", UserName=name, Tags=[
                {"Key": QUARANTINED_AT, "Value": "<time>"},
                {"Key": QUARANTINED_BY, "Value": f"{STACK}-QuarantineUser"},
                {"Key": DEACTIVATED_KEYS, "Value": " ".join(deactivated)},
            ]),
            *(iam_call("UpdateAccessKey", UserName=name, AccessKeyId=k, Status="Inactive") for k in deactivated),
            iam_call("PutUserPolicy", UserName=name, PolicyName=POLICY_NAME,
                     PolicyDocument=POLICY_DOCUMENT),
        ], name  # fmt: skip
        during = account.user_state(name)
        assert {k for k, status in during["keys"] if status == "Inactive"} == {k for k, _ in during["keys"]}, name
        assert during["password"] == before["password"], "the console password is never touched"

        restore = account.run("RestoreUserDocument", UserId=user_id)

        assert (restore.status, restore.message) == (SUCCESS, ""), name
        assert restore.calls == [
            *(iam_call("UpdateAccessKey", UserName=name, AccessKeyId=k, Status="Active") for k in deactivated),
            iam_call("DeleteUserPolicy", UserName=name, PolicyName=POLICY_NAME),
            iam_call("UntagUser", UserName=name, TagKeys=[QUARANTINED_AT, QUARANTINED_BY, DEACTIVATED_KEYS]),
        ], name
        assert account.user_state(name) == before, name
    assert dict(account.user_state("bob")["keys"])[bob_inactive] == "Inactive", "never reactivated"


def _in_use_refusal(name: str, credential: str, days: int, max_days: int) -> str:
    return (
        f"user {name} {credential} {days} days ago (within the rule's {max_days} days): "
        "quarantine would stop it; remove the unused credentials by hand instead"
    )


@pytest.mark.parametrize(
    "max_days, ago, refused_at",
    [
        ("45", timedelta(days=45, hours=23), 45),  # 45 whole days is not more than 45
        ("45", timedelta(days=46, hours=1), None),  # 46 is
        ("30", timedelta(days=30, hours=23), 30),  # the rule's own days, not the default
        ("30", timedelta(days=31, hours=1), None),
    ],
    ids=["45-of-45", "46-of-45", "30-of-30", "31-of-30"],
)
def test_a_key_is_unused_when_more_than_the_rules_whole_days_have_passed(
    fake_aws: FakeAws, max_days: str, ago: timedelta, refused_at: int | None
):
    account = Account(fake_aws, users_rule={"max_days_for_last_used": max_days})
    user_id = account.non_compliant_user("carol", keys=[
        AccessKeySpec(created=account.now - timedelta(days=100), last_used=account.now - ago),
    ])  # fmt: skip
    (key,) = account.key_ids("carol")
    before = account.user_state("carol")

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    if refused_at is None:
        assert quarantine.status == SUCCESS, quarantine.message
        assert quarantine.calls[0]["parameters"]["Tags"][2] == {"Key": DEACTIVATED_KEYS, "Value": key}
        assert account.user_state("carol")["keys"] == [(key, "Inactive")]
    else:
        assert (quarantine.status, quarantine.message) == (
            FAILED, _in_use_refusal("carol", f"has access key {key} used or created", refused_at, int(max_days))
        )  # fmt: skip
        assert quarantine.calls == []
        assert account.user_state("carol") == before


@pytest.mark.parametrize(
    "ago, refused_at",
    [(timedelta(days=45, hours=23), 45), (timedelta(days=46, hours=1), None)],
    ids=["45-of-45", "46-of-45"],
)
def test_a_console_password_is_in_use_when_signed_in_within_the_rules_whole_days(
    account: Account, ago: timedelta, refused_at: int | None
):
    user_id = account.non_compliant_user(
        "grace", password_last_used=account.now - ago,
        keys=[AccessKeySpec(created=account.now - timedelta(days=300))],
    )  # fmt: skip
    before = account.user_state("grace")

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    if refused_at is None:
        assert quarantine.status == SUCCESS, quarantine.message
        assert account.user_state("grace")["password"], "the console password is never touched"
    else:
        assert (quarantine.status, quarantine.message) == (
            FAILED, _in_use_refusal("grace", "signed in with its console password", refused_at, 45)
        )  # fmt: skip
        assert quarantine.calls == []
        assert account.user_state("grace") == before


def test_a_password_removed_after_its_last_sign_in_is_no_credential_in_use(account: Account):
    # GetUser keeps PasswordLastUsed after the login profile is deleted: no password, no refusal.
    user_id = account.non_compliant_user(
        "henry", password_last_used=account.now - timedelta(days=2),
        keys=[AccessKeySpec(created=account.now - timedelta(days=300))],
    )  # fmt: skip
    account.iam.delete_login_profile(UserName="henry")
    assert "PasswordLastUsed" in account.iam.get_user(UserName="henry")["User"], "the case this test is about"

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    assert quarantine.status == SUCCESS, quarantine.message


def test_a_user_without_active_keys_is_tagged_none_and_restored_without_reactivating(account: Account):
    now = account.now
    user_id = account.non_compliant_user("dave", password=True, keys=[
        AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=1), active=False),
    ])  # fmt: skip
    before = account.user_state("dave")

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    assert quarantine.status == SUCCESS, quarantine.message
    assert [c["operation"] for c in quarantine.calls] == ["TagUser", "PutUserPolicy"]
    assert quarantine.calls[0]["parameters"]["Tags"][2] == {"Key": DEACTIVATED_KEYS, "Value": "none"}
    assert dict(account.user_state("dave")["tags"])[DEACTIVATED_KEYS] == "none"

    restore = account.run("RestoreUserDocument", UserId=user_id)

    assert (restore.status, restore.message) == (SUCCESS, "")
    assert restore.calls == [
        iam_call("DeleteUserPolicy", UserName="dave", PolicyName=POLICY_NAME),
        iam_call("UntagUser", UserName="dave", TagKeys=[QUARANTINED_AT, QUARANTINED_BY, DEACTIVATED_KEYS]),
    ]
    assert account.user_state("dave") == before


def test_restore_reactivates_only_recorded_keys_that_still_exist_and_are_inactive(account: Account):
    now = account.now
    user_id = account.non_compliant_user("erin", keys=[
        AccessKeySpec(created=now - timedelta(days=300)),
        AccessKeySpec(created=now - timedelta(days=300)),
    ])  # fmt: skip
    first, second = account.key_ids("erin")
    assert account.run("QuarantineUserDocument", UserId=user_id).status == SUCCESS
    # Meanwhile a person deleted the first key.
    account.iam.delete_access_key(UserName="erin", AccessKeyId=first)

    restore = account.run("RestoreUserDocument", UserId=user_id)

    assert restore.status == SUCCESS, restore.message
    assert [c["parameters"].get("AccessKeyId") for c in restore.calls if c["operation"] == "UpdateAccessKey"] == [second]
    assert account.user_state("erin")["keys"] == [(second, "Active")]


def test_the_user_config_names_by_user_id_is_found_beyond_the_first_list_users_page(account: Account):
    for n in range(101):
        account.user(f"filler-{n:03d}")
    user_id = account.non_compliant_user("last-user")
    pages_before = requests_of(account.fake, "ListUsers")

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    assert quarantine.status == SUCCESS, quarantine.message
    assert requests_of(account.fake, "ListUsers") - pages_before >= 2
    assert quarantine.calls[0]["parameters"]["UserName"] == "last-user"


def _seed_user_guard(account: Account, case: str) -> tuple[str, str, str]:
    rule = USERS_RULE
    if case == "already-quarantined":
        user_id = account.non_compliant_user("held", tags={QUARANTINED_AT: "2026-10-01T00:00:00Z"})
        return user_id, "held", "user held is already quarantined (since 2026-10-01T00:00:00Z)"
    if case == "already-quarantined-policy":
        user_id = account.non_compliant_user("denied-user")
        account.fake.put_user_policy("denied-user", POLICY_NAME, APP_POLICY, account_id=account.id)
        return user_id, "denied-user", (
            f"user denied-user is already quarantined (since an unknown time: it has the {POLICY_NAME} policy)"
        )
    if case == "allowlisted":
        user_id = account.non_compliant_user("breakglass-user")
        return user_id, "breakglass-user", (
            f"user breakglass-user is allowlisted by pattern /breakglass-* of rule {rule}"
        )
    if case == "exempt":
        user_id = account.non_compliant_user("exempted", tags={"keep-until": "forever"})
        return user_id, "exempted", "user exempted carries the exempt tag keep-until"
    if case == "COMPLIANT":
        user_id = account.user("fine")
        account.result(rule, user_id, "COMPLIANT", "AWS::IAM::User")
        return user_id, "fine", f"user fine is COMPLIANT in rule {rule}, not NON_COMPLIANT"
    if case == "no-result":
        user_id = account.user("new")
        return user_id, "new", f"user new is not evaluated in rule {rule}, not NON_COMPLIANT"
    if case == "unknown-user-id":
        return "AIDAE2ENOSUCHUSER0001", "", "no user with UserId AIDAE2ENOSUCHUSER0001 in this account"
    # Still using a credential, by the rule's default 45 days (this rule sets none).
    now = account.now
    unused_key = AccessKeySpec(created=now - timedelta(days=300))
    if case == "password-signed-in":
        user_id = account.non_compliant_user(
            "signs-in", password_last_used=now - timedelta(days=45, hours=23), keys=[unused_key]
        )
        return user_id, "signs-in", _in_use_refusal("signs-in", "signed in with its console password", 45, 45)
    if case == "key-used-45-days-ago":
        user_id = account.non_compliant_user("scripted", keys=[
            AccessKeySpec(created=now - timedelta(days=300), last_used=now - timedelta(days=45, hours=23)),
        ])  # fmt: skip
        (key,) = account.key_ids("scripted")
        return user_id, "scripted", _in_use_refusal("scripted", f"has access key {key} used or created", 45, 45)
    if case == "key-created-10-days-ago-never-used":
        user_id = account.non_compliant_user("fresh", keys=[AccessKeySpec(created=now - timedelta(days=10))])
        (key,) = account.key_ids("fresh")
        return user_id, "fresh", _in_use_refusal("fresh", f"has access key {key} used or created", 10, 45)
    if case == "key-in-use-after-an-unused-one":
        user_id = account.non_compliant_user("rotating", keys=[unused_key, unused_key])
        _, in_use = sorted(account.key_ids("rotating"))
        account.recreate_key_at("rotating", in_use, now - timedelta(days=3))
        return user_id, "rotating", _in_use_refusal("rotating", f"has access key {in_use} used or created", 3, 45)
    if case == "two-keys-in-use":
        user_id = account.non_compliant_user("busy", keys=[unused_key, unused_key])
        first, second = sorted(account.key_ids("busy"))
        account.recreate_key_at("busy", first, now - timedelta(days=20))
        account.recreate_key_at("busy", second, now - timedelta(days=5))
        # The first in AccessKeyId order speaks.
        return user_id, "busy", _in_use_refusal("busy", f"has access key {first} used or created", 20, 45)
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    ["already-quarantined", "already-quarantined-policy", "allowlisted", "exempt", "COMPLIANT",
     "no-result", "unknown-user-id", "password-signed-in", "key-used-45-days-ago",
     "key-created-10-days-ago-never-used", "key-in-use-after-an-unused-one", "two-keys-in-use"],  # fmt: skip
)
def test_each_user_guard_refuses_with_its_reason_and_changes_nothing(fake_aws: FakeAws, case: str):
    account = Account(
        fake_aws, users_rule={"user_allowlist": "/breakglass-*", "exempt_tag_key": "keep-until"}
    )
    user_id, name, refusal = _seed_user_guard(account, case)
    before = account.user_state(name) if name else None

    quarantine = account.run("QuarantineUserDocument", UserId=user_id)

    assert (quarantine.status, quarantine.message) == (FAILED, refusal)
    assert quarantine.calls == []
    assert quarantine.steps == ["CheckGuards"], "it stops at the guards"
    if name:
        assert account.user_state(name) == before


def test_restore_refuses_a_user_that_is_not_quarantined_and_changes_nothing(account: Account):
    now = account.now
    user_id = account.user("frank", keys=[AccessKeySpec(created=now - timedelta(days=300), active=False)])
    before = account.user_state("frank")

    restore = account.run("RestoreUserDocument", UserId=user_id)

    assert (restore.status, restore.message) == (
        FAILED, f"user frank is not quarantined (no {QUARANTINED_AT} tag)"
    )  # fmt: skip
    assert restore.calls == []
    assert account.user_state("frank") == before


# ---- the entry point the CLI comparison uses -------------------------------------------------


def test_run_document_returns_status_message_and_the_canonical_calls(fake_aws: FakeAws):
    account = Account(fake_aws)
    role_id = account.non_compliant_role("by-entry-point")

    status, message, calls = run_document(
        TEMPLATE, "QuarantineRoleDocument", {"RoleId": role_id}, fake_aws.endpoint_url, STACK,
        account_id=account.id, access_key_id=account.key,
    )  # fmt: skip

    assert (status, message) == (SUCCESS, "")
    assert [c["operation"] for c in calls] == ["TagRole", "PutRolePolicy"]
    assert json.loads(json.dumps(calls)) == calls, "plain JSON, as role-audit prints it"


# ---- the fake's GetComplianceDetailsByResource (moto has none) --------------------------------


def test_the_fakes_results_by_resource_filter_by_compliance_and_refuse_a_foreign_token(account: Account):
    config = boto3.client(
        "config", endpoint_url=account.fake.endpoint_url, region_name=REGION,
        aws_access_key_id=account.key, aws_secret_access_key="e2e-secret",
    )  # fmt: skip
    account.result("rule-a", "AROAE2EFILTER", "COMPLIANT", "AWS::IAM::Role")
    account.result("rule-b", "AROAE2EFILTER", "NON_COMPLIANT", "AWS::IAM::Role")
    account.result("rule-c", "AROAE2EFILTER", "NON_COMPLIANT", "AWS::IAM::User")  # another type

    every = config.get_compliance_details_by_resource(ResourceType="AWS::IAM::Role", ResourceId="AROAE2EFILTER")
    only = config.get_compliance_details_by_resource(
        ResourceType="AWS::IAM::Role", ResourceId="AROAE2EFILTER", ComplianceTypes=["NON_COMPLIANT"]
    )

    def rules(page):
        return sorted(r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ConfigRuleName"]
                      for r in page["EvaluationResults"])  # fmt: skip

    assert rules(every) == ["rule-a", "rule-b"]
    assert rules(only) == ["rule-b"]
    with pytest.raises(config.exceptions.InvalidNextTokenException):
        config.get_compliance_details_by_resource(
            ResourceType="AWS::IAM::Role", ResourceId="AROAE2EFILTER", NextToken="bm90LW91cnM="
        )


# ---- the daily limit: the last guard, counted from the tags the document wrote ---------------

ROLE_DOCUMENT = f"{STACK}-QuarantineRole"
USER_DOCUMENT = f"{STACK}-QuarantineUser"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _limit_refusal(document: str, count: int, kind: str, limit: int) -> str:
    return (
        f"daily limit reached: {document} quarantined {count} {kind} in the last 24 hours "
        f"(DailyLimit {limit}); raise QuarantinesPerDay or wait"
    )


def test_the_daily_limit_lets_two_quarantines_through_and_refuses_the_third_changing_nothing(account: Account):
    first, second, third = (account.non_compliant_role(f"capped-{n}") for n in range(3))
    before = account.role_state("capped-2")

    assert account.run("QuarantineRoleDocument", RoleId=first, DailyLimit=2).status == SUCCESS
    assert account.run("QuarantineRoleDocument", RoleId=second, DailyLimit=2).status == SUCCESS
    refused = account.run("QuarantineRoleDocument", RoleId=third, DailyLimit=2)

    assert (refused.status, refused.message) == (FAILED, _limit_refusal(ROLE_DOCUMENT, 2, "roles", 2))
    assert refused.calls == []
    assert refused.steps == ["CheckGuards"]
    assert account.role_state("capped-2") == before
    # A restore removes the tags the count reads: its slot is free again.
    assert account.run("RestoreRoleDocument", RoleId=first).status == SUCCESS
    again = account.run("QuarantineRoleDocument", RoleId=third, DailyLimit=2)
    assert again.status == SUCCESS, again.message


def test_a_person_may_pass_a_higher_daily_limit_than_the_stacks(account: Account):
    for n in range(10):  # the template's QuarantinesPerDay default
        account.role(f"earlier-{n}", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: ROLE_DOCUMENT})
    role_id = account.non_compliant_role("one-more")

    by_default = account.run("QuarantineRoleDocument", RoleId=role_id)
    by_hand = account.run("QuarantineRoleDocument", RoleId=role_id, DailyLimit=11)

    assert by_default.message == _limit_refusal(ROLE_DOCUMENT, 10, "roles", 10)
    assert by_hand.status == SUCCESS, by_hand.message


@pytest.mark.parametrize(
    "tags, counted",
    [
        ({QUARANTINED_AT: "<1 hour ago>", QUARANTINED_BY: ROLE_DOCUMENT}, True),
        ({QUARANTINED_AT: "<1 hour ago>", QUARANTINED_BY: "role-audit"}, False),
        ({QUARANTINED_AT: "<1 hour ago>", QUARANTINED_BY: "another-stack-QuarantineRole"}, False),
        ({QUARANTINED_AT: "<25 hours ago>", QUARANTINED_BY: ROLE_DOCUMENT}, False),
        ({QUARANTINED_AT: "<23 hours ago>", QUARANTINED_BY: ROLE_DOCUMENT}, True),
        ({QUARANTINED_AT: "2026-12-01 10:00:00", QUARANTINED_BY: ROLE_DOCUMENT}, True),  # unparsable
        ({QUARANTINED_AT: "", QUARANTINED_BY: ROLE_DOCUMENT}, True),  # unparsable
        ({QUARANTINED_BY: ROLE_DOCUMENT}, False),  # no quarantined-at: not quarantined
    ],
    ids=["this-document-1h", "role-audit-1h", "another-stack-1h", "this-document-25h",
         "this-document-23h", "unparsable-time", "empty-time", "no-time"],  # fmt: skip
)
def test_only_this_documents_quarantines_of_the_last_24_hours_count(account: Account, tags: dict, counted: bool):
    ago = {"<1 hour ago>": timedelta(hours=1), "<23 hours ago>": timedelta(hours=23),
           "<25 hours ago>": timedelta(hours=25)}  # fmt: skip
    seeded = {k: _stamp(account.now - ago[v]) if v in ago else v for k, v in tags.items()}
    account.role("quarantined-earlier", tags=seeded)
    role_id = account.non_compliant_role("next-in-line")

    quarantine = account.run("QuarantineRoleDocument", RoleId=role_id, DailyLimit=1)

    if counted:
        assert (quarantine.status, quarantine.message) == (FAILED, _limit_refusal(ROLE_DOCUMENT, 1, "roles", 1))
        assert quarantine.calls == []
    else:
        assert (quarantine.status, quarantine.message) == (SUCCESS, "")


def test_the_count_reads_every_page_of_the_account_authorization_details(account: Account):
    account.fake.iam_page_limit[account.id] = 2
    try:
        for n in range(3):
            account.role(f"paged-{n}", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: ROLE_DOCUMENT})
        role_id = account.non_compliant_role("after-the-pages")
        pages_before = requests_of(account.fake, "GetAccountAuthorizationDetails")

        at_three = account.run("QuarantineRoleDocument", RoleId=role_id, DailyLimit=3)
        at_four = account.run("QuarantineRoleDocument", RoleId=role_id, DailyLimit=4)
    finally:
        del account.fake.iam_page_limit[account.id]

    assert at_three.message == _limit_refusal(ROLE_DOCUMENT, 3, "roles", 3)
    assert at_four.status == SUCCESS, at_four.message
    # 4 roles at 2 a page, read twice; roles only.
    assert requests_of(account.fake, "GetAccountAuthorizationDetails") - pages_before == 4
    with account.fake.recorder.lock:
        assert {tuple(p.filter) for p in account.fake.recorder.iam_pages[-4:]} == {("Role",)}


def test_the_users_daily_limit_counts_the_users_this_document_quarantined(account: Account):
    account.user("held-an-hour", tags={QUARANTINED_AT: _stamp(account.now - timedelta(hours=1)),
                                       QUARANTINED_BY: USER_DOCUMENT, DEACTIVATED_KEYS: "none"})  # fmt: skip
    account.user("held-by-a-person", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: "role-audit",
                                           DEACTIVATED_KEYS: "none"})  # fmt: skip
    # Roles are not counted, even one carrying the user document's tags.
    account.role("a-role", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: USER_DOCUMENT})
    user_id = account.non_compliant_user(
        "next-user", keys=[AccessKeySpec(created=account.now - timedelta(days=300))]
    )
    before = account.user_state("next-user")

    at_one = account.run("QuarantineUserDocument", UserId=user_id, DailyLimit=1)

    assert (at_one.status, at_one.message) == (FAILED, _limit_refusal(USER_DOCUMENT, 1, "users", 1))
    assert at_one.calls == []
    assert account.user_state("next-user") == before
    at_two = account.run("QuarantineUserDocument", UserId=user_id, DailyLimit=2)
    assert at_two.status == SUCCESS, at_two.message


def test_the_daily_limit_is_the_last_guard(account: Account):
    account.role("quarantined-earlier", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: ROLE_DOCUMENT})
    role_id = account.role("judged-fine")
    account.result(ROLES_RULE, role_id, "COMPLIANT", "AWS::IAM::Role")

    at_the_limit = account.run("QuarantineRoleDocument", RoleId=role_id, DailyLimit=1)

    assert at_the_limit.message == f"role judged-fine is COMPLIANT in rule {ROLES_RULE}, not NON_COMPLIANT"


def test_the_credential_in_use_guard_comes_after_the_result_and_before_the_daily_limit(account: Account):
    recent = AccessKeySpec(created=account.now - timedelta(days=300), last_used=account.now - timedelta(days=1))
    # COMPLIANT and using a key: the result speaks first.
    user_id = account.user("judged-fine", keys=[recent])
    account.result(USERS_RULE, user_id, "COMPLIANT", "AWS::IAM::User")
    assert account.run("QuarantineUserDocument", UserId=user_id).message == (
        f"user judged-fine is COMPLIANT in rule {USERS_RULE}, not NON_COMPLIANT"
    )
    # Using a key at the daily limit: the credential in use speaks before the limit.
    account.user("held-earlier", tags={QUARANTINED_AT: _stamp(account.now), QUARANTINED_BY: USER_DOCUMENT,
                                       DEACTIVATED_KEYS: "none"})  # fmt: skip
    user_id = account.non_compliant_user("in-use", keys=[recent])
    (key,) = account.key_ids("in-use")
    assert account.run("QuarantineUserDocument", UserId=user_id, DailyLimit=1).message == (
        _in_use_refusal("in-use", f"has access key {key} used or created", 1, 45)
    )
