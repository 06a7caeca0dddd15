"""The README's rules table ("What it reports") as data, and the annotation text of each row.

One writer of expected annotations for both scenario tables: scripts/make_snapshot.py (the
bundled snapshot's expected files) and tests/e2e/account.py (the end-to-end account). Each
table STATES the rule that decides a role; this module only formats what the README says that
rule writes. It is not a rule engine: nothing here decides which rule applies.

Standard library only, no package-relative imports: make_snapshot.py imports it by path, with
no venv, and pytest imports it as part of tests/e2e.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"

TRACKING_WINDOW_DAYS = 400  # IAM's RoleLastUsed window (IAM API Reference, RoleLastUsed)


@dataclass(frozen=True)
class Rule:
    row: str  # the README table's "#" column
    compliance: str  # its "result" column


SERVICE_LINKED = Rule("1", NOT_APPLICABLE)
IDENTITY_CENTER_EXCLUDED = Rule("1b", NOT_APPLICABLE)
ALLOWLISTED = Rule("2", COMPLIANT)
EXEMPT_BY_TAG = Rule("3", COMPLIANT)
EXEMPT_UNTIL = Rule("3b", COMPLIANT)
YOUNG = Rule("4", COMPLIANT)
NO_USE_RECORDED = Rule("5", NON_COMPLIANT)
UNUSED_TOO_LONG = Rule("6", NON_COMPLIANT)
USED_RECENTLY = Rule("7", COMPLIANT)
ROLE_GONE = Rule("–", NOT_APPLICABLE)

# In the README's order.
RULES = (
    SERVICE_LINKED, IDENTITY_CENTER_EXCLUDED, ALLOWLISTED, EXEMPT_BY_TAG, EXEMPT_UNTIL, YOUNG,
    NO_USE_RECORDED, UNUSED_TOO_LONG, USED_RECENTLY, ROLE_GONE,
)

# Why an `until` exemption was ignored (README, "What rules 4 to 7 add to the annotation").
EXPIRED = "expired"
NO_EQUALS = "is not until=YYYY-MM-DD"
NOT_A_DATE = "is not a date YYYY-MM-DD"
NO_SUCH_DAY = "names a day that does not exist"

# permission_set value of an Identity Center role whose name gives none.
UNREADABLE = object()


def days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# Who the text is for. Config's annotation (STABLE) states the UTC day of each timestamp,
# never an age, so it stays the same every run until the verdict's basis changes; role-audit's
# table (AGES) words the same verdict with whole days ago, as of the run.
STABLE = "stable"
AGES = "ages"


def when(on: date, days_ago: int, wording: str) -> str:
    """A past moment: its day for Config, its age for people."""
    return on.isoformat() if wording == STABLE else f"{days(days_ago)} ago"


@dataclass(frozen=True)
class Ignored:
    """An exempt tag that did not exempt: EXPIRED with its date, or another reason with the
    tag's value."""

    why: str
    value: str  # the date for EXPIRED, else the tag's value


def annotation(
    rule: Rule,
    name: str,
    *,
    max_days: int,
    exempt_tag_key: str,
    created_days: int,
    created_on: date,
    used_days: int | None = None,
    used_on: date | None = None,
    region: str | None = None,
    pattern: str | None = None,
    exempt_until: date | str | None = None,
    exempt_note: str | None = None,
    permission_set: object = None,
    ignored: Ignored | None = None,
    wording: str = STABLE,
) -> str:
    """The annotation the README gives `rule` for this role, with what it adds to rules 4 to 7
    (wording AGES: the same verdict as role-audit's table words it). created_on/used_on: the
    UTC days of CreateDate and LastUsedDate, created_days/used_days: whole days since.
    permission_set: None (not an Identity Center role), its name, or UNREADABLE."""
    in_region = f" in {region}" if region else ""
    if rule == SERVICE_LINKED:
        return f"{name}: service-linked role, not evaluated (service_linked_roles=exclude)"
    if rule == IDENTITY_CENTER_EXCLUDED:
        return f"{name}: IAM Identity Center role, not evaluated (identity_center_roles=exclude)"
    if rule == ALLOWLISTED:
        return f"{name}: allowlisted by pattern {pattern}"
    if rule in (EXEMPT_BY_TAG, EXEMPT_UNTIL):
        text = f"{name}: exempt by tag {exempt_tag_key}"
        if exempt_until is not None:
            text += f" until {exempt_until}"
        if exempt_note:
            text += f" ({exempt_note})"
        return text
    created = when(created_on, created_days, wording)
    if rule == YOUNG:
        text = f"{name}: created {created}, within the {max_days}-day threshold"
    elif rule == NO_USE_RECORDED:
        text = (f"{name}: no use recorded by IAM (it tracks up to {TRACKING_WINDOW_DAYS} days), "
                f"created {created}, over the {max_days}-day threshold")
    elif rule == UNUSED_TOO_LONG:
        used = when(used_on, used_days, wording)
        text = f"{name}: last used {used}{in_region}, over the {max_days}-day threshold"
    elif rule == USED_RECENTLY and wording == STABLE:
        # The day and Region of a recent use move with every use.
        text = f"{name}: used within the {max_days}-day threshold"
    elif rule == USED_RECENTLY:
        used = when(used_on, used_days, wording)
        text = f"{name}: last used {used}{in_region}, within the {max_days}-day threshold"
    else:
        raise AssertionError(f"no annotation for row {rule.row} of a role that exists")
    if rule.compliance == NON_COMPLIANT and permission_set is UNREADABLE:
        text += ("; IAM Identity Center role, permission set not readable from the name: "
                 "remove the set's assignment to this account")
    elif rule.compliance == NON_COMPLIANT and permission_set is not None:
        text += f"; IAM Identity Center permission set {permission_set}: remove its assignment to this account"
    if ignored is not None and ignored.why == EXPIRED:
        text += f"; exemption tag {exempt_tag_key} expired after {ignored.value}"
    elif ignored is not None:
        text += f'; exemption tag {exempt_tag_key} ignored: "{ignored.value}" {ignored.why}'
    return text


def readme_rules_table(readme: str) -> dict[str, str]:
    """The "What it reports" table of README.md: its "#" column -> its "result" column."""
    section = readme.split("\n## What it reports\n", 1)[1].split("\n## ", 1)[0]
    lines = iter(section.splitlines())
    for line in lines:
        if line.replace(" ", "").startswith("|#|scenario|result|"):
            break
    else:
        raise AssertionError('README.md, "What it reports": no table with # | scenario | result')
    next(lines)  # the |---| line
    rows: dict[str, str] = {}
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] in rows:
            raise AssertionError(f"README.md rules table: row {cells[0]} appears twice")
        rows[cells[0]] = cells[2]
    return rows


def check_readme_rules_table(readme: str) -> list[str]:
    """What differs between the README's rules table and RULES, one line each."""
    readme_rows = readme_rules_table(readme)
    ours = {rule.row: rule.compliance for rule in RULES}
    problems = [f'row {row}: the README says {readme_rows[row]}, the scenario tables {want}'
                for row, want in ours.items() if row in readme_rows and readme_rows[row] != want]
    problems += [f"row {row} ({want}) is missing from the README" for row, want in ours.items()
                 if row not in readme_rows]
    problems += [f"row {row} of the README is not a rule of the scenario tables" for row in readme_rows
                 if row not in ours]
    if list(readme_rows) != [r for r in ours if r in readme_rows]:
        problems.append(f"the README's rows are in the order {list(readme_rows)}, not {list(ours)}")
    return problems


# --------------------------------------------------------------------------------------------
# The users rule (README, "What it reports", users): its rules and their annotation text, for
# scripts/make_user_snapshot.py. As above, the scenario table states the rule; this only formats.
# --------------------------------------------------------------------------------------------

INSUFFICIENT_DATA = "INSUFFICIENT_DATA"

USER_ALLOWLISTED = Rule("1", COMPLIANT)
USER_EXEMPT_BY_TAG = Rule("2", COMPLIANT)
USER_EXEMPT_UNTIL = Rule("2b", COMPLIANT)
# A user the credential report cannot hold yet: created after it was generated.
USER_CREATED_AFTER_REPORT = Rule("join", COMPLIANT)
# A user older than the report but not in it: not judged this run, Config keeps its result.
USER_NOT_IN_REPORT = Rule("join", INSUFFICIENT_DATA)
USER_NO_ACTIVE_CREDENTIAL = Rule("3", COMPLIANT)
USER_UNUSED_CREDENTIAL = Rule("4", NON_COMPLIANT)
USER_CREDENTIALS_USED = Rule("5", COMPLIANT)

USER_RULES = (
    USER_ALLOWLISTED, USER_EXEMPT_BY_TAG, USER_EXEMPT_UNTIL, USER_CREATED_AFTER_REPORT,
    USER_NOT_IN_REPORT, USER_NO_ACTIVE_CREDENTIAL, USER_UNUSED_CREDENTIAL, USER_CREDENTIALS_USED,
)


@dataclass(frozen=True)
class Finding:
    """One active credential as rules 4 and 5 name it: its last use, or its age when never
    used."""

    slot: int  # 0 for the console password, 1 or 2 for an access key
    created: date | None  # an access key's creation (its last_rotated); None for the password
    used_days: int | None  # whole days since its last use; None: never used
    age_days: int  # whole days since it was set (password) or created (key)
    used_on: date | None  # the UTC day of its last use; None: never used
    set_on: date  # the UTC day it was set (password) or created (key)
    region: str | None = None
    service: str | None = None
    # The password only: it was set (reset) after the user's last sign-in, so it has not been
    # used since it was set (used_days is then None, age_days the days since it was set).
    set_after_sign_in: bool = False

    def text(self, wording: str = STABLE) -> str:
        set_ = when(self.set_on, self.age_days, wording)
        if self.slot == 0:
            if self.set_after_sign_in:
                assert self.used_days is None, "a password set after the last sign-in is unused"
                return f"password not used since it was set {set_}"
            if self.used_days is None:
                return f"password never used, set {set_}"
            return f"password last used {when(self.used_on, self.used_days, wording)}"
        key = f"access key {self.slot} (created {self.created})"
        if self.used_days is None:
            # The creation day is already there: only people hear how long.
            return f"{key} never used" if wording == STABLE else f"{key} never used in {days(self.age_days)}"
        where = f" in {self.region}" if self.region else ""
        by = f" by {self.service}" if self.service else ""
        return f"{key} last used {when(self.used_on, self.used_days, wording)}{where}{by}"


def user_annotation(
    rule: Rule,
    name: str,
    *,
    max_days: int,
    exempt_tag_key: str,
    generated: str,
    created: str | None = None,
    pattern: str | None = None,
    exempt_until: date | str | None = None,
    findings: tuple[Finding, ...] = (),
    inactive: tuple[tuple[int, date], ...] = (),
    ignored: Ignored | None = None,
    wording: str = STABLE,
) -> str:
    """The annotation the README gives the users rule's `rule` for this user (wording AGES:
    the same verdict as role-audit's table words it). `generated` and
    `created` are RFC 3339 times as the annotation shows them. `findings`: for rule 4 the
    credentials unused too long, for rule 5 every active credential, in order (password, key 1,
    key 2); `inactive`: the inactive keys (slot, creation day), named after rules 3 to 5."""
    if rule == USER_ALLOWLISTED:
        return f"{name}: allowlisted by pattern {pattern}"
    if rule in (USER_EXEMPT_BY_TAG, USER_EXEMPT_UNTIL):
        text = f"{name}: exempt by tag {exempt_tag_key}"
        if exempt_until is not None:
            text += f" until {exempt_until}"
        return text
    if rule == USER_CREATED_AFTER_REPORT and wording == STABLE:
        # The report's time changes with every report.
        return f"{name}: created {created}, after the credential report; judged from the next report"
    if rule == USER_CREATED_AFTER_REPORT:
        return (f"{name}: created {created}, after the credential report of {generated}; "
                f"judged from the next report")
    if rule == USER_NOT_IN_REPORT:
        return (f"{name}: not in the credential report generated {generated}, though created "
                f"before it; not judged this run")
    listed = "; ".join(f.text(wording) for f in findings)
    if rule == USER_NO_ACTIVE_CREDENTIAL:
        text = f"{name}: no active credential (no console password, no active access key)"
    elif rule == USER_UNUSED_CREDENTIAL:
        n = len(findings)
        credentials = "1 active credential" if n == 1 else f"{n} active credentials"
        # Quarantine never deletes a console password: the annotation says who must.
        advice = " (password: delete by hand, quarantine keeps it)" if any(f.slot == 0 for f in findings) else ""
        text = f"{name}: {credentials} unused for over {max_days} days{advice}: {listed}"
    elif rule == USER_CREDENTIALS_USED and wording == STABLE:
        # Each credential's last use moves daily: Config hears only the verdict.
        text = f"{name}: every active credential used or created within {max_days} days"
    elif rule == USER_CREDENTIALS_USED:
        text = f"{name}: every active credential used or created within {max_days} days: {listed}"
    else:
        raise AssertionError(f"no annotation for users rule {rule}")
    if inactive:
        text += "; inactive: " + ", ".join(f"access key {slot} (created {day})" for slot, day in inactive)
    if ignored is not None and ignored.why == EXPIRED:
        text += f"; exemption tag {exempt_tag_key} expired after {ignored.value}"
    elif ignored is not None:
        text += f'; exemption tag {exempt_tag_key} ignored: "{ignored.value}" {ignored.why}'
    return text
