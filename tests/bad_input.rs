//! The README's bad-input table, row by row: each input, the exact error it gets, and that no
//! evaluation is sent. The README must show exactly these rows (checked below).

use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
use aws_sdk_iam::types::{RoleDetail, RoleLastUsed};
use serde_json::{json, Value};

use iam_role_last_used::lambda::{handle, Context};

mod common;
use common::*;

/// What goes in: an event payload, or IAM pages served to a valid TESTMODE event.
enum Input {
    Payload(Value),
    IamPages(Vec<Vec<RoleDetail>>, Truncation),
}

#[derive(Clone, Copy)]
enum Truncation {
    /// Pages chained by markers, the last one not truncated (IAM's normal answer).
    Normal,
    /// The last page says IsTruncated=true but gives no Marker.
    LastWithoutMarker,
}

struct Case {
    /// The README's "input" column.
    input: &'static str,
    given: Input,
    /// The README's "result" column: `errorType: message`, or what is sent for data IAM may
    /// legitimately return.
    result: String,
}

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

fn event_error(message: &str) -> String {
    format!("InvalidEvent: invalid event: {message}")
}

fn parameter_error(message: &str) -> String {
    format!("InvalidRuleParameter: invalid rule parameter {message}")
}

const DAYS: &str = "expected a whole number of days from 1 to 400";
const TIME: &str = "2026-01-01T00:00:00Z";

fn role(n: usize, name: &str, path: &str) -> RoleDetail {
    role_detail(n).to_owned_with(name, path)
}

trait Rename {
    fn to_owned_with(self, name: &str, path: &str) -> RoleDetail;
}

impl Rename for RoleDetail {
    fn to_owned_with(self, name: &str, path: &str) -> RoleDetail {
        RoleDetail::builder()
            .path(path)
            .role_name(name)
            .role_id(self.role_id().unwrap())
            .arn(format!("arn:aws:iam::123456789012:role{path}{name}"))
            .set_create_date(self.create_date().cloned())
            .role_last_used(RoleLastUsed::builder().build())
            .build()
    }
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
        Case { input: "payload is a JSON array `[1]`", given: Input::Payload(json!([1])), result: event_error("payload: expected a JSON object (an AWS Config event), got an array [1]") },
        Case { input: "payload is a JSON string `\"hello\"`", given: Input::Payload(json!("hello")), result: event_error("payload: expected a JSON object (an AWS Config event), got a string \"hello\"") },
        Case { input: "payload is `null`", given: Input::Payload(Value::Null), result: event_error("payload: expected a JSON object (an AWS Config event), got null") },
        Case { input: "payload is `{}`", given: Input::Payload(json!({})), result: event_error("invokingEvent: is missing") },
        Case { input: "`invokingEvent` missing", given: with("invokingEvent", Value::Null), result: event_error("invokingEvent: is missing") },
        Case { input: "`invokingEvent` is an object, not a string", given: with("invokingEvent", json!({"messageType": "ScheduledNotification"})), result: event_error("invokingEvent: expected a string, got an object {\"messageType\":\"ScheduledNotification\"}") },
        Case { input: "`invokingEvent` is `not json`", given: with("invokingEvent", json!("not json")), result: event_error("invokingEvent: is not valid JSON (expected ident at line 1 column 2): not json") },
        Case { input: "`invokingEvent` is `[]`", given: with("invokingEvent", json!("[]")), result: event_error("invokingEvent: expected a JSON object, got an array []") },
        Case { input: "`messageType` missing", given: invoking(json!({"notificationCreationTime": TIME})), result: event_error("invokingEvent.messageType: is missing") },
        Case { input: "`messageType` is `ConfigurationItemChangeNotification`", given: invoking(json!({"messageType": "ConfigurationItemChangeNotification", "notificationCreationTime": TIME})), result: event_error("invokingEvent.messageType: \"ConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)") },
        Case { input: "`messageType` is `OversizedConfigurationItemChangeNotification`", given: invoking(json!({"messageType": "OversizedConfigurationItemChangeNotification", "notificationCreationTime": TIME})), result: event_error("invokingEvent.messageType: \"OversizedConfigurationItemChangeNotification\" is not supported: this rule is periodic and only evaluates ScheduledNotification events (set the Config rule's trigger to periodic)") },
        Case { input: "`notificationCreationTime` missing", given: invoking(json!({"messageType": "ScheduledNotification"})), result: event_error("invokingEvent.notificationCreationTime: is missing") },
        Case { input: "`notificationCreationTime` is `yesterday`", given: invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": "yesterday"})), result: event_error("invokingEvent.notificationCreationTime: \"yesterday\" is not an RFC 3339 timestamp (premature end of input)") },
        Case { input: "`notificationCreationTime` is a number", given: invoking(json!({"messageType": "ScheduledNotification", "notificationCreationTime": 1767225600})), result: event_error("invokingEvent.notificationCreationTime: expected a string, got a number 1767225600") },
        Case { input: "`resultToken` missing", given: with("resultToken", Value::Null), result: event_error("resultToken: is missing") },
        Case { input: "`resultToken` is empty", given: with("resultToken", json!("")), result: event_error("resultToken: is empty") },
        Case { input: "`configRuleName` missing", given: with("configRuleName", Value::Null), result: event_error("configRuleName: is missing") },
        Case { input: "`configRuleName` of 65 characters (`OrgConfigRule-` + a 42-character name + `-a1b2c3d4`)", given: with("configRuleName", json!("OrgConfigRule-iam-role-last-used-org-security-audit-prod-a1b2c3d4")), result: event_error("configRuleName: \"OrgConfigRule-iam-role-last-used-org-security-audit-prod-a1b2c3d4\" is 65 characters, but Config's GetComplianceDetailsByConfigRule accepts at most 64, so the rule's results could never be read back for the clean-up; give the rule (for an organization rule, its NameOfSolution) a shorter name") },
        Case { input: "`accountId` is `12345`", given: with("accountId", json!("12345")), result: event_error("accountId: \"12345\" is not a 12-digit AWS account id") },
        Case { input: "`ruleParameters` absent", given: with("ruleParameters", Value::Null), result: "none: all parameters take their defaults".to_owned() },
        Case { input: "`ruleParameters` is an empty string", given: parameters(""), result: event_error("ruleParameters: is not valid JSON (EOF while parsing a value at line 1 column 0): ") },
        Case { input: "`ruleParameters` is `{oops`", given: parameters("{oops"), result: event_error("ruleParameters: is not valid JSON (key must be a string at line 1 column 2): {oops") },
        Case { input: "`ruleParameters` is a JSON array", given: parameters("[1,2]"), result: event_error("ruleParameters: expected a JSON object, got an array [1,2]") },
        Case { input: "`ruleParameters` is an object, not a string", given: with("ruleParameters", json!({"max_days_for_last_used": "60"})), result: event_error("ruleParameters: expected a string holding a JSON object, got an object {\"max_days_for_last_used\":\"60\"}") },
        Case { input: "nested object `{\"max_days_for_last_used\":{\"days\":60}}`", given: parameters(r#"{"max_days_for_last_used":{"days":60}}"#), result: parameter_error(&format!("max_days_for_last_used: an object {{\"days\":60}} is not a number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"0\"`", given: parameters(r#"{"max_days_for_last_used":"0"}"#), result: parameter_error(&format!("max_days_for_last_used: \"0\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"-1\"`", given: parameters(r#"{"max_days_for_last_used":"-1"}"#), result: parameter_error(&format!("max_days_for_last_used: \"-1\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"401\"`", given: parameters(r#"{"max_days_for_last_used":"401"}"#), result: parameter_error(&format!("max_days_for_last_used: \"401\" is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"60.5\"`", given: parameters(r#"{"max_days_for_last_used":"60.5"}"#), result: parameter_error(&format!("max_days_for_last_used: \"60.5\" is not a whole number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"sixty\"`", given: parameters(r#"{"max_days_for_last_used":"sixty"}"#), result: parameter_error(&format!("max_days_for_last_used: \"sixty\" is not a whole number; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `1e9`", given: parameters(r#"{"max_days_for_last_used":1e9}"#), result: parameter_error(&format!("max_days_for_last_used: 1000000000.0 is out of range; {DAYS}")) },
        Case { input: "`max_days_for_last_used` is `\"\"`", given: parameters(r#"{"max_days_for_last_used":""}"#), result: parameter_error(&format!("max_days_for_last_used: \"\" is not a whole number; {DAYS}")) },
        Case { input: "both `role_allowlist` and `role_whitelist`", given: parameters(r#"{"role_allowlist":"/a","role_whitelist":"/b"}"#), result: parameter_error("role_whitelist: give either role_allowlist or role_whitelist (its old name), not both") },
        Case { input: "`role_allowlist` with an unbalanced `[`", given: parameters(r#"{"role_allowlist":"/team[ab"}"#), result: parameter_error("role_allowlist: pattern \"/team[ab\" is not a valid glob: invalid range pattern") },
        Case { input: "`role_allowlist` pattern of 2 000 characters", given: parameters(&format!(r#"{{"role_allowlist":"{long_pattern}"}}"#)), result: parameter_error(&format!("role_allowlist: pattern of 2000 characters is longer than the 1024 allowed (it starts \"/{}\")", "a".repeat(39))) },
        Case { input: "`role_allowlist` is `breakglass-role` (no leading `/`)", given: parameters(r#"{"role_allowlist":"breakglass-role"}"#), result: parameter_error("role_allowlist: pattern \"breakglass-role\" can never match: patterns are matched against the role's path + name, which starts with '/'; write \"/breakglass-role\" for a role at the root path or \"*/breakglass-role\" for any path") },
        Case { input: "unknown key `max_days_for_last_usd`", given: parameters(r#"{"max_days_for_last_usd":"60"}"#), result: parameter_error("max_days_for_last_usd: unknown key \"max_days_for_last_usd\"; valid keys are: max_days_for_last_used, role_allowlist, role_whitelist, exempt_tag_key, service_linked_roles, identity_center_roles, execution_role_name") },
        Case { input: "`exempt_tag_key` is empty", given: parameters(r#"{"exempt_tag_key":""}"#), result: parameter_error("exempt_tag_key: \"\" is not a tag key: expected 1 to 128 characters (leave the parameter out to exempt no role by tag)") },
        Case { input: "`service_linked_roles` is `include`", given: parameters(r#"{"service_linked_roles":"include"}"#), result: parameter_error("service_linked_roles: \"include\" is not one of \"exclude\", \"evaluate\"") },
        Case { input: "`identity_center_roles` is `include`", given: parameters(r#"{"identity_center_roles":"include"}"#), result: parameter_error("identity_center_roles: \"include\" is not one of \"evaluate\", \"exclude\"") },
        Case { input: "`identity_center_roles` is `true`", given: parameters(r#"{"identity_center_roles":true}"#), result: parameter_error("identity_center_roles: expected a string, got a boolean true") },
        Case { input: "IAM: a role without `CreateDate`", given: Input::IamPages(vec![vec![role_detail(1), no_date]], Truncation::Normal), result: format!("InvalidIamData: IAM returned unusable data on page 1: role {} has no CreateDate; no evaluations were sent", role_id(9)) },
        Case { input: "IAM: the same RoleId on pages 1 and 2", given: Input::IamPages(vec![vec![role_detail(1), role_detail(2)], vec![role_detail(2)]], Truncation::Normal), result: format!("InvalidIamData: IAM returned unusable data on page 2: RoleId {} (role-0002) was listed twice; the role list changed while it was being read, try again; no evaluations were sent", role_id(2)) },
        Case { input: "IAM: `IsTruncated=true` and no `Marker`", given: Input::IamPages(vec![vec![role_detail(1)]], Truncation::LastWithoutMarker), result: "InvalidIamData: IAM returned unusable data on page 1: IsTruncated is true but no Marker was returned; no evaluations were sent".to_owned() },
        Case { input: "IAM: non-ASCII role name and path", given: Input::IamPages(vec![vec![role(3, "rôle-données", "/équipe/")]], Truncation::Normal), result: "none: NON_COMPLIANT, rôle-données: no use recorded by IAM (it tracks up to 400 days), created 1000 days ago".to_owned() },
    ]
}

/// Runs one case; returns the README's result text, and whether anything was sent.
async fn run(case: &Case) -> (String, usize) {
    let (event, pages, truncation) = match &case.given {
        Input::Payload(event) => (
            event.clone(),
            vec![vec![role_detail(1)]],
            Truncation::Normal,
        ),
        Input::IamPages(pages, truncation) => (
            payload("scheduled-testmode.json"),
            pages.clone(),
            *truncation,
        ),
    };
    let markers: Vec<Option<&'static str>> = (0..pages.len())
        .map(|i| {
            if i == 0 {
                None
            } else {
                Some(["m1", "m2", "m3"][i - 1])
            }
        })
        .collect();
    let rules: Vec<_> = pages
        .iter()
        .enumerate()
        .map(|(i, roles)| {
            let last = i + 1 == pages.len();
            let next = if last { None } else { markers[i + 1] };
            let output = GetAccountAuthorizationDetailsOutput::builder()
                .set_role_detail_list(Some(roles.clone()))
                .is_truncated(!last || matches!(truncation, Truncation::LastWithoutMarker))
                .set_marker(next.map(str::to_owned))
                .build();
            page_rule(markers[i], output)
        })
        .collect();
    let put = PutRecorder::accepting_all();
    let results =
        aws_smithy_mocks::mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
            .then_output(|| recorded_results(&[], None));
    let iam_rules: Vec<_> = rules.iter().collect();
    let clients = clients(&iam_rules, &[&put.rule, &results]);

    let result = match handle(&event, &clients, &settings(), &Context::at(now())).await {
        Ok(_) if matches!(case.given, Input::Payload(_)) => {
            "none: all parameters take their defaults".to_owned()
        }
        Ok(_) => {
            let sent = put.sent();
            let (_, compliance, annotation) = &sent[0];
            format!("none: {}, {annotation}", compliance.as_str())
        }
        Err(error) => format!(
            "{}: {}",
            error.error_type(),
            iam_role_last_used::lambda::diagnostic::message(&error)
        ),
    };
    (result, put.sent().len())
}

#[tokio::test]
async fn every_bad_input_gets_its_exact_error_and_nothing_is_sent() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for case in &cases {
        let (result, sent) = run(case).await;
        assert_eq!(result, case.result, "input: {}", case.input);
        if !result.starts_with("none:") {
            assert_eq!(sent, 0, "nothing sent for: {}", case.input);
        }
    }
}

/// Renders a case as its README table row.
fn row(case: &Case) -> String {
    let (kind, text) = case.result.split_once(": ").unwrap();
    format!(
        "| {} | {} | `{}` |",
        case.input,
        kind,
        text.replace('|', "\\|")
    )
}

#[test]
fn the_readme_table_shows_exactly_these_rows() {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let rows: Vec<String> = cases().iter().map(row).collect();
    let missing: Vec<&String> = rows
        .iter()
        .filter(|r| !readme.lines().any(|l| l == r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "README rows missing or different; the table should be:\n{}",
        rows.join("\n")
    );
}
