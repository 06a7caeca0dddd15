"""Sending Config only what changed (`publish=changes`, the default), end to end.

The real function binary runs against moto, whose Config (fake_aws.ConfigResults) keeps what
each run stored, as Config does, across the runs of one test. Each test has a rule of its own,
on an account of its own (PUBLISH_ACCOUNT: 60 roles of account.py's table), so each starts with
Config holding nothing for its rule:

1. The first run sends every role but the NOT_APPLICABLE ones; a second run of the unchanged account sends exactly one
   evaluation, NOT_APPLICABLE for the account (`AWS::::Account`), so Config still sees the rule
   evaluate, and Config's results are what they were.
2. A role used again, and another one deleted: only they are sent (COMPLIANT, and
   NOT_APPLICABLE "no longer exists").
3. A result deleted from Config (DeleteEvaluationResults) is sent again on the next run.
4. A changed threshold resends every result that states it, and nothing else.
5. `publish=all` sends every result every run.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from .account import (
    ALLOWLISTED,
    EXEMPT_BY_TAG,
    NO_USE_RECORDED,
    NOT_APPLICABLE,
    UNUSED_TOO_LONG,
    USED_RECENTLY,
    YOUNG,
    build_account,
)
from .conftest import (
    EVENTS,
    Account,
    config_event,
    function_environment,
    running_function,
    seed_account,
)
from .fake_aws import REGION, FakeAws

PUBLISH_ACCOUNT = "777788889999"
ROLES = 60
# The parameters account.py's expected results are for (events/scheduled-testmode.json's).
PARAMETERS = json.loads(json.loads((EVENTS / "scheduled-testmode.json").read_text())["ruleParameters"])
ACCOUNT_RESOURCE_TYPE = "AWS::::Account"
# The rules whose annotation states the threshold (README "What it reports", rules 4 to 7).
STATE_THE_THRESHOLD = {YOUNG, NO_USE_RECORDED, UNUSED_TOO_LONG, USED_RECENTLY}


@pytest.fixture(scope="module")
def publish_account(fake_aws: FakeAws) -> Account:
    now = datetime.now(timezone.utc)
    return seed_account(fake_aws, now, build_account(now, ROLES), PUBLISH_ACCOUNT)


@pytest.fixture(scope="module")
def publish_function(cargo_lambda, function_binary, fake_aws, publish_account, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lambda-publish")
    env = function_environment(fake_aws, workdir, fake_aws.access_key_for(PUBLISH_ACCOUNT))
    with running_function(cargo_lambda, function_binary, env, workdir, "publish") as emulator:
        yield emulator


class RuleRuns:
    """Runs of one rule on the publish account: each run's summary and what it sent."""

    def __init__(self, function, fake_aws: FakeAws, directory: Path, rule: str) -> None:
        self.function, self.fake_aws, self.directory, self.rule = (
            function, fake_aws, directory, rule,
        )  # fmt: skip

    def run(self, **parameters: str) -> tuple[dict, list[dict]]:
        event = config_event(
            self.directory,
            account=PUBLISH_ACCOUNT,
            rule=self.rule,
            parameters={**PARAMETERS, **parameters},
            result_token=self.fake_aws.config_results.result_token(
                self.rule, PUBLISH_ACCOUNT, REGION
            ),
        )
        self.fake_aws.recorder.clear()
        invocation = self.function.invoke(event)
        assert invocation.ok, f"{invocation.stdout}\n{invocation.stderr}"
        calls = [
            c for c in self.fake_aws.recorder.snapshot().put_evaluations
            if c.account_id == PUBLISH_ACCOUNT
        ]  # fmt: skip
        assert all(not c.test_mode for c in calls)
        return invocation.response(), [e for c in calls for e in c.evaluations]

    def stored(self) -> dict[str, dict]:
        return self.fake_aws.config_results.stored(self.rule, PUBLISH_ACCOUNT, REGION)

    def compliance(self) -> dict[str, tuple[str, str]]:
        """What Config holds for the rule's roles: ResourceId -> (ComplianceType, Annotation)."""
        return {
            rid: (r["ComplianceType"], r["Annotation"])
            for rid, r in self.stored().items()
            if r["ResourceType"] == "AWS::IAM::Role"
        }


@pytest.fixture
def rule(request, publish_function, fake_aws, tmp_path) -> RuleRuns:
    return RuleRuns(publish_function, fake_aws, tmp_path, f"e2e-publish-{request.node.name[5:40]}")


def ids(evaluations: list[dict]) -> set[str]:
    return {e["ComplianceResourceId"] for e in evaluations}


def judged(account: Account) -> set[str]:
    """The roles that get a COMPLIANT or NON_COMPLIANT result: a NOT_APPLICABLE one is not
    sent while Config holds nothing for it (it would show nothing either way)."""
    return {rid for rid, s in account.roles.items() if s.expected_compliance != NOT_APPLICABLE}


def test_an_unchanged_account_sends_only_the_account_evaluation(rule, publish_account):
    summary, first = rule.run()
    sent = judged(publish_account)
    assert 0 < len(sent) < ROLES, "the account has NOT_APPLICABLE roles too"
    assert ids(first) == sent, "Config held nothing: every judged role is sent"
    assert (summary["publish"], summary["evaluations_sent"], summary["unchanged"]) == (
        "changes", len(sent), ROLES - len(sent),
    )  # fmt: skip
    held = rule.compliance()
    assert set(held) == sent
    for role_id in sent:
        spec = publish_account.roles[role_id]
        assert held[role_id] == (spec.expected_compliance, spec.expected_annotation), spec.name

    summary, second = rule.run()
    assert second == [
        {
            "ComplianceResourceType": ACCOUNT_RESOURCE_TYPE,
            "ComplianceResourceId": PUBLISH_ACCOUNT,
            "ComplianceType": NOT_APPLICABLE,
            "Annotation": f"rule evaluated {ROLES} roles: no result changed, none to send",
            "OrderingTimestamp": second[0]["OrderingTimestamp"],
        }
    ], "one PutEvaluations of one evaluation: the account's NOT_APPLICABLE"
    assert (
        summary["evaluations_sent"], summary["unchanged"], summary["account_marker_sent"],
        summary["put_evaluations_calls"], summary["stale_cleaned"],
    ) == (1, ROLES, True, 1, 0)  # fmt: skip
    assert rule.compliance() == held, "Config's results are as the first run left them"


def test_a_role_used_again_and_a_deleted_role_are_all_that_is_sent(
    rule, publish_account, fake_aws
):
    unused = next(
        (rid, s) for rid, s in publish_account.roles.items()
        if s.kind.rule == UNUSED_TOO_LONG and s.path == "/"
    )  # fmt: skip
    # A role of its own to delete, so the shared account keeps its roles for the other tests.
    now = datetime.now(timezone.utc)
    doomed_id = fake_aws.create_role(
        "publish-to-be-deleted", "/", now - timedelta(days=900), None, None, [],
        account_id=PUBLISH_ACCOUNT,
    )  # fmt: skip
    try:
        summary, first = rule.run()
        assert ids(first) == {*judged(publish_account), doomed_id}
        role_id, spec = unused
        fake_aws.set_role_last_used(spec.name, now - timedelta(hours=1), "eu-west-1", PUBLISH_ACCOUNT)
    finally:
        fake_aws.delete_role("publish-to-be-deleted", PUBLISH_ACCOUNT)
    try:
        summary, second = rule.run()
    finally:
        fake_aws.set_role_last_used(spec.name, spec.last_used, spec.region, PUBLISH_ACCOUNT)

    by_id = {e["ComplianceResourceId"]: e for e in second}
    assert set(by_id) == {role_id, doomed_id}
    assert by_id[role_id]["ComplianceType"] == "COMPLIANT"
    assert by_id[role_id]["Annotation"].startswith(f"{spec.name}: ")
    assert (by_id[doomed_id]["ComplianceType"], by_id[doomed_id]["Annotation"]) == (
        NOT_APPLICABLE, f"{doomed_id}: role no longer exists",
    )  # fmt: skip
    assert (summary["evaluations_sent"], summary["unchanged"], summary["stale_cleaned"]) == (
        2, ROLES - 1, 1,
    )  # fmt: skip
    assert rule.compliance()[role_id][0] == "COMPLIANT"


def test_a_result_deleted_from_config_is_sent_again(rule, publish_account, fake_aws):
    rule.run()
    held = rule.compliance()
    lost = sorted(judged(publish_account))[:3]
    for role_id in lost:
        fake_aws.config_results.forget(rule.rule, role_id, PUBLISH_ACCOUNT, REGION)
    assert not set(lost) & set(rule.compliance())

    summary, sent = rule.run()

    assert ids(sent) == set(lost)
    assert (summary["evaluations_sent"], summary["unchanged"]) == (3, ROLES - 3)
    assert rule.compliance() == held, "Config holds every result again, as before"


def test_a_changed_threshold_resends_every_result_that_states_it(rule, publish_account):
    rule.run()
    stating = {rid for rid, s in publish_account.roles.items() if s.kind.rule in STATE_THE_THRESHOLD}
    assert stating and stating != set(publish_account.roles), "the account has both kinds"
    # 62 days, not 60: no role of account.py's table is 61 or 62 days from a verdict change
    # except those the verdict flips for, which are sent either way.
    summary, sent = rule.run(max_days_for_last_used="62")
    assert ids(sent) == stating
    for evaluation in sent:
        assert "62-day threshold" in evaluation["Annotation"], evaluation
    assert summary["unchanged"] == ROLES - len(stating)
    kept = {ALLOWLISTED, EXEMPT_BY_TAG}
    assert all(
        publish_account.roles[rid].kind.rule in kept or publish_account.roles[rid].kind.rule.compliance == NOT_APPLICABLE
        for rid in set(publish_account.roles) - stating
    )


def test_publish_all_sends_every_result_every_run(rule, publish_account):
    for _ in range(2):
        summary, sent = rule.run(publish="all")
        assert ids(sent) == set(publish_account.roles)
        assert len(sent) == ROLES
        assert (summary["publish"], summary["evaluations_sent"], summary["unchanged"]) == (
            "all", ROLES, 0,
        )  # fmt: skip
