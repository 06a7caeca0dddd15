#!/usr/bin/env python3
"""A fast replay server for the benchmark: IAM and AWS Config on 127.0.0.1, standard library only.

The end-to-end suite's fixture (moto, tests/e2e/fake_aws.py) is faithful but slow: it builds
every response per request. The benchmark measures the client, so this server answers from
pages rendered once per account size, and its own cost stays out of the figures.

What it serves (the SDK sends everything to AWS_ENDPOINT_URL; requests are told apart by the
X-Amz-Target header, awsJson1.1, or the Action form field, awsquery):

* IAM GetAccountAuthorizationDetails (awsquery, XML): the real response shape, with paging as
  IAM does it (MaxItems 1..1000, default 100; IsTruncated; an opaque Marker to pass back). Each
  RoleDetailList member has Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument,
  InstanceProfileList, RolePolicyList (1 to 3 inline policies of 1 to 5 KB each, at most
  10 240 characters per role as IAM allows, URL-encoded as IAM returns them),
  AttachedManagedPolicies, PermissionsBoundary (some), Tags and RoleLastUsed.
* Config PutEvaluations (awsJson1.1): counts the evaluations, answers {"FailedEvaluations":[]}.
* Config GetComplianceDetailsByConfigRule (awsJson1.1): by default the rule holds no results
  ({"EvaluationResults":[]}); with recorded=all it holds a COMPLIANT/NON_COMPLIANT result for
  every role plus `stale` results for RoleIds that are no longer roles, paged by Limit
  (at most 100, as Config) and NextToken, as an account looks after its first evaluation.

With recorded=stored (the monthly-bill simulation, bench/bill.py) the account and Config behave
as over weeks of daily runs instead:

* The account (BillAccount) is N roles that change by simulated day, seeded: from day 2, each
  day a share of them becomes unused past the 60-day threshold or is used again, some are
  created and some deleted; roles in use are used every 1 to 30 days. Its pages are rendered
  again when the day changes (POST /__bench/day), either at the simulated times (the function's
  clock is then moved to the day) or moved back by the days gone by (clock "shift").
* Config stores what it is sent (ConfigStore): PutEvaluations without TestMode keeps
  (ResourceType, ResourceId) -> ComplianceType, Annotation, ResultRecordedTime for the rule the
  ResultToken names (result_token(rule)), the latest call winning, one store per rule;
  GetComplianceDetailsByConfigRule serves a rule's results filtered by ComplianceTypes
  (COMPLIANT and NON_COMPLIANT when none are given: NOT_APPLICABLE results only when asked),
  Limit (at most 100) and NextToken, with Annotation and ResultRecordedTime. An unknown token or
  rule is refused as Config refuses it.

With kind "users" the account is N IAM users instead (USER_KINDS: about 45 % with a console
password, 70 % with one or two access keys, some inactive; allowlisted, exempt by tag, never
used, new, unused past 45 days, used recently), served as:

* IAM GenerateCredentialReport: COMPLETE at once (report "complete": a report exists), or
  STARTED on the first call and COMPLETE after (report "started"); GetCredentialReport answers
  ReportNotPresent (410) before a generation and ReportInProgress (404) while it runs, then the
  base64 CSV in IAM's 22 columns (the <root_account> row first; true/false, N/A,
  no_information, not_supported, ISO 8601 with +00:00) and GeneratedTime, 20 minutes old.
* IAM GetAccountAuthorizationDetails Filter=User (with Group and LocalManagedPolicy, none of
  which the account holds): UserDetailList pages as for roles (Path,
  UserName, UserId, Arn, CreateDate, inline policies for some, groups, managed policies, Tags).
* The per-user pattern's IAM ListUsers (paged, PasswordLastUsed), ListAccessKeys (UserName) and
  GetAccessKeyLastUsed (AccessKeyId; never used: no LastUsedDate, Region and ServiceName N/A).
* The recorded results (recorded=all) are then the users' UserIds, as AWS::IAM::User.

The account is deterministic (seeded) and relative to the server's start time. With the rule
parameters of events/scheduled.json it covers every rule of the README: service-linked,
allowlisted (/service-role/*, /security-*, /breakglass-role), exempt by tag `keep`, younger
than 60 days, no use recorded, unused for more than 60 days, used recently.

Every request waits `latency_ms` before it is answered (the injected per-request latency L).
The server counts, per operation: requests, bytes received and sent (headers included),
evaluations received, the most PutEvaluations in flight at once, the first and last moment of
each operation (time.monotonic(), CLOCK_MONOTONIC, comparable with other processes on the
machine) and the TCP connections opened.

Control (not counted, never delayed):
  POST /__bench/configure {"roles": N, "latency_ms": L, "recorded": "none"|"all", "stale": K,
                           "kind": "roles"|"users", "users": N, "report": "complete"|"started"}
       renders the account (cached per N) and resets the counters; answers with the sizes.
  GET  /__bench/stats     the counters, as JSON.
  POST /__bench/configure {"recorded": "stored", "roles": N, "latency_ms": L, "bill": {"rules":
                           [NAME, ...], "days": D, "change_percent": 1, "create_percent": 0.5,
                           "delete_percent": 0.5, "seed": S, "clock": "function"|"shift",
                           "drop": {"rule": NAME, "day": d}}}
       the changing account at day 1 and empty stores for the rules; "drop" is a fault for
       the benchmark's own test: on day d the first COMPLIANT or NON_COMPLIANT evaluation sent
       for that rule is silently not stored.
  POST /__bench/day {"day": d}   the account moved on to day d; resets the counters.
  POST /__bench/reset            resets the counters only.
  GET  /__bench/stored?rule=NAME what Config holds for the rule, and what "drop" dropped.

Run standalone: python3 bench/fake_aws.py [--port 0] [--roles N] [--latency-ms L]
                [--kind users --users N --report complete|started]
It prints one line `READY http://127.0.0.1:PORT` when it listens.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT_ID = "123456789012"
RULE_NAME = "iam-role-last-used"
SEED = 20260101
IAM_DEFAULT_MAX_ITEMS = 100
IAM_MAX_MAX_ITEMS = 1000
CONFIG_MAX_LIMIT = 100
# IAM: "The aggregate size of all inline policies embedded in a role cannot exceed 10,240
# characters."
ROLE_INLINE_POLICY_LIMIT = 10_240
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"

OP_IAM = "iam:GetAccountAuthorizationDetails"
OP_PUT = "config:PutEvaluations"
OP_READ = "config:GetComplianceDetailsByConfigRule"
OP_OTHER = "other"


# ---- the account ----------------------------------------------------------------------------

SERVICES = [
    ("s3", ["GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketLocation"]),
    ("dynamodb", ["GetItem", "PutItem", "Query", "Scan", "UpdateItem", "BatchWriteItem"]),
    ("sqs", ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"]),
    ("sns", ["Publish", "Subscribe", "ListTopics"]),
    ("kms", ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"]),
    ("logs", ["CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogStreams"]),
    ("secretsmanager", ["GetSecretValue", "DescribeSecret"]),
    ("ssm", ["GetParameter", "GetParameters", "GetParametersByPath"]),
    ("ec2", ["DescribeInstances", "DescribeSubnets", "CreateNetworkInterface", "DescribeVpcs"]),
    ("lambda", ["InvokeFunction", "GetFunction", "UpdateFunctionCode"]),
    ("kinesis", ["PutRecord", "PutRecords", "GetRecords", "GetShardIterator"]),
    ("states", ["StartExecution", "DescribeExecution", "SendTaskSuccess"]),
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
TEAMS = ["payments", "search", "platform", "data", "ml", "identity", "billing", "growth"]
MANAGED = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    "arn:aws:iam::123456789012:policy/team-baseline",
]
TRUST_SERVICES = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com",
                  "states.amazonaws.com", "glue.amazonaws.com"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _enc(document: str) -> str:
    """URL-encoding as IAM applies it to policy documents (RFC 3986; only A-Z a-z 0-9 -_.~ kept)."""
    return urllib.parse.quote(document, safe="")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _policy_document(rng: random.Random, target_chars: int, pretty: bool) -> str:
    """A policy document of about `target_chars` characters (never more)."""
    statements: list[dict] = []
    document = ""
    while True:
        service, actions = rng.choice(SERVICES)
        team = rng.choice(TEAMS)
        statement: dict = {
            "Sid": f"Allow{service.capitalize()}{len(statements)}",
            "Effect": "Allow",
            "Action": [f"{service}:{a}" for a in rng.sample(actions, rng.randint(1, len(actions)))],
            "Resource": [
                f"arn:aws:{service}:{rng.choice(REGIONS)}:{ACCOUNT_ID}:{team}-{rng.randrange(10**6):06d}/*"
                for _ in range(rng.randint(1, 4))
            ],
        }
        if rng.random() < 0.3:
            statement["Condition"] = {"StringEquals": {"aws:ResourceTag/team": team}}
        candidate = json.dumps(
            {"Version": "2012-10-17", "Statement": statements + [statement]},
            indent=4 if pretty else None,
            separators=None if pretty else (",", ":"),
        )
        if len(candidate) > target_chars:
            if document:
                return document
            return candidate[: max(target_chars, 64)]  # never hit: one statement < 1 KB
        statements.append(statement)
        document = candidate
        if len(document) >= target_chars - 120:
            return document


def _role_id(index: int) -> str:
    digest = hashlib.sha1(f"bench-role-{index}".encode()).digest()
    return "AROA" + base64.b32encode(digest).decode()[:17]


KINDS = [
    # (kind, weight) with the parameters of events/scheduled.json
    ("service-linked", 5),
    ("allowlisted-service-role", 10),
    ("allowlisted-security", 2),
    ("exempt-tag", 8),
    ("young", 10),
    ("never-used", 15),
    ("unused-too-long", 25),
    ("used-recently", 25),
]


# Where a role's fragment template takes its two times (bytes no XML or URL-encoding produces).
CREATE_SLOT = b"\x00CreateDate\x00"
LAST_USED_SLOT = b"\x00RoleLastUsed\x00"


def last_used_xml(last_used: datetime | None, region: str | None) -> bytes:
    if last_used is None:
        return b"<RoleLastUsed/>"
    return (f"<RoleLastUsed><LastUsedDate>{_iso(last_used)}</LastUsedDate>"
            f"<Region>{region}</Region></RoleLastUsed>").encode()


@dataclass
class RoleTemplate:
    """A role as generated: its kind, its times, and its RoleDetailList member with the two
    times left as slots (CREATE_SLOT, LAST_USED_SLOT), so that an account can render the same
    role at other times."""

    index: int
    kind: str
    role_id: str
    created: datetime
    last_used: datetime | None
    region: str | None  # where it was last used; None when never used
    parts: list[bytes]  # the member split at the slots
    slots: list[bytes]  # which slot follows parts[i]

    def render(self, created: datetime, last_used: datetime | None, region: str | None) -> bytes:
        values = {CREATE_SLOT: _iso(created).encode(), LAST_USED_SLOT: last_used_xml(last_used, region)}
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:]):
            out += [values[slot], part]
        return b"".join(out)


def _split_slots(template: bytes) -> tuple[list[bytes], list[bytes]]:
    parts, slots = [], []
    rest = template
    while True:
        found = [(rest.find(s), s) for s in (CREATE_SLOT, LAST_USED_SLOT) if rest.find(s) >= 0]
        if not found:
            parts.append(rest)
            return parts, slots
        at, slot = min(found)
        parts.append(rest[:at])
        slots.append(slot)
        rest = rest[at + len(slot):]


def make_role_fragments(count: int, now: datetime) -> tuple[list[bytes], list[str], dict]:
    """The RoleDetailList members of the first `count` roles, rendered, and their RoleIds."""
    templates, info = make_role_templates(count, now)
    fragments = [t.render(t.created, t.last_used, t.region) for t in templates]
    return fragments, [t.role_id for t in templates], info


def make_role_templates(count: int, now: datetime) -> tuple[list[RoleTemplate], dict]:
    """The first `count` roles of the seeded account, as of `now`."""
    rng = random.Random(SEED)
    kinds = [k for k, w in KINDS for _ in range(w)]
    templates: list[RoleTemplate] = []
    inline_chars = 0
    inline_count = 0
    for index in range(count):
        kind = rng.choice(kinds)
        team = rng.choice(TEAMS)
        path = "/"
        name = f"{team}-app-{index:05d}"
        if kind == "service-linked":
            service = rng.choice(["elasticloadbalancing", "rds", "ecs", "autoscaling", "support"])
            path = f"/aws-service-role/{service}.amazonaws.com/"
            name = f"AWSServiceRoleFor{service.capitalize()}{index:05d}"
        elif kind == "allowlisted-service-role":
            path = "/service-role/"
            name = f"{team}-service-{index:05d}"
        elif kind == "allowlisted-security":
            name = f"security-audit-{index:05d}"
        elif rng.random() < 0.3:
            path = f"/{team}/"
        role_id = _role_id(index)

        if kind == "young":
            created = now - timedelta(days=rng.randint(0, 59), hours=rng.randint(1, 20))
        else:
            created = now - timedelta(days=rng.randint(70, 2500), hours=rng.randint(1, 20))
        last_used: datetime | None
        if kind == "never-used":
            last_used = None
        elif kind == "unused-too-long":
            last_used = now - timedelta(days=rng.randint(61, 399), hours=rng.randint(1, 20))
        elif kind == "young":
            last_used = None if rng.random() < 0.5 else now - timedelta(days=rng.randint(0, 5))
        else:
            last_used = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(1, 20))
            if last_used < created:
                last_used = created

        trust = json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": rng.choice(TRUST_SERVICES)},
                "Action": "sts:AssumeRole",
            }],
        }, separators=(",", ":"))

        policies = []
        budget = ROLE_INLINE_POLICY_LIMIT
        for number in range(rng.choices([1, 2, 3], weights=[55, 30, 15])[0]):
            size = min(rng.randint(1024, 5120), budget)
            if size < 1024:
                break
            document = _policy_document(rng, size, pretty=rng.random() < 0.5)
            budget -= len(document)
            inline_chars += len(document)
            inline_count += 1
            policies.append(
                f"<member><PolicyName>{team}-inline-{number}</PolicyName>"
                f"<PolicyDocument>{_enc(document)}</PolicyDocument></member>"
            )

        attached = "".join(
            f"<member><PolicyName>{arn.rsplit('/', 1)[1]}</PolicyName><PolicyArn>{arn}</PolicyArn></member>"
            for arn in rng.sample(MANAGED, rng.randint(0, 3))
        )
        tags = [("team", team), ("env", rng.choice(["prod", "staging", "dev"]))]
        if rng.random() < 0.5:
            tags.append(("cost-center", f"cc-{rng.randrange(1000):03d}"))
        if kind == "exempt-tag":
            tags.append(("keep", rng.choice(["true", "breakglass", ""])))
        tags_xml = "".join(
            f"<member><Key>{_xml(k)}</Key><Value>{_xml(v)}</Value></member>" for k, v in tags
        )
        region = None if last_used is None else rng.choice(REGIONS)
        arn = f"arn:aws:iam::{ACCOUNT_ID}:role{path}{name}"
        create = CREATE_SLOT.decode()
        instance_profiles = "<InstanceProfileList/>"
        if rng.random() < 0.1:
            profile_id = "AIPA" + role_id[4:]
            instance_profiles = (
                "<InstanceProfileList><member>"
                f"<InstanceProfileId>{profile_id}</InstanceProfileId><Roles><member>"
                f"<Path>{path}</Path><RoleName>{name}</RoleName><RoleId>{role_id}</RoleId>"
                f"<Arn>{arn}</Arn><CreateDate>{create}</CreateDate>"
                f"<AssumeRolePolicyDocument>{_enc(trust)}</AssumeRolePolicyDocument>"
                f"</member></Roles><InstanceProfileName>{name}</InstanceProfileName>"
                f"<Path>{path}</Path><Arn>arn:aws:iam::{ACCOUNT_ID}:instance-profile{path}{name}</Arn>"
                f"<CreateDate>{create}</CreateDate></member></InstanceProfileList>"
            )
        boundary = ""
        if rng.random() < 0.05:
            boundary = (
                "<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType>"
                f"<PermissionsBoundaryArn>arn:aws:iam::{ACCOUNT_ID}:policy/boundary</PermissionsBoundaryArn>"
                "</PermissionsBoundary>"
            )
        parts, slots = _split_slots((
            "<member>"
            f"<Path>{path}</Path><RoleName>{name}</RoleName><RoleId>{role_id}</RoleId>"
            f"<Arn>{arn}</Arn><CreateDate>{create}</CreateDate>"
            f"<AssumeRolePolicyDocument>{_enc(trust)}</AssumeRolePolicyDocument>"
            f"{instance_profiles}"
            f"<RolePolicyList>{''.join(policies)}</RolePolicyList>"
            f"<AttachedManagedPolicies>{attached}</AttachedManagedPolicies>"
            f"{boundary}<Tags>{tags_xml}</Tags>{LAST_USED_SLOT.decode()}"
            "</member>"
        ).encode())
        templates.append(RoleTemplate(index, kind, role_id, created, last_used, region, parts, slots))
    info = {
        "inline_policies": inline_count,
        "inline_policy_chars_mean": round(inline_chars / max(inline_count, 1)),
    }
    return templates, info


def _marker(offset: int) -> str:
    # Real markers are long opaque strings; this one carries the offset.
    raw = f"bench-marker:{offset}:".encode() + hashlib.sha256(str(offset).encode()).digest() * 2
    return base64.b64encode(raw).decode()


def roles_page(fragments: list[bytes], total: int, offset: int, max_items: int,
               request_id: str) -> bytes:
    """A GetAccountAuthorizationDetails page of an account of the first `total` role
    `fragments`, from `offset`, at most `max_items`, with a Marker when more follow."""
    end = min(offset + max_items, total)
    truncated = end < total
    marker = f"<Marker>{_marker(end)}</Marker>" if truncated else ""
    return b"".join([
        f'<GetAccountAuthorizationDetailsResponse xmlns="{IAM_NS}">'
        "<GetAccountAuthorizationDetailsResult>"
        f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{marker}"
        "<UserDetailList/><GroupDetailList/><RoleDetailList>".encode(),
        *fragments[offset:end],
        "</RoleDetailList><Policies/></GetAccountAuthorizationDetailsResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetAccountAuthorizationDetailsResponse>".encode(),
    ])


def _marker_offset(marker: str) -> int | None:
    try:
        raw = base64.b64decode(marker.encode(), validate=True)
        prefix, offset, _ = raw.split(b":", 2)
        return int(offset) if prefix == b"bench-marker" else None
    except (ValueError, TypeError):
        return None


class Account:
    """The rendered account: role fragments for the largest N asked so far, pages per N."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.fragments: list[bytes] = []
        self.ids: list[str] = []
        self.info: dict = {}
        self.pages: dict[tuple[int, int, int], bytes] = {}
        self.recorded_pages: dict[tuple, bytes] = {}
        self.lock = threading.Lock()
        self.users = UsersAccount(self.now)

    def ensure(self, count: int) -> None:
        with self.lock:
            if len(self.fragments) < count:
                self.fragments, self.ids, self.info = make_role_fragments(count, self.now)

    def iam_page(self, roles: int, offset: int, max_items: int) -> bytes:
        key = (roles, offset, max_items)
        page = self.pages.get(key)
        if page is None:
            request_id = hashlib.md5(repr(key).encode()).hexdigest()
            page = roles_page(self.fragments, roles, offset, max_items, request_id)
            with self.lock:
                self.pages[key] = page
        return page

    def recorded_page(self, kind: str, count: int, stale: int, offset: int, limit: int) -> bytes:
        key = (kind, count, stale, offset, limit)
        page = self.recorded_pages.get(key)
        if page is None:
            if kind == "users":
                resource_type = "AWS::IAM::User"
                ids = ([u["user_id"] for u in self.users.users[:count]]
                       + [_user_id(10_000_000 + i) for i in range(stale)])
            else:
                resource_type = "AWS::IAM::Role"
                ids = self.ids[:count] + [_role_id(10_000_000 + i) for i in range(stale)]
            end = min(offset + limit, len(ids))
            results = [
                {
                    "EvaluationResultIdentifier": {
                        "EvaluationResultQualifier": {
                            "ConfigRuleName": RULE_NAME,
                            "ResourceType": resource_type,
                            "ResourceId": rid,
                            "EvaluationMode": "DETECTIVE",
                        },
                        "OrderingTimestamp": 1767139200.0,
                        "ResourceEvaluationId": hashlib.md5(rid.encode()).hexdigest(),
                    },
                    "ComplianceType": "NON_COMPLIANT" if i % 3 == 0 else "COMPLIANT",
                    "ResultRecordedTime": 1767139260.123,
                    "ConfigRuleInvokedTime": 1767139201.456,
                    "Annotation": f"{kind[:-1]}-{i}: last used 3 days ago in us-east-1",
                }
                for i, rid in enumerate(ids[offset:end], start=offset)
            ]
            body: dict = {"EvaluationResults": results}
            if end < len(ids):
                body["NextToken"] = _marker(end)
            page = json.dumps(body, separators=(",", ":")).encode()
            with self.lock:
                self.recorded_pages[key] = page
        return page


# ---- the users account ------------------------------------------------------------------------

OP_GENERATE = "iam:GenerateCredentialReport"
OP_REPORT = "iam:GetCredentialReport"
OP_LIST_USERS = "iam:ListUsers"
OP_LIST_KEYS = "iam:ListAccessKeys"
OP_KEY_LAST_USED = "iam:GetAccessKeyLastUsed"
IAM_ACTIONS = {
    "GetAccountAuthorizationDetails": OP_IAM,
    "GenerateCredentialReport": OP_GENERATE,
    "GetCredentialReport": OP_REPORT,
    "ListUsers": OP_LIST_USERS,
    "ListAccessKeys": OP_LIST_KEYS,
    "GetAccessKeyLastUsed": OP_KEY_LAST_USED,
}
# IAM's own limits: ListUsers and GetAccountAuthorizationDetails page at most 1000 items (100 by
# default); a user holds at most two access keys.
REPORT_STATES = ("complete", "started")
# The credential report's columns, in the order IAM writes them (IAM User Guide, "Getting
# credential reports": "Understanding the report format").
REPORT_COLUMNS = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
# How old the report is when the function reads it (IAM serves one up to 4 hours old).
REPORT_AGE = timedelta(minutes=20)
KEY_SERVICES = ["s3", "ec2", "sts", "dynamodb", "lambda", "cloudformation", "iam", "sqs", "logs"]

USER_KINDS = [
    # (kind, weight), for the users rule with max_days_for_last_used 45, user_allowlist
    # "/breakglass/*" and exempt_tag_key "keep" (USERS_RULE_PARAMETERS).
    ("allowlisted", 3),
    ("exempt-tag", 4),
    ("no-credentials", 10),       # no password, no key, or only inactive keys
    ("password-used", 14),
    ("password-unused", 8),       # used long ago, or never used and set long ago
    ("password-new", 3),          # never used, set within the threshold
    ("key-used", 18),
    ("key-unused", 10),
    ("key-new", 3),               # never used, created within the threshold
    ("two-keys-used", 7),
    ("two-keys-one-unused", 6),   # rotation left the old key active
    ("password-and-key-used", 10),
    ("password-and-key-unused", 4),
]
USERS_MAX_DAYS = 45
USERS_RULE_PARAMETERS = {"max_days_for_last_used": str(USERS_MAX_DAYS),
                         "user_allowlist": "/breakglass/*", "exempt_tag_key": "keep"}


def _user_id(index: int) -> str:
    digest = hashlib.sha1(f"bench-user-{index}".encode()).digest()
    return "AIDA" + base64.b32encode(digest).decode()[:17]


def _access_key_id(index: int, slot: int) -> str:
    digest = hashlib.sha1(f"bench-key-{index}-{slot}".encode()).digest()
    return "AKIA" + base64.b32encode(digest).decode()[:16]


def _report_time(moment: datetime | None, absent: str = "N/A") -> str:
    # The report writes ISO 8601 with an offset: 2015-03-19T14:58:00+00:00.
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else absent


def make_users(count: int, now: datetime) -> list[dict]:
    """The first `count` users: names, ids, tags, and what each credential last did. Every
    time is before the report's generation time (now - REPORT_AGE), so both reads agree."""
    rng = random.Random(SEED + 1)
    kinds = [k for k, w in USER_KINDS for _ in range(w)]
    as_of = now - REPORT_AGE
    days = lambda lo, hi: timedelta(days=rng.randint(lo, hi), hours=rng.randint(1, 20))  # noqa: E731
    users = []
    for index in range(count):
        kind = rng.choice(kinds)
        team = rng.choice(TEAMS)
        path = f"/{team}/" if rng.random() < 0.3 else "/"
        name = f"{team}.user{index:05d}"
        if kind == "allowlisted":
            path, name = "/breakglass/", f"breakglass-{index:05d}"
        created = as_of - days(60, 2500)
        password = None
        keys: list[dict] = []

        def key(slot: int, used: str, active: bool = True) -> dict:
            if used == "new":
                key_created = as_of - days(0, USERS_MAX_DAYS - 2)
            else:
                key_created = created + (as_of - created) * rng.random() * 0.5
            last_used = None
            if used == "recent":
                at = as_of - days(0, USERS_MAX_DAYS - 2)
                last_used = (max(at, key_created), rng.choice(REGIONS), rng.choice(KEY_SERVICES))
            elif used == "old":
                at = as_of - days(USERS_MAX_DAYS + 1, 900)
                last_used = (max(at, key_created), rng.choice(REGIONS), rng.choice(KEY_SERVICES))
                if last_used[0] > as_of - timedelta(days=USERS_MAX_DAYS + 1):
                    last_used = None  # created too late to be used that long ago: never used
            return {"id": _access_key_id(index, slot), "slot": slot, "active": active,
                    "created": key_created, "last_used": last_used}

        def set_password(used: str) -> dict:
            if used == "new":
                changed = as_of - days(0, USERS_MAX_DAYS - 2)
                return {"changed": changed, "last_used": None}
            changed = created + (as_of - created) * rng.random() * 0.3
            if used == "recent":
                return {"changed": changed, "last_used": as_of - days(0, USERS_MAX_DAYS - 2)}
            if rng.random() < 0.4:
                return {"changed": changed, "last_used": None}  # never used: no_information
            return {"changed": changed,
                    "last_used": max(as_of - days(USERS_MAX_DAYS + 1, 900), changed)}

        if kind in ("allowlisted", "exempt-tag"):
            password = set_password(rng.choice(["recent", "old"]))
            keys = [key(1, "old")]
        elif kind == "no-credentials":
            if rng.random() < 0.4:
                keys = [key(1, rng.choice(["old", "never"]), active=False)]
        elif kind == "password-used":
            password = set_password("recent")
        elif kind == "password-unused":
            password = set_password("old")
        elif kind == "password-new":
            password = set_password("new")
        elif kind == "key-used":
            keys = [key(1, "recent")]
        elif kind == "key-unused":
            keys = [key(1, rng.choice(["old", "old", "never"]))]
        elif kind == "key-new":
            keys = [key(1, "new")]
        elif kind == "two-keys-used":
            keys = [key(1, "recent"), key(2, "recent")]
        elif kind == "two-keys-one-unused":
            keys = [key(1, "old"), key(2, "recent")]
            if rng.random() < 0.5:
                keys.reverse()
                keys[0]["slot"], keys[1]["slot"] = 1, 2
        elif kind == "password-and-key-used":
            password = set_password("recent")
            keys = [key(1, "recent")]
            if rng.random() < 0.2:
                keys.append(key(2, "old", active=False))
        elif kind == "password-and-key-unused":
            password = set_password("old")
            keys = [key(1, "old")]
        tags = [("team", team)]
        if rng.random() < 0.5:
            tags.append(("email", f"{name}@example.com"))
        if kind == "exempt-tag":
            tags.append(("keep", rng.choice(["true", "vendor integration", ""])))
        users.append({
            "index": index, "kind": kind, "name": name, "path": path,
            "user_id": _user_id(index), "arn": f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}",
            "created": created, "password": password, "keys": keys, "tags": tags,
            # A password removed after use still shows its last use (password_enabled false).
            "old_password_use": (as_of - days(100, 900)
                                 if password is None and rng.random() < 0.05 else None),
            "mfa": password is not None and rng.random() < 0.6,
        })
    return users


def user_detail_xml(user: dict, rng: random.Random) -> bytes:
    """A UserDetailList member of GetAccountAuthorizationDetails, as IAM renders it."""
    policies = ""
    if rng.random() < 0.2:
        document = _policy_document(rng, rng.randint(400, 2048), pretty=False)
        policies = (f"<member><PolicyName>{user['name']}-inline</PolicyName>"
                    f"<PolicyDocument>{_enc(document)}</PolicyDocument></member>")
    groups = "".join(f"<member>{g}</member>"
                     for g in rng.sample(["developers", "readonly", "ops", "billing"], rng.randint(0, 2)))
    attached = "".join(
        f"<member><PolicyName>{arn.rsplit('/', 1)[1]}</PolicyName><PolicyArn>{arn}</PolicyArn></member>"
        for arn in rng.sample(MANAGED, rng.randint(0, 2)))
    tags = "".join(f"<member><Key>{_xml(k)}</Key><Value>{_xml(v)}</Value></member>"
                   for k, v in user["tags"])
    return (
        "<member>"
        f"<Path>{user['path']}</Path><UserName>{user['name']}</UserName>"
        f"<UserId>{user['user_id']}</UserId><Arn>{user['arn']}</Arn>"
        f"<CreateDate>{_iso(user['created'])}</CreateDate>"
        f"<UserPolicyList>{policies}</UserPolicyList><GroupList>{groups}</GroupList>"
        f"<AttachedManagedPolicies>{attached}</AttachedManagedPolicies>"
        f"<Tags>{tags}</Tags>"
        "</member>"
    ).encode()


def report_row(user: dict) -> str:
    """The user's line of the credential report, with the value forms IAM writes."""
    password = user["password"]
    if password is None:
        fields = ["false", _report_time(user["old_password_use"]), "N/A", "N/A"]
    else:
        fields = ["true", _report_time(password["last_used"], "no_information"),
                  _report_time(password["changed"]), "N/A"]
    row = [user["name"], user["arn"], _report_time(user["created"]), *fields,
           "true" if user["mfa"] else "false"]
    slots = {k["slot"]: k for k in user["keys"]}
    for slot in (1, 2):
        k = slots.get(slot)
        if k is None:
            row += ["false", "N/A", "N/A", "N/A", "N/A"]
            continue
        used = k["last_used"]
        row += ["true" if k["active"] else "false", _report_time(k["created"]),
                _report_time(used[0] if used else None),
                used[1] if used else "N/A", used[2] if used else "N/A"]
    row += ["false", "N/A", "false", "N/A"]
    return ",".join(row)


def credential_report(users: list[dict], generated: datetime) -> bytes:
    root = (f"<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,{_report_time(generated - timedelta(days=3000))},"
            f"not_supported,{_report_time(generated - timedelta(days=2))},not_supported,not_supported,"
            "true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
    return "\n".join([REPORT_COLUMNS, root, *(report_row(u) for u in users)]).encode()


class UsersAccount:
    """The rendered users account: every response the users rule or the per-user pattern asks
    for, rendered once for the largest N asked so far (smaller accounts are its prefix)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.generated = now - REPORT_AGE
        self.users: list[dict] = []
        self.details: list[bytes] = []
        self.by_name: dict[str, dict] = {}
        self.by_key: dict[str, tuple[dict, dict]] = {}
        self.pages: dict[tuple, bytes] = {}
        self.lock = threading.Lock()

    def ensure(self, count: int) -> None:
        with self.lock:
            if len(self.users) >= count:
                return
            self.users = make_users(count, self.now)
            rng = random.Random(SEED + 2)
            self.details = [user_detail_xml(u, rng) for u in self.users]
            self.by_name = {u["name"]: u for u in self.users}
            self.by_key = {k["id"]: (u, k) for u in self.users for k in u["keys"]}
            self.pages = {}

    def info(self, count: int) -> dict:
        users = self.users[:count]
        keys = [k for u in users for k in u["keys"]]
        return {
            "users_with_password": sum(u["password"] is not None for u in users),
            "users_with_keys": sum(bool(u["keys"]) for u in users),
            "access_keys": len(keys),
            "active_access_keys": sum(k["active"] for k in keys),
            "report_generated": _iso(self.generated),
            "report_bytes": len(self.report(count)),
        }

    def _cached(self, key: tuple, render) -> bytes:
        page = self.pages.get(key)
        if page is None:
            page = render()
            with self.lock:
                self.pages[key] = page
        return page

    def report(self, count: int) -> bytes:
        return self._cached(("report", count),
                            lambda: credential_report(self.users[:count], self.generated))

    def details_page(self, count: int, offset: int, max_items: int) -> bytes:
        def render() -> bytes:
            end = min(offset + max_items, count)
            truncated = end < count
            marker = f"<Marker>{_marker(end)}</Marker>" if truncated else ""
            return b"".join([
                f'<GetAccountAuthorizationDetailsResponse xmlns="{IAM_NS}">'
                "<GetAccountAuthorizationDetailsResult>"
                f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{marker}"
                "<UserDetailList>".encode(),
                *self.details[offset:end],
                "</UserDetailList><GroupDetailList/><RoleDetailList/><Policies/>"
                "</GetAccountAuthorizationDetailsResult>"
                f"<ResponseMetadata><RequestId>{_request_id(('users', count, offset, max_items))}"
                "</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>".encode(),
            ])
        return self._cached(("details", count, offset, max_items), render)

    def list_users_page(self, count: int, offset: int, max_items: int) -> bytes:
        def render() -> bytes:
            end = min(offset + max_items, count)
            truncated = end < count
            members = []
            for u in self.users[offset:end]:
                used = (u["password"] or {}).get("last_used") or u["old_password_use"]
                members.append(
                    f"<member><Path>{u['path']}</Path><UserName>{u['name']}</UserName>"
                    f"<UserId>{u['user_id']}</UserId><Arn>{u['arn']}</Arn>"
                    f"<CreateDate>{_iso(u['created'])}</CreateDate>"
                    + (f"<PasswordLastUsed>{_iso(used)}</PasswordLastUsed>" if used else "")
                    + "</member>")
            marker = f"<Marker>{_marker(end)}</Marker>" if truncated else ""
            return (f'<ListUsersResponse xmlns="{IAM_NS}"><ListUsersResult>'
                    f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>{marker}"
                    f"<Users>{''.join(members)}</Users></ListUsersResult>"
                    f"<ResponseMetadata><RequestId>{_request_id(('list', count, offset))}</RequestId>"
                    "</ResponseMetadata></ListUsersResponse>").encode()
        return self._cached(("list", count, offset, max_items), render)

    def access_keys(self, user: dict) -> bytes:
        members = "".join(
            f"<member><UserName>{user['name']}</UserName><AccessKeyId>{k['id']}</AccessKeyId>"
            f"<Status>{'Active' if k['active'] else 'Inactive'}</Status>"
            f"<CreateDate>{_iso(k['created'])}</CreateDate></member>"
            for k in sorted(user["keys"], key=lambda k: k["slot"]))
        return (f'<ListAccessKeysResponse xmlns="{IAM_NS}"><ListAccessKeysResult>'
                f"<UserName>{user['name']}</UserName><AccessKeyMetadata>{members}</AccessKeyMetadata>"
                "<IsTruncated>false</IsTruncated></ListAccessKeysResult>"
                f"<ResponseMetadata><RequestId>{_request_id(('keys', user['name']))}</RequestId>"
                "</ResponseMetadata></ListAccessKeysResponse>").encode()

    @staticmethod
    def key_last_used(user: dict, key: dict) -> bytes:
        used = key["last_used"]
        # Never used: no LastUsedDate, Region and ServiceName "N/A" (IAM API reference,
        # AccessKeyLastUsed).
        inner = (f"<LastUsedDate>{_iso(used[0])}</LastUsedDate><Region>{used[1]}</Region>"
                 f"<ServiceName>{used[2]}</ServiceName>" if used
                 else "<Region>N/A</Region><ServiceName>N/A</ServiceName>")
        return (f'<GetAccessKeyLastUsedResponse xmlns="{IAM_NS}"><GetAccessKeyLastUsedResult>'
                f"<UserName>{user['name']}</UserName><AccessKeyLastUsed>{inner}</AccessKeyLastUsed>"
                "</GetAccessKeyLastUsedResult>"
                f"<ResponseMetadata><RequestId>{_request_id(('last', key['id']))}</RequestId>"
                "</ResponseMetadata></GetAccessKeyLastUsedResponse>").encode()


def _request_id(key: tuple) -> str:
    return hashlib.md5(repr(key).encode()).hexdigest()


# ---- the 30-day simulation: an account that changes by day, a Config that keeps results ------

# events/scheduled.json's max_days_for_last_used: the threshold the simulated changes cross.
BILL_THRESHOLD_DAYS = 60
# Days between two uses of a role in use (a role used weekly is used on every 7th day).
USE_PERIODS = [1, 1, 1, 2, 3, 7, 14, 30]
# Roles whose verdict follows their use: not service-linked, allowlisted or exempt by tag.
EVALUATED_KINDS = ("young", "never-used", "unused-too-long", "used-recently")
COMPLIANCE_STORED = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
TOKEN_PREFIX = "bench-rule:"


def result_token(rule: str) -> str:
    """The ResultToken of an event of `rule` (opaque to the function; the fake reads the rule
    back from it, as Config does from its own tokens)."""
    return base64.b64encode(f"{TOKEN_PREFIX}{rule}".encode()).decode()


def rule_of_token(token: str) -> str | None:
    try:
        text = base64.b64decode(token.encode(), validate=True).decode()
    except ValueError:
        return None
    return text[len(TOKEN_PREFIX):] if text.startswith(TOKEN_PREFIX) else None


def _whole_days(delta: timedelta) -> int:
    return delta // timedelta(days=1)


@dataclass
class SimRole:
    template: RoleTemplate
    created: datetime  # simulated time
    last_used: datetime | None  # while not in use: fixed; in use: set each day from period
    region: str | None
    period: int | None  # days between uses while in use; None: not in use
    phase: int
    hours: int  # its use of the day comes this many hours before the day's moment (1..20)
    crosses_on: int | None = None  # the day its last use passes the threshold (scheduled)
    present: bool = True

    def verdict_basis(self, now: datetime) -> str:
        """What the rule's verdict rests on, for counting the account's changes (the function
        judges; this only classifies the simulated events)."""
        if self.template.kind not in EVALUATED_KINDS:
            return "fixed"
        if _whole_days(now - self.created) <= BILL_THRESHOLD_DAYS:
            return "young"
        if self.last_used is not None and _whole_days(now - self.last_used) <= BILL_THRESHOLD_DAYS:
            return "used"
        return "unused"


class BillAccount:
    """N roles that change by simulated day, deterministic (seeded): each day from day 2,
    `change_percent` % of N change between used and unused past the threshold (half of them
    newly unused, half used again), `create_percent` % are created and `delete_percent` %
    deleted. Roles in use are used every 1 to 30 days (USE_PERIODS), so none crosses the
    threshold by itself; the roles that become unused on day j are chosen at set-up and
    stopped being used so that their last use is 61 days old on day j; young roles (created
    within the threshold) age past it as time goes by, which the day's events count as
    `aged_past_threshold`.

    Simulated day d is the moment `start` + (d - 1) days. With `shift` every IAM time is
    rendered relative to the real clock (moved back by the simulated days gone by: the
    function's real clock then sees the account a day older each day); without it the times
    are rendered as simulated and the function's clock must be moved to the day's moment."""

    def __init__(self, roles: int, days: int, change_percent: float, create_percent: float,
                 delete_percent: float, seed: int, shift: bool, start: datetime) -> None:
        self.roles, self.days, self.shift, self.start = roles, days, shift, start
        changes = round(roles * change_percent / 100)
        self.per_day = {
            "newly_unused": changes - changes // 2,
            "used_again": changes // 2,
            "created": round(roles * create_percent / 100),
            "deleted": round(roles * delete_percent / 100),
        }
        self.settings = {"days": days, "change_percent": change_percent,
                         "create_percent": create_percent, "delete_percent": delete_percent,
                         "seed": seed, "clock": "shift" if shift else "function"}
        self.templates, self.info = make_role_templates(
            roles + self.per_day["created"] * max(days - 1, 0), start)
        self.rng = random.Random(seed)
        self.roles_by_index: list[SimRole] = []
        for template in self.templates[:roles]:
            self.roles_by_index.append(self._initial(template))
        self.next_index = roles
        self.day = 1
        self._schedule_newly_unused()
        self._use(1)
        self.events: list[dict] = [self._events(1, {"newly_unused": 0, "used_again": 0,
                                                    "created": 0, "deleted": 0})]
        self.pages: dict[tuple[int, int], bytes] = {}
        self.fragments: list[bytes] = []
        self.render()

    def now(self, day: int) -> datetime:
        return self.start + timedelta(days=day - 1)

    def _initial(self, t: RoleTemplate) -> SimRole:
        role = SimRole(t, t.created, t.last_used, t.region, None, 0, self.rng.randint(1, 20))
        if t.kind in ("used-recently",) or (t.kind == "young" and t.last_used is not None):
            self._start_use(role, 1)
        return role

    def _start_use(self, role: SimRole, day: int) -> None:
        role.period = self.rng.choice(USE_PERIODS)
        role.phase = self.rng.randrange(role.period) if day == 1 else (-day) % role.period
        role.region = role.region or self.rng.choice(REGIONS)

    def _use(self, day: int) -> None:
        """Sets each role in use to its last use as of `day`."""
        now = self.now(day)
        for role in self.roles_by_index:
            if role.present and role.period is not None:
                ago = (day + role.phase) % role.period
                role.last_used = max(now - timedelta(days=ago, hours=role.hours), role.created)

    def _schedule_newly_unused(self) -> None:
        candidates = [r for r in self.roles_by_index
                      if r.template.kind == "used-recently" and r.period is not None]
        self.rng.shuffle(candidates)
        for day in range(2, self.days + 1):
            for _ in range(self.per_day["newly_unused"]):
                if not candidates:
                    return
                role = candidates.pop()
                role.crosses_on = day
                role.period = None
                role.last_used = self.now(day) - timedelta(days=BILL_THRESHOLD_DAYS + 1,
                                                           hours=role.hours)

    def advance(self, day: int) -> list[dict]:
        """Applies every day's events up to `day` (days only go forward) and renders the
        account as of `day`; returns the events of the days applied."""
        if day < self.day:
            raise ValueError(f"day {day} is before the account's day {self.day}")
        applied = []
        while self.day < day:
            self.day += 1
            applied.append(self._step(self.day))
        self.render()
        return applied

    def _step(self, day: int) -> dict:
        now = self.now(day)
        present = [r for r in self.roles_by_index if r.present]
        deletable = [r for r in present if r.crosses_on is None or r.crosses_on < day]
        deleted = self.rng.sample(deletable, min(self.per_day["deleted"], len(deletable)))
        for role in deleted:
            role.present = False
        unused = [r for r in present if r.present and r.period is None
                  and r.verdict_basis(now) == "unused"]
        again = self.rng.sample(unused, min(self.per_day["used_again"], len(unused)))
        for role in again:
            self._start_use(role, day)
        created = 0
        for _ in range(self.per_day["created"]):
            template = self.templates[self.next_index]
            self.next_index += 1
            hours = self.rng.randint(1, 20)
            role = SimRole(template, now - timedelta(hours=hours), None, None, None, 0, hours)
            if template.kind in EVALUATED_KINDS and self.rng.random() < 0.5:
                self._start_use(role, day)
            self.roles_by_index.append(role)
            created += 1
        self._use(day)
        return self._events(day, {"newly_unused": sum(r.crosses_on == day and r.present
                                                      for r in self.roles_by_index),
                                  "used_again": len(again), "created": created,
                                  "deleted": len(deleted)})

    def _events(self, day: int, counts: dict) -> dict:
        now, before = self.now(day), self.now(day - 1)
        aged = sum(r.present and r.template.kind in EVALUATED_KINDS
                   and _whole_days(before - r.created) <= BILL_THRESHOLD_DAYS
                   < _whole_days(now - r.created) for r in self.roles_by_index)
        return {"day": day, "roles": sum(r.present for r in self.roles_by_index), **counts,
                "aged_past_threshold": aged}

    def render(self) -> None:
        shift = (datetime.now(timezone.utc).replace(microsecond=0) - self.now(self.day)
                 if self.shift else timedelta(0))
        self.fragments = [
            r.template.render(r.created + shift,
                              None if r.last_used is None else r.last_used + shift, r.region)
            for r in self.roles_by_index if r.present]
        self.pages = {}

    @property
    def count(self) -> int:
        return len(self.fragments)

    def clock_offset_s(self) -> float:
        """What the function's clock must add to the real one to read the day's moment (0 when
        the times are shifted instead)."""
        if self.shift:
            return 0.0
        return (self.now(self.day) - datetime.now(timezone.utc)).total_seconds()

    def iam_page(self, offset: int, max_items: int) -> bytes:
        key = (offset, max_items)
        page = self.pages.get(key)
        if page is None:
            page = roles_page(self.fragments, self.count, offset, max_items,
                              _request_id(("bill", self.day, key)))
            self.pages[key] = page
        return page


class ConfigStore:
    """What AWS Config keeps of a custom rule's evaluations: PutEvaluations without TestMode
    stores one result per (ResourceType, ResourceId) for the rule its ResultToken stands for,
    the latest call winning; GetComplianceDetailsByConfigRule serves them back filtered by
    ComplianceTypes (COMPLIANT and NON_COMPLIANT when none are given: NOT_APPLICABLE results
    only when asked for), Limit (at most 100) and NextToken. Rules are independent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rules: dict[str, dict[tuple[str, str], dict]] = {}
        # A fault for the benchmark's own test: (rule, day) whose first COMPLIANT or
        # NON_COMPLIANT evaluation is silently not stored.
        self.drop: tuple[str, int] | None = None
        self.dropped: list[list[str]] = []

    def reset(self, rules: list[str], drop: tuple[str, int] | None) -> None:
        with self.lock:
            self.rules = {rule: {} for rule in rules}
            self.drop, self.dropped = drop, []

    def put(self, rule: str, evaluations: list[dict], day: int, recorded_at: float) -> None:
        with self.lock:
            results = self.rules[rule]
            for evaluation in evaluations:
                key = (evaluation["ComplianceResourceType"], evaluation["ComplianceResourceId"])
                if (self.drop == (rule, day)
                        and evaluation["ComplianceType"] in ("COMPLIANT", "NON_COMPLIANT")):
                    self.drop = None
                    self.dropped.append([rule, key[1]])
                    continue
                results[key] = {
                    "ResourceType": key[0], "ResourceId": key[1],
                    "ComplianceType": evaluation["ComplianceType"],
                    "Annotation": evaluation.get("Annotation"),
                    "OrderingTimestamp": evaluation.get("OrderingTimestamp"),
                    "ResultRecordedTime": recorded_at,
                }

    def query(self, rule: str, types: list[str], offset: int, limit: int) -> tuple[list[dict], bool]:
        with self.lock:
            matching = [r for r in self.rules[rule].values() if r["ComplianceType"] in types]
            return [dict(r) for r in matching[offset:offset + limit]], offset + limit < len(matching)

    def held(self, rule: str) -> dict:
        """The rule's results: ResourceId -> [ResourceType, ComplianceType, Annotation]."""
        with self.lock:
            return {rid: [rtype, r["ComplianceType"], r["Annotation"]]
                    for (rtype, rid), r in self.rules.get(rule, {}).items()}


def _next_token(rule: str, types: list[str], offset: int) -> str:
    return base64.b64encode(f"bench-next:{rule}:{','.join(types)}:{offset}".encode()).decode()


def _next_offset(token: str, rule: str, types: list[str]) -> int | None:
    try:
        text = base64.b64decode(token.encode(), validate=True).decode()
        prefix, token_rule, token_types, offset = text.rsplit(":", 3)
        if (prefix, token_rule, token_types) != ("bench-next", rule, ",".join(types)):
            return None
        return int(offset) if int(offset) > 0 else None
    except ValueError:
        return None


# ---- the counters ---------------------------------------------------------------------------

class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.ops: dict[str, dict] = {}
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.evaluations = 0
        # Evaluations received without TestMode, by the rule their ResultToken names
        # (recorded "stored" only).
        self.evaluations_by_rule: dict[str, int] = {}
        self.max_evaluations_per_call = 0
        self.connections = 0
        self.first_request = None
        self.last_response = None
        # One row per request: [op, request line read, body read, reply starts, reply written,
        # the client's port (one per connection)].
        self.log: list[list] = []

    def begin(self, op: str, now: float) -> None:
        with self.lock:
            entry = self.ops.setdefault(op, {
                "requests": 0, "bytes_in": 0, "bytes_out": 0, "first_start": now,
                "last_end": now, "errors": 0,
            })
            entry["requests"] += 1
            if self.first_request is None:
                self.first_request = now
            level = self.in_flight.get(op, 0) + 1
            self.in_flight[op] = level
            self.max_in_flight[op] = max(self.max_in_flight.get(op, 0), level)

    def replying(self, op: str) -> None:
        """The answer is about to be written: the request no longer counts as in flight (the
        client cannot send its next request before it has this answer)."""
        with self.lock:
            self.in_flight[op] -= 1

    def end(self, op: str, times: list[float], bytes_in: int, bytes_out: int,
            error: bool, port: int) -> None:
        """`times`: request line read, body read, reply starts, reply written."""
        with self.lock:
            entry = self.ops[op]
            entry["bytes_in"] += bytes_in
            entry["bytes_out"] += bytes_out
            entry["last_end"] = times[3]
            entry["errors"] += int(error)
            entry.setdefault("ports", set()).add(port)
            self.last_response = times[2]
            self.log.append([op, *times, port])

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "ops": {k: {**v, "ports": sorted(v.get("ports", ()))} for k, v in self.ops.items()},
                "max_in_flight": dict(self.max_in_flight),
                "evaluations": self.evaluations,
                "evaluations_by_rule": dict(self.evaluations_by_rule),
                "max_evaluations_per_call": self.max_evaluations_per_call,
                "connections": self.connections,
                "first_request": self.first_request,
                "last_response": self.last_response,
                "log": [list(row) for row in self.log],
            }


# ---- the server -----------------------------------------------------------------------------

class FakeAwsServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many connections may open at once (concurrent PutEvaluations)

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Handler)
        self.account = Account()
        self.stats = Stats()
        self.bill: BillAccount | None = None
        self.store = ConfigStore()
        self.settings = {"kind": "roles", "roles": 0, "users": 0, "latency_ms": 0.0,
                         "recorded": "none", "stale": 0, "report": "complete"}
        # GenerateCredentialReport calls since the last configure (the report's state follows).
        self.generate_calls = 0

    def configure(self, roles: int, latency_ms: float, recorded: str, stale: int,
                  kind: str = "roles", users: int = 0, report: str = "complete",
                  bill: dict | None = None) -> dict:
        if recorded not in ("none", "all", "stored"):
            raise ValueError(f"recorded must be none, all or stored, not {recorded!r}")
        if recorded == "stored":
            return self.configure_bill(roles, latency_ms, bill or {})
        if kind not in ("roles", "users"):
            raise ValueError(f"kind must be roles or users, not {kind!r}")
        if report not in REPORT_STATES:
            raise ValueError(f"report must be one of {', '.join(REPORT_STATES)}, not {report!r}")
        started = time.monotonic()
        count = users if kind == "users" else roles
        if kind == "users":
            self.account.users.ensure(users)
            pages = [self.account.users.details_page(users, o, IAM_MAX_MAX_ITEMS)
                     for o in range(0, users, IAM_MAX_MAX_ITEMS)]
            self.account.users.report(users)
            for offset in range(0, users, IAM_DEFAULT_MAX_ITEMS):  # the per-user pattern's pages
                self.account.users.list_users_page(users, offset, IAM_DEFAULT_MAX_ITEMS)
            info = self.account.users.info(users)
        else:
            self.account.ensure(roles)
            pages = [self.account.iam_page(roles, o, IAM_MAX_MAX_ITEMS)  # what the function asks for
                     for o in range(0, roles, IAM_MAX_MAX_ITEMS)]
            info = self.account.info
        if recorded == "all":
            for offset in range(0, count + stale, CONFIG_MAX_LIMIT):
                self.account.recorded_page(kind, count, stale, offset, CONFIG_MAX_LIMIT)
        self.settings = {"kind": kind, "roles": roles, "users": users, "latency_ms": latency_ms,
                         "recorded": recorded, "stale": stale, "report": report}
        self.generate_calls = 0
        self.stats.reset()
        return {
            **self.settings,
            "iam_bytes_at_max_items": sum(len(page) for page in pages),
            "render_seconds": round(time.monotonic() - started, 3),
            **info,
        }

    def configure_bill(self, roles: int, latency_ms: float, bill: dict) -> dict:
        """An account that changes by day (BillAccount) at day 1, and a Config that stores what
        it is sent, for the rules `bill["rules"]`, all empty."""
        started = time.monotonic()
        rules = [str(r) for r in bill.get("rules", [RULE_NAME])]
        drop = bill.get("drop")
        self.bill = BillAccount(
            roles, int(bill.get("days", 30)), float(bill.get("change_percent", 1.0)),
            float(bill.get("create_percent", 0.5)), float(bill.get("delete_percent", 0.5)),
            int(bill.get("seed", SEED)), str(bill.get("clock", "shift")) == "shift",
            datetime.now(timezone.utc).replace(microsecond=0))
        self.store.reset(rules, (str(drop["rule"]), int(drop["day"])) if drop else None)
        self.settings = {"kind": "roles", "roles": roles, "users": 0, "latency_ms": latency_ms,
                         "recorded": "stored", "stale": 0, "report": "complete"}
        self.stats.reset()
        return {**self.settings, **self.bill.settings, "rules": rules, "per_day": self.bill.per_day,
                "render_seconds": round(time.monotonic() - started, 3), **self.bill.info,
                **self.day_info([])}

    def day_info(self, events: list[dict]) -> dict:
        bill = self.bill
        return {"day": bill.day, "roles_present": bill.count, "events": events,
                "day_events": bill.events[-1] if not events else events[-1],
                "clock_offset_s": bill.clock_offset_s(),
                "day_moment": _iso(bill.now(bill.day))}

    def advance_day(self, day: int) -> dict:
        if self.bill is None:
            raise ValueError("no simulated account: configure recorded=stored first")
        events = self.bill.advance(day)
        self.bill.events += events
        self.stats.reset()
        return self.day_info(events)

    @property
    def principals(self) -> int:
        if self.settings["recorded"] == "stored" and self.bill is not None:
            return self.bill.count
        return self.settings[self.settings["kind"]]

    def handle_error(self, request, client_address) -> None:
        # A client killed mid-connection (every run ends with a SIGKILL) is not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def get_request(self):
        sock, address = super().get_request()
        with self.stats.lock:
            self.stats.connections += 1
        return sock, address


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeAwsServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    # -- plumbing

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, content_type: str, body: bytes, extra: dict | None = None) -> int:
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
                "x-amzn-RequestId: 5f1c9c3e-0000-4000-8000-000000000000",
                f"Date: {self.date_time_string()}"]
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        header = ("\r\n".join(head) + "\r\n\r\n").encode()
        if len(body) < 65536:
            self.wfile.write(header + body)
        else:
            self.wfile.write(header)
            self.wfile.write(body)
        return len(header) + len(body)

    def _request_bytes(self, body: bytes) -> int:
        return len(self.requestline) + 2 + len(self.headers.as_bytes()) + len(body)

    # -- dispatch

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/__bench/stats":
            self._send(200, "application/json",
                       json.dumps(self.server.stats.snapshot()).encode())
        elif path == "/__bench/stored":
            rule = urllib.parse.parse_qs(query).get("rule", [""])[0]
            self._send(200, "application/json", json.dumps({
                "held": self.server.store.held(rule), "dropped": self.server.store.dropped}).encode())
        else:
            self._send(404, "text/plain", b"not found\n")

    def parse_request(self) -> bool:
        self.line_read_at = time.monotonic()
        return super().parse_request()

    def do_POST(self) -> None:
        body = self._body()
        body_read_at = time.monotonic()
        if self.path == "/__bench/configure":
            try:
                args = json.loads(body or b"{}")
                result = self.server.configure(
                    int(args.get("roles", 1000)), float(args.get("latency_ms", 0)),
                    str(args.get("recorded", "none")), int(args.get("stale", 0)),
                    str(args.get("kind", "roles")), int(args.get("users", 0)),
                    str(args.get("report", "complete")), args.get("bill"))
                self._send(200, "application/json", json.dumps(result).encode())
            except (ValueError, TypeError, KeyError) as error:
                self._send(400, "text/plain", f"{error}\n".encode())
            return
        if self.path in ("/__bench/day", "/__bench/reset"):
            try:
                if self.path == "/__bench/day":
                    result = self.server.advance_day(int(json.loads(body or b"{}")["day"]))
                else:
                    self.server.stats.reset()
                    result = {}
                self._send(200, "application/json", json.dumps(result).encode())
            except (ValueError, TypeError, KeyError) as error:
                self._send(400, "text/plain", f"{error}\n".encode())
            return

        target = self.headers.get("X-Amz-Target", "")
        form: dict[str, list[str]] = {}
        if target.startswith("StarlingDoveService."):
            op = "config:" + target.split(".", 1)[1]
            if op not in (OP_PUT, OP_READ):
                op = OP_OTHER
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            action = form.get("Action", [""])[0]
            op = IAM_ACTIONS.get(action, OP_OTHER)
        stats = self.server.stats
        stats.begin(op, body_read_at)
        error = False
        sent = 0
        reply_at = body_read_at
        replying = False
        try:
            latency = self.server.settings["latency_ms"] / 1000.0
            if latency > 0:
                time.sleep(latency)
            if op == OP_IAM:
                status, content_type, payload = self._iam(form)
            elif op in (OP_GENERATE, OP_REPORT, OP_LIST_USERS, OP_LIST_KEYS, OP_KEY_LAST_USED):
                status, content_type, payload = self._users_op(op, form)
            elif op == OP_PUT:
                status, content_type, payload = self._put_evaluations(body)
            elif op == OP_READ:
                status, content_type, payload = self._compliance_details(body)
            else:
                status, content_type, payload = (
                    400, "application/x-amz-json-1.1",
                    b'{"__type":"InvalidAction","message":"not served by the benchmark"}')
            error = status >= 400
            reply_at = time.monotonic()
            stats.replying(op)
            replying = True
            sent = self._send(status, content_type, payload)
        finally:
            if not replying:
                stats.replying(op)
            stats.end(op, [self.line_read_at, body_read_at, reply_at, time.monotonic()],
                      self._request_bytes(body), sent, error, self.client_address[1])

    # -- operations

    def _max_items(self, form: dict[str, list[str]]) -> int | None:
        try:
            max_items = int(form.get("MaxItems", [str(IAM_DEFAULT_MAX_ITEMS)])[0])
        except ValueError:
            return None
        return max_items if 1 <= max_items <= IAM_MAX_MAX_ITEMS else None

    def _offset(self, form: dict[str, list[str]], count: int) -> int | None:
        if "Marker" not in form:
            return 0
        offset = _marker_offset(form["Marker"][0])
        return offset if offset is not None and 0 < offset < count else None

    def _iam(self, form: dict[str, list[str]]) -> tuple[int, str, bytes]:
        settings = self.server.settings
        max_items = self._max_items(form)
        if max_items is None:
            return 400, "text/xml", self._iam_error("ValidationError", f"MaxItems {form.get('MaxItems')}")
        # The account holds one kind of principal, and no groups or customer managed policies
        # (the rules ask for those too, for each principal's privilege: their lists are empty
        # here): asking for another kind of principal is the wrong call.
        want = "User" if settings["kind"] == "users" else "Role"
        asked = {values[0] for key, values in form.items() if key.startswith("Filter.member.")} or {want}
        if want not in asked or not asked <= {want, "Group", "LocalManagedPolicy"}:
            return 400, "text/xml", self._iam_error("ValidationError", f"only Filter={want} served")
        count = self.server.principals
        offset = self._offset(form, count)
        if offset is None:
            return 400, "text/xml", self._iam_error("ValidationError", "Invalid Marker")
        if settings["kind"] == "users":
            return 200, "text/xml", self.server.account.users.details_page(count, offset, max_items)
        if settings["recorded"] == "stored":
            return 200, "text/xml", self.server.bill.iam_page(offset, max_items)
        return 200, "text/xml", self.server.account.iam_page(count, offset, max_items)

    def _users_op(self, op: str, form: dict[str, list[str]]) -> tuple[int, str, bytes]:
        """The credential report (generated STARTED then COMPLETE, or COMPLETE at once) and the
        per-user pattern's ListUsers, ListAccessKeys and GetAccessKeyLastUsed."""
        server = self.server
        users = server.account.users
        count = server.settings["users"]
        slow_report = server.settings["report"] == "started"
        if op == OP_GENERATE:
            with server.stats.lock:
                server.generate_calls += 1
                calls = server.generate_calls
            state, description = (("STARTED", "No report exists. Starting a new report generation task")
                                  if slow_report and calls == 1 else ("COMPLETE", "Report generated"))
            return 200, "text/xml", (
                f'<GenerateCredentialReportResponse xmlns="{IAM_NS}"><GenerateCredentialReportResult>'
                f"<Description>{description}</Description><State>{state}</State>"
                "</GenerateCredentialReportResult><ResponseMetadata><RequestId>"
                f"{_request_id(('generate', calls))}</RequestId></ResponseMetadata>"
                "</GenerateCredentialReportResponse>").encode()
        if op == OP_REPORT:
            # IAM API reference, GetCredentialReport errors: ReportNotPresent (410) before any
            # generation, ReportInProgress (404) while it runs.
            if slow_report and server.generate_calls == 0:
                return 410, "text/xml", self._iam_error("ReportNotPresent", "Credential report not present")
            if slow_report and server.generate_calls == 1:
                return 404, "text/xml", self._iam_error("ReportInProgress", "Credential report in progress")
            content = base64.b64encode(users.report(count)).decode()
            return 200, "text/xml", (
                f'<GetCredentialReportResponse xmlns="{IAM_NS}"><GetCredentialReportResult>'
                f"<Content>{content}</Content><ReportFormat>text/csv</ReportFormat>"
                f"<GeneratedTime>{_iso(users.generated)}</GeneratedTime>"
                "</GetCredentialReportResult><ResponseMetadata><RequestId>"
                f"{_request_id(('report', count))}</RequestId></ResponseMetadata>"
                "</GetCredentialReportResponse>").encode()
        if op == OP_LIST_USERS:
            max_items = self._max_items(form)
            offset = self._offset(form, count)
            if max_items is None or offset is None:
                return 400, "text/xml", self._iam_error("ValidationError", "MaxItems or Marker")
            return 200, "text/xml", users.list_users_page(count, offset, max_items)
        if op == OP_LIST_KEYS:
            name = form.get("UserName", [""])[0]
            user = users.by_name.get(name)
            if user is None or user["index"] >= count:
                return 404, "text/xml", self._iam_error("NoSuchEntity", f"The user with name {name} cannot be found.")
            return 200, "text/xml", users.access_keys(user)
        key_id = form.get("AccessKeyId", [""])[0]
        found = users.by_key.get(key_id)
        if found is None or found[0]["index"] >= count:
            return 404, "text/xml", self._iam_error("NoSuchEntity", f"The access key {key_id} cannot be found.")
        return 200, "text/xml", users.key_last_used(*found)

    @staticmethod
    def _iam_error(code: str, message: str) -> bytes:
        return (f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{_xml(message)}</Message></Error><RequestId>0</RequestId>"
                "</ErrorResponse>").encode()

    def _put_evaluations(self, body: bytes) -> tuple[int, str, bytes]:
        if self.server.settings["recorded"] == "stored":
            return self._store_evaluations(body)
        # Counted, not parsed: parsing 30 KB under the GIL would delay the other requests.
        if not body.startswith(b"{") or b'"Evaluations"' not in body:
            return 400, "application/x-amz-json-1.1", b'{"__type":"SerializationException"}'
        count = body.count(b'"ComplianceResourceId"')
        stats = self.server.stats
        with stats.lock:
            stats.evaluations += count
            stats.max_evaluations_per_call = max(stats.max_evaluations_per_call, count)
        if count > 100:
            return (400, "application/x-amz-json-1.1",
                    b'{"__type":"InvalidParameterValueException","message":"more than 100"}')
        return 200, "application/x-amz-json-1.1", b'{"FailedEvaluations":[]}'

    @staticmethod
    def _config_error(code: str, message: str) -> tuple[int, str, bytes]:
        return (400, "application/x-amz-json-1.1",
                json.dumps({"__type": code, "message": message}).encode())

    def _store_evaluations(self, body: bytes) -> tuple[int, str, bytes]:
        """PutEvaluations stored (recorded "stored"): parsed, checked, kept per rule."""
        try:
            args = json.loads(body)
            evaluations = args.get("Evaluations") or []
            token = str(args.get("ResultToken") or "")
            for evaluation in evaluations:
                if evaluation["ComplianceType"] not in COMPLIANCE_STORED:
                    return self._config_error("InvalidParameterValueException",
                                              f"ComplianceType {evaluation['ComplianceType']}")
                str(evaluation["ComplianceResourceType"]), str(evaluation["ComplianceResourceId"])
        except (ValueError, AttributeError, KeyError, TypeError):
            return self._config_error("SerializationException", "not a PutEvaluations request")
        stats, server = self.server.stats, self.server
        with stats.lock:
            stats.evaluations += len(evaluations)
            stats.max_evaluations_per_call = max(stats.max_evaluations_per_call, len(evaluations))
        if len(evaluations) > 100:
            return self._config_error("InvalidParameterValueException", "more than 100")
        rule = rule_of_token(token)
        if rule is None or rule not in server.store.rules:
            return self._config_error("InvalidResultTokenException",
                                      "The result token is invalid.")
        if not args.get("TestMode"):
            with stats.lock:
                stats.evaluations_by_rule[rule] = stats.evaluations_by_rule.get(rule, 0) + len(evaluations)
            server.store.put(rule, evaluations, server.bill.day,
                             time.time() + server.bill.clock_offset_s())
        return 200, "application/x-amz-json-1.1", b'{"FailedEvaluations":[]}'

    def _stored_results(self, body: bytes) -> tuple[int, str, bytes]:
        try:
            args = json.loads(body or b"{}")
            rule = str(args.get("ConfigRuleName") or "")
            types = list(args.get("ComplianceTypes") or ["COMPLIANT", "NON_COMPLIANT"])
            limit = int(args.get("Limit") or CONFIG_MAX_LIMIT)
            token = args.get("NextToken")
        except (ValueError, AttributeError, TypeError):
            return self._config_error("SerializationException", "not a request")
        if rule not in self.server.store.rules:
            return self._config_error("NoSuchConfigRuleException",
                                      f"The ConfigRule '{rule}' provided in the request is invalid.")
        if any(t not in COMPLIANCE_STORED for t in types):
            return self._config_error("InvalidParameterValueException", f"ComplianceTypes {types}")
        offset = _next_offset(token, rule, types) if token else 0
        if offset is None or not 1 <= limit <= CONFIG_MAX_LIMIT:
            return self._config_error("InvalidNextTokenException", "bad NextToken or Limit")
        page, more = self.server.store.query(rule, types, offset, limit)
        response: dict = {"EvaluationResults": [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": rule, "ResourceType": r["ResourceType"],
                        "ResourceId": r["ResourceId"], "EvaluationMode": "DETECTIVE"},
                    "OrderingTimestamp": r["OrderingTimestamp"],
                },
                "ComplianceType": r["ComplianceType"],
                "ResultRecordedTime": r["ResultRecordedTime"],
                "ConfigRuleInvokedTime": r["ResultRecordedTime"],
                **({"Annotation": r["Annotation"]} if r["Annotation"] is not None else {}),
            }
            for r in page]}
        if more:
            response["NextToken"] = _next_token(rule, types, offset + limit)
        return 200, "application/x-amz-json-1.1", json.dumps(response, separators=(",", ":")).encode()

    def _compliance_details(self, body: bytes) -> tuple[int, str, bytes]:
        settings = self.server.settings
        if settings["recorded"] == "stored":
            return self._stored_results(body)
        if settings["recorded"] == "none":
            return 200, "application/x-amz-json-1.1", b'{"EvaluationResults":[]}'
        try:
            args = json.loads(body or b"{}")
            limit = int(args.get("Limit") or CONFIG_MAX_LIMIT)
            token = args.get("NextToken")
        except (ValueError, AttributeError):
            return 400, "application/x-amz-json-1.1", b'{"__type":"SerializationException"}'
        offset = _marker_offset(token) if token else 0
        if offset is None or not 1 <= limit <= CONFIG_MAX_LIMIT:
            return (400, "application/x-amz-json-1.1",
                    b'{"__type":"InvalidNextTokenException","message":"bad NextToken or Limit"}')
        return 200, "application/x-amz-json-1.1", self.server.account.recorded_page(
            settings["kind"], self.server.principals, settings["stale"], offset, limit)


def serve(port: int = 0) -> FakeAwsServer:
    """Starts the server on 127.0.0.1 in a background thread and returns it."""
    server = FakeAwsServer(("127.0.0.1", port))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--roles", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--recorded", choices=["none", "all"], default="none")
    parser.add_argument("--stale", type=int, default=0)
    parser.add_argument("--kind", choices=["roles", "users"], default="roles")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--report", choices=REPORT_STATES, default="complete")
    args = parser.parse_args()
    server = FakeAwsServer(("127.0.0.1", args.port))
    server.configure(args.roles, args.latency_ms, args.recorded, args.stale, args.kind,
                     args.users, args.report)
    host, port = server.server_address[:2]
    print(f"READY http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
