"""Fault scenarios, end to end: the real binary and SDK against the fake
AWS (fake_aws.py) while it throttles, fails, resets connections, answers slowly, refuses
evaluations, and while the Lambda deadline runs out.

Everything here runs in its own account (FAULT_ACCOUNT, 450 roles of account.py's table) so the
2 500-role account of test_end_to_end.py is untouched, and each test writes to its own Config
rule (the fake stores results per rule, as Config does), in runs without TestMode: the
function's events are events/scheduled.json with the rule's name and a ResultToken the fake
issued for it, written at run time. The fake serves IAM pages of at most 200 roles (real IAM may
serve fewer than MaxItems), so a run reads 3 IAM pages, page 2 being a middle one, and sends 5
PutEvaluations calls.

The function runs with fast retries (SDK_INITIAL_BACKOFF_MS=10, SDK_MAX_BACKOFF_MS=100,
SDK_ATTEMPT_TIMEOUT_MS=1500) and the default 8 attempts, so 5 throttles and a success fit.
The rule parameter publish=all makes every run send every role, as the scenarios count on.

What each test asserts, besides its own point: every RoleId ends with exactly one result in
Config, read back through boto3's GetComplianceDetailsByConfigRule, with the ComplianceType and
annotation the README's rules give; and the SDK retries the function counts (the response's
`sdk_retries` and the `evaluation complete` log line's) equal the faults injected.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest

from .account import KINDS, NOT_APPLICABLE, RoleSpec, build_account
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
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    HTTP_500,
    HTTP_503,
    PUT_EVALUATIONS,
    REGION,
    RESET,
    THROTTLING,
    FakeAws,
    Recorder,
    delay,
    delay_until,
)
from .lambda_emulator import Invocation, LambdaEmulator, same_text

FAULT_ACCOUNT = "111122223333"
ROLES = 450
IAM_PAGE_LIMIT = 200
IAM_PAGES = -(-ROLES // IAM_PAGE_LIMIT)  # 3
PUT_CALLS = -(-ROLES // 100)  # 5
RESULTS_PAGE = 100  # GetComplianceDetailsByConfigRule's Limit (src/aws/config_rule.rs)

ATTEMPT_TIMEOUT_S = 1.5
FAST_RETRIES = {
    "SDK_INITIAL_BACKOFF_MS": "10",
    "SDK_MAX_BACKOFF_MS": "100",
    "SDK_ATTEMPT_TIMEOUT_MS": str(int(ATTEMPT_TIMEOUT_S * 1000)),
    "SDK_OPERATION_TIMEOUT_MS": "30000",
}
MAX_ATTEMPTS = 8  # src/core/settings.rs MAX_ATTEMPTS, left at its default here
SLOWER_THAN_AN_ATTEMPT_S = ATTEMPT_TIMEOUT_S + 1.0
# A delayed request may still be in the fake after the function gave up on it: wait for it.
IDLE_TIMEOUT_S = 30

# The deadline scenario's function: PutEvaluations one call at a time so publishing 450
# evaluations is budgeted at 5 x 0.5 s + 2 s = 4.5 s (src/core/deadline.rs, src/core/settings.rs), attempts that never time
# out (a slow IAM is just slow). Reading must end 2.5 s before the deadline (time for one call +
# the margin). The Lambda timeout leaves a loaded machine 10 s to read 450 roles in the control
# run; the late runs hold an IAM answer until a moment fixed relative to the deadline, so
# what they check does not depend on how fast the machine is.
DEADLINE_TIMEOUT_S = 15
READ_CUT_BEFORE_DEADLINE_S = 2.5
DEADLINE_SETTINGS = {
    **FAST_RETRIES,
    "SDK_ATTEMPT_TIMEOUT_MS": "20000",
    "PUT_EVALUATIONS_CONCURRENCY": "1",
}
PUBLISH_BUDGET_S = 4.5

COMPLIANCE_TYPES = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
# events/scheduled.json's parameters with publish=all: these scenarios are about the transport,
# and each run must send every role (test_publish_changes.py covers sending only changes).
FAULT_PARAMETERS = {
    **json.loads(json.loads((EVENTS / "scheduled.json").read_text())["ruleParameters"]),
    "publish": "all",
}


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fault_account(fake_aws: FakeAws) -> Account:
    fake_aws.iam_page_limit[FAULT_ACCOUNT] = IAM_PAGE_LIMIT
    with timed(f"seed {ROLES} roles into the fault account"):
        now = datetime.now(timezone.utc)
        return seed_account(fake_aws, now, build_account(now, ROLES), FAULT_ACCOUNT)


@pytest.fixture(scope="module")
def fault_key(fake_aws: FakeAws) -> str:
    return fake_aws.access_key_for(FAULT_ACCOUNT)


@pytest.fixture(scope="module")
def fault_function(cargo_lambda, function_binary, fake_aws, fault_key, tmp_path_factory):
    """The function on the fault account, with fast retries."""
    workdir = tmp_path_factory.mktemp("lambda-faults")
    env = function_environment(fake_aws, workdir, fault_key, **FAST_RETRIES)
    with running_function(cargo_lambda, function_binary, env, workdir, "faults") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def deadline_function(cargo_lambda, function_binary, fake_aws, fault_key, tmp_path_factory):
    """The function on the fault account with a Lambda timeout of DEADLINE_TIMEOUT_S."""
    workdir = tmp_path_factory.mktemp("lambda-deadline")
    env = function_environment(fake_aws, workdir, fault_key, **DEADLINE_SETTINGS)
    with running_function(
        cargo_lambda, function_binary, env, workdir, "deadline", DEADLINE_TIMEOUT_S
    ) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def no_faults_left_over(fake_aws: FakeAws):
    """Each test plans its own faults; none outlives it."""
    yield
    fake_aws.faults.clear()
    fake_aws.config_results.clear_rejections()


@pytest.fixture
def config(fake_aws: FakeAws, fault_key: str):
    """boto3's Config client on the fault account: reads the results as a user would."""
    return boto3.client(
        "config",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id=fault_key,
        aws_secret_access_key="testing",
    )


# ---- running the function -----------------------------------------------------------------


def fault_event(fake_aws: FakeAws, directory: Path, rule: str) -> Path:
    """events/scheduled.json for `rule` in the fault account, with a ResultToken the fake
    issued for that rule (as Config puts a fresh one in each event)."""
    return config_event(
        directory, account=FAULT_ACCOUNT, rule=rule, parameters=FAULT_PARAMETERS,
        result_token=fake_aws.config_results.result_token(rule, FAULT_ACCOUNT, REGION),
    )  # fmt: skip


@dataclass
class FaultRun:
    invocation: Invocation
    recorded: Recorder
    log: str  # the function's log lines of this invocation

    def summary(self) -> dict:
        return self.invocation.response()

    def summary_line(self) -> dict[str, str]:
        """The fields of the one `evaluation complete` log line."""
        lines = [line for line in self.log.splitlines() if "evaluation complete" in line]
        assert len(lines) == 1, f"expected one `evaluation complete` line:\n{self.log}"
        return dict(re.findall(r"(\w+)=(\S+)", lines[0].split("evaluation complete", 1)[1]))

    def attempts(self, operation: str, iam_page: int | None = None) -> int:
        return sum(
            1
            for a in self.recorded.attempts_of(operation)
            if iam_page is None or a.iam_page == iam_page
        )

    def sent(self) -> list[dict]:
        """Every evaluation PutEvaluations accepted (FailedEvaluations left out)."""
        return [
            evaluation
            for call in self.recorded.put_evaluations
            for evaluation in call.evaluations
            if evaluation["ComplianceResourceId"] not in call.failed_ids
        ]


def run(function: LambdaEmulator, fake_aws: FakeAws, event: Path) -> FaultRun:
    fake_aws.recorder.clear()
    log_start = len(function.log())
    invocation = function.invoke(event)
    fake_aws.wait_idle(IDLE_TIMEOUT_S)
    return FaultRun(invocation, fake_aws.recorder.snapshot(), function.log()[log_start:])


def read_results(config, rule: str) -> list[dict]:
    """All the rule's results, through GetComplianceDetailsByConfigRule as a user reads them."""
    results: list[dict] = []
    token = None
    for _ in range(1000):
        kwargs = {"NextToken": token} if token else {}
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule, ComplianceTypes=COMPLIANCE_TYPES, Limit=RESULTS_PAGE, **kwargs
        )
        results += page["EvaluationResults"]
        token = page.get("NextToken")
        if not token:
            return results
    raise AssertionError("GetComplianceDetailsByConfigRule kept returning a NextToken")


def expected_results(account: Account) -> dict[str, tuple[str, str]]:
    return {
        role_id: (spec.expected_compliance, spec.expected_annotation)
        for role_id, spec in account.roles.items()
    }


def assert_one_result_each(config, rule: str, expected: dict[str, tuple[str, str]]) -> None:
    """Config holds exactly one result per resource, for exactly the expected resources, each
    with the expected ComplianceType and annotation."""
    results = read_results(config, rule)
    by_id: dict[str, list[dict]] = {}
    for result in results:
        qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
        assert qualifier["ConfigRuleName"] == rule
        assert qualifier["ResourceType"] == "AWS::IAM::Role"
        by_id.setdefault(qualifier["ResourceId"], []).append(result)
    twice = {rid: len(r) for rid, r in by_id.items() if len(r) != 1}
    assert not twice, f"resources with more than one result: {twice}"
    missing = sorted(set(expected) - set(by_id))
    extra = sorted(set(by_id) - set(expected))
    assert not missing and not extra, f"missing results {missing[:20]}, unexpected {extra[:20]}"
    wrong = [
        f"{rid}: got {(r[0]['ComplianceType'], r[0].get('Annotation'))}, want {expected[rid]}"
        for rid, r in by_id.items()
        if (r[0]["ComplianceType"], r[0].get("Annotation")) != expected[rid]
    ]
    assert not wrong, f"{len(wrong)} wrong results (first 20):\n" + "\n".join(wrong[:20])


def assert_sent_once_each(fault_run: FaultRun, expected_ids) -> None:
    """PutEvaluations accepted exactly one evaluation per expected resource."""
    counts = Counter(e["ComplianceResourceId"] for e in fault_run.sent())
    assert set(counts) == set(expected_ids)
    assert {rid: n for rid, n in counts.items() if n != 1} == {}


def assert_retries_counted(fault_run: FaultRun, retries: int) -> None:
    assert fault_run.summary()["sdk_retries"] == retries, fault_run.summary()
    assert fault_run.summary_line()["sdk_retries"] == str(retries), fault_run.log


def assert_complete_run(fault_run: FaultRun, account: Account, stale_cleaned: int = 0) -> None:
    summary = fault_run.summary()
    want = {
        "rule_kind": "roles",
        "principals": len(account.roles),
        "stale_cleaned": stale_cleaned,
        "iam_pages": -(-len(account.roles) // IAM_PAGE_LIMIT),
        "compliance_result_pages_read": True,
        "test_mode": False,
    }
    missing = sorted(set(want) - set(summary))
    assert not missing, f"the summary lacks {missing}: {summary}"
    assert {key: summary[key] for key in want} == want, summary


# ---- transient faults: each retried, each counted --------------------------------------------


def test_throttling_on_the_first_5_calls_of_each_operation_is_retried_and_counted(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-throttling"
    event = fault_event(fake_aws, tmp_path, rule)
    for operation in (GET_ACCOUNT_AUTHORIZATION_DETAILS, GET_COMPLIANCE_DETAILS, PUT_EVALUATIONS):
        fake_aws.faults.plan(operation, [THROTTLING] * 5)

    with timed("fault runs"):
        fault_run = run(fault_function, fake_aws, event)

    assert fake_aws.faults.pending() == {}
    assert fault_run.invocation.ok, fault_run.invocation.stderr
    # 5 throttled attempts each, then every request answered: 3 IAM pages, 1 page of (no)
    # results, 5 PutEvaluations calls.
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS) == 5 + IAM_PAGES
    assert fault_run.attempts(GET_COMPLIANCE_DETAILS) == 5 + 1
    assert fault_run.attempts(PUT_EVALUATIONS) == 5 + PUT_CALLS
    throttled = [a for a in fault_run.recorded.attempts if a.fault == "throttling"]
    assert len(throttled) == 15 and {a.status for a in throttled} == {400}
    assert_retries_counted(fault_run, 15)
    assert_complete_run(fault_run, fault_account)
    assert fault_run.summary()["put_evaluations_calls"] == PUT_CALLS
    assert_sent_once_each(fault_run, fault_account.roles)
    assert_one_result_each(config, rule, expected_results(fault_account))


def test_http_500_and_503_bursts_are_retried_and_counted(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-5xx"
    event = fault_event(fake_aws, tmp_path, rule)
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [HTTP_500, HTTP_500, HTTP_503], 1)
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [HTTP_503, HTTP_503], iam_page=3)
    fake_aws.faults.plan(GET_COMPLIANCE_DETAILS, [HTTP_503])
    fake_aws.faults.plan(PUT_EVALUATIONS, [HTTP_500, HTTP_503, HTTP_500])

    fault_run = run(fault_function, fake_aws, event)

    assert fake_aws.faults.pending() == {}
    assert fault_run.invocation.ok, fault_run.invocation.stderr
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=1) == 4
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=2) == 1
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=3) == 3
    assert fault_run.attempts(GET_COMPLIANCE_DETAILS) == 2
    assert fault_run.attempts(PUT_EVALUATIONS) == PUT_CALLS + 3
    assert Counter(a.status for a in fault_run.recorded.attempts if a.fault) == {500: 4, 503: 5}
    assert_retries_counted(fault_run, 9)
    assert_complete_run(fault_run, fault_account)
    assert_sent_once_each(fault_run, fault_account.roles)
    assert_one_result_each(config, rule, expected_results(fault_account))


def test_a_connection_reset_is_retried_and_counted(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-reset"
    event = fault_event(fake_aws, tmp_path, rule)
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [RESET], iam_page=2)
    fake_aws.faults.plan(GET_COMPLIANCE_DETAILS, [RESET])
    fake_aws.faults.plan(PUT_EVALUATIONS, [RESET])

    fault_run = run(fault_function, fake_aws, event)

    assert fake_aws.faults.pending() == {}
    assert fault_run.invocation.ok, fault_run.invocation.stderr
    resets = [a for a in fault_run.recorded.attempts if a.fault == "reset"]
    assert len(resets) == 3 and {a.status for a in resets} == {None}  # no response at all
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=2) == 2
    assert fault_run.attempts(PUT_EVALUATIONS) == PUT_CALLS + 1
    assert_retries_counted(fault_run, 3)
    assert_complete_run(fault_run, fault_account)
    # A reset request never reached moto: nothing of it was stored.
    assert_sent_once_each(fault_run, fault_account.roles)
    assert_one_result_each(config, rule, expected_results(fault_account))


def test_a_response_slower_than_the_attempt_timeout_is_retried_and_counted(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-slow"
    event = fault_event(fake_aws, tmp_path, rule)
    slow = delay(SLOWER_THAN_AN_ATTEMPT_S)
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [slow], iam_page=1)
    fake_aws.faults.plan(PUT_EVALUATIONS, [slow])

    fault_run = run(fault_function, fake_aws, event)

    assert fake_aws.faults.pending() == {}
    assert fault_run.invocation.ok, fault_run.invocation.stderr
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=1) == 2
    assert fault_run.attempts(PUT_EVALUATIONS) == PUT_CALLS + 1
    assert_retries_counted(fault_run, 2)
    assert_complete_run(fault_run, fault_account)
    # The slow PutEvaluations was still carried out by the server after the SDK gave up on it,
    # as a real service may: its batch arrived twice, identical, and Config keeps one result
    # per resource.
    sent = Counter(json.dumps(e, sort_keys=True) for e in fault_run.sent())
    assert set(Counter(sent.values())) <= {1, 2}
    assert sum(1 for n in sent.values() if n == 2) <= 100
    assert {e["ComplianceResourceId"] for e in fault_run.sent()} == set(fault_account.roles)
    assert_one_result_each(config, rule, expected_results(fault_account))


# ---- FailedEvaluations ------------------------------------------------------------------------


def test_failed_evaluations_returned_once_are_sent_again_and_counted(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-failed-once"
    event = fault_event(fake_aws, tmp_path, rule)
    ids = list(fault_account.roles)
    refused = [ids[3], ids[57], ids[250]]  # batches 1, 1 and 3
    fake_aws.config_results.reject(refused, times=1)

    fault_run = run(fault_function, fake_aws, event)

    assert fault_run.invocation.ok, fault_run.invocation.stderr
    summary = fault_run.summary()
    assert summary["resent_evaluations"] == 3, summary
    assert fault_run.summary_line()["resent_evaluations"] == "3"
    assert summary["put_evaluations_calls"] == PUT_CALLS + 2, summary  # batches 1 and 3 again
    refused_calls = [call for call in fault_run.recorded.put_evaluations if call.failed_ids]
    assert sorted(i for call in refused_calls for i in call.failed_ids) == sorted(refused)
    # Two more calls (batches 1 and 3) carried exactly the refused evaluations.
    resent_calls = [
        call
        for call in fault_run.recorded.put_evaluations
        if {e["ComplianceResourceId"] for e in call.evaluations} <= set(refused)
    ]
    assert len(resent_calls) == 2
    resent_ids = sorted(e["ComplianceResourceId"] for c in resent_calls for e in c.evaluations)
    assert resent_ids == sorted(refused)
    assert_retries_counted(fault_run, 0)  # FailedEvaluations are not SDK retries
    assert_complete_run(fault_run, fault_account)
    assert_sent_once_each(fault_run, fault_account.roles)
    assert_one_result_each(config, rule, expected_results(fault_account))


def test_failed_evaluations_returned_every_time_fail_the_invocation_naming_them(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-failed-always"
    event = fault_event(fake_aws, tmp_path, rule)
    ids = list(fault_account.roles)
    refused = [ids[10], ids[20]]  # both in the first batch
    fake_aws.config_results.reject(refused, times=None)

    with timed("fault runs"):
        fault_run = run(fault_function, fake_aws, event)

    error_type, message = fault_run.invocation.error()
    assert error_type == "EvaluationsRejected"
    want = (
        f"AWS Config rejected 2 of {ROLES} evaluations after 4 attempts: "
        f"{refused[0]}, {refused[1]}"
    )
    assert same_text(message, want), message
    assert f'error_type="EvaluationsRejected" error={want}\n' in fault_run.log
    # Sent 4 times (the first + 3 resends), 0.5 s, 1 s, 2 s apart; refused each time.
    sends = Counter(
        e["ComplianceResourceId"]
        for call in fault_run.recorded.put_evaluations
        for e in call.evaluations
        if e["ComplianceResourceId"] in refused
    )
    assert sends == {refused[0]: 4, refused[1]: 4}
    assert fault_run.attempts(PUT_EVALUATIONS) == PUT_CALLS + 3
    # Every other evaluation was accepted and stored; the refused two hold no result.
    expected = expected_results(fault_account)
    for role_id in refused:
        del expected[role_id]
    assert_one_result_each(config, rule, expected)


# ---- IAM failing for good on a middle page ---------------------------------------------------


def test_iam_failing_on_page_2_after_every_retry_sends_nothing_and_cleans_nothing(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-iam-page-2"
    # A result the rule already holds for a RoleId that is not in the account: a complete run
    # would mark it NOT_APPLICABLE; this one must leave it alone.
    gone = "AROAGONEGONEGONEGONE1"
    fake_aws.config_results.seed(
        rule, gone, "NON_COMPLIANT", f"{gone}: last used 90 days ago", FAULT_ACCOUNT, REGION
    )
    event = fault_event(fake_aws, tmp_path, rule)
    fake_aws.faults.plan(
        GET_ACCOUNT_AUTHORIZATION_DETAILS, [HTTP_503] * MAX_ATTEMPTS, iam_page=2
    )

    fault_run = run(fault_function, fake_aws, event)

    assert fake_aws.faults.pending() == {}
    error_type, message = fault_run.invocation.error()
    assert error_type == "IamFetchFailed"
    assert message.startswith("IAM GetAccountAuthorizationDetails failed on page 2: "), message
    assert "ServiceUnavailable" in message, message
    assert message.endswith("; no evaluations were sent"), message
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=1) == 1
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=2) == MAX_ATTEMPTS
    assert fault_run.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS, iam_page=3) == 0
    # The rule's results are read at the same time as IAM (one page here); reading changes
    # nothing, and with IAM's read incomplete nothing is sent.
    assert fault_run.attempts(GET_COMPLIANCE_DETAILS) == 1
    assert fault_run.attempts(PUT_EVALUATIONS) == 0
    assert fault_run.recorded.put_evaluations == []
    assert_one_result_each(
        config, rule, {gone: ("NON_COMPLIANT", f"{gone}: last used 90 days ago")}
    )


# ---- clean-up of deleted roles ----------------------------------------------------------------

DOOMED_ROWS = ("never-900", "recent-3", "stale-61")


def roles_of(now: datetime, slugs: tuple[str, ...]) -> list[RoleSpec]:
    """One role of each of these rows of account.py's table."""
    specs = {spec.kind.slug: spec for spec in reversed(build_account(now, len(KINDS)))}
    return [specs[slug] for slug in slugs]


def renamed(spec: RoleSpec, name: str) -> RoleSpec:
    return replace(
        spec, name=name, expected_annotation=spec.expected_annotation.replace(spec.name, name, 1)
    )


def test_deleted_roles_and_name_keyed_results_are_cleaned_up(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-clean-up"
    # The original blog rule keyed its results by role NAME: one such result, for a role that
    # still exists (so only its name-keyed result is stale).
    some_role = next(iter(fault_account.roles.values()))
    fake_aws.config_results.seed(
        rule, some_role.name, "NON_COMPLIANT", "unused for 90 days", FAULT_ACCOUNT, REGION
    )
    # Three more roles, deleted after the first run: of rows whose result does not depend on
    # the name, two NON_COMPLIANT, one COMPLIANT (what the clean-up reads back).
    extra = [
        renamed(spec, f"to-be-deleted-{n}")
        for n, spec in enumerate(roles_of(fault_account.now, DOOMED_ROWS), 1)
    ]
    doomed: dict[str, RoleSpec] = {}
    for spec in extra:
        role_id = fake_aws.create_role(
            spec.name, spec.path, spec.created, spec.last_used, spec.region, spec.tags,
            account_id=FAULT_ACCOUNT,
        )  # fmt: skip
        doomed[role_id] = spec
    try:
        first = run(fault_function, fake_aws, fault_event(fake_aws, tmp_path, rule))
    finally:
        for spec in extra:
            fake_aws.delete_role(spec.name, FAULT_ACCOUNT)
    assert fake_aws.role_count(FAULT_ACCOUNT) == ROLES

    assert first.invocation.ok, first.invocation.stderr
    assert first.summary()["principals"] == ROLES + 3
    assert first.summary()["stale_cleaned"] == 1
    with_doomed = {**expected_results(fault_account)}
    with_doomed.update(
        {rid: (s.expected_compliance, s.expected_annotation) for rid, s in doomed.items()}
    )
    name_gone = (NOT_APPLICABLE, f"{some_role.name}: role no longer exists")
    assert_one_result_each(config, rule, {**with_doomed, some_role.name: name_gone})

    second = run(fault_function, fake_aws, fault_event(fake_aws, tmp_path, rule))

    assert second.invocation.ok, second.invocation.stderr
    assert_complete_run(second, fault_account, stale_cleaned=3)
    assert second.summary_line()["stale_cleaned"] == "3"
    # The rule's COMPLIANT/NON_COMPLIANT results were read, 100 a page.
    held = sum(1 for c, _ in with_doomed.values() if c != NOT_APPLICABLE)
    assert second.attempts(GET_COMPLIANCE_DETAILS) == -(-held // RESULTS_PAGE) >= 2
    stale = {rid: (NOT_APPLICABLE, f"{rid}: role no longer exists") for rid in doomed}
    sent_stale = {
        e["ComplianceResourceId"]: (e["ComplianceType"], e["Annotation"])
        for e in second.sent()
        if e["ComplianceResourceId"] in doomed
    }
    assert sent_stale == stale
    assert_sent_once_each(second, {*fault_account.roles, *stale})
    assert_one_result_each(
        config, rule, {**expected_results(fault_account), some_role.name: name_gone, **stale}
    )


# ---- the Lambda deadline --------------------------------------------------------------------


def seconds_before_deadline(function: LambdaEmulator, seconds: float):
    """When: `seconds` before the deadline of the invocation the function is running."""
    return lambda: function.deadlines_handed_out()[-1] / 1000 - seconds


def test_when_publishing_cannot_fit_before_the_deadline_nothing_is_sent(
    deadline_function, fake_aws, fault_account, config, tmp_path
):
    # Control: without the slow page, the run fits its timeout and publishes.
    rule = "e2e-faults-deadline"
    control = run(deadline_function, fake_aws, fault_event(fake_aws, tmp_path, rule))
    assert control.invocation.ok, control.invocation.stderr
    assert_one_result_each(config, rule, expected_results(fault_account))
    handed_out = deadline_function.deadlines_handed_out()[-1]

    # The last IAM page answers 3.5 s before the deadline: reading ends then, 1 s after the
    # 2.5 s mark where it would be cut, with 3.5 s left, 1 s short of the 4.5 s publishing is
    # budgeted at.
    rule = "e2e-faults-deadline-publish"
    fake_aws.faults.plan(
        GET_ACCOUNT_AUTHORIZATION_DETAILS,
        [delay_until(seconds_before_deadline(deadline_function, 3.5))],
        iam_page=IAM_PAGES,
    )
    with timed("fault runs"):
        late = run(deadline_function, fake_aws, fault_event(fake_aws, tmp_path, rule))

    assert deadline_function.deadlines_handed_out()[-1] > handed_out
    error_type, message = late.invocation.error()
    assert error_type == "DeadlineTooClose", message
    pattern = (
        rf"the Lambda deadline is too close to finish publishing: {ROLES} roles read in "
        rf"{IAM_PAGES} IAM pages and {ROLES} evaluations ready, but (\d+) ms are left and "
        rf"sending them is budgeted at {int(PUBLISH_BUDGET_S * 1000)} ms; no evaluations "
        r"were sent"
    )
    found = re.fullmatch(pattern, re.sub(r"\s+", " ", message))
    assert found, message
    assert READ_CUT_BEFORE_DEADLINE_S * 1000 <= int(found.group(1)) < PUBLISH_BUDGET_S * 1000
    assert "error_type=\"DeadlineTooClose\"" in late.log  # how far it got is in the log line
    assert f"{ROLES} roles read in {IAM_PAGES} IAM pages" in late.log
    assert late.attempts(GET_ACCOUNT_AUTHORIZATION_DETAILS) == IAM_PAGES
    assert late.attempts(GET_COMPLIANCE_DETAILS) == 1
    assert late.attempts(PUT_EVALUATIONS) == 0
    assert_one_result_each(config, rule, {})


def test_when_reading_cannot_finish_before_the_deadline_it_stops_in_time_to_report(
    deadline_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-deadline-read"
    # Page 1 answers 1 s before the deadline, after the mark where reading is cut.
    page_1_answers_at = seconds_before_deadline(deadline_function, 1.0)
    fake_aws.faults.plan(
        GET_ACCOUNT_AUTHORIZATION_DETAILS, [delay_until(page_1_answers_at)], iam_page=1
    )
    with timed("fault runs"):
        fault_run = run(deadline_function, fake_aws, fault_event(fake_aws, tmp_path, rule))

    error_type, message = fault_run.invocation.error()
    assert error_type == "DeadlineTooClose"
    assert same_text(
        message,
        "the Lambda deadline is too close to finish reading roles from IAM and the rule's "
        "results from Config: stopped 2500 ms before the deadline to leave time to report; no "
        "evaluations were sent",
    ), message
    # In this order: the error reached the Runtime API, the held page was answered, the
    # deadline passed. It stopped waiting for the page, and reported before the deadline.
    posted_at = deadline_function.errors_posted_at()[-1]
    (page_1,) = [a for a in fault_run.recorded.attempts if a.iam_page == 1]
    deadline_s = deadline_function.deadlines_handed_out()[-1] / 1000
    assert posted_at < page_1.answered_at < deadline_s, (posted_at, page_1.answered_at, deadline_s)
    assert fault_run.attempts(PUT_EVALUATIONS) == 0
    assert_one_result_each(config, rule, {})


# ---- idempotence ------------------------------------------------------------------------------


def test_the_same_event_twice_gives_the_same_evaluations(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = "e2e-faults-twice"
    event = fault_event(fake_aws, tmp_path, rule)
    first = run(fault_function, fake_aws, event)
    stored_first = fake_aws.config_results.stored(rule, FAULT_ACCOUNT, REGION)
    second = run(fault_function, fake_aws, event)
    stored_second = fake_aws.config_results.stored(rule, FAULT_ACCOUNT, REGION)

    assert first.invocation.ok and second.invocation.ok, (first.invocation, second.invocation)

    def evaluations(fault_run: FaultRun) -> list[str]:
        return sorted(json.dumps(e, sort_keys=True) for e in fault_run.sent())

    assert len(evaluations(first)) == ROLES
    assert evaluations(first) == evaluations(second)
    assert first.summary() == second.summary()

    def results(stored: dict) -> dict:
        timeless = ("ResultRecordedTime", "ConfigRuleInvokedTime")
        return {rid: {k: v for k, v in r.items() if k not in timeless} for rid, r in stored.items()}

    assert results(stored_first) == results(stored_second)
    assert_one_result_each(config, rule, expected_results(fault_account))


# ---- payloads the runtime refuses before the handler ------------------------------------------

DESERIALIZE_ERROR = "&lambda_runtime::deserializer::DeserializeError"
DESERIALIZE_MESSAGE = "failed to deserialize the incoming data into the function's payload type: "


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", DESERIALIZE_MESSAGE + "expected ident at line 1 column 2\n"),
        ("", DESERIALIZE_MESSAGE + "EOF while parsing a value at line 1 column 0\n"),
    ],
    ids=["not-json", "empty"],
)
def test_a_payload_that_is_not_json_fails_in_the_runtime_with_no_aws_request(
    fault_function, fake_aws, payload, message
):
    fake_aws.recorder.clear()
    errors_before = len(fault_function.errors_posted())
    log_start = len(fault_function.log())
    invocation = fault_function.invoke(data_ascii=payload)
    fake_aws.wait_idle(IDLE_TIMEOUT_S)

    # Exactly what the function reported to the Runtime API, so what Lambda returns as the
    # invocation's errorType and errorMessage (the runtime's type name, `&` and final
    # newline included).
    assert fault_function.errors_posted()[errors_before:] == [
        {"errorType": DESERIALIZE_ERROR, "errorMessage": message}
    ]
    # And as `cargo lambda invoke` shows it.
    error_type, shown = invocation.error()
    assert error_type == DESERIALIZE_ERROR.lstrip("&")
    assert same_text(shown, message), shown
    assert "Request payload deserialization into LambdaEvent<T> failed" in (
        fault_function.log()[log_start:]
    )
    assert fake_aws.recorder.snapshot().attempts == [], "no AWS request at all"


# ---- rule names Config's read API cannot take -----------------------------------------------

# Config names each member account's copy of an organization rule
# OrgConfigRule-<NameOfSolution>-<8-character suffix>; GetComplianceDetailsByConfigRule takes
# at most 64 characters, so org/template.yaml caps NameOfSolution at 64 - 23 = 41.
ORG_RULE_PREFIX, ORG_RULE_SUFFIX = "OrgConfigRule-", "-a1b2c3d4"


def org_rule_name(name_of_solution_chars: int) -> str:
    name = ("iam-role-last-used-" + "x" * 64)[:name_of_solution_chars]
    return f"{ORG_RULE_PREFIX}{name}{ORG_RULE_SUFFIX}"


def test_the_longest_organization_rule_name_the_template_allows_is_read_back_and_published(
    fault_function, fake_aws, fault_account, config, tmp_path
):
    rule = org_rule_name(41)
    assert len(rule) == 64

    fault_run = run(fault_function, fake_aws, fault_event(fake_aws, tmp_path, rule))

    assert fault_run.invocation.ok, fault_run.invocation.stderr
    assert fault_run.attempts(GET_COMPLIANCE_DETAILS) == 1
    assert_complete_run(fault_run, fault_account)
    assert_one_result_each(config, rule, expected_results(fault_account))


def test_a_rule_name_over_64_characters_fails_before_any_aws_request(
    fault_function, fake_aws, tmp_path
):
    rule = org_rule_name(42)
    assert len(rule) == 65
    errors_before = len(fault_function.errors_posted())

    fault_run = run(fault_function, fake_aws, fault_event(fake_aws, tmp_path, rule))

    assert not fault_run.invocation.ok
    (posted,) = fault_function.errors_posted()[errors_before:]
    assert posted["errorType"] == "InvalidEvent", posted
    message = posted["errorMessage"]
    assert message.startswith(f'invalid event: configRuleName: "{rule}" is 65 characters'), message
    assert "GetComplianceDetailsByConfigRule accepts at most 64" in message, message
    # Without the check the IAM pages would be read and the clean-up read refused by Config.
    assert fault_run.recorded.attempts == [], "no AWS request at all"
