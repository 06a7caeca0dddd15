#!/usr/bin/env python3
"""Generate the bundled users example for the users rule (`role-audit evaluate --kind users`).

Writes, relative to the repository root:

  events/users-snapshot.json             the account's users, in the exact shape printed by
                                         `aws iam get-account-authorization-details --filter User`
  events/users-credential-report.csv     its credential report, as
                                         `aws iam get-credential-report --query Content
                                          --output text | base64 --decode` writes it
  events/users-snapshot.parameters.json  the rule parameters the expectations assume
  events/users-snapshot.expected.json    the expected evaluation of every user (snapshot order)

Every user comes from one row of SCENARIOS below. A row STATES which rule decides the user (its
`expect` column) and, for rule 4, which credentials are the findings (its `findings` column).
The script turns relative offsets into timestamps, does the floor-of-days arithmetic and
formats the annotation of that stated rule (tests/e2e/annotation_text.py); it does not
re-implement the rule engine. `check_row` only asserts that the stated rule's own condition
holds for the row's dates, to catch typos in the table. --check also fails when a rule has fewer
than two users.

Deterministic: no clock, no randomness. Python 3 standard library only. From the repository root:

    python3 scripts/make_user_snapshot.py            write the files
    python3 scripts/make_user_snapshot.py --check    fail if they are out of date
"""

import csv
import fnmatch
import hashlib
import io
import json
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import annotation_text as text  # noqa: E402

# --------------------------------------------------------------------------------------------
# Fixed evaluation context
# --------------------------------------------------------------------------------------------

# Evaluated with --now 2026-01-01T00:00:00Z --report-generated 2025-12-31T22:00:00Z.
NOW = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
# When the credential report was generated: credential ages count to here (what the report's
# data is as of), and users created after it cannot be in it.
GENERATED = NOW - timedelta(hours=2)
ACCOUNT = "111122223333"
MAX_DAYS = 45

# Exactly what AWS Config passes as the rule's InputParameters (a JSON object of strings).
PARAMETERS = {
    "max_days_for_last_used": str(MAX_DAYS),
    "user_allowlist": "/breakglass/*|/admin-emergency",
    "exempt_tag_key": "keep",
}
ALLOWLIST = PARAMETERS["user_allowlist"].split("|")
EXEMPT_TAG_KEY = PARAMETERS["exempt_tag_key"]

ALLOW = text.USER_ALLOWLISTED
TAG = text.USER_EXEMPT_BY_TAG
AFTER = text.USER_CREATED_AFTER_REPORT
MISSING = text.USER_NOT_IN_REPORT
NONE = text.USER_NO_ACTIVE_CREDENTIAL
UNUSED = text.USER_UNUSED_CREDENTIAL
USED = text.USER_CREDENTIALS_USED
EXPIRED = text.EXPIRED


def ago(days, hours=1):
    """A time this long before the report was generated. The default hour keeps whole days the
    same counted to GENERATED or to NOW (two hours later)."""
    return GENERATED - timedelta(days=days, hours=hours)


def password(set_days, used_days=None):
    """An enabled console password set `set_days` ago, last used `used_days` ago (None:
    no_information, never used)."""
    return dict(set=ago(set_days), used=None if used_days is None else ago(used_days))


def key(created_days, used_days=None, region="us-east-1", service="s3", active=True):
    """An access key created `created_days` ago, last used `used_days` ago (None: N/A, never)."""
    return dict(active=active, created=ago(created_days),
                used=None if used_days is None else ago(used_days),
                region=region if used_days is not None else None,
                service=service if used_days is not None else None)


def inactive(created_days, used_days=None, region="eu-west-1", service="iam"):
    return key(created_days, used_days, region, service, active=False)


def row(name, expect, created, path="/", pw=None, key1=None, key2=None, tags=(), findings=(),
        pattern=None, exempt_until=None, ignored=None, report="row", mfa=False):
    """One user. report: "row" (in the report), "none" (not in it), or "earlier" (the report
    holds an earlier user of the same name: same ARN, older creation time).
    findings: the credentials rule 4 names, in order: "password", "key1", "key2"."""
    return dict(name=name, expect=expect, created=created, path=path, pw=pw, keys=[key1, key2],
                tags=[{"Key": k, "Value": v} for k, v in tags], findings=list(findings),
                pattern=pattern, exempt_until=exempt_until, ignored=ignored, report=report,
                mfa=mfa)


# --------------------------------------------------------------------------------------------
# Scenario table: one row per user, in snapshot (and output) order. Days are before GENERATED.
# --------------------------------------------------------------------------------------------

SCENARIOS = [
    # 1 allowlisted: wins over everything after it, stale credentials included
    row("breakglass-1", ALLOW, ago(900), path="/breakglass/", pw=password(900), key1=key(900),
        pattern="/breakglass/*"),
    row("admin-emergency", ALLOW, ago(800), pw=password(800, 300), pattern="/admin-emergency"),
    # 2 exempt by tag: any value, or until a date not yet past
    row("vendor-audit", TAG, ago(600), key1=key(600, 200), tags=[("keep", "audit contract")]),
    row("migration-bot", TAG, ago(500), key1=key(500, 100),
        tags=[("keep", "until=2026-06-30")], exempt_until="2026-06-30"),
    row("legal-hold", TAG, ago(1500), pw=password(1500), tags=[("keep", "legal hold 2024-117")]),
    row("partner-sync", TAG, ago(300), key1=key(300, 250, "eu-central-1", "s3"),
        tags=[("keep", "until=2027-01-01")], exempt_until="2027-01-01"),
    # ...an expired exemption is ignored, and said so
    row("old-contractor", UNUSED, ago(700), pw=password(700, 90),
        tags=[("keep", "until=2025-06-30")], findings=["password"], ignored=(EXPIRED, "2025-06-30")),
    # 3 no active credential
    row("no-credentials", NONE, ago(365)),
    row("keys-deactivated", NONE, ago(500), key1=inactive(500, 400), key2=inactive(300)),
    row("app-retired", NONE, ago(1000), key1=inactive(1000, 900, "us-west-2", "dynamodb")),
    # 4/5 console password: never used counts from when it was set
    row("pw-never-used-young", USED, ago(10), pw=password(10)),
    row("pw-never-used-old", UNUSED, ago(400), pw=password(400), findings=["password"]),
    row("pw-never-used-45", USED, ago(45), pw=password(45)),
    row("pw-never-used-46", UNUSED, ago(46), pw=password(46), findings=["password"]),
    row("pw-reset-recently", USED, ago(900), pw=password(5)),
    row("pw-used-45", USED, ago(300), pw=password(300, 45)),
    row("pw-used-46", UNUSED, ago(300), pw=password(300, 46), findings=["password"]),
    row("pw-used-yesterday", USED, ago(300), pw=password(300, 1), mfa=True),
    # ...set (reset) after the last sign-in: the report's password_last_used is the user's last
    # sign-in, with an earlier password, so this one counts from when it was set
    row("pw-reset-after-sign-in", USED, ago(900), pw=password(5, 300)),
    row("pw-reset-after-sign-in-45", USED, ago(900), pw=password(45, 200)),
    row("pw-reset-after-sign-in-46", UNUSED, ago(900), pw=password(46, 300), findings=["password"]),
    # ...set at the very second of the last sign-in (reset when signing in): the sign-in counts
    row("pw-set-at-sign-in", USED, ago(600), pw=password(30, 30)),
    # 4/5 access key 1 and key 2, threshold and threshold + 1 day
    row("key1-used-45", USED, ago(300), key1=key(300, 45)),
    row("key1-used-46", UNUSED, ago(300), key1=key(300, 46), findings=["key1"]),
    row("key2-used-45", USED, ago(300), key1=inactive(300, 200), key2=key(100, 45, "eu-west-1", "ec2")),
    row("key2-used-46", UNUSED, ago(300), key1=key(300, 3), key2=key(100, 46, "eu-west-1", "ec2"),
        findings=["key2"]),
    # ...never used: counts from the key's creation, so yesterday's key is no finding
    row("key1-created-yesterday", USED, ago(400), key1=key(1)),
    row("key1-never-used-old", UNUSED, ago(400), key1=key(200), findings=["key1"]),
    row("key2-never-used-45", USED, ago(400), key1=key(400, 2), key2=key(45)),
    row("key2-never-used-46", UNUSED, ago(400), key1=key(400, 2), key2=key(46), findings=["key2"]),
    # ...several findings at once, each named
    row("both-keys-stale", UNUSED, ago(900), key1=key(900, 120, "us-east-1", "s3"),
        key2=key(500, 90, "eu-west-1", "ec2"), findings=["key1", "key2"]),
    row("all-stale", UNUSED, ago(1200), pw=password(1200, 400), key1=key(1000),
        key2=key(800, 60, "eu-west-1", "sts"), findings=["password", "key1", "key2"]),
    row("pw-fresh-key-stale", UNUSED, ago(600), pw=password(600, 1), key1=key(600, 100),
        findings=["key1"], mfa=True),
    # ...an inactive key is never a finding, however old
    row("inactive-old-active-fresh", USED, ago(900), key1=inactive(900, 800), key2=key(30, 3)),
    row("analyst", UNUSED, ago(400), path="/teams/data/", pw=password(400, 50), findings=["password"]),
    # names with the characters IAM allows besides letters and digits: quoted in the CSV
    row("ops+billing@example.com", UNUSED, ago(500), pw=password(500, 100), findings=["password"]),
    row("svc,legacy=1", USED, ago(500), key1=key(500, 10, "us-east-1", "sqs")),
    row("first.last_name-x", USED, ago(200), pw=password(200, 3), key1=key(150, 2)),
    # the join: users the report cannot hold, or does not
    row("created-after-report", AFTER, GENERATED + timedelta(hours=1), report="none"),
    row("recreated-user", AFTER, GENERATED + timedelta(minutes=30), report="earlier"),
    row("missing-from-report", MISSING, ago(30), report="none"),
    row("missing-old-user", MISSING, ago(400), report="none"),
]

# Rows of the report for users who are gone from IAM (deleted after the report): no result.
DELETED = [
    dict(name="deleted-since-report", created=ago(700), pw=password(700, 500), keys=[key(700), None],
         mfa=False),
]

# --------------------------------------------------------------------------------------------
# Deterministic IDs, timestamps, formatting
# --------------------------------------------------------------------------------------------

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def unique_id(prefix, seed):
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(ID_ALPHABET[b % 32] for b in digest[:17])


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_days(t):
    """floor((GENERATED - t) / 24h): ages count to the report's generation."""
    return (GENERATED - t) // timedelta(days=1)


def arn(r):
    return f"arn:aws:iam::{ACCOUNT}:user{r['path']}{r['name']}"


def credentials(r):
    """(slot, credential) for each active credential: 0 the password, 1 and 2 the keys."""
    out = [(0, r["pw"])] if r["pw"] else []
    return out + [(i + 1, k) for i, k in enumerate(r["keys"]) if k and k["active"]]


def set_after_sign_in(slot, c):
    """The password was set after the user's last sign-in. The report's password_last_used is
    the user's last console sign-in, whatever password it used: a password set later than it
    has not been used since it was set. Set earlier than or at the sign-in: the sign-in is its
    last use."""
    return slot == 0 and c["used"] is not None and c["set"] > c["used"]


def last_used(slot, c):
    """When the credential was last used; None when never (or not since it was set)."""
    return None if set_after_sign_in(slot, c) else c["used"]


def credential_days(slot, c):
    """Whole days since last use, or since set/created when not used since."""
    used = last_used(slot, c)
    if used is not None:
        return whole_days(used)
    return whole_days(c["set"] if slot == 0 else c["created"])


SLOT = {"password": 0, "key1": 1, "key2": 2}


def check_row(r):
    """Assert the stated rule's own condition holds (catches typos in SCENARIOS)."""
    name, expect = r["name"], r["expect"]
    keep = [t["Value"] for t in r["tags"] if t["Key"] == EXEMPT_TAG_KEY]
    allowed = [p for p in ALLOWLIST if fnmatch.fnmatchcase(r["path"] + name, p)]
    assert (expect == ALLOW) == bool(allowed), name
    if expect == ALLOW:
        assert allowed[0] == r["pattern"], name
        return
    if expect == TAG:
        assert keep, name
        return
    assert not keep or r["ignored"], name
    in_report = r["report"] == "row"
    assert (expect in (AFTER, MISSING)) == (not in_report), name
    if expect == AFTER:
        assert r["created"] > GENERATED, name
        return
    if expect == MISSING:
        assert r["created"] <= GENERATED, name
        return
    stale = [slot for slot, c in credentials(r) if credential_days(slot, c) > MAX_DAYS]
    assert stale == [SLOT[f] for f in r["findings"]], f"{name}: findings {r['findings']} vs {stale}"
    if expect == NONE:
        assert not credentials(r), name
    elif expect == UNUSED:
        assert stale, name
    elif expect == USED:
        assert credentials(r) and not stale, name
    else:
        raise AssertionError(f"{name}: unknown expectation {expect!r}")


def rule_of(r):
    check_row(r)
    if r["expect"] == TAG and r["exempt_until"]:
        return text.USER_EXEMPT_UNTIL
    return r["expect"]


def finding(r, slot):
    c = r["pw"] if slot == 0 else r["keys"][slot - 1]
    set_or_created = c["set"] if slot == 0 else c["created"]
    used = last_used(slot, c)
    return text.Finding(
        slot=slot,
        created=None if slot == 0 else c["created"].date(),
        used_days=None if used is None else whole_days(used),
        age_days=whole_days(set_or_created),
        used_on=None if used is None else used.date(),
        set_on=set_or_created.date(),
        region=c.get("region"),
        service=c.get("service"),
        set_after_sign_in=set_after_sign_in(slot, c),
    )


def expected_for(r, wording=text.STABLE):
    """ComplianceType and Annotation (wording AGES: the verdict as role-audit's table words
    it)."""
    rule = rule_of(r)
    ignored = text.Ignored(*r["ignored"]) if r["ignored"] else None
    # Rule 4 names the findings the row states; rule 5 every active credential.
    named = (tuple(finding(r, SLOT[f]) for f in r["findings"]) if rule == UNUSED
             else tuple(finding(r, slot) for slot, _ in credentials(r)) if rule == USED
             else ())
    inactive = tuple((i + 1, k["created"].date()) for i, k in enumerate(r["keys"])
                     if k and not k["active"]) if rule in (NONE, UNUSED, USED) else ()
    annotation = text.user_annotation(
        rule, r["name"], max_days=MAX_DAYS, exempt_tag_key=EXEMPT_TAG_KEY,
        generated=rfc3339(GENERATED), created=rfc3339(r["created"]), pattern=r["pattern"],
        exempt_until=r["exempt_until"], findings=named, inactive=inactive, ignored=ignored,
        wording=wording)
    # Config's limit; the rows are written so that what Config gets stays under it. The
    # wording for people (ages, not dates) is longer, and cut the same way as the rule cuts it.
    if wording == text.STABLE:
        assert len(annotation) <= 256, f"{r['name']}: annotation over 256 characters ({len(annotation)})"
    elif len(annotation) > 256:
        annotation = annotation[:255] + "\u2026"
    return rule.compliance, annotation


def user_detail(r):
    detail = {
        "Path": r["path"],
        "UserName": r["name"],
        "UserId": unique_id("AIDA", r["name"] + iso(r["created"])),
        "Arn": arn(r),
        "CreateDate": iso(r["created"]),
        "GroupList": [],
        "AttachedManagedPolicies": [],
    }
    if r["tags"]:
        detail["Tags"] = r["tags"]
    return detail


# The report's columns, in IAM's order (IAM User Guide, "Getting credential reports").
HEADER = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]


def bool_field(value):
    return "true" if value else "false"


def report_row(name, arn_, created, pw, keys, mfa):
    pw_fields = (["true", iso(pw["used"]) if pw["used"] else "no_information", iso(pw["set"]), "N/A"]
                 if pw else ["false", "N/A", "N/A", "N/A"])
    fields = [name, arn_, iso(created), *pw_fields, bool_field(mfa)]
    for k in keys:
        if k is None:
            fields += ["false", "N/A", "N/A", "N/A", "N/A"]
        else:
            used = k["used"] is not None
            fields += [bool_field(k["active"]), iso(k["created"]),
                       iso(k["used"]) if used else "N/A",
                       k["region"] if used else "N/A", k["service"] if used else "N/A"]
    return fields + ["false", "N/A", "false", "N/A"]


def credential_report():
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    # The root user's row: not an IAM user, never evaluated.
    writer.writerow(["<root_account>", f"arn:aws:iam::{ACCOUNT}:root", iso(ago(2000)),
                     "not_supported", iso(ago(20)), "not_supported", "not_supported", "true",
                     "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A",
                     "false", "N/A", "false", "N/A"])
    for r in SCENARIOS:
        if r["report"] == "row":
            writer.writerow(report_row(r["name"], arn(r), r["created"], r["pw"], r["keys"], r["mfa"]))
        elif r["report"] == "earlier":
            # The user of that name the report saw, deleted since: its old keys, unused for long.
            earlier = r["created"] - timedelta(days=400)
            writer.writerow(report_row(r["name"], arn(r), earlier, None,
                                       [key(400 - 1), None], False))
    for d in DELETED:
        writer.writerow(report_row(d["name"], f"arn:aws:iam::{ACCOUNT}:user/{d['name']}",
                                   d["created"], d["pw"], d["keys"], d["mfa"]))
    # No line break after the last row: the parser must not need one.
    return out.getvalue().rstrip("\n")


def write(path, content, check):
    if check:
        same = path.exists() and path.read_text(encoding="utf-8") == content
        if not same:
            print(f"{path.name} is out of date: run python3 scripts/make_user_snapshot.py",
                  file=sys.stderr)
        return not same
    path.write_text(content, encoding="utf-8")
    return False


MIN_USERS_PER_RULE = 2


def main():
    check = "--check" in sys.argv[1:]
    events = ROOT / "events"
    names = [r["name"] for r in SCENARIOS]
    assert len(set(n.lower() for n in names)) == len(names), "user names must be unique"
    users = [user_detail(r) for r in SCENARIOS]
    ids = [u["UserId"] for u in users]
    assert len(set(ids)) == len(ids) and all(len(i) == 21 for i in ids), "UserIds: unique, 21 chars"

    expected = []
    counts = Counter()
    for r, u in zip(SCENARIOS, users):
        compliance, annotation = expected_for(r)
        _, detail = expected_for(r, text.AGES)
        counts[rule_of(r)] += 1
        expected.append({"UserName": u["UserName"], "UserId": u["UserId"],
                         "ComplianceType": compliance, "Annotation": annotation,
                         "Detail": detail})
    problems = [f"rule {rule.row} ({rule.compliance}) has {counts[rule]} users, at least {MIN_USERS_PER_RULE} wanted"
                for rule in text.USER_RULES if counts[rule] < MIN_USERS_PER_RULE]
    for problem in problems:
        print(f"make_user_snapshot: {problem}", file=sys.stderr)

    snapshot = {"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    dump = lambda obj: json.dumps(obj, indent=2) + "\n"  # noqa: E731
    stale = [write(events / name, content, check) for name, content in (
        ("users-snapshot.json", dump(snapshot)),
        ("users-credential-report.csv", credential_report()),
        ("users-snapshot.parameters.json", dump(PARAMETERS)),
        ("users-snapshot.expected.json", dump(expected)),
    )]
    if any(stale) or problems:
        sys.exit(1)
    verb = "are up to date" if check else "written"
    print(f"events/users-* {verb}: {len(users)} users, each rule with {MIN_USERS_PER_RULE}+ users, "
          f"NOW={NOW.isoformat()}, report generated {GENERATED.isoformat()}")
    if not check:
        for ctype, n in sorted(Counter(e["ComplianceType"] for e in expected).items()):
            print(f"  {ctype:17} {n:3}")


if __name__ == "__main__":
    main()
