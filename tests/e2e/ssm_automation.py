"""An offline interpreter for the SSM Automation documents in template.yaml.

There is no offline SSM Automation engine, so this module runs a document's steps itself, with
boto3 pointed at the fake AWS (moto's server on 127.0.0.1), as the Automation service would run
them with the document's assume role:

* the document is taken from the template (read with cfn-lint's decoder, as test_templates.py
  reads it) and its intrinsic functions resolved for a stack name: `Ref` to a template parameter
  (its default, or the value given), to a Config rule (its ConfigRuleName) or to a pseudo
  parameter, `Fn::Sub`, and `Fn::GetAtt <Role>.Arn`; anything else fails loudly;
* `{{ Parameter }}`, `{{ Step.Output }}` and `{{ global:ACCOUNT_ID | REGION | DATE_TIME }}` /
  `{{ automation:EXECUTION_ID }}` in step inputs are substituted: a value that is the whole
  string keeps its type, one inside a longer string is formatted into it. An unknown variable,
  a missing required parameter or a value outside `allowedPattern` fails loudly (SSM refuses
  such an execution when it starts). Scripts are not substituted: a script holding `{{` fails;
* steps run in order, or as `nextStep`, `isEnd` and `aws:branch` say:
  - `aws:executeAwsApi`: `boto3.client(Service).<snake_case Api>(**the other inputs)`; outputs
    by `Selector` on the response;
  - `aws:executeScript` (Python runtimes): the Script is executed and its `Handler` called with
    (events = the resolved InputPayload, context = {}); outputs by `Selector` on
    {"Payload": the returned value}. The script's own `boto3.client(...)` reaches the fake: the
    run sets AWS_ENDPOINT_URL, a Region and dummy credentials in the environment and makes its
    recording session boto3's default session;
  - `aws:branch`: the first Choice whose Variable matches (`BooleanEquals`, `StringEquals`,
    `NumericEquals`) names the next step, else `Default`;
  an unknown action, step property or operator fails loudly. `Selector` is the JSONPath subset
  `$.a.b`, `$.a[0].b`; an output whose value does not have its declared `Type` fails the run.
* A step that raises ends the execution `Failed` with the error's text as its message, as the
  Automation console shows it (onFailure Abort, the default; nothing else is supported).

Every mutating call the steps make (any operation not named Get*, List*, Describe*) is recorded,
by a botocore `before-parameter-build` hook on the session every client of the run comes from,
with the parameters exactly as the caller passed them: the canonical list role-audit quarantine --dry-run --format json prints,
[{"service": "iam", "operation": "TagRole", "parameters": {...}}, ...]. (`before-call` would
see the serialised request; `before-parameter-build` sees the API's own PascalCase parameters.)

What this cannot show: that SSM accepts the documents (schema, runtime, output types), that the
assume role's policy allows each call, how SSM serialises outputs between steps (an empty string
output, a Boolean into a branch), and the eventual consistency of IAM.
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import boto3
from botocore import xform_name
from cfnlint.decode import decode

from .fake_aws import ACCOUNT_ID, REGION

SUCCESS = "Success"
FAILED = "Failed"
READ_PREFIXES = ("Get", "List", "Describe")
PARTITION = "aws"

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_:.]+)\s*\}\}")
_STEP_KEYS = {
    "name", "action", "inputs", "outputs", "description", "isEnd", "nextStep", "onFailure",
    "timeoutSeconds", "maxAttempts",
}  # fmt: skip
_OUTPUT_TYPES = {"String": str, "Boolean": bool, "Integer": int, "StringList": list, "StringMap": dict}
_BRANCH_OPERATORS = {"BooleanEquals", "StringEquals", "NumericEquals"}


class DocumentError(Exception):
    """The document (or the request to run it) is something this interpreter, or SSM, would
    not run: a test failure, not an execution status."""


@dataclass
class Execution:
    status: str  # SUCCESS or FAILED
    message: str  # the failure's text; "" on success
    calls: list[dict[str, Any]]  # the mutating calls, canonical form
    outputs: dict[str, Any] = field(default_factory=dict)  # "Step.Output" -> value
    steps: list[str] = field(default_factory=list)  # the steps run, in order


# ---- the template ----------------------------------------------------------------------------


def load_template(path: str | Path) -> dict:
    template, matches = decode(str(path))
    if matches:
        raise DocumentError(f"{path} does not parse: {matches}")
    return template


@dataclass(frozen=True)
class Stack:
    """What the intrinsic functions of a deployed stack resolve to."""

    template: dict
    name: str
    parameters: dict[str, str] = field(default_factory=dict)  # overrides of the defaults
    account_id: str = ACCOUNT_ID
    region: str = REGION

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": PARTITION,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.get("Parameters", {}):
            default = self.template["Parameters"][name].get("Default")
            if default is None:
                raise DocumentError(f"parameter {name} has no default: give it")
            return str(default)
        resource = self.template["Resources"].get(name)
        if resource and resource["Type"] == "AWS::Config::ConfigRule":
            return self.resolve(resource["Properties"]["ConfigRuleName"])
        if resource and resource["Type"] == "AWS::SSM::Document":
            return self.resolve(resource["Properties"]["Name"])
        raise DocumentError(f"Ref {name}: not resolved by this interpreter")

    def get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"].get(logical_id)
        if resource and resource["Type"] == "AWS::IAM::Role" and attribute == "Arn":
            # CloudFormation names a role <stack>-<logical id>-<suffix>.
            return f"arn:{PARTITION}:iam::{self.account_id}:role/{self.name}-{logical_id}-E2E"
        raise DocumentError(f"GetAtt {logical_id}.{attribute}: not resolved by this interpreter")

    def sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self.sub(text, variables)
            if key.startswith("Fn::"):
                raise DocumentError(f"{key}: not resolved by this interpreter")
        return {k: self.resolve(v) for k, v in value.items()}

    def document(self, logical_id: str) -> tuple[str, dict]:
        """The document's name and its Content, resolved."""
        resource = self.template["Resources"][logical_id]
        if resource["Type"] != "AWS::SSM::Document":
            raise DocumentError(f"{logical_id} is a {resource['Type']}, not an SSM document")
        properties = resource["Properties"]
        if properties.get("DocumentType") != "Automation":
            raise DocumentError(f"{logical_id} is not an Automation document")
        return self.resolve(properties["Name"]), self.resolve(properties["Content"])


# ---- running a document ----------------------------------------------------------------------


def select(value: Any, selector: str) -> Any:
    """The JSONPath subset `$.a.b[0].c`; KeyError/IndexError when the path is absent."""
    if not selector.startswith("$"):
        raise DocumentError(f"selector {selector!r} does not start with $")
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", selector[1:]):
        value = value[name] if name else value[int(index)]
    return value


class _Run:
    def __init__(self, content: dict, parameters: dict[str, Any], account_id: str, region: str):
        if content.get("schemaVersion") != "0.3":
            raise DocumentError(f"schemaVersion {content.get('schemaVersion')!r}: Automation needs '0.3'")
        self.content = content
        self.account_id = account_id
        self.region = region
        self.variables: dict[str, Any] = self._parameters(content.get("parameters", {}), parameters)
        self.variables |= {
            "global:ACCOUNT_ID": account_id,
            "global:REGION": region,
            "global:DATE_TIME": datetime.now(timezone.utc).strftime("%Y-%m-%d_%H.%M.%S"),
            "automation:EXECUTION_ID": str(uuid.uuid4()),
        }
        assume_role = content.get("assumeRole")
        if assume_role is not None and not _VARIABLE.fullmatch(assume_role.strip()):
            raise DocumentError(f"assumeRole {assume_role!r} is not a parameter reference")
        self.steps = content["mainSteps"]
        self.index = {step["name"]: i for i, step in enumerate(self.steps)}
        if len(self.index) != len(self.steps):
            raise DocumentError("two steps share a name")

    @staticmethod
    def _parameters(declared: dict[str, dict], given: dict[str, Any]) -> dict[str, Any]:
        unknown = set(given) - set(declared)
        if unknown:
            raise DocumentError(f"parameters the document does not declare: {sorted(unknown)}")
        values = {}
        for name, spec in declared.items():
            if name in given:
                value = given[name]
            elif "default" in spec:
                value = spec["default"]
            else:
                raise DocumentError(f"required parameter {name} not given")
            pattern = spec.get("allowedPattern")
            if pattern and not re.search(pattern, str(value)):
                raise DocumentError(f"{name}={value!r} does not match allowedPattern {pattern}")
            values[name] = value
        return values

    def substitute(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        whole = _VARIABLE.fullmatch(value.strip())
        if whole:
            return self._variable(whole.group(1))
        return _VARIABLE.sub(lambda m: str(self._variable(m.group(1))), value)

    def _variable(self, name: str) -> Any:
        if name not in self.variables:
            raise DocumentError(f"{{{{ {name} }}}}: no such parameter, step output or variable")
        return self.variables[name]

    def run(self, session: boto3.Session) -> tuple[str, str, list[str]]:
        ran: list[str] = []
        position = 0
        while position < len(self.steps):
            step = self.steps[position]
            unknown = set(step) - _STEP_KEYS
            if unknown:
                raise DocumentError(f"step {step['name']}: properties not interpreted: {sorted(unknown)}")
            if step.get("onFailure", "Abort") != "Abort":
                raise DocumentError(f"step {step['name']}: onFailure {step['onFailure']} not interpreted")
            ran.append(step["name"])
            action = step["action"]
            if action == "aws:branch":
                next_step = self._branch(step)
            else:
                try:
                    result = self._execute(step, action, session)
                except DocumentError:
                    raise
                except Exception as error:  # noqa: BLE001 - the execution fails with it, as in SSM
                    # SSM's FailureMessage wraps the error's text; the text is what is compared.
                    return FAILED, str(error), ran
                self._outputs(step, result)
                next_step = step.get("nextStep")
            if step.get("isEnd"):
                break
            position = self.index[next_step] if next_step else position + 1
        return SUCCESS, "", ran

    def _execute(self, step: dict, action: str, session: boto3.Session) -> Any:
        if action == "aws:executeAwsApi":
            inputs = self.substitute(copy.deepcopy(step["inputs"]))
            service, api = inputs.pop("Service"), inputs.pop("Api")
            response = getattr(session.client(service), xform_name(api))(**inputs)
            response.pop("ResponseMetadata", None)
            return response
        if action == "aws:executeScript":
            inputs = step["inputs"]
            if not str(inputs["Runtime"]).startswith("python3."):
                raise DocumentError(f"step {step['name']}: runtime {inputs['Runtime']} not interpreted")
            script = inputs["Script"]
            if "{{" in script:
                raise DocumentError(f"step {step['name']}: the script holds '{{{{'")
            payload = self.substitute(copy.deepcopy(inputs.get("InputPayload", {})))
            namespace: dict[str, Any] = {"__name__": f"ssm_step_{step['name']}"}
            exec(compile(script, f"<{step['name']}>", "exec"), namespace)  # noqa: S102 - the document's own script
            return {"Payload": namespace[inputs["Handler"]](payload, {})}
        raise DocumentError(f"step {step['name']}: action {action} not interpreted")

    def _outputs(self, step: dict, result: Any) -> None:
        for output in step.get("outputs", []):
            value = select(result, output["Selector"])
            kind = _OUTPUT_TYPES[output["Type"]]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise DocumentError(
                    f"output {step['name']}.{output['Name']} is {value!r}, not a {output['Type']}"
                )
            self.variables[f"{step['name']}.{output['Name']}"] = value

    def _branch(self, step: dict) -> str:
        inputs = step["inputs"]
        for choice in inputs["Choices"]:
            operators = set(choice) - {"NextStep", "Variable"}
            if len(operators) != 1 or not operators <= _BRANCH_OPERATORS:
                raise DocumentError(f"step {step['name']}: choice operators {sorted(operators)} not interpreted")
            (operator,) = operators
            if self.substitute(choice["Variable"]) == choice[operator]:
                return choice["NextStep"]
        if "Default" not in inputs:
            raise DocumentError(f"step {step['name']}: no choice matched and no Default")
        return inputs["Default"]


@contextmanager
def _pointed_at(endpoint: str, region: str, access_key_id: str) -> Iterator[None]:
    """The environment a script's own boto3 clients read, for the run only."""
    wanted = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": "e2e-secret",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    dropped = ("AWS_SESSION_TOKEN", "AWS_PROFILE")
    saved = {k: os.environ.get(k) for k in (*wanted, *dropped)}
    os.environ.update(wanted)
    for key in dropped:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(
    content: dict,
    parameters: dict[str, Any],
    endpoint: str,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
    access_key_id: str = "testing",
) -> Execution:
    """Runs a resolved document's steps against `endpoint`; records the mutating calls."""
    run = _Run(content, parameters, account_id, region)
    calls: list[dict[str, Any]] = []

    def record(params, model, **_):
        if not model.name.startswith(READ_PREFIXES):
            calls.append(
                {
                    "service": model.service_model.service_name,
                    "operation": model.name,
                    "parameters": copy.deepcopy(params),
                }
            )

    with _pointed_at(endpoint, region, access_key_id):
        session = boto3.Session(region_name=region)
        session.events.register("before-parameter-build", record)
        previous = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = session
        try:
            status, message, ran = run.run(session)
        finally:
            boto3.DEFAULT_SESSION = previous
    outputs = {k: v for k, v in run.variables.items() if "." in k and ":" not in k}
    return Execution(status, message, calls, outputs, ran)


def run_document(
    template_path: str | Path,
    logical_id: str,
    parameters: dict[str, Any],
    endpoint: str,
    stack_name: str,
    account_id: str = ACCOUNT_ID,
    access_key_id: str = "testing",
) -> tuple[str, str, list[dict[str, Any]]]:
    """Runs template.yaml's document `logical_id` as stack `stack_name` would have deployed it:
    (status SUCCESS | FAILED, the failure message or "", the canonical mutating calls). The
    account is the one moto serves `access_key_id` from (moto's default for "testing")."""
    stack = Stack(load_template(template_path), stack_name, account_id=account_id)
    _, content = stack.document(logical_id)
    execution = execute(content, parameters, endpoint, account_id, access_key_id=access_key_id)
    return execution.status, execution.message, execution.calls
