"""scripts/bench measures what ships and fails when a run is wrong.

The function's environment comes from template.yaml (read by bench/run.py's own small reader;
checked here against cfn-lint's decoder, an independent one). A run that is broken (an error
response, a crash, counts the fake's account does not need) fails `scripts/bench --quick`:
shown with stand-in functions, small Python programs that speak the Lambda Runtime API the
way a broken build would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
import run as bench_run  # noqa: E402

FUNCTION_ID = "RuleFunction"


def template_environment_by_cfn_lint(name: str) -> dict[str, str]:
    template, matches = decode(str(REPO / name))
    assert not matches, matches
    variables = template["Resources"][FUNCTION_ID]["Properties"]["Environment"]["Variables"]
    resolved = {}
    for key, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Ref"}:
            value = template["Parameters"][value["Ref"]]["Default"]
        resolved[key] = str(value)
    return resolved


@pytest.mark.parametrize("name", ["template.yaml", "org/template.yaml"])
def test_bench_reads_the_function_environment_the_template_deploys(name):
    got = bench_run.template_environment(REPO / name, FUNCTION_ID)
    assert got == template_environment_by_cfn_lint(name)
    # The allocator setting the figures depend on.
    assert got["MALLOC_ARENA_MAX"] == "1"


def test_bench_refuses_an_environment_value_it_cannot_resolve(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent("""\
        Parameters:
          Days:
            Type: Number
        Resources:
          RuleFunction:
            Properties:
              Environment:
                Variables:
                  MAX_DAYS_FOR_LAST_USED: !Ref Days
        """))
    with pytest.raises(RuntimeError, match=r"Variables\.MAX_DAYS_FOR_LAST_USED: !Ref Days names no parameter with a Default"):
        bench_run.template_environment(template, FUNCTION_ID)


# A stand-in function: takes one event from the Runtime API, then does what STAND_IN says.
STAND_IN = textwrap.dedent("""\
    #!{python}
    import json, os, urllib.request
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    with open(os.environ["STAND_IN_ENV_FILE"], "w") as f:
        json.dump(dict(os.environ), f)
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    mode = os.environ["STAND_IN"]
    if mode == "crash":
        raise SystemExit(3)
    if mode == "error":
        body, path = b'{{"errorType":"ConfigReadFailed","errorMessage":"boom"}}', "/error"
    else:  # claims a complete run but sent nothing
        body = json.dumps({{"roles": 1000, "stale_cleaned": 0}}).encode()
        path = "/response"
    req = urllib.request.Request(api + request_id + path, data=body, method="POST")
    urllib.request.urlopen(req).read()
    """)


@pytest.mark.parametrize(
    "mode, message",
    [
        ("crash", "the function exited with code 3 without responding"),
        ("error", "the function failed (error"),
        ("silent", "0 evaluations sent, expected 1000 (1000 roles + 0 gone)"),
    ],
)
def test_bench_quick_fails_when_the_run_is_broken(tmp_path, mode, message):
    stand_in = tmp_path / "bootstrap"
    stand_in.write_text(STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)
    env_file = tmp_path / "env.json"

    result = subprocess.run(
        [str(REPO / "scripts" / "bench"), "--quick", "--binary", str(stand_in),
         "--env", f"STAND_IN={mode}", "--env", f"STAND_IN_ENV_FILE={env_file}",
         "--logs", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    assert "bench: FAIL: " in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    # The process got the template's environment, as Lambda would give it.
    seen = json.loads(env_file.read_text())
    template = bench_run.template_environment(REPO / "template.yaml", FUNCTION_ID)
    assert {key: seen.get(key) for key in template} == template


# A stand-in users rule: reads what the users rule reads (boto3, against the benchmark's fake),
# then does what STAND_IN says: everything right ("ok"), or one thing wrong.
USERS_STAND_IN = textwrap.dedent("""\
    #!{python}
    import base64, json, os, time, urllib.request
    import boto3
    from botocore.exceptions import ClientError
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    mode = os.environ["STAND_IN"]
    iam, config = boto3.client("iam"), boto3.client("config")
    while iam.generate_credential_report()["State"] != "COMPLETE" and mode != "no-poll":
        time.sleep(0.05)
    try:
        generated = iam.get_credential_report()["GeneratedTime"]
    except ClientError:  # the report is not ready: a rule that does not poll reads nothing
        generated = None
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"], PaginationConfig={{"PageSize": 1000}})
    ids = [u["UserId"] for page in pages for u in page["UserDetailList"]]
    if mode == "per-user":
        for user_id in ids[:3]:
            iam.list_users(MaxItems=1)
    config.get_compliance_details_by_config_rule(ConfigRuleName="iam-role-last-used", Limit=100)
    sent = ids[:-1] if mode == "short" else ids
    for start in range(0, len(sent), 100):
        config.put_evaluations(ResultToken="t", Evaluations=[
            {{"ComplianceResourceType": "AWS::IAM::User", "ComplianceResourceId": i,
              "ComplianceType": "COMPLIANT", "OrderingTimestamp": "2026-01-01T00:00:00Z"}}
            for i in sent[start:start + 100]])
    if mode == "wrong-time" or generated is None:
        stamp = "2026-01-01T00:00:00Z"
    else:
        stamp = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps({{"rule_kind": "users", "principals": len(ids), "stale_cleaned": 0,
                       "not_judged": 0, "credential_report_generated": stamp}}).encode()
    req = urllib.request.Request(api + request_id + "/response", data=body, method="POST")
    urllib.request.urlopen(req).read()
    """)


def run_users_quick(tmp_path, mode):
    stand_in = tmp_path / "bootstrap"
    stand_in.write_text(USERS_STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)
    return subprocess.run(
        [str(REPO / "scripts" / "bench"), "--quick", "--kind", "users", "--pattern-reps", "0",
         "--binary", str(stand_in), "--env", f"STAND_IN={mode}", "--logs", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_bench_quick_users_run_passes_a_rule_that_reads_the_report_once_and_sends_every_user(tmp_path):
    result = run_users_quick(tmp_path, "ok")

    assert result.returncode == 0, result.stdout + result.stderr
    # 1000 users: GenerateCredentialReport STARTED then COMPLETE, one report, one IAM page, the
    # clean-up read, 10 PutEvaluations.
    assert "| 1000 | 0 | 1 |" in result.stdout, result.stdout
    assert "| 2 / 1 / 1 / 1 / 10 |" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "mode, messages",
    [
        ("no-poll", ["1 iam:GenerateCredentialReport calls, expected 2",
                     "the fake answered with errors: {'iam:GetCredentialReport': 1}"]),
        ("short", ["999 evaluations sent, expected 1000 (1000 users + 0 gone)"]),
        ("wrong-time", ["the response says credential_report_generated=2026-01-01T00:00:00Z, "
                        "the fake served "]),
        ("per-user", ["3 iam:ListUsers calls: the rule reads no user one by one"]),
    ],
)
def test_bench_quick_users_run_fails_on_wrong_counts(tmp_path, mode, messages):
    result = run_users_quick(tmp_path, mode)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "bench: FAIL: the run is wrong: " in result.stderr, result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr
