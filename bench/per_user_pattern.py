#!/usr/bin/env python3
"""The per-user call pattern, as the RDK sample rule IAM_USER_USED_LAST_90_DAYS
(awslabs/aws-config-rules, python/IAM_USER_USED_LAST_90_DAYS) makes it on a scheduled run, run
against the benchmark's fake so the users rule can be compared with it. Written for the
benchmark with boto3 (what that rule runs on), not copied from it. What the rule calls:

  1. ListUsers, with no MaxItems (IAM's default page of 100), every page by Marker;
  2. for each user, in order, first match wins:
       - UserId in WhitelistedUserList                  -> COMPLIANT, no call;
       - created less than NewUserCooldownInDays ago    -> COMPLIANT, no call (default 7);
       - PasswordLastUsed (from ListUsers) less than NotUsedTimeOutInDays ago
                                                        -> COMPLIANT, no call;
       - ListAccessKeys(UserName), then GetAccessKeyLastUsed(AccessKeyId) per key, stopping at
         the first key used less than NotUsedTimeOutInDays ago -> COMPLIANT; none -> NON_COMPLIANT;
  3. one GetComplianceDetailsByConfigRule (COMPLIANT and NON_COMPLIANT, Limit 100, first page
     only) to mark results of users that are gone NOT_APPLICABLE;
  4. PutEvaluations, 100 at a time, one after the other.

With --every-key it lists the keys of every user and looks up every key, with no shortcut
(what naming each unused credential needs; knowing whether a user has a console password
at all, and since when, would also take one GetLoginProfile per user, which the RDK rule does
not call and this pattern leaves out).

The endpoint, region and credentials come from the environment (AWS_ENDPOINT_URL ...). Prints
one JSON line: the evaluations it sent, how many were NON_COMPLIANT, and the CPU (user + sys of
this process, time.process_time) spent importing boto3 and in the run itself.
"""

from __future__ import annotations

import time

_started_cpu = time.process_time()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

import boto3  # noqa: E402

RESOURCE_TYPE = "AWS::IAM::User"


def recent(moment: datetime | None, days: int, now: datetime) -> bool:
    return moment is not None and now - moment < timedelta(days=days)


def any_key_used_recently(iam, user_name: str, days: int, now: datetime, every_key: bool) -> bool:
    keys = iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    found = False
    for key in keys:
        last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        if recent(last_used.get("LastUsedDate"), days, now):
            found = True
            if not every_key:
                break
    return found


def evaluate(iam, days: int, cooldown_days: int, allowlist: set[str], ordering: str,
             now: datetime, every_key: bool) -> list[dict]:
    evaluations = []
    marker = None
    while True:
        page = iam.list_users(Marker=marker) if marker else iam.list_users()
        for user in page["Users"]:
            compliant = (
                user["UserId"] in allowlist
                or recent(user["CreateDate"], cooldown_days, now)
                or recent(user.get("PasswordLastUsed"), days, now)
            )
            if every_key or not compliant:
                keys_used = any_key_used_recently(iam, user["UserName"], days, now, every_key)
                compliant = compliant or keys_used
            evaluations.append({
                "ComplianceResourceType": RESOURCE_TYPE, "ComplianceResourceId": user["UserId"],
                "ComplianceType": "COMPLIANT" if compliant else "NON_COMPLIANT",
                "OrderingTimestamp": ordering,
            })
        marker = page.get("Marker")
        if not marker:
            return evaluations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--event", required=True, help="the Config event (ScheduledNotification)")
    parser.add_argument("--max-days", type=int, default=90, help="NotUsedTimeOutInDays")
    parser.add_argument("--cooldown-days", type=int, default=7, help="NewUserCooldownInDays")
    parser.add_argument("--every-key", action="store_true",
                        help="look up every key, not only until the first one used recently")
    args = parser.parse_args()
    imported_cpu = time.process_time()

    event = json.loads(open(args.event).read())
    ordering = json.loads(event["invokingEvent"])["notificationCreationTime"]
    iam = boto3.client("iam")
    config = boto3.client("config")
    now = datetime.now(timezone.utc)
    evaluations = evaluate(iam, args.max_days, args.cooldown_days, set(), ordering, now,
                           args.every_key)
    current = {e["ComplianceResourceId"] for e in evaluations}
    recorded = config.get_compliance_details_by_config_rule(
        ConfigRuleName=event["configRuleName"], ComplianceTypes=["COMPLIANT", "NON_COMPLIANT"],
        Limit=100)["EvaluationResults"]
    for result in recorded:
        resource_id = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"]
        if resource_id not in current:
            evaluations.insert(0, {"ComplianceResourceType": RESOURCE_TYPE,
                                   "ComplianceResourceId": resource_id,
                                   "ComplianceType": "NOT_APPLICABLE", "OrderingTimestamp": ordering})
    for start in range(0, len(evaluations), 100):
        config.put_evaluations(Evaluations=evaluations[start:start + 100],
                               ResultToken=event["resultToken"],
                               TestMode=event["resultToken"] == "TESTMODE")
    done_cpu = time.process_time()
    print(json.dumps({
        "evaluations": len(evaluations),
        "non_compliant": sum(e["ComplianceType"] == "NON_COMPLIANT" for e in evaluations),
        "import_cpu_ms": round((imported_cpu - _started_cpu) * 1000, 1),
        "run_cpu_ms": round((done_cpu - imported_cpu) * 1000, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
