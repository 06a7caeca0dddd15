"""The fake itself, spoken to with boto3, not the function: the real-IAM paging that
fake_aws.py adds to moto behaves like IAM, so scenario 1's "every page read" means what it says;
the injected faults are what each service sends; and the Config results it keeps (which moto
does not) come back in Config's shape, paged and refused as Config does; the credential
report goes through IAM's states and writes IAM's columns and value forms; and the service last
accessed jobs go IN_PROGRESS then COMPLETED or FAILED, list the services Allow statements grant
with IAM's absent fields for what was never used, page with a Marker, refuse what IAM refuses,
and throttle as IAM does when their rate limit is reached."""

from __future__ import annotations

import re
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .access_advisor_fake import GENERATE_SERVICE_LAST_ACCESSED, GET_SERVICE_LAST_ACCESSED
from .fake_aws import (
    ACCOUNT_ID,
    GET_ACCOUNT_AUTHORIZATION_DETAILS,
    GET_COMPLIANCE_DETAILS,
    HTTP_500,
    HTTP_503,
    REGION,
    RESET,
    THROTTLING,
    AccessAdvisorCalls,
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


# ---- service last accessed details, as IAM runs them ------------------------------------------

ADVISOR_ACCOUNT = "888877776666"
# The fake's catalogue, written out from the brief's list of real namespaces (not imported from
# the fake, so a service dropped from it shows).
CATALOGUE = [
    "acm", "apigateway", "athena", "autoscaling", "cloudformation", "cloudfront", "cloudtrail",
    "cloudwatch", "config", "dynamodb", "ec2", "ecr", "ecs", "eks", "elasticloadbalancing",
    "events", "glue", "iam", "kinesis", "kms", "lambda", "logs", "organizations", "rds",
    "route53", "s3", "secretsmanager", "sns", "sqs", "ssm", "states", "sts", "xray",
]  # fmt: skip
S3_TRACKED = ["CreateBucket", "DeleteBucket", "GetBucketPolicy", "ListAllMyBuckets",
              "PutBucketPolicy", "PutBucketVersioning", "PutEncryptionConfiguration",
              "PutLifecycleConfiguration"]  # fmt: skip
IAM_TRACKED = ["AttachRolePolicy", "CreateAccessKey", "CreateRole", "CreateUser", "DeleteRole",
               "GetRole", "ListRoles", "PutRolePolicy"]  # fmt: skip


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action, **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": "*", **extra}


@dataclass
class AdvisorAccount:
    arn: dict[str, str]  # principal -> ARN
    key: str


@pytest.fixture(scope="module")
def advisor_account(fake_aws) -> AdvisorAccount:
    """Principals of an account of their own, each with the policies its name says."""
    a = ADVISOR_ACCOUNT
    key = fake_aws.key_without_user(a)
    created = datetime(2024, 1, 1, tzinfo=timezone.utc)
    arn = {}
    for role in ("star", "reader", "not-action", "bare", "failing"):
        fake_aws.create_role(role, "/", created, None, None, [], account_id=a)
        arn[role] = fake_aws.iam_of(a).get_role(role).arn
    fake_aws.put_role_policy("star", "all", _policy(_allow("*")), account_id=a)
    # Deny statements are not read: s3 stays granted although denied.
    fake_aws.put_role_policy(
        "reader", "read",
        _policy(_allow("S3:get*"), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
        account_id=a,
    )  # fmt: skip
    iam_all = arn["iam-all"] = fake_aws.create_policy("iam-all", _policy(_allow(["iam:*"])),
                                                      account_id=a)  # fmt: skip
    fake_aws.attach_role_policy("reader", iam_all, account_id=a)
    fake_aws.put_role_policy(
        "not-action", "all-but",
        _policy({"Effect": "Allow", "NotAction": ["iam:*", "s3:CreateBucket"], "Resource": "*"}),
        account_id=a,
    )  # fmt: skip
    fake_aws.put_role_policy("failing", "s3", _policy(_allow("s3:ListAllMyBuckets")), account_id=a)
    fake_aws.create_user("grouped", "/", created, [], account_id=a)
    arn["grouped"] = fake_aws.iam_of(a).get_user("grouped").arn
    fake_aws.put_user_policy("grouped", "own", _policy(_allow("dynamodb:GetItem")), account_id=a)
    arn["team"] = fake_aws.create_group("team", account_id=a)
    fake_aws.add_user_to_group("team", "grouped", account_id=a)
    fake_aws.put_group_policy("team", "queue", _policy(_allow("sqs:SendMessage")), account_id=a)
    other = fake_aws.create_policy(
        "other-service", _policy(_allow("custom-svc:DoThing")), account_id=a
    )
    fake_aws.attach_group_policy("team", other, account_id=a)
    lambda_all = fake_aws.aws_managed_policy(
        "LambdaAllForTests", _policy(_allow("lambda:*")), account_id=a
    )
    fake_aws.attach_user_policy("grouped", lambda_all, account_id=a)
    arn["aws-managed"] = lambda_all
    return AdvisorAccount(arn, key)


def _advisor_client(fake_aws, key: str, **config):
    return boto3.client(
        "iam",
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config),
    )


@pytest.fixture
def advisor(fake_aws, advisor_account):
    """boto3 IAM on the advisor account, one attempt per call; the fake's knobs restored."""
    yield _advisor_client(fake_aws, advisor_account.key)
    fake_aws.polls_in_progress = 1
    fake_aws.seconds_in_progress = 0.0
    fake_aws.access_page_limit.pop(ADVISOR_ACCOUNT, None)
    fake_aws.limit_access_advisor_rate(None)


def _completed(iam, job_id: str, **kwargs) -> dict:
    """The job's first page once it is no longer IN_PROGRESS (at most 5 polls)."""
    for _ in range(5):
        answer = iam.get_service_last_accessed_details(JobId=job_id, **kwargs)
        if answer["JobStatus"] != "IN_PROGRESS":
            return answer
    raise AssertionError(f"job {job_id} still IN_PROGRESS after 5 polls")


def _services(iam, arn: str, granularity: str = "SERVICE_LEVEL") -> list[dict]:
    job_id = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    answer = _completed(iam, job_id, MaxItems=1000)
    assert answer["JobStatus"] == "COMPLETED" and answer["IsTruncated"] is False
    return answer["ServicesLastAccessed"]


def _error(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_fake_access_job_is_in_progress_then_completed_with_a_completion_date_only_then(
    fake_aws, advisor, advisor_account
):
    arn = advisor_account.arn["reader"]
    fake_aws.polls_in_progress = 2
    fake_aws.clear_access_advisor_records()
    before = datetime.now(timezone.utc).replace(microsecond=0)
    job_id = advisor.generate_service_last_accessed_details(Arn=arn)["JobId"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        job_id), job_id  # fmt: skip
    answers = [advisor.get_service_last_accessed_details(JobId=job_id) for _ in range(3)]
    assert [a["JobStatus"] for a in answers] == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert ["JobCompletionDate" in a for a in answers] == [False, False, True]
    assert all(a["JobType"] == "SERVICE_LEVEL" for a in answers), "no Granularity: SERVICE_LEVEL"
    created = answers[0]["JobCreationDate"]
    assert before <= created <= answers[2]["JobCompletionDate"] <= datetime.now(timezone.utc)
    assert answers[0]["ServicesLastAccessed"] == [] and answers[0]["IsTruncated"] is False
    # Completed stays completed, with the same completion date.
    again = advisor.get_service_last_accessed_details(JobId=job_id)
    assert again["JobCompletionDate"] == answers[2]["JobCompletionDate"]
    assert fake_aws.access_advisor_calls(arn) == AccessAdvisorCalls(generate=1, get=4)


def test_fake_access_job_stays_in_progress_for_seconds_in_progress(
    fake_aws, advisor, advisor_account
):
    fake_aws.polls_in_progress = 0
    fake_aws.seconds_in_progress = 1.0
    job_id = advisor.generate_service_last_accessed_details(Arn=advisor_account.arn["reader"])[
        "JobId"
    ]
    assert advisor.get_service_last_accessed_details(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
    time.sleep(1.1)
    assert advisor.get_service_last_accessed_details(JobId=job_id)["JobStatus"] == "COMPLETED"


@pytest.mark.parametrize(
    ("principal", "namespaces"),
    [
        ("star", CATALOGUE),
        # S3:get* (any case) and the attached iam:*; the Deny of s3:* is not read.
        ("reader", ["iam", "s3"]),
        # NotAction grants everything but the namespace it names whole.
        ("not-action", [n for n in CATALOGUE if n != "iam"]),
        ("bare", []),
        # The user's own inline, its attached AWS managed policy, its group's inline and the
        # group's attached managed policy (a namespace outside the catalogue).
        ("grouped", ["custom-svc", "dynamodb", "lambda", "sqs"]),
        # A group: its own policies; a managed policy: its default version.
        ("team", ["custom-svc", "sqs"]),
        ("iam-all", ["iam"]),
        ("aws-managed", ["lambda"]),
    ],
)
def test_fake_access_grants_the_services_the_allow_statements_name(
    advisor, advisor_account, principal, namespaces
):
    services = _services(advisor, advisor_account.arn[principal])
    assert [s["ServiceNamespace"] for s in services] == namespaces


def test_fake_access_names_services_as_iam_does(advisor, advisor_account):
    services = _services(advisor, advisor_account.arn["grouped"])
    assert [(s["ServiceNamespace"], s["ServiceName"]) for s in services] == [
        ("custom-svc", "custom-svc"),
        ("dynamodb", "Amazon DynamoDB"),
        ("lambda", "AWS Lambda"),
        ("sqs", "Amazon SQS"),
    ]


def test_fake_access_reports_last_authenticated_only_for_used_services(
    fake_aws, advisor, advisor_account
):
    arn = advisor_account.arn["reader"]
    used = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    fake_aws.set_service_access(arn, "iam", used, region="eu-west-1")
    fake_aws.set_service_access(arn, "s3", None)
    services = {s["ServiceNamespace"]: s for s in _services(advisor, arn)}
    assert services["iam"] == {
        "ServiceName": "AWS Identity and Access Management",
        "ServiceNamespace": "iam",
        "LastAuthenticated": used,
        "LastAuthenticatedEntity": arn,
        "LastAuthenticatedRegion": "eu-west-1",
        "TotalAuthenticatedEntities": 1,
    }
    assert services["s3"] == {
        "ServiceName": "Amazon S3",
        "ServiceNamespace": "s3",
        "TotalAuthenticatedEntities": 0,
    }


def test_fake_access_lists_tracked_actions_only_at_action_level_for_tracked_services(
    fake_aws, advisor, advisor_account
):
    arn = advisor_account.arn["grouped"]
    listed = datetime(2026, 5, 1, tzinfo=timezone.utc)
    fake_aws.set_service_access(arn, "lambda", listed, actions={"ListFunctions": listed})
    service_level = _services(advisor, arn)
    assert all("TrackedActionsLastAccessed" not in s for s in service_level)
    action_level = {s["ServiceNamespace"]: s for s in _services(advisor, arn, "ACTION_LEVEL")}
    # lambda:* grants every tracked Lambda action; dynamodb and sqs actions are not tracked.
    assert {n for n, s in action_level.items() if "TrackedActionsLastAccessed" in s} == {"lambda"}
    assert action_level["lambda"]["TrackedActionsLastAccessed"] == [
        {"ActionName": "AddPermission"},
        {"ActionName": "CreateFunction"},
        {"ActionName": "DeleteFunction"},
        {"ActionName": "GetFunction"},
        {"ActionName": "ListFunctions", "LastAccessedEntity": arn, "LastAccessedTime": listed,
         "LastAccessedRegion": "us-east-1"},
        {"ActionName": "UpdateFunctionCode"},
        {"ActionName": "UpdateFunctionConfiguration"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "tracked"),
    [
        # S3:get* matches one tracked S3 action, whatever the case; iam:* all of IAM's.
        ("reader", {"s3": ["GetBucketPolicy"], "iam": IAM_TRACKED}),
        # NotAction s3:CreateBucket: every tracked S3 action but that one.
        ("not-action", {"s3": [a for a in S3_TRACKED if a != "CreateBucket"]}),
    ],
)
def test_fake_access_grants_the_tracked_actions_a_pattern_matches(
    advisor, advisor_account, principal, tracked
):
    services = {
        s["ServiceNamespace"]: s for s in _services(advisor, advisor_account.arn[principal],
                                                    "ACTION_LEVEL")
    }  # fmt: skip
    for namespace, actions in tracked.items():
        got = [a["ActionName"] for a in services[namespace]["TrackedActionsLastAccessed"]]
        assert got == actions, namespace


def test_fake_access_report_is_a_snapshot_taken_at_generation(fake_aws, advisor, advisor_account):
    arn = advisor_account.arn["bare"]
    fake_aws.polls_in_progress = 0
    job_id = advisor.generate_service_last_accessed_details(Arn=arn)["JobId"]
    fake_aws.put_role_policy("bare", "later", _policy(_allow("sqs:*")), account_id=ADVISOR_ACCOUNT)
    try:
        assert _completed(advisor, job_id)["ServicesLastAccessed"] == []
        assert [s["ServiceNamespace"] for s in _services(advisor, arn)] == ["sqs"]
    finally:
        fake_aws.iam_of(ADVISOR_ACCOUNT).delete_role_policy("bare", "later")


# 33 services: pages of MaxItems, or of the page limit where it is smaller (default MaxItems 100).
@pytest.mark.parametrize(
    ("max_items", "page_limit", "pages_expected"), [(5, None, 7), (1000, 7, 5), (None, 4, 9)]
)
def test_fake_access_pages_with_a_marker_cover_every_service_once(
    fake_aws, advisor, advisor_account, max_items, page_limit, pages_expected
):
    if page_limit is not None:
        fake_aws.access_page_limit[ADVISOR_ACCOUNT] = page_limit
    fake_aws.polls_in_progress = 0
    job_id = advisor.generate_service_last_accessed_details(Arn=advisor_account.arn["star"])[
        "JobId"
    ]
    size = page_limit or max_items
    pages, marker = [], None
    while True:
        kwargs = {"MaxItems": max_items} if max_items else {}
        answer = advisor.get_service_last_accessed_details(
            JobId=job_id, **kwargs, **({"Marker": marker} if marker else {})
        )
        pages.append([s["ServiceNamespace"] for s in answer["ServicesLastAccessed"]])
        if not answer["IsTruncated"]:
            assert "Marker" not in answer
            break
        marker = answer["Marker"]
        assert len(pages) < 20
    assert len(pages) == pages_expected
    assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert [n for p in pages for n in p] == CATALOGUE


def test_fake_access_refuses_unknown_principals_and_jobs_with_no_such_entity(
    fake_aws, advisor, advisor_account
):
    missing_role = f"arn:aws:iam::{ADVISOR_ACCOUNT}:role/no-such-role"
    # A role of another account: the caller's account holds no such role.
    elsewhere = advisor_account.arn["star"].replace(ADVISOR_ACCOUNT, ACCOUNT_ID)
    for arn in (missing_role, elsewhere, f"arn:aws:iam::{ADVISOR_ACCOUNT}:user/nobody"):
        status, code, _ = _error(lambda: advisor.generate_service_last_accessed_details(Arn=arn))
        assert (status, code) == (404, "NoSuchEntity"), arn
    status, code, _ = _error(
        lambda: advisor.get_service_last_accessed_details(JobId=str(uuid.uuid4()))
    )
    assert (status, code) == (404, "NoSuchEntity")
    # A job is its generator's: another account's caller does not find it.
    job_id = advisor.generate_service_last_accessed_details(Arn=advisor_account.arn["star"])[
        "JobId"
    ]
    stranger = _advisor_client(fake_aws, fake_aws.key_without_user("999988887777"))
    status, code, _ = _error(lambda: stranger.get_service_last_accessed_details(JobId=job_id))
    assert (status, code) == (404, "NoSuchEntity")


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda c, arn, job: c.generate_service_last_accessed_details(Arn=arn,
                                                                      Granularity="SERVICE"),
         lambda arn, job: "'SERVICE' at 'granularity'"),
        (lambda c, arn, job: c.generate_service_last_accessed_details(Arn="role/star" + "x" * 20),
         lambda arn, job: "role/star" + "x" * 20),
        (lambda c, arn, job: c.get_service_last_accessed_details(JobId=job, MaxItems=0),
         lambda arn, job: "'0' at 'maxItems'"),
        (lambda c, arn, job: c.get_service_last_accessed_details(JobId=job, MaxItems=1001),
         lambda arn, job: "'1001' at 'maxItems'"),
        (lambda c, arn, job: c.get_service_last_accessed_details(JobId=job[:-1]),
         lambda arn, job: f"'{job[:-1]}' at 'jobId'"),
        (lambda c, arn, job: c.get_service_last_accessed_details(JobId=job, Marker="not-ours"),
         lambda arn, job: "not-ours"),
    ],
    ids=["granularity", "arn", "max-items-0", "max-items-1001", "job-id-35", "marker"],
)  # fmt: skip
def test_fake_access_refuses_bad_input_with_invalid_input_naming_the_value(
    fake_aws, advisor, advisor_account, call, named
):
    # Without botocore's own checks, so the fake sees what a careless client could send.
    client = _advisor_client(fake_aws, advisor_account.key, parameter_validation=False)
    fake_aws.polls_in_progress = 0
    arn = advisor_account.arn["star"]
    job_id = client.generate_service_last_accessed_details(Arn=arn)["JobId"]
    status, code, message = _error(lambda: call(client, arn, job_id))
    assert (status, code) == (400, "InvalidInput")
    assert named(arn, job_id) in message


def test_fake_access_job_of_a_failing_principal_ends_failed_with_an_error(
    fake_aws, advisor, advisor_account
):
    arn = advisor_account.arn["failing"]
    fake_aws.fail_jobs_for(arn)
    try:
        job_id = advisor.generate_service_last_accessed_details(Arn=arn)["JobId"]
    finally:
        fake_aws.stop_failing_jobs_for(arn)
    assert advisor.get_service_last_accessed_details(JobId=job_id)["JobStatus"] == "IN_PROGRESS"
    failed = _completed(advisor, job_id)
    assert failed["JobStatus"] == "FAILED"
    assert failed["Error"]["Code"] == "ServiceFailure" and failed["Error"]["Message"]
    assert failed["ServicesLastAccessed"] == [] and "JobCompletionDate" in failed
    # The failure was the job's: a job generated since completes.
    assert [s["ServiceNamespace"] for s in _services(advisor, arn)] == ["s3"]


def test_fake_access_throttles_when_the_bucket_is_empty_and_recovers(
    fake_aws, advisor, advisor_account
):
    arn = advisor_account.arn["bare"]
    fake_aws.polls_in_progress = 0
    fake_aws.clear_access_advisor_records()
    # 1 call a second, bursts of 3: three calls pass at once, the fourth finds no token.
    fake_aws.limit_access_advisor_rate(1, burst=3)
    job_id = advisor.generate_service_last_accessed_details(Arn=arn)["JobId"]
    for _ in range(2):
        assert advisor.get_service_last_accessed_details(JobId=job_id)["JobStatus"] == "COMPLETED"
    status, code, message = _error(lambda: advisor.get_service_last_accessed_details(JobId=job_id))
    assert (status, code, message) == (400, "Throttling", "Rate exceeded")
    status, code, _ = _error(lambda: advisor.generate_service_last_accessed_details(Arn=arn))
    assert (status, code) == (400, "Throttling"), "one bucket for both operations"
    # Another account has a bucket of its own.
    other = _advisor_client(fake_aws, fake_aws.key_without_user("999988887777"))
    status, code, _ = _error(lambda: other.get_service_last_accessed_details(JobId=job_id))
    assert code == "NoSuchEntity"
    time.sleep(1.1)  # a token back
    assert advisor.get_service_last_accessed_details(JobId=job_id)["JobStatus"] == "COMPLETED"
    stats = fake_aws.access_advisor_stats(ADVISOR_ACCOUNT)
    assert stats.answered == {GENERATE_SERVICE_LAST_ACCESSED: 1, GET_SERVICE_LAST_ACCESSED: 3}
    assert stats.throttled == {GENERATE_SERVICE_LAST_ACCESSED: 1, GET_SERVICE_LAST_ACCESSED: 1}
    assert fake_aws.access_advisor_calls(arn) == AccessAdvisorCalls(generate=1, get=3)
    # None lifts the limit.
    fake_aws.limit_access_advisor_rate(None)
    for _ in range(5):
        advisor.get_service_last_accessed_details(JobId=job_id)
