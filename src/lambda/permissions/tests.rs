use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::TimeZone;

use super::*;
use crate::core::access::ServiceAccess;
use crate::core::results::{Compliance, ResourceType};
use crate::core::role::Role;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn role(name: &str, age_days: i64) -> Identity {
    Identity::Role(Role {
        role_id: format!("AROA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::111122223333:role/{name}"),
        created: now() - chrono::Duration::days(age_days),
        last_used: None,
        tags: Vec::new(),
        privilege: Default::default(),
    })
}

/// Each report takes `took` of tokio's (paused) clock; every ARN's report grants one unused
/// service unless it is in `failing`. Records the order reports were asked for.
struct Stand {
    took: Duration,
    failing: HashMap<String, NoReport>,
    asked: Mutex<Vec<String>>,
}

impl Stand {
    fn new(took: Duration) -> Self {
        Self {
            took,
            failing: HashMap::new(),
            asked: Mutex::new(Vec::new()),
        }
    }
}

impl Reports for Stand {
    fn report(&self, arn: &str) -> impl Future<Output = Result<AccessReport, NoReport>> + Send {
        self.asked.lock().unwrap().push(arn.to_owned());
        let outcome = match self.failing.get(arn) {
            Some(problem) => Err(problem.clone()),
            None => Ok(AccessReport {
                arn: arn.to_owned(),
                completed: now(),
                services: vec![ServiceAccess {
                    namespace: "sqs".to_owned(),
                    name: "Amazon SQS".to_owned(),
                    last_authenticated: None,
                    region: None,
                    tracked_actions: None,
                }],
            }),
        };
        let took = self.took;
        async move {
            tokio::time::sleep(took).await;
            outcome
        }
    }
}

fn held(id: &str, days_ago: i64) -> RecordedResult {
    RecordedResult {
        resource_type: ResourceType::IamRole,
        resource_id: id.to_owned(),
        compliance: Compliance::NonCompliant,
        annotation: None,
        recorded: Some(now() - chrono::Duration::days(days_ago)),
    }
}

fn outcomes(evaluations: &[Evaluation]) -> Vec<(String, Compliance)> {
    let mut list: Vec<_> = evaluations
        .iter()
        .map(|e| (e.name.clone(), e.compliance))
        .collect();
    list.sort();
    list
}

fn checks(concurrency: usize) -> CheckSettings {
    CheckSettings {
        concurrency,
        ..CheckSettings::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_out_of_time_judges_only_what_it_finished_in_order_of_need() {
    // a: recorded 5 days ago, b: never checked, c: 30 days ago, d: 10 days ago, young: decided.
    let identities = vec![
        role("a", 400),
        role("b", 400),
        role("c", 400),
        role("d", 400),
        role("young", 10),
    ];
    let recorded = [held("AROAA", 5), held("AROAC", 30), held("AROAD", 10)];
    let stand = Stand::new(Duration::from_secs(10));
    let start = Instant::now();
    // One at a time, 10 s each: three finish within 35 s, the fourth is cut off.
    let (evaluations, tally) = judge(
        &stand,
        identities,
        &PermissionParameters::default(),
        &recorded,
        now(),
        checks(1),
        Some(start + Duration::from_secs(35)),
    )
    .await
    .unwrap();
    assert_eq!(
        Instant::now() - start,
        Duration::from_secs(35),
        "stops at the end of its time"
    );
    let asked = stand.asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        [
            "arn:aws:iam::111122223333:role/b",
            "arn:aws:iam::111122223333:role/c",
            "arn:aws:iam::111122223333:role/d",
            "arn:aws:iam::111122223333:role/a",
        ]
    );
    assert_eq!(
        outcomes(&evaluations),
        [
            ("a".to_owned(), Compliance::InsufficientData),
            ("b".to_owned(), Compliance::NonCompliant),
            ("c".to_owned(), Compliance::NonCompliant),
            ("d".to_owned(), Compliance::NonCompliant),
            ("young".to_owned(), Compliance::Compliant),
        ]
    );
    assert_eq!(
        tally,
        CheckTally {
            needing_report: 4,
            // a was recorded 5 days ago: not due within the 7-day refresh, so not remaining.
            due: 3,
            checked: 3,
            report_failures: 0,
            remaining: 0,
            checking_ms: 35_000,
            throttled_reports: 0,
        }
    );
}

#[tokio::test(start_paused = true)]
async fn reports_run_side_by_side_and_a_failed_job_is_not_judged() {
    let identities: Vec<Identity> = (0..8).map(|i| role(&format!("r{i}"), 400)).collect();
    let mut stand = Stand::new(Duration::from_secs(10));
    stand.failing.insert(
        "arn:aws:iam::111122223333:role/r3".to_owned(),
        NoReport::JobFailed {
            code: "ServiceFailure".to_owned(),
            message: "job failed".to_owned(),
        },
    );
    let start = Instant::now();
    let (evaluations, tally) = judge(
        &stand,
        identities,
        &PermissionParameters::default(),
        &[],
        now(),
        checks(4),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        Instant::now() - start,
        Duration::from_secs(20),
        "8 reports of 10 s, 4 at a time"
    );
    assert_eq!(
        tally,
        CheckTally {
            needing_report: 8,
            due: 8,
            checked: 7,
            report_failures: 1,
            remaining: 0,
            checking_ms: 20_000,
            throttled_reports: 0,
        }
    );
    let failed = evaluations.iter().find(|e| e.name == "r3").unwrap();
    assert_eq!(failed.compliance, Compliance::InsufficientData);
    assert_eq!(
        failed.annotation,
        "r3: no report from IAM this run: IAM's report job failed: ServiceFailure: job failed"
    );
}

/// Throttles the first `times` reports of every ARN, then answers.
struct Throttling {
    inner: Stand,
    times: usize,
    seen: Mutex<HashMap<String, usize>>,
}

impl Reports for Throttling {
    fn report(&self, arn: &str) -> impl Future<Output = Result<AccessReport, NoReport>> + Send {
        let count = {
            let mut seen = self.seen.lock().unwrap();
            let count = seen.entry(arn.to_owned()).or_default();
            *count += 1;
            *count
        };
        let throttled = count <= self.times;
        let answer = self.inner.report(arn);
        async move {
            if throttled {
                return Err(NoReport::CallFailed {
                    operation: "GenerateServiceLastAccessedDetails",
                    code: Some("Throttling".to_owned()),
                    message: "Rate exceeded".to_owned(),
                });
            }
            answer.await
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_throttled_report_is_asked_again_after_a_wait_within_the_budget() {
    let identities: Vec<Identity> = (0..3).map(|i| role(&format!("r{i}"), 400)).collect();
    let source = Throttling {
        inner: Stand::new(Duration::from_secs(1)),
        times: 3,
        seen: Mutex::new(HashMap::new()),
    };
    let start = Instant::now();
    let (evaluations, tally) = judge(
        &source,
        identities.clone(),
        &PermissionParameters::default(),
        &[],
        now(),
        checks(3),
        Some(start + Duration::from_secs(60)),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            tally.checked,
            tally.report_failures,
            tally.throttled_reports
        ),
        (3, 0, 9)
    );
    assert!(evaluations
        .iter()
        .all(|e| e.compliance == Compliance::NonCompliant));
    // Waits of at most 0.5 + 1 + 2 s, at least half that, then the 1 s report.
    let took = Instant::now() - start;
    assert!(
        took >= Duration::from_millis(2750) && took <= Duration::from_millis(4500),
        "{took:?}"
    );

    // A budget that ends while IAM still throttles: nobody judged, nobody counted failed.
    let source = Throttling {
        inner: Stand::new(Duration::from_secs(1)),
        times: 100,
        seen: Mutex::new(HashMap::new()),
    };
    let start = Instant::now();
    let (_, tally) = judge(
        &source,
        identities,
        &PermissionParameters::default(),
        &[],
        now(),
        checks(3),
        Some(start + Duration::from_secs(20)),
    )
    .await
    .unwrap();
    assert_eq!(
        (tally.checked, tally.report_failures, tally.remaining),
        (0, 0, 3)
    );
    assert_eq!(Instant::now() - start, Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn a_report_denied_for_want_of_permission_fails_the_run_naming_the_call() {
    let identities: Vec<Identity> = (0..3).map(|i| role(&format!("r{i}"), 400)).collect();
    let mut stand = Stand::new(Duration::from_secs(1));
    stand.failing.insert(
        "arn:aws:iam::111122223333:role/r1".to_owned(),
        NoReport::CallFailed {
            operation: "GenerateServiceLastAccessedDetails",
            code: Some("AccessDenied".to_owned()),
            message: "not authorized to perform iam:GenerateServiceLastAccessedDetails".to_owned(),
        },
    );
    let error = judge(
        &stand,
        identities,
        &PermissionParameters::default(),
        &[],
        now(),
        checks(1),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "AccessReportFailed");
    let text = error.to_string();
    assert!(
        text.contains("GenerateServiceLastAccessedDetails")
            && text.contains("arn:aws:iam::111122223333:role/r1"),
        "{text}"
    );
}
