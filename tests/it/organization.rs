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
use iam_role_last_used::lambda::{handle, Clients, Context};
use serde_json::{json, Value};

use crate::common::*;

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
    let results = no_recorded_results();
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
        sns: sns_client_counted(&[], &attempts),
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
        iam_role_last_used::lambda::diagnostic::message(&error),
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

    // Its own account, without the parameter: the single-account behaviour.
    let summary = handle(
        &event_for(CENTRAL, json!({})),
        &clients,
        &settings(),
        &central(),
    )
    .await
    .unwrap();
    assert_eq!(summary.account_id, CENTRAL);
    let own = |operation: &str| (operation.to_owned(), "ANOTREAL".to_owned());
    assert_eq!(
        signed.take(),
        [
            own("GetAccountAuthorizationDetails"),
            own("StarlingDoveService.GetComplianceDetailsByConfigRule"),
            own("StarlingDoveService.PutEvaluations"),
        ],
        "no AssumeRole; every call signed with the function's own credentials"
    );
}

mod aggregator {
    use std::sync::{Arc, Mutex};

    use aws_sdk_config::operation::describe_aggregate_compliance_by_config_rules::DescribeAggregateComplianceByConfigRulesOutput;
    use aws_sdk_config::operation::describe_configuration_aggregators::DescribeConfigurationAggregatorsOutput;
    use aws_sdk_config::operation::get_aggregate_compliance_details_by_config_rule::{
        GetAggregateComplianceDetailsByConfigRuleInput,
        GetAggregateComplianceDetailsByConfigRuleOutput,
    };
    use aws_sdk_config::operation::get_organization_config_rule_detailed_status::{
        GetOrganizationConfigRuleDetailedStatusInput, GetOrganizationConfigRuleDetailedStatusOutput,
    };
    use aws_sdk_config::types::{
        AccountAggregationSource, AggregateComplianceByConfigRule, AggregateEvaluationResult,
        ComplianceType, ConfigurationAggregator, EvaluationResultIdentifier,
        EvaluationResultQualifier, MemberAccountRuleStatus, MemberAccountStatus,
        OrganizationAggregationSource,
    };
    use aws_smithy_mocks::{mock, Rule};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use iam_role_last_used::aws::config_rule::aggregate_results;
    use iam_role_last_used::cli::report::aggregate_rows;
    use iam_role_last_used::core::results::{
        AccountList, AccountListSource, ExpectedAccount, ResourceType,
    };
    use iam_role_last_used::Error;

    use crate::common::config_client;

    const AGGREGATOR: &str = "org-aggregator";
    const RULE: &str = "iam-role-last-used-org";

    fn rule(name: &str, account: &str) -> AggregateComplianceByConfigRule {
        AggregateComplianceByConfigRule::builder()
            .config_rule_name(name)
            .account_id(account)
            .aws_region("eu-west-1")
            .build()
    }

    /// The aggregator holds results of the rule's copies in 4444… and 7777…, a rule whose name
    /// merely starts the same, and another rule.
    fn listing() -> Rule {
        mock!(aws_sdk_config::Client::describe_aggregate_compliance_by_config_rules).then_output(
            move || {
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
                    .aggregate_compliance_by_config_rules(rule("some-other-rule", "111100002222"))
                    .build()
            },
        )
    }

    fn details(asked: Arc<Mutex<Vec<GetAggregateComplianceDetailsByConfigRuleInput>>>) -> Rule {
        mock!(aws_sdk_config::Client::get_aggregate_compliance_details_by_config_rule)
            .then_compute_output(move |req| {
                asked.lock().unwrap().push(req.clone());
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
            })
    }

    fn aggregator_of(kind: ConfigurationAggregator) -> Rule {
        mock!(aws_sdk_config::Client::describe_configuration_aggregators)
            .match_requests(|req| req.configuration_aggregator_names() == [AGGREGATOR])
            .then_output(move || {
                DescribeConfigurationAggregatorsOutput::builder()
                    .configuration_aggregators(kind.clone())
                    .build()
            })
    }

    fn organization_aggregator() -> Rule {
        aggregator_of(
            ConfigurationAggregator::builder()
                .configuration_aggregator_name(AGGREGATOR)
                .organization_aggregation_source(
                    OrganizationAggregationSource::builder()
                        .role_arn("arn:aws:iam::111122223333:role/aggregator")
                        .all_aws_regions(true)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
    }

    fn member(account: &str, status: MemberAccountRuleStatus) -> MemberAccountStatus {
        MemberAccountStatus::builder()
            .account_id(account)
            .config_rule_name(format!("OrgConfigRule-{RULE}-x{account}"))
            .member_account_rule_status(status)
            .build()
            .unwrap()
    }

    /// The organization rule's member accounts over two pages: 4444… and 7777… (with
    /// results), 1111… where the rule could not be created, and 2222… where it was but holds
    /// no results.
    fn org_rule_status(
        asked: Arc<Mutex<Vec<GetOrganizationConfigRuleDetailedStatusInput>>>,
    ) -> Rule {
        mock!(aws_sdk_config::Client::get_organization_config_rule_detailed_status)
            .then_compute_output(move |req| {
                asked.lock().unwrap().push(req.clone());
                let page = GetOrganizationConfigRuleDetailedStatusOutput::builder();
                match req.next_token() {
                    None => page
                        .organization_config_rule_detailed_status(member(
                            "444455556666",
                            MemberAccountRuleStatus::CreateSuccessful,
                        ))
                        .organization_config_rule_detailed_status(
                            MemberAccountStatus::builder()
                                .account_id("111100002222")
                                .config_rule_name(format!("OrgConfigRule-{RULE}-x1"))
                                .member_account_rule_status(MemberAccountRuleStatus::CreateFailed)
                                .error_code("NoAvailableConfigurationRecorderException")
                                .error_message("no configuration recorder in the account")
                                .build()
                                .unwrap(),
                        )
                        .next_token("p2")
                        .build(),
                    Some(_) => page
                        .organization_config_rule_detailed_status(member(
                            "777788889999",
                            MemberAccountRuleStatus::UpdateSuccessful,
                        ))
                        .organization_config_rule_detailed_status(member(
                            "222233334444",
                            MemberAccountRuleStatus::CreateSuccessful,
                        ))
                        .build(),
                }
            })
    }

    fn denied(code: &str) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(format!(
                r#"{{"__type":"{code}","message":"not allowed here"}}"#
            )),
        )
    }

    #[tokio::test]
    async fn an_aggregator_report_reads_every_account_of_the_organization_rule() {
        let asked: Arc<Mutex<Vec<GetAggregateComplianceDetailsByConfigRuleInput>>> = Arc::default();
        let status_asked = Arc::default();
        let (listing, details) = (listing(), details(asked.clone()));
        let (aggregator, status) = (
            organization_aggregator(),
            org_rule_status(Arc::clone(&status_asked)),
        );
        let config = config_client(&[&listing, &details, &aggregator, &status]);

        let report = aggregate_results(&config, AGGREGATOR, RULE, None, &[ResourceType::IamRole])
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
        let rows = aggregate_rows(&report.results);
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.account_id.clone().unwrap(),
                    r.name.as_str(),
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
        assert_eq!(
            report.accounts_with_results,
            ["444455556666", "777788889999"]
        );

        // An organization aggregator lists no accounts: the organization rule's status does,
        // every page of it.
        let expected = |id: &str, detail: &str| ExpectedAccount {
            account_id: id.to_owned(),
            detail: Some(detail.to_owned()),
        };
        assert_eq!(
            report.accounts,
            AccountList::Known {
                source: AccountListSource::OrganizationRuleStatus,
                accounts: vec![
                    expected("444455556666", "rule status CREATE_SUCCESSFUL"),
                    expected("111100002222", "rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no configuration recorder in the account"),
                    expected("777788889999", "rule status UPDATE_SUCCESSFUL"),
                    expected("222233334444", "rule status CREATE_SUCCESSFUL"),
                ],
            }
        );
        let pages: Vec<_> = status_asked
            .lock()
            .unwrap()
            .iter()
            .map(|r: &GetOrganizationConfigRuleDetailedStatusInput| {
                (
                    r.organization_config_rule_name().unwrap().to_owned(),
                    r.next_token().map(str::to_owned),
                )
            })
            .collect();
        assert_eq!(
            pages,
            [
                (RULE.to_owned(), None),
                (RULE.to_owned(), Some("p2".to_owned()))
            ]
        );
    }

    #[tokio::test]
    async fn an_account_aggregator_lists_its_own_accounts() {
        let (listing, details) = (listing(), details(Arc::default()));
        let aggregator = aggregator_of(
            ConfigurationAggregator::builder()
                .configuration_aggregator_name(AGGREGATOR)
                .account_aggregation_sources(
                    AccountAggregationSource::builder()
                        .account_ids("777788889999")
                        .account_ids("444455556666")
                        .aws_regions("eu-west-1")
                        .build()
                        .unwrap(),
                )
                .account_aggregation_sources(
                    AccountAggregationSource::builder()
                        .account_ids("555566667777")
                        .account_ids("444455556666")
                        .all_aws_regions(true)
                        .build()
                        .unwrap(),
                )
                .build(),
        );
        let status = mock!(aws_sdk_config::Client::get_organization_config_rule_detailed_status)
            .then_http_response(|| denied("NoSuchOrganizationConfigRuleException"));
        let config = config_client(&[&listing, &details, &aggregator, &status]);

        let report = aggregate_results(&config, AGGREGATOR, RULE, None, &[ResourceType::IamRole])
            .await
            .unwrap();

        let listed = |id: &str| ExpectedAccount {
            account_id: id.to_owned(),
            detail: None,
        };
        assert_eq!(
            report.accounts,
            AccountList::Known {
                source: AccountListSource::AggregatorAccounts,
                accounts: vec![
                    listed("444455556666"),
                    listed("555566667777"),
                    listed("777788889999")
                ],
            }
        );
        assert_eq!(
            status.num_calls(),
            0,
            "an account aggregator needs no organization call"
        );
    }

    #[tokio::test]
    async fn a_denied_account_list_still_reports_the_results_and_says_why_the_list_is_missing() {
        let (listing1, details1, aggregator) = (
            listing(),
            details(Arc::default()),
            organization_aggregator(),
        );
        let status = mock!(aws_sdk_config::Client::get_organization_config_rule_detailed_status)
            .then_http_response(|| denied("OrganizationAccessDeniedException"));
        let config = config_client(&[&listing1, &details1, &aggregator, &status]);

        let report = aggregate_results(&config, AGGREGATOR, RULE, None, &[ResourceType::IamRole])
            .await
            .unwrap();

        assert_eq!(report.results.len(), 4);
        assert_eq!(
            report.accounts,
            AccountList::Unavailable {
                reason: "GetOrganizationConfigRuleDetailedStatus for the organization rule \"iam-role-last-used-org\" failed: OrganizationAccessDeniedException: not allowed here".to_owned()
            }
        );

        let describe_denied = mock!(aws_sdk_config::Client::describe_configuration_aggregators)
            .then_http_response(|| denied("AccessDeniedException"));
        let (listing2, details2) = (listing(), details(Arc::default()));
        let config = config_client(&[&listing2, &details2, &describe_denied]);
        let report = aggregate_results(&config, AGGREGATOR, RULE, None, &[ResourceType::IamRole])
            .await
            .unwrap();
        assert_eq!(
            report.accounts,
            AccountList::Unavailable {
                reason: "DescribeConfigurationAggregators failed: AccessDeniedException: not allowed here".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn an_aggregator_without_any_copy_of_the_rule_is_a_typed_error_not_an_aws_code() {
        let none = mock!(aws_sdk_config::Client::describe_aggregate_compliance_by_config_rules)
            .then_output(|| {
                DescribeAggregateComplianceByConfigRulesOutput::builder()
                    .aggregate_compliance_by_config_rules(rule(
                        "OrgConfigRule-iam-role-last-used-org-extra-e5f6",
                        "444455556666",
                    ))
                    .build()
            });
        let describe_denied = mock!(aws_sdk_config::Client::describe_configuration_aggregators)
            .then_http_response(|| denied("AccessDeniedException"));
        let error = aggregate_results(
            &config_client(&[&none, &describe_denied]),
            AGGREGATOR,
            RULE,
            Some("444455556666"),
            &[ResourceType::IamRole],
        )
        .await
        .unwrap_err();
        assert_eq!(error.error_type(), "NoAggregateResults");
        // What was asked and found; the advice is the CLI's hint.
        assert_eq!(
            error.to_string(),
            "aggregator \"org-aggregator\" holds no results for any rule named \"iam-role-last-used-org\" or \"OrgConfigRule-iam-role-last-used-org-*\" in account 444455556666"
        );
        let Error::NoAggregateResults { accounts, .. } = error else {
            unreachable!()
        };
        assert_eq!(
            accounts,
            AccountList::Unavailable {
                reason: "DescribeConfigurationAggregators failed: AccessDeniedException: not allowed here".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn an_aggregator_without_results_still_reads_the_member_accounts_and_their_status() {
        let none = mock!(aws_sdk_config::Client::describe_aggregate_compliance_by_config_rules)
            .then_output(|| DescribeAggregateComplianceByConfigRulesOutput::builder().build());
        let (aggregator, status) = (organization_aggregator(), org_rule_status(Arc::default()));
        let error = aggregate_results(
            &config_client(&[&none, &aggregator, &status]),
            AGGREGATOR,
            RULE,
            None,
            &[ResourceType::IamRole],
        )
        .await
        .unwrap_err();
        let Error::NoAggregateResults { accounts, .. } = error else {
            panic!("not NoAggregateResults: {error:?}")
        };
        let expected = |id: &str, detail: &str| ExpectedAccount {
            account_id: id.to_owned(),
            detail: Some(detail.to_owned()),
        };
        assert_eq!(
            accounts,
            AccountList::Known {
                source: AccountListSource::OrganizationRuleStatus,
                accounts: vec![
                    expected("444455556666", "rule status CREATE_SUCCESSFUL"),
                    expected("111100002222", "rule status CREATE_FAILED: NoAvailableConfigurationRecorderException: no configuration recorder in the account"),
                    expected("777788889999", "rule status UPDATE_SUCCESSFUL"),
                    expected("222233334444", "rule status CREATE_SUCCESSFUL"),
                ],
            }
        );
    }
}
