#!/usr/bin/env python3
"""Generate the committed test fixtures for iam-role-last-used.

Writes, relative to the repository root:

  events/account-snapshot.json             a fake account in the exact shape printed by
                                           `aws iam get-account-authorization-details
                                            --filter Role --output json`
  events/account-snapshot.expected.json    the expected evaluation of every role (same order)
  events/account-snapshot.parameters.json  the rule parameters the expectations assume
  events/account-snapshot.identity-center-exclude.expected.json
                                           the expected evaluation with those parameters plus
                                           identity_center_roles=exclude

Every role comes from one row of SCENARIOS below. A row STATES which rule decides the role
(its `expect` column); the script only turns relative offsets into timestamps, does the
floor-of-days arithmetic and formats the annotation for that stated rule. It deliberately
does not re-implement the rule engine: the expected file is a specification, not a second
implementation. `check_row` only asserts that the stated rule's own condition holds for the
row's dates/tags/path, to catch typos in the table.

The annotation text of each rule comes from tests/e2e/annotation_text.py, which the end-to-end
account shares. Both modes also check README.md's rules table ("What it reports") against the
rules the rows state: each row's result column must be that rule's compliance, and each rule
must have at least two roles in the snapshot.

Deterministic and idempotent: no clock, no randomness; running it twice yields identical bytes.
Python 3 standard library only. Run from the repository root:

    python3 scripts/make_snapshot.py            write the fixtures
    python3 scripts/make_snapshot.py --check    fail if they, or the README's table, disagree

Both modes then do the same for the users rule's example (scripts/make_user_snapshot.py).
"""

import fnmatch
import hashlib
import json
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The README's rules and their annotation text, shared with the end-to-end account.
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import annotation_text as text  # noqa: E402

# --------------------------------------------------------------------------------------------
# Fixed evaluation context
# --------------------------------------------------------------------------------------------

NOW = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)  # evaluated with --now 2026-01-01T00:00:00Z
ACCOUNT = "111122223333"
MAX_DAYS = 60

# Exactly what AWS Config passes as the rule's InputParameters (a JSON object of strings).
PARAMETERS = {
    "max_days_for_last_used": str(MAX_DAYS),
    "role_allowlist": "/breakglass-role|/security-*|/service-role/*",
    "exempt_tag_key": "keep",
}
ALLOWLIST = PARAMETERS["role_allowlist"].split("|")
EXEMPT_TAG_KEY = PARAMETERS["exempt_tag_key"]
# The second run of the same account: Identity Center roles excluded.
IC_EXCLUDE_PARAMETERS = {**PARAMETERS, "identity_center_roles": "exclude"}


def ago(days, hours=0, minutes=0, seconds=0):
    """A timestamp this long before NOW."""
    return NOW - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


# IAM's tag value pattern, [\p{L}\p{Z}\p{N}_.:/=+\-@]* (AWS::IAM::Role Tag reference): no ';' or ','.
def _iam_tag_value(value: str) -> bool:
    return all(c.isalpha() or c.isspace() or c.isdigit() or c in "_.:/=+-@" for c in value)


def tags(**kv):
    """Tags as IAM returns them. Keys with dashes are passed as a dict: tags(**{"keep-until": ...}).
    Only values IAM would accept: a snapshot must be an account that can exist."""
    for k, v in kv.items():
        if not _iam_tag_value(v):
            raise ValueError(f"tag {k}={v!r}: IAM refuses this value (allowed: letters, digits, spaces, _ . : / = + - @)")
    return [{"Key": k, "Value": v} for k, v in kv.items()]


# Outcomes a row can state (rule number in the spec, first match wins):
SLR = text.SERVICE_LINKED     # 1 path starts with /aws-service-role/          -> NOT_APPLICABLE
ALLOW = text.ALLOWLISTED      # 2 path+name matches a pattern (row gives it)   -> COMPLIANT
TAG = text.EXEMPT_BY_TAG      # 3 has a tag with Key == exempt_tag_key         -> COMPLIANT
                              #   (3b when the row gives exempt_until)
YOUNG = text.YOUNG            # 4 age <= 60 days                               -> COMPLIANT
NEVER = text.NO_USE_RECORDED  # 5 no LastUsedDate                              -> NON_COMPLIANT
STALE = text.UNUSED_TOO_LONG  # 6 last used > 60 days ago                      -> NON_COMPLIANT
RECENT = text.USED_RECENTLY   # 7 last used <= 60 days ago                     -> COMPLIANT

# Annotations add these when a row says so (they are not rules: they never change the verdict):
#   permission_set  Identity Center role (path under /aws-reserved/sso.amazonaws.com/): the
#                   permission set its name gives, or UNREADABLE; NON_COMPLIANT ones get advice
#   exempt_until / exempt_note   TAG rows with `until=DATE[; NOTE]`: the date and text shown
#   ignored         evaluated rows whose `keep` tag did not exempt them: (EXPIRED, "DATE"),
#                   (NO_EQUALS,), (NOT_A_DATE,) or (NO_SUCH_DAY,)
UNREADABLE = text.UNREADABLE
EXPIRED = text.EXPIRED
NO_EQUALS = text.NO_EQUALS
NOT_A_DATE = text.NOT_A_DATE
NO_SUCH_DAY = text.NO_SUCH_DAY

SL = "/aws-service-role/"
SSO_PREFIX = "/aws-reserved/sso.amazonaws.com/"
SSO = SSO_PREFIX + "eu-west-1/"  # Identity Center in eu-west-1: the Region is in the path
SSO_US_EAST_1 = SSO_PREFIX       # Identity Center in us-east-1: no Region in the path

# --------------------------------------------------------------------------------------------
# Scenario table: one row per role, in output order.
#
#   expect   the rule that must decide this role (for ALLOW: (ALLOW, "<pattern>"))
#   created  CreateDate            used     RoleLastUsed.LastUsedDate (None = never used -> {})
#   region   RoleLastUsed.Region (None = key absent)
#   trust    key into TRUST        managed  keys into MANAGED       inline  keys into INLINE
#   tags     list, [] or None (None = "Tags" key absent)
#   profile  True = role has an EC2 instance profile
#   boundary permissions boundary policy name (customer managed), or None
# --------------------------------------------------------------------------------------------


def row(name, path, expect, created, used=None, region="eu-west-1", trust="lambda",
        managed=(), inline=(), tags=(), profile=False, boundary=None,
        permission_set=None, exempt_until=None, exempt_note=None, ignored=None):
    return dict(name=name, path=path, expect=expect, created=created, used=used,
                region=region if used is not None else None, trust=trust,
                managed=list(managed), inline=list(inline),
                tags=None if tags is None else list(tags), profile=profile, boundary=boundary,
                permission_set=permission_set, exempt_until=exempt_until, exempt_note=exempt_note,
                ignored=ignored)


SCENARIOS = [
    # ---- rule 1: service-linked roles are never evaluated ---------------------------------
    row("AWSServiceRoleForSupport", SL + "support.amazonaws.com/", SLR, ago(2441, 9, 15, 2),
        used=ago(0, 6, 12, 40), region="us-east-1", trust="slr:support.amazonaws.com",
        managed=["AWSSupportServiceRolePolicy"], tags=[]),
    row("AWSServiceRoleForTrustedAdvisor", SL + "trustedadvisor.amazonaws.com/", SLR,
        ago(2441, 9, 15, 1), used=ago(1, 2, 5, 33), region="us-east-1",
        trust="slr:trustedadvisor.amazonaws.com", managed=["AWSTrustedAdvisorServiceRolePolicy"], tags=[]),
    # never-used service-linked role: still NOT_APPLICABLE, not "no use recorded"
    row("AWSServiceRoleForOrganizations", SL + "organizations.amazonaws.com/", SLR, ago(2405, 14, 2, 51),
        trust="slr:organizations.amazonaws.com", managed=["AWSOrganizationsServiceTrustPolicy"], tags=[]),
    # last used 214 days ago: would be NON_COMPLIANT if it were evaluated
    row("AWSServiceRoleForAutoScaling", SL + "autoscaling.amazonaws.com/", SLR, ago(1630, 11, 40, 8),
        used=ago(214, 3, 1, 9), trust="slr:autoscaling.amazonaws.com",
        managed=["AutoScalingServiceRolePolicy"], tags=[]),
    row("AWSServiceRoleForElasticLoadBalancing", SL + "elasticloadbalancing.amazonaws.com/", SLR,
        ago(1630, 11, 38, 55), used=ago(0, 0, 47, 12),
        trust="slr:elasticloadbalancing.amazonaws.com", managed=["AWSElasticLoadBalancingServiceRolePolicy"], tags=[]),
    # created 10 days ago: rule 1 wins over rule 4 (annotation is the service-linked one)
    row("AWSServiceRoleForECS", SL + "ecs.amazonaws.com/", SLR, ago(10, 5, 20, 0),
        used=ago(0, 2, 0, 17), trust="slr:ecs.amazonaws.com", managed=["AmazonECSServiceRolePolicy"], tags=[]),

    # ---- rule 2: allowlist patterns /breakglass-role | /security-* | /service-role/* --------
    # never used in 4 years: would be NON_COMPLIANT without the allowlist
    row("breakglass-role", "/", (ALLOW, "/breakglass-role"), ago(1502, 16, 3, 44), trust="breakglass-mfa",
        managed=["AdministratorAccess"], inline=["deny-org-leave"],
        tags=tags(owner="security", purpose="emergency access see runbook SEC-7")),
    # `security-audit` at path / -> "/security-audit" matches /security-*; last used 200 days ago (would be stale)
    row("security-audit", "/", (ALLOW, "/security-*"), ago(1110, 8, 0, 12), used=ago(200, 4, 11, 0),
        trust="security-account", managed=["SecurityAudit", "ViewOnlyAccess"], inline=["security-audit-extras"],
        tags=tags(owner="security")),
    # allowlisted AND tagged keep: rule 2 wins, annotation names the pattern
    row("security-incident-response", "/", (ALLOW, "/security-*"), ago(890, 10, 30, 0),
        trust="security-account", managed=["ReadOnlyAccess"], inline=["incident-response-isolate"],
        tags=tags(keep="true", owner="security")),
    # "/security-team/incident-responder": `*` must match across "/" to hit /security-*
    row("incident-responder", "/security-team/", (ALLOW, "/security-*"), ago(420, 13, 5, 6),
        used=ago(95, 1, 0, 0), trust="sso-saml", managed=["ReadOnlyAccess"], tags=[]),
    # console-created service role, stale (130 days): allowlisted by /service-role/*
    row("codebuild-webapp-build-service-role", "/service-role/", (ALLOW, "/service-role/*"),
        ago(700, 9, 9, 9), used=ago(130, 22, 0, 1), trust="codebuild", inline=["codebuild-base"], tags=None),
    # never used, old: allowlisted by /service-role/*
    row("AWSGlueServiceRole-datalake-crawler", "/service-role/", (ALLOW, "/service-role/*"),
        ago(655, 15, 44, 0), trust="glue", managed=["AWSGlueServiceRole"], inline=["glue-datalake-access"], tags=None),
    # created 5 days ago: rule 2 wins over rule 4
    row("StepFunctions-order-fulfilment-role-3f9c1a2b", "/service-role/", (ALLOW, "/service-role/*"),
        ago(5, 7, 31, 12), used=ago(0, 9, 0, 0), trust="states", inline=["stepfunctions-invoke"], tags=None),
    row("AWSCodePipelineServiceRole-eu-west-1-webapp", "/service-role/", (ALLOW, "/service-role/*"),
        ago(700, 9, 2, 40), used=ago(3, 12, 0, 0), trust="codepipeline", inline=["codepipeline-webapp"], tags=None),

    # ---- near misses of the allowlist (evaluated normally) ---------------------------------
    # "/teams/security-tools" does NOT match /security-* (pattern is anchored at the start)
    row("security-tools", "/teams/", STALE, ago(540, 10, 0, 0), used=ago(75, 6, 30, 0), trust="ec2",
        managed=["AmazonSSMManagedInstanceCore"], profile=True, tags=tags(team="security-tools"),
        boundary="teams-permissions-boundary"),
    # "/breakglass-role-2019" does NOT match the exact pattern /breakglass-role
    row("breakglass-role-2019", "/", NEVER, ago(2490, 11, 17, 3), trust="breakglass-mfa",
        managed=["AdministratorAccess"], tags=[]),
    # "/lambda-security-scanner" contains "security-" but does not start with /security-
    row("lambda-security-scanner", "/", RECENT, ago(300, 2, 0, 0), used=ago(2, 18, 40, 0),
        managed=["AWSLambdaBasicExecutionRole", "SecurityAudit"], tags=tags(team="security")),
    # deeper path "/teams/data/etl-runner": not allowlisted, used 3 days ago
    row("etl-runner", "/teams/data/", RECENT, ago(380, 6, 0, 0), used=ago(3, 4, 0, 0), trust="ecs-tasks",
        inline=["etl-runner-data-access"], tags=tags(team="data", costcenter="cc-4410"),
        boundary="teams-permissions-boundary"),
    row("etl-backfill", "/teams/data/", STALE, ago(380, 5, 58, 0), used=ago(140, 0, 0, 0), trust="ecs-tasks",
        inline=["etl-runner-data-access"], tags=tags(team="data"), boundary="teams-permissions-boundary"),

    # ---- rule 3: exempt by tag Key "keep" ----------------------------------------------------
    # never used, old: would be NON_COMPLIANT without the tag
    row("legacy-reporting-export", "/", TAG, ago(905, 12, 0, 0),
        managed=["AWSLambdaBasicExecutionRole"], inline=["reporting-export-s3"],
        tags=tags(owner="finance", keep="true")),
    # last used 80 days ago: would be stale without the tag
    row("finance-quarterly-close", "/", TAG, ago(800, 8, 0, 0), used=ago(80, 3, 0, 0), region="eu-central-1",
        trust="glue", managed=["AWSGlueServiceRole"], tags=tags(keep="quarterly job see FIN-1423")),
    # created 12 days ago and tagged: rule 3 wins over rule 4
    row("partner-onboarding-sandbox", "/", TAG, ago(12, 1, 0, 0), trust="partner-account",
        managed=["ReadOnlyAccess"], tags=tags(keep="until=2026-03-31", owner="partnerships"),
        exempt_until="2026-03-31"),
    # dated, with free text: exempt through 2026-03-31, the text shown; never used in 3 years
    row("dr-failover-runner", "/", TAG, ago(1100, 4, 0, 0), trust="ec2", managed=["PowerUserAccess"],
        tags=tags(keep="until=2026-03-31 DR role - owner ops", team="platform"),
        exempt_until="2026-03-31", exempt_note="DR role - owner ops"),
    # dated today (NOW is 2026-01-01T00:00:00Z): the exemption holds through that day; stale 70 days
    row("year-end-close-batch", "/", TAG, ago(720, 0, 0, 0), used=ago(70, 2, 0, 0), trust="glue",
        managed=["AWSGlueServiceRole"], tags=tags(keep="UNTIL=2026-01-01"), exempt_until="2026-01-01"),
    # ---- rule 3 ignored: the tag's date has passed or is not a date: evaluated normally ----
    # expired yesterday, stale 120 days -> NON_COMPLIANT, says the exemption expired
    row("migration-2025-importer", "/", STALE, ago(500, 6, 0, 0), used=ago(120, 5, 0, 0), trust="ecs-tasks",
        tags=tags(keep="until=2025-12-31 / data migration", team="data"), ignored=(EXPIRED, "2025-12-31")),
    # February 30th: never used -> NON_COMPLIANT, says the exemption is invalid
    row("audit-evidence-export", "/", NEVER, ago(800, 1, 0, 0), managed=["AWSLambdaBasicExecutionRole"],
        tags=tags(keep="until=2026-02-30"), ignored=(NO_SUCH_DAY,)),
    # not a date at all: stale 65 days -> NON_COMPLIANT
    row("temp-contractor-access", "/", STALE, ago(300, 3, 0, 0), used=ago(65, 0, 0, 0), trust="sso-saml",
        managed=["ReadOnlyAccess"], tags=tags(keep="until=soon", owner="vendor-mgmt"), ignored=(NOT_A_DATE,)),
    # `until` without `=`: used 10 days ago -> COMPLIANT anyway, and the annotation says why the tag was ignored
    row("sandbox-experiments", "/", RECENT, ago(400, 0, 0, 0), used=ago(10, 1, 0, 0),
        managed=["AWSLambdaBasicExecutionRole"], tags=tags(keep="until 2026-06-30"), ignored=(NO_EQUALS,)),
    # tag KEY "keep-until" starts with "keep" but is not "keep": not exempt, stale
    row("ml-training-sagemaker", "/", STALE, ago(610, 3, 0, 0), used=ago(170, 11, 0, 0), trust="sagemaker",
        managed=["AmazonSageMakerFullAccess"], inline=["sagemaker-training-data"],
        tags=tags(**{"keep-until": "2025-06-30", "project": "churn-model"})),
    # tag VALUE "keep" under key "lifecycle": not exempt, never used
    row("old-jenkins-agent", "/", NEVER, ago(1300, 9, 0, 0), trust="ec2",
        managed=["AmazonEC2ContainerRegistryPowerUser"], profile=True, tags=tags(lifecycle="keep")),
    # unrelated tag "do-not-delete": not exempt, stale
    row("reporting-athena-query", "/", STALE, ago(450, 0, 0, 0), used=ago(100, 15, 0, 0),
        managed=["AWSLambdaBasicExecutionRole", "AmazonAthenaFullAccess"], tags=tags(**{"do-not-delete": "true"})),

    # ---- rule 4: young roles (age <= 60 days) ------------------------------------------------
    # age exactly 60 days (created exactly 60*24h before NOW), never used -> COMPLIANT by age
    row("feature-flags-sync", "/", YOUNG, ago(60), tags=[]),
    # created 60 days 23 hours ago: floor -> age 60 -> still young
    row("search-indexer", "/", YOUNG, ago(60, 23, 0, 0), trust="ecs-tasks", tags=tags(team="search")),
    # created 60d 23h 59m 59s ago (one second short of 61 days), used 2 days ago -> age 60, young wins
    row("payments-webhook-handler", "/", YOUNG, ago(60, 23, 59, 59), used=ago(2, 0, 0, 0),
        managed=["AWSLambdaBasicExecutionRole"], inline=["payments-webhook-dynamodb"], tags=tags(team="payments")),
    # created 4 hours ago: "created 0 days ago"
    row("analytics-sandbox-new", "/", YOUNG, ago(0, 4, 12, 9), trust="sso-saml", managed=["ReadOnlyAccess"]),
    # created 1 day 3 hours ago: "created 1 day ago" (singular)
    row("ops-dashboard-reader", "/", YOUNG, ago(1, 3, 0, 0), used=ago(0, 1, 0, 0), trust="grafana-account",
        managed=["CloudWatchReadOnlyAccess"]),
    row("vendor-integration-datadog", "/", YOUNG, ago(30, 0, 0, 0), used=ago(0, 0, 10, 0),
        trust="datadog-account", managed=["SecurityAudit"], inline=["datadog-integration"],
        tags=tags(vendor="datadog")),

    # ---- rule 5: never used and older than 60 days ------------------------------------------
    row("ci-deploy-legacy", "/", NEVER, ago(1120, 7, 41, 3), trust="jenkins-account",
        managed=["PowerUserAccess"], inline=["ci-deploy"], tags=tags(team="platform")),
    # age exactly 61 days, never used -> falls through rule 4 to "no use recorded"
    row("cost-explorer-export", "/", NEVER, ago(61), managed=["AWSLambdaBasicExecutionRole"],
        inline=["cost-explorer-read"], tags=[]),
    row("redshift-legacy-unload", "/", NEVER, ago(1800, 22, 0, 0), trust="redshift",
        inline=["redshift-unload-s3"], tags=None),
    row("okta-readonly-contractors", "/", NEVER, ago(400, 9, 30, 0), trust="okta-saml",
        managed=["ReadOnlyAccess"], tags=tags(idp="okta")),

    # ---- rule 6: last used more than 60 days ago --------------------------------------------
    # last used exactly 61 days ago -> NON_COMPLIANT
    row("data-pipeline-glue", "/", STALE, ago(700, 10, 0, 0), used=ago(61), trust="glue",
        managed=["AWSGlueServiceRole"], inline=["glue-datalake-access"], tags=tags(team="data")),
    # created 61d 2h ago (age 61: not young), used 61d 0h 30m ago, right after creation -> 61 days, stale
    row("qa-load-test-runner", "/", STALE, ago(61, 2, 0, 0), used=ago(61, 0, 30, 0), trust="ecs-tasks",
        inline=["load-test-results-s3"], tags=tags(team="qa")),
    # stale with LastUsedDate but no Region: annotation omits " in {region}"
    row("archive-to-glacier", "/", STALE, ago(900, 0, 0, 0), used=ago(150, 8, 0, 0), region=None,
        managed=["AWSLambdaBasicExecutionRole"], inline=["archive-to-glacier-s3"]),
    row("legacy-kinesis-consumer", "/", STALE, ago(1500, 4, 0, 0), used=ago(390, 12, 0, 0), region="us-east-1",
        managed=["AWSLambdaKinesisExecutionRole"], tags=[]),

    # ---- Identity Center roles: evaluated like any role; NON_COMPLIANT ones name the permission set --
    # permission set "Data_Engineer" (its name has a "_"); us-east-1 path; never used
    row("AWSReservedSSO_Data_Engineer_0c4e8a2f6b1d3957", SSO_US_EAST_1, NEVER, ago(700, 8, 0, 0),
        trust="sso-identity-center", managed=["ReadOnlyAccess"], tags=None, permission_set="Data_Engineer"),
    # permission set "BillingReadOnly"; eu-west-1 path; last used 95 days ago
    row("AWSReservedSSO_BillingReadOnly_5e1f9a3c7b2d4e60", SSO, STALE, ago(900, 2, 0, 0), used=ago(95, 3, 0, 0),
        region="us-east-1", trust="sso-identity-center", managed=["ViewOnlyAccess"], tags=None,
        permission_set="BillingReadOnly"),
    # under the Identity Center path but not its name shape: still an Identity Center role
    row("AWSReservedSSO_LegacyAdmins", SSO_US_EAST_1, NEVER, ago(1600, 0, 0, 0), trust="sso-identity-center",
        managed=["AdministratorAccess"], tags=None, permission_set=UNREADABLE),

    # ---- rule 7: last used within 60 days -----------------------------------------------------
    row("OrganizationAccountAccessRole", "/", RECENT, ago(2441, 9, 14, 40), used=ago(20, 7, 0, 0),
        region="us-east-1", trust="org-management", managed=["AdministratorAccess"], tags=None),
    # Identity Center role under /aws-reserved/ is NOT service-linked; used 23h59m59s ago -> "0 days"
    row("AWSReservedSSO_AdministratorAccess_8f3a2c1d9e7b6a54", SSO, RECENT, ago(980, 3, 0, 0),
        used=ago(0, 23, 59, 59), trust="sso-identity-center", managed=["AdministratorAccess"], tags=None,
        permission_set="AdministratorAccess"),
    # used exactly 1 day ago -> "1 day" (singular)
    row("AWSReservedSSO_ReadOnlyAccess_2b7d4e9f0a1c3e58", SSO, RECENT, ago(980, 3, 0, 0),
        used=ago(1), trust="sso-identity-center", managed=["ReadOnlyAccess"], tags=None,
        permission_set="ReadOnlyAccess"),
    # last used exactly 60 days ago -> COMPLIANT (threshold is "> 60")
    row("webapp-api-ecs-task", "/", RECENT, ago(520, 1, 0, 0), used=ago(60), trust="ecs-tasks",
        inline=["webapp-api-data-access"], tags=tags(team="webapp")),
    # last used 60d 23h 59m 59s ago: floor -> 60 days -> COMPLIANT
    row("nightly-report-lambda", "/", RECENT, ago(333, 0, 0, 0), used=ago(60, 23, 59, 59),
        managed=["AWSLambdaBasicExecutionRole"], inline=["reporting-export-s3"], tags=tags(team="finance")),
    # used 4 minutes before NOW -> "0 days"
    row("bastion-host", "/", RECENT, ago(1200, 2, 0, 0), used=ago(0, 0, 4, 0), trust="ec2",
        managed=["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"], profile=True,
        tags=tags(team="platform")),
    row("github-actions-deploy", "/", RECENT, ago(250, 5, 0, 0), used=ago(1, 6, 0, 0), trust="github-oidc",
        inline=["ci-deploy"], tags=tags(team="platform", repo="example-org/webapp")),
    # recent with LastUsedDate but no Region: "last used 12 days ago"
    row("monitoring-grafana-cloudwatch", "/", RECENT, ago(640, 0, 0, 0), used=ago(12, 10, 0, 0), region=None,
        trust="grafana-account", managed=["CloudWatchReadOnlyAccess"], tags=[]),
    row("image-thumbnailer", "/", RECENT, ago(1010, 13, 0, 0), used=ago(0, 11, 0, 0), region="eu-central-1",
        managed=["AWSLambdaBasicExecutionRole"], inline=["thumbnailer-s3"]),
]

# --------------------------------------------------------------------------------------------
# Trust policies (AssumeRolePolicyDocument, already URL-decoded as the CLI prints it)
# --------------------------------------------------------------------------------------------


def service_trust(service):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def account_trust(account, external_id=None, mfa=False):
    stmt = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    if external_id:
        stmt["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    if mfa:
        stmt["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def saml_trust(provider):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/{provider}"},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}


TRUST = {
    "lambda": service_trust("lambda.amazonaws.com"),
    "ec2": service_trust("ec2.amazonaws.com"),
    "glue": service_trust("glue.amazonaws.com"),
    "codebuild": service_trust("codebuild.amazonaws.com"),
    "codepipeline": service_trust("codepipeline.amazonaws.com"),
    "states": service_trust("states.amazonaws.com"),
    "ecs-tasks": {"Version": "2012-10-17", "Statement": [{
        "Sid": "", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:*"},
                      "StringEquals": {"aws:SourceAccount": ACCOUNT}}}]},
    "sagemaker": service_trust("sagemaker.amazonaws.com"),
    "redshift": service_trust("redshift.amazonaws.com"),
    "breakglass-mfa": account_trust(ACCOUNT, mfa=True),
    "security-account": account_trust("777788889999", external_id="sec-tooling-3b1f"),
    "partner-account": account_trust("444455556666", external_id="partner-onb-91c2e7"),
    "jenkins-account": account_trust("222233334444"),
    "grafana-account": account_trust("555566667777", external_id="grafana-cw-0c4d"),
    "datadog-account": account_trust("464622532012", external_id="6f1d3a7c2b8e4f0a9d5c1e2b3a4f5d6e"),
    "org-management": account_trust("999988887777"),
    "sso-saml": saml_trust("CorpADFS"),
    "okta-saml": saml_trust("Okta"),
    "sso-identity-center": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/"
                                   "AWSSSO_4c2a8e1f9b3d7a60_DO_NOT_DELETE"},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]},
    "github-oidc": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/webapp:ref:refs/heads/main"}}}]},
}


def trust_for(key):
    if key.startswith("slr:"):
        return service_trust(key[len("slr:"):])
    return TRUST[key]


# --------------------------------------------------------------------------------------------
# Managed policies (AttachedManagedPolicies); the value is the ARN path segment
# --------------------------------------------------------------------------------------------

MANAGED = {
    "AdministratorAccess": "/",
    "PowerUserAccess": "/",
    "ReadOnlyAccess": "/",
    "ViewOnlyAccess": "/job-function/",
    "SecurityAudit": "/",
    "CloudWatchReadOnlyAccess": "/",
    "CloudWatchAgentServerPolicy": "/",
    "AmazonSSMManagedInstanceCore": "/",
    "AmazonEC2ContainerRegistryPowerUser": "/",
    "AmazonAthenaFullAccess": "/",
    "AmazonSageMakerFullAccess": "/",
    "AWSLambdaBasicExecutionRole": "/service-role/",
    "AWSLambdaKinesisExecutionRole": "/service-role/",
    "AWSGlueServiceRole": "/service-role/",
    "AWSSupportServiceRolePolicy": "/aws-service-role/",
    "AWSTrustedAdvisorServiceRolePolicy": "/aws-service-role/",
    "AWSOrganizationsServiceTrustPolicy": "/aws-service-role/",
    "AutoScalingServiceRolePolicy": "/aws-service-role/",
    "AWSElasticLoadBalancingServiceRolePolicy": "/aws-service-role/",
    "AmazonECSServiceRolePolicy": "/aws-service-role/",
}


def managed_for(name):
    return {"PolicyName": name, "PolicyArn": f"arn:aws:iam::aws:policy{MANAGED[name]}{name}"}


# --------------------------------------------------------------------------------------------
# Inline policies (RolePolicyList). Several are deliberately 1-3 KB.
# --------------------------------------------------------------------------------------------

def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def stmt(sid, actions, resources, effect="Allow", condition=None):
    s = {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}
    if condition:
        s["Condition"] = condition
    return s


def logs_stmt(prefix):
    return stmt("WriteLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{prefix}*",
                 f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{prefix}*:log-stream:*"])


KMS_DATA = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/4f2c9a1e-7b3d-4e8a-9c6f-1d2e3f4a5b6c"

INLINE = {
    "ci-deploy": doc(
        stmt("CloudFormationStacks", ["cloudformation:CreateStack", "cloudformation:UpdateStack",
                                      "cloudformation:DeleteStack", "cloudformation:DescribeStacks",
                                      "cloudformation:DescribeStackEvents", "cloudformation:CreateChangeSet",
                                      "cloudformation:ExecuteChangeSet", "cloudformation:DescribeChangeSet",
                                      "cloudformation:GetTemplateSummary"],
             [f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/webapp-*/*",
              f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/CDKToolkit/*"]),
        stmt("ArtifactBucket", ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"],
             ["arn:aws:s3:::example-org-ci-artifacts-111122223333",
              "arn:aws:s3:::example-org-ci-artifacts-111122223333/*"]),
        stmt("EcrPush", ["ecr:GetAuthorizationToken"], "*"),
        stmt("EcrRepositories", ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                                 "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
                                 "ecr:BatchGetImage", "ecr:DescribeImages"],
             f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/webapp/*"),
        stmt("EcsDeploy", ["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition",
                           "ecs:DescribeTaskDefinition"], "*",
             condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        stmt("PassTaskRoles", ["iam:PassRole"], [f"arn:aws:iam::{ACCOUNT}:role/webapp-*"],
             condition={"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com",
                                                                   "cloudformation.amazonaws.com"]}}),
        stmt("ReadDeployParameters", ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
             f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/webapp/deploy/*"),
    ),
    "glue-datalake-access": doc(
        stmt("ReadRawZone", ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-datalake-raw", "arn:aws:s3:::example-org-datalake-raw/*"]),
        stmt("WriteCuratedZone", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-datalake-curated", "arn:aws:s3:::example-org-datalake-curated/*"]),
        stmt("GlueCatalog", ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables",
                             "glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions",
                             "glue:BatchCreatePartition", "glue:BatchGetPartition"],
             [f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
              f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/datalake_*",
              f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/datalake_*/*"]),
        stmt("DatalakeKey", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], KMS_DATA,
             condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}),
        logs_stmt("/aws-glue/"),
    ),
    "etl-runner-data-access": doc(
        stmt("AthenaQueries", ["athena:StartQueryExecution", "athena:GetQueryExecution",
                               "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"],
             f"arn:aws:athena:eu-west-1:{ACCOUNT}:workgroup/data-etl"),
        stmt("AthenaResults", ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation",
                               "s3:AbortMultipartUpload"],
             ["arn:aws:s3:::example-org-athena-results-eu-west-1",
              "arn:aws:s3:::example-org-athena-results-eu-west-1/data-etl/*"]),
        stmt("ReadDatalake", ["s3:GetObject", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-datalake-curated", "arn:aws:s3:::example-org-datalake-curated/*"]),
        stmt("GlueCatalogRead", ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
             [f"arn:aws:glue:eu-west-1:{ACCOUNT}:catalog",
              f"arn:aws:glue:eu-west-1:{ACCOUNT}:database/datalake_*",
              f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/datalake_*/*"]),
        stmt("DatalakeKey", ["kms:Decrypt", "kms:GenerateDataKey"], KMS_DATA),
        stmt("DenyOutsideVpce", ["s3:*"], ["arn:aws:s3:::example-org-datalake-curated/*"], effect="Deny",
             condition={"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f67890"}}),
    ),
    "codebuild-base": doc(
        stmt("", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/webapp-build",
              f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/webapp-build:*"]),
        stmt("", ["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketAcl",
                  "s3:GetBucketLocation"], ["arn:aws:s3:::codepipeline-eu-west-1-*"]),
        stmt("", ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport",
                  "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"],
             [f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:report-group/webapp-build-*"]),
    ),
    "codepipeline-webapp": doc(
        stmt("Artifacts", ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"],
             ["arn:aws:s3:::codepipeline-eu-west-1-512345678901", "arn:aws:s3:::codepipeline-eu-west-1-512345678901/*"]),
        stmt("Builds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
             f"arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/webapp-build"),
        stmt("Source", ["codestar-connections:UseConnection"],
             f"arn:aws:codestar-connections:eu-west-1:{ACCOUNT}:connection/0b7e3c2a-1d4f-4a5b-8c9d-e0f1a2b3c4d5"),
    ),
    "stepfunctions-invoke": doc(
        stmt("InvokeFulfilment", ["lambda:InvokeFunction"],
             [f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:order-fulfilment-*"]),
        stmt("XRay", ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                      "xray:GetSamplingTargets"], ["*"]),
    ),
    "sagemaker-training-data": doc(
        stmt("TrainingData", ["s3:GetObject", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-ml-datasets", "arn:aws:s3:::example-org-ml-datasets/churn/*"]),
        stmt("ModelArtifacts", ["s3:PutObject", "s3:GetObject"], ["arn:aws:s3:::example-org-ml-models/churn/*"]),
        stmt("PullTrainingImages", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/ml/churn-training"),
        stmt("DatasetKey", ["kms:Decrypt", "kms:GenerateDataKey"], KMS_DATA),
    ),
    "security-audit-extras": doc(
        stmt("ExtraReadOnly", ["access-analyzer:List*", "access-analyzer:Get*", "guardduty:Get*",
                               "guardduty:List*", "inspector2:List*", "securityhub:Get*", "securityhub:List*",
                               "securityhub:Describe*", "macie2:List*", "macie2:Get*"], "*"),
        stmt("DenyDataAccess", ["s3:GetObject", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan",
                                "secretsmanager:GetSecretValue"], "*", effect="Deny"),
    ),
    "incident-response-isolate": doc(
        stmt("IsolateInstances", ["ec2:ModifyInstanceAttribute", "ec2:CreateSnapshot", "ec2:CreateTags",
                                  "ec2:StopInstances"], "*",
             condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1", "us-east-1"]}}),
        stmt("DisableKeys", ["iam:UpdateAccessKey", "iam:ListAccessKeys", "iam:AttachUserPolicy"],
             f"arn:aws:iam::{ACCOUNT}:user/*"),
    ),
    "deny-org-leave": doc(
        stmt("DenyLeavingOrganization", ["organizations:LeaveOrganization"], "*", effect="Deny"),
    ),
    "reporting-export-s3": doc(
        stmt("ReadReports", ["s3:GetObject", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-finance-reports", "arn:aws:s3:::example-org-finance-reports/*"]),
        stmt("Export", ["s3:PutObject"], "arn:aws:s3:::example-org-finance-exports/*"),
    ),
    "payments-webhook-dynamodb": doc(
        stmt("Events", ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"],
             [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/payments-webhook-events",
              f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/payments-webhook-events/index/*"]),
        stmt("SigningSecret", ["secretsmanager:GetSecretValue"],
             f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:payments/webhook-signing-key-*"),
    ),
    "datadog-integration": doc(
        stmt("DatadogRead", ["apigateway:GET", "autoscaling:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
                             "cloudwatch:Describe*", "ec2:Describe*", "ecs:Describe*", "ecs:List*",
                             "elasticloadbalancing:Describe*", "lambda:List*", "logs:Describe*",
                             "logs:FilterLogEvents", "rds:Describe*", "rds:List*", "s3:GetBucketTagging",
                             "sqs:ListQueues", "tag:GetResources"], "*"),
    ),
    "cost-explorer-read": doc(
        stmt("CostExplorer", ["ce:GetCostAndUsage", "ce:GetCostForecast", "ce:GetDimensionValues"], "*"),
        stmt("Export", ["s3:PutObject"], "arn:aws:s3:::example-org-finance-exports/cost-explorer/*"),
    ),
    "redshift-unload-s3": doc(
        stmt("Unload", ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket"],
             ["arn:aws:s3:::example-org-redshift-unload", "arn:aws:s3:::example-org-redshift-unload/*"]),
    ),
    "load-test-results-s3": doc(
        stmt("Results", ["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::example-org-qa-load-tests/results/*"),
        logs_stmt("/ecs/qa-load-test"),
    ),
    "archive-to-glacier-s3": doc(
        stmt("Archive", ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging", "s3:RestoreObject"],
             ["arn:aws:s3:::example-org-archive/*"]),
    ),
    "webapp-api-data-access": doc(
        stmt("Tables", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                        "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                        "dynamodb:ConditionCheckItem"],
             [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/webapp-users",
              f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/webapp-users/index/*",
              f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/webapp-sessions",
              f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/webapp-orders",
              f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/webapp-orders/index/*"]),
        stmt("Uploads", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "arn:aws:s3:::example-org-webapp-uploads/*"),
        stmt("Queue", ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
             f"arn:aws:sqs:eu-west-1:{ACCOUNT}:webapp-order-events"),
        stmt("Secrets", ["secretsmanager:GetSecretValue"],
             [f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:webapp/api/*"]),
        stmt("Email", ["ses:SendEmail", "ses:SendTemplatedEmail"], "*",
             condition={"StringEquals": {"ses:FromAddress": "no-reply@example.org"}}),
    ),
    "thumbnailer-s3": doc(
        stmt("Originals", ["s3:GetObject"], "arn:aws:s3:::example-org-webapp-uploads/originals/*"),
        stmt("Thumbnails", ["s3:PutObject"], "arn:aws:s3:::example-org-webapp-uploads/thumbnails/*"),
    ),
}


# --------------------------------------------------------------------------------------------
# Deterministic IDs, timestamps, formatting
# --------------------------------------------------------------------------------------------

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # AWS unique IDs: uppercase letters and digits


def unique_id(prefix, seed):
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(ID_ALPHABET[b % 32] for b in digest[:17])


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def whole_days(t):
    """floor((NOW - t) / 24h)."""
    return (NOW - t) // timedelta(days=1)


def check_row(r):
    """Assert the stated rule's own condition holds (catches typos in SCENARIOS)."""
    name, expect, created, used = r["name"], r["expect"], r["created"], r["used"]
    assert created <= NOW, name
    if used is not None:
        assert created <= used <= NOW, f"{name}: last use must be between CreateDate and NOW"
    kind = expect[0] if isinstance(expect, tuple) else expect
    age = whole_days(created)
    assert (r["permission_set"] is not None) == r["path"].startswith(SSO_PREFIX), \
        f"{name}: permission_set is given exactly for Identity Center roles"
    keep = [t["Value"] for t in r["tags"] or [] if t["Key"] == EXEMPT_TAG_KEY]
    if kind == TAG:
        assert (r["exempt_until"] is not None) == keep[0].lower().startswith("until"), name
    if r["exempt_until"] is not None:
        assert kind == TAG and keep[0].lower().startswith("until=") and r["exempt_until"] in keep[0], name
    if r["ignored"] is not None:
        assert kind not in (SLR, ALLOW, TAG) and keep and keep[0].lower().startswith("until"), name
        if r["ignored"][0] == EXPIRED:
            assert datetime.fromisoformat(r["ignored"][1]).date() < NOW.date(), name
    if kind == SLR:
        assert r["path"].startswith("/aws-service-role/"), name
    elif kind == ALLOW:
        pattern = expect[1]
        assert pattern in ALLOWLIST and fnmatch.fnmatchcase(r["path"] + name, pattern), name
    elif kind == TAG:
        assert keep, name
    elif kind == YOUNG:
        assert age <= MAX_DAYS, name
    elif kind == NEVER:
        assert used is None and age > MAX_DAYS, name
    elif kind == STALE:
        assert used is not None and age > MAX_DAYS and whole_days(used) > MAX_DAYS, name
    elif kind == RECENT:
        assert used is not None and age > MAX_DAYS and whole_days(used) <= MAX_DAYS, name
    else:
        raise AssertionError(f"{name}: unknown expectation {expect!r}")
    return kind


def readme_row(r, identity_center_roles="evaluate"):
    """The README rules-table row that decides the role (3b: a dated exemption)."""
    kind = check_row(r)
    if r["permission_set"] is not None and identity_center_roles == "exclude":
        return text.IDENTITY_CENTER_EXCLUDED
    if kind == TAG and r["exempt_until"]:
        return text.EXEMPT_UNTIL
    return kind


def expected_for(r, identity_center_roles="evaluate", wording=text.STABLE):
    """ComplianceType and Annotation: the README's, for the rule the row states (wording AGES:
    the verdict as role-audit's table words it)."""
    rule = readme_row(r, identity_center_roles)
    ignored = None
    if r["ignored"] is not None:
        value = next(t["Value"] for t in r["tags"] if t["Key"] == EXEMPT_TAG_KEY)
        problem = r["ignored"][0]
        ignored = text.Ignored(problem, r["ignored"][1] if problem == EXPIRED else value)
    annotation = text.annotation(
        rule, r["name"], max_days=MAX_DAYS, exempt_tag_key=EXEMPT_TAG_KEY,
        created_days=whole_days(r["created"]), created_on=r["created"].date(),
        used_days=whole_days(r["used"]) if r["used"] is not None else None,
        used_on=r["used"].date() if r["used"] is not None else None,
        region=r["region"], pattern=r["expect"][1] if isinstance(r["expect"], tuple) else None,
        exempt_until=r["exempt_until"], exempt_note=r["exempt_note"],
        permission_set=r["permission_set"], ignored=ignored, wording=wording)
    assert len(annotation) <= 256, r["name"]
    return rule.compliance, annotation


# --------------------------------------------------------------------------------------------
# Building the snapshot
# --------------------------------------------------------------------------------------------

def role_arn(r):
    return f"arn:aws:iam::{ACCOUNT}:role{r['path']}{r['name']}"


def instance_profile(r, role_id):
    created = r["created"] + timedelta(seconds=1)  # console creates the profile right after the role
    return {
        "Path": "/",
        "InstanceProfileName": r["name"],
        "InstanceProfileId": unique_id("AIPA", "instance-profile:" + r["name"]),
        "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{r['name']}",
        "CreateDate": iso(created),
        "Roles": [{
            "Path": r["path"],
            "RoleName": r["name"],
            "RoleId": role_id,
            "Arn": role_arn(r),
            "CreateDate": iso(r["created"]),
            "AssumeRolePolicyDocument": trust_for(r["trust"]),
        }],
    }


def role_detail(r):
    role_id = unique_id("AROA", "role:" + r["name"])
    detail = {
        "Path": r["path"],
        "RoleName": r["name"],
        "RoleId": role_id,
        "Arn": role_arn(r),
        "CreateDate": iso(r["created"]),
        "AssumeRolePolicyDocument": trust_for(r["trust"]),
        "InstanceProfileList": [instance_profile(r, role_id)] if r["profile"] else [],
        "RolePolicyList": [{"PolicyName": k, "PolicyDocument": INLINE[k]}
                           for k in r["inline"]],
        "AttachedManagedPolicies": [managed_for(m) for m in r["managed"]],
    }
    if r["boundary"]:
        detail["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/{r['boundary']}",
        }
    if r["tags"] is not None:
        detail["Tags"] = r["tags"]
    last_used = {}
    if r["used"] is not None:
        last_used["LastUsedDate"] = iso(r["used"])
        if r["region"]:
            last_used["Region"] = r["region"]
    detail["RoleLastUsed"] = last_used
    return detail


def write_json(path, obj, check):
    """Writes obj as JSON; with check, only compares and returns whether it differs."""
    text = json.dumps(obj, indent=2) + "\n"
    if check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        if not same:
            print(f"{path.name} is out of date: run python3 scripts/make_snapshot.py", file=sys.stderr)
        return not same
    path.write_text(text, encoding="utf-8")
    return False


# The README promises at least this many roles in the bundled snapshot for each rule.
MIN_ROLES_PER_RULE = 2


def check_rules_table(readme, snapshot):
    """What is wrong between README.md's rules table, SCENARIOS and the snapshot file: a result
    column that is not the scenario table's compliance, or a rule with fewer than
    MIN_ROLES_PER_RULE roles in `snapshot` (1b counts the Identity Center roles, which the
    bundled exclude run turns NOT_APPLICABLE). Row "–" is for roles that no longer exist, so
    no snapshot of roles holds one."""
    problems = text.check_readme_rules_table(readme)
    present = {d["RoleName"] for d in snapshot["RoleDetailList"]}
    counts = Counter()
    for r in SCENARIOS:
        if r["name"] not in present:
            continue
        counts[readme_row(r)] += 1
        if readme_row(r, "exclude") == text.IDENTITY_CENTER_EXCLUDED:
            counts[text.IDENTITY_CENTER_EXCLUDED] += 1
    for rule in text.RULES:
        if rule != text.ROLE_GONE and counts[rule] < MIN_ROLES_PER_RULE:
            problems.append(f"row {rule.row} has {counts[rule]} roles in events/account-snapshot.json, "
                            f"the README promises at least {MIN_ROLES_PER_RULE}")
    return problems


def main():
    check = "--check" in sys.argv[1:]
    events = ROOT / "events"
    events.mkdir(exist_ok=True)

    names = [r["name"] for r in SCENARIOS]
    assert len(set(n.lower() for n in names)) == len(names), "role names must be unique (case-insensitive)"

    roles = [role_detail(r) for r in SCENARIOS]
    ids = [d["RoleId"] for d in roles]
    assert len(set(ids)) == len(ids) and all(len(i) == 21 for i in ids), "RoleIds must be unique, 21 chars"

    def expected_with(identity_center_roles):
        rows = []
        for r, d in zip(SCENARIOS, roles):
            compliance, annotation = expected_for(r, identity_center_roles)
            _, detail = expected_for(r, identity_center_roles, text.AGES)
            rows.append({"RoleName": d["RoleName"], "RoleId": d["RoleId"],
                         "ComplianceType": compliance, "Annotation": annotation,
                         "Detail": detail})
        return rows

    expected = expected_with("evaluate")
    expected_ic_excluded = expected_with("exclude")

    snapshot = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": []}
    # With --check the file is compared with `snapshot` below, so this is what the file holds.
    problems = check_rules_table((ROOT / "README.md").read_text(encoding="utf-8"), snapshot)
    for problem in problems:
        print(f"make_snapshot: {problem}", file=sys.stderr)
    if problems and not check:
        sys.exit(1)
    stale = [write_json(events / name, obj, check) for name, obj in (
        ("account-snapshot.json", snapshot),
        ("account-snapshot.expected.json", expected),
        ("account-snapshot.parameters.json", PARAMETERS),
        ("account-snapshot.identity-center-exclude.expected.json", expected_ic_excluded),
    )]
    if check:
        if any(stale) or problems:
            sys.exit(1)
        print(f"events/account-snapshot*.json are up to date ({len(roles)} roles), and README.md's "
              f"rules table agrees with the scenario table, each rule with "
              f"{MIN_ROLES_PER_RULE}+ roles")
        users_example()
        return

    counts = Counter(e["ComplianceType"] for e in expected)
    print(f"wrote {len(roles)} roles to events/account-snapshot.json (+ .expected.json, .parameters.json, "
          f".identity-center-exclude.expected.json), NOW={NOW.isoformat()}")
    excluded = Counter(e["ComplianceType"] for e in expected_ic_excluded)
    print(f"  {'':15} {'':>3}  with identity_center_roles=exclude")
    for ctype in ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"):
        print(f"  {ctype:15} {counts.get(ctype, 0):3}  {excluded.get(ctype, 0)}")
    users_example()


def users_example():
    """The users rule's bundled example, written (or checked) the same way."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_user_snapshot  # noqa: E402
    make_user_snapshot.main()


if __name__ == "__main__":
    main()
