"""The 2 500-role account of the end-to-end scenario, and what the rule must say of each role.

Every role comes from one row of `KINDS`. A row STATES the rule that decides the role (the
README's table, rows 1-7) and the ComplianceType that rule gives; the expected annotation is
formatted from that stated rule and the row's own day counts. Nothing here re-implements the
rule engine: the only arithmetic is turning "N days ago" into a timestamp.

Timestamps are relative to the moment the account is built, in UTC, each placed N days and
12 hours back; the dates of dated exemptions (`until=DATE`) are 30 days either side of that
day, so no midnight between seeding and evaluation can move them across today. The function counts whole days as floor((now - t) / 24 h) with its own clock, so
it sees exactly N days as long as it runs within 12 hours of the seeding (in practice seconds),
and no date or midnight boundary can move a result.

The rule parameters are those of events/scheduled-testmode.json.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from . import annotation_text as text
from .annotation_text import COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE  # noqa: F401 (re-exported)

MAX_DAYS = 60
EXEMPT_TAG_KEY = "keep"
MARGIN = timedelta(hours=12)

TOTAL_ROLES = 2500

# The README's rules, in the order the first match wins.
SERVICE_LINKED = text.SERVICE_LINKED
ALLOWLISTED = text.ALLOWLISTED
EXEMPT_BY_TAG = text.EXEMPT_BY_TAG  # dated or not: the row's keep_until_days says
YOUNG = text.YOUNG
NO_USE_RECORDED = text.NO_USE_RECORDED
UNUSED_TOO_LONG = text.UNUSED_TOO_LONG
USED_RECENTLY = text.USED_RECENTLY


@dataclass(frozen=True)
class Kind:
    """A row: a family of roles that one rule decides, and how to build one of them."""

    slug: str  # names the row; unique
    rule: text.Rule  # the rule that must decide these roles
    path: str
    name: str  # "{n}" is replaced by a per-role number (omit it for a one-off role)
    created_days_ago: int
    used_days_ago: int | None = None  # None: IAM recorded no use
    region: str | None = None  # RoleLastUsed.Region; None: IAM gave none
    tags: tuple[tuple[str, str], ...] = ()
    pattern: str | None = None  # for ALLOWLISTED: the pattern that must match first
    one_off: bool = False  # exactly one role of this row (a name without "{n}")
    # Identity Center roles (path under /aws-reserved/sso.amazonaws.com/): the permission set
    # their name gives; NON_COMPLIANT ones name it in the annotation.
    permission_set: str | None = None
    # A dated exemption: tag keep=until=<build day + this many days> e2e (a space: IAM tag
    # values allow no ";").
    keep_until_days: int | None = None
    # The exempt tag did not exempt: "expired" or "invalid" (its value is not a date).
    ignored: str | None = None


SL_ELB = "/aws-service-role/elasticloadbalancing.amazonaws.com/"
SL_SSO = "/aws-service-role/sso.amazonaws.com/"
IDENTITY_CENTER = "/aws-reserved/sso.amazonaws.com/"
IDENTITY_CENTER_EU_WEST_2 = IDENTITY_CENTER + "eu-west-2/"
KEEP = ((EXEMPT_TAG_KEY, "forever"),)

KINDS: list[Kind] = [
    # 1 service-linked: NOT_APPLICABLE whatever else is true of them.
    Kind("sl-stale", SERVICE_LINKED, SL_ELB, "AWSServiceRoleForElasticLoadBalancing_{n}", 900, 300, "us-east-1"),
    Kind("sl-never", SERVICE_LINKED, SL_SSO, "AWSServiceRoleForSSO_{n}", 900),
    Kind("sl-young", SERVICE_LINKED, SL_SSO, "AWSServiceRoleForSSO_young{n}", 3),
    Kind("sl-kept", SERVICE_LINKED, SL_ELB, "AWSServiceRoleForElasticLoadBalancing_kept{n}", 900, tags=KEEP),
    # 2 allowlisted by the first matching pattern, before tags and dates.
    Kind("breakglass", ALLOWLISTED, "/", "breakglass-role", 900, pattern="/breakglass-role", one_off=True),
    Kind("security-root", ALLOWLISTED, "/", "security-audit-{n}", 900, 200, "us-east-1", pattern="/security-*"),
    Kind("security-path", ALLOWLISTED, "/security-team/", "reader-{n}", 900, pattern="/security-*"),
    Kind("security-nested-path", ALLOWLISTED, "/security-team/service-role/", "scanner-{n}", 900, pattern="/security-*"),
    Kind("service-role", ALLOWLISTED, "/service-role/", "codebuild-project-{n}", 900, 120, "eu-west-1", pattern="/service-role/*"),
    Kind("service-role-kept", ALLOWLISTED, "/service-role/", "kept-too-{n}", 900, tags=KEEP, pattern="/service-role/*"),
    # 2, near misses: no pattern matches, a later rule decides.
    Kind("breakglass-suffix", NO_USE_RECORDED, "/", "breakglass-role-{n}", 900),
    Kind("security-not-at-root", UNUSED_TOO_LONG, "/team/", "security-{n}", 900, 90, "us-east-1"),
    Kind("security-wrong-case", UNUSED_TOO_LONG, "/", "Security-{n}", 900, 61),
    Kind("service-roles-plural", NO_USE_RECORDED, "/service-roles/", "batch-{n}", 500),
    # 3 exempt by the tag key (any value, exact case), before dates.
    Kind("kept-never", EXEMPT_BY_TAG, "/", "legacy-kept-{n}", 900, tags=KEEP),
    Kind("kept-stale", EXEMPT_BY_TAG, "/app/", "kept-stale-{n}", 900, 365, "ap-southeast-2", tags=KEEP),
    Kind("kept-empty-value", EXEMPT_BY_TAG, "/", "kept-empty-{n}", 900, tags=((EXEMPT_TAG_KEY, ""), ("team", "data"))),
    Kind("kept-young", EXEMPT_BY_TAG, "/", "kept-young-{n}", 2, tags=KEEP),
    # 3, near misses: the key differs, a later rule decides.
    Kind("tag-wrong-case", NO_USE_RECORDED, "/", "tag-Keep-{n}", 900, tags=(("Keep", "yes"),)),
    Kind("tag-longer-key", UNUSED_TOO_LONG, "/", "tag-keep-until-{n}", 900, 100, "us-east-1", tags=(("keep-until", "2027-01-01"),)),
    Kind("tag-in-value", NO_USE_RECORDED, "/", "tag-value-keep-{n}", 900, tags=(("policy", EXEMPT_TAG_KEY),)),
    # 3, dated: exempt through the date; after it, or with a value that is not a date, evaluated.
    Kind("kept-until-future", EXEMPT_BY_TAG, "/", "kept-until-{n}", 900, keep_until_days=30),
    Kind("kept-until-past", NO_USE_RECORDED, "/", "kept-expired-{n}", 900, keep_until_days=-30, ignored="expired"),
    Kind("kept-until-invalid", UNUSED_TOO_LONG, "/", "kept-invalid-{n}", 900, 100, "us-east-1",
         tags=((EXEMPT_TAG_KEY, "until=soon"),), ignored="invalid"),
    # Identity Center roles are evaluated (the default); NON_COMPLIANT ones name the permission set.
    # The name's 16 hex digits: the 3-digit role number and 13 more.
    Kind("identity-center-never", NO_USE_RECORDED, IDENTITY_CENTER, "AWSReservedSSO_Ops_Team_{n}a1b2c3d4e5f67", 900,
         permission_set="Ops_Team"),
    Kind("identity-center-stale", UNUSED_TOO_LONG, IDENTITY_CENTER_EU_WEST_2, "AWSReservedSSO_ReadOnly_{n}0123456789abc",
         900, 100, "eu-west-2", permission_set="ReadOnly"),
    Kind("identity-center-recent", USED_RECENTLY, IDENTITY_CENTER_EU_WEST_2, "AWSReservedSSO_Admin_{n}fedcba9876543",
         900, 2, "eu-west-2", permission_set="Admin"),
    # 4 younger than the threshold (60 days at most): compliant whether used or not.
    Kind("young-0", YOUNG, "/", "new-today-{n}", 0),
    Kind("young-1", YOUNG, "/", "new-yesterday-{n}", 1),
    Kind("young-30-used", YOUNG, "/apps/", "new-used-{n}", 30, 2, "eu-west-1"),
    Kind("young-60", YOUNG, "/", "sixty-days-old-{n}", 60),
    # 5 older than the threshold and no use recorded.
    Kind("never-61", NO_USE_RECORDED, "/", "sixty-one-days-old-{n}", 61),
    Kind("never-400", NO_USE_RECORDED, "/ops/", "never-used-{n}", 400),
    Kind("never-900", NO_USE_RECORDED, "/", "ancient-{n}", 900),
    # 6 last used more than the threshold ago, with and without a region.
    Kind("stale-61", UNUSED_TOO_LONG, "/", "stale-61-{n}", 900, 61, "us-east-1"),
    Kind("stale-61-no-region", UNUSED_TOO_LONG, "/", "stale-61-noregion-{n}", 900, 61),
    Kind("stale-399", UNUSED_TOO_LONG, "/batch/", "stale-399-{n}", 900, 399, "eu-central-1"),
    Kind("stale-young-role", UNUSED_TOO_LONG, "/", "stale-created-62-{n}", 62, 61, "us-west-2"),
    # 7 used within the threshold, with and without a region.
    Kind("recent-0", USED_RECENTLY, "/", "used-today-{n}", 900, 0, "eu-west-1"),
    Kind("recent-1", USED_RECENTLY, "/", "used-yesterday-{n}", 900, 1, "us-east-1"),
    Kind("recent-1-no-region", USED_RECENTLY, "/", "used-yesterday-noregion-{n}", 900, 1),
    Kind("recent-3", USED_RECENTLY, "/web/", "used-3-{n}", 500, 3, "eu-west-1"),
    Kind("recent-60", USED_RECENTLY, "/", "used-60-{n}", 900, 60, "sa-east-1"),
    Kind("recent-60-no-region", USED_RECENTLY, "/", "used-60-noregion-{n}", 900, 60),
]


@dataclass(frozen=True)
class RoleSpec:
    kind: Kind
    name: str
    path: str
    created: datetime
    last_used: datetime | None
    region: str | None
    tags: list[dict[str, str]]
    expected_compliance: str
    expected_annotation: str
    expected_days_since_last_use: int | None
    # The same verdict with ages, as role-audit's table words it.
    expected_detail: str = ""


def expected_annotation(
    kind: Kind, name: str, now: datetime, keep_until: date | None = None, wording: str = text.STABLE
) -> str:
    """The README's annotation for the rule the row states, with what the README adds to it
    (wording AGES: the same verdict as role-audit's table words it). The days it states are
    those of the timestamps build_account gives the role."""
    ignored = None
    if kind.ignored == "expired":
        ignored = text.Ignored(text.EXPIRED, keep_until.isoformat())
    elif kind.ignored == "invalid":
        ignored = text.Ignored(text.NOT_A_DATE, dict(kind.tags)[EXEMPT_TAG_KEY])
    dated = kind.rule == EXEMPT_BY_TAG and kind.keep_until_days is not None
    return text.annotation(
        text.EXEMPT_UNTIL if dated else kind.rule, name, max_days=MAX_DAYS,
        exempt_tag_key=EXEMPT_TAG_KEY, created_days=kind.created_days_ago,
        created_on=_ago(now, kind.created_days_ago).date(), used_days=kind.used_days_ago,
        used_on=_ago(now, kind.used_days_ago).date() if kind.used_days_ago is not None else None,
        region=kind.region, pattern=kind.pattern,
        exempt_until=keep_until.isoformat() if dated else None, exempt_note="e2e" if dated else None,
        permission_set=kind.permission_set, ignored=ignored, wording=wording,
    )


def _ago(now: datetime, n: int) -> datetime:
    """n days (and MARGIN) before now, in UTC: every timestamp of the account."""
    return (now - timedelta(days=n) - MARGIN).astimezone(timezone.utc)


def _check_row(kind: Kind) -> None:
    """Catches typos in the table: the stated rule's own condition must hold for the row's data
    (not a second rule engine: precedence is what the rows state)."""
    tagged = any(key == EXEMPT_TAG_KEY for key, _ in kind.tags) or kind.keep_until_days is not None
    # A tag that does not exempt (expired, invalid) counts as none.
    has_tag = tagged and kind.ignored is None
    old = kind.created_days_ago > MAX_DAYS
    checks = {
        SERVICE_LINKED: kind.path.startswith("/aws-service-role/"),
        ALLOWLISTED: kind.pattern is not None,
        EXEMPT_BY_TAG: has_tag,
        YOUNG: not old,
        NO_USE_RECORDED: old and kind.used_days_ago is None and not has_tag,
        UNUSED_TOO_LONG: old and kind.used_days_ago is not None and kind.used_days_ago > MAX_DAYS and not has_tag,
        USED_RECENTLY: old and kind.used_days_ago is not None and kind.used_days_ago <= MAX_DAYS and not has_tag,
    }
    if not checks[kind.rule]:
        raise AssertionError(f"row {kind.slug}: its data does not fit rule {kind.rule}")
    if (kind.permission_set is not None) != kind.path.startswith(IDENTITY_CENTER):
        raise AssertionError(f"row {kind.slug}: permission_set is given exactly for Identity Center roles")
    if kind.ignored == "expired" and not (kind.keep_until_days is not None and kind.keep_until_days < 0):
        raise AssertionError(f"row {kind.slug}: an expired exemption has a date in the past")
    if kind.region and kind.used_days_ago is None:
        raise AssertionError(f"row {kind.slug}: a region without a last use")
    if ("{n}" in kind.name) == kind.one_off:
        raise AssertionError(f"row {kind.slug}: one_off rows have a fixed name, others a {{n}}")


def build_account(now: datetime, total: int = TOTAL_ROLES) -> list[RoleSpec]:
    """`total` roles, the rows taken in turn so every rule appears on every IAM page."""
    assert now.tzinfo is not None
    slugs = [kind.slug for kind in KINDS]
    assert len(set(slugs)) == len(slugs), "row slugs must be unique"
    for kind in KINDS:
        _check_row(kind)

    def ago(n: int) -> datetime:
        return _ago(now, n)

    roles: list[RoleSpec] = []
    one_offs_done: set[str] = set()
    counters = {kind.slug: 0 for kind in KINDS}
    for kind in itertools.cycle(KINDS):
        if len(roles) == total:
            break
        if kind.one_off:
            if kind.slug in one_offs_done:
                continue
            one_offs_done.add(kind.slug)
            name = kind.name
        else:
            counters[kind.slug] += 1
            name = kind.name.replace("{n}", f"{counters[kind.slug]:03d}")
        used = ago(kind.used_days_ago) if kind.used_days_ago is not None else None
        tags = [{"Key": key, "Value": value} for key, value in kind.tags]
        keep_until = None
        if kind.keep_until_days is not None:
            keep_until = now.astimezone(timezone.utc).date() + timedelta(days=kind.keep_until_days)
            tags.append({"Key": EXEMPT_TAG_KEY, "Value": f"until={keep_until.isoformat()} e2e"})
        roles.append(
            RoleSpec(
                kind=kind,
                name=name,
                path=kind.path,
                created=ago(kind.created_days_ago),
                last_used=used,
                region=kind.region,
                tags=tags,
                expected_compliance=kind.rule.compliance,
                expected_annotation=expected_annotation(kind, name, now, keep_until),
                expected_detail=expected_annotation(kind, name, now, keep_until, text.AGES),
                expected_days_since_last_use=(
                    kind.used_days_ago if kind.rule in (UNUSED_TOO_LONG, USED_RECENTLY) else None
                ),
            )
        )
    names = [role.name for role in roles]
    assert len(set(names)) == len(names), "role names must be unique"
    return roles

