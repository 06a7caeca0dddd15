"""The digest, end to end: the real function binary publishes to a topic in moto's SNS
(NOTIFICATION_TOPIC_ARN), subscribed by an SQS queue the test reads, as a subscriber would.

DIGEST_ACCOUNT holds 40 roles of account.py's table, plus one role of its own to delete. The
expected counts and annotations come from the table, not from the function:

1. The first run of a rule (Config holds nothing) publishes one message: every NON_COMPLIANT
   role, in the subject's count and in the JSON's list; the email text lists the same roles.
   A second run of the unchanged account publishes nothing.
2. A role used again and a deleted role: one message, "1 COMPLIANT again, 1 deleted".
3. A topic that does not exist: Publish fails, the run still succeeds with its results in
   Config, and its summary says `digest: failed`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from moto.sns.models import sns_backends

from .account import NON_COMPLIANT, UNUSED_TOO_LONG, build_account
from .conftest import (
    EVENTS,
    Account,
    config_event,
    function_environment,
    running_function,
    seed_account,
)
from .fake_aws import REGION, FakeAws

DIGEST_ACCOUNT = "999911112222"
ROLES = 40
PARAMETERS = json.loads(json.loads((EVENTS / "scheduled-testmode.json").read_text())["ruleParameters"])
TOPIC = "role-digest"
MISSING_TOPIC_ARN = f"arn:aws:sns:{REGION}:{DIGEST_ACCOUNT}:no-such-topic"
PREFIX = f"[iam-role-last-used] {DIGEST_ACCOUNT} roles rule:"


@pytest.fixture(scope="module")
def digest_account(fake_aws: FakeAws) -> Account:
    now = datetime.now(timezone.utc)
    return seed_account(fake_aws, now, build_account(now, ROLES), DIGEST_ACCOUNT)


def client(fake_aws: FakeAws, service: str):
    return boto3.client(
        service,
        endpoint_url=fake_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id=fake_aws.access_key_for(DIGEST_ACCOUNT),
        aws_secret_access_key="testing",
    )


class Subscriber:
    """The topic and an SQS queue subscribed to it (SNS's JSON envelope, not raw)."""

    def __init__(self, fake_aws: FakeAws) -> None:
        self.sns, self.sqs = client(fake_aws, "sns"), client(fake_aws, "sqs")
        self.topic_arn = self.sns.create_topic(Name=TOPIC)["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="digest-reader")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def received(self) -> list[dict]:
        """Every envelope delivered since the last call."""
        envelopes = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return envelopes
            for message in batch:
                envelopes.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def published(self) -> list[tuple[str, str]]:
        """(subject, message as published) of every Publish moto's topic took."""
        topic = sns_backends[DIGEST_ACCOUNT][REGION].topics[self.topic_arn]
        return [(subject, message) for _, message, subject, _, _ in topic.sent_notifications]


@pytest.fixture(scope="module")
def subscriber(fake_aws: FakeAws, digest_account) -> Subscriber:
    return Subscriber(fake_aws)


def digest_function(cargo_lambda, function_binary, fake_aws, factory, topic_arn: str, label: str):
    workdir = factory.mktemp(f"lambda-{label}")
    env = function_environment(
        fake_aws, workdir, fake_aws.access_key_for(DIGEST_ACCOUNT), NOTIFICATION_TOPIC_ARN=topic_arn
    )
    return running_function(cargo_lambda, function_binary, env, workdir, label)


@pytest.fixture(scope="module")
def function_with_topic(cargo_lambda, function_binary, fake_aws, subscriber, tmp_path_factory):
    with digest_function(
        cargo_lambda, function_binary, fake_aws, tmp_path_factory, subscriber.topic_arn, "digest"
    ) as emulator:
        yield emulator


def run(function, fake_aws: FakeAws, directory: Path, rule: str) -> dict:
    event = config_event(
        directory,
        account=DIGEST_ACCOUNT,
        rule=rule,
        parameters=PARAMETERS,
        result_token=fake_aws.config_results.result_token(rule, DIGEST_ACCOUNT, REGION),
    )
    invocation = function.invoke(event)
    assert invocation.ok, f"{invocation.stdout}\n{invocation.stderr}"
    return invocation.response()


def only(envelopes: list[dict]) -> tuple[str, dict, dict]:
    """(subject, JSON digest, attributes) of the one envelope delivered."""
    assert len(envelopes) == 1, f"one message a run, got {len(envelopes)}"
    envelope = envelopes[0]
    attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
    return envelope["Subject"], json.loads(envelope["Message"]), attributes


def test_a_run_with_changes_publishes_one_message_and_an_unchanged_run_none(
    function_with_topic, fake_aws, subscriber, digest_account, tmp_path
):
    subscriber.received()
    published_before = len(subscriber.published())
    non_compliant = {
        rid: s for rid, s in digest_account.roles.items() if s.expected_compliance == NON_COMPLIANT
    }
    assert 0 < len(non_compliant) < ROLES

    summary = run(function_with_topic, fake_aws, tmp_path, "e2e-digest-first")

    assert (summary["digest"], summary["digest_not_listed"]) == ("sent", 0)
    subject, digest, attributes = only(subscriber.received())
    assert subject == f"{PREFIX} {len(non_compliant)} NON_COMPLIANT"
    listed = digest["changes"]["became_non_compliant"]
    assert {e["resource_id"] for e in listed} == set(non_compliant)
    for entry in listed:
        spec = non_compliant[entry["resource_id"]]
        assert (entry["name"], entry["annotation"], entry["was"]) == (
            spec.name, spec.expected_annotation, None,
        )  # fmt: skip
    assert [e["name"] for e in listed] == sorted(e["name"] for e in listed), "no privilege: by name"
    for change in ("compliant_again", "deleted", "no_longer_applicable"):
        assert digest["changes"][change] == [], change
    assert digest["not_listed"]["became_non_compliant"] == 0
    assert (digest["account_id"], digest["rule_name"], digest["rule_kind"]) == (
        DIGEST_ACCOUNT, "e2e-digest-first", "roles",
    )  # fmt: skip
    assert attributes == {
        "account_id": DIGEST_ACCOUNT,
        "rule_kind": "roles",
        "became_non_compliant": str(len(non_compliant)),
        "compliant_again": "0",
        "deleted": "0",
        "no_longer_applicable": "0",
    }
    # What email subscribers get: the text, listing the same roles.
    published = subscriber.published()[published_before:]
    assert len(published) == 1
    structure = json.loads(published[0][1])
    assert set(structure) == {"default", "email"}
    assert json.loads(structure["default"]) == digest
    email = structure["email"]
    assert f"Became NON_COMPLIANT (most privileged first) ({len(non_compliant)}):" in email
    for spec in non_compliant.values():
        assert f"- {spec.expected_annotation} [role " in email, spec.name

    summary = run(function_with_topic, fake_aws, tmp_path, "e2e-digest-first")

    assert summary["account_marker_sent"] is True
    assert summary["digest"] == "nothing_changed"
    assert subscriber.received() == []
    assert len(subscriber.published()) == published_before + 1


def test_a_role_used_again_and_a_deleted_role_are_announced_together(
    function_with_topic, fake_aws, subscriber, digest_account, tmp_path
):
    rule = "e2e-digest-changes"
    role_id, spec = next(
        (rid, s) for rid, s in digest_account.roles.items()
        if s.kind.rule == UNUSED_TOO_LONG and s.path == "/"
    )  # fmt: skip
    now = datetime.now(timezone.utc)
    doomed_id = fake_aws.create_role(
        "digest-to-be-deleted", "/", now - timedelta(days=900), None, None, [],
        account_id=DIGEST_ACCOUNT,
    )  # fmt: skip
    try:
        assert run(function_with_topic, fake_aws, tmp_path, rule)["digest"] == "sent"
        subscriber.received()
        fake_aws.set_role_last_used(spec.name, now - timedelta(hours=1), "eu-west-1", DIGEST_ACCOUNT)
    finally:
        fake_aws.delete_role("digest-to-be-deleted", DIGEST_ACCOUNT)
    try:
        summary = run(function_with_topic, fake_aws, tmp_path, rule)
    finally:
        fake_aws.set_role_last_used(spec.name, spec.last_used, spec.region, DIGEST_ACCOUNT)

    assert summary["digest"] == "sent"
    subject, digest, attributes = only(subscriber.received())
    assert subject == f"{PREFIX} 1 COMPLIANT again, 1 deleted"
    (again,) = digest["changes"]["compliant_again"]
    assert (again["resource_id"], again["name"], again["was"]) == (role_id, spec.name, NON_COMPLIANT)
    assert again["annotation"].startswith(f"{spec.name}: ")
    (deleted,) = digest["changes"]["deleted"]
    assert (deleted["resource_id"], deleted["was"]) == (doomed_id, NON_COMPLIANT)
    assert deleted["annotation"].startswith("digest-to-be-deleted: "), "named by what Config held"
    assert digest["counts"]["deleted_non_compliant"] == 1
    assert (attributes["compliant_again"], attributes["deleted"]) == ("1", "1")


def test_a_failed_publish_leaves_the_run_successful(
    cargo_lambda, function_binary, fake_aws, digest_account, tmp_path, tmp_path_factory
):
    rule = "e2e-digest-failing"
    with digest_function(
        cargo_lambda, function_binary, fake_aws, tmp_path_factory, MISSING_TOPIC_ARN, "digest-failing"
    ) as function:
        fake_aws.recorder.clear()
        summary = run(function, fake_aws, tmp_path, rule)
        log = function.log()

    assert summary["digest"] == "failed"
    assert summary["evaluations_sent"] > 0
    publishes = [a for a in fake_aws.recorder.snapshot().attempts if a.operation == "Publish"]
    assert [a.status for a in publishes] == [404], "one Publish, refused: NotFound is not retried"
    stored = fake_aws.config_results.stored(rule, DIGEST_ACCOUNT, REGION)
    assert len(stored) == summary["evaluations_sent"], "Config has every result of the run"
    assert "digest failed" in log and MISSING_TOPIC_ARN in log
    assert "DigestPublishFailed" in log
    assert "NotFound" in log
