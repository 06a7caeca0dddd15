//! What a run sends Config, pure: the evaluations, less those Config already holds the same,
//! plus the clean-up of results whose resource is gone. Config bills every evaluation it
//! records, so an unchanged account costs one evaluation a run, not one per principal.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::core::evaluate::{self, Evaluation};
use crate::core::params::Publish;
use crate::core::results::{self, Compliance, RecordedResult, ResourceType};

/// Config's resource type for the account itself.
pub const ACCOUNT_RESOURCE_TYPE: &str = "AWS::::Account";

/// What a run sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The evaluations to send, the clean-up last.
    pub send: Vec<Evaluation>,
    /// Sent when `send` is empty: a run must still tell Config it evaluated, or the rule's
    /// evaluation status goes stale.
    pub marker: Option<AccountMarker>,
    /// Results not sent because Config holds the same ComplianceType and Annotation (or holds
    /// nothing for a resource that is NOT_APPLICABLE).
    pub unchanged: usize,
    /// Principals read but not judged (INSUFFICIENT_DATA): not sent, not cleaned up.
    pub not_judged: usize,
    /// NOT_APPLICABLE results sent for resources that no longer exist.
    pub stale_cleaned: usize,
}

/// One NOT_APPLICABLE evaluation of the account (`AWS::::Account`, the account id), as rules
/// with nothing to report send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMarker {
    pub account_id: String,
    pub annotation: String,
}

/// The run a plan is for: what the account marker names.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub account_id: &'a str,
    /// What the principals are called, plural (`roles`).
    pub principals: &'a str,
    /// The event's `notificationCreationTime`: each run's marker is a new result, whatever
    /// Config does with one it already holds.
    pub at: DateTime<Utc>,
    /// With [`Publish::Changes`], a result Config recorded before this is sent even when
    /// unchanged, so its `ResultRecordedTime` says the principal was checked (the permissions
    /// rule checks the longest-unrecorded first). None: unchanged results are never resent.
    pub refresh_recorded_before: Option<DateTime<Utc>>,
}

impl Plan {
    /// Evaluations in PutEvaluations calls, the marker included.
    pub fn evaluations(&self) -> usize {
        self.send.len() + usize::from(self.marker.is_some())
    }
}

/// What to send for `evaluations` (one per principal read, as the rule decided) when Config
/// holds `recorded` (the rule's COMPLIANT and NON_COMPLIANT results). `rule_types`: the types
/// the rule reports on; `run`: what the marker names.
///
/// With [`Publish::Changes`] an evaluation is sent when Config holds nothing for the resource
/// (unless it is NOT_APPLICABLE: Config then shows nothing either way), or holds another
/// ComplianceType or Annotation; [`Publish::All`] sends every one. Either way, a resource
/// Config holds a result for that is no longer read gets NOT_APPLICABLE. The diff is against
/// what Config holds now, so a result deleted from Config is sent again on the next run.
pub fn plan(
    evaluations: Vec<Evaluation>,
    recorded: &[RecordedResult],
    rule_types: &[ResourceType],
    publish: Publish,
    run: Run<'_>,
) -> Plan {
    let live = evaluations
        .iter()
        .map(|e| (e.resource_type, e.resource_id.as_str()));
    let clean_up = evaluate::clean_up_evaluations(&results::vanished(live, recorded, rule_types));
    let stale_cleaned = clean_up.len();
    let read = evaluations.len();

    let held = held_results(recorded);
    let mut not_judged = 0;
    let mut unchanged = 0;
    let mut send: Vec<Evaluation> = evaluations
        .into_iter()
        .filter(|e| {
            if e.compliance == Compliance::InsufficientData {
                not_judged += 1;
                return false;
            }
            let same = publish == Publish::Changes
                && match held.get(&(e.resource_type, e.resource_id.as_str())) {
                    None => e.compliance == Compliance::NotApplicable,
                    Some(Held::One(result)) => {
                        result.compliance == e.compliance
                            && result.annotation.as_deref() == Some(e.annotation.as_str())
                            && run
                                .refresh_recorded_before
                                .is_none_or(|cutoff| result.recorded.is_some_and(|at| at >= cutoff))
                    }
                    Some(Held::Conflicting) => false,
                };
            unchanged += usize::from(same);
            !same
        })
        .collect();
    send.extend(clean_up);

    let marker = send.is_empty().then(|| AccountMarker {
        account_id: run.account_id.to_owned(),
        annotation: marker_annotation(read, not_judged, run),
    });
    Plan {
        send,
        marker,
        unchanged,
        not_judged,
        stale_cleaned,
    }
}

/// `rule evaluated 5 roles at 2026-01-01T00:00:00Z: no result changed`, saying how many were
/// not judged, so a run that could judge nobody does not read as a clean one.
fn marker_annotation(read: usize, not_judged: usize, run: Run<'_>) -> String {
    let noun = if read == 1 {
        run.principals.strip_suffix('s').unwrap_or(run.principals)
    } else {
        run.principals
    };
    let unjudged = if not_judged > 0 {
        format!(" ({not_judged} not judged, their results left as they are)")
    } else {
        String::new()
    };
    evaluate::truncate_annotation(format!(
        "rule evaluated {read} {noun} at {}{unjudged}: no result changed",
        run.at.to_rfc3339_opts(SecondsFormat::Secs, true)
    ))
}

enum Held<'a> {
    One(&'a RecordedResult),
    /// Config listed the resource more than once: never taken as unchanged.
    Conflicting,
}

fn held_results(recorded: &[RecordedResult]) -> HashMap<(ResourceType, &str), Held<'_>> {
    results::by_resource(recorded)
        .into_iter()
        .map(|(key, copies)| {
            let held = match copies.as_slice() {
                [one] => Held::One(one),
                _ => Held::Conflicting,
            };
            (key, held)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::evaluate::Reason;

    use Compliance::{Compliant, InsufficientData, NonCompliant, NotApplicable};
    use ResourceType::{IamRole, IamUser};

    fn evaluation(id: &str, compliance: Compliance, annotation: &str) -> Evaluation {
        Evaluation {
            resource_type: IamRole,
            resource_id: id.to_owned(),
            name: id.to_lowercase(),
            path: "/".to_owned(),
            compliance,
            reason: Reason::Allowlisted {
                pattern: "/*".to_owned(),
            },
            annotation: annotation.to_owned(),
            detail: annotation.to_owned(),
        }
    }

    fn held(
        resource_type: ResourceType,
        id: &str,
        compliance: Compliance,
        annotation: &str,
    ) -> RecordedResult {
        RecordedResult {
            resource_type,
            resource_id: id.to_owned(),
            compliance,
            annotation: Some(annotation.to_owned()),
            recorded: None,
        }
    }

    fn sent(plan: &Plan) -> Vec<(&str, Compliance, &str)> {
        plan.send
            .iter()
            .map(|e| (e.resource_id.as_str(), e.compliance, e.annotation.as_str()))
            .collect()
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn run(evaluations: Vec<Evaluation>, recorded: &[RecordedResult], publish: Publish) -> Plan {
        let about = Run {
            account_id: "123456789012",
            principals: "roles",
            at: at(),
            refresh_recorded_before: None,
        };
        plan(evaluations, recorded, &[IamRole], publish, about)
    }

    #[test]
    fn an_unchanged_result_recorded_before_the_refresh_cutoff_is_sent_again() {
        let recorded_at = |days: i64, id: &str| RecordedResult {
            recorded: Some(at() - chrono::Duration::days(days)),
            ..held(IamRole, id, NonCompliant, "same")
        };
        let recorded = [
            recorded_at(8, "AROAOLD"),
            recorded_at(7, "AROAEDGE"),
            recorded_at(6, "AROARECENT"),
            RecordedResult {
                recorded: None,
                ..held(IamRole, "AROAUNTIMED", NonCompliant, "same")
            },
        ];
        let evaluations = ["AROAOLD", "AROAEDGE", "AROARECENT", "AROAUNTIMED"]
            .map(|id| evaluation(id, NonCompliant, "same"))
            .to_vec();
        let about = Run {
            account_id: "123456789012",
            principals: "principals",
            at: at(),
            refresh_recorded_before: Some(at() - chrono::Duration::days(7)),
        };
        let plan = plan(evaluations, &recorded, &[IamRole], Publish::Changes, about);
        assert_eq!(
            sent(&plan),
            [
                ("AROAOLD", NonCompliant, "same"),
                ("AROAUNTIMED", NonCompliant, "same")
            ]
        );
        assert_eq!(plan.unchanged, 2);
    }

    #[test]
    fn only_what_differs_from_what_config_holds_is_sent() {
        let evaluations = vec![
            evaluation("AROASAME", NonCompliant, "same: unused"),
            evaluation("AROAFLIPPED", Compliant, "flipped: used"),
            evaluation("AROAREWORDED", NonCompliant, "reworded: new text"),
            evaluation("AROANEW", Compliant, "new: young"),
            evaluation("AROANEWNA", NotApplicable, "new-na: excluded"),
            evaluation("AROANOWNA", NotApplicable, "now-na: excluded"),
            evaluation("AROAUNJUDGED", InsufficientData, "unjudged"),
        ];
        let recorded = [
            held(IamRole, "AROASAME", NonCompliant, "same: unused"),
            held(IamRole, "AROAFLIPPED", NonCompliant, "flipped: used"),
            held(IamRole, "AROAREWORDED", NonCompliant, "reworded: old text"),
            held(IamRole, "AROANOWNA", Compliant, "now-na: used"),
            held(IamRole, "AROAUNJUDGED", Compliant, "unjudged: kept"),
            held(IamRole, "AROAGONE", Compliant, "gone: used"),
            held(
                IamUser,
                "AIDAOTHERRULE",
                Compliant,
                "a user's result: not this rule's type",
            ),
        ];
        let plan = run(evaluations, &recorded, Publish::Changes);
        assert_eq!(
            sent(&plan),
            [
                ("AROAFLIPPED", Compliant, "flipped: used"),
                ("AROAREWORDED", NonCompliant, "reworded: new text"),
                ("AROANEW", Compliant, "new: young"),
                ("AROANOWNA", NotApplicable, "now-na: excluded"),
                ("AROAGONE", NotApplicable, "AROAGONE: role no longer exists"),
            ]
        );
        assert_eq!(
            (
                plan.unchanged,
                plan.not_judged,
                plan.stale_cleaned,
                plan.marker.clone()
            ),
            (2, 1, 1, None),
            "unchanged: AROASAME and AROANEWNA"
        );
        assert_eq!(plan.evaluations(), 5);
    }

    #[test]
    fn publish_all_sends_every_judged_result_and_the_clean_up() {
        let evaluations = vec![
            evaluation("AROASAME", NonCompliant, "same: unused"),
            evaluation("AROANEWNA", NotApplicable, "new-na: excluded"),
            evaluation("AROAUNJUDGED", InsufficientData, "unjudged"),
        ];
        let recorded = [
            held(IamRole, "AROASAME", NonCompliant, "same: unused"),
            held(IamRole, "AROAGONE", NonCompliant, "gone: unused"),
        ];
        let plan = run(evaluations, &recorded, Publish::All);
        assert_eq!(
            sent(&plan),
            [
                ("AROASAME", NonCompliant, "same: unused"),
                ("AROANEWNA", NotApplicable, "new-na: excluded"),
                ("AROAGONE", NotApplicable, "AROAGONE: role no longer exists"),
            ]
        );
        assert_eq!(
            (plan.unchanged, plan.not_judged, plan.stale_cleaned),
            (0, 1, 1)
        );
    }

    #[test]
    fn an_unchanged_run_sends_one_not_applicable_evaluation_of_the_account() {
        let evaluations = vec![
            evaluation("AROAA", NonCompliant, "a: unused"),
            evaluation("AROAB", NotApplicable, "b: excluded"),
        ];
        let recorded = [held(IamRole, "AROAA", NonCompliant, "a: unused")];
        let plan = run(evaluations, &recorded, Publish::Changes);
        assert_eq!(sent(&plan), []);
        assert_eq!(
            plan.marker,
            Some(AccountMarker {
                account_id: "123456789012".to_owned(),
                annotation: "rule evaluated 2 roles at 2026-01-01T00:00:00Z: no result changed"
                    .to_owned(),
            })
        );
        assert_eq!((plan.unchanged, plan.evaluations()), (2, 1));

        let one = run(
            vec![evaluation("AROAA", NonCompliant, "a: unused")],
            &recorded,
            Publish::Changes,
        );
        assert_eq!(
            one.marker.unwrap().annotation,
            "rule evaluated 1 role at 2026-01-01T00:00:00Z: no result changed"
        );
        let unjudged = run(
            vec![
                evaluation("AROAA", NonCompliant, "a: unused"),
                evaluation("AROAB", InsufficientData, "b: not in the report"),
            ],
            &recorded,
            Publish::Changes,
        );
        assert_eq!(
            unjudged.marker.unwrap().annotation,
            "rule evaluated 2 roles at 2026-01-01T00:00:00Z (1 not judged, their results left as they are): no result changed"
        );

        let empty_account = run(Vec::new(), &[], Publish::All);
        assert_eq!(
            empty_account.evaluations(),
            1,
            "an account without roles is reported too"
        );
        assert!(empty_account.marker.is_some());
    }

    #[test]
    fn a_result_config_lost_is_sent_again_and_one_listed_twice_is_never_taken_as_unchanged() {
        let evaluations = vec![
            evaluation("AROALOST", NonCompliant, "lost: unused"),
            evaluation("AROATWICE", Compliant, "twice: used"),
        ];
        let recorded = [
            held(IamRole, "AROATWICE", Compliant, "twice: used"),
            held(IamRole, "AROATWICE", Compliant, "twice: used"),
        ];
        let plan = run(evaluations, &recorded, Publish::Changes);
        assert_eq!(
            sent(&plan),
            [
                ("AROALOST", NonCompliant, "lost: unused"),
                ("AROATWICE", Compliant, "twice: used"),
            ]
        );
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn a_held_result_without_annotation_or_of_insufficient_data_differs() {
        let evaluations = vec![
            evaluation("AROANOTEXT", Compliant, "no-text: used"),
            evaluation("AROAUNKNOWN", Compliant, "unknown: used"),
        ];
        let mut no_text = held(IamRole, "AROANOTEXT", Compliant, "");
        no_text.annotation = None;
        let recorded = [
            no_text,
            held(IamRole, "AROAUNKNOWN", InsufficientData, "unknown: used"),
        ];
        let plan = run(evaluations, &recorded, Publish::Changes);
        assert_eq!(plan.send.len(), 2);
        assert_eq!(plan.unchanged, 0);
    }
}
