use chrono::{Duration, TimeZone};

use super::*;
use crate::core::access::{ActionAccess, ServiceAccess};
use crate::core::params::Allowlist;
use crate::core::params::Principal as Noun;
use crate::core::role::Tag;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn role(path: &str, name: &str, age_days: i64) -> Identity {
    Identity::Role(Role {
        role_id: format!("AROA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: path.to_owned(),
        arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
        created: now() - Duration::days(age_days),
        last_used: None,
        tags: Vec::new(),
        privilege: Default::default(),
    })
}

fn user(name: &str, age_days: i64) -> Identity {
    Identity::User(User {
        user_id: format!("AIDA{}", name.to_uppercase()),
        name: name.to_owned(),
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::111122223333:user/{name}"),
        created: now() - Duration::days(age_days),
        tags: Vec::new(),
        privilege: Default::default(),
    })
}

fn tagged(identity: Identity, key: &str, value: &str) -> Identity {
    let tag = Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    };
    match identity {
        Identity::Role(mut role) => {
            role.tags.push(tag);
            Identity::Role(role)
        }
        Identity::User(mut user) => {
            user.tags.push(tag);
            Identity::User(user)
        }
    }
}

fn service(namespace: &str, days_ago: Option<i64>) -> ServiceAccess {
    ServiceAccess {
        namespace: namespace.to_owned(),
        name: namespace.to_uppercase(),
        last_authenticated: days_ago.map(|d| now() - Duration::days(d)),
        region: days_ago.map(|_| "eu-west-1".to_owned()),
        tracked_actions: None,
    }
}

fn with_actions(mut service: ServiceAccess, actions: &[(&str, Option<i64>)]) -> ServiceAccess {
    service.tracked_actions = Some(
        actions
            .iter()
            .map(|(name, days)| ActionAccess {
                name: (*name).to_owned(),
                last_accessed: days.map(|d| now() - Duration::days(d)),
                region: None,
            })
            .collect(),
    );
    service
}

fn report(services: Vec<ServiceAccess>) -> AccessReport {
    AccessReport {
        arn: "arn:aws:iam::111122223333:role/app".to_owned(),
        completed: now(),
        services,
    }
}

fn pending(identity: &Identity, params: &PermissionParameters) -> Pending {
    match triage(identity, params, now()) {
        Triage::NeedsReport(pending) => pending,
        Triage::Decided(e) => panic!("decided without a report: {}", e.annotation),
    }
}

fn judged(identity: &Identity, services: Vec<ServiceAccess>) -> Evaluation {
    let params = PermissionParameters::default();
    let pending = pending(identity, &params);
    judge(identity, &pending, &report(services), &params, now())
}

#[test]
fn verdicts_on_reports() {
    let app = role("/", "app", 400);
    // (services, compliance, annotation): written out by hand from the 90-day default.
    let table: Vec<(Vec<ServiceAccess>, Compliance, &str)> = vec![
        (vec![], Compliance::Compliant, "app: its identity policies grant no service"),
        (
            vec![service("s3", Some(90))],
            Compliance::Compliant,
            "app: uses all 1 granted service within the 90-day threshold",
        ),
        (
            vec![service("s3", Some(91))],
            Compliance::NonCompliant,
            "app: uses 0 of 1 granted services; unused 90+ days: s3",
        ),
        (
            vec![
                service("sqs", None),
                service("s3", Some(1)),
                service("dynamodb", Some(200)),
                service("kinesis", None),
            ],
            Compliance::NonCompliant,
            "app: uses 1 of 4 granted services; unused 90+ days: dynamodb, kinesis and sqs",
        ),
        (
            ["a", "b", "c", "d", "e", "f", "g", "s3"]
                .iter()
                .map(|ns| service(ns, if *ns == "s3" { Some(3) } else { None }))
                .collect(),
            Compliance::NonCompliant,
            "app: uses 1 of 8 granted services; unused 90+ days: a, b, c, d, e and 2 more",
        ),
        (
            vec![
                with_actions(
                    service("s3", Some(2)),
                    &[("GetObject", Some(2)), ("PutObject", None), ("DeleteBucket", Some(100))],
                ),
                with_actions(service("ec2", None), &[("RunInstances", None)]),
            ],
            Compliance::NonCompliant,
            "app: uses 1 of 2 granted services; unused 90+ days: ec2; 2 of 3 tracked actions unused in the services it uses",
        ),
        (
            vec![with_actions(service("iam", Some(10)), &[("GetRole", Some(10))])],
            Compliance::Compliant,
            "app: uses all 1 granted service within the 90-day threshold; 0 of 1 tracked actions unused in the services it uses",
        ),
    ];
    for (services, compliance, annotation) in table {
        let e = judged(&app, services);
        assert_eq!(
            (e.compliance, e.annotation.as_str()),
            (compliance, annotation)
        );
        assert_eq!(e.detail, e.annotation, "counts and names only: one wording");
        assert_eq!(
            (e.resource_type, e.resource_id.as_str()),
            (ResourceType::IamRole, "AROAAPP")
        );
    }
    let e = judged(&user("bob", 400), vec![service("kms", None)]);
    assert_eq!(
        (
            e.resource_type,
            e.resource_id.as_str(),
            e.annotation.as_str()
        ),
        (
            ResourceType::IamUser,
            "AIDABOB",
            "bob: uses 0 of 1 granted services; unused 90+ days: kms"
        )
    );
}

#[test]
fn a_long_list_names_fewer_services_rather_than_cut_the_verdict() {
    let name = "r".repeat(64);
    let long = role("/", &name, 400);
    let services = (0..30)
        .map(|i| service(&format!("service-with-a-long-namespace-{i:02}"), None))
        .collect();
    let e = judged(&long, services);
    assert!(e.annotation.chars().count() <= 256, "{}", e.annotation);
    assert!(!e.annotation.ends_with('…'), "{}", e.annotation);
    assert!(e.annotation.contains("uses 0 of 30 granted services"));
    assert!(e.annotation.ends_with(" more"), "{}", e.annotation);
    assert!(e.annotation.contains("service-with-a-long-namespace-00"));
}

#[test]
fn principals_decided_without_a_report() {
    let mut params = PermissionParameters {
        role_allowlist: Allowlist::parse(Noun::Role, "role_allowlist", "/ci/*").unwrap(),
        user_allowlist: Allowlist::parse(Noun::User, "user_allowlist", "/break-glass").unwrap(),
        exempt_tag_key: Some("keep".to_owned()),
        ..PermissionParameters::default()
    };
    let table: Vec<(Identity, Option<(Compliance, &str)>)> = vec![
        (
            role("/aws-service-role/ecs.amazonaws.com/", "AWSServiceRoleForECS", 900),
            Some((Compliance::NotApplicable, "AWSServiceRoleForECS: service-linked role, not evaluated (service_linked_roles=exclude)")),
        ),
        (role("/ci/", "deployer", 900), Some((Compliance::Compliant, "deployer: allowlisted by pattern /ci/*"))),
        // The role allowlist does not name users, nor the other way round.
        (user("deployer", 900), None),
        (role("/", "break-glass", 900), None),
        (user("break-glass", 900), Some((Compliance::Compliant, "break-glass: allowlisted by pattern /break-glass"))),
        (tagged(user("carol", 900), "keep", "until=2026-06-01"), Some((Compliance::Compliant, "carol: exempt by tag keep until 2026-06-01"))),
        (role("/", "young", 90), Some((Compliance::Compliant, "young: created 2026-03-03, within the 90-day threshold"))),
        (role("/", "old-enough", 91), None),
        (role("/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_Admin_0123456789abcdef", 900), None),
    ];
    for (identity, expected) in &table {
        let got = match triage(identity, &params, now()) {
            Triage::Decided(e) => Some((e.compliance, e.annotation)),
            Triage::NeedsReport(_) => None,
        };
        assert_eq!(
            got.as_ref().map(|(c, a)| (*c, a.as_str())),
            *expected,
            "{}",
            identity.name()
        );
    }
    params.identity_center_roles = IdentityCenterRoles::Exclude;
    params.service_linked_roles = ServiceLinkedRoles::Evaluate;
    let sso = &table[8].0;
    assert!(matches!(
        triage(sso, &params, now()),
        Triage::Decided(Evaluation {
            compliance: Compliance::NotApplicable,
            ..
        })
    ));
    assert!(matches!(
        triage(&table[0].0, &params, now()),
        Triage::NeedsReport(_)
    ));
}

#[test]
fn an_expired_exemption_is_checked_and_says_so() {
    let params = PermissionParameters {
        exempt_tag_key: Some("keep".to_owned()),
        ..PermissionParameters::default()
    };
    let old = tagged(role("/", "old", 900), "keep", "until=2026-05-31");
    let pending = pending(&old, &params);
    let e = judge(
        &old,
        &pending,
        &report(vec![service("sqs", None)]),
        &params,
        now(),
    );
    assert_eq!(
        e.annotation,
        "old: uses 0 of 1 granted services; unused 90+ days: sqs; exemption tag keep expired after 2026-05-31"
    );
}

#[test]
fn principals_without_a_report_are_insufficient_data_and_say_why() {
    let params = PermissionParameters::default();
    let app = role("/", "app", 400);
    let e = without_report(&app, None, &params);
    assert_eq!(e.compliance, Compliance::InsufficientData);
    assert_eq!(
        e.annotation,
        "app: not checked this run: the run's time ran out first"
    );
    let failed = NoReport::JobFailed {
        code: "ServiceFailure".to_owned(),
        message: "boom".to_owned(),
    };
    let e = without_report(&app, Some(&failed), &params);
    assert_eq!(e.compliance, Compliance::InsufficientData);
    assert_eq!(
        e.annotation,
        "app: no report from IAM this run: IAM's report job failed: ServiceFailure: boom"
    );
}

fn held(resource_type: ResourceType, id: &str, recorded_days_ago: Option<i64>) -> RecordedResult {
    RecordedResult {
        resource_type,
        resource_id: id.to_owned(),
        compliance: Compliance::Compliant,
        annotation: None,
        recorded: recorded_days_ago.map(|d| now() - Duration::days(d)),
    }
}

#[test]
fn never_checked_come_first_then_the_oldest_results_then_the_rest_in_a_rotating_order() {
    let identities = [
        role("/", "fresh", 400),   // recorded 1 day ago: not due
        role("/", "stale", 400),   // recorded 30 days ago
        role("/", "new", 400),     // nothing held
        user("stale", 400),        // same name, other type: recorded 10 days ago
        role("/", "oldest", 400),  // recorded 60 days ago
        role("/", "untimed", 400), // held without a time: as never checked
        role("/", "new2", 400),    // nothing held
        role("/", "twice", 400),   // listed twice: 2 and 40 days ago
        role("/", "edge", 400),    // recorded exactly 7 days ago: due
        role("/", "recent", 400),  // recorded 6 days ago: not due
    ];
    let recorded = [
        held(ResourceType::IamRole, "AROAFRESH", Some(1)),
        held(ResourceType::IamRole, "AROASTALE", Some(30)),
        held(ResourceType::IamUser, "AIDASTALE", Some(10)),
        held(ResourceType::IamRole, "AROAOLDEST", Some(60)),
        held(ResourceType::IamRole, "AROAUNTIMED", None),
        held(ResourceType::IamRole, "AROATWICE", Some(2)),
        held(ResourceType::IamRole, "AROATWICE", Some(40)),
        held(ResourceType::IamRole, "AROAEDGE", Some(7)),
        held(ResourceType::IamRole, "AROARECENT", Some(6)),
        held(ResourceType::IamRole, "AROAGONE", Some(100)),
    ];
    let cutoff = now() - Duration::days(7) + Duration::seconds(1);
    let names = |queue: &Queue<'_, ()>| -> Vec<String> {
        queue
            .order
            .iter()
            .map(|(i, ())| format!("{}:{}", i.resource_type().noun(), i.name()))
            .collect()
    };
    let queue = order_of_need(
        identities.iter().map(|i| (i, ())).collect(),
        &recorded,
        cutoff,
        1,
    );
    assert_eq!(queue.due, 8);
    assert_eq!(
        names(&queue)[..8],
        [
            "role:new",
            "role:untimed",
            "role:new2",
            "role:oldest",
            "role:twice",
            "role:stale",
            "user:stale",
            "role:edge",
        ]
    );
    let mut rest = names(&queue)[8..].to_vec();
    rest.sort();
    assert_eq!(rest, ["role:fresh", "role:recent"]);

    // The principals not due come in an order that changes from run to run.
    let many: Vec<Identity> = (0..20).map(|i| role("/", &format!("r{i}"), 400)).collect();
    let recent: Vec<RecordedResult> = many
        .iter()
        .map(|i| held(ResourceType::IamRole, i.id(), Some(1)))
        .collect();
    let orders: Vec<Vec<String>> = (0..3)
        .map(|rotation| {
            let queue = order_of_need(
                many.iter().map(|i| (i, ())).collect(),
                &recent,
                cutoff,
                rotation,
            );
            assert_eq!(queue.due, 0);
            names(&queue)
        })
        .collect();
    assert_ne!(orders[0], orders[1]);
    assert_ne!(orders[1], orders[2]);
}

#[test]
fn a_finding_starts_with_the_principals_privilege_and_a_compliant_result_does_not() {
    let grant = |action: &str| crate::core::privilege::Grant {
        policy: "p".to_owned(),
        action: action.to_owned(),
    };
    let with = |identity: Identity, privilege: Privilege| match identity {
        Identity::Role(mut role) => {
            role.privilege = privilege;
            Identity::Role(role)
        }
        Identity::User(mut user) => {
            user.privilege = privilege;
            Identity::User(user)
        }
    };
    let admin = with(role("/", "deployer", 400), Privilege::Admin(grant("*")));
    let e = judged(&admin, vec![service("sqs", None)]);
    assert_eq!(
        e.annotation,
        "ADMIN: deployer: uses 0 of 1 granted services; unused 90+ days: sqs"
    );
    let e = judged(&admin, vec![service("sqs", Some(1))]);
    assert_eq!(
        e.annotation,
        "deployer: uses all 1 granted service within the 90-day threshold"
    );
    let writer = with(
        user("ops", 400),
        Privilege::ChangesIam(grant("iam:PutRolePolicy")),
    );
    let e = judged(&writer, vec![service("iam", None)]);
    assert_eq!(
        e.annotation,
        "IAM-WRITE: ops: uses 0 of 1 granted services; unused 90+ days: iam"
    );
    // The label counts against the 256 characters: the list gives way, not the verdict.
    let long = with(
        role("/", &"r".repeat(64), 400),
        Privilege::Admin(grant("*")),
    );
    let services = (0..30)
        .map(|i| service(&format!("service-with-a-long-namespace-{i:02}"), None))
        .collect();
    let e = judged(&long, services);
    assert!(e.annotation.starts_with("ADMIN: rrr"), "{}", e.annotation);
    assert!(e.annotation.chars().count() <= 256 && e.annotation.ends_with(" more"));
}
