"""Organization scale: ONE central function evaluates three member accounts.

As an organization rule runs it (README, "Organizations"): the function runs in the central
account, moto's default 123456789012, with that account's own (dummy) keys, and knows its own
account from its ARN, which Lambda hands it with each event (`Lambda-Runtime-Invoked-Function-Arn`;
cargo-lambda's emulator sends `function-arn`, so the pass-through sets the real shape, see
lambda_emulator.py). Each event names a member account (`accountId`) and the rule parameter
`execution_role_name`; the function assumes that role there through STS. moto's STS issues keys
that moto's other services resolve to the assumed role's account, so every request the fake
receives is attributed to the account whose keys signed it (`AttemptRecord.account_id`), and
moto's Config backend of that account receives the PutEvaluations (`PutEvaluationsRecord`).

The three accounts hold different roles (different rows of account.py's table) plus the member
role each; the assertions are that each invocation read and wrote its own account only:
- one TESTMODE run per account: PutEvaluations carry exactly that account's RoleIds, with the
  expected results, and land in that account; STS was called with the central keys, for the
  member role of that account;
- a warm A, B, A sequence on the same process, without TestMode: each run's results are stored
  in its own account's rule, B's stale result is cleaned from B's results only, and A's second
  run sends exactly A's roles again;
- an event for B without `execution_role_name` fails with ExecutionRoleNeeded and makes no
  request at all;
- the users rule's own central function (RULE_KIND=users) evaluates C's users through the same
  member role: the credential report and the users of C only, one AWS::IAM::User result each.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from moto.sts.models import sts_backends

from .account import COMPLIANT, KINDS, MARGIN, NOT_APPLICABLE, YOUNG, RoleSpec, build_account
from .conftest import (
    EVENTS,
    Account,
    config_event,
    function_environment,
    running_function,
    seed_account,
    timed,
)
from .fake_aws import (
    ACCOUNT_ID,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    PUT_EVALUATIONS,
    REGION,
    AccessKeySpec,
    FakeAws,
    Recorder,
)
from .lambda_emulator import FUNCTION_NAME, Invocation, LambdaEmulator

CENTRAL_ACCOUNT = ACCOUNT_ID  # moto's default: the account of the function's own keys
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{CENTRAL_ACCOUNT}:function:{FUNCTION_NAME}"
MEMBER_ROLE = "iam-role-last-used-member"
A, B, C = "111111111111", "222222222222", "333333333333"
# Which rows of account.py's table (build_account's order) each account holds: disjoint sets,
# so the three accounts share no role name either.
ROWS = {A: slice(0, 6), B: slice(6, 15), C: slice(15, 19)}
ORG_RULE = "OrgConfigRule-iam-role-last-used-e2e4k2"
TESTMODE_PARAMETERS = json.loads(
    json.loads((EVENTS / "scheduled-testmode.json").read_text())["ruleParameters"]
)
ROLE_PARAMETERS = {**TESTMODE_PARAMETERS, "execution_role_name": MEMBER_ROLE}
SESSION_NAME = f"iam-role-last-used-{ORG_RULE}"  # src/core/account.rs: the rule's name, <= 64 chars
STALE_IN_B = "AROAB0000000000GONE01"


# ---- fixtures -----------------------------------------------------------------------------


def member_role(now: datetime) -> RoleSpec:
    """The role the central function assumes, created with the member account (README row 4:
    younger than the threshold, whatever moto then records as its last use)."""
    young = next(kind for kind in KINDS if kind.rule == YOUNG and kind.created_days_ago == 0)
    return RoleSpec(
        kind=young,
        name=MEMBER_ROLE,
        path="/",
        created=now - MARGIN,
        last_used=None,
        region=None,
        tags=[],
        expected_compliance=COMPLIANT,
        expected_annotation=(
            f"{MEMBER_ROLE}: created {(now - MARGIN).astimezone(timezone.utc).date()}, "
            "within the 60-day threshold"
        ),
        expected_days_since_last_use=None,
    )


@pytest.fixture(scope="module")
def members(fake_aws: FakeAws) -> dict[str, Account]:
    now = datetime.now(timezone.utc)
    table = build_account(now, max(s.stop for s in ROWS.values()))
    with timed("seed the organization's three member accounts"):
        return {
            account: seed_account(fake_aws, now, [*table[rows], member_role(now)], account)
            for account, rows in ROWS.items()
        }


@pytest.fixture(scope="module")
def central_function(cargo_lambda, function_binary, fake_aws, members, tmp_path_factory):
    """One function process, in the central account, with its ARN as Lambda gives it."""
    workdir = tmp_path_factory.mktemp("lambda-organization")
    env = function_environment(fake_aws, workdir)  # the default keys: CENTRAL_ACCOUNT
    with running_function(
        cargo_lambda, function_binary, env, workdir, "organization",
        invoked_function_arn=FUNCTION_ARN,
    ) as emulator:  # fmt: skip
        yield emulator


# ---- running it ---------------------------------------------------------------------------


def member_event(
    fake_aws: FakeAws, directory: Path, account: str, parameters: dict, test_mode: bool
) -> Path:
    """The event Config sends the central function for `account`'s copy of the organization
    rule: TESTMODE, or with a ResultToken the fake issued for that account's rule."""
    return config_event(
        directory, account=account, rule=ORG_RULE, template="scheduled-testmode.json",
        parameters=parameters,
        rule_arn=(
            f"arn:aws:config:{REGION}:{account}:config-rule/aws-service-rule/"
            "config-multiaccountsetup.amazonaws.com/config-rule-e2e4k2"
        ),
        execution_role_arn=(
            f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/"
            "AWSServiceRoleForConfig"
        ),
        result_token=(
            "TESTMODE" if test_mode else fake_aws.config_results.result_token(ORG_RULE, account)
        ),
    )


@dataclass
class MemberRun:
    account: str
    invocation: Invocation
    recorded: Recorder
    assumed: list  # the AssumeRole calls moto's STS saw for the account, this run only

    def sent(self) -> Counter:
        return Counter(
            e["ComplianceResourceId"]
            for call in self.recorded.put_evaluations
            for e in call.evaluations
        )


def invoke_for(
    function: LambdaEmulator, fake_aws: FakeAws, tmp_path: Path, account: str,
    parameters: dict = ROLE_PARAMETERS, test_mode: bool = True,
) -> MemberRun:  # fmt: skip
    event = member_event(fake_aws, tmp_path, account, parameters, test_mode)
    sts = sts_backends[account]["aws"]
    assumed_before = len(sts.assumed_roles)
    fake_aws.recorder.clear()
    with timed("organization invocations"):
        invocation = function.invoke(event)
    fake_aws.wait_idle()
    return MemberRun(
        account, invocation, fake_aws.recorder.snapshot(), sts.assumed_roles[assumed_before:]
    )


def assert_only_its_own_account(run: MemberRun, account: Account, test_mode: bool) -> None:
    """The run assumed the member role of its account with the central keys, then read and
    wrote that account only, one evaluation per role of it, each the expected one."""
    assert run.invocation.ok, f"{run.invocation.stdout}\n{run.invocation.stderr}"
    summary = run.invocation.response()
    assert (summary["account_id"], summary["principals"], summary["test_mode"]) == (
        run.account,
        len(account.roles),
        test_mode,
    ), summary

    # STS: once, signed by the central account, for the member role of this account.
    attempts = run.recorded.attempts
    assert [(a.service, a.operation, a.account_id, a.status) for a in attempts[:1]] == [
        ("sts", "AssumeRole", CENTRAL_ACCOUNT, 200)
    ]
    assert [(r.role_arn, r.session_name) for r in run.assumed] == [
        (f"arn:aws:iam::{run.account}:role/{MEMBER_ROLE}", SESSION_NAME)
    ]
    # Everything after it signed with the assumed keys, which moto maps to this account.
    rest = attempts[1:]
    assert {a.account_id for a in rest} == {run.account}, [
        (a.operation, a.account_id) for a in rest
    ]
    operations = Counter(a.operation for a in rest)
    assert operations[GET_ACCOUNT_AUTHORIZATION_DETAILS] == 1
    assert operations[GET_COMPLIANCE_DETAILS] == (0 if test_mode else 1)
    assert operations[PUT_EVALUATIONS] == len(run.recorded.put_evaluations) >= 1
    assert all(a.status == 200 for a in rest)

    # PutEvaluations: landed in this account's Config backend, exactly its roles, once each.
    calls = run.recorded.put_evaluations
    # (TestMode left out of the call, as without TestMode, reads None here.)
    assert {(c.account_id, c.region, bool(c.test_mode)) for c in calls} == {
        (run.account, REGION, test_mode)
    }
    sent = run.sent()
    evaluated = {rid: n for rid, n in sent.items() if not rid.startswith(STALE_IN_B)}
    assert set(evaluated) == set(account.roles), (
        f"{run.account}: sent for other RoleIds {sorted(set(evaluated) - set(account.roles))}, "
        f"missing {sorted(set(account.roles) - set(evaluated))}"
    )
    assert set(sent.values()) == {1}
    by_id = {e["ComplianceResourceId"]: e for c in calls for e in c.evaluations}
    wrong = [
        f"{spec.name}: got {(by_id[rid]['ComplianceType'], by_id[rid]['Annotation'])}"
        for rid, spec in account.roles.items()
        if (by_id[rid]["ComplianceType"], by_id[rid]["Annotation"])
        != (spec.expected_compliance, spec.expected_annotation)
    ]
    assert not wrong, wrong


# ---- the tests ----------------------------------------------------------------------------


def test_the_member_accounts_hold_different_roles(members):
    names = {
        account: {spec.name for spec in acc.roles.values()} for account, acc in members.items()
    }
    assert names[A] & names[B] == names[A] & names[C] == names[B] & names[C] == {MEMBER_ROLE}
    ids = [set(acc.roles) for acc in members.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def test_one_function_evaluates_each_member_account_with_its_own_role(
    central_function, fake_aws, members, tmp_path
):
    for account in (A, B, C):
        run = invoke_for(central_function, fake_aws, tmp_path, account)
        assert_only_its_own_account(run, members[account], test_mode=True)


def test_a_warm_a_b_a_sequence_leaks_nothing_between_accounts(
    central_function, fake_aws, members, tmp_path
):
    # A result B's rule already holds for a role gone from B: only B's run may clean it.
    fake_aws.config_results.seed(
        ORG_RULE, STALE_IN_B, "NON_COMPLIANT", f"{STALE_IN_B}: last used 90 days ago", B, REGION
    )
    # publish=all: each run sends every role, which is what shows they stay apart.
    every_result = {**ROLE_PARAMETERS, "publish": "all"}
    runs = [
        invoke_for(central_function, fake_aws, tmp_path, account, every_result, test_mode=False)
        for account in (A, B, A)
    ]

    for run in runs:
        assert_only_its_own_account(run, members[run.account], test_mode=False)
    first_a, b, second_a = runs
    assert [r.invocation.response()["stale_cleaned"] for r in runs] == [0, 1, 0]
    assert b.sent()[STALE_IN_B] == 1
    # A's second run, after B's on the same warm process: exactly A's roles, as the first.
    assert second_a.sent() == first_a.sent() == Counter(set(members[A].roles))

    # What each account's copy of the rule holds in Config: its own roles only.
    for account in (A, B):
        stored = fake_aws.config_results.stored(ORG_RULE, account, REGION)
        want = {
            rid: (spec.expected_compliance, spec.expected_annotation)
            for rid, spec in members[account].roles.items()
        }
        if account == B:
            want[STALE_IN_B] = (NOT_APPLICABLE, f"{STALE_IN_B}: role no longer exists")
        got = {rid: (r["ComplianceType"], r["Annotation"]) for rid, r in stored.items()}
        assert got == want, account
    assert fake_aws.config_results.stored(ORG_RULE, C, REGION) == {}  # C ran in TESTMODE only

    # With publish=changes (the default), A's next run finds its results unchanged in A's
    # Config: it sends A's account evaluation only, to A, and nothing lands in B.
    held_in_b = fake_aws.config_results.stored(ORG_RULE, B, REGION)
    third_a = invoke_for(central_function, fake_aws, tmp_path, A, test_mode=False)
    assert third_a.invocation.ok, third_a.invocation.stderr
    assert [(c.account_id, [e["ComplianceResourceType"] for e in c.evaluations])
            for c in third_a.recorded.put_evaluations] == [(A, ["AWS::::Account"])]
    assert third_a.sent() == Counter({A: 1})
    assert fake_aws.config_results.stored(ORG_RULE, B, REGION) == held_in_b


def test_an_event_for_another_account_without_execution_role_name_is_refused_unread(
    central_function, fake_aws, members, tmp_path
):
    errors_before = len(central_function.errors_posted())
    run = invoke_for(central_function, fake_aws, tmp_path, B, parameters=TESTMODE_PARAMETERS)

    message = (
        f"the event is for account {B} but the function runs in {CENTRAL_ACCOUNT}: set the rule "
        "parameter execution_role_name to the role to assume there; nothing was evaluated"
    )
    # Exactly what the function reported to the Runtime API: Lambda's errorType and message.
    assert central_function.errors_posted()[errors_before:] == [
        {"errorType": "ExecutionRoleNeeded", "errorMessage": message}
    ]
    assert run.invocation.error()[0] == "ExecutionRoleNeeded"
    assert run.recorded.attempts == [], "no AWS request at all, STS included"
    assert run.assumed == []


# ---- the organization users rule: its own central function, the same member role ------------

USERS_ORG_RULE = "OrgConfigRule-iam-user-unused-credentials-org-e2e4k3"


def test_the_users_function_evaluates_a_member_account_s_users_through_the_member_role(
    cargo_lambda, function_binary, fake_aws, members, tmp_path_factory, tmp_path
):
    now = datetime.now(timezone.utc)
    days = lambda n: now - timedelta(days=n, hours=12)  # noqa: E731
    stale = fake_aws.create_user(
        "c-stale-key", "/", days(900), [],
        keys=[AccessKeySpec(days(800), last_used=days(200), region="us-east-1", service="s3")],
        account_id=C,
    )  # fmt: skip
    nothing = fake_aws.create_user("c-no-credentials", "/", days(900), [], account_id=C)
    fake_aws.credential_reports.discard(C)  # the first GenerateCredentialReport starts one

    workdir = tmp_path_factory.mktemp("lambda-organization-users")
    env = function_environment(fake_aws, workdir, RULE_KIND="users")
    arn = f"arn:aws:lambda:{REGION}:{CENTRAL_ACCOUNT}:function:iam-user-unused-credentials-org"
    with running_function(
        cargo_lambda, function_binary, env, workdir, "organization users", invoked_function_arn=arn
    ) as users_function:  # fmt: skip
        event = config_event(
            tmp_path, account=C, rule=USERS_ORG_RULE, template="scheduled-testmode.json",
            parameters={"max_days_for_last_used": "45", "execution_role_name": MEMBER_ROLE},
            result_token="TESTMODE",
        )  # fmt: skip
        sts = sts_backends[C]["aws"]
        assumed_before = len(sts.assumed_roles)
        fake_aws.recorder.clear()
        invocation = users_function.invoke(event)
        fake_aws.wait_idle()
    recorded = fake_aws.recorder.snapshot()
    assert invocation.ok, f"{invocation.stdout}\n{invocation.stderr}"
    assert [r.role_arn for r in sts.assumed_roles[assumed_before:]] == [
        f"arn:aws:iam::{C}:role/{MEMBER_ROLE}"
    ]
    attempts = recorded.attempts
    assert (attempts[0].operation, attempts[0].account_id) == ("AssumeRole", CENTRAL_ACCOUNT)
    assert {a.account_id for a in attempts[1:]} == {C}
    operations = Counter(a.operation for a in attempts[1:])
    assert operations["GenerateCredentialReport"] >= 2  # STARTED, then COMPLETE
    assert operations["GetCredentialReport"] == 1
    sent = {e["ComplianceResourceId"]: e for c in recorded.put_evaluations for e in c.evaluations}
    assert {c.account_id for c in recorded.put_evaluations} == {C}
    assert {rid: (e["ComplianceResourceType"], e["ComplianceType"]) for rid, e in sent.items()} == {
        stale: ("AWS::IAM::User", "NON_COMPLIANT"),
        nothing: ("AWS::IAM::User", COMPLIANT),
    }
    assert sent[stale]["Annotation"].startswith("c-stale-key: ")
    assert sent[nothing]["Annotation"].startswith("c-no-credentials: ")
    assert invocation.response()["principals"] == 2
