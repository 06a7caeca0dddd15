"""A fake AWS account for the end-to-end tests: moto's server, in this process, on 127.0.0.1.

`FakeAws` runs moto's `ThreadedMotoServer` on a free loopback port and serves IAM (awsquery,
XML) and AWS Config (awsJson1.1) to the real Rust SDK in the function under test. Because
the server runs in this process, the tests shape the account through moto's own backends
(create roles, set their `create_date`, `last_used`, `last_used_region`: moto documents
`Role.last_used` as public API) and read what the function sent.

Where moto 5.2 does not behave like AWS in a way the scenarios depend on, this module adds the
real behaviour while the server runs, and says which one:

* GetAccountAuthorizationDetails: moto returns every entity in one response and ignores
  `MaxItems`/`Marker`. Real IAM pages: `MaxItems` 1..1000 (default 100), `IsTruncated` and an
  opaque `Marker` to pass back. `_paginated_get_account_authorization_details` reproduces that.
  Real IAM may also return fewer than `MaxItems` while `IsTruncated` is true ("IAM might return
  fewer results, even when there are more results available"): `iam_page_limit` makes the fake
  do so for one account, so a few hundred roles span several pages.
* PutEvaluations: moto validates the request and answers `FailedEvaluations: []` but keeps
  nothing, and refuses any call without `TestMode=true`. Real Config accepts a call without
  TestMode, for the rule its ResultToken stands for, and stores one result per resource;
  `ConfigResults` does that (TestMode calls still go to moto and store nothing, as in Config).
  Every call is recorded, so the tests can assert exactly what the rule sent.
* GetComplianceDetailsByConfigRule: moto 5.2 has no such action. Real Config returns the rule's
  stored results, filtered by `ComplianceTypes`, `Limit` (default 10, at most 100) a page with
  a `NextToken`, each as EvaluationResultIdentifier.EvaluationResultQualifier {ConfigRuleName,
  ResourceType, ResourceId, EvaluationMode} + OrderingTimestamp, ComplianceType, Annotation,
  ResultRecordedTime, ConfigRuleInvokedTime. `ConfigResults.query` serves that from the same
  store.
* FailedEvaluations: real Config may refuse some items of a PutEvaluations call and return them
  in `FailedEvaluations` (moto never does). `ConfigResults.reject` makes it refuse chosen
  ResourceIds, once or every time; a refused item is not stored.
* GetComplianceDetailsByResource (the quarantine documents' guard): moto 5.2 has no such action.
  Real Config (API Reference, GetComplianceDetailsByResource) takes ResourceType and ResourceId,
  `ComplianceTypes` (COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE; default all) and `NextToken`, and
  has no `Limit`; it answers the resource's results in every rule of the account and Region, in
  the same EvaluationResult shape as GetComplianceDetailsByConfigRule. `ConfigResults.by_resource`
  serves that from the same store; a page holds `ConfigResults.resource_page_size` results (the
  fake's choice: the reference states no page size), with an opaque NextToken. The proactive
  `ResourceEvaluationId` form is refused as not supported by the fake.
* DescribeConfigRules: moto has it, but its PutConfigRule accepts a CUSTOM_LAMBDA rule only
  for a Lambda function moto holds. `ConfigRules.put` stores a rule's Source.Owner and
  InputParameters without one; DescribeConfigRules with ConfigRuleNames that are all stored
  there answers from it as Config does (ConfigRuleName, ConfigRuleArn, ConfigRuleId, Source,
  InputParameters as a JSON string, ConfigRuleState ACTIVE; NoSuchConfigRuleException naming
  an unknown rule); any other request goes to moto.
* ListUsers: moto returns every user in one response with IsTruncated false. Real IAM pages it as
  GetAccountAuthorizationDetails (MaxItems 1..1000, default 100, Marker, IsTruncated): the fake
  does so, in moto's (creation) order.

* GenerateCredentialReport / GetCredentialReport (the users rule): moto builds the CSV from
  the live users at every GetCredentialReport, answers GetCredentialReport with the constant
  GeneratedTime 2015-02-02T20:02:02Z, STARTED then COMPLETE from GenerateCredentialReport, and
  writes columns unlike IAM's: `not_supported` for a password that does not exist and for
  every key's last-used Region and service, password_last_changed = the user's creation, no
  `<root_account>` row. Real IAM (IAM User Guide, "Getting credential reports for your AWS
  account"; IAM API Reference, GenerateCredentialReport / GetCredentialReport) takes a
  snapshot when a generation starts, answers STARTED for the call that starts one, INPROGRESS
  while it runs and COMPLETE once a report exists (a report less than four hours old is reused,
  an older one is generated again); GetCredentialReport answers ReportInProgress (404) while
  it runs, ReportNotPresent (410) before any, ReportExpired (410) for an old one, else the CSV
  (base64 on the wire), `text/csv` and the snapshot's GeneratedTime. `CredentialReports` does
  that. Its CSV has IAM's 22 columns in IAM's order, the `<root_account>` row first, `true` /
  `false`, dates as `2024-05-01T12:00:00+00:00`, `N/A` for a password or key that does not
  exist and for a key never used (date, Region and service), `no_information` for a password
  never used, the key's Region and service (moto's `AccessKeyLastUsed`), and the password's
  own set time (`User.password_last_changed`, set by `FakeAws.create_user`). Fields are quoted
  as CSV needs (IAM user names may hold `,`). `generation_polls` makes a generation answer
  INPROGRESS that many more times, so the function's polling is exercised.
* GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails (the permissions rule):
  moto 5.2 has neither. Real IAM (IAM API Reference, both operations, ServiceLastAccessed,
  TrackedActionLastAccessed, ErrorDetails; botocore's IAM model for the constraints) answers
  Generate with a 36-character JobId for a user, group, role or managed policy of the caller's
  account (NoSuchEntity, 404, for one it does not hold; InvalidInput, 400, for a Granularity
  other than SERVICE_LEVEL, the default, or ACTION_LEVEL); Get with JobStatus IN_PROGRESS,
  COMPLETED or FAILED, JobType, JobCreationDate, JobCompletionDate (absent while IN_PROGRESS),
  and the services the principal's identity policies allow, in namespace order: ServiceName,
  ServiceNamespace, TotalAuthenticatedEntities (0 if never used) and, only if used in the
  tracking period, LastAuthenticated, LastAuthenticatedEntity, LastAuthenticatedRegion; at
  ACTION_LEVEL, for a service whose actions IAM tracks, TrackedActionsLastAccessed: each granted
  tracked action by its bare name (`CreateBucket`) with LastAccessedTime, LastAccessedRegion
  and LastAccessedEntity only if used. MaxItems 1..1000 (default 100), IsTruncated and an
  opaque Marker page the services; a FAILED job has an Error {Code, Message} and no services;
  a JobId of another account is NoSuchEntity (a report is its generator's), one not 36
  characters long or MaxItems out of range InvalidInput naming the value (the fake's choice:
  the operations list InvalidInput; IAM may send ValidationError for model constraints, as the
  GetAccountAuthorizationDetails fake does). `AccessAdvisor` (access_advisor_fake.py) does that,
  taking a snapshot at Generate: the principal's policies and use data then, as IAM says one
  must generate again to see later changes. The fake's reading where AWS says no more than
  "services allowed by the permissions policies": the documents are the inline and attached
  managed policies of the role, user (and the user's groups), group, or the managed policy's
  default version; an Allow statement's Action grants the namespace it names (wildcards `*`
  and `?`, case-insensitive: `s3:Get*`, `iam:*`; a namespace outside the fake's catalogue of
  33 real services is granted under its own namespace as ServiceName), `*` or `*:*` grants the
  whole catalogue, an Allow NotAction grants the whole catalogue but a namespace it names as
  `ns:*`; Deny statements, Resource and Condition are not read (the report lists what Allow
  statements grant, "only applies permissions policy logic"). Tracked actions: 7 or 8 real
  management actions each of s3, ec2, iam and lambda (not iam:PassRole, never tracked), granted
  when a pattern matches them (for NotAction: when none does). Use data is set per ARN by
  `FakeAws.set_service_access` (default: never used), without HTTP. Knobs: each job answers
  IN_PROGRESS for its first `polls_in_progress` Get calls (default 1, so polling is always
  exercised) and for at least `seconds_in_progress`; `fail_jobs_for(arn)` makes the ARN's new
  jobs end FAILED, by default with Code `ServiceFailure` and IAM's message for that error (the
  API Reference's Common Errors: ErrorDetails lists no codes); `access_page_limit` makes a page
  hold fewer than MaxItems, with IsTruncated, as IAM may. `limit_access_advisor_rate(rate,
  burst)` is a token bucket per account over the two operations, in the fault injector: a call
  finding it empty gets IAM's throttling error (HTTP 400, Code `Throttling`, "Rate exceeded",
  the same ErrorResponse as an injected THROTTLING). `access_advisor_stats(account)` counts,
  per operation, calls answered and throttled; `access_advisor_calls(arn)` the Generate and
  Get calls of one ARN, so tests can assert polling is bounded.

Fault injection (`FaultInjector`): a WSGI middleware wrapped around moto's WSGI app, inside the
same werkzeug server. It sees each HTTP request before moto does, with werkzeug's HTTP parsing
already done (a proxy in front of moto would have to re-implement HTTP/1.1 framing), tells the
operation from the body (IAM's `Action=`) or the `X-Amz-Target` header (Config), and can answer
in moto's place: the service's own throttling error, HTTP 500, HTTP 503, its access-denied
error, a connection reset with no response at all, or a delay before moto answers. A test plans
the next N responses of an operation, optionally only for one IAM page. Every attempt that reaches the server is
recorded, injected or not, so tests count attempts per operation.

Identity policies: `create_policy`, `aws_managed_policy`, `put_role_policy`,
`attach_role_policy`, the user and group equivalents and `add_user_to_group` go through moto's
IAM backend (no HTTP), so thousands of principals get policies quickly.

Accounts: moto picks the account of a request from its access key. `access_key_for(account)`
creates an IAM user with a key in another account, so a second function (the fault tests') can
work on its own small account while the 2 500-role one stays as it is.

Every request moto dispatches is also logged (service, action, Content-Type, HTTP status), so a
test can assert that a bad event made no AWS call at all, and that each service was spoken to
in its own wire protocol.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import json
import logging
import os
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import parse_qs

from moto.config.exceptions import (
    InvalidLimitException,
    InvalidNextTokenException,
    InvalidParameterValueException,
    InvalidResultTokenException,
    NoSuchConfigRuleException,
    ValidationException,
)
from moto.config.models import ConfigBackend
from moto.config.responses import ConfigResponse
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.exceptions import IAMException, ReportNotPresentException, ValidationError
from moto.iam.models import AccessKeyLastUsed, AWSManagedPolicy, get_account_id_from, iam_backends
from moto.iam.responses import IamResponse
from moto.server import ThreadedMotoServer

from .access_advisor_fake import (
    AccessAdvisor,
    AccessAdvisorCalls,
    AccessAdvisorStats,
    JOB_FAILURE_CODE,
    JOB_FAILURE_MESSAGE,
)

# moto's default account: the one the events in events/ name.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
START_TIMEOUT_S = 30

# Real IAM: "MaxItems ... If you do not include this parameter, the number of items defaults
# to 100 ... Valid Range: Minimum value of 1. Maximum value of 1000."
IAM_DEFAULT_MAX_ITEMS = 100
IAM_MAX_MAX_ITEMS = 1000
_MARKER_PREFIX = "e2e-fake-iam-marker:"

# A real trust policy, so the role details look like IAM's (the rule ignores them).
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@dataclass(frozen=True)
class AccessKeySpec:
    """One access key of a user, for `FakeAws.create_user`."""

    created: datetime
    active: bool = True
    last_used: datetime | None = None
    region: str = "N/A"
    service: str = "N/A"


@dataclass
class RequestRecord:
    """One request moto dispatched."""

    service: str
    action: str
    content_type: str
    status: int


@dataclass
class AttemptRecord:
    """One HTTP request that reached the server (an SDK attempt), whether moto or an injected
    fault answered it. `status` is None when the connection was reset without a response."""

    service: str
    operation: str
    account_id: str
    iam_page: int | None  # GetAccountAuthorizationDetails: the page asked for, 1 = no Marker
    fault: str | None  # the injected fault, None when moto answered at once
    status: int | None = None
    seconds: float = 0.0
    # Unix time at which moto was handed the request (after any injected delay); None when a
    # fault answered instead.
    answered_at: float | None = None


@dataclass
class IamPageRecord:
    """One GetAccountAuthorizationDetails call and the page it got."""

    filter: list[str]
    max_items: int | None
    marker: str | None
    roles_returned: int
    is_truncated: bool
    next_marker: str | None


@dataclass
class PutEvaluationsRecord:
    """One PutEvaluations call, as moto's Config backend received it."""

    account_id: str
    region: str
    evaluations: list[dict[str, Any]]
    result_token: str | None
    test_mode: bool | None
    # ResourceIds the fake refused (returned in FailedEvaluations) in this call.
    failed_ids: list[str] = field(default_factory=list)


@dataclass
class Recorder:
    requests: list[RequestRecord] = field(default_factory=list)
    iam_pages: list[IamPageRecord] = field(default_factory=list)
    put_evaluations: list[PutEvaluationsRecord] = field(default_factory=list)
    attempts: list[AttemptRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.iam_pages.clear()
            self.put_evaluations.clear()
            self.attempts.clear()

    def snapshot(self) -> Recorder:
        """A copy that later requests do not change."""
        with self.lock:
            return Recorder(
                requests=list(self.requests),
                iam_pages=list(self.iam_pages),
                put_evaluations=list(self.put_evaluations),
                attempts=list(self.attempts),
            )

    def attempts_of(self, operation: str) -> list[AttemptRecord]:
        return [a for a in self.attempts if a.operation == operation]


def _encode_marker(offset: int) -> str:
    return base64.b64encode(f"{_MARKER_PREFIX}{offset}".encode()).decode()


def _decode_marker(marker: str) -> int:
    try:
        text = base64.b64decode(marker.encode(), validate=True).decode()
        if not text.startswith(_MARKER_PREFIX):
            raise ValueError(text)
        offset = int(text[len(_MARKER_PREFIX) :])
        if offset <= 0:
            raise ValueError(text)
        return offset
    except ValueError as error:
        raise ValidationError(f"Invalid Marker: {marker!r}") from error


# ---- fault injection ------------------------------------------------------------------------

IAM = "iam"
CONFIG = "config"
GET_ACCOUNT_AUTHORIZATION_DETAILS = "GetAccountAuthorizationDetails"
PUT_EVALUATIONS = "PutEvaluations"
GET_COMPLIANCE_DETAILS = "GetComplianceDetailsByConfigRule"


@dataclass(frozen=True)
class Fault:
    """One injected response. `kind`:
    throttling  the service's own throttling error, HTTP 400: IAM (awsquery) an XML
                ErrorResponse with Code `Throttling`, Config (awsJson1.1)
                {"__type": "ThrottlingException", "message": ...}, as each really answers
    http500     HTTP 500 with the service's internal-error body (IAM ServiceFailure, Config
                InternalFailure)
    http503     HTTP 503 with the service's unavailable body (ServiceUnavailable)
    access_denied  the caller's policy does not allow the operation: IAM (awsquery) HTTP 403,
                an XML ErrorResponse with Code `AccessDenied`; Config (awsJson1.1) HTTP 400,
                {"__type": "AccessDeniedException", ...}; each message in the services' own
                words ("User: ARN is not authorized to perform: iam:Operation ...")
    reset       the TCP connection is reset (RST) after the request is read; no response byte
    delay       `seconds` of silence, then moto answers normally (and does the work)
    delay_until silence until the wall-clock time `until()` returns (Unix seconds), then as
                delay: a moment fixed relative to something else, such as the Lambda deadline,
                however long the requests before it took
    """

    kind: str
    seconds: float = 0.0
    until: Callable[[], float] | None = None

    def __str__(self) -> str:
        if self.kind == "delay":
            return f"delay {self.seconds:g}s"
        if self.kind == "delay_until":
            return "delay until a set moment"
        return self.kind


THROTTLING = Fault("throttling")
HTTP_500 = Fault("http500")
HTTP_503 = Fault("http503")
RESET = Fault("reset")
ACCESS_DENIED = Fault("access_denied")


def delay(seconds: float) -> Fault:
    return Fault("delay", seconds)


def delay_until(until: Callable[[], float]) -> Fault:
    return Fault("delay_until", until=until)


@dataclass
class _Plan:
    operation: str
    iam_page: int | None
    faults: list[Fault]


class FaultInjector:
    """The fault plans, and the WSGI middleware that carries them out (see the module
    docstring). Plans are taken in the order they were made; a request takes the next fault of
    the first plan for its operation (and IAM page, if the plan names one) that has any left."""

    def __init__(self, recorder: Recorder, iam_page_size) -> None:
        self._recorder = recorder
        self._iam_page_size = iam_page_size  # (account, MaxItems) -> the page size served
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self.app: Any = None
        # (operation, account) -> False to answer the service's throttling error instead of
        # moto (a rate limit, after any planned fault); None admits everything.
        self.admit: Callable[[str, str], bool] | None = None

    # -- planning, from the tests

    def plan(self, operation: str, faults: list[Fault], iam_page: int | None = None) -> None:
        """The next len(faults) responses to `operation` (on IAM page `iam_page` only, if
        given) are these faults, in order."""
        if iam_page is not None and operation != GET_ACCOUNT_AUTHORIZATION_DETAILS:
            raise ValueError("iam_page applies to GetAccountAuthorizationDetails only")
        with self._lock:
            self._plans.append(_Plan(operation, iam_page, list(faults)))

    def pending(self) -> dict[str, int]:
        """Faults planned and not yet served, by operation (and page): {} when all were."""
        with self._lock:
            left: dict[str, int] = {}
            for plan in self._plans:
                if plan.faults:
                    key = plan.operation + (f" page {plan.iam_page}" if plan.iam_page else "")
                    left[key] = left.get(key, 0) + len(plan.faults)
            return left

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no request is being answered (a delayed one may still be sleeping after
        the SDK gave up on it): True if that happened within `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _take(self, operation: str, iam_page: int | None) -> Fault | None:
        for plan in self._plans:
            if plan.faults and plan.operation == operation:
                if plan.iam_page is None or plan.iam_page == iam_page:
                    return plan.faults.pop(0)
        return None

    # -- the middleware

    def __call__(self, environ: dict, start_response):
        started = time.monotonic()
        body = _read_body(environ)
        service, operation, params = _identify(environ, body)
        account = _account_of(environ)
        iam_page = None
        if operation == GET_ACCOUNT_AUTHORIZATION_DETAILS:
            iam_page = self._iam_page_of(account, params)
        with self._lock:
            fault = self._take(operation, iam_page)
            self._in_flight += 1
        if fault is None and self.admit is not None and not self.admit(operation, account):
            fault = THROTTLING
        record = AttemptRecord(
            service=service,
            operation=operation,
            account_id=account,
            iam_page=iam_page,
            fault=None if fault is None else str(fault),
        )
        with self._recorder.lock:
            self._recorder.attempts.append(record)

        def recording_start_response(status: str, headers, exc_info=None):
            record.status = int(status.split(None, 1)[0])
            return start_response(status, headers, exc_info)

        try:
            if fault is None or fault.kind in ("delay", "delay_until"):
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                if fault is not None and fault.kind == "delay_until":
                    time.sleep(max(0.0, fault.until() - time.time()))
                record.answered_at = time.time()
                return self.app(environ, recording_start_response)
            if fault.kind == "reset":
                _reset_connection(environ)
                raise ConnectionResetError("e2e fault injection: connection reset")
            status, headers, payload = _error_response(fault, service, operation, account)
            recording_start_response(status, headers)
            return [payload]
        finally:
            record.seconds = time.monotonic() - started
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _iam_page_of(self, account: str, params: dict[str, list[str]]) -> int | None:
        marker = (params.get("Marker") or [None])[0]
        if not marker:
            return 1
        try:
            offset = _decode_marker(marker)
            max_items = params.get("MaxItems")
            size = self._iam_page_size(account, int(max_items[0]) if max_items else None)
        except (ValidationError, ValueError):
            return None  # moto answers it with ValidationError
        return offset // size + 1


def _read_body(environ: dict) -> bytes:
    """The request body, read once and put back for moto."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = stream.read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _identify(environ: dict, body: bytes) -> tuple[str, str, dict[str, list[str]]]:
    """(service, operation, form parameters): Config (awsJson1.1) names the operation in
    X-Amz-Target `StarlingDoveService.<Operation>`, IAM (awsquery) in the body's Action."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        service = CONFIG if target.startswith("StarlingDoveService.") else "?"
        return service, target.rsplit(".", 1)[-1], {}
    params = parse_qs(body.decode("utf-8", "replace")) if body else {}
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", authorization)
    service = scope.group(1) if scope else "?"
    return service, (params.get("Action") or ["?"])[0], params


def _account_of(environ: dict) -> str:
    key = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return get_account_id_from(key.group(1)) if key else "?"


def _reset_connection(environ: dict) -> None:
    """Resets the client's TCP connection (RST, no response byte). SO_LINGER 0 makes the close
    abortive. The socket's descriptor is closed by dup2-ing over it one end of a socketpair
    whose other end is already closed: werkzeug's handler keeps a valid descriptor that reads
    EOF (so it ends this connection quietly) and no other thread can be handed that number
    meanwhile, as it could after a plain close."""
    sock = environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    dead, peer = socket.socketpair()
    peer.close()
    try:
        os.dup2(dead.fileno(), sock.fileno())
    finally:
        dead.close()


_IAM_ERRORS = {
    "throttling": ("400 Bad Request", "Sender", "Throttling", "Rate exceeded"),
    "http500": (
        "500 Internal Server Error",
        "Receiver",
        "ServiceFailure",
        "Request processing has failed due to some unknown error, exception or failure.",
    ),
    "http503": ("503 Service Unavailable", "Receiver", "ServiceUnavailable", "Service Unavailable"),
    # Real IAM: HTTP 403, <Code>AccessDenied</Code>, "User: arn:aws:iam::...:user/x is not
    # authorized to perform: iam:GetAccountAuthorizationDetails on resource: *".
    "access_denied": ("403 Forbidden", "Sender", "AccessDenied", "{denied}"),
}
_JSON_ERRORS = {
    "throttling": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "http500": ("500 Internal Server Error", "InternalFailure", "An internal error occurred."),
    "http503": ("503 Service Unavailable", "ServiceUnavailable", "Service Unavailable"),
    # Real Config (awsJson1.1): HTTP 400, {"__type":"AccessDeniedException","message":"User: ...
    # is not authorized to perform: config:GetComplianceDetailsByConfigRule ..."}.
    "access_denied": ("400 Bad Request", "AccessDeniedException", "{denied}"),
}


def _denied_message(service: str, operation: str, account: str) -> str:
    """What AWS says when the caller's policies do not allow `operation`."""
    return (
        f"User: arn:aws:iam::{account}:user/e2e-function-credentials is not authorized to "
        f"perform: {service}:{operation} on resource: * because no identity-based policy "
        f"allows the {service}:{operation} action"
    )


def _error_response(fault: Fault, service: str, operation: str, account: str = ACCOUNT_ID):
    """The error the service itself sends, in its own protocol."""
    request_id = str(uuid.uuid4())
    denied = _denied_message(service, operation, account)
    if service == IAM:
        status, kind, code, message = _IAM_ERRORS[fault.kind]
        message = message.format(denied=denied)
        payload = (
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        content_type = "text/xml"
    else:
        status, code, message = _JSON_ERRORS[fault.kind]
        message = message.format(denied=denied)
        payload = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(payload))),
        ("x-amzn-RequestId", request_id),
    ]
    return status, headers, payload


# ---- AWS Config's results, as real Config keeps them -----------------------------------------

RESULTS_DEFAULT_LIMIT = 10  # real Config: "The default is 10"
RESULTS_MAX_LIMIT = 100
RESOURCE_RESULTS_PAGE_SIZE = 10  # GetComplianceDetailsByResource: the fake's choice
CONFIG_RULE_NAME_MAX = 64  # GetComplianceDetailsByConfigRule ConfigRuleName, Config API model
PUT_EVALUATIONS_MAX = 100
ANNOTATION_MAX = 256
COMPLIANCE_TYPES_ALLOWED = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
_TOKEN_PREFIX = "e2e-fake-config-result-token:"
_NEXT_TOKEN_PREFIX = "e2e-fake-config-next:"


class ConfigResults:
    """What real AWS Config does with a custom rule's evaluations and moto 5.2 does not (see
    the module docstring): PutEvaluations without TestMode stores one result per resource for
    the rule its ResultToken stands for (the latest call wins), GetComplianceDetailsByConfigRule
    reads them back, and chosen ResourceIds can be refused in FailedEvaluations."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, str, str]] = {}
        # (account, region, rule) -> {(ResourceType, ResourceId): stored result}
        self._rules: dict[tuple[str, str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        # ResourceId -> refusals left (None: every time)
        self._refuse: dict[str, int | None] = {}
        # GetComplianceDetailsByResource: results a page (the reference states no size).
        self.resource_page_size = RESOURCE_RESULTS_PAGE_SIZE

    # -- for the tests

    def result_token(self, rule: str, account_id: str = ACCOUNT_ID, region: str = REGION) -> str:
        """A new ResultToken for an invocation of `rule`, as Config puts in each event (opaque
        to the function); creates the rule if it is new."""
        token = base64.b64encode(f"{_TOKEN_PREFIX}{uuid.uuid4()}".encode()).decode()
        with self._lock:
            self._tokens[token] = (account_id, region, rule)
            self._rules.setdefault((account_id, region, rule), {})
        return token

    def seed(
        self,
        rule: str,
        resource_id: str,
        compliance: str,
        annotation: str,
        account_id: str = ACCOUNT_ID,
        region: str = REGION,
        resource_type: str = "AWS::IAM::Role",
        ordering_timestamp: float = 0.0,
    ) -> None:
        """A result the rule already holds (e.g. one an older version of the rule wrote)."""
        now = time.time()
        with self._lock:
            self._rules.setdefault((account_id, region, rule), {})[(resource_type, resource_id)] = {
                "ResourceType": resource_type,
                "ResourceId": resource_id,
                "ComplianceType": compliance,
                "Annotation": annotation,
                "OrderingTimestamp": ordering_timestamp,
                "ResultRecordedTime": now,
                "ConfigRuleInvokedTime": now,
            }

    def stored(
        self, rule: str, account_id: str = ACCOUNT_ID, region: str = REGION
    ) -> dict[str, dict[str, Any]]:
        """The rule's stored results by ResourceId (a copy)."""
        with self._lock:
            results = self._rules.get((account_id, region, rule), {})
            return {rid: dict(result) for (_, rid), result in results.items()}

    def forget(
        self, rule: str, resource_id: str, account_id: str = ACCOUNT_ID, region: str = REGION
    ) -> None:
        """Deletes one stored result, as DeleteEvaluationResults (or a console user) can."""
        with self._lock:
            results = self._rules.get((account_id, region, rule), {})
            for key in [k for k in results if k[1] == resource_id]:
                del results[key]

    def reject(self, resource_ids, times: int | None = 1) -> None:
        """PutEvaluations returns these ResourceIds in FailedEvaluations, and does not store
        them, the next `times` times each is sent (None: every time)."""
        with self._lock:
            for resource_id in resource_ids:
                self._refuse[resource_id] = times

    def clear_rejections(self) -> None:
        with self._lock:
            self._refuse.clear()

    # -- for the patched API

    def refused(self, evaluations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        failed = []
        with self._lock:
            for evaluation in evaluations:
                resource_id = evaluation.get("ComplianceResourceId")
                if resource_id in self._refuse:
                    left = self._refuse[resource_id]
                    if left is not None:
                        if left <= 0:
                            continue
                        self._refuse[resource_id] = left - 1
                    failed.append(evaluation)
        return failed

    def put(
        self,
        account_id: str,
        region: str,
        evaluations: list[dict[str, Any]],
        result_token: str,
        failed: list[dict[str, Any]],
    ) -> None:
        """Stores the accepted evaluations of a PutEvaluations call without TestMode."""
        with self._lock:
            owner = self._tokens.get(result_token)
            if owner is None or owner[:2] != (account_id, region):
                raise InvalidResultTokenException()
            refused = {id(e) for e in failed}
            results = self._rules.setdefault(owner, {})
            now = time.time()
            for evaluation in evaluations:
                if id(evaluation) in refused:
                    continue
                key = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
                results[key] = {
                    "ResourceType": key[0],
                    "ResourceId": key[1],
                    "ComplianceType": evaluation["ComplianceType"],
                    "Annotation": evaluation.get("Annotation"),
                    "OrderingTimestamp": float(evaluation["OrderingTimestamp"]),
                    "ResultRecordedTime": now,
                    "ConfigRuleInvokedTime": now,
                }

    def query(
        self,
        account_id: str,
        region: str,
        rule: str | None,
        compliance_types: list[str] | None,
        limit: int | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        """GetComplianceDetailsByConfigRule's response."""
        if not rule:
            raise ValidationException(
                "1 validation error detected: Value null at 'configRuleName' failed to satisfy "
                "constraint: Member must not be null"
            )
        if len(rule) > CONFIG_RULE_NAME_MAX:
            # The Config API model: GetComplianceDetailsByConfigRule's ConfigRuleName is
            # 1 to 64 characters, although Config names organization rules' copies longer.
            raise ValidationException(
                f"1 validation error detected: Value '{rule}' at 'configRuleName' failed to "
                f"satisfy constraint: Member must have length less than or equal to "
                f"{CONFIG_RULE_NAME_MAX}"
            )
        limit = RESULTS_DEFAULT_LIMIT if not limit else int(limit)
        if not 0 < limit <= RESULTS_MAX_LIMIT:
            raise InvalidLimitException(limit)
        types = _compliance_types(compliance_types)
        query_id = f"{rule}|{','.join(sorted(types))}"
        offset = _decode_next_token(next_token, query_id) if next_token else 0
        with self._lock:
            key = (account_id, region, rule)
            if key not in self._rules:
                raise NoSuchConfigRuleException(rule)
            matching = [r for r in self._rules[key].values() if r["ComplianceType"] in types]
            page = [dict(r) for r in matching[offset : offset + limit]]
        response: dict[str, Any] = {"EvaluationResults": [_evaluation_result(rule, r) for r in page]}
        if offset + limit < len(matching):
            text = f"{_NEXT_TOKEN_PREFIX}#{query_id}#{offset + limit}"
            response["NextToken"] = base64.b64encode(text.encode()).decode()
        return response

    def by_resource(
        self,
        account_id: str,
        region: str,
        resource_type: str | None,
        resource_id: str | None,
        compliance_types: list[str] | None,
        next_token: str | None,
        resource_evaluation_id: str | None = None,
    ) -> dict[str, Any]:
        """GetComplianceDetailsByResource's response: the resource's results in every rule."""
        if resource_evaluation_id is not None:
            raise InvalidParameterValueException(
                "ResourceEvaluationId (proactive evaluations) is not supported by the fake"
            )
        if not resource_type or not resource_id:
            raise ValidationException(
                "1 validation error detected: ResourceType and ResourceId must not be null"
            )
        types = _compliance_types(compliance_types)
        query_id = f"{resource_type}|{resource_id}|{','.join(sorted(types))}"
        offset = _decode_next_token(next_token, query_id) if next_token else 0
        with self._lock:
            matching = [
                (rule, dict(result))
                for (account, rule_region, rule), results in self._rules.items()
                if (account, rule_region) == (account_id, region)
                for (kind, rid), result in results.items()
                if (kind, rid) == (resource_type, resource_id) and result["ComplianceType"] in types
            ]
        size = self.resource_page_size
        page = matching[offset : offset + size]
        response: dict[str, Any] = {"EvaluationResults": [_evaluation_result(*r) for r in page]}
        if offset + size < len(matching):
            text = f"{_NEXT_TOKEN_PREFIX}#{query_id}#{offset + size}"
            response["NextToken"] = base64.b64encode(text.encode()).decode()
        return response


def _evaluation_result(rule: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored result as Config's EvaluationResult."""
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": rule,
                "ResourceType": stored["ResourceType"],
                "ResourceId": stored["ResourceId"],
                "EvaluationMode": "DETECTIVE",
            },
            "OrderingTimestamp": stored["OrderingTimestamp"],
        },
        "ComplianceType": stored["ComplianceType"],
        "ResultRecordedTime": stored["ResultRecordedTime"],
        "ConfigRuleInvokedTime": stored["ConfigRuleInvokedTime"],
        **({"Annotation": stored["Annotation"]} if stored["Annotation"] is not None else {}),
    }


def _compliance_types(compliance_types: list[str] | None) -> list[str]:
    types = list(compliance_types or COMPLIANCE_TYPES_ALLOWED)
    for compliance in types:
        if compliance not in COMPLIANCE_TYPES_ALLOWED:
            raise InvalidParameterValueException(
                f"The ComplianceType {compliance} is not supported by this API. Supported "
                f"values: {', '.join(COMPLIANCE_TYPES_ALLOWED)}"
            )
    return types


def _decode_next_token(next_token: str, query_id: str) -> int:
    try:
        text = base64.b64decode(next_token.encode(), validate=True).decode()
        prefix, query, number = text.rsplit("#", 2)
        offset = int(number)
        if prefix != _NEXT_TOKEN_PREFIX or query != query_id or offset <= 0:
            raise ValueError(text)
    except ValueError as error:
        raise InvalidNextTokenException() from error
    return offset


class ConfigRules:
    """Custom rules DescribeConfigRules reports without the Lambda function moto's PutConfigRule
    insists on (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[tuple[str, str, str], dict[str, Any]] = {}

    def put(
        self,
        name: str,
        input_parameters: dict[str, str] | None,
        owner: str = "CUSTOM_LAMBDA",
        account_id: str = ACCOUNT_ID,
        region: str = REGION,
    ) -> None:
        """Creates or replaces the rule `name`; `input_parameters` None = the rule has none."""
        rule_id = f"config-rule-{uuid.uuid4().hex[:6]}"
        rule: dict[str, Any] = {
            "ConfigRuleName": name,
            "ConfigRuleArn": f"arn:aws:config:{region}:{account_id}:config-rule/{rule_id}",
            "ConfigRuleId": rule_id,
            "Source": {
                "Owner": owner,
                "SourceIdentifier": f"arn:aws:lambda:{region}:{account_id}:function:{name}",
                "SourceDetails": [
                    {
                        "EventSource": "aws.config",
                        "MessageType": "ScheduledNotification",
                        "MaximumExecutionFrequency": "TwentyFour_Hours",
                    }
                ],
            },
            "MaximumExecutionFrequency": "TwentyFour_Hours",
            "ConfigRuleState": "ACTIVE",
        }
        if input_parameters is not None:
            rule["InputParameters"] = json.dumps(input_parameters)
        with self._lock:
            self._rules[(account_id, region, name)] = rule

    def describe(self, account_id: str, region: str, names: list[str] | None) -> dict[str, Any] | None:
        """The response for these names, or None when moto should answer (no names, or names
        not stored here)."""
        with self._lock:
            if not names or not any((account_id, region, n) in self._rules for n in names):
                return None
            rules = []
            for name in names:
                rule = self._rules.get((account_id, region, name))
                if rule is None:
                    raise NoSuchConfigRuleException(name)
                rules.append(copy.deepcopy(rule))
        return {"ConfigRules": rules}


def _validate_put_evaluations(evaluations: list[dict[str, Any]]) -> None:
    """Real Config's limits that moto does not check: at most 100 evaluations a call, an
    annotation of at most 256 characters."""
    if len(evaluations) > PUT_EVALUATIONS_MAX:
        raise ValidationException(
            f"1 validation error detected: Value at 'evaluations' failed to satisfy constraint: "
            f"Member must have length less than or equal to {PUT_EVALUATIONS_MAX}"
        )
    for evaluation in evaluations:
        if len(evaluation.get("Annotation") or "") > ANNOTATION_MAX:
            raise ValidationException(
                "1 validation error detected: Value at 'evaluations.member.annotation' failed to "
                f"satisfy constraint: Member must have length less than or equal to "
                f"{ANNOTATION_MAX}"
            )


# ---- the credential report ------------------------------------------------------------------

GENERATE_CREDENTIAL_REPORT = "GenerateCredentialReport"
GET_CREDENTIAL_REPORT = "GetCredentialReport"
# IAM User Guide, "Getting credential reports": a report less than four hours old is reused.
CREDENTIAL_REPORT_REUSED_FOR = timedelta(hours=4)
CREDENTIAL_REPORT_COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)  # fmt: skip
ROOT_ACCOUNT = "<root_account>"


class ReportInProgressException(IAMException):
    code = "ReportInProgress"


class ReportExpiredException(IAMException):
    code = "ReportExpired"


@dataclass
class StoredReport:
    content: bytes  # the CSV
    generated: datetime  # aware, UTC, whole seconds


def _report_time(moment: datetime | None) -> str:
    if moment is None:
        return "N/A"
    return moment.replace(tzinfo=timezone.utc, microsecond=0).isoformat()


def credential_report_csv(backend, account_id: str, root_created: datetime) -> bytes:
    """IAM's credential report of `backend`'s users, as IAM writes it (module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CREDENTIAL_REPORT_COLUMNS)
    # The account's root user: not an IAM user; IAM writes not_supported where a root field
    # has no meaning.
    writer.writerow([
        ROOT_ACCOUNT, f"arn:aws:iam::{account_id}:root", _report_time(root_created),
        "not_supported", "no_information", "not_supported", "not_supported", "false",
        "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ])  # fmt: skip
    for user in backend.users.values():
        if user.password:
            password = [
                "true",
                _report_time(user.password_last_used) if user.password_last_used else "no_information",
                _report_time(getattr(user, "password_last_changed", None) or user.create_date),
                "N/A",
            ]
        else:
            password = ["false", "N/A", "N/A", "N/A"]
        keys = []
        for slot in range(2):
            key = user.access_keys[slot] if slot < len(user.access_keys) else None
            if key is None:
                keys += ["false", "N/A", "N/A", "N/A", "N/A"]
                continue
            used = key.last_used
            keys += [
                "true" if key.status == "Active" else "false",
                _report_time(key.create_date),
                _report_time(used._timestamp) if used else "N/A",
                used.region if used else "N/A",
                used.service if used else "N/A",
            ]
        writer.writerow([
            user.name, user.arn, _report_time(user.create_date), *password[:1],
            password[1], password[2], password[3], "true" if user.mfa_devices else "false",
            *keys, "false", "N/A", "false", "N/A",
        ])  # fmt: skip
    return out.getvalue().encode()


class CredentialReports:
    """Real IAM's credential report life cycle, per account (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reports: dict[str, StoredReport] = {}
        # account -> (the snapshot being generated, INPROGRESS answers left)
        self._generating: dict[str, tuple[StoredReport, int]] = {}
        # account -> how many GenerateCredentialReport calls answer INPROGRESS after STARTED
        self.generation_polls: dict[str, int] = {}
        self.root_created = datetime(2015, 1, 1, tzinfo=timezone.utc)

    def snapshot(self, account_id: str, at: datetime | None = None) -> StoredReport:
        """A report of the account's users as they are now, generated `at` (default: now)."""
        generated = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        content = credential_report_csv(
            iam_backends[account_id]["global"], account_id, self.root_created
        )
        return StoredReport(content, generated.replace(microsecond=0))

    def put(self, account_id: str, report: StoredReport) -> None:
        with self._lock:
            self._reports[account_id] = report
            self._generating.pop(account_id, None)

    def start_generation(self, account_id: str, report: StoredReport, polls: int) -> None:
        """`report` is being generated: GenerateCredentialReport answers INPROGRESS `polls`
        more times, then COMPLETE; GetCredentialReport answers ReportInProgress until then."""
        with self._lock:
            self._reports.pop(account_id, None)
            self._generating[account_id] = (report, polls)

    def discard(self, account_id: str) -> None:
        """No report any more: the next GenerateCredentialReport starts a new one."""
        with self._lock:
            self._reports.pop(account_id, None)
            self._generating.pop(account_id, None)

    def report(self, account_id: str) -> StoredReport | None:
        with self._lock:
            return self._reports.get(account_id)

    def generate(self, account_id: str) -> dict[str, str]:
        now = datetime.now(timezone.utc)
        with self._lock:
            if account_id in self._generating:
                report, left = self._generating[account_id]
                if left > 0:
                    self._generating[account_id] = (report, left - 1)
                    return {"State": "INPROGRESS"}
                del self._generating[account_id]
                self._reports[account_id] = report
                return {"State": "COMPLETE"}
            current = self._reports.get(account_id)
            if current is not None and now - current.generated < CREDENTIAL_REPORT_REUSED_FOR:
                return {"State": "COMPLETE"}
            polls = self.generation_polls.get(account_id, 0)
        report = self.snapshot(account_id, now)
        with self._lock:
            self._generating[account_id] = (report, polls)
        return {
            "State": "STARTED",
            "Description": "No report exists. Starting a new report generation task",
        }

    def get(self, account_id: str) -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        with self._lock:
            if account_id in self._generating:
                raise ReportInProgressException("Report generation in progress")
            report = self._reports.get(account_id)
        if report is None:
            raise ReportNotPresentException(
                "Credential report not present. Generate a report with GenerateCredentialReport."
            )
        if now - report.generated >= CREDENTIAL_REPORT_REUSED_FOR:
            raise ReportExpiredException(
                "Credential report has expired. Generate a new report with GenerateCredentialReport."
            )
        return {
            "Content": report.content,
            "ReportFormat": "text/csv",
            "GeneratedTime": report.generated,
        }


# ---- the fake ---------------------------------------------------------------------------------

_ABSENT = object()


class FakeAws:
    """moto's server plus the patches and recordings described in the module docstring.

    Use as a context manager; `stop()` shuts the server down and removes the patches.
    """

    def __init__(self) -> None:
        self.recorder = Recorder()
        self.config_results = ConfigResults()
        self.config_rules = ConfigRules()
        self.credential_reports = CredentialReports()
        # account -> the most roles an IAM page holds there (real IAM may serve fewer than
        # MaxItems); accounts not listed get MaxItems.
        self.iam_page_limit: dict[str, int] = {}
        self.faults = FaultInjector(self.recorder, self.iam_page_size)
        self.access_advisor = AccessAdvisor()
        self.faults.admit = self.access_advisor.admit
        self._server: ThreadedMotoServer | None = None
        self._originals: list[tuple[type, str, Any]] = []
        self._access_keys: dict[str, str] = {}
        self.endpoint_url = ""
        self.log_handler = _MemoryLogHandler()
        self._werkzeug_propagate = True

    # ---- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeAws:
        self._patch()
        # werkzeug logs one line per request: keep them for a failing test's report, and only
        # there (not propagated to pytest's log capture as well).
        werkzeug_log = logging.getLogger("werkzeug")
        werkzeug_log.addHandler(self.log_handler)
        self._werkzeug_propagate = werkzeug_log.propagate
        werkzeug_log.propagate = False
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # start() returns once the socket listens, and waits for that without a limit: bound it.
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(START_TIMEOUT_S)
        if starter.is_alive():
            raise RuntimeError(f"moto's server did not start within {START_TIMEOUT_S}s")
        self._server = server
        # The fault injector goes around moto's WSGI app in the same werkzeug server (nothing
        # can have connected yet: the port is only known from here on).
        wsgi_server = server._server  # noqa: SLF001 - ThreadedMotoServer keeps it there
        assert wsgi_server is not None
        self.faults.app = wsgi_server.app
        wsgi_server.app = self.faults
        host, port = server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        werkzeug_log = logging.getLogger("werkzeug")
        werkzeug_log.removeHandler(self.log_handler)
        werkzeug_log.propagate = self._werkzeug_propagate
        self._unpatch()

    def __enter__(self) -> FakeAws:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def server_log(self) -> str:
        return self.log_handler.text()

    # ---- the account ------------------------------------------------------------------

    @property
    def iam(self):
        return self.iam_of(ACCOUNT_ID)

    @staticmethod
    def iam_of(account_id: str):
        return iam_backends[account_id]["global"]

    def access_key_for(self, account_id: str) -> str:
        """An access key id whose requests moto serves from `account_id` (moto picks the
        account of a request from its access key): one IAM user's key in that account."""
        if account_id not in self._access_keys:
            iam = self.iam_of(account_id)
            user = "e2e-function-credentials"
            iam.create_user(region_name=REGION, user_name=user)
            self._access_keys[account_id] = iam.create_access_key(user).access_key_id
        return self._access_keys[account_id]

    def key_without_user(self, account_id: str) -> str:
        """An access key id whose requests moto serves from `account_id`, held by no IAM user
        (an STS-style key in moto's key store), so the account's user list is exactly what a
        test creates."""
        return self.iam_of(account_id).create_temp_access_key().access_key_id

    def create_role(
        self,
        name: str,
        path: str,
        created: datetime,
        last_used: datetime | None,
        last_used_region: str | None,
        tags: list[dict[str, str]],
        account_id: str = ACCOUNT_ID,
    ) -> str:
        """Creates a role through moto's IAM backend and returns its RoleId (`AROA...`)."""
        role = self.iam_of(account_id).create_role(
            role_name=name,
            assume_role_policy_document=TRUST_POLICY,
            path=path,
            permissions_boundary=None,
            description="",
            tags=tags,
            max_session_duration="3600",
        )
        # moto keeps naive UTC datetimes (moto.core.utils.utcnow) and serialises them with a
        # `Z`; IAM's own timestamps have whole seconds.
        role.create_date = _naive_utc(created)
        role.last_used = _naive_utc(last_used) if last_used else None
        role.last_used_region = last_used_region
        return role.id

    def set_role_last_used(
        self, name: str, at: datetime, region: str | None, account_id: str = ACCOUNT_ID
    ) -> None:
        """The role was used at `at` in `region`, as IAM's RoleLastUsed then says."""
        role = self.iam_of(account_id).get_role(name)
        role.last_used = _naive_utc(at)
        role.last_used_region = region

    def create_user(
        self,
        name: str,
        path: str,
        created: datetime,
        tags: list[dict[str, str]],
        password_set: datetime | None = None,
        password_last_used: datetime | None = None,
        keys: list[AccessKeySpec] = (),
        account_id: str = ACCOUNT_ID,
    ) -> str:
        """Creates a user through moto's IAM backend, with a console password if
        `password_set` (set then) and up to two access keys (in slot order), and returns its
        UserId (`AIDA...`)."""
        iam = self.iam_of(account_id)
        user = iam.create_user(region_name=REGION, user_name=name, path=path, tags=tags)
        # IAM's form (moto's is lowercase): AIDA + 17 characters of A-Z, 2-7.
        user.id = "AIDA" + base64.b32encode(uuid.uuid4().bytes).decode()[:17]
        user.create_date = _naive_utc(created)
        if password_set is not None:
            iam.create_login_profile(name, "e2e-Password-1")
            user.password_last_changed = _naive_utc(password_set)
            user.password_last_used = _naive_utc(password_last_used) if password_last_used else None
        elif password_last_used is not None:
            raise ValueError(f"{name}: a password last used but never set")
        for spec in keys:
            key = iam.create_access_key(name, status="Active" if spec.active else "Inactive")
            key.create_date = _naive_utc(spec.created)
            if spec.last_used is not None:
                key.last_used = AccessKeyLastUsed(
                    timestamp=_naive_utc(spec.last_used), service=spec.service, region=spec.region
                )
        return user.id

    def delete_user(self, name: str, account_id: str = ACCOUNT_ID) -> None:
        """Deletes a user and what IAM makes one delete first (login profile, access keys)."""
        iam = self.iam_of(account_id)
        user = iam.get_user(name)
        for key in list(user.access_keys):
            iam.delete_access_key(key.access_key_id, name)
        user.password = None
        iam.delete_user(name)

    def user_count(self, account_id: str = ACCOUNT_ID) -> int:
        return len(self.iam_of(account_id).users)

    def delete_role(self, name: str, account_id: str = ACCOUNT_ID) -> None:
        self.iam_of(account_id).delete_role(name)

    def role_count(self, account_id: str = ACCOUNT_ID) -> int:
        return len(self.iam_of(account_id).roles)

    def iam_page_size(self, account_id: str, max_items: int | None) -> int:
        """How many entities a GetAccountAuthorizationDetails page holds for this request."""
        size = IAM_DEFAULT_MAX_ITEMS if max_items is None else max_items
        return min(size, self.iam_page_limit.get(account_id, size))

    # ---- identity policies, through moto's backend (no HTTP, so cheap in bulk) ----------

    def create_policy(
        self, name: str, document: dict | str, account_id: str = ACCOUNT_ID, path: str = "/"
    ) -> str:
        """Creates a customer managed policy and returns its ARN."""
        return (
            self.iam_of(account_id)
            .create_policy(
                description="", path=path, policy_document=_policy_json(document),
                policy_name=name, tags=[],
            )
            .arn
        )  # fmt: skip

    def aws_managed_policy(
        self, name: str, document: dict | str, account_id: str = ACCOUNT_ID
    ) -> str:
        """Makes the AWS managed policy `arn:aws:iam::aws:policy/NAME` (with this document)
        attachable in `account_id` and returns its ARN: moto loads AWS's managed policies only
        when MOTO_IAM_LOAD_MANAGED_POLICIES is set, and then all 1 000+ of them."""
        iam = self.iam_of(account_id)
        policy = AWSManagedPolicy(
            name, account_id=account_id, region=REGION, path="/", document=_policy_json(document)
        )
        iam.managed_policies.setdefault(policy.arn, policy)
        return policy.arn

    def put_role_policy(
        self, role: str, policy_name: str, document: dict | str, account_id: str = ACCOUNT_ID
    ) -> None:
        self.iam_of(account_id).put_role_policy(role, policy_name, _policy_json(document))

    def attach_role_policy(self, role: str, policy_arn: str, account_id: str = ACCOUNT_ID) -> None:
        self.iam_of(account_id).attach_role_policy(policy_arn, role)

    def put_user_policy(
        self, user: str, policy_name: str, document: dict | str, account_id: str = ACCOUNT_ID
    ) -> None:
        self.iam_of(account_id).put_user_policy(user, policy_name, _policy_json(document))

    def attach_user_policy(self, user: str, policy_arn: str, account_id: str = ACCOUNT_ID) -> None:
        self.iam_of(account_id).attach_user_policy(policy_arn, user)

    def create_group(self, name: str, account_id: str = ACCOUNT_ID, path: str = "/") -> str:
        """Creates a group and returns its ARN."""
        return self.iam_of(account_id).create_group(name, path).arn

    def add_user_to_group(self, group: str, user: str, account_id: str = ACCOUNT_ID) -> None:
        self.iam_of(account_id).add_user_to_group(group, user)

    def put_group_policy(
        self, group: str, policy_name: str, document: dict | str, account_id: str = ACCOUNT_ID
    ) -> None:
        self.iam_of(account_id).put_group_policy(group, policy_name, _policy_json(document))

    def attach_group_policy(
        self, group: str, policy_arn: str, account_id: str = ACCOUNT_ID
    ) -> None:
        self.iam_of(account_id).attach_group_policy(policy_arn, group)

    # ---- service last accessed details (AccessAdvisor) ---------------------------------

    def set_service_access(
        self,
        arn: str,
        namespace: str,
        last_authenticated: datetime | None,
        region: str = REGION,
        actions: dict[str, datetime | None] | None = None,
    ) -> None:
        """The principal `arn` last used service `namespace` at `last_authenticated` (None:
        never) in `region`, and each tracked action (bare name, e.g. `CreateBucket`) at its
        time (None or absent: never). Jobs generated from now on report it."""
        self.access_advisor.set_service_access(arn, namespace, last_authenticated, region, actions)

    def fail_jobs_for(
        self, arn: str, code: str = JOB_FAILURE_CODE, message: str = JOB_FAILURE_MESSAGE
    ) -> None:
        """Jobs generated for `arn` from now on end FAILED with Error {code, message}."""
        self.access_advisor.fail_jobs_for(arn, code, message)

    def stop_failing_jobs_for(self, arn: str) -> None:
        """Jobs generated for `arn` from now on complete again."""
        self.access_advisor.stop_failing_jobs_for(arn)

    def limit_access_advisor_rate(
        self, calls_per_second: float | None, burst: float = 1.0
    ) -> None:
        """A token bucket per account over both operations: `burst` tokens, refilled at
        `calls_per_second`; a call finding no token is answered Throttling. None: no limit."""
        self.access_advisor.limit_rate(calls_per_second, burst)

    def access_advisor_stats(self, account_id: str = ACCOUNT_ID) -> AccessAdvisorStats:
        """Per operation, the account's calls answered (past the rate limit, success or error)
        and throttled by it, since the last `clear_access_advisor_records`."""
        return self.access_advisor.stats(account_id)

    def access_advisor_calls(self, arn: str) -> AccessAdvisorCalls:
        """Generate calls that made a job for `arn`, and Get calls of its jobs."""
        return self.access_advisor.calls(arn)

    def clear_access_advisor_records(self) -> None:
        self.access_advisor.clear_records()

    @property
    def polls_in_progress(self) -> int:
        """Get calls a new job answers IN_PROGRESS before it completes (default 1)."""
        return self.access_advisor.polls_in_progress

    @polls_in_progress.setter
    def polls_in_progress(self, polls: int) -> None:
        self.access_advisor.polls_in_progress = polls

    @property
    def seconds_in_progress(self) -> float:
        """Seconds a new job stays IN_PROGRESS at least, whatever the polls (default 0)."""
        return self.access_advisor.seconds_in_progress

    @seconds_in_progress.setter
    def seconds_in_progress(self, seconds: float) -> None:
        self.access_advisor.seconds_in_progress = seconds

    @property
    def access_page_limit(self) -> dict[str, int]:
        """account -> the most services a GetServiceLastAccessedDetails page holds there."""
        return self.access_advisor.page_limit

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Waits (bounded) until no request is in the server, e.g. a delayed one the SDK timed
        out on, so that nothing changes the fake after a test has read it."""
        if not self.faults.wait_idle(timeout):
            raise AssertionError(f"requests still in the fake AWS after {timeout}s")

    # ---- patches ----------------------------------------------------------------------

    def _patch(self) -> None:
        recorder = self.recorder
        results = self.config_results
        original_call_action = BaseResponse.call_action
        original_put_evaluations = ConfigBackend.put_evaluations

        def call_action(response: BaseResponse):
            result = original_call_action(response)
            try:
                action = response._get_action()
            except Exception:  # noqa: BLE001 - the log must not break the request
                action = "?"
            with recorder.lock:
                recorder.requests.append(
                    RequestRecord(
                        service=response.service_name or "?",
                        action=action,
                        content_type=response.headers.get("Content-Type", ""),
                        status=int(result[0]) if isinstance(result, tuple) else 0,
                    )
                )
            return result

        def put_evaluations(backend, evaluations=None, result_token=None, test_mode=False):
            evaluations = evaluations or []
            failed = results.refused(evaluations)
            with recorder.lock:
                recorder.put_evaluations.append(
                    PutEvaluationsRecord(
                        account_id=backend.account_id,
                        region=backend.region_name,
                        evaluations=copy.deepcopy(evaluations),
                        result_token=result_token,
                        test_mode=test_mode,
                        failed_ids=[e["ComplianceResourceId"] for e in failed],
                    )
                )
            _validate_put_evaluations(evaluations)
            if test_mode:
                # moto validates a TestMode call; Config stores nothing for it.
                original_put_evaluations(backend, evaluations, result_token, test_mode)
            else:
                if not evaluations:
                    raise InvalidParameterValueException(
                        "The Evaluations object in your request cannot be null."
                        "Add the required parameters and try again."
                    )
                if not result_token:
                    raise InvalidResultTokenException()
                results.put(
                    backend.account_id, backend.region_name, evaluations, result_token, failed
                )
            return {"FailedEvaluations": copy.deepcopy(failed)}

        def get_compliance_details_by_config_rule(response: ConfigResponse) -> str:
            return json.dumps(
                results.query(
                    response.current_account,
                    response.region,
                    response._get_param("ConfigRuleName"),
                    response._get_param("ComplianceTypes"),
                    response._get_param("Limit"),
                    response._get_param("NextToken"),
                )
            )

        def get_compliance_details_by_resource(response: ConfigResponse) -> str:
            return json.dumps(
                results.by_resource(
                    response.current_account,
                    response.region,
                    response._get_param("ResourceType"),
                    response._get_param("ResourceId"),
                    response._get_param("ComplianceTypes"),
                    response._get_param("NextToken"),
                    response._get_param("ResourceEvaluationId"),
                )
            )

        rules = self.config_rules
        original_describe_config_rules = ConfigResponse.describe_config_rules

        def describe_config_rules(response: ConfigResponse) -> str:
            answer = rules.describe(
                response.current_account, response.region, response._get_param("ConfigRuleNames")
            )
            if answer is None:
                return original_describe_config_rules(response)
            return json.dumps(answer)

        def list_users(response: IamResponse):
            return _paginated_list_users(response)

        reports = self.credential_reports

        def generate_credential_report(response: IamResponse):
            return ActionResult(reports.generate(response.current_account))

        def get_credential_report(response: IamResponse):
            return ActionResult(reports.get(response.current_account))

        def get_account_authorization_details(response: IamResponse):
            return _paginated_get_account_authorization_details(
                response, recorder, self.iam_page_size
            )

        advisor = self.access_advisor

        def generate_service_last_accessed_details(response: IamResponse):
            return ActionResult(
                advisor.generate(
                    response.current_account,
                    response._get_param("Arn"),
                    response._get_param("Granularity"),
                )
            )

        def get_service_last_accessed_details(response: IamResponse):
            return ActionResult(
                advisor.get(
                    response.current_account,
                    response._get_param("JobId"),
                    response._get_param("MaxItems"),
                    response._get_param("Marker"),
                )
            )

        for owner, name, replacement in (
            (BaseResponse, "call_action", call_action),
            (ConfigBackend, "put_evaluations", put_evaluations),
            (
                ConfigResponse,
                "get_compliance_details_by_config_rule",
                get_compliance_details_by_config_rule,
            ),
            (
                ConfigResponse,
                "get_compliance_details_by_resource",
                get_compliance_details_by_resource,
            ),
            (ConfigResponse, "describe_config_rules", describe_config_rules),
            (IamResponse, "list_users", list_users),
            (IamResponse, "get_account_authorization_details", get_account_authorization_details),
            (IamResponse, "generate_credential_report", generate_credential_report),
            (IamResponse, "get_credential_report", get_credential_report),
            (
                IamResponse,
                "generate_service_last_accessed_details",
                generate_service_last_accessed_details,
            ),
            (IamResponse, "get_service_last_accessed_details", get_service_last_accessed_details),
        ):
            self._originals.append((owner, name, owner.__dict__.get(name, _ABSENT)))
            setattr(owner, name, replacement)

    def _unpatch(self) -> None:
        while self._originals:
            owner, name, original = self._originals.pop()
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)


def _paginated_list_users(response: IamResponse) -> ActionResult:
    """moto's ListUsers with real IAM's paging (MaxItems, Marker, IsTruncated), in moto's
    (creation) order."""
    max_items = response._get_param("MaxItems")
    size = IAM_DEFAULT_MAX_ITEMS if max_items is None else int(max_items)
    if not 1 <= size <= IAM_MAX_MAX_ITEMS:
        raise ValidationError(
            f"1 validation error detected: Value '{size}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value between 1 and {IAM_MAX_MAX_ITEMS}"
        )
    marker = response._get_param("Marker")
    start = _decode_marker(marker) if marker else 0
    users = list(response.backend.list_users(response._get_param("PathPrefix"), None, None))
    result: dict[str, Any] = {"Users": users[start : start + size]}
    result["IsTruncated"] = start + size < len(users)
    if result["IsTruncated"]:
        result["Marker"] = _encode_marker(start + size)
    return ActionResult(result)


def _paginated_get_account_authorization_details(
    response: IamResponse, recorder: Recorder, page_size_of
) -> ActionResult:
    """moto's GetAccountAuthorizationDetails with real IAM's paging (MaxItems, Marker,
    IsTruncated). Entities are paged in one sequence, users, groups, roles then policies, in
    moto's (creation) order, which is stable between calls as long as nothing is created."""
    filter_param = list(response._get_param("Filter", []) or [])
    raw_max_items = response._get_param("MaxItems")
    marker = response._get_param("Marker")
    max_items = int(raw_max_items) if raw_max_items is not None else None
    requested = IAM_DEFAULT_MAX_ITEMS if max_items is None else max_items
    if not 1 <= requested <= IAM_MAX_MAX_ITEMS:
        raise ValidationError(
            f"1 validation error detected: Value '{requested}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value less than or equal to {IAM_MAX_MAX_ITEMS}"
        )
    page_size = page_size_of(response.current_account, max_items)
    offset = _decode_marker(marker) if marker else 0

    details = response.backend.get_account_authorization_details(filter_param)
    keys = ("users", "groups", "roles", "managed_policies")
    entities = [(key, entity) for key in keys for entity in details[key]]
    page = entities[offset : offset + page_size]
    truncated = offset + page_size < len(entities)
    next_marker = _encode_marker(offset + page_size) if truncated else None

    result: dict[str, Any] = {
        "UserDetailList": [e for k, e in page if k == "users"],
        "GroupDetailList": [e for k, e in page if k == "groups"],
        "RoleDetailList": [e for k, e in page if k == "roles"],
        "Policies": [e for k, e in page if k == "managed_policies"],
        "IsTruncated": truncated,
    }
    if next_marker:
        result["Marker"] = next_marker
    with recorder.lock:
        recorder.iam_pages.append(
            IamPageRecord(
                filter=filter_param,
                max_items=max_items,
                marker=marker,
                roles_returned=len(result["RoleDetailList"]),
                is_truncated=truncated,
                next_marker=next_marker,
            )
        )
    return ActionResult(result)


def _policy_json(document: dict | str) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


class _MemoryLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines: list[str] = []
        self._lines_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lines_lock:
            self._lines.append(self.format(record))

    def text(self) -> str:
        with self._lines_lock:
            return "\n".join(self._lines)
