"""IAM's service last accessed details (Access Advisor) for the end-to-end fake: moto 5.2 has
neither GenerateServiceLastAccessedDetails nor GetServiceLastAccessedDetails. fake_aws.py wires
`AccessAdvisor` into moto's IAM responses and its rate limit into the fault injector; its module
docstring says what the fake does and where each behaviour comes from.

Nothing here speaks HTTP: the two operations take moto's request parameters and return the
response as a dict that moto's serializer writes as IAM's awsquery XML (botocore's IAM model
gives the shapes), or raise the IAM error moto serializes with the model's HTTP status.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote

from moto.iam.exceptions import IAMException, NotFoundException
from moto.iam.models import iam_backends

GENERATE_SERVICE_LAST_ACCESSED = "GenerateServiceLastAccessedDetails"
GET_SERVICE_LAST_ACCESSED = "GetServiceLastAccessedDetails"
ACCESS_ADVISOR_OPERATIONS = (GENERATE_SERVICE_LAST_ACCESSED, GET_SERVICE_LAST_ACCESSED)

SERVICE_LEVEL = "SERVICE_LEVEL"
ACTION_LEVEL = "ACTION_LEVEL"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

# botocore's IAM model: GetServiceLastAccessedDetails MaxItems 1..1000, JobId exactly 36
# characters; the API reference: "If you do not include this parameter, the number of items
# defaults to 100".
ACCESS_DEFAULT_MAX_ITEMS = 100
ACCESS_MAX_MAX_ITEMS = 1000
JOB_ID_LENGTH = 36
_MARKER_PREFIX = "e2e-fake-access-marker:"

# IAM API Reference, Common Errors: ServiceFailure, "The request processing has failed because
# of an unknown error, exception or failure." ErrorDetails documents no codes of its own.
JOB_FAILURE_CODE = "ServiceFailure"
JOB_FAILURE_MESSAGE = (
    "Request processing has failed due to some unknown error, exception or failure."
)

# The fake's catalogue of services: real namespaces with the ServiceName IAM reports for them
# (the Service Authorization Reference's service names). `*`, `*:*` and NotAction grant these.
SERVICE_NAMES: dict[str, str] = {
    "acm": "AWS Certificate Manager",
    "apigateway": "Amazon API Gateway",
    "athena": "Amazon Athena",
    "autoscaling": "Amazon EC2 Auto Scaling",
    "cloudformation": "AWS CloudFormation",
    "cloudfront": "Amazon CloudFront",
    "cloudtrail": "AWS CloudTrail",
    "cloudwatch": "Amazon CloudWatch",
    "config": "AWS Config",
    "dynamodb": "Amazon DynamoDB",
    "ec2": "Amazon EC2",
    "ecr": "Amazon Elastic Container Registry",
    "ecs": "Amazon Elastic Container Service",
    "eks": "Amazon Elastic Kubernetes Service",
    "elasticloadbalancing": "Elastic Load Balancing",
    "events": "Amazon EventBridge",
    "glue": "AWS Glue",
    "iam": "AWS Identity and Access Management",
    "kinesis": "Amazon Kinesis",
    "kms": "AWS Key Management Service",
    "lambda": "AWS Lambda",
    "logs": "Amazon CloudWatch Logs",
    "organizations": "AWS Organizations",
    "rds": "Amazon RDS",
    "route53": "Amazon Route 53",
    "s3": "Amazon S3",
    "secretsmanager": "AWS Secrets Manager",
    "sns": "Amazon SNS",
    "sqs": "Amazon SQS",
    "ssm": "AWS Systems Manager",
    "states": "AWS Step Functions",
    "sts": "AWS Security Token Service",
    "xray": "AWS X-Ray",
}

# The actions whose last access the fake tracks: real management actions of the four services
# IAM first tracked actions of (IAM User Guide, "action last accessed": S3 management actions,
# EC2, IAM, Lambda). Not iam:PassRole (never tracked), not S3 object actions nor
# lambda:InvokeFunction (data events, not tracked).
TRACKED_ACTIONS: dict[str, tuple[str, ...]] = {
    "ec2": ("AuthorizeSecurityGroupIngress", "CreateSecurityGroup", "CreateVpc",
            "DescribeInstances", "RunInstances", "StartInstances", "StopInstances",
            "TerminateInstances"),
    "iam": ("AttachRolePolicy", "CreateAccessKey", "CreateRole", "CreateUser", "DeleteRole",
            "GetRole", "ListRoles", "PutRolePolicy"),
    "lambda": ("AddPermission", "CreateFunction", "DeleteFunction", "GetFunction",
               "ListFunctions", "UpdateFunctionCode", "UpdateFunctionConfiguration"),
    "s3": ("CreateBucket", "DeleteBucket", "GetBucketPolicy", "ListAllMyBuckets",
           "PutBucketPolicy", "PutBucketVersioning", "PutEncryptionConfiguration",
           "PutLifecycleConfiguration"),
}  # fmt: skip

_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):(role|user|group|policy)(/(?:[^/]+/)*)?([^/]+)")


class InvalidInputException(IAMException):
    code = "InvalidInput"


def _invalid(value: object, member: str, constraint: str) -> InvalidInputException:
    """IAM's wording for a request member that breaks its model constraint, naming both."""
    return InvalidInputException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


# ---- what a principal is granted ------------------------------------------------------------


def _patterns(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _matcher(pattern: str) -> re.Pattern[str]:
    """An IAM action pattern as a regex: `*` any run, `?` one character, case-insensitive."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE)


def _statements(document: object) -> list[dict]:
    if isinstance(document, str):
        text = document.strip()
        if not text:
            return []
        # moto keeps a document as sent: JSON, or URL-encoded JSON as IAM itself returns it.
        document = json.loads(unquote(text) if text.startswith("%") else text)
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    return [s for s in statements if isinstance(s, dict)]


def granted_services(documents: list[object]) -> dict[str, frozenset[str]]:
    """Namespace -> the tracked actions granted, for every service the Allow statements of
    `documents` grant (the fake's reading; see fake_aws.py's docstring). Resources and
    conditions are not read: the report "only applies permissions policy logic"."""
    granted: dict[str, set[str]] = {}

    def grant(namespace: str, actions) -> None:
        granted.setdefault(namespace, set()).update(actions)

    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                excluded = []
                for pattern in _patterns(statement["NotAction"]):
                    namespace, _, action = pattern.partition(":")
                    excluded.append((_matcher(namespace), _matcher(action or "*")))
                for namespace in SERVICE_NAMES:
                    if any(n.fullmatch(namespace) and a.pattern == ".*" for n, a in excluded):
                        continue  # NotAction `ns:*`: nothing of the service is granted
                    grant(namespace, (
                        tracked for tracked in TRACKED_ACTIONS.get(namespace, ())
                        if not any(n.fullmatch(namespace) and a.fullmatch(tracked)
                                   for n, a in excluded)
                    ))  # fmt: skip
                continue
            for pattern in _patterns(statement.get("Action")):
                if pattern == "*":
                    pattern = "*:*"
                namespace_pattern, colon, action_pattern = pattern.partition(":")
                if not colon or not namespace_pattern or not action_pattern:
                    continue  # not an action; moto's validator lets few of these through
                namespace_match = _matcher(namespace_pattern)
                namespaces = [n for n in SERVICE_NAMES if namespace_match.fullmatch(n)]
                if not namespaces and not re.search(r"[*?]", namespace_pattern):
                    namespaces = [namespace_pattern.lower()]
                action_match = _matcher(action_pattern)
                for namespace in namespaces:
                    grant(namespace, (
                        a for a in TRACKED_ACTIONS.get(namespace, ()) if action_match.fullmatch(a)
                    ))  # fmt: skip
    return {namespace: frozenset(actions) for namespace, actions in granted.items()}


def _default_document(policy) -> str:
    for version in policy.versions:
        if version.is_default:
            return version.document
    return ""


def _documents_of(backend, kind: str, name: str, arn: str) -> list[object] | None:
    """The identity policy documents of the entity `arn` (None if it does not exist): inline
    and attached managed ones; for a user also its groups'; for a managed policy its default
    version."""

    def own(entity) -> list[object]:
        return [*entity.policies.values(),
                *(_default_document(p) for p in entity.managed_policies.values())]  # fmt: skip

    if kind == "role":
        role = next((r for r in backend.roles.values() if r.arn == arn), None)
        return None if role is None else own(role)
    if kind == "user":
        user = backend.users.get(name)
        if user is None or user.arn != arn:
            return None
        groups = [g for g in backend.groups.values() if user in g.users]
        return [*own(user), *(d for g in groups for d in own(g))]
    if kind == "group":
        group = backend.groups.get(name)
        return None if group is None or group.arn != arn else own(group)
    policy = backend.managed_policies.get(arn)
    return None if policy is None else [_default_document(policy)]


# ---- use data, jobs and records -------------------------------------------------------------


@dataclass(frozen=True)
class ServiceUse:
    """When a principal last used one service (None: never in the tracking period), where, and
    when it last used each tracked action (absent or None: never)."""

    last_authenticated: datetime | None
    region: str
    actions: dict[str, datetime | None]


@dataclass
class _Job:
    account_id: str
    arn: str
    granularity: str
    created: datetime
    services: list[dict]  # ServicesLastAccessed, snapshot at generation
    error: dict[str, str] | None
    polls_in_progress: int
    ready_at: float  # time.time() before which the job is IN_PROGRESS
    completed: datetime | None = None


@dataclass(frozen=True)
class AccessAdvisorCalls:
    """Calls for one ARN: Generate calls that made a job for it, Get calls of its jobs (any
    page, any state; not those refused before reaching the fake, e.g. throttled)."""

    generate: int = 0
    get: int = 0


@dataclass(frozen=True)
class AccessAdvisorStats:
    """Per operation, the calls of one account past the rate limit (answered by the fake,
    success or error) and the calls it refused with Throttling."""

    answered: dict[str, int]
    throttled: dict[str, int]


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    refilled: float  # time.monotonic()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r}: give an aware datetime (UTC or with an offset)")
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def _encode_marker(job_id: str, offset: int) -> str:
    return base64.b64encode(f"{_MARKER_PREFIX}{job_id}:{offset}".encode()).decode()


def _decode_marker(marker: str, job_id: str) -> int:
    try:
        text = base64.b64decode(marker.encode(), validate=True).decode()
        prefix, marked_job, offset = text.rsplit(":", 2)
        if prefix + ":" != _MARKER_PREFIX or marked_job != job_id or int(offset) <= 0:
            raise ValueError(text)
        return int(offset)
    except ValueError as error:
        raise InvalidInputException(f"Invalid Marker: {marker!r}") from error


class AccessAdvisor:
    """The service last accessed API of every account moto serves (see fake_aws.py's module
    docstring). Thread-safe: moto's threaded server calls it from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        # ARN -> namespace -> use
        self._use: dict[str, dict[str, ServiceUse]] = {}
        # ARN -> (Code, Message) of the jobs that are to fail
        self._failing: dict[str, tuple[str, str]] = {}
        self._calls: dict[str, AccessAdvisorCalls] = {}
        self._answered: dict[tuple[str, str], int] = {}
        self._throttled: dict[tuple[str, str], int] = {}
        self._rate: tuple[float, float] | None = None
        self._buckets: dict[str, _Bucket] = {}
        # Knobs, read at each generation (polls, seconds) or page (page_limit).
        self.polls_in_progress = 1
        self.seconds_in_progress = 0.0
        self.page_limit: dict[str, int] = {}  # account -> most services a page holds

    # -- for the tests

    def set_service_access(
        self,
        arn: str,
        namespace: str,
        last_authenticated: datetime | None,
        region: str = "us-east-1",
        actions: dict[str, datetime | None] | None = None,
    ) -> None:
        use = ServiceUse(
            _utc(last_authenticated),
            region,
            {name: _utc(at) for name, at in (actions or {}).items()},
        )
        with self._lock:
            self._use.setdefault(arn, {})[namespace] = use

    def fail_jobs_for(
        self, arn: str, code: str = JOB_FAILURE_CODE, message: str = JOB_FAILURE_MESSAGE
    ) -> None:
        with self._lock:
            self._failing[arn] = (code, message)

    def stop_failing_jobs_for(self, arn: str) -> None:
        """Jobs generated for `arn` from now on complete again."""
        with self._lock:
            self._failing.pop(arn, None)

    def limit_rate(self, calls_per_second: float | None, burst: float = 1.0) -> None:
        if calls_per_second is not None and (calls_per_second <= 0 or burst < 1):
            raise ValueError(
                f"calls_per_second {calls_per_second!r} must be > 0 and burst {burst!r} >= 1"
            )
        with self._lock:
            self._rate = None if calls_per_second is None else (float(calls_per_second), burst)
            self._buckets.clear()

    def stats(self, account_id: str) -> AccessAdvisorStats:
        with self._lock:
            return AccessAdvisorStats(
                answered={op: self._answered.get((account_id, op), 0)
                          for op in ACCESS_ADVISOR_OPERATIONS},
                throttled={op: self._throttled.get((account_id, op), 0)
                           for op in ACCESS_ADVISOR_OPERATIONS},
            )  # fmt: skip

    def calls(self, arn: str) -> AccessAdvisorCalls:
        with self._lock:
            return self._calls.get(arn, AccessAdvisorCalls())

    def clear_records(self) -> None:
        """Forgets the counters and per-ARN calls (not the jobs, use data or knobs)."""
        with self._lock:
            self._calls.clear()
            self._answered.clear()
            self._throttled.clear()

    # -- for the fault injector: the token bucket

    def admit(self, operation: str, account_id: str) -> bool:
        """False if the account's bucket has no token for this call (answer Throttling)."""
        if operation not in ACCESS_ADVISOR_OPERATIONS:
            return True
        key = (account_id, operation)
        with self._lock:
            if self._rate is not None:
                rate, burst = self._rate
                now = time.monotonic()
                bucket = self._buckets.setdefault(account_id, _Bucket(rate, burst, burst, now))
                bucket.tokens = min(burst, bucket.tokens + (now - bucket.refilled) * rate)
                bucket.refilled = now
                if bucket.tokens < 1:
                    self._throttled[key] = self._throttled.get(key, 0) + 1
                    return False
                bucket.tokens -= 1
            self._answered[key] = self._answered.get(key, 0) + 1
            return True

    # -- the operations

    def generate(self, account_id: str, arn: str | None, granularity: str | None) -> dict:
        granularity = granularity or SERVICE_LEVEL
        if granularity not in (SERVICE_LEVEL, ACTION_LEVEL):
            allowed = f"[{SERVICE_LEVEL}, {ACTION_LEVEL}]"
            constraint = f"Member must satisfy enum value set: {allowed}"
            raise _invalid(granularity, "granularity", constraint)
        parsed = _ARN.fullmatch(arn or "")
        if parsed is None:
            raise InvalidInputException(f"ARN {arn} is not valid.")
        _, kind, _, name = parsed.groups()
        # The caller's account only: its entities' ARNs name it (AWS managed policies `aws`).
        documents = _documents_of(iam_backends[account_id]["global"], kind, name, arn)
        if documents is None:
            raise NotFoundException(f"The {kind} with name {name} cannot be found.")
        granted = granted_services(documents)
        now = _utc_now()
        with self._lock:
            use = dict(self._use.get(arn, {}))
            failure = self._failing.get(arn)
            self._count(arn, generate=1)
            services = [] if failure else [
                _service_entry(arn, namespace, granted[namespace], use.get(namespace), granularity)
                for namespace in sorted(granted)
            ]  # fmt: skip
            job_id = str(uuid.uuid4())
            self._jobs[job_id] = _Job(
                account_id=account_id,
                arn=arn,
                granularity=granularity,
                created=now,
                services=services,
                error=None if failure is None else {"Code": failure[0], "Message": failure[1]},
                polls_in_progress=self.polls_in_progress,
                ready_at=time.time() + self.seconds_in_progress,
            )
        return {"JobId": job_id}

    def get(
        self, account_id: str, job_id: str | None, max_items: str | None, marker: str | None
    ) -> dict:
        job_id = job_id or ""
        if len(job_id) != JOB_ID_LENGTH:
            relation = "greater" if len(job_id) < JOB_ID_LENGTH else "less"
            constraint = f"Member must have length {relation} than or equal to {JOB_ID_LENGTH}"
            raise _invalid(job_id, "jobId", constraint)
        try:
            requested = ACCESS_DEFAULT_MAX_ITEMS if max_items is None else int(max_items)
        except ValueError:
            raise _invalid(max_items, "maxItems", "Member must be an integer") from None
        if requested < 1:
            constraint = "Member must have value greater than or equal to 1"
            raise _invalid(requested, "maxItems", constraint)
        if requested > ACCESS_MAX_MAX_ITEMS:
            constraint = f"Member must have value less than or equal to {ACCESS_MAX_MAX_ITEMS}"
            raise _invalid(requested, "maxItems", constraint)
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.account_id != account_id:
                raise NotFoundException(f"The job with id {job_id} cannot be found.")
            self._count(job.arn, get=1)
            response: dict = {
                "JobType": job.granularity,
                "JobCreationDate": job.created,
                "IsTruncated": False,
                "ServicesLastAccessed": [],
            }
            if job.completed is None:
                if job.polls_in_progress > 0 or time.time() < job.ready_at:
                    job.polls_in_progress -= 1
                    return {"JobStatus": IN_PROGRESS, **response}
                job.completed = max(job.created, _utc_now())
            response["JobCompletionDate"] = job.completed
            if job.error is not None:
                return {"JobStatus": FAILED, **response, "Error": dict(job.error)}
            offset = _decode_marker(marker, job_id) if marker else 0
            size = min(requested, self.page_limit.get(account_id, requested))
            page = job.services[offset : offset + size]
            truncated = offset + size < len(job.services)
        response["ServicesLastAccessed"] = [_copy_entry(entry) for entry in page]
        response["IsTruncated"] = truncated
        if truncated:
            response["Marker"] = _encode_marker(job_id, offset + size)
        return {"JobStatus": COMPLETED, **response}

    def _count(self, arn: str, generate: int = 0, get: int = 0) -> None:
        calls = self._calls.get(arn, AccessAdvisorCalls())
        self._calls[arn] = AccessAdvisorCalls(calls.generate + generate, calls.get + get)


def _service_entry(
    arn: str, namespace: str, tracked: frozenset[str], use: ServiceUse | None, granularity: str
) -> dict:
    """One ServicesLastAccessed member, as IAM writes it: absent fields for what never was."""
    entry: dict = {
        "ServiceName": SERVICE_NAMES.get(namespace, namespace),
        "ServiceNamespace": namespace,
        "TotalAuthenticatedEntities": 0,
    }
    if use is not None and use.last_authenticated is not None:
        entry["LastAuthenticated"] = use.last_authenticated
        entry["LastAuthenticatedEntity"] = arn
        entry["LastAuthenticatedRegion"] = use.region
        entry["TotalAuthenticatedEntities"] = 1
    if granularity == ACTION_LEVEL and tracked:
        actions = []
        for name in sorted(tracked):
            action: dict = {"ActionName": name}
            at = use.actions.get(name) if use is not None else None
            if at is not None:
                action["LastAccessedEntity"] = arn
                action["LastAccessedTime"] = at
                action["LastAccessedRegion"] = use.region
            actions.append(action)
        entry["TrackedActionsLastAccessed"] = actions
    return entry


def _copy_entry(entry: dict) -> dict:
    copied = dict(entry)
    actions = copied.get("TrackedActionsLastAccessed")
    if actions is not None:
        copied["TrackedActionsLastAccessed"] = [dict(a) for a in actions]
    return copied
