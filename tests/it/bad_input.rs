//! The README's bad-input table, row by row: each input, the exact error it gets, and that no
//! evaluation is sent. The README must show exactly these rows (checked below).

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{RoleDetail, UserDetail};
use serde_json::{json, Value};

use iam_role_last_used::core::settings::{RuleKind, Settings};
use iam_role_last_used::lambda::{handle, Context};

use crate::common::*;

/// What goes in: an event payload (served [`defaults_account`]), or IAM pages served to a
/// valid TESTMODE event.
enum Input {
    Payload(Value),
    IamPages(Vec<Vec<RoleDetail>>, Truncation),
    /// A payload for the users rule (`RULE_KIND=users`), served [`users_account`].
    UsersPayload(Value),
    /// A credential report and one page of users, served to a valid TESTMODE event of the
    /// users rule.
    UsersRead(String, Vec<UserDetail>),
}

#[derive(Clone, Copy)]
enum Truncation {
    /// Pages chained by markers, the last one not truncated (IAM's normal answer).
    Normal,
    /// The last page says IsTruncated=true but gives no Marker.
    LastWithoutMarker,
}

/// One evaluation as PutEvaluations carried it: (ComplianceResourceId, ComplianceType,
/// Annotation).
type Sent = (String, &'static str, String);

enum Outcome {
    /// `errorType: message`; nothing may be sent.
    Refused(String),
    /// Input that is not an error: the README's text for it, and every evaluation sent.
    Accepted {
        readme: &'static str,
        sent: Vec<Sent>,
    },
}

struct Case {
    /// The README's "input" column.
    input: &'static str,
    given: Input,
    outcome: Outcome,
}

/// The rows of the README's table: 45 cases of the roles rule and 10 of the users rule, plus
/// the two payloads that are not JSON.
const CASES: usize = 56;
/// Rows checked by tests/e2e/test_faults.py instead: the runtime refuses them.
const RUNTIME_ROWS: [&str; 2] = ["payload is not JSON (`not json`)", "empty payload"];

fn base() -> Value {
    payload("scheduled.json")
}

fn with(field: &str, value: Value) -> Input {
    let mut event = base();
    let object = event.as_object_mut().unwrap();
    match value {
        Value::Null => object.remove(field),
        value => object.insert(field.to_owned(), value),
    };
    Input::Payload(event)
}

fn invoking(json: Value) -> Input {
    with("invokingEvent", Value::String(json.to_string()))
}

fn parameters(text: &str) -> Input {
    with("ruleParameters", Value::String(text.to_owned()))
}

fn event_error(message: &str) -> Outcome {
    Outcome::Refused(format!("InvalidEvent: invalid event: {message}"))
}

fn parameter_error(message: &str) -> Outcome {
    Outcome::Refused(format!(
        "InvalidRuleParameter: invalid rule parameter {message}"
    ))
}

fn iam_error(message: &str) -> Outcome {
    Outcome::Refused(format!(
        "InvalidIamData: IAM returned unusable data on {message}; no evaluations were sent"
    ))
}

const DAYS: &str = "expected a whole number of days from 1 to 400";
/// The users rule's range: credential last-use data is not bound to IAM's 400-day window.
const USER_DAYS: &str = "expected a whole number of days from 1 to 3650";

/// A users-rule event with these `ruleParameters`.
fn user_parameters(text: &str) -> Input {
    let mut event = base();
    event["ruleParameters"] = Value::String(text.to_owned());
    Input::UsersPayload(event)
}

/// A users-rule TESTMODE event (default parameters).
fn users_testmode() -> Value {
    let mut event = payload("scheduled-testmode.json");
    event.as_object_mut().unwrap().remove("ruleParameters");
    event
}

/// Served to every users-rule payload case: one user with no credential.
fn users_account() -> (String, Vec<UserDetail>) {
    (
        report_csv(&[row_without_credentials("/", "alice", 300)]),
        vec![iam_user(1, "/", "alice", 300, &[])],
    )
}

fn report_error(message: &str) -> Outcome {
    Outcome::Refused(format!(
        "InvalidCredentialReport: IAM returned an unusable credential report: {message}; no evaluations were sent"
    ))
}
const TIME: &str = "2026-01-01T00:00:00Z";
const SSO_PATH: &str = "/aws-reserved/sso.amazonaws.com/";

/// Served to every payload case: roles whose results tell the defaults (60-day threshold, no
/// allowlist, no exempt tag, service-linked roles excluded, Identity Center roles evaluated)
/// from the parameters of `scheduled.json` (allowlist `/service-role/*`, exempt tag `keep`).
fn defaults_account() -> Vec<RoleDetail> {
    vec![
        iam_role(1, "/", "used-60-days-ago", Some(60), &[]),
        iam_role(2, "/", "used-61-days-ago", Some(61), &[]),
        iam_role(3, "/service-role/", "allowlisted-by-the-event", None, &[]),
        iam_role(4, "/", "tagged-keep", None, &[("keep", "true")]),
        iam_role(
            5,
            "/aws-service-role/support.amazonaws.com/",
            "AWSServiceRoleForSupport",
            None,
            &[],
        ),
        iam_role(
            6,
            SSO_PATH,
            "AWSReservedSSO_DataEngineer_0123456789abcdef",
            None,
            &[],
        ),
    ]
}

/// The parser's messages for the report rows below: line 3 is the first user's row, after the
/// header and the root account's; the report's header has 22 columns.
const REPORT_BAD_TIME: &str =
    "line 3, password_last_used: \"yesterday\" is not an ISO 8601 date-time, no_information or N/A";
const REPORT_SHORT_ROW: &str = "line 3, row: has 3 fields where the header has 22";

/// What [`defaults_account`] gets with every parameter at its default, by the README's rules:
/// Config holds nothing for the rule, so the service-linked role (5), NOT_APPLICABLE, is not
/// sent.
fn defaults_sent() -> Vec<Sent> {
    let unused = "no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold";
    vec![
        ("AROA00000000000000001".to_owned(), "COMPLIANT", "used-60-days-ago: used within the 60-day threshold".to_owned()),
        ("AROA00000000000000002".to_owned(), "NON_COMPLIANT", "used-61-days-ago: last used 2025-11-01 in eu-west-1, over the 60-day threshold".to_owned()),
        ("AROA00000000000000003".to_owned(), "NON_COMPLIANT", format!("allowlisted-by-the-event: {unused}")),
        ("AROA00000000000000004".to_owned(), "NON_COMPLIANT", format!("tagged-keep: {unused}")),
        ("AROA00000000000000006".to_owned(), "NON_COMPLIANT", format!("AWSReservedSSO_DataEngineer_0123456789abcdef: {unused}; IAM Identity Center permission set DataEngineer: remove its assignment to this account")),
    ]
}

fn cases() -> Vec<Case> {
    let long_pattern = format!("/{}", "a".repeat(1999));
    let no_date = RoleDetail::builder()
        .path("/")
        .role_name("no-date")
        .role_id(role_id(9))
        .arn("arn:aws:iam::123456789012:role/no-date")
        .build();
    vec![
        Case { input: "payload is a JSON array `[1]`", given: Input::Payload(json!([1])), outcome: event_error("payload: expected a JSON object (an AWS Config event), got an array [1]") },
        Case { input: "payload is a JSON string `\"hello\"`", given: Input::Payload(json!("hello")), outcome: event_error("payload: expected a JSON object (an AWS Config event), got a string \"hello\"") },
        Case { input: "payload is `null`", given: Input::Payload(Value::Null), outcome: event_error("payload: expected a JSON object (an AWS Config event), got null") },
        Case { input: "payload is `{}`", given: Input::Payload(json!({})), outcome: event_error("invokingEvent: is missing") },
        Case { input: "`invokingEvent` missing", given: with("invokingEvent", Value::Null), outcome: event_error("invokingEvent: is missing") },
        Case { input: "`invokingEvent` is an object, not a string", given: with("invokingEvent", json!({"messageType": "ScheduledNotification"})), outcome: event_error("invokingEvent: expected a string, got an object {\"messageType\":\"ScheduledNotification\"}") },
        Case { input: "`invokingEvent` is `not json`", given: with("invokingEvent", json!("not json")), outcome: event_error("invokingEvent: is not valid JSON (expected ident at line 1 column 2): not json") },
        Case { input: "`invokingEvent` is `[]`", given: with("invokingEvent", json!("[]")), outcome: event_error("invokingEvent: expected a JSON object, got an array []") },
        Case { input: "`messageType` missing", given: invoking(json!({"notificationCreationTime": TIME})), outcome: event_error("invokingEvent.messageType: is missing") },
        Case { input: "`messageType` is `ConfigurationItemChangeNotification`", given: invoking(json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": TIME})), outcome: event_error("invokingEvent.messageType: \"ConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)") },
        Case { input: "`messageType` is `OversizedConfigurationItemChangeNotification`", given: invoking(json!({"messageType": "OversizedConfigurationItemChangeNotification", "notificationCreationTime": TIME})), outcome: event_error("invokingEvent.messageType: \"OversizedConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)") },
        Case { input: "`notificationCreationTime` missing", given: invoking(json!({"messageType": "ScheduledNotification"})), outcome: event_error("invokingEvent.notificationCreationTime: is missing") },
        Case { input: "`notificationCreationTime` is `yesterday`", given: invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": "yesterday"})), outcome: event_error("invokingEvent.notificationCreationTime: \"yesterday\" is not an RFC 3339 timestamp (premature end of input)") },
        Case { input: "`notificationCreationTime` is a number", given: invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": 1767225600})), outcome: event_error("invokingEvent.notificationCreationTime: expected a string, got a number 1767225600") },
        Case { input: "`resultToken` missing", given: with("resultToken", Value::Null), outcome: event_error("resultToken: is missing") },
        Case { input: "`resultToken` is empty", given: with("resultToken", json!("")), outcome: event_error("resultToken: is empty") },
        Case { input: "`configRuleName` missing", given: with("configRuleName", Value::Null), outcome: event_error("configRuleName: is missing") },
        Case { input: "`configRuleName` of 65 characters (`OrgConfigRule-` + a 42-character name + `-a1b2c3d4`)", given: with("configRuleName", json!("OrgConfigRule-iam-role-last-used-org-security-audit-prod-a1b2c3d4")), outcome: event_error("configRuleName: \"OrgConfigRule-iam-role-last-used-org-security-audit-prod-a1b2c3d4\" is 65 characters, but Config's GetComplianceDetailsByConfigRule accepts at most 64, so the rule's results could never be read back for the clean-up; give the rule (for an organization rule, its NameOfSolution) a shorter name") },
        Case { input: "`accountId` is `12345`", given: with("accountId", json!("12345")), outcome: event_error("accountId: \"12345\" is not a 12-digit AWS account id") },
        Case { input: "`ruleParameters` absent", given: with("ruleParameters", Value::Null), outcome: Outcome::Accepted { readme: "all parameters take their defaults", sent: defaults_sent() } },
        Case { input: "`ruleParameters` is an empty string", given: parameters(""), outcome: event_error("ruleParameters: is not valid JSON (EOF while parsing a value at line 1 column 0): ") },
        Case { input: "`ruleParameters` is `{oops`", given: parameters("{oops"), outcome: event_error("ruleParameters: is not valid JSON (key must be a string at line 1 column 2): {oops") },
        Case { input: "`ruleParameters` is a JSON array", given: parameters("[1,2]"), outcome: event_error("ruleParameters: expected a JSON object, got an array [1,2]") },
        Case { input: "`ruleParameters` is an object, not a string", given: with("ruleParameters", json!({"max_days_for_last_used": "60"})), outcome: event_error("ruleParameters: expected a string holding a JSON object, got an object {\"max_days_for_last_used\":\"60\"}") },
        Case { input: "nested object `{\"max_days_for_last_used\":{\"days\":60}}`", given: parameters(r#"{"max_days_for_last_used":{"days":60}}"#), outcome: parameter_error(&format!("max_days_for_last_used: an object {{\"days\":60}} is not a number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"0\"`", given: parameters(r#"{"max_days_for_last_used":"0"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"0\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"-1\"`", given: parameters(r#"{"max_days_for_last_used":"-1"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"-1\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"401\"`", given: parameters(r#"{"max_days_for_last_used":"401"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"401\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"60.5\"`", given: parameters(r#"{"max_days_for_last_used":"60.5"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"60.5\" is not a whole number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"sixty\"`", given: parameters(r#"{"max_days_for_last_used":"sixty"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"sixty\" is not a whole number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `1e9`", given: parameters(r#"{"max_days_for_last_used":1e9}"#), outcome: parameter_error(&format!("max_days_for_last_used: 1000000000.0 is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"\"`", given: parameters(r#"{"max_days_for_last_used":""}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"\" is not a whole number; {DAYS}")) },
        Case { input: "both `role_allowlist` and `role_whitelist`", given: parameters(r#"{"role_allowlist":"/a","role_whitelist":"/b"}"#), outcome: parameter_error("role_whitelist: give either role_allowlist or role_whitelist (its old name), not both") },
        Case { input: "`role_allowlist` with an unbalanced `[`", given: parameters(r#"{"role_allowlist":"/team[ab"}"#), outcome: parameter_error("role_allowlist: pattern \"/team[ab\" is not a valid glob: invalid range pattern") },
        Case { input: "`role_allowlist` pattern of 2 000 characters", given: parameters(&format!(r#"{{"role_allowlist":"{long_pattern}"}}"#)), outcome: parameter_error(&format!("role_allowlist: pattern of 2000 characters is longer than the 1024 allowed (it starts \"/{}\")", "a".repeat(39))) },
        Case { input: "`role_allowlist` is `breakglass-role` (no leading `/`)", given: parameters(r#"{"role_allowlist":"breakglass-role"}"#), outcome: parameter_error("role_allowlist: pattern \"breakglass-role\" can never match: patterns are matched against the role's path + name, which starts with '/'; write \"/breakglass-role\" for a role at the root path or \"*/breakglass-role\" for any path") },
        Case { input: "unknown key `max_days_for_last_usd`", given: parameters(r#"{"max_days_for_last_usd":"60"}"#), outcome: parameter_error("max_days_for_last_usd: unknown key \"max_days_for_last_usd\"; valid keys are: max_days_for_last_used, role_allowlist, role_whitelist, exempt_tag_key, service_linked_roles, identity_center_roles, execution_role_name, publish") },
        Case { input: "`exempt_tag_key` is empty", given: parameters(r#"{"exempt_tag_key":""}"#), outcome: parameter_error("exempt_tag_key: \"\" is not a tag key: expected 1 to 128 characters (leave the parameter out to exempt no role by tag)") },
        Case { input: "`service_linked_roles` is `include`", given: parameters(r#"{"service_linked_roles":"include"}"#), outcome: parameter_error("service_linked_roles: \"include\" is not one of \"exclude\", \"evaluate\"") },
        Case { input: "`identity_center_roles` is `include`", given: parameters(r#"{"identity_center_roles":"include"}"#), outcome: parameter_error("identity_center_roles: \"include\" is not one of \"evaluate\", \"exclude\"") },
        Case { input: "`identity_center_roles` is `true`", given: parameters(r#"{"identity_center_roles":true}"#), outcome: parameter_error("identity_center_roles: expected a string, got a boolean true") },
        Case { input: "`publish` is `diff`", given: parameters(r#"{"publish":"diff"}"#), outcome: parameter_error("publish: \"diff\" is not one of \"changes\", \"all\"") },
        Case { input: "users rule: `max_days_for_last_used` is `\"0\"`", given: user_parameters(r#"{"max_days_for_last_used":"0"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"0\" is out of range; {USER_DAYS}")) },
        Case { input: "users rule: `max_days_for_last_used` is `\"3651\"`", given: user_parameters(r#"{"max_days_for_last_used":"3651"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"3651\" is out of range; {USER_DAYS}")) },
        Case { input: "users rule: `max_days_for_last_used` is `\"forty-five\"`", given: user_parameters(r#"{"max_days_for_last_used":"forty-five"}"#), outcome: parameter_error(&format!("max_days_for_last_used: \"forty-five\" is not a whole number; {USER_DAYS}")) },
        Case { input: "users rule: unknown key `user_alowlist`", given: user_parameters(r#"{"user_alowlist":"/ci/*"}"#), outcome: parameter_error("user_alowlist: unknown key \"user_alowlist\"; valid keys are: max_days_for_last_used, user_allowlist, exempt_tag_key, execution_role_name, publish") },
        Case { input: "users rule: `role_allowlist` (a roles rule key)", given: user_parameters(r#"{"role_allowlist":"/ci/*"}"#), outcome: parameter_error("role_allowlist: unknown key \"role_allowlist\"; valid keys are: max_days_for_last_used, user_allowlist, exempt_tag_key, execution_role_name, publish") },
        Case { input: "users rule: `user_allowlist` with an unbalanced `[`", given: user_parameters(r#"{"user_allowlist":"/team[ab"}"#), outcome: parameter_error("user_allowlist: pattern \"/team[ab\" is not a valid glob: invalid range pattern") },
        Case { input: "users rule: `user_allowlist` is `deployer` (no leading `/`)", given: user_parameters(r#"{"user_allowlist":"deployer"}"#), outcome: parameter_error("user_allowlist: pattern \"deployer\" can never match: patterns are matched against the user's path + name, which starts with '/'; write \"/deployer\" for a user at the root path or \"*/deployer\" for any path") },
        Case { input: "users rule, credential report: `password_last_used` is `yesterday`", given: Input::UsersRead(report_csv(&[row_with_password("/", "alice", 300, 300, None).replace("no_information", "yesterday")]), vec![iam_user(1, "/", "alice", 300, &[])]), outcome: report_error(REPORT_BAD_TIME) },
        Case { input: "users rule, credential report: a row of 3 fields", given: Input::UsersRead(report_csv(&["alice,arn:aws:iam::123456789012:user/alice,N/A".to_owned()]), vec![iam_user(1, "/", "alice", 300, &[])]), outcome: report_error(REPORT_SHORT_ROW) },
        Case { input: "users rule, IAM: a user without `CreateDate`", given: Input::UsersRead(report_csv(&[row_without_credentials("/", "alice", 300)]), vec![iam_user(1, "/", "alice", 300, &[]), UserDetail::builder().path("/").user_name("no-date").user_id(user_id(4)).arn(user_arn("/", "no-date")).build()]), outcome: iam_error("page 1: user AIDA00000000000000004 has no CreateDate") },
        Case { input: "IAM: a role without `CreateDate`", given: Input::IamPages(vec![vec![role_detail(1), no_date]], Truncation::Normal), outcome: iam_error("page 1: role AROA00000000000000009 has no CreateDate") },
        Case { input: "IAM: the same RoleId on pages 1 and 2", given: Input::IamPages(vec![vec![role_detail(1), role_detail(2)], vec![role_detail(2)]], Truncation::Normal), outcome: iam_error("page 2: RoleId AROA00000000000000002 (role-0002) was listed twice; the role list changed while it was being read, try again") },
        Case { input: "IAM: `IsTruncated=true` and no `Marker`", given: Input::IamPages(vec![vec![role_detail(1)]], Truncation::LastWithoutMarker), outcome: iam_error("page 1: IsTruncated is true but no Marker was returned") },
        Case { input: "IAM: non-ASCII role name and path", given: Input::IamPages(vec![vec![iam_role(3, "/équipe/", "rôle-données", None, &[])]], Truncation::Normal), outcome: Outcome::Accepted { readme: "NON_COMPLIANT, rôle-données: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold", sent: vec![("AROA00000000000000003".to_owned(), "NON_COMPLIANT", "rôle-données: no use recorded by IAM (it tracks up to 400 days), created 2023-04-07, over the 60-day threshold".to_owned())] } },
    ]
}

/// What a run did: the error (`errorType: message`) or nothing, and every evaluation sent.
struct Ran {
    error: Option<String>,
    sent: Vec<Sent>,
}

/// Runs one case against mocked IAM and Config.
async fn run(case: &Case) -> Ran {
    let (event, pages, truncation) = match &case.given {
        Input::Payload(event) => (event.clone(), vec![defaults_account()], Truncation::Normal),
        Input::IamPages(pages, truncation) => (
            payload("scheduled-testmode.json"),
            pages.clone(),
            *truncation,
        ),
        Input::UsersPayload(event) => {
            let (csv, users) = users_account();
            return run_users(event, csv, users).await;
        }
        Input::UsersRead(csv, users) => {
            return run_users(&users_testmode(), csv.clone(), users.clone()).await;
        }
    };
    let marker = |i: usize| (i > 0).then(|| ["m1", "m2", "m3"][i - 1]);
    let rules: Vec<_> = pages
        .iter()
        .enumerate()
        .map(|(i, roles)| {
            let last = i + 1 == pages.len();
            let next = if last { None } else { marker(i + 1) };
            let output = GetAccountAuthorizationDetailsOutput::builder()
                .set_role_detail_list(Some(roles.clone()))
                .is_truncated(!last || matches!(truncation, Truncation::LastWithoutMarker))
                .set_marker(next.map(str::to_owned))
                .build();
            page_rule(marker(i), output)
        })
        .collect();
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let iam_rules: Vec<_> = rules.iter().collect();
    let clients = clients(&iam_rules, &[&put.rule, &results]);

    ran(&event, &clients, &settings(), &put).await
}

/// Runs `event` through the users rule, IAM serving `csv` as the credential report and
/// `users` as one page.
async fn run_users(event: &Value, csv: String, users: Vec<UserDetail>) -> Ran {
    let generate = report_complete();
    let report = report_serving(csv, 0);
    let page = page_rule(None, users_page(users, None));
    let put = PutRecorder::accepting_all();
    let results = no_recorded_results();
    let clients = clients(&[&generate, &report, &page], &[&put.rule, &results]);
    let settings = Settings {
        rule_kind: RuleKind::Users,
        ..settings()
    };
    ran(event, &clients, &settings, &put).await
}

async fn ran(
    event: &Value,
    clients: &iam_role_last_used::lambda::Clients,
    settings: &Settings,
    put: &PutRecorder,
) -> Ran {
    let error = handle(event, clients, settings, &Context::at(now()))
        .await
        .err()
        .map(|error| {
            format!(
                "{}: {}",
                error.error_type(),
                iam_role_last_used::lambda::diagnostic::message(&error)
            )
        });
    let sent = put
        .sent()
        .into_iter()
        .map(|(id, compliance, annotation)| (id, compliance_str(&compliance), annotation))
        .collect();
    Ran { error, sent }
}

/// ComplianceType's wire value, as the API reference spells it.
fn compliance_str(compliance: &aws_sdk_config::types::ComplianceType) -> &'static str {
    use aws_sdk_config::types::ComplianceType;
    match compliance {
        ComplianceType::Compliant => "COMPLIANT",
        ComplianceType::NonCompliant => "NON_COMPLIANT",
        ComplianceType::NotApplicable => "NOT_APPLICABLE",
        ComplianceType::InsufficientData => "INSUFFICIENT_DATA",
        other => panic!("unexpected ComplianceType {other:?}"),
    }
}

#[tokio::test]
async fn each_input_gets_its_exact_error_with_nothing_sent_or_sends_exactly_its_evaluations() {
    let cases = cases();
    assert_eq!(cases.len(), CASES);
    for case in &cases {
        let ran = run(case).await;
        match &case.outcome {
            Outcome::Refused(expected) => {
                assert_eq!(ran.error.as_ref(), Some(expected), "input: {}", case.input);
                assert_eq!(ran.sent, [], "nothing sent for: {}", case.input);
            }
            Outcome::Accepted { sent, .. } => {
                assert_eq!(ran.error, None, "input: {}", case.input);
                assert_eq!(&ran.sent, sent, "input: {}", case.input);
            }
        }
    }
}

/// Renders a case as its README table row.
fn row(case: &Case) -> String {
    let (kind, text) = match &case.outcome {
        Outcome::Refused(result) => result.split_once(": ").unwrap(),
        Outcome::Accepted { readme, .. } => ("none", *readme),
    };
    format!(
        "| {} | {} | `{}` |",
        case.input,
        kind,
        text.replace('|', "\\|")
    )
}

/// The data rows of the README's "Bad input" table.
fn readme_rows() -> Vec<String> {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Bad input\n"))
        .expect("README has a \"Bad input\" section");
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| input |"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_table_shows_exactly_these_rows() {
    let rows: Vec<String> = cases().iter().map(row).collect();
    assert_eq!(rows.len(), CASES);
    let readme = readme_rows();
    let missing: Vec<&String> = rows.iter().filter(|r| !readme.contains(r)).collect();
    let extra: Vec<&String> = readme
        .iter()
        .filter(|r| {
            !rows.contains(r)
                && !RUNTIME_ROWS
                    .iter()
                    .any(|i| r.starts_with(&format!("| {i} |")))
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README rows missing or different: {missing:#?}\nREADME rows without a case: {extra:#?}\nthe table should be:\n{}",
        rows.join("\n")
    );
    assert_eq!(readme.len(), CASES + RUNTIME_ROWS.len());
}
