"""The fake itself, spoken to with boto3, not the function: the real-IAM paging that
fake_aws.py adds to moto behaves like IAM, so scenario 1's "every page read" means what it says;
the injected faults are what each service sends; and the Config results it keeps (which moto
does not) come back in Config's shape, paged and refused as Config does; and the credential
report goes through IAM's states and writes IAM's columns and value forms."""

from __future__ import annotations

import re
import socket
import time
from datetime import datetime, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .fake_aws import (
    ACCOUNT_ID,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    HTTP_500,
    HTTP_503,
    REGION,
    RESET,
    THROTTLING,
    AccessKeySpec,
    delay,
)


@pytest.fixture
def iam(fake_aws, account):
    return boto3.client(
        "iam",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_fake_iam_pages_by_100_without_max_items_and_follows_its_marker(iam, account):
    first = iam.get_account_authorization_details(Filter=["Role"])
    assert len(first["RoleDetailList"]) == 100
    assert first["IsTruncated"] is True
    second = iam.get_account_authorization_details(
        Filter=["Role"], MaxItems=1000, Marker=first["Marker"]
    )
    assert len(second["RoleDetailList"]) == 1000
    ids = [r["RoleId"] for r in first["RoleDetailList"] + second["RoleDetailList"]]
    assert ids == list(account.roles)[:1100]


def test_fake_iam_refuses_max_items_over_1000_and_a_marker_it_did_not_issue(iam):
    for kwargs in ({"MaxItems": 1001}, {"Marker": "not-a-marker"}):
        with pytest.raises(ClientError) as raised:
            iam.get_account_authorization_details(Filter=["Role"], **kwargs)
        assert raised.value.response["Error"]["Code"] == "ValidationError", kwargs


# ---- fault injection, as a client sees it -----------------------------------------------------


@pytest.fixture
def raw_clients(fake_aws):
    """boto3 clients that make exactly one attempt per call, so each injected fault shows."""
    no_retries = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=10)
    common = {
        "endpoint_url": fake_aws.endpoint_url,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "config": no_retries,
    }
    return boto3.client("iam", **common), boto3.client("config", **common)


@pytest.fixture(autouse=True)
def no_faults_left_over(fake_aws):
    yield
    fake_aws.faults.clear()
    fake_aws.config_results.clear_rejections()


def test_injected_errors_are_each_service_s_own(fake_aws, raw_clients):
    iam, config = raw_clients
    gaad = GET_ACCOUNT_AUTHORIZATION_DETAILS
    fake_aws.faults.plan(gaad, [THROTTLING, HTTP_500, HTTP_503])
    fake_aws.faults.plan(GET_COMPLIANCE_DETAILS, [THROTTLING, HTTP_500, HTTP_503])
    fake_aws.recorder.clear()
    got = []
    for call in [lambda: iam.get_account_authorization_details(Filter=["Role"])] * 3 + [
        lambda: config.get_compliance_details_by_config_rule(ConfigRuleName="any")
    ] * 3:
        with pytest.raises(ClientError) as raised:
            call()
        response = raised.value.response
        got.append((response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]))
    assert got == [
        (400, "Throttling"),  # IAM's awsquery XML ErrorResponse
        (500, "ServiceFailure"),
        (503, "ServiceUnavailable"),
        (400, "ThrottlingException"),  # Config's JSON {"__type": ...}
        (500, "InternalFailure"),
        (503, "ServiceUnavailable"),
    ]
    assert fake_aws.faults.pending() == {}
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.operation, a.fault, a.status) for a in attempts] == [
        (gaad, "throttling", 400),
        (gaad, "http500", 500),
        (gaad, "http503", 503),
        (GET_COMPLIANCE_DETAILS, "throttling", 400),
        (GET_COMPLIANCE_DETAILS, "http500", 500),
        (GET_COMPLIANCE_DETAILS, "http503", 503),
    ]
    assert fake_aws.recorder.snapshot().requests == [], "moto saw none of them"


def test_an_injected_reset_is_a_tcp_reset_and_the_server_serves_on(fake_aws, raw_clients):
    fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [RESET])
    host, port = fake_aws.endpoint_url.removeprefix("http://").split(":")
    body = b"Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=Role"
    request = (
        b"POST / HTTP/1.1\r\nHost: iam.amazonaws.com\r\n"
        b"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/"
        b"aws4_request, SignedHeaders=host, Signature=0\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        # An RST, not an orderly close (which would read as b"") nor any response byte.
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)
    assert fake_aws.faults.pending() == {}
    iam, _ = raw_clients
    assert "RoleDetailList" in iam.get_account_authorization_details(Filter=["Role"], MaxItems=1)


def test_an_injected_delay_then_answers_normally_and_faults_can_target_one_iam_page(
    fake_aws, account, raw_clients
):
    iam, _ = raw_clients
    fake_aws.iam_page_limit[ACCOUNT_ID] = 2
    try:
        fake_aws.faults.plan(GET_ACCOUNT_AUTHORIZATION_DETAILS, [delay(0.5)], iam_page=2)
        fake_aws.recorder.clear()
        first = iam.get_account_authorization_details(Filter=["Role"], MaxItems=1000)
        assert len(first["RoleDetailList"]) == 2 and first["IsTruncated"]  # fewer than MaxItems
        started = time.monotonic()
        second = iam.get_account_authorization_details(
            Filter=["Role"], MaxItems=1000, Marker=first["Marker"]
        )
        assert time.monotonic() - started >= 0.5
        assert len(second["RoleDetailList"]) == 2
    finally:
        del fake_aws.iam_page_limit[ACCOUNT_ID]
    attempts = fake_aws.recorder.snapshot().attempts
    assert [(a.iam_page, a.fault, a.status) for a in attempts] == [
        (1, None, 200),
        (2, "delay 0.5s", 200),
    ]


# ---- AWS Config's results, as real Config keeps them ------------------------------------------


def _evaluation(resource_id: str, compliance: str = "NON_COMPLIANT") -> dict:
    return {
        "ComplianceResourceType": "AWS::IAM::Role",
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "Annotation": f"{resource_id}: test",
        "OrderingTimestamp": datetime(2026, 1, 1, tzinfo=timezone.utc),
    }


def test_fake_config_stores_put_evaluations_without_test_mode_and_pages_them_back(
    fake_aws, raw_clients
):
    _, config = raw_clients
    rule = "fake-check-store"
    token = fake_aws.config_results.result_token(rule)
    compliance = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
    evaluations = [_evaluation(f"AROA{n:017d}", compliance[n % 3]) for n in range(7)]
    answer = config.put_evaluations(Evaluations=evaluations, ResultToken=token)
    assert answer["FailedEvaluations"] == []
    # The latest result for a resource replaces the one before.
    config.put_evaluations(Evaluations=[_evaluation("AROA00000000000000000", "COMPLIANT")],
                           ResultToken=fake_aws.config_results.result_token(rule))  # fmt: skip

    pages, token_in = [], None
    while True:
        kwargs = {"NextToken": token_in} if token_in else {}
        page = config.get_compliance_details_by_config_rule(
            ConfigRuleName=rule, ComplianceTypes=["COMPLIANT", "NON_COMPLIANT"], Limit=2, **kwargs
        )
        pages.append(page["EvaluationResults"])
        token_in = page.get("NextToken")
        if not token_in:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    results = [r for p in pages for r in p]
    first = results[0]
    assert first["EvaluationResultIdentifier"]["EvaluationResultQualifier"] == {
        "ConfigRuleName": rule,
        "ResourceType": "AWS::IAM::Role",
        "ResourceId": "AROA00000000000000000",
        "EvaluationMode": "DETECTIVE",
    }
    assert first["EvaluationResultIdentifier"]["OrderingTimestamp"] == datetime(
        2026, 1, 1, tzinfo=timezone.utc
    )
    assert first["ComplianceType"] == "COMPLIANT"
    assert first["Annotation"] == "AROA00000000000000000: test"
    assert isinstance(first["ResultRecordedTime"], datetime)
    assert isinstance(first["ConfigRuleInvokedTime"], datetime)
    kept = {
        r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]: r[
            "ComplianceType"
        ]
        for r in results
    }
    assert kept == {
        f"AROA{n:017d}": ("COMPLIANT" if n == 0 else compliance[n % 3])
        for n in range(7)
        if n == 0 or compliance[n % 3] != "NOT_APPLICABLE"
    }
    # Without ComplianceTypes: every result, 10 a page by default.
    everything = config.get_compliance_details_by_config_rule(ConfigRuleName=rule)
    assert len(everything["EvaluationResults"]) == 7 and "NextToken" not in everything
    # TestMode stores nothing.
    config.put_evaluations(
        Evaluations=[_evaluation("AROATESTMODE00000000")], ResultToken="TESTMODE", TestMode=True
    )
    assert "AROATESTMODE00000000" not in fake_aws.config_results.stored(rule)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.get_compliance_details_by_config_rule(ConfigRuleName="no-such-rule"),
         "NoSuchConfigRuleException"),
        (lambda c: c.get_compliance_details_by_config_rule(ConfigRuleName="fake-check-store",
                                                           Limit=101),
         "InvalidLimitException"),
        (lambda c: c.get_compliance_details_by_config_rule(ConfigRuleName="fake-check-store",
                                                           NextToken="not-a-token"),
         "InvalidNextTokenException"),
        (lambda c: c.put_evaluations(Evaluations=[_evaluation("AROA1")],
                                     ResultToken="not-issued"),
         "InvalidResultTokenException"),
        (lambda c: c.put_evaluations(
            Evaluations=[_evaluation(f"AROA{n}") for n in range(101)], ResultToken="TESTMODE",
            TestMode=True),
         "ValidationException"),
    ],
    ids=["unknown-rule", "limit-over-100", "bad-next-token", "unknown-result-token",
         "over-100-evaluations"],
)  # fmt: skip
def test_fake_config_refuses_what_config_refuses(fake_aws, raw_clients, call, code):
    _, config = raw_clients
    fake_aws.config_results.result_token("fake-check-store")  # the rule exists
    with pytest.raises(ClientError) as raised:
        call(config)
    assert raised.value.response["Error"]["Code"] == code


def test_fake_config_returns_chosen_evaluations_in_failed_evaluations(fake_aws, raw_clients):
    _, config = raw_clients
    rule = "fake-check-refusals"
    fake_aws.config_results.reject(["AROAONCE"], times=1)
    fake_aws.config_results.reject(["AROAALWAYS"], times=None)
    batch = [_evaluation(i) for i in ("AROAONCE", "AROAALWAYS", "AROAFINE")]
    failed = []
    for _ in range(3):
        answer = config.put_evaluations(
            Evaluations=batch, ResultToken=fake_aws.config_results.result_token(rule)
        )
        failed.append([e["ComplianceResourceId"] for e in answer["FailedEvaluations"]])
    assert failed == [["AROAONCE", "AROAALWAYS"], ["AROAALWAYS"], ["AROAALWAYS"]]
    assert set(fake_aws.config_results.stored(rule)) == {"AROAONCE", "AROAFINE"}


# ---- the credential report, as IAM runs it ----------------------------------------------------

REPORT_ACCOUNT = "555555555555"
# The IAM User Guide's column order ("Getting credential reports for your AWS account").
IAM_REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)


@pytest.fixture(scope="module")
def report_iam(fake_aws):
    """boto3 IAM on an account of its own, holding three users written by hand below."""
    key = fake_aws.key_without_user(REPORT_ACCOUNT)
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731
    fake_aws.create_user(
        "pw,never+used=1@x", "/team/", at("2024-01-02T03:04:05+00:00"), [],
        password_set=at("2024-02-01T00:00:00+00:00"),
        keys=[AccessKeySpec(at("2024-03-01T10:00:00+00:00"), last_used=at("2024-04-01T11:00:00+00:00"),
                            region="eu-west-1", service="s3"),
              AccessKeySpec(at("2024-05-01T00:00:00+00:00"), active=False)],
        account_id=REPORT_ACCOUNT,
    )  # fmt: skip
    fake_aws.create_user(
        "nothing", "/", at("2023-06-07T08:09:10+00:00"), [], account_id=REPORT_ACCOUNT
    )
    fake_aws.create_user(
        "pw-used", "/", at("2023-01-01T00:00:00+00:00"), [],
        password_set=at("2023-01-01T00:00:00+00:00"), password_last_used=at("2024-06-30T23:59:59+00:00"),
        account_id=REPORT_ACCOUNT,
    )  # fmt: skip
    return boto3.client(
        "iam",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key="testing",
    )


def test_fake_credential_report_goes_started_inprogress_complete_and_get_follows_it(
    fake_aws, report_iam
):
    reports = fake_aws.credential_reports
    reports.discard(REPORT_ACCOUNT)
    with pytest.raises(ClientError) as raised:
        report_iam.get_credential_report()
    assert raised.value.response["Error"]["Code"] == "ReportNotPresent"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    reports.generation_polls[REPORT_ACCOUNT] = 1
    try:
        assert report_iam.generate_credential_report()["State"] == "STARTED"
        with pytest.raises(ClientError) as raised:
            report_iam.get_credential_report()
        assert raised.value.response["Error"]["Code"] == "ReportInProgress"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert report_iam.generate_credential_report()["State"] == "INPROGRESS"
        assert report_iam.generate_credential_report()["State"] == "COMPLETE"
        # A fresh report is reused: no new generation.
        assert report_iam.generate_credential_report()["State"] == "COMPLETE"
    finally:
        reports.generation_polls.pop(REPORT_ACCOUNT)
    got = report_iam.get_credential_report()
    assert got["ReportFormat"] == "text/csv"
    stored = reports.report(REPORT_ACCOUNT)
    assert got["GeneratedTime"] == stored.generated
    assert abs((datetime.now(timezone.utc) - got["GeneratedTime"]).total_seconds()) < 60


def test_fake_credential_report_writes_iam_s_columns_and_value_forms(fake_aws, report_iam):
    reports = fake_aws.credential_reports
    reports.put(REPORT_ACCOUNT, reports.snapshot(REPORT_ACCOUNT))
    content = report_iam.get_credential_report()["Content"].decode()
    a = f"arn:aws:iam::{REPORT_ACCOUNT}"
    assert content.splitlines() == [
        IAM_REPORT_HEADER,
        f"<root_account>,{a}:root,2015-01-01T00:00:00+00:00,not_supported,no_information,"
        "not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        f'"pw,never+used=1@x","{a}:user/team/pw,never+used=1@x",2024-01-02T03:04:05+00:00,true,'
        "no_information,2024-02-01T00:00:00+00:00,N/A,false,"
        "true,2024-03-01T10:00:00+00:00,2024-04-01T11:00:00+00:00,eu-west-1,s3,"
        "false,2024-05-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
        f"nothing,{a}:user/nothing,2023-06-07T08:09:10+00:00,false,N/A,N/A,N/A,false,"
        "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        f"pw-used,{a}:user/pw-used,2023-01-01T00:00:00+00:00,true,2024-06-30T23:59:59+00:00,"
        "2023-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ]


def test_fake_credential_report_is_a_snapshot_and_expires_after_four_hours(fake_aws, report_iam):
    from datetime import timedelta

    reports = fake_aws.credential_reports
    reports.put(REPORT_ACCOUNT, reports.snapshot(REPORT_ACCOUNT))
    before = report_iam.get_credential_report()["Content"]
    fake_aws.create_user("later", "/", datetime.now(timezone.utc), [], account_id=REPORT_ACCOUNT)
    try:
        assert report_iam.get_credential_report()["Content"] == before, "a user created since is not in it"
        old = reports.snapshot(REPORT_ACCOUNT, at=datetime.now(timezone.utc) - timedelta(hours=4))
        reports.put(REPORT_ACCOUNT, old)
        with pytest.raises(ClientError) as raised:
            report_iam.get_credential_report()
        assert raised.value.response["Error"]["Code"] == "ReportExpired"
        assert report_iam.generate_credential_report()["State"] == "STARTED"
    finally:
        fake_aws.delete_user("later", account_id=REPORT_ACCOUNT)
        reports.discard(REPORT_ACCOUNT)


def test_fake_users_get_iam_s_user_ids_and_their_tags(fake_aws, report_iam):
    users = report_iam.get_account_authorization_details(Filter=["User"])["UserDetailList"]
    assert [u["UserName"] for u in users] == ["pw,never+used=1@x", "nothing", "pw-used"]
    for user in users:
        assert re.fullmatch(r"AIDA[A-Z2-7]{17}", user["UserId"]), user["UserId"]
