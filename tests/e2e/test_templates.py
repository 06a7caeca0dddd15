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


def test_the_longest_organization_users_rule_name_makes_member_rules_config_can_read_back():
    parameter = load(ORG)["Parameters"]["UsersRuleName"]
    name = "a" * parameter["MaxLength"]
    assert re.compile(parameter["AllowedPattern"]).fullmatch(name)
    member_rule = f"{ORG_RULE_PREFIX}{name}{ORG_RULE_SUFFIX}"
    assert len(member_rule) == READABLE_RULE_NAME_MAX, member_rule
    assert "41" in parameter["Description"] and "64" in parameter["Description"]


def test_the_single_account_rules_are_named_within_the_readable_limit():
    template = load(SINGLE)
    for name in ("NameOfSolution", "UsersRuleName", "PermissionsRuleName"):
        assert template["Parameters"][name]["MaxLength"] <= READABLE_RULE_NAME_MAX
    rules = resources_of_type(template, "AWS::Config::ConfigRule")
    assert {k: r["Properties"]["ConfigRuleName"] for k, r in rules.items()} == {
        "ConfigRule": {"Ref": "NameOfSolution"},
        "UsersConfigRule": {"Ref": "UsersRuleName"},
        "PermissionsConfigRule": {"Ref": "PermissionsRuleName"},
    }


# ---- 5. failures someone hears about -----------------------------------------------------------


@pytest.fixture(params=[SINGLE, ORG])
def template(request) -> dict:
    return load(request.param)


# Each rule's function and the execution role it runs with, in both templates; template.yaml
# also has the permissions rule's.
FUNCTIONS = {"RuleFunction": "RuleExecutionRole", "UsersRuleFunction": "UsersRuleExecutionRole"}
SINGLE_FUNCTIONS = FUNCTIONS | {"PermissionsRuleFunction": "PermissionsRuleExecutionRole"}


def functions_of(template: dict) -> dict[str, str]:
    return FUNCTIONS if "OrganizationRule" in template["Resources"] else SINGLE_FUNCTIONS


def the_function(template: dict, function_id: str = "RuleFunction") -> dict:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert sorted(functions) == sorted(functions_of(template))
    return functions[function_id]["Properties"]


@pytest.fixture(params=list(FUNCTIONS))
def function_id(request) -> str:
    return request.param


# Every (template, function) pair there is.
TEMPLATE_FUNCTIONS = [(SINGLE, f) for f in SINGLE_FUNCTIONS] + [(ORG, f) for f in FUNCTIONS]


@pytest.mark.parametrize(("path", "function_id"), TEMPLATE_FUNCTIONS)
def test_a_run_is_retried_once_and_a_run_that_still_fails_is_kept_with_its_error(path, function_id):
    template = load(path)
    invoke = the_function(template, function_id)["EventInvokeConfig"]
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
    role = template["Resources"][functions_of(template)[function_id]]["Properties"]
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


def errors_alarm(template: dict, function_id: str = "RuleFunction") -> dict:
    alarms = [
        a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Errors"
        and a["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
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


@pytest.mark.parametrize(("path", "function_id"), TEMPLATE_FUNCTIONS)
def test_the_errors_alarm_fires_when_the_retry_fails_too_and_not_when_it_succeeds(path, function_id):
    template = load(path)
    alarm = errors_alarm(template, function_id)
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    timeout = the_function(template, function_id)["Timeout"]
    for start in (0, 30, 59.9):
        # A transient failure the retry fixes: one error.
        assert not alarms(alarm, [start]), start
        # A failure for good: the attempt and its retry, at least a minute apart and at most
        # a minute plus a whole run (one that timed out).
        for gap in (LAMBDA_FIRST_RETRY_WAIT_S, LAMBDA_FIRST_RETRY_WAIT_S + timeout):
            assert alarms(alarm, [start, start + gap]), (start, gap)


@pytest.mark.parametrize(("path", "function_id"), TEMPLATE_FUNCTIONS)
def test_the_errors_alarm_notifies_the_alert_email_or_topic(path, function_id):
    template = load(path)
    alarm = errors_alarm(template, function_id)
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
        rule = rules["ConfigRule"]
        assert rule["Properties"]["InputParameters"]["identity_center_roles"] == {
            "Ref": "IdentityCenterRoles"
        }
    else:
        rule = template["Resources"]["OrganizationRule"]
        text = rule["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"]
        assert '"identity_center_roles":"${IdentityCenterRoles}"' in text["Fn::Sub"][0]


def test_publish_results_reaches_both_rules(template):
    parameter = template["Parameters"]["PublishResults"]
    assert parameter["Default"] == "changes"
    assert sorted(parameter["AllowedValues"]) == ["all", "changes"]
    rules = resources_of_type(template, "AWS::Config::ConfigRule")
    if rules:
        for rule_id in ("ConfigRule", "UsersConfigRule"):
            assert rules[rule_id]["Properties"]["InputParameters"]["publish"] == {
                "Ref": "PublishResults"
            }
    else:
        for rule_id in ("OrganizationRule", "UsersOrganizationRule"):
            metadata = template["Resources"][rule_id]["Properties"]["OrganizationCustomRuleMetadata"]
            assert '"publish":"${PublishResults}"' in metadata["InputParameters"]["Fn::Sub"][0]


def longest_value(parameter: dict) -> str:
    if "AllowedValues" in parameter:
        return max((str(v) for v in parameter["AllowedValues"]), key=len)
    if "MaxValue" in parameter:
        return str(parameter["MaxValue"])
    return "a" * parameter["MaxLength"]


@pytest.mark.parametrize(("rule_id", "a_key"), [("ConfigRule", "identity_center_roles"),
                                               ("UsersConfigRule", "user_allowlist"),
                                               ("PermissionsConfigRule", "refresh_after_days")])
def test_the_longest_input_parameters_fit_config_limit(rule_id, a_key):
    # template.yaml: an object CloudFormation serialises as JSON.
    single = load(SINGLE)
    rule = single["Resources"][rule_id]
    members = {
        key: longest_value(single["Parameters"][value["Ref"] if "Ref" in value else value["Fn::If"][1]["Ref"]])
        for key, value in rule["Properties"]["InputParameters"].items()
    }
    assert a_key in members
    assert len(json.dumps(members, separators=(",", ":"))) <= INPUT_PARAMETERS_MAX


@pytest.mark.parametrize(("rule_id", "a_key"), [("OrganizationRule", "identity_center_roles"),
                                               ("UsersOrganizationRule", "user_allowlist")])
def test_the_longest_organization_input_parameters_fit_config_limit(rule_id, a_key):
    # org/template.yaml: a string built with !Sub; every optional member present.
    org = load(ORG)
    rule = org["Resources"][rule_id]
    text, variables = rule["Properties"]["OrganizationCustomRuleMetadata"]["InputParameters"][
        "Fn::Sub"
    ]
    parameters = org["Parameters"]
    for name, value in variables.items():
        present = value["Fn::If"][1]["Fn::Sub"]
        text = text.replace("${" + name + "}", present)
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: longest_value(parameters[m.group(1)]), text)
    assert a_key in json.loads(rendered)
    assert len(rendered) <= INPUT_PARAMETERS_MAX, len(rendered)


# ---- the users rule: its own function, least privilege, its scope, its off switch ------------

# Each function's role may call exactly these actions (template.yaml; in org/template.yaml the
# IAM and Config actions are the member role's, below).
SINGLE_ACTIONS = {
    "RuleFunction": {
        "iam:GetAccountAuthorizationDetails",
        "config:PutEvaluations",
        "config:GetComplianceDetailsByConfigRule",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
    },
    "UsersRuleFunction": {
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
        "config:PutEvaluations",
        "config:GetComplianceDetailsByConfigRule",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
    },
}
ORG_CENTRAL_ACTIONS = {"sts:AssumeRole", "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"}
MEMBER_ACTIONS = {
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "config:PutEvaluations",
    "config:GetComplianceDetailsByConfigRule",
}


def resolve(statement, conditions: dict[str, bool]):
    """A statement with its `Fn::If` decided by `conditions`; None for `AWS::NoValue`."""
    if isinstance(statement, dict) and "Fn::If" in statement:
        name, if_true, if_false = statement["Fn::If"]
        statement = if_true if conditions[name] else if_false
    return None if statement == {"Ref": "AWS::NoValue"} else statement


def actions_of_role(template: dict, role_id: str, conditions: dict[str, bool] | None = None) -> set[str]:
    """Every action the role's inline policies and the RolePolicies attached to it allow, with
    conditional statements decided by `conditions`."""
    statements = [
        resolved
        for p in template["Resources"][role_id]["Properties"].get("Policies", [])
        for s in p["PolicyDocument"]["Statement"]
        if (resolved := resolve(s, conditions or {})) is not None
    ]
    for attached in resources_of_type(template, "AWS::IAM::RolePolicy").values():
        if attached["Properties"]["RoleName"] == {"Ref": role_id}:
            statements += attached["Properties"]["PolicyDocument"]["Statement"]
    actions: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        action = statement["Action"]
        actions |= {action} if isinstance(action, str) else set(action)
    return actions


def test_each_single_account_function_may_call_exactly_what_its_rule_calls(function_id):
    template = load(SINGLE)
    role = the_function(template, function_id)["Role"]["Fn::GetAtt"][0]
    assert role == FUNCTIONS[function_id], "each function runs with its own role"
    assert actions_of_role(template, role) == SINGLE_ACTIONS[function_id]


def test_each_organization_function_may_only_assume_the_member_role_and_log():
    template = load(ORG)
    for function_id, role in FUNCTIONS.items():
        assert the_function(template, function_id)["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        assert actions_of_role(template, role) == ORG_CENTRAL_ACTIONS


def test_the_member_role_grants_what_both_rules_call_and_trusts_both_central_roles():
    member = load("org/member-role.yaml")
    assert actions_of_role(member, "MemberRole", {"HasUsersCentralFunction": True}) == MEMBER_ACTIONS
    # Without the users rule, nobody may read the credential report through it.
    assert actions_of_role(member, "MemberRole", {"HasUsersCentralFunction": False}) == MEMBER_ACTIONS - {
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
    }
    (trust,) = member["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert trust["Principal"]["AWS"] == {
        "Fn::If": [
            "HasUsersCentralFunction",
            [{"Ref": "CentralFunctionRoleArn"}, {"Ref": "UsersCentralFunctionRoleArn"}],
            {"Ref": "CentralFunctionRoleArn"},
        ]
    }
    # The organization stack hands the users function's role to the StackSet.
    org = load(ORG)
    parameters = org["Resources"]["MemberRoleStackSet"]["Properties"]["Parameters"]
    assert {"ParameterKey": "UsersCentralFunctionRoleArn",
            "ParameterValue": {"Fn::If": ["UsersRuleEnabled",
                                          {"Fn::GetAtt": ["UsersRuleExecutionRole", "Arn"]}, ""]}} in parameters  # fmt: skip
    assert set(member["Parameters"]) == {p["ParameterKey"] for p in parameters}


def test_each_function_is_told_its_rule_kind_and_threshold(template):
    for function_id, kind, days in (
        ("RuleFunction", "roles", "MaxDaysForLastUsed"),
        ("UsersRuleFunction", "users", "MaxDaysForUserCredentials"),
    ):
        function = the_function(template, function_id)
        variables = function["Environment"]["Variables"]
        assert variables["RULE_KIND"] == kind
        assert variables["MAX_DAYS_FOR_LAST_USED"] == {"Ref": days}
        # One binary serves both rules.
        assert template["Resources"][function_id]["Metadata"]["BuildProperties"] == {
            "Binary": "iam-role-last-used"
        }


def test_the_users_threshold_defaults_to_the_cis_45_days_up_to_3650(template):
    parameter = template["Parameters"]["MaxDaysForUserCredentials"]
    assert (parameter["Default"], parameter["MinValue"], parameter["MaxValue"]) == (45, 1, 3650)
    assert "CIS" in parameter["Description"]


def test_the_users_rule_is_scoped_to_iam_users_and_gets_the_users_parameters():
    single = load(SINGLE)["Resources"]["UsersConfigRule"]["Properties"]
    assert single["Scope"] == {"ComplianceResourceTypes": ["AWS::IAM::User"]}
    assert single["Source"]["SourceIdentifier"] == {"Fn::GetAtt": ["UsersRuleFunction", "Arn"]}
    assert set(single["InputParameters"]) == {
        "max_days_for_last_used", "user_allowlist", "exempt_tag_key", "publish"
    }  # fmt: skip
    org = load(ORG)["Resources"]["UsersOrganizationRule"]["Properties"]
    metadata = org["OrganizationCustomRuleMetadata"]
    assert metadata["ResourceTypesScope"] == ["AWS::IAM::User"]
    assert metadata["LambdaFunctionArn"] == {"Fn::GetAtt": ["UsersRuleFunction", "Arn"]}
    text = metadata["InputParameters"]["Fn::Sub"][0]
    assert '"execution_role_name":"${MemberRoleName}"' in text
    assert "role_allowlist" not in text and "service_linked_roles" not in text


def _references(value) -> set[str]:
    """Logical ids a template value refers to (Ref, GetAtt, ${...} in Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".")[0])
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([\w.:]+)\}", text)}
                if isinstance(inner, list):
                    found |= _references(inner[1])
            else:
                found |= _references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner)
    return found


def test_users_rule_disabled_leaves_out_every_users_resource_and_output(template):
    parameter = template["Parameters"]["UsersRule"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == (
        "enabled", ["disabled", "enabled"]
    )  # fmt: skip
    assert template["Conditions"]["UsersRuleEnabled"] == {
        "Fn::Equals": [{"Ref": "UsersRule"}, "enabled"]
    }
    resources = template["Resources"]
    users = {k for k in resources if k.startswith("Users")}
    assert {"UsersRuleFunction", "UsersRuleExecutionRole", "UsersRuleLogGroup",
            "UsersFailedRunsQueue", "UsersErrorsAlarm", "UsersConfigInvokePermission"} <= users  # fmt: skip
    for logical_id in users:
        assert resources[logical_id].get("Condition") == "UsersRuleEnabled", logical_id
    # Nothing that stays when the users rule is off may refer to what goes.
    for logical_id, resource in resources.items():
        if resource.get("Condition") == "UsersRuleEnabled":
            continue
        properties = json.dumps(resource.get("Properties", {}))
        for reference in _references(resource.get("Properties", {})) & users:
            assert f'"UsersRuleEnabled"' in properties, f"{logical_id} refers to {reference}"
    for name, output in template["Outputs"].items():
        if _references(output["Value"]) & users:
            assert output.get("Condition") == "UsersRuleEnabled", name


def test_both_functions_build_from_one_build_definition(template):
    # sam build builds functions with equal Runtime, CodeUri, Architectures and Metadata once
    # (SAM CLI's FunctionBuildDefinition compares the whole Metadata, checkov skips included).
    functions = [template["Resources"][f] for f in FUNCTIONS]
    for key in ("Runtime", "CodeUri", "Architectures", "Handler"):
        assert functions[0]["Properties"][key] == functions[1]["Properties"][key], key
    assert functions[0]["Metadata"] == functions[1]["Metadata"]


# ---- the permissions rule (template.yaml): its own function, least privilege, scope, off switch

PERMISSIONS_ACTIONS = {
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateServiceLastAccessedDetails",
    "iam:GetServiceLastAccessedDetails",
    "config:PutEvaluations",
    "config:GetComplianceDetailsByConfigRule",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
}


def test_the_permissions_function_may_call_exactly_what_its_rule_calls():
    template = load(SINGLE)
    role = the_function(template, "PermissionsRuleFunction")["Role"]["Fn::GetAtt"][0]
    assert role == "PermissionsRuleExecutionRole"
    assert actions_of_role(template, role) == PERMISSIONS_ACTIONS
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    generate = next(
        s for s in policy["PolicyDocument"]["Statement"]
        if s["Action"] == "iam:GenerateServiceLastAccessedDetails"
    )
    # Reports on the account's own roles and users only, not on groups or policies.
    assert generate["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"},
    ]


def test_the_permissions_rule_reports_on_roles_and_users_with_its_own_parameters():
    template = load(SINGLE)
    function = the_function(template, "PermissionsRuleFunction")
    assert function["Environment"]["Variables"]["RULE_KIND"] == "permissions"
    assert "MAX_DAYS_FOR_LAST_USED" not in function["Environment"]["Variables"]
    assert function["Timeout"] == 900, "checks until Lambda's longest timeout allows"
    rule = template["Resources"]["PermissionsConfigRule"]["Properties"]
    assert rule["Scope"] == {"ComplianceResourceTypes": ["AWS::IAM::Role", "AWS::IAM::User"]}
    assert rule["Source"]["SourceIdentifier"] == {"Fn::GetAtt": ["PermissionsRuleFunction", "Arn"]}
    assert rule["Source"]["SourceDetails"][0]["MaximumExecutionFrequency"] == {
        "Ref": "PermissionsEvaluationFrequency"
    }
    assert set(rule["InputParameters"]) == {
        "max_days_for_service", "refresh_after_days", "publish", "service_linked_roles",
        "identity_center_roles", "role_allowlist", "user_allowlist", "exempt_tag_key",
    }  # fmt: skip
    parameters = template["Parameters"]
    assert (parameters["MaxDaysForService"]["Default"], parameters["MaxDaysForService"]["MaxValue"]) == (90, 400)
    assert (parameters["PermissionsRefreshDays"]["Default"], parameters["PermissionsRefreshDays"]["MaxValue"]) == (7, 90)
    # The same binary, built once with the other functions.
    assert template["Resources"]["PermissionsRuleFunction"]["Metadata"] == template["Resources"]["RuleFunction"]["Metadata"]


def test_permissions_rule_disabled_leaves_out_every_permissions_resource_and_output():
    template = load(SINGLE)
    assert template["Conditions"]["PermissionsRuleEnabled"] == {
        "Fn::Equals": [{"Ref": "PermissionsRule"}, "enabled"]
    }
    resources = template["Resources"]
    own = {k for k in resources if k.startswith("Permissions")}
    assert {"PermissionsRuleFunction", "PermissionsRuleExecutionRole", "PermissionsRuleLogGroup",
            "PermissionsFailedRunsQueue", "PermissionsErrorsAlarm", "PermissionsConfigRule",
            "PermissionsConfigInvokePermission", "PermissionsConfigRuleReadPolicy"} == own  # fmt: skip
    for logical_id in own:
        assert resources[logical_id].get("Condition") == "PermissionsRuleEnabled", logical_id
    for logical_id, resource in resources.items():
        if resource.get("Condition") == "PermissionsRuleEnabled":
            continue
        assert not _references(resource.get("Properties", {})) & own, logical_id
    for name, output in template["Outputs"].items():
        if _references(output["Value"]) & own:
            assert output.get("Condition") == "PermissionsRuleEnabled", name


# ---- the quarantine documents (template.yaml): what they are, what their role may do, and the
# Config remediation that offers them

QUARANTINE_DOCUMENTS = {
    "QuarantineRoleDocument": ("QuarantineRole", "RoleId", "NameOfSolution"),
    "RestoreRoleDocument": ("RestoreRole", "RoleId", None),
    "QuarantineUserDocument": ("QuarantineUser", "UserId", "UsersRuleName"),
    "RestoreUserDocument": ("RestoreUser", "UserId", None),
}
AUTOMATION_ROLE = "QuarantineAutomationRole"
# What the documents' aws:executeScript steps call through boto3 (each script's own calls are
# read from its source below and must be exactly these).
SCRIPT_ACTIONS = {
    "iam:ListRoles", "iam:GetRole", "iam:GetRolePolicy",
    "iam:ListUsers", "iam:GetUser", "iam:GetUserPolicy", "iam:GetLoginProfile", "iam:ListAccessKeys",
    "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey", "iam:GetAccountAuthorizationDetails",
    "config:DescribeConfigRules", "config:GetComplianceDetailsByResource",
}  # fmt: skip
# The quarantine's names, as the README gives them.
SPEC_POLICY_DOCUMENT = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"UnusedAccessQuarantine","Effect":"Deny",'
    '"Action":"*","Resource":"*"}]}'
)


def documents() -> dict[str, dict]:
    return resources_of_type(load(SINGLE), "AWS::SSM::Document")


def steps_of(document: dict) -> list[dict]:
    return document["Properties"]["Content"]["mainSteps"]


def script_actions(script: str) -> set[str]:
    """The IAM and Config actions a script calls: `iam.<op>(...)`, `config.<op>(...)` and
    `<client>.get_paginator("<op>")`, as the service models name them."""
    import ast

    import botocore.session
    from botocore import xform_name

    models = {s: botocore.session.get_session().get_service_model(s) for s in ("iam", "config")}
    by_snake = {
        (service, xform_name(op)): f"{service}:{op}"
        for service, model in models.items()
        for op in model.operation_names
    }
    found = set()
    for node in ast.walk(ast.parse(script)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target = node.func.value
        if not (isinstance(target, ast.Name) and target.id in models):
            continue
        if node.func.attr == "get_paginator":
            found.add(by_snake[(target.id, node.args[0].value)])
        elif node.func.attr != "exceptions":
            found.add(by_snake[(target.id, node.func.attr)])
    return found


def test_the_four_quarantine_documents_are_named_automation_documents_of_the_stack():
    found = documents()
    assert sorted(found) == sorted(QUARANTINE_DOCUMENTS)
    for logical_id, (suffix, id_parameter, rule_default) in QUARANTINE_DOCUMENTS.items():
        properties = found[logical_id]["Properties"]
        assert properties["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}
        assert (properties["DocumentType"], properties["DocumentFormat"]) == ("Automation", "YAML")
        # A new version on update: Replace would first create a second document of this name.
        assert properties["UpdateMethod"] == "NewVersion"
        content = properties["Content"]
        assert content["schemaVersion"] == "0.3"
        assert content["assumeRole"] == "{{ AutomationAssumeRole }}"
        parameters = content["parameters"]
        assert parameters["AutomationAssumeRole"]["default"] == {"Fn::GetAtt": [AUTOMATION_ROLE, "Arn"]}
        assert "default" not in parameters[id_parameter], "the principal is always given"
        if rule_default:
            assert parameters["RuleName"]["default"] == {"Ref": rule_default}
        quarantine_only = {"RuleName", "DailyLimit"} if rule_default else set()
        assert set(parameters) == {id_parameter, "AutomationAssumeRole"} | quarantine_only
        for step in steps_of(found[logical_id]):
            if step["action"] == "aws:executeScript":
                # Systems Manager: runbooks on Python 3.6 to 3.8 can no longer be created or run.
                assert step["inputs"]["Runtime"] == "python3.11"


def test_the_documents_use_the_quarantine_specs_policy_and_tags():
    found = documents()

    def api_steps(logical_id):
        return {s["inputs"]["Api"]: s["inputs"] for s in steps_of(found[logical_id]) if s["action"] == "aws:executeAwsApi"}

    for logical_id, api in (("QuarantineRoleDocument", "PutRolePolicy"), ("QuarantineUserDocument", "PutUserPolicy")):
        inputs = api_steps(logical_id)[api]
        assert (inputs["PolicyName"], inputs["PolicyDocument"]) == ("UnusedAccessQuarantine", SPEC_POLICY_DOCUMENT)
    role_tags = api_steps("QuarantineRoleDocument")["TagRole"]["Tags"]
    assert [t["Key"] for t in role_tags] == ["unused-access:quarantined-at", "unused-access:quarantined-by"]
    assert role_tags[1]["Value"] == {"Fn::Sub": "${AWS::StackName}-QuarantineRole"}
    user_tags = api_steps("QuarantineUserDocument")["TagUser"]["Tags"]
    assert [t["Key"] for t in user_tags] == [
        "unused-access:quarantined-at", "unused-access:quarantined-by", "unused-access:deactivated-keys"
    ]  # fmt: skip
    assert user_tags[1]["Value"] == {"Fn::Sub": "${AWS::StackName}-QuarantineUser"}
    assert api_steps("RestoreRoleDocument")["UntagRole"]["TagKeys"] == [t["Key"] for t in role_tags]
    assert api_steps("RestoreUserDocument")["UntagUser"]["TagKeys"] == [t["Key"] for t in user_tags]


def _automation_statements() -> list[dict]:
    template = load(SINGLE)
    (policy,) = template["Resources"][AUTOMATION_ROLE]["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def _actions(statement: dict) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_the_automation_role_may_do_exactly_what_the_documents_call():
    called = set()
    scripted = set()
    for document in documents().values():
        for step in steps_of(document):
            if step["action"] == "aws:executeAwsApi":
                called.add(f"{step['inputs']['Service']}:{step['inputs']['Api']}")
            elif step["action"] == "aws:executeScript":
                scripted |= script_actions(step["inputs"]["Script"])
            else:
                assert step["action"] == "aws:branch", step["name"]
    assert scripted == SCRIPT_ACTIONS, "the declared script calls are the scripts' calls"
    called |= scripted
    statements = _automation_statements()
    allowed = set().union(*(_actions(s) for s in statements if s["Effect"] == "Allow"))
    assert not called - allowed, f"called but not allowed: {sorted(called - allowed)}"
    assert not allowed - called, f"allowed but never called: {sorted(allowed - called)}"
    assert not any("*" in a for a in allowed), "named actions only"


def test_the_automation_role_acts_only_on_the_accounts_principals_and_never_on_service_roles():
    role_arns = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"}
    user_arns = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"}
    writes = {"iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"}
    by_sid = {s["Sid"]: s for s in _automation_statements()}
    for statement in by_sid.values():
        if statement["Effect"] != "Allow" or statement["Resource"] == "*":
            continue
        for action in _actions(statement):
            if action.startswith("iam:"):
                expected = role_arns if "Role" in action else user_arns
                assert statement["Resource"] == expected, action
    star = {a for s in by_sid.values() if s["Resource"] == "*" for a in _actions(s)}
    # Service Authorization Reference / Config Developer Guide: these have no resource types.
    assert star == {
        "iam:ListRoles", "iam:ListUsers", "iam:GetAccountAuthorizationDetails",
        "config:GetComplianceDetailsByResource",
    }  # fmt: skip
    deny = by_sid["NeverTouchServiceRoles"]
    assert deny["Effect"] == "Deny" and _actions(deny) == writes
    assert deny["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-reserved/*"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/unused-access/*"},
    ]
    # The Deny's last pattern covers this role itself: QuarantineRole refuses its path.
    assert load(SINGLE)["Resources"][AUTOMATION_ROLE]["Properties"]["Path"] == "/unused-access/"
    assert by_sid["ReadRuleParameters"]["Resource"] == [
        {"Fn::GetAtt": ["ConfigRule", "Arn"]},
        {"Fn::If": ["UsersRuleEnabled", {"Fn::GetAtt": ["UsersConfigRule", "Arn"]}, {"Ref": "AWS::NoValue"}]},
    ]
    (trust,) = load(SINGLE)["Resources"][AUTOMATION_ROLE]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


REMEDIATIONS = {
    "QuarantineRoleRemediation": ("ConfigRule", "AWS::IAM::Role", "QuarantineRoleDocument", "RoleId"),
    "UsersQuarantineRemediation": ("UsersConfigRule", "AWS::IAM::User", "QuarantineUserDocument", "UserId"),
}


@pytest.mark.parametrize("automatic", [False, True])
def test_remediation_is_manual_by_default_and_automatic_with_the_parameter(automatic):
    template = load(SINGLE)
    parameter = template["Parameters"]["Remediation"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == ("Manual", ["Automatic", "Manual"])
    assert template["Conditions"]["AutomaticRemediation"] == {"Fn::Equals": [{"Ref": "Remediation"}, "Automatic"]}
    conditions = {"AutomaticRemediation": automatic}
    found = resources_of_type(template, "AWS::Config::RemediationConfiguration")
    assert sorted(found) == sorted(REMEDIATIONS)
    for logical_id, (rule, resource_type, document, id_parameter) in REMEDIATIONS.items():
        properties = found[logical_id]["Properties"]
        assert properties["ConfigRuleName"] == {"Ref": rule}
        assert (properties["ResourceType"], properties["TargetType"]) == (resource_type, "SSM_DOCUMENT")
        assert properties["TargetId"] == {"Ref": document}
        # Config passes the resource id (a RoleId / UserId); the document resolves it.
        assert properties["Parameters"] == {
            id_parameter: {"ResourceValue": {"Value": "RESOURCE_ID"}},
            "RuleName": {"StaticValue": {"Values": [{"Ref": rule}]}},
            "DailyLimit": {"StaticValue": {"Values": [{"Ref": "QuarantinesPerDay"}]}},
            "AutomationAssumeRole": {"StaticValue": {"Values": [{"Fn::GetAtt": [AUTOMATION_ROLE, "Arn"]}]}},
        }
        assert resolve(properties["Automatic"], conditions) is automatic
        attempts = resolve(properties["MaximumAutomaticAttempts"], conditions)
        retry = resolve(properties["RetryAttemptSeconds"], conditions)
        if automatic:
            # Config's limits (API Reference, RemediationConfiguration): 1..25 and 1..2678000.
            assert 1 <= attempts <= 25 and 1 <= retry <= 2678000
        else:
            assert attempts is None and retry is None
        assert properties["ExecutionControls"] == {"SsmControls": {
            "ConcurrentExecutionRatePercentage": {"Ref": "RemediationConcurrencyPercentage"},
            "ErrorPercentage": {"Ref": "RemediationErrorPercentage"},
        }}  # fmt: skip
    assert found["UsersQuarantineRemediation"].get("Condition") == "UsersRuleEnabled"
    for name in ("RemediationConcurrencyPercentage", "RemediationErrorPercentage"):
        spec = template["Parameters"][name]
        assert (spec["Default"], spec["MinValue"], spec["MaxValue"]) == (10, 1, 100)


def test_each_quarantine_document_is_capped_per_day_by_the_stacks_quarantines_per_day():
    template = load(SINGLE)
    names = list(template["Parameters"])
    assert names[names.index("RemediationErrorPercentage") + 1] == "QuarantinesPerDay"
    spec = template["Parameters"]["QuarantinesPerDay"]
    assert (spec["Type"], spec["Default"], spec["MinValue"], spec["MaxValue"]) == ("Number", 10, 1, 1000)
    found = documents()
    for logical_id, kind in (("QuarantineRoleDocument", "Role"), ("QuarantineUserDocument", "User")):
        content = found[logical_id]["Properties"]["Content"]
        daily_limit = content["parameters"]["DailyLimit"]
        # Systems Manager parameter types: String, StringList, Integer, Boolean, MapList, StringMap.
        assert (daily_limit["type"], daily_limit["default"]) == ("String", {"Ref": "QuarantinesPerDay"})
        assert daily_limit["allowedPattern"] == "^[1-9][0-9]{0,3}$"
        (guards,) = [s for s in steps_of(found[logical_id]) if s["name"] == "CheckGuards"]
        payload = guards["inputs"]["InputPayload"]
        assert payload["DailyLimit"] == "{{ DailyLimit }}"
        # The count matches the tag this document writes, and no other front end's.
        (tag_step,) = [s for s in steps_of(found[logical_id]) if s["inputs"].get("Api") == f"Tag{kind}"]
        (written,) = [t["Value"] for t in tag_step["inputs"]["Tags"] if t["Key"] == "unused-access:quarantined-by"]
        assert payload["QuarantinedBy"] == written == {"Fn::Sub": f"${{AWS::StackName}}-Quarantine{kind}"}


# ---- the digest (template.yaml): a topic given or created, publish to it and nothing else ----

DIGEST_FUNCTIONS = {
    "RuleFunction": "RuleExecutionRole",
    "UsersRuleFunction": "UsersRuleExecutionRole",
    "PermissionsRuleFunction": "PermissionsRuleExecutionRole",
}
# The digest's topic: the stack's (NotificationEmail) or the one given (NotificationTopicArn).
DIGEST_TOPIC = {
    "Fn::If": ["CreateNotificationTopic", {"Ref": "NotificationTopic"}, {"Ref": "NotificationTopicArn"}]
}


def test_the_digest_goes_to_a_topic_given_or_to_a_new_one_with_an_email_never_both():
    template = load(SINGLE)
    parameters = template["Parameters"]
    topic, email = parameters["NotificationTopicArn"], parameters["NotificationEmail"]
    assert topic["Default"] == email["Default"] == "", "off unless asked for"
    arn = re.compile(topic["AllowedPattern"])
    for good in ("", "arn:aws:sns:eu-west-1:123456789012:digest", "arn:aws-cn:sns:cn-north-1:123456789012:d_1"):
        assert arn.fullmatch(good), good
    for bad in ("digest", "arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sns:eu-west-1:123456789012:d.fifo"):
        assert not arn.fullmatch(bad), bad
    assert re.compile(email["AllowedPattern"]).fullmatch("team@example.com")
    assert not re.compile(email["AllowedPattern"]).fullmatch("team")
    order = list(parameters)
    assert order[order.index("AlertTopicArn") + 1 : order.index("AlertTopicArn") + 3] == [
        "NotificationTopicArn", "NotificationEmail",
    ]  # fmt: skip
    (assertion,) = template["Rules"]["OneNotificationTarget"]["Assertions"]
    assert assertion["Assert"] == {
        "Fn::Or": [
            {"Fn::Equals": [{"Ref": "NotificationEmail"}, ""]},
            {"Fn::Equals": [{"Ref": "NotificationTopicArn"}, ""]},
        ]
    }
    conditions = template["Conditions"]
    assert conditions["CreateNotificationTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "NotificationEmail"}, ""]}]}
    assert conditions["HasNotificationTopicArn"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "NotificationTopicArn"}, ""]}]}
    assert conditions["HasNotificationTopic"] == {
        "Fn::Or": [{"Condition": "CreateNotificationTopic"}, {"Condition": "HasNotificationTopicArn"}]
    }
    created = template["Resources"]["NotificationTopic"]
    assert (created["Type"], created["Condition"]) == ("AWS::SNS::Topic", "CreateNotificationTopic")
    assert created["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "NotificationEmail"}}]


def test_each_function_is_told_the_digest_topic():
    template = load(SINGLE)
    for function_id in DIGEST_FUNCTIONS:
        variables = the_function(template, function_id)["Environment"]["Variables"]
        assert variables["NOTIFICATION_TOPIC_ARN"] == DIGEST_TOPIC, function_id


def test_each_function_may_publish_to_the_digest_topic_only_and_only_when_there_is_one():
    template = load(SINGLE)
    resources = template["Resources"]
    for function_id, role_id in DIGEST_FUNCTIONS.items():
        assert the_function(template, function_id)["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
        assert resources[role_id]["Properties"]["ManagedPolicyArns"] == {
            "Fn::If": ["HasNotificationTopic", [{"Ref": "DigestPublishPolicy"}], {"Ref": "AWS::NoValue"}]
        }, role_id
        # Without a topic, the role's own policies are what they were: no sns action.
        assert not {a for a in actions_of_role(template, role_id) if a.startswith("sns:")}
    policy = resources["DigestPublishPolicy"]
    assert (policy["Type"], policy["Condition"]) == ("AWS::IAM::ManagedPolicy", "HasNotificationTopic")
    assert "Roles" not in policy["Properties"], "attached by the roles, so each role's condition holds"
    # The same topic as DIGEST_TOPIC: with the policy's condition, no NotificationTopicArn means
    # the stack's topic (written this way round, cfn-lint checks no empty default as an ARN).
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "PublishDigest",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {
                "Fn::If": ["HasNotificationTopicArn", {"Ref": "NotificationTopicArn"}, {"Ref": "NotificationTopic"}]
            },
        }
    ]
    attached_elsewhere = [
        k for k, r in resources.items()
        if k not in DIGEST_FUNCTIONS.values() and "DigestPublishPolicy" in _references(r.get("Properties", {}))
    ]  # fmt: skip
    assert attached_elsewhere == []


def test_the_organization_functions_publish_the_digest_as_the_single_account_ones():
    single, org = load(SINGLE), load(ORG)
    for key in ("NotificationTopicArn", "NotificationEmail"):
        assert org["Parameters"][key]["AllowedPattern"] == single["Parameters"][key]["AllowedPattern"]
        assert org["Parameters"][key]["Default"] == ""
    assert org["Rules"]["OneNotificationTarget"] == single["Rules"]["OneNotificationTarget"]
    for name in ("CreateNotificationTopic", "HasNotificationTopicArn", "HasNotificationTopic"):
        assert org["Conditions"][name] == single["Conditions"][name], name
    for logical_id in ("NotificationTopic", "DigestPublishPolicy"):
        assert org["Resources"][logical_id]["Condition"] == single["Resources"][logical_id]["Condition"]
        assert (
            org["Resources"][logical_id]["Properties"] == single["Resources"][logical_id]["Properties"]
        ), logical_id
    for function_id, role_id in FUNCTIONS.items():
        assert the_function(org, function_id)["Environment"]["Variables"]["NOTIFICATION_TOPIC_ARN"] == DIGEST_TOPIC
        assert org["Resources"][role_id]["Properties"]["ManagedPolicyArns"] == {
            "Fn::If": ["HasNotificationTopic", [{"Ref": "DigestPublishPolicy"}], {"Ref": "AWS::NoValue"}]
        }, role_id
