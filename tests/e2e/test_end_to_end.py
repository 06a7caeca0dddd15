"""The real binary, the real SDK and the real wire protocols, end to end.

1. A 2 500-role account, invoked with a TESTMODE event: every role gets exactly one evaluation
   with the expected ComplianceType and annotation, at most 100 a PutEvaluations call, after
   every IAM page was read.
2. Bad events: the invocation fails with the clear error and no AWS call is made.
3. The offline CLI, on a snapshot taken from the same fake account, agrees with the Lambda run.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import datetime, timezone

import boto3
import pytest

from .account import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE, TOTAL_ROLES
from .conftest import EVENTS, REPO_ROOT, invoke_and_record, timed
from .fake_aws import ACCOUNT_ID, REGION
from .lambda_emulator import same_text

IAM_PAGE_SIZE = 250  # src/aws/iam.rs PAGE_SIZE
MAX_EVALUATIONS_PER_CALL = 100
TESTMODE_PARAMETERS = json.loads(
    json.loads((EVENTS / "scheduled-testmode.json").read_text())["ruleParameters"]
)
# events/scheduled-testmode.json's notificationCreationTime: every OrderingTimestamp.
ORDERING_TIMESTAMP = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()


def evaluations_by_role_id(run) -> dict[str, list[dict]]:
    by_id: dict[str, list[dict]] = {}
    for call in run.recorded.put_evaluations:
        for evaluation in call.evaluations:
            by_id.setdefault(evaluation["ComplianceResourceId"], []).append(evaluation)
    return by_id


# ---- scenario 1: a TESTMODE run on 2 500 roles ---------------------------------------------


def test_testmode_run_gives_every_role_exactly_one_evaluation_with_the_expected_result(
    testmode_run, account
):
    by_id = evaluations_by_role_id(testmode_run)
    assert set(by_id) == set(account.roles), "evaluated RoleIds differ from the account's"
    twice = {role_id: len(evs) for role_id, evs in by_id.items() if len(evs) != 1}
    assert not twice, f"RoleIds evaluated more than once: {twice}"

    wrong = []
    for role_id, spec in account.roles.items():
        (got,) = by_id[role_id]
        want = {
            "ComplianceResourceType": "AWS::IAM::Role",
            "ComplianceResourceId": role_id,
            "ComplianceType": spec.expected_compliance,
            "Annotation": spec.expected_annotation,
        }
        got_fields = {key: got.get(key, "<missing>") for key in want}
        if got_fields != want:
            wrong.append(f"{spec.kind.slug} {spec.path}{spec.name}: got {got_fields}, want {want}")
        if "OrderingTimestamp" not in got or float(got["OrderingTimestamp"]) != ORDERING_TIMESTAMP:
            wrong.append(f"{role_id}: OrderingTimestamp {got.get('OrderingTimestamp', '<missing>')!r}")
    if wrong:
        pytest.fail(
            f"{len(wrong)} of {len(account.roles)} evaluations are wrong (first 40):\n"
            + "\n".join(wrong[:40]),
            pytrace=False,
        )
    # Every row of the table, so every rule, was exercised.
    assert len({spec.kind.slug for spec in account.roles.values()}) >= 30
    assert set(Counter(spec.expected_compliance for spec in account.roles.values())) == {
        COMPLIANT,
        NON_COMPLIANT,
        NOT_APPLICABLE,
    }


def test_testmode_evaluations_go_out_at_most_100_a_call_with_test_mode_on(testmode_run):
    calls = testmode_run.recorded.put_evaluations
    assert len(calls) == -(-TOTAL_ROLES // MAX_EVALUATIONS_PER_CALL)  # 25
    for call in calls:
        assert 1 <= len(call.evaluations) <= MAX_EVALUATIONS_PER_CALL
        assert call.test_mode is True
        assert call.result_token == "TESTMODE"
        assert (call.account_id, call.region) == (ACCOUNT_ID, REGION)


def test_every_iam_page_is_read_before_anything_is_sent(testmode_run):
    pages = testmode_run.recorded.iam_pages
    assert len(pages) >= 3
    assert len(pages) == -(-TOTAL_ROLES // IAM_PAGE_SIZE)
    for page in pages:
        # The roles, and the customer managed policies their privilege may come from.
        assert page.filter == ["Role", "LocalManagedPolicy"]
        assert page.max_items == IAM_PAGE_SIZE
    # Each request carried the Marker the page before it returned; the last one was complete.
    assert [page.marker for page in pages] == [None] + [p.next_marker for p in pages[:-1]]
    assert [page.is_truncated for page in pages] == [True] * (len(pages) - 1) + [False]
    assert sum(page.roles_returned for page in pages) == TOTAL_ROLES

    # And on the wire: IAM in awsquery, Config in awsJson1.1, all pages before the first
    # PutEvaluations, no GetComplianceDetailsByConfigRule in TESTMODE, every call answered 200.
    requests = testmode_run.recorded.requests
    assert [(r.service, r.action) for r in requests] == [
        ("iam", "GetAccountAuthorizationDetails")
    ] * len(pages) + [("config", "PutEvaluations")] * len(
        testmode_run.recorded.put_evaluations
    )
    for request in requests:
        assert request.status == 200, request
        if request.service == "iam":
            assert request.content_type.startswith("application/x-www-form-urlencoded"), request
        else:
            assert request.content_type.startswith("application/x-amz-json-1.1"), request


def test_the_response_is_the_summary_of_what_was_sent(testmode_run, account):
    counts = Counter(spec.expected_compliance for spec in account.roles.values())
    expected = {
        "rule_kind": "roles",
        "principals": TOTAL_ROLES,
        "not_judged": 0,
        "compliant": counts[COMPLIANT],
        "non_compliant": counts[NON_COMPLIANT],
        "not_applicable": counts[NOT_APPLICABLE],
        "stale_cleaned": 0,
        "iam_pages": len(testmode_run.recorded.iam_pages),
        "compliance_result_pages_read": False,
        "put_evaluations_calls": len(testmode_run.recorded.put_evaluations),
        "resent_evaluations": 0,
        "test_mode": True,
    }
    response = testmode_run.invocation.response()
    missing = sorted(set(expected) - set(response))
    assert not missing, f"the response lacks {missing}: {response}"
    assert {key: response[key] for key in expected} == expected, response
    # moto answered every request at the first attempt; the count must be reported, not absent.
    assert "sdk_retries" in response, f"the response lacks sdk_retries: {response}"
    assert response["sdk_retries"] == 0, response


# ---- scenario 2: bad events fail clearly and touch nothing ---------------------------------

BAD_EVENTS = [
    (
        "bad-unknown-parameter.json",
        "InvalidRuleParameter",
        'invalid rule parameter max_days_for_last_usd: unknown key "max_days_for_last_usd"; '
        "valid keys are: max_days_for_last_used, role_allowlist, role_whitelist, "
        "exempt_tag_key, service_linked_roles, identity_center_roles, execution_role_name, publish",
    ),
    (
        "bad-max-days.json",
        "InvalidRuleParameter",
        'invalid rule parameter max_days_for_last_used: "0" is out of range; '
        "expected a whole number of days from 1 to 400",
    ),
    (
        "bad-message-type.json",
        "InvalidEvent",
        'invalid event: invokingEvent.messageType: "ConfigurationItemChangeNotification" is not '
        "supported: this rule is periodic and only evaluates ScheduledNotification events "
        "(set the Config rule's trigger to periodic)",
    ),
    (
        "bad-allowlist-pattern.json",
        "InvalidRuleParameter",
        'invalid rule parameter role_allowlist: pattern "breakglass-role" can never match: '
        "patterns are matched against the role's path + name, which starts with '/'; "
        'write "/breakglass-role" for a role at the root path or "*/breakglass-role" for any path',
    ),
    (
        "bad-rule-parameters-json.json",
        "InvalidEvent",
        "invalid event: ruleParameters: is not valid JSON (key must be a string at line 1 "
        "column 2): {max_days_for_last_used: 60}",
    ),
]


@pytest.mark.parametrize(
    ("event", "error_type", "message"), BAD_EVENTS, ids=[e[0] for e in BAD_EVENTS]
)
def test_a_bad_event_fails_with_a_clear_error_before_any_aws_call(
    function, fake_aws, account, event, error_type, message
):
    with timed("bad-event invocations"):
        run = invoke_and_record(function, fake_aws, event)

    got_type, got_message = run.invocation.error()
    assert got_type == error_type
    # cargo lambda invoke re-wraps the message; the function's own log has it on one line.
    assert same_text(got_message, message), f"got {got_message!r}"
    assert f'error_type="{error_type}" error={message}\n' in function.log()

    assert run.recorded.put_evaluations == []
    assert run.recorded.requests == [], "a bad event must stop the run before any AWS call"


# ---- scenario 3: the offline CLI on a snapshot of the same account -------------------------


def cli_json(value):
    """JSON the way the AWS CLI prints a response: timestamps as ISO 8601 with +00:00."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def test_role_audit_on_a_snapshot_of_the_fake_agrees_with_the_lambda_run(
    testmode_run, fake_aws, account, role_audit, tmp_path
):
    # `aws iam get-account-authorization-details --filter Role`, page by page, with boto3.
    iam = boto3.client(
        "iam",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with timed("snapshot with boto3 + role-audit"):
        pages = []
        for page in iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["Role"], PaginationConfig={"PageSize": IAM_PAGE_SIZE}
        ):
            page.pop("ResponseMetadata", None)
            pages.append(page)
        snapshot = tmp_path / "roles.json"
        snapshot.write_text(json.dumps(pages, default=cli_json, indent=2))
        assert len(pages) >= 3

        completed = subprocess.run(
            [
                *role_audit,
                "evaluate",
                "--snapshot", str(snapshot),
                "--rule-parameters", json.dumps(TESTMODE_PARAMETERS),
                "--format", "json",
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)

    cli = {row["RoleId"]: row for row in rows}
    assert len(cli) == len(rows) == TOTAL_ROLES
    lambda_results = {
        role_id: evs[0] for role_id, evs in evaluations_by_role_id(testmode_run).items()
    }
    assert set(cli) == set(lambda_results) == set(account.roles)

    differ = []
    for role_id, spec in account.roles.items():
        row, sent = cli[role_id], lambda_results[role_id]
        if (row["ComplianceType"], row["Annotation"]) != (
            sent["ComplianceType"],
            sent["Annotation"],
        ):
            differ.append(f"{role_id}: CLI {row}, Lambda {sent}")
        if (row["RoleName"], row["Path"], row["DaysSinceLastUse"]) != (
            spec.name,
            spec.path,
            spec.expected_days_since_last_use,
        ):
            differ.append(f"{role_id}: CLI {row}, expected {spec}")
    if differ:
        pytest.fail(
            f"{len(differ)} differences (first 40):\n" + "\n".join(differ[:40]), pytrace=False
        )
