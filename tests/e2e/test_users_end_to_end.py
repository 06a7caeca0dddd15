"""The users rule end to end: the same function binary with RULE_KIND=users, under the Runtime
API emulator, against moto with the fake's real credential report (fake_aws.py).

The account (users_account.py) lives in an account of its own, USERS_ACCOUNT, reached with an
access key no IAM user holds, so its user list is exactly the table's; it also holds two roles
and the roles rule's results, which the users rule must leave alone. The credential report was
generated an hour before the run and is still being generated when the function first asks
(one INPROGRESS answer), so the function's polling runs too.

1. TESTMODE: every user IAM lists and the report holds gets exactly one AWS::IAM::User
   evaluation keyed by its UserId, with the expected result and annotation; the user missing
   from the report is not sent (INSUFFICIENT_DATA); nothing is stored; the summary says so.
2. A real run stores those results, keeps the result Config held for the user missing from
   the report, and leaves a role's result (in the users rule and in the roles rule) alone.
3. A second run after deleting a user sends NOT_APPLICABLE for its UserId (stale clean-up);
   throttled credential-report calls are retried through the SDK's policy.
4. Bad users-rule parameters fail with the exact error and no AWS call.
5. An invalid RULE_KIND stops the function at start-up, naming it, before any AWS call.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import pytest

from .conftest import config_event, function_environment, running_function, timed
from .fake_aws import (
    GENERATE_CREDENTIAL_REPORT,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    GET_CREDENTIAL_REPORT,
    PUT_EVALUATIONS,
    REGION,
    THROTTLING,
    TRUST_POLICY,
    FakeAws,
)
from .lambda_emulator import LambdaEmulator, same_text
from .users_account import (
    COMPLIANT,
    CREATED_AFTER_REPORT,
    DELETED,
    INSUFFICIENT_DATA,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    NOT_IN_REPORT,
    PARAMETERS,
    REPORT_AGE,
    UserSpec,
    build_users,
)

USERS_ACCOUNT = "444444444444"
USERS_RULE = "iam-user-unused-credentials"
ROLES_RULE = "iam-role-last-used"
MAX_EVALUATIONS_PER_CALL = 100
# The user deleted between the stored run and the second run.
DELETED_LATER = "mixed-used"


class UsersAccount:
    def __init__(self, now: datetime, report_generated: datetime, users: list[UserSpec],
                 access_key: str, role_ids: list[str]):  # fmt: skip
        self.now = now
        self.report_generated = report_generated
        self.users = users
        self.access_key = access_key
        self.role_ids = role_ids

    def by_slug(self, slug: str) -> UserSpec:
        (spec,) = [u for u in self.users if u.row.slug == slug]
        return spec

    def listed(self) -> list[UserSpec]:
        """The users IAM lists at the first run."""
        return [u for u in self.users if u.row.rule != DELETED]

    def sent(self) -> list[UserSpec]:
        """The users whose evaluation is sent (INSUFFICIENT_DATA ones are not)."""
        return [u for u in self.listed() if u.expected_compliance != INSUFFICIENT_DATA]


@pytest.fixture(scope="module")
def users_account(fake_aws: FakeAws) -> UsersAccount:
    with timed("seed the users account"):
        now = datetime.now(timezone.utc)
        specs = build_users(now)
        access_key = fake_aws.key_without_user(USERS_ACCOUNT)
        late = (CREATED_AFTER_REPORT, NOT_IN_REPORT)

        def create(spec: UserSpec) -> None:
            spec.user_id = fake_aws.create_user(
                spec.name, spec.path, spec.created, spec.tags,
                password_set=spec.password_set, password_last_used=spec.password_last_used,
                keys=spec.keys, account_id=USERS_ACCOUNT,
            )  # fmt: skip

        for spec in specs:
            if spec.row.rule not in late:
                create(spec)
        report_generated = (now - REPORT_AGE).replace(microsecond=0)
        reports = fake_aws.credential_reports
        report = reports.snapshot(USERS_ACCOUNT, at=report_generated)
        reports.start_generation(USERS_ACCOUNT, report, polls=1)
        for spec in specs:
            if spec.row.rule in late:
                create(spec)
        for spec in specs:
            if spec.row.rule == DELETED:
                fake_aws.delete_user(spec.name, account_id=USERS_ACCOUNT)
        assert fake_aws.user_count(USERS_ACCOUNT) == len(specs) - 1

        # Two roles and the roles rule's results for them: the users rule must not touch them.
        role_ids = [
            fake_aws.create_role(name, "/", now, None, None, [], account_id=USERS_ACCOUNT)
            for name in ("app-role", "batch-role")
        ]
        for role_id in role_ids:
            fake_aws.config_results.seed(
                ROLES_RULE, role_id, COMPLIANT, f"{role_id}: used", account_id=USERS_ACCOUNT
            )
        assert TRUST_POLICY  # roles are created with a real trust policy
        return UsersAccount(now, report_generated, specs, access_key, role_ids)


@pytest.fixture(scope="module")
def users_function(cargo_lambda, function_binary, fake_aws, users_account, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lambda-users")
    # Fast SDK retries, as test_faults.py's, for the throttling scenario.
    env = function_environment(
        fake_aws, workdir, access_key_id=users_account.access_key, RULE_KIND="users",
        SDK_INITIAL_BACKOFF_MS="10", SDK_MAX_BACKOFF_MS="100",
    )  # fmt: skip
    with running_function(cargo_lambda, function_binary, env, workdir, "users") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("users-events")


class UsersRun:
    def __init__(self, invocation, recorded):
        self.invocation = invocation
        self.recorded = recorded

    def evaluations(self) -> dict[str, list[dict]]:
        by_id: dict[str, list[dict]] = {}
        for call in self.recorded.put_evaluations:
            for evaluation in call.evaluations:
                by_id.setdefault(evaluation["ComplianceResourceId"], []).append(evaluation)
        return by_id

    def operations(self) -> list[str]:
        return [a.operation for a in self.recorded.attempts if a.account_id == USERS_ACCOUNT]


def invoke(function: LambdaEmulator, fake_aws: FakeAws, event) -> UsersRun:
    fake_aws.recorder.clear()
    invocation = function.invoke(event)
    return UsersRun(invocation, fake_aws.recorder.snapshot())


def users_event(events_dir, fake_aws, *, testmode: bool, parameters=PARAMETERS):
    return config_event(
        events_dir,
        account=USERS_ACCOUNT,
        rule=USERS_RULE,
        result_token=(
            "TESTMODE" if testmode
            else fake_aws.config_results.result_token(USERS_RULE, USERS_ACCOUNT, REGION)
        ),
        template="scheduled-testmode.json" if testmode else "scheduled.json",
        parameters=parameters,
    )  # fmt: skip


@pytest.fixture(scope="module")
def testmode_users_run(users_function, fake_aws, users_account, events_dir) -> UsersRun:
    with timed("users TESTMODE invocation"):
        run = invoke(users_function, fake_aws, users_event(events_dir, fake_aws, testmode=True))
    assert run.invocation.ok, f"{run.invocation.stdout}\n{run.invocation.stderr}"
    return run


def wrong_evaluations(run: UsersRun, specs: list[UserSpec]) -> list[str]:
    by_id = run.evaluations()
    wrong = []
    for spec in specs:
        got = by_id.get(spec.user_id, [])
        if len(got) != 1:
            wrong.append(f"{spec.row.slug} {spec.name}: {len(got)} evaluations")
            continue
        want = {
            "ComplianceResourceType": "AWS::IAM::User",
            "ComplianceResourceId": spec.user_id,
            "ComplianceType": spec.expected_compliance,
            "Annotation": spec.expected_annotation,
        }
        fields = {key: got[0].get(key, "<missing>") for key in want}
        if fields != want:
            wrong.append(f"{spec.row.slug}: got {fields}, want {want}")
    return wrong


# ---- 1. TESTMODE --------------------------------------------------------------------------------


def test_testmode_run_gives_each_user_one_evaluation_keyed_by_user_id_with_the_expected_result(
    testmode_users_run, users_account
):
    wrong = wrong_evaluations(testmode_users_run, users_account.sent())
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong)
    sent_ids = set(testmode_users_run.evaluations())
    assert sent_ids == {u.user_id for u in users_account.sent()}, "evaluated UserIds differ"
    # Every rule of the table was exercised, each verdict given.
    assert {u.expected_compliance for u in users_account.sent()} == {COMPLIANT, NON_COMPLIANT}
    assert len(users_account.users) >= 30


def test_a_user_missing_from_the_report_is_not_sent_and_a_deleted_one_not_evaluated(
    testmode_users_run, users_account
):
    sent = testmode_users_run.evaluations()
    missing = users_account.by_slug("missing-from-report")
    assert missing.user_id not in sent, "a user the report lacks must not be judged"
    deleted = users_account.by_slug("deleted-since-report")
    assert deleted.user_id not in sent
    assert not any(deleted.name in e["Annotation"] for evs in sent.values() for e in evs)


def test_testmode_reads_the_report_to_completion_then_the_users_before_sending_anything(
    testmode_users_run,
):
    operations = testmode_users_run.operations()
    first_put = operations.index(PUT_EVALUATIONS)
    reads, writes = operations[:first_put], operations[first_put:]
    # IAM's protocol: GenerateCredentialReport until COMPLETE (one INPROGRESS here), then
    # GetCredentialReport once; the users in GetAccountAuthorizationDetails pages.
    assert Counter(reads) == {
        GENERATE_CREDENTIAL_REPORT: 2,
        GET_CREDENTIAL_REPORT: 1,
        GET_ACCOUNT_AUTHORIZATION_DETAILS: 1,
    }, reads
    assert reads.index(GET_CREDENTIAL_REPORT) > reads.index(GENERATE_CREDENTIAL_REPORT)
    assert set(writes) == {PUT_EVALUATIONS}, "no clean-up read in TESTMODE"
    for page in testmode_users_run.recorded.iam_pages:
        # The users, and the groups and customer managed policies their privilege may come from.
        assert page.filter == ["User", "Group", "LocalManagedPolicy"]
    for call in testmode_users_run.recorded.put_evaluations:
        assert call.test_mode is True
        assert call.account_id == USERS_ACCOUNT
        assert 1 <= len(call.evaluations) <= MAX_EVALUATIONS_PER_CALL


def test_testmode_stores_nothing(testmode_users_run, fake_aws):
    assert fake_aws.config_results.stored(USERS_RULE, USERS_ACCOUNT) == {}


def test_the_users_summary_counts_what_was_sent_and_names_the_report_time(
    testmode_users_run, users_account
):
    sent = users_account.sent()
    counts = Counter(u.expected_compliance for u in sent)
    response = testmode_users_run.invocation.response()
    expected = {
        "rule_kind": "users",
        "principals": len(users_account.listed()),
        "not_judged": 1,
        "compliant": counts[COMPLIANT],
        "non_compliant": counts[NON_COMPLIANT],
        "not_applicable": 0,
        "stale_cleaned": 0,
        "test_mode": True,
    }
    assert {k: response.get(k, "<missing>") for k in expected} == expected, response
    generated = datetime.fromisoformat(
        str(response["credential_report_generated"]).replace("Z", "+00:00")
    )
    assert generated == users_account.report_generated, response


# ---- 2. a real run stores one result per user ------------------------------------------------------


@pytest.fixture(scope="module")
def stored_users_run(testmode_users_run, users_function, fake_aws, users_account, events_dir):
    results = fake_aws.config_results
    # What Config already holds: an older result for the user missing from this report, and a
    # role's result in the users rule (as if the rule had once been scoped wrongly).
    missing = users_account.by_slug("missing-from-report")
    results.seed(USERS_RULE, missing.user_id, COMPLIANT, "missing-from-report: earlier result",
                 account_id=USERS_ACCOUNT, resource_type="AWS::IAM::User")  # fmt: skip
    results.seed(USERS_RULE, users_account.role_ids[0], COMPLIANT, "a role's result",
                 account_id=USERS_ACCOUNT, resource_type="AWS::IAM::Role")  # fmt: skip
    with timed("users real invocation"):
        run = invoke(users_function, fake_aws, users_event(events_dir, fake_aws, testmode=False))
    assert run.invocation.ok, f"{run.invocation.stdout}\n{run.invocation.stderr}"
    return run


def test_a_real_run_stores_one_user_result_per_user_id(stored_users_run, fake_aws, users_account):
    stored = fake_aws.config_results.stored(USERS_RULE, USERS_ACCOUNT)
    wrong = []
    for spec in users_account.sent():
        got = stored.get(spec.user_id)
        want = ("AWS::IAM::User", spec.expected_compliance, spec.expected_annotation)
        if got is None or (got["ResourceType"], got["ComplianceType"], got["Annotation"]) != want:
            wrong.append(f"{spec.row.slug}: stored {got}, want {want}")
    assert not wrong, "\n".join(wrong)
    for call in stored_users_run.recorded.put_evaluations:
        # (TestMode left out of the call, as without TestMode, reads None here.)
        assert not call.test_mode and call.failed_ids == []


def test_a_real_run_keeps_what_config_holds_for_a_user_the_report_lacks_and_for_roles(
    stored_users_run, fake_aws, users_account
):
    stored = fake_aws.config_results.stored(USERS_RULE, USERS_ACCOUNT)
    missing = users_account.by_slug("missing-from-report")
    assert stored[missing.user_id]["ComplianceType"] == COMPLIANT
    assert stored[missing.user_id]["Annotation"] == "missing-from-report: earlier result"
    role_id = users_account.role_ids[0]
    assert (stored[role_id]["ResourceType"], stored[role_id]["ComplianceType"]) == (
        "AWS::IAM::Role",
        COMPLIANT,
    )
    assert role_id not in stored_users_run.evaluations(), "a role is not the users rule's to judge"
    roles_rule = fake_aws.config_results.stored(ROLES_RULE, USERS_ACCOUNT)
    assert {rid: r["ComplianceType"] for rid, r in roles_rule.items()} == {
        rid: COMPLIANT for rid in users_account.role_ids
    }
    # The clean-up read ran (a real run), after every IAM read.
    assert GET_COMPLIANCE_DETAILS in stored_users_run.operations()


# ---- 3. the second run after a user was deleted ------------------------------------------------


@pytest.fixture(scope="module")
def second_users_run(stored_users_run, users_function, fake_aws, users_account, events_dir):
    fake_aws.delete_user(DELETED_LATER, account_id=USERS_ACCOUNT)
    with timed("users second invocation"):
        run = invoke(users_function, fake_aws, users_event(events_dir, fake_aws, testmode=False))
    assert run.invocation.ok, f"{run.invocation.stdout}\n{run.invocation.stderr}"
    return run


def test_a_second_run_after_deleting_a_user_marks_its_user_id_not_applicable(
    second_users_run, fake_aws, users_account
):
    gone = [u for u in users_account.users if u.name == DELETED_LATER][0]
    sent = second_users_run.evaluations()
    assert [e["ComplianceType"] for e in sent.get(gone.user_id, [])] == [NOT_APPLICABLE]
    stored = fake_aws.config_results.stored(USERS_RULE, USERS_ACCOUNT)
    assert stored[gone.user_id]["ComplianceType"] == NOT_APPLICABLE
    assert stored[gone.user_id]["ResourceType"] == "AWS::IAM::User"
    # Nothing else was cleaned: not the role's result, not the user the report lacks.
    not_applicable = {rid for rid, evs in sent.items() for e in evs if e["ComplianceType"] == NOT_APPLICABLE}
    assert not_applicable == {gone.user_id}
    role_id = users_account.role_ids[0]
    assert stored[role_id]["ComplianceType"] == COMPLIANT
    missing = users_account.by_slug("missing-from-report")
    assert stored[missing.user_id]["Annotation"] == "missing-from-report: earlier result"
    assert second_users_run.invocation.response()["stale_cleaned"] == 1


def test_throttled_credential_report_calls_are_retried_and_the_run_gives_the_same_results(
    second_users_run, users_function, fake_aws, users_account, events_dir
):
    fake_aws.faults.plan(GENERATE_CREDENTIAL_REPORT, [THROTTLING, THROTTLING])
    fake_aws.faults.plan(GET_CREDENTIAL_REPORT, [THROTTLING])
    try:
        run = invoke(users_function, fake_aws, users_event(events_dir, fake_aws, testmode=True))
        assert fake_aws.faults.pending() == {}
    finally:
        fake_aws.faults.clear()
    assert run.invocation.ok, f"{run.invocation.stdout}\n{run.invocation.stderr}"
    still_there = [u for u in users_account.sent() if u.name != DELETED_LATER]
    wrong = wrong_evaluations(run, still_there)
    assert not wrong, "\n".join(wrong)
    attempts = Counter(run.operations())
    assert attempts[GENERATE_CREDENTIAL_REPORT] == 3 and attempts[GET_CREDENTIAL_REPORT] == 2
    assert run.invocation.response()["sdk_retries"] == 3


# ---- 4. bad users-rule parameters ---------------------------------------------------------------

BAD_PARAMETERS = [
    (
        {"max_days_for_last_used": "3651"},
        'invalid rule parameter max_days_for_last_used: "3651" is out of range; '
        "expected a whole number of days from 1 to 3650",
    ),
    (
        {"role_allowlist": "/breakglass-role"},
        'invalid rule parameter role_allowlist: unknown key "role_allowlist"; '
        "valid keys are: max_days_for_last_used, user_allowlist, exempt_tag_key, "
        "execution_role_name, publish",
    ),
]


@pytest.mark.parametrize(("parameters", "message"), BAD_PARAMETERS, ids=["max-days-3651", "role-key"])
def test_a_bad_users_rule_parameter_fails_with_the_exact_error_and_no_aws_call(
    users_function, fake_aws, users_account, events_dir, parameters, message
):
    run = invoke(
        users_function,
        fake_aws,
        users_event(events_dir, fake_aws, testmode=False, parameters=parameters),
    )
    error_type, got = run.invocation.error()
    assert error_type == "InvalidRuleParameter"
    assert same_text(got, message), f"got {got!r}"
    assert run.recorded.put_evaluations == []
    assert run.operations() == [], "bad parameters must stop the run before any AWS call"


# ---- 5. an invalid RULE_KIND ------------------------------------------------------------------------


def test_an_invalid_rule_kind_stops_the_function_at_start_up_naming_it(
    cargo_lambda, function_binary, fake_aws, users_account, tmp_path
):
    env = function_environment(
        fake_aws, tmp_path, access_key_id=users_account.access_key, RULE_KIND="groups"
    )
    fake_aws.recorder.clear()
    with pytest.raises(RuntimeError, match="exited with") as failed:
        with running_function(cargo_lambda, function_binary, env, tmp_path, "bad RULE_KIND"):
            pass
    log = str(failed.value)
    assert 'error_type="InvalidSetting"' in log, log
    assert 'invalid setting: RULE_KIND="groups" is not one of "roles", "users"' in log, log
    assert fake_aws.recorder.snapshot().attempts == [], "no AWS call before the settings are valid"


def test_the_users_table_covers_every_rule(users_account):
    rules = Counter(u.row.rule.name for u in users_account.users)
    assert all(n >= 1 for n in rules.values())
    assert len(rules) == 8
