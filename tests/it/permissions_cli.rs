//! `role-audit permissions` as a person runs it, against a stub IAM endpoint on 127.0.0.1
//! speaking IAM's query protocol (form-encoded `Action=...` in, XML out).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const ARN: &str = "arn:aws:iam::123456789012:role/app";

/// Action -> (HTTP status, XML body); records each request's form body, in order.
struct IamStub {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn action_of(form: &str) -> String {
    form.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or_default()
        .to_owned()
}

fn iam_stub(answers: HashMap<&'static str, (u16, String)>) -> IamStub {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = requests.clone();
    let answers = Arc::new(answers);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (log, answers) = (log.clone(), answers.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let header = line.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                length = value.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let form = String::from_utf8_lossy(&body).into_owned();
                    let action = action_of(&form);
                    log.lock().unwrap().push(form);
                    let (status, xml) = answers.get(action.as_str()).cloned().unwrap_or((
                        400,
                        error_xml(
                            "InvalidAction",
                            &format!("the stub has no answer for {action}"),
                        ),
                    ));
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                        xml.len()
                    );
                    if writer.write_all(head.as_bytes()).is_err()
                        || writer.write_all(xml.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    IamStub { url, requests }
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"#
    )
}

fn result_xml(action: &str, inner: &str) -> (u16, String) {
    (
        200,
        format!(
            r#"<{action}Response xmlns="{NS}"><{action}Result>{inner}</{action}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></{action}Response>"#
        ),
    )
}

/// IAM answering for role `app` (or user `ci`): s3 used on 2025-12-31 (GetObject then,
/// PutObject never), sqs last on 2025-06-01, dynamodb never.
fn account() -> HashMap<&'static str, (u16, String)> {
    let role = format!(
        "<Role><Path>/</Path><RoleName>app</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>{ARN}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></Role>"
    );
    let user = "<User><Path>/</Path><UserName>ci</UserName><UserId>AIDAEXAMPLE</UserId><Arn>arn:aws:iam::123456789012:user/ci</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></User>";
    let services = "\
        <member><ServiceName>Amazon S3</ServiceName><ServiceNamespace>s3</ServiceNamespace>\
        <LastAuthenticated>2025-12-31T00:00:00Z</LastAuthenticated><LastAuthenticatedRegion>eu-west-1</LastAuthenticatedRegion>\
        <TrackedActionsLastAccessed>\
        <member><ActionName>GetObject</ActionName><LastAccessedTime>2025-12-31T00:00:00Z</LastAccessedTime><LastAccessedRegion>eu-west-1</LastAccessedRegion></member>\
        <member><ActionName>PutObject</ActionName></member>\
        </TrackedActionsLastAccessed></member>\
        <member><ServiceName>Amazon SQS</ServiceName><ServiceNamespace>sqs</ServiceNamespace>\
        <LastAuthenticated>2025-06-01T00:00:00Z</LastAuthenticated><LastAuthenticatedRegion>us-east-1</LastAuthenticatedRegion></member>\
        <member><ServiceName>Amazon DynamoDB</ServiceName><ServiceNamespace>dynamodb</ServiceNamespace></member>";
    HashMap::from([
        ("GetRole", result_xml("GetRole", &role)),
        ("GetUser", result_xml("GetUser", user)),
        (
            "GenerateServiceLastAccessedDetails",
            result_xml(
                "GenerateServiceLastAccessedDetails",
                "<JobId>01234567-89ab-cdef-0123-456789abcdef</JobId>",
            ),
        ),
        (
            "GetServiceLastAccessedDetails",
            result_xml(
                "GetServiceLastAccessedDetails",
                &format!(
                    "<JobStatus>COMPLETED</JobStatus><JobType>ACTION_LEVEL</JobType>\
                     <JobCreationDate>2026-01-01T00:00:00Z</JobCreationDate>\
                     <JobCompletionDate>2026-01-01T00:00:05Z</JobCompletionDate>\
                     <IsTruncated>false</IsTruncated><ServicesLastAccessed>{services}</ServicesLastAccessed>"
                ),
            ),
        ),
    ])
}

fn role_audit(stub: &IamStub, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_role-audit"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &stub.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("SDK_MAX_ATTEMPTS", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const NOW: &str = "2026-01-01T00:00:00Z";

#[test]
fn a_role_is_resolved_then_its_report_generated_at_action_level_and_shown_unused_first() {
    let stub = iam_stub(account());

    let output = role_audit(&stub, &["permissions", "--role", "app", "--now", NOW]);

    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let requests = stub.requests.lock().unwrap().clone();
    let actions: Vec<String> = requests.iter().map(|r| action_of(r)).collect();
    assert_eq!(
        actions,
        [
            "GetRole",
            "GenerateServiceLastAccessedDetails",
            "GetServiceLastAccessedDetails"
        ]
    );
    assert!(requests[0].contains("RoleName=app"), "{}", requests[0]);
    assert!(
        requests[1].contains("Arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp"),
        "{}",
        requests[1]
    );
    assert!(
        requests[1].contains("Granularity=ACTION_LEVEL"),
        "{}",
        requests[1]
    );
    assert!(requests[2].contains("MaxItems=1000"), "{}", requests[2]);
    let stdout = text(&output.stdout);
    let marks: Vec<(&str, &str)> = stdout
        .lines()
        .filter_map(|l| {
            let mut cells = l.split_whitespace();
            match (cells.next(), cells.next()) {
                (Some(m @ ("UNUSED" | "used")), Some(ns)) => Some((m, ns)),
                _ => None,
            }
        })
        .collect();
    assert_eq!(
        marks,
        [("UNUSED", "dynamodb"), ("UNUSED", "sqs"), ("used", "s3")]
    );
    assert!(stdout.contains("Uses 1 of 3 granted services; 2 unused."));
    assert!(stdout.contains("2025-06-01 (214 days ago)"), "{stdout}");
    assert!(stdout.contains("SUGGESTED POLICY: a suggestion to review before use"));
}

#[test]
fn json_for_a_user_with_fail_on_unused_exits_1() {
    let stub = iam_stub(account());

    let output = role_audit(
        &stub,
        &[
            "permissions",
            "--user",
            "ci",
            "--now",
            NOW,
            "--format",
            "json",
            "--fail-on-unused",
            "--boundary",
        ],
    );

    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let json: Value = serde_json::from_str(&text(&output.stdout)).unwrap();
    assert_eq!(json["Principal"]["Kind"], "user");
    assert_eq!(
        json["Principal"]["Arn"],
        "arn:aws:iam::123456789012:user/ci"
    );
    assert_eq!(json["Summary"]["UnusedServices"], 2);
    assert_eq!(
        json["Summary"]["UnusedActionsOfUsedServices"],
        json!(["s3:PutObject"])
    );
    assert_eq!(json["SuggestedPolicy"]["Form"], "boundary");
    assert_eq!(
        json["SuggestedPolicy"]["Document"]["Statement"][1]["Action"],
        json!(["dynamodb:*", "sqs:*"])
    );
    let requests = stub.requests.lock().unwrap().clone();
    assert_eq!(action_of(&requests[0]), "GetUser");
}

#[test]
fn an_unknown_role_is_refused_naming_the_option_and_the_name() {
    let mut answers = account();
    answers.insert(
        "GetRole",
        (
            404,
            error_xml("NoSuchEntity", "The role with name ghost cannot be found."),
        ),
    );
    let stub = iam_stub(answers);

    let output = role_audit(&stub, &["permissions", "--role", "ghost"]);

    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "role-audit: invalid --role ghost: IAM has no role of that name in this account (NoSuchEntity)\n"
    );
    assert_eq!(stub.requests.lock().unwrap().len(), 1, "nothing generated");
}

#[test]
fn access_denied_on_generate_names_the_permission_needed() {
    let mut answers = account();
    answers.insert(
        "GenerateServiceLastAccessedDetails",
        (
            403,
            error_xml(
                "AccessDenied",
                "User is not authorized to perform: iam:GenerateServiceLastAccessedDetails",
            ),
        ),
    );
    let stub = iam_stub(answers);

    let output = role_audit(&stub, &["permissions", "--role", "app"]);

    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        format!("role-audit: reading the service last accessed report of {ARN} failed: GenerateServiceLastAccessedDetails: AccessDenied: User is not authorized to perform: iam:GenerateServiceLastAccessedDetails\nhint: the credentials in use are not allowed iam:GenerateServiceLastAccessedDetails; role-audit needs it (read-only)\n")
    );
}

#[test]
fn a_role_and_a_user_together_are_refused() {
    let stub = iam_stub(account());
    let output = role_audit(&stub, &["permissions", "--role", "app", "--user", "ci"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot be used with"));
    assert!(stub.requests.lock().unwrap().is_empty());
}
