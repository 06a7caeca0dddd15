"""scripts/bench measures what ships and fails when a run is wrong.

The function's environment comes from template.yaml (read by bench/run.py's own small reader;
checked here against cfn-lint's decoder, an independent one). A run that is broken (an error
response, a crash, counts the fake's account does not need) fails `scripts/bench --quick`:
shown with stand-in functions, small Python programs that speak the Lambda Runtime API the
way a broken build would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
import blog_rule  # noqa: E402
import run as bench_run  # noqa: E402

FUNCTION_ID = "RuleFunction"


def template_environment_by_cfn_lint(name: str) -> dict[str, str]:
    template, matches = decode(str(REPO / name))
    assert not matches, matches
    variables = template["Resources"][FUNCTION_ID]["Properties"]["Environment"]["Variables"]
    def default(ref: dict):
        return template["Parameters"][ref["Ref"]]["Default"]

    resolved = {}
    for key, value in variables.items():
        if isinstance(value, dict) and set(value) == {"Fn::If"}:
            # With the defaults: a condition `!Not [!Equals [!Ref P, '']]` holds when P's
            # default is not empty.
            name, then, otherwise = value["Fn::If"]
            (equals,) = template["Conditions"][name]["Fn::Not"]
            ref, empty = equals["Fn::Equals"]
            assert empty == ""
            value = then if default(ref) != "" else otherwise
        if isinstance(value, dict) and set(value) == {"Ref"}:
            value = default(value)
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


# A stand-in roles rule that does what the function does on an account Config holds nothing
# for: IAM pages of 250, the rule's results read once, every role sent 100 at a time.
ROLES_STAND_IN = textwrap.dedent("""\
    #!{python}
    import json, os, urllib.request
    import boto3
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    with urllib.request.urlopen(api + "next") as r:
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
    iam, config = boto3.client("iam"), boto3.client("config")
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["Role"], PaginationConfig={{"PageSize": 250}})
    ids = [role["RoleId"] for page in pages for role in page["RoleDetailList"]]
    config.get_compliance_details_by_config_rule(ConfigRuleName="iam-role-last-used", Limit=100)
    for start in range(0, len(ids), 100):
        config.put_evaluations(ResultToken="t", Evaluations=[
            {{"ComplianceResourceType": "AWS::IAM::Role", "ComplianceResourceId": i,
              "ComplianceType": "COMPLIANT", "OrderingTimestamp": "2026-01-01T00:00:00Z"}}
            for i in ids[start:start + 100]])
    body = json.dumps({{"principals": len(ids), "stale_cleaned": 0}}).encode()
    req = urllib.request.Request(api + request_id + "/response", data=body, method="POST")
    urllib.request.urlopen(req).read()
    """)


def test_the_bench_expects_the_page_size_the_function_asks_for():
    source = (REPO / "src" / "aws" / "iam.rs").read_text()
    match = re.search(r"^pub const PAGE_SIZE: i32 = (\d+);", source, re.MULTILINE)
    assert match, "src/aws/iam.rs has no PAGE_SIZE"
    assert bench_run.IAM_PAGE_SIZE == int(match.group(1))


def test_bench_quick_roles_run_puts_the_blog_rule_beside_the_function(tmp_path):
    stand_in = tmp_path / "bootstrap"
    stand_in.write_text(ROLES_STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)

    result = subprocess.run(
        [str(REPO / "scripts" / "bench"), "--quick", "--kind", "roles", "--binary", str(stand_in),
         "--logs", str(tmp_path / "logs")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "beside the AWS blog's rule" in result.stdout, result.stdout
    table = result.stdout.split("beside the AWS blog's rule", 1)[1]
    # 1000 roles: the function 4 IAM pages of 250, 1 results read, 10 PutEvaluations; the blog's
    # rule 10 IAM pages of 100 and 10 PutEvaluations; one run of each at L = 0 and at 50 ms.
    for latency in (0, 50):
        row = next((line for line in table.splitlines() if line.startswith(f"| 1000 | {latency} |")), None)
        assert row is not None, result.stdout
        assert "| 1 / 1 |" in row and row.endswith("| 4 / 1 / 10 | 10 / 10 |"), row
    assert "CPU of a run ≥ 20× less than the blog's rule" in table, table


# A stand-in for bench/blog_rule.py: right (BLOG_STAND_IN=ok), or one thing wrong.
BLOG_STAND_IN = textwrap.dedent("""\
    import json, os
    import boto3
    mode = os.environ["BLOG_STAND_IN"]
    iam, config = boto3.client("iam"), boto3.client("config")
    page_size = 1000 if mode == "pages-of-1000" else 100
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["Role"], PaginationConfig={"PageSize": page_size})
    names = [role["RoleName"] for page in pages for role in page["RoleDetailList"]]
    sent = names[:-1] if mode == "short" else names
    batch = 50 if mode == "puts-of-50" else 100
    for start in range(0, len(sent), batch):
        config.put_evaluations(ResultToken="t", Evaluations=[
            {"ComplianceResourceType": "AWS::IAM::Role", "ComplianceResourceId": n,
             "ComplianceType": "COMPLIANT", "OrderingTimestamp": "2026-01-01T00:00:00Z"}
            for n in sent[start:start + batch]])
    print(json.dumps({"evaluations": len(sent), "non_compliant": 0, "import_cpu_ms": 0,
                      "run_cpu_ms": 0, "run_wall_ms": 0}))
    """)


@pytest.fixture(scope="module")
def blog_fake():
    fake = bench_run.Fake()
    yield fake
    fake.stop()


def run_blog_stand_in(tmp_path, fake, mode):
    script = tmp_path / "blog_stand_in.py"
    script.write_text(BLOG_STAND_IN)
    event = tmp_path / "event.json"
    event.write_bytes((REPO / "events" / "scheduled.json").read_bytes())
    env = {"PATH": "/usr/bin:/bin", "AWS_ENDPOINT_URL": fake.url, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "AKIDBENCHMARKFAKE000", "AWS_SECRET_ACCESS_KEY": "fake",
           "AWS_EC2_METADATA_DISABLED": "true", "BLOG_STAND_IN": mode}
    return bench_run.run_blog_once(fake, env, event, 1000, 0.0, tmp_path / "blog.log", script=script)


def test_bench_blog_run_passes_a_rule_that_pages_by_100_and_sends_every_role(tmp_path, blog_fake):
    run = run_blog_stand_in(tmp_path, blog_fake, "ok")

    assert run["requests"] == {"iam:GetAccountAuthorizationDetails": 10, "config:PutEvaluations": 10}


@pytest.mark.parametrize(
    "mode, message",
    [
        ("short", "999 evaluations sent (999 said), expected 1000"),
        ("pages-of-1000", "1 IAM pages read, expected 10 (100 roles a page)"),
        ("puts-of-50", "20 PutEvaluations calls, expected 10 for 1000 evaluations"),
    ],
)
def test_bench_blog_run_fails_when_the_blog_rule_reads_or_sends_otherwise(tmp_path, blog_fake, mode, message):
    with pytest.raises(RuntimeError, match=r"^the blog's rule's run is wrong: ") as failure:
        run_blog_stand_in(tmp_path, blog_fake, mode)

    assert message in str(failure.value)


# The blog's verdicts, as its article states them (first match wins): allowlist on Path +
# RoleName, age <= max days, no LastUsedDate, days unused > max days; keyed by the role's name.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def blog_role(name, path="/", created_days=400, used_days=None):
    role = {"RoleName": name, "Path": path, "RoleId": "AROA" + name.upper(),
            "CreateDate": NOW - timedelta(days=created_days), "RoleLastUsed": {}}
    if used_days is not None:
        role["RoleLastUsed"] = {"LastUsedDate": NOW - timedelta(days=used_days), "Region": "eu-west-1"}
    return role


@pytest.mark.parametrize(
    "role, compliance, annotation",
    [
        (blog_role("app", path="/service-role/"), "COMPLIANT", "Role is whitelisted"),
        (blog_role("breakglass-role"), "COMPLIANT", "Role is whitelisted"),
        (blog_role("young", created_days=60), "COMPLIANT", "Role age is 60 days"),
        (blog_role("old-never-used", created_days=61), "NON_COMPLIANT", "No record of usage"),
        (blog_role("used-61-days-ago", used_days=61), "NON_COMPLIANT", "Was used 61 days ago in eu-west-1"),
        (blog_role("used-60-days-ago", used_days=60), "COMPLIANT", "Was used 60 days ago in eu-west-1"),
    ],
)
def test_blog_rule_judges_roles_as_the_blog_describes(role, compliance, annotation):
    patterns = blog_rule.allowlist({"role_allowlist": "/breakglass-role|/security-*|/service-role/*"})

    got = blog_rule.judge(role, 60, patterns, "2026-06-01T00:00:00.000Z", NOW)

    assert (got["ComplianceResourceId"], got["ComplianceType"], got["Annotation"]) == \
        (role["RoleName"], compliance, annotation)


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
        Filter=["User"], PaginationConfig={{"PageSize": 250}})
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
    # 1000 users: GenerateCredentialReport STARTED then COMPLETE, one report, 4 IAM pages, the
    # clean-up read, 10 PutEvaluations.
    assert "| 1000 | 0 | 1 |" in result.stdout, result.stdout
    assert "| 2 / 1 / 4 / 1 / 10 |" in result.stdout, result.stdout


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


# ---- the monthly bill (bench/bill.py, `scripts/bench --bill`) ---------------------------------

import bill as bench_bill  # noqa: E402
import fake_aws as bench_fake  # noqa: E402


@pytest.mark.parametrize(
    "evaluations, dollars",
    [
        # AWS Config's tiers: $0.001 each for the first 100 000 a month, $0.0008 for the next
        # 400 000, $0.0005 beyond (the 5 000 roles daily: 150 000, about $140).
        (0, 0.0),
        (30_000, 30.0),
        (100_000, 100.0),
        (150_000, 140.0),
        (500_000, 420.0),
        (600_000, 470.0),
    ],
)
def test_config_price_follows_the_tiers(evaluations, dollars):
    assert bench_bill.config_price(evaluations) == pytest.approx(dollars)


def _call(port, path, body=None, target=None):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"X-Amz-Target": f"StarlingDoveService.{target}"} if target else {}
    connection.request("POST" if body is not None else "GET", path,
                       body=json.dumps(body).encode() if body is not None else None,
                       headers=headers)  # fmt: skip
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data.startswith(b"{") else data


def test_stored_config_keeps_each_rules_results_and_serves_them_as_config_does():
    server = bench_fake.serve(0)
    port = server.server_address[1]
    try:
        status, _ = _call(port, "/__bench/configure", {
            "roles": 30, "recorded": "stored", "bill": {"rules": ["rule-a", "rule-b"], "days": 3}})
        assert status == 200
        types = ["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE"]
        evaluations = [{"ComplianceResourceType": "AWS::IAM::Role", "ComplianceResourceId": f"AROA{i:03d}",
                        "ComplianceType": types[i % 3], "Annotation": f"role {i}",
                        "OrderingTimestamp": 1767225600.0} for i in range(150)]  # fmt: skip
        for start in (0, 100):
            status, body = _call(port, "/", {"ResultToken": bench_fake.result_token("rule-a"),
                                             "Evaluations": evaluations[start:start + 100]},
                                 "PutEvaluations")  # fmt: skip
            assert (status, body) == (200, {"FailedEvaluations": []})
        # TestMode stores nothing; an unknown token is refused.
        status, _ = _call(port, "/", {"ResultToken": bench_fake.result_token("rule-b"),
                                      "Evaluations": evaluations[:5], "TestMode": True}, "PutEvaluations")
        assert status == 200
        status, body = _call(port, "/", {"ResultToken": "not-a-token", "Evaluations": evaluations[:1]},
                             "PutEvaluations")  # fmt: skip
        assert (status, body["__type"]) == (400, "InvalidResultTokenException")

        def read(rule, compliance_types=None, limit=100):
            ids, token, pages = [], None, 0
            while True:
                request = {"ConfigRuleName": rule, "Limit": limit,
                           **({"ComplianceTypes": compliance_types} if compliance_types else {}),
                           **({"NextToken": token} if token else {})}
                status, body = _call(port, "/", request, "GetComplianceDetailsByConfigRule")
                assert status == 200, body
                pages += 1
                ids += [(r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"],
                         r["ComplianceType"], r["Annotation"]) for r in body["EvaluationResults"]]
                token = body.get("NextToken")
                if not token:
                    return ids, pages

        # No filter: COMPLIANT and NON_COMPLIANT only (100 of the 150), 100 a page at most.
        got, pages = read("rule-a", limit=30)
        assert (len(got), pages) == (100, 4)
        assert {c for _, c, _ in got} == {"COMPLIANT", "NON_COMPLIANT"}
        assert ("AROA001", "NON_COMPLIANT", "role 1") in got
        not_applicable, _ = read("rule-a", ["NOT_APPLICABLE"])
        assert [i for i, _, _ in not_applicable] == [f"AROA{i:03d}" for i in range(2, 150, 3)]
        # The other rule holds nothing: the TestMode call was not stored.
        assert read("rule-b", types) == ([], 1)
        status, body = _call(port, "/", {"ConfigRuleName": "rule-a", "Limit": 101},
                             "GetComplianceDetailsByConfigRule")  # fmt: skip
        assert status == 400
        # The latest result wins.
        status, _ = _call(port, "/", {"ResultToken": bench_fake.result_token("rule-a"), "Evaluations": [
            {**evaluations[0], "ComplianceType": "NON_COMPLIANT", "Annotation": "changed"}]},
            "PutEvaluations")  # fmt: skip
        got, _ = read("rule-a", ["NON_COMPLIANT"])
        assert ("AROA000", "NON_COMPLIANT", "changed") in got
        status, stats = _call(port, "/__bench/stats")
        assert stats["evaluations_by_rule"] == {"rule-a": 151}
    finally:
        server.shutdown()


def test_the_simulated_account_changes_by_the_stated_shares_each_day():
    account = bench_fake.BillAccount(1000, 5, 1.0, 0.5, 0.5, 7, True, bench_fake.datetime.now(bench_fake.timezone.utc))
    ids_day1 = {f.split(b"<RoleId>")[1].split(b"</RoleId>")[0] for f in account.fragments}
    assert len(ids_day1) == 1000
    events = account.advance(2)
    ids_day2 = {f.split(b"<RoleId>")[1].split(b"</RoleId>")[0] for f in account.fragments}
    # 0.5 % created, 0.5 % deleted, 1 % between used and unused (half each way).
    assert (len(ids_day1 - ids_day2), len(ids_day2 - ids_day1)) == (5, 5)
    assert events == [{"day": 2, "roles": 1000, "newly_unused": 5, "used_again": 5, "created": 5,
                       "deleted": 5, "aged_past_threshold": events[0]["aged_past_threshold"]}]


def run_bill_quick(function_binary, tmp_path, *extra):
    return subprocess.run(
        [str(REPO / "scripts" / "bench"), "--bill", "--quick", "--binary", str(function_binary),
         "--json", str(tmp_path / "bill.json"), "--logs", str(tmp_path / "logs"), *extra],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_bench_bill_quick_runs_both_publish_modes_and_config_holds_the_same(function_binary, tmp_path):
    result = run_bill_quick(function_binary, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    days = json.loads((tmp_path / "bill.json").read_text())["results"][0]["days"]
    assert [d["day"] for d in days] == [1, 2, 3, 4]
    sent = {mode: [d["runs"][mode]["evaluations"] for d in days] for mode in ("changes", "all")}
    # publish=all sends every role every day (and the clean-up of deleted ones): day 1, 300.
    assert sent["all"][0] == 300
    assert all(n >= d["roles"] for n, d in zip(sent["all"], days))
    # publish=changes sends less on day 1 (nothing for NOT_APPLICABLE roles Config holds nothing
    # for), and never more than all. (How much less after day 1 depends on the annotations and
    # on the clock: --quick shifts IAM's times, so every date moves a day a day.)
    assert 0 < sent["changes"][0] < 300
    assert all(0 < c <= a for c, a in zip(sent["changes"], sent["all"]))
    assert "| 300 | 4 |" in result.stdout, result.stdout
    assert "IAM Access Analyzer" in result.stdout


def test_bench_bill_fails_when_config_does_not_hold_what_publish_all_leaves(function_binary, tmp_path):
    result = run_bill_quick(function_binary, tmp_path, "--fault-drop-day", "1")

    assert result.returncode == 1, result.stdout + result.stderr
    dropped = json.loads(result.stderr.split("the fake did not store ", 1)[1].splitlines()[0].replace("'", '"'))
    [[rule, resource_id]] = dropped
    assert rule == bench_bill.RULE_CHANGES
    assert "bench: FAIL: N=300, day 1: what Config holds differs between publish=changes" in result.stderr
    assert f"for 1 resource: {resource_id}: absent (publish=changes) vs " in result.stderr, result.stderr


@pytest.mark.parametrize(
    "summary, expected, problem",
    [
        ({"principals": 1000}, 1000, None),  # a build without the parameter sends every result
        ({"publish": "all", "evaluations_sent": 1000}, 1000, None),
        ({"publish": "changes", "evaluations_sent": 958}, 958, None),
        ({"publish": "changes", "evaluations_sent": 1}, 1, None),  # the account marker alone
        ({"publish": "changes", "evaluations_sent": 0}, 1000, "evaluations_sent=0 with publish=changes, expected 1 to 1000"),
        ({"publish": "changes", "evaluations_sent": 1001}, 1000, "evaluations_sent=1001"),
        ({"publish": "changes"}, 1000, "evaluations_sent=None"),
    ],
)
def test_bench_counts_what_a_run_must_send_by_its_publish_parameter(summary, expected, problem):
    problems = []
    assert bench_run.expected_evaluations(summary, 1000, problems) == expected
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


def test_bench_events_carry_the_publish_parameter_beside_the_rules_own():
    event = (REPO / "events" / "scheduled.json").read_bytes()
    params = json.loads(json.loads(bench_run.with_publish(event, "all"))["ruleParameters"])
    assert params == {**json.loads(json.loads(event)["ruleParameters"]), "publish": "all"}
    assert bench_run.with_publish(event, "omit") == event
