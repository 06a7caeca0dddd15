#!/usr/bin/env python3
"""The rule of the AWS Security Blog's "How to identify unused IAM roles" (a Python Lambda
function behind an AWS Config custom rule), run against the benchmark's fake so the function
can be compared with it on the same account. Written for the benchmark with boto3 (what that
rule runs on) from the blog's description of its behaviour, not copied from it. What it does
on a scheduled run:

  1. GetAccountAuthorizationDetails Filter=[Role]: the first call without MaxItems (IAM's
     default page of 100), then MaxItems=100 with the Marker, until no Marker comes back;
     every page kept in one list;
  2. per role, first match wins (ages in whole days, as timedelta.days):
       - Path + RoleName matches a pattern of role_whitelist ("|"-separated, fnmatch)
                                                   -> COMPLIANT "Role is whitelisted";
       - created max_days_for_last_used days ago or less -> COMPLIANT "Role age is N days";
       - RoleLastUsed has no LastUsedDate         -> NON_COMPLIANT "No record of usage";
       - last used more than max_days_for_last_used days ago -> NON_COMPLIANT, else COMPLIANT,
         "Was used N days ago in REGION";
     each with one log line, and the evaluation keyed by the role's NAME (not its RoleId);
  3. PutEvaluations, 100 at a time, one after the other; FailedEvaluations are not read, no
     clean-up of results of roles that are gone, no TestMode.

The blog names the allowlist parameter role_whitelist; the project's event calls it
role_allowlist, taken when role_whitelist is absent so both rules judge the same patterns.
The exempt tag of the project's rule has no counterpart there.

The endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL ...). The
per-role log lines go to stderr. Prints one JSON line: the evaluations sent and the
PutEvaluations and IAM calls made, the count per compliance type, and the CPU (user + sys of
this process, time.process_time) spent importing boto3 and in the run itself, with the run's
wall time (time.monotonic).
"""

from __future__ import annotations

import time

_started_cpu = time.process_time()

import argparse  # noqa: E402
import fnmatch  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import boto3  # noqa: E402

RESOURCE_TYPE = "AWS::IAM::Role"
PAGE = 100  # the blog's MaxItems after the first call, and IAM's default
PUT_BATCH = 100  # PutEvaluations takes at most 100

logger = logging.getLogger("blog_rule")


def read_roles(iam) -> tuple[list[dict], int]:
    """Every role, and the number of pages read."""
    roles: list[dict] = []
    page = iam.get_account_authorization_details(Filter=["Role"])
    pages = 1
    while True:
        roles += page["RoleDetailList"]
        if "Marker" not in page:
            return roles, pages
        page = iam.get_account_authorization_details(Filter=["Role"], MaxItems=PAGE,
                                                     Marker=page["Marker"])
        pages += 1


def evaluation(name: str, compliance: str, annotation: str, ordering: str) -> dict:
    return {"Annotation": annotation, "ComplianceResourceType": RESOURCE_TYPE,
            "ComplianceResourceId": name, "ComplianceType": compliance,
            "OrderingTimestamp": ordering}


def judge(role: dict, max_days: int, patterns: list[str], ordering: str, now: datetime) -> dict:
    name = role["RoleName"]
    if any(fnmatch.fnmatch(role["Path"] + name, pattern) for pattern in patterns):
        logger.info(f"COMPLIANT: {name} is whitelisted")
        return evaluation(name, "COMPLIANT", "Role is whitelisted", ordering)
    age_days = (now - role["CreateDate"]).days
    if age_days <= max_days:
        logger.info(f"COMPLIANT: {name} - {age_days} is newer or equal to {max_days} days")
        return evaluation(name, "COMPLIANT", f"Role age is {age_days} days", ordering)
    last_used = role.get("RoleLastUsed", {})
    used_at = last_used.get("LastUsedDate")
    if used_at is None:
        logger.info(f"NON_COMPLIANT: {name} has never been used")
        return evaluation(name, "NON_COMPLIANT", "No record of usage", ordering)
    days_unused = (now - used_at).days
    region = last_used.get("Region")
    annotation = f"Was used {days_unused} days ago in {region}"
    if days_unused > max_days:
        logger.info(f"NON_COMPLIANT: {name} has not been used for {days_unused} days, "
                    f"last use in {region}")
        return evaluation(name, "NON_COMPLIANT", annotation, ordering)
    logger.info(f"COMPLIANT: {name} used {days_unused} days ago in {region}")
    return evaluation(name, "COMPLIANT", annotation, ordering)


def allowlist(parameters: dict) -> list[str]:
    text = parameters.get("role_whitelist", parameters.get("role_allowlist", ""))
    return text.split("|") if text else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--event", required=True, help="the Config event (ScheduledNotification)")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="[%(asctime)s] %(levelname)s [%(funcName)s:%(lineno)d] %(message)s")
    imported_cpu = time.process_time()
    started = time.monotonic()

    event = json.loads(open(args.event).read())
    ordering = str(json.loads(event["invokingEvent"])["notificationCreationTime"])
    parameters = json.loads(event.get("ruleParameters") or "{}")
    max_days = int(parameters.get("max_days_for_last_used", "60"))
    patterns = allowlist(parameters)
    iam = boto3.client("iam")
    config = boto3.client("config")
    roles, pages = read_roles(iam)
    now = datetime.now(timezone.utc)
    evaluations = [judge(role, max_days, patterns, ordering, now) for role in roles]
    puts = 0
    for start in range(0, len(evaluations), PUT_BATCH):
        config.put_evaluations(Evaluations=evaluations[start:start + PUT_BATCH],
                               ResultToken=event["resultToken"])
        puts += 1
    done_cpu = time.process_time()
    print(json.dumps({
        "evaluations": len(evaluations),
        "put_evaluations_calls": puts,
        "iam_pages": pages,
        "compliant": sum(e["ComplianceType"] == "COMPLIANT" for e in evaluations),
        "non_compliant": sum(e["ComplianceType"] == "NON_COMPLIANT" for e in evaluations),
        "import_cpu_ms": round((imported_cpu - _started_cpu) * 1000, 1),
        "run_cpu_ms": round((done_cpu - imported_cpu) * 1000, 1),
        "run_wall_ms": round((time.monotonic() - started) * 1000, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
