"""The users account of the end-to-end scenario, and what the users rule must say of each user.

Every user comes from one row of `USERS`. A row STATES the rule that decides the user (the
README's users table, first match wins) and so the ComplianceType; the expected annotation is
written from that stated rule and the row's own facts by `expected_annotation`, a small writer
of the README's texts, not the rule engine: nothing here decides which rule applies, and the
only arithmetic is turning "N days ago" into a timestamp.

The credential report is generated REPORT_AGE before the account is built ("now"), and every
credential timestamp is N days and 12 hours before now, so as of the report it is N days and
11 hours old: the function counts whole days as of the report's generation time, and sees N.
Three rows exercise the join of the two sources (IAM's user list and the report):
  created-after-report   created after the report was generated, so not in it: COMPLIANT,
                         judged from the next report;
  missing-from-report    created long before the report but absent from it (created in moto
                         after the snapshot, with an older CreateDate): INSUFFICIENT_DATA,
                         never sent, never NON_COMPLIANT;
  deleted-since-report   in the report, deleted from IAM before the run: not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from .fake_aws import AccessKeySpec

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

MAX_DAYS = 45
EXEMPT_TAG_KEY = "keep"
ALLOWLIST = "/breakglass-user|/automation/*"
PARAMETERS = {
    "max_days_for_last_used": str(MAX_DAYS),
    "user_allowlist": ALLOWLIST,
    "exempt_tag_key": EXEMPT_TAG_KEY,
}
MARGIN = timedelta(hours=12)
REPORT_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class Rule:
    name: str
    compliance: str


# The README's users rules, in the order the first match wins, and the join's cases.
ALLOWLISTED = Rule("allowlisted", COMPLIANT)
EXEMPT_BY_TAG = Rule("exempt by tag", COMPLIANT)
CREATED_AFTER_REPORT = Rule("created after the report", COMPLIANT)
NOT_IN_REPORT = Rule("not in the report", INSUFFICIENT_DATA)
NO_CREDENTIALS = Rule("no active credential", COMPLIANT)
UNUSED = Rule("an active credential unused too long", NON_COMPLIANT)
USED = Rule("every active credential used recently", COMPLIANT)
DELETED = Rule("deleted since the report", "")  # not evaluated at all


@dataclass(frozen=True)
class Key:
    """An access key: created N days ago, used M days ago (None: never), active or not."""

    created_days: int
    used_days: int | None = None
    region: str = "N/A"
    service: str = "N/A"
    active: bool = True


@dataclass(frozen=True)
class Row:
    slug: str
    rule: Rule
    name: str
    path: str = "/"
    created_days: int = 900
    password_set_days: int | None = None  # None: no console password
    password_used_days: int | None = None  # None: never used
    keys: tuple[Key, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    pattern: str | None = None  # ALLOWLISTED: the pattern that matches first
    keep_until_days: int | None = None  # a dated exemption: now's day + this many days
    # The findings rule 4 names, in the README's order (password, key 1, key 2): by index into
    # "password" / "key1" / "key2".
    findings: tuple[str, ...] = ()
    exemption_expired: bool = False


K = Key
USERS: list[Row] = [
    # 1 allowlisted, whatever the credentials say.
    Row("breakglass", ALLOWLISTED, "breakglass-user", password_set_days=900, pattern="/breakglass-user"),
    Row("automation", ALLOWLISTED, "deployer", path="/automation/", keys=(K(800, 300, "us-east-1", "s3"),),
        pattern="/automation/*"),
    # 1, near miss: a longer name, so a later rule decides.
    Row("breakglass-suffix", UNUSED, "breakglass-user-2", password_set_days=900, findings=("password",)),
    # 2 exempt by tag, before credentials; dated until a future day; an expired date exempts no more.
    Row("kept", EXEMPT_BY_TAG, "kept-forever", keys=(K(800),), tags=((EXEMPT_TAG_KEY, "forever"),)),
    Row("kept-until-future", EXEMPT_BY_TAG, "kept-until", password_set_days=300, keep_until_days=30),
    Row("kept-until-past", UNUSED, "kept-expired", password_set_days=300, password_used_days=100,
        keep_until_days=-30, findings=("password",), exemption_expired=True),
    # 3 no active credential: none at all, or inactive keys only.
    Row("no-credentials", NO_CREDENTIALS, "no-credentials"),
    Row("inactive-keys-only", NO_CREDENTIALS, "inactive-keys-only",
        keys=(K(500, 400, "us-east-1", "s3", active=False), K(300, active=False))),
    # 4 / 5, the console password: never used (counted from when it was set), used.
    Row("password-never-46", UNUSED, "password-never-46", password_set_days=46, findings=("password",)),
    Row("password-never-45", USED, "password-never-45", password_set_days=45),
    Row("password-never-young", USED, "password-never-young", created_days=2, password_set_days=2),
    Row("password-used-46", UNUSED, "password-used-46", password_set_days=500, password_used_days=46,
        findings=("password",)),
    Row("password-used-45", USED, "password-used-45", password_set_days=500, password_used_days=45),
    Row("password-used-0", USED, "password-used-today", password_set_days=500, password_used_days=0),
    Row("password-used-400", UNUSED, "password-used-400", password_set_days=800, password_used_days=400,
        findings=("password",)),
    # 4 / 5, the password set (reset) after the last sign-in: the report's last use is the user's
    # last sign-in, with an earlier password, so this one counts from when it was set.
    Row("password-reset-5", USED, "password-reset-after-sign-in", password_set_days=5,
        password_used_days=300),
    Row("password-reset-46", UNUSED, "password-reset-46", password_set_days=46, password_used_days=200,
        findings=("password",)),
    # 4 / 5, key 1 and key 2: used, never used (counted from its creation), young.
    Row("key1-used-46", UNUSED, "key1-used-46", keys=(K(500, 46, "us-east-1", "s3"),), findings=("key1",)),
    Row("key1-used-45", USED, "key1-used-45", keys=(K(500, 45, "eu-west-1", "ec2"),)),
    Row("key2-used-46", UNUSED, "key2-used-46",
        keys=(K(500, 1, "us-east-1", "ec2"), K(300, 46, "eu-west-1", "sts")), findings=("key2",)),
    Row("key2-used-45", USED, "key2-used-45", keys=(K(500, 3, "us-east-1", "ec2"), K(300, 45, "eu-west-1", "sts"))),
    Row("key1-never-46", UNUSED, "key1-never-46", keys=(K(46),), findings=("key1",)),
    Row("key1-never-1", USED, "key1-created-yesterday", created_days=1, keys=(K(1),)),
    Row("key2-never-120", UNUSED, "key2-never-120", keys=(K(500, 2, "us-east-1", "s3"), K(120)),
        findings=("key2",)),
    Row("key2-never-45", USED, "key2-never-45", keys=(K(500, 2, "us-east-1", "s3"), K(45))),
    # 4: every stale credential is named.
    Row("three-findings", UNUSED, "three-findings", password_set_days=800, password_used_days=100,
        keys=(K(700, 200, "ap-southeast-2", "lambda"), K(90)), findings=("password", "key1", "key2")),
    # Inactive keys are no findings, stale or not.
    Row("inactive-stale-active-recent", USED, "inactive-and-recent",
        keys=(K(500, 400, "us-east-1", "s3", active=False), K(300, 2, "us-east-1", "sts"))),
    Row("inactive-and-stale-password", UNUSED, "inactive-and-stale-password", password_set_days=600,
        password_used_days=60, keys=(K(500, 1, "us-east-1", "s3", active=False),), findings=("password",)),
    # A name with the characters IAM allows that CSV must quote or that look like syntax.
    Row("special-name", UNUSED, "svc.report,ops+q=1@example.com", path="/ext/",
        keys=(K(400, 50, "us-east-1", "s3"),), findings=("key1",)),
    Row("mixed-used", USED, "mixed-used", password_set_days=300, password_used_days=10,
        keys=(K(200, 5, "eu-central-1", "dynamodb"),)),
    # The join of the two sources.
    Row("created-after-report", CREATED_AFTER_REPORT, "created-after-report", created_days=0,
        password_set_days=0),
    Row("missing-from-report", NOT_IN_REPORT, "missing-from-report", created_days=10, keys=(K(10),)),
    Row("deleted-since-report", DELETED, "deleted-since-report", keys=(K(400, 300, "us-east-1", "s3"),)),
]


@dataclass
class UserSpec:
    row: Row
    name: str
    path: str
    created: datetime
    tags: list[dict[str, str]]
    password_set: datetime | None
    password_last_used: datetime | None
    keys: list[AccessKeySpec]
    keep_until: date | None
    expected_compliance: str
    expected_annotation: str
    user_id: str = ""  # set once created in moto
    extra: dict = field(default_factory=dict)


def _date(now: datetime, days_ago: int) -> str:
    return (now - timedelta(days=days_ago) - MARGIN).astimezone(timezone.utc).date().isoformat()


def _password_set_after_sign_in(row: Row) -> bool:
    """The password was set after the user's last sign-in (the report's password_last_used is
    the last sign-in, whatever password it used): it is unused since it was set. Days are
    whole days ago, all at the same time of day, so fewer days is later."""
    return (row.password_set_days is not None and row.password_used_days is not None
            and row.password_set_days < row.password_used_days)  # fmt: skip


def _describe(row: Row, which: str, now: datetime) -> str:
    """The README's words for one credential unused too long: the days of its last use or of
    when it was set, never its age."""
    if which == "password":
        if _password_set_after_sign_in(row):
            return f"password not used since it was set {_date(now, row.password_set_days)}"
        if row.password_used_days is None:
            return f"password never used, set {_date(now, row.password_set_days)}"
        return f"password last used {_date(now, row.password_used_days)}"
    slot = int(which[-1])
    key = row.keys[slot - 1]
    head = f"access key {slot} (created {_date(now, key.created_days)})"
    if key.used_days is None:
        return f"{head} never used"
    return f"{head} last used {_date(now, key.used_days)} in {key.region} by {key.service}"


def expected_annotation(
    row: Row, now: datetime, report_generated: datetime, keep_until: date | None,
    created: datetime | None = None,
) -> str:  # fmt: skip
    """The README's annotation for the rule the row states, with what it adds (inactive keys,
    an exemption that no longer holds)."""
    name = row.name
    rule = row.rule
    if rule == ALLOWLISTED:
        return f"{name}: allowlisted by pattern {row.pattern}"
    if rule == EXEMPT_BY_TAG:
        if keep_until is not None:
            return f"{name}: exempt by tag {EXEMPT_TAG_KEY} until {keep_until.isoformat()} (e2e)"
        return f"{name}: exempt by tag {EXEMPT_TAG_KEY}"
    if rule == CREATED_AFTER_REPORT:
        return f"{name}: created {_stamp(created)}, after the credential report; judged from the next report"
    if rule == NOT_IN_REPORT:
        return (f"{name}: not in the credential report generated {_stamp(report_generated)}, "
                "though created before it; not judged this run")  # fmt: skip
    if rule == NO_CREDENTIALS:
        text = f"{name}: no active credential (no console password, no active access key)"
    elif rule == UNUSED:
        count = "1 active credential" if len(row.findings) == 1 else f"{len(row.findings)} active credentials"
        findings = "; ".join(_describe(row, which, now) for which in row.findings)
        # Quarantine never deletes a console password: the annotation says a person must.
        advice = " (password: delete by hand, quarantine keeps it)" if "password" in row.findings else ""
        text = f"{name}: {count} unused for over {MAX_DAYS} days{advice}: {findings}"
    elif rule == USED:
        # Each credential's last use moves daily: the annotation does not list them.
        text = f"{name}: every active credential used or created within {MAX_DAYS} days"
    else:
        raise AssertionError(f"row {row.slug}: no annotation for {rule.name}")
    inactive = [
        f"access key {slot} (created {_date(now, key.created_days)})"
        for slot, key in enumerate(row.keys, start=1)
        if not key.active
    ]
    if inactive:
        text += "; inactive: " + ", ".join(inactive)
    if row.exemption_expired:
        text += f"; exemption tag {EXEMPT_TAG_KEY} expired after {keep_until.isoformat()}"
    # PutEvaluations takes at most 256 characters; the README says longer ones end in "…".
    return text if len(text) <= 256 else text[:255] + "…"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_row(row: Row) -> None:
    """Catches typos in the table: the stated rule's own condition holds for the row's data
    (not a second rule engine: precedence is what the rows state)."""
    active = [k for k in row.keys if k.active]
    has_password = row.password_set_days is not None
    dated = row.keep_until_days is not None
    exempt = any(k == EXEMPT_TAG_KEY for k, _ in row.tags) or (dated and row.keep_until_days >= 0)

    def stale(which: str) -> bool:
        if which == "password":
            used = None if _password_set_after_sign_in(row) else row.password_used_days
            age = used if used is not None else row.password_set_days
            return has_password and age > MAX_DAYS
        key = row.keys[(1 if which == "key1" else 2) - 1] if len(row.keys) >= (1 if which == "key1" else 2) else None
        if key is None or not key.active:
            return False
        return (key.used_days if key.used_days is not None else key.created_days) > MAX_DAYS

    all_stale = tuple(w for w in ("password", "key1", "key2") if stale(w))
    checks = {
        ALLOWLISTED: row.pattern is not None,
        EXEMPT_BY_TAG: exempt,
        CREATED_AFTER_REPORT: row.created_days == 0,
        NOT_IN_REPORT: True,
        DELETED: True,
        NO_CREDENTIALS: not has_password and not active and not exempt,
        UNUSED: bool(all_stale) and all_stale == row.findings and not exempt,
        USED: (has_password or bool(active)) and not all_stale and not exempt,
    }
    if not checks[row.rule]:
        raise AssertionError(f"row {row.slug}: its data does not fit rule {row.rule.name}")
    if row.password_used_days is not None and not has_password:
        raise AssertionError(f"row {row.slug}: a password used but never set")
    if row.exemption_expired != (dated and row.keep_until_days < 0):
        raise AssertionError(f"row {row.slug}: exemption_expired is for past dates exactly")


def build_users(now: datetime) -> list[UserSpec]:
    assert now.tzinfo is not None
    slugs = [row.slug for row in USERS]
    assert len(set(slugs)) == len(slugs), "row slugs must be unique"
    report_generated = (now - REPORT_AGE).astimezone(timezone.utc).replace(microsecond=0)

    def ago(n: int) -> datetime:
        return (now - timedelta(days=n) - MARGIN).astimezone(timezone.utc)

    specs = []
    for row in USERS:
        _check_row(row)
        created = ago(row.created_days)
        if row.rule == CREATED_AFTER_REPORT:
            created = now - REPORT_AGE / 2  # after the report, before the run
        tags = [{"Key": k, "Value": v} for k, v in row.tags]
        keep_until = None
        if row.keep_until_days is not None:
            keep_until = now.astimezone(timezone.utc).date() + timedelta(days=row.keep_until_days)
            tags.append({"Key": EXEMPT_TAG_KEY, "Value": f"until={keep_until.isoformat()} e2e"})
        password_set = None
        if row.password_set_days is not None:
            password_set = created if row.rule == CREATED_AFTER_REPORT else ago(row.password_set_days)
        specs.append(
            UserSpec(
                row=row,
                name=row.name,
                path=row.path,
                created=created,
                tags=tags,
                password_set=password_set,
                password_last_used=ago(row.password_used_days) if row.password_used_days is not None else None,
                keys=[
                    AccessKeySpec(
                        created=ago(k.created_days),
                        active=k.active,
                        last_used=ago(k.used_days) if k.used_days is not None else None,
                        region=k.region,
                        service=k.service,
                    )
                    for k in row.keys
                ],
                keep_until=keep_until,
                expected_compliance=row.rule.compliance,
                expected_annotation=(
                    "" if row.rule == DELETED
                    else expected_annotation(row, now, report_generated, keep_until,
                                             created.astimezone(timezone.utc).replace(microsecond=0))
                ),
            )
        )
    return specs
