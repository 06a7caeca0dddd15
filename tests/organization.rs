//! Organization rules: which account an invocation evaluates, and with whose credentials.
//! Requests go through the real SDK signer; an interceptor reads the access key id each
//! signed request carries.

use std::sync::{Arc, Mutex};

use aws_sdk_sts::operation::assume_role::{AssumeRoleInput, AssumeRoleOutput};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use iam_role_last_used::aws::AttemptCounter;
use iam_role_last_used::handler::{handle, Clients, Context};
use serde_json::{json, Value};

mod common;
use common::*;

const CENTRAL: &str = "111122223333";

/// Records (operation, access key id) of every signed request.
#[derive(Debug, Clone, Default)]
struct SignedBy(Arc<Mutex<Vec<(String, String)>>>);

impl SignedBy {
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl aws_sdk_iam::config::Intercept for SignedBy {
    fn name(&self) -> &'static str {
        "SignedBy"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &aws_sdk_iam::config::RuntimeComponents,
        _cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request();
        let key = request
            .headers()
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or("(unsigned)")
            .to_owned();
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let operation = request
            .headers()
            .get("x-amz-target")
            .map(str::to_owned)
            .or_else(|| {
                body.split('&')
                    .find_map(|p| p.strip_prefix("Action=").map(str::to_owned))
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push((operation, key));
        Ok(())
    }
}

/// STS answers every AssumeRole with keys named after the role's account.
fn assume_role_rule(log: Arc<Mutex<Vec<AssumeRoleInput>>>) -> Rule {
    mock!(aws_sdk_sts::Client::assume_role).then_compute_output(move |req| {
        log.lock().unwrap().push(req.clone());
        let account = req
            .role_arn()
            .unwrap()
            .split(':')
            .nth(4)
            .unwrap()
            .to_owned();
        AssumeRoleOutput::builder()
            .credentials(
                aws_sdk_sts::types::Credentials::builder()
                    .access_key_id(format!("ASIA{account}"))
                    .secret_access_key("secret")
                    .session_token("token")
                    .expiration(aws_smithy_types::DateTime::from_secs(4_102_444_800))
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn org_clients(sts_rules: &[&Rule], signed: &SignedBy) -> (Clients, PutRecorder, Vec<Rule>) {
    let pages = vec![page_rule(None, iam_page(0..3, None))];
    let put = PutRecorder::accepting_all();
    let results = mock!(aws_sdk_config::Client::get_compliance_details_by_config_rule)
        .then_output(|| recorded_results(&[], None));
    let attempts = AttemptCounter::default();
    let with = |b: aws_sdk_iam::config::Builder| {
        b.retry_config(fast_retry())
            .interceptor(attempts.clone())
            .interceptor(signed.clone())
    };
    let clients = Clients {
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&pages[0]], with),
        config: mock_client!(
            aws_sdk_config,
            RuleMode::MatchAny,
            [&put.rule, &results],
            |b| b
                .retry_config(fast_retry())
                .interceptor(attempts.clone())
                .interceptor(signed.clone())
        ),
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, sts_rules, |b| b
            .retry_config(fast_retry())
            .interceptor(attempts.clone())
            .interceptor(signed.clone())),
        attempts: attempts.clone(),
    };
    (clients, put, pages)
}

fn event_for(account: &str, params: Value) -> Value {
    let mut event = payload("scheduled.json");
    event["accountId"] = json!(account);
    event["ruleParameters"] = json!(params.to_string());
    event["configRuleName"] = json!("OrgConfigRule-iam-role-last-used-abc123");
    event["configRuleArn"] = json!(format!(
        "arn:aws:config:eu-west-1:{account}:config-rule/config-rule-abc123"
    ));
    event
}

fn central() -> Context {
    Context {
        function_account: Some(CENTRAL.to_owned()),
        ..Context::at(now())
    }
}

const MEMBER_ROLE: &str = "iam-role-last-used-member";

#[tokio::test]
async fn each_invocation_assumes_the_member_role_and_uses_its_credentials_for_every_call() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sts = assume_role_rule(log.clone());
    let signed = SignedBy::default();
    let (clients, put, _pages) = org_clients(&[&sts], &signed);
    signed.take(); // nothing signed yet, but start clean

    // A warm container serving A, B, A: each invocation's calls carry that account's keys.
    for account in ["444455556666", "777788889999", "444455556666"] {
        let summary = handle(
            &event_for(account, json!({"execution_role_name": MEMBER_ROLE})),
            &clients,
            &settings(),
            &central(),
        )
        .await
        .unwrap();
        assert_eq!(summary.account_id, account);
        let calls = signed.take();
        let operations: Vec<&str> = calls.iter().map(|(op, _)| op.as_str()).collect();
        assert_eq!(
            operations,
            [
                "AssumeRole",
                "GetAccountAuthorizationDetails",
                "StarlingDoveService.GetComplianceDetailsByConfigRule",
                "StarlingDoveService.PutEvaluations"
            ]
        );
        assert_eq!(
            calls[0].1, "ANOTREAL",
            "AssumeRole itself is signed with the function's own credentials"
        );
        for (operation, key) in &calls[1..] {
            assert_eq!(key, &format!("ASIA{account}"), "{operation} for {account}");
        }
    }
    let assumed: Vec<_> = log
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.role_arn().unwrap().to_owned(),
                r.role_session_name().unwrap().to_owned(),
                r.duration_seconds(),
            )
        })
        .collect();
    let session = "iam-role-last-used-OrgConfigRule-iam-role-last-used-abc123".to_owned();
    assert_eq!(
        assumed,
        [
            (
                format!("arn:aws:iam::444455556666:role/{MEMBER_ROLE}"),
                session.clone(),
                Some(900)
            ),
            (
                format!("arn:aws:iam::777788889999:role/{MEMBER_ROLE}"),
                session.clone(),
                Some(900)
            ),
            (
                format!("arn:aws:iam::444455556666:role/{MEMBER_ROLE}"),
                session,
                Some(900)
            ),
        ]
    );
    assert_eq!(put.requests().len(), 3, "one PutEvaluations per invocation");
}

#[tokio::test]
async fn access_denied_on_assume_role_names_the_role_and_sends_nothing() {
    let denied = mock!(aws_sdk_sts::Client::assume_role).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(403).unwrap(),
            SdkBody::from(
                r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/central/fn is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/iam-role-last-used-member</Message></Error><RequestId>1</RequestId></ErrorResponse>"#,
            ),
        )
    });
    let signed = SignedBy::default();
    let (clients, put, pages) = org_clients(&[&denied], &signed);

    let error = handle(
        &event_for("444455556666", json!({"execution_role_name": MEMBER_ROLE})),
        &clients,
        &settings(),
        &central(),
    )
    .await
    .unwrap_err();

    assert_eq!(error.error_type(), "AssumeRoleAccessDenied");
    assert_eq!(
        error.to_string(),
        "assuming arn:aws:iam::444455556666:role/iam-role-last-used-member failed: AccessDenied: User: arn:aws:sts::111122223333:assumed-role/central/fn is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/iam-role-last-used-member; nothing was evaluated"
    );
    assert_eq!(pages[0].num_calls(), 0);
    assert!(put.requests().is_empty());
}

#[tokio::test]
async fn another_account_without_execution_role_name_is_refused_before_any_call() {
    let signed = SignedBy::default();
    let (clients, put, pages) = org_clients(&[], &signed);

    let error = handle(
        &event_for("444455556666", json!({})),
        &clients,
        &settings(),
        &central(),
    )
    .await
    .unwrap_err();

    assert_eq!(error.error_type(), "ExecutionRoleNeeded");
    assert!(
        error
            .to_string()
            .contains("set the rule parameter execution_role_name"),
        "{error}"
    );
    assert!(signed.take().is_empty(), "no AWS call at all");
    assert_eq!(pages[0].num_calls(), 0);
    assert!(put.requests().is_empty());

    // Its own account, without the parameter: today's single-account behaviour.
    let summary = handle(
        &event_for(CENTRAL, json!({})),
        &clients,
        &settings(),
        &central(),
    )
    .await
    .unwrap();
    assert_eq!(summary.account_id, CENTRAL);
    assert!(signed
        .take()
        .iter()
        .all(|(op, key)| op != "AssumeRole" && key == "ANOTREAL"));
}

#[tokio::test]
async fn an_aggregator_report_reads_every_account_of_the_organization_rule() {
    use aws_sdk_config::operation::describe_aggregate_compliance_by_config_rules::DescribeAggregateComplianceByConfigRulesOutput;
    use aws_sdk_config::operation::get_aggregate_compliance_details_by_config_rule::{
        GetAggregateComplianceDetailsByConfigRuleInput,
        GetAggregateComplianceDetailsByConfigRuleOutput,
    };
    use aws_sdk_config::types::{
        AggregateComplianceByConfigRule, AggregateEvaluationResult, ComplianceType,
        EvaluationResultIdentifier, EvaluationResultQualifier,
    };
    use iam_role_last_used::config_rule::aggregate_results;
    use iam_role_last_used::report::aggregate_rows;

    let rule = |name: &str, account: &str| {
        AggregateComplianceByConfigRule::builder()
            .config_rule_name(name)
            .account_id(account)
            .aws_region("eu-west-1")
            .build()
    };
    let listing = mock!(aws_sdk_config::Client::describe_aggregate_compliance_by_config_rules)
        .then_output(move || {
            DescribeAggregateComplianceByConfigRulesOutput::builder()
                .aggregate_compliance_by_config_rules(rule(
                    "OrgConfigRule-iam-role-last-used-org-a1b2",
                    "444455556666",
                ))
                .aggregate_compliance_by_config_rules(rule(
                    "OrgConfigRule-iam-role-last-used-org-c3d4",
                    "777788889999",
                ))
                .aggregate_compliance_by_config_rules(rule(
                    "OrgConfigRule-iam-role-last-used-org-extra-e5f6",
                    "777788889999",
                ))
                .aggregate_compliance_by_config_rules(rule("some-other-rule", "444455556666"))
                .build()
        });
    let asked: Arc<Mutex<Vec<GetAggregateComplianceDetailsByConfigRuleInput>>> = Arc::default();
    let log = asked.clone();
    let details = mock!(aws_sdk_config::Client::get_aggregate_compliance_details_by_config_rule)
        .then_compute_output(move |req| {
            log.lock().unwrap().push(req.clone());
            let account = req.account_id().unwrap().to_owned();
            let result = |id: &str, compliance: ComplianceType, annotation: &str| {
                AggregateEvaluationResult::builder()
                    .evaluation_result_identifier(
                        EvaluationResultIdentifier::builder()
                            .evaluation_result_qualifier(
                                EvaluationResultQualifier::builder()
                                    .config_rule_name(req.config_rule_name().unwrap())
                                    .resource_type("AWS::IAM::Role")
                                    .resource_id(id)
                                    .build(),
                            )
                            .build(),
                    )
                    .compliance_type(compliance)
                    .annotation(annotation)
                    .account_id(&account)
                    .aws_region("eu-west-1")
                    .build()
            };
            GetAggregateComplianceDetailsByConfigRuleOutput::builder()
                .aggregate_evaluation_results(result(
                    &format!("AROA{account}1"),
                    ComplianceType::NonCompliant,
                    "ci-legacy: last used 90 days ago in eu-west-1, over the 60-day threshold",
                ))
                .aggregate_evaluation_results(result(
                    &format!("AROA{account}2"),
                    ComplianceType::Compliant,
                    "app-task: last used 2 days ago in eu-west-1",
                ))
                .build()
        });
    let config = config_client(&[&listing, &details]);

    let results = aggregate_results(&config, "org-aggregator", "iam-role-last-used-org", None)
        .await
        .unwrap();

    let seen: Vec<_> = asked
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.config_rule_name().unwrap().to_owned(),
                r.account_id().unwrap().to_owned(),
                r.aws_region().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "OrgConfigRule-iam-role-last-used-org-a1b2".to_owned(),
                "444455556666".to_owned(),
                "eu-west-1".to_owned()
            ),
            (
                "OrgConfigRule-iam-role-last-used-org-c3d4".to_owned(),
                "777788889999".to_owned(),
                "eu-west-1".to_owned()
            ),
        ],
        "only this rule's per-account copies, not a rule whose name merely starts the same"
    );
    let rows = aggregate_rows(&results);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.account_id.clone().unwrap(),
                r.role_name.as_str(),
                r.compliance_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("444455556666".to_owned(), "ci-legacy", "NON_COMPLIANT"),
            ("444455556666".to_owned(), "app-task", "COMPLIANT"),
            ("777788889999".to_owned(), "ci-legacy", "NON_COMPLIANT"),
            ("777788889999".to_owned(), "app-task", "COMPLIANT"),
        ]
    );

    let none = mock!(aws_sdk_config::Client::describe_aggregate_compliance_by_config_rules)
        .then_output(|| DescribeAggregateComplianceByConfigRulesOutput::builder().build());
    let error = aggregate_results(
        &config_client(&[&none]),
        "org-aggregator",
        "iam-role-last-used-org",
        Some("444455556666"),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the results of Config rule \"iam-role-last-used-org\" failed: aggregator \"org-aggregator\": holds no results of a rule named \"iam-role-last-used-org\" (or OrgConfigRule-iam-role-last-used-org-…) for account 444455556666; no evaluations were sent"
    );
}
