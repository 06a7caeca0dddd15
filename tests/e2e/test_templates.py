"""What the two SAM templates promise, checked on the templates themselves (cfn-lint and
checkov in scripts/check-deploy check that they are valid; these check that they say what the
README says): rule names Config can read back, failures someone hears about, and rule
parameters that fit Config's limits.

The templates are read with cfn-lint's own decoder, so `!Ref`, `!Sub` and `!If` arrive as the
JSON forms CloudFormation sees ({"Ref": ...}, {"Fn::Sub": ...}).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
SINGLE = "template.yaml"
ORG = "org/template.yaml"

# The Config API model: GetComplianceDetailsByConfigRule's ConfigRuleName is 1 to 64
# characters. Config names each member account's copy of an organization rule
# OrgConfigRule-<OrganizationConfigRuleName>-<8-character suffix> (Config Developer Guide).
READABLE_RULE_NAME_MAX = 64
ORG_RULE_PREFIX = "OrgConfigRule-"
ORG_RULE_SUFFIX = "-a1b2c3d4"
# PutConfigRule / PutOrganizationConfigRule: InputParameters is at most 1024 characters.
INPUT_PARAMETERS_MAX = 1024
# Lambda Developer Guide, asynchronous invocation: "a one-minute wait between the first two
# attempts".
LAMBDA_FIRST_RETRY_WAIT_S = 60


def load(name: str) -> dict:
    template, matches = decode(str(REPO / name))
    assert not matches, f"{name} does not parse: {matches}"
    return template


def resources_of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


# ---- 1. rule names the clean-up read can take -------------------------------------------------


def test_the_longest_organization_name_makes_member_rules_config_can_read_back():
    parameter = load(ORG)["Parameters"]["NameOfSolution"]
    longest = parameter["MaxLength"]
    pattern = re.compile(parameter["AllowedPattern"])
    name = "a" * longest
    assert pattern.fullmatch(name), "the longest name must be allowed by the pattern too"
    member_rule = f"{ORG_RULE_PREFIX}{name}{ORG_RULE_SUFFIX}"
    assert len(member_rule) <= READABLE_RULE_NAME_MAX, member_rule
    # Not stricter than it has to be: one character more would not fit.
    assert len(member_rule) + 1 > READABLE_RULE_NAME_MAX
    assert str(longest) in parameter["Description"], "the description says the limit"
    assert "64" in parameter["Description"], "and why"


def test_the_single_account_rule_is_named_within_the_readable_limit():
    parameter = load(SINGLE)["Parameters"]["NameOfSolution"]
    assert parameter["MaxLength"] <= READABLE_RULE_NAME_MAX
    rule = resources_of_type(load(SINGLE), "AWS::Config::ConfigRule")
    assert [r["Properties"]["ConfigRuleName"] for r in rule.values()] == [
        {"Ref": "NameOfSolution"}
    ]


# ---- 5. failures someone hears about -----------------------------------------------------------


@pytest.fixture(params=[SINGLE, ORG])
def template(request) -> dict:
    return load(request.param)


def the_function(template: dict) -> dict:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert list(functions) == ["RuleFunction"]
    return functions["RuleFunction"]["Properties"]


def test_a_run_is_retried_once_and_a_run_that_still_fails_is_kept_with_its_error(template):
    invoke = the_function(template)["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 1
    on_failure = invoke["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    queue_id = on_failure["Destination"]["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600

    # Lambda delivers the record with the execution role: it may send to that queue, and only
    # that queue.
    role = template["Resources"]["RuleExecutionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    sends = [s for s in statements if "sqs:SendMessage" in json.dumps(s["Action"])]
    assert sends == [
        {
            "Sid": "RecordFailedRuns",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]


def errors_alarm(template: dict) -> dict:
    alarms = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
    ]
    assert len(alarms) == 1, alarms
    return alarms[0]


def alarms(alarm: dict, error_times_s: list[float]) -> bool:
    """CloudWatch's M-out-of-N rule on the Sum of Errors: does some window of
    EvaluationPeriods periods hold DatapointsToAlarm breaching periods?"""
    period, n, m = alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]
    assert alarm["Statistic"] == "Sum"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    counts: dict[int, int] = {}
    for t in error_times_s:
        counts[int(t // period)] = counts.get(int(t // period), 0) + 1
    breaching = {p for p, c in counts.items() if c >= alarm["Threshold"]}
    return any(
        sum(1 for p in range(last - n + 1, last + 1) if p in breaching) >= m for last in breaching
    )


def test_the_errors_alarm_fires_when_the_retry_fails_too_and_not_when_it_succeeds(template):
    alarm = errors_alarm(template)
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "RuleFunction"}}]
    timeout = the_function(template)["Timeout"]
    for start in (0, 30, 59.9):
        # A transient failure the retry fixes: one error.
        assert not alarms(alarm, [start]), start
        # A failure for good: the attempt and its retry, at least a minute apart and at most
        # a minute plus a whole run (one that timed out).
        for gap in (LAMBDA_FIRST_RETRY_WAIT_S, LAMBDA_FIRST_RETRY_WAIT_S + timeout):
            assert alarms(alarm, [start, start + gap]), (start, gap)


def test_the_errors_alarm_notifies_the_alert_email_or_topic(template):
    alarm = errors_alarm(template)
    notify = {
        "Fn::If": [
            "CreateAlertTopic",
            [{"Ref": "AlertTopic"}],
            {"Fn::If": ["HasAlertTopicArn", [{"Ref": "AlertTopicArn"}], {"Ref": "AWS::NoValue"}]},
        ]
    }
    assert alarm["AlarmActions"] == notify
    # With notBreaching the alarm turns OK after 15 quiet minutes whether or not the rule
    # recovered: a mail saying OK would read as a recovery.
    assert "OKActions" not in alarm
    topic = template["Resources"]["AlertTopic"]
    assert topic["Condition"] == "CreateAlertTopic"
    assert topic["Properties"]["Subscription"] == [
        {"Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}}
    ]
    conditions = template["Conditions"]
    assert conditions["CreateAlertTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]}
    assert conditions["HasAlertTopicArn"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlertTopicArn"}, ""]}]
    }
    parameters = template["Parameters"]
    assert parameters["AlertEmail"]["Default"] == parameters["AlertTopicArn"]["Default"] == ""
    arn = re.compile(parameters["AlertTopicArn"]["AllowedPattern"])
    assert arn.fullmatch("arn:aws:sns:eu-west-1:123456789012:security-alerts")
    assert arn.fullmatch("")
    assert not arn.fullmatch("arn:aws:sqs:eu-west-1:123456789012:queue")


# ---- 3. and limits: the identity_center_roles parameter, InputParameters within 1024 ------------


def test_identity_center_roles_reaches_the_rule(template):
    parameter = template["Parameters"]["IdentityCenterRoles"]
    assert parameter["Default"] == "evaluate"
    assert sorted(parameter["AllowedValues"]) == ["evaluate", "exclude"]
    rules = resources_of_type(template, "AWS::Config::ConfigRule")
    if rules:
        (rule,) = rules.values()
        assert rule["Properties"]["InputParameters"]["identity_center_roles"] == {
            "Ref": "IdentityCenterRoles"
        }
    else:
        (rule,) = resources_of_type(template, "AWS::Config::OrganizationConfigRule").values()
        text = rule["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"]
        assert '"identity_center_roles":"${IdentityCenterRoles}"' in text["Fn::Sub"][0]


def longest_value(parameter: dict) -> str:
    if "AllowedValues" in parameter:
        return max((str(v) for v in parameter["AllowedValues"]), key=len)
    if "MaxValue" in parameter:
        return str(parameter["MaxValue"])
    return "a" * parameter["MaxLength"]


def test_the_longest_input_parameters_fit_config_limit():
    # template.yaml: an object CloudFormation serialises as JSON.
    single = load(SINGLE)
    (rule,) = resources_of_type(single, "AWS::Config::ConfigRule").values()
    members = {
        key: longest_value(single["Parameters"][value["Ref"] if "Ref" in value else value["Fn::If"][1]["Ref"]])
        for key, value in rule["Properties"]["InputParameters"].items()
    }
    assert len(json.dumps(members, separators=(",", ":"))) <= INPUT_PARAMETERS_MAX

    # org/template.yaml: a string built with !Sub; every optional member present.
    org = load(ORG)
    (rule,) = resources_of_type(org, "AWS::Config::OrganizationConfigRule").values()
    text, variables = rule["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"][
        "Fn::Sub"
    ]
    parameters = org["Parameters"]
    for name, value in variables.items():
        present = value["Fn::If"][1]["Fn::Sub"]
        text = text.replace("${" + name + "}", present)
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: longest_value(parameters[m.group(1)]), text)
    assert json.loads(rendered)["identity_center_roles"] == "evaluate"
    assert len(rendered) <= INPUT_PARAMETERS_MAX, len(rendered)
