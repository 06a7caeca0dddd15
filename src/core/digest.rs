//! The digest of a run, pure: what changed between the results Config held and those the run
//! sends, as one SNS message for people (email text) and machines (JSON), within SNS's limits.
//!
//! A message is due when a principal's compliance changed (became NON_COMPLIANT, COMPLIANT
//! again, NOT_APPLICABLE) or a result was deleted. New COMPLIANT results and NON_COMPLIANT
//! results that only changed wording are counted in a message, never the cause of one: a new
//! role is not news, and a reworded finding (its days unused grew) would mail every run.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;

use crate::core::evaluate::users::Credential;
use crate::core::evaluate::{Evaluation, Reason};
use crate::core::privilege::{split_label, Level};
use crate::core::results::{self, Compliance, RecordedResult, ResourceType};

/// SNS's limit on one published message, attributes included (262 144 bytes).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// SNS takes subjects shorter than 100 characters, printable ASCII on one line.
pub const MAX_SUBJECT_CHARS: usize = 99;
/// What the subject starts with, so mail filters can find the digests.
pub const SUBJECT_PREFIX: &str = "[iam-role-last-used]";

/// What happened to a principal's result, in the order a digest lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Config held nothing, COMPLIANT or NOT_APPLICABLE; the run sends NON_COMPLIANT.
    BecameNonCompliant,
    /// Config held NON_COMPLIANT; the run sends COMPLIANT.
    CompliantAgain,
    /// The principal is gone: the clean-up sends NOT_APPLICABLE for what Config held.
    Deleted,
    /// Config held COMPLIANT or NON_COMPLIANT for a live principal now NOT_APPLICABLE
    /// (allowlisted, exempt, excluded).
    NoLongerApplicable,
}

impl Change {
    pub const ALL: [Change; 4] = [
        Self::BecameNonCompliant,
        Self::CompliantAgain,
        Self::Deleted,
        Self::NoLongerApplicable,
    ];

    /// The key of the change's list in the JSON message, and of its count.
    pub fn key(self) -> &'static str {
        match self {
            Self::BecameNonCompliant => "became_non_compliant",
            Self::CompliantAgain => "compliant_again",
            Self::Deleted => "deleted",
            Self::NoLongerApplicable => "no_longer_applicable",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::BecameNonCompliant => "Became NON_COMPLIANT (most privileged first)",
            Self::CompliantAgain => "COMPLIANT again",
            Self::Deleted => "Deleted (their results now NOT_APPLICABLE)",
            Self::NoLongerApplicable => "No longer applicable (now NOT_APPLICABLE)",
        }
    }

    /// How the subject counts it.
    fn counted(self) -> &'static str {
        match self {
            Self::BecameNonCompliant => "NON_COMPLIANT",
            Self::CompliantAgain => "COMPLIANT again",
            Self::Deleted => "deleted",
            Self::NoLongerApplicable => "NOT_APPLICABLE",
        }
    }
}

/// One principal whose result changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub change: Change,
    pub resource_type: ResourceType,
    pub resource_id: String,
    /// Empty for a deleted principal: the read no longer has it.
    pub name: String,
    /// The result sent; for a deleted principal, the one Config held (which names it).
    pub annotation: String,
    /// What Config held before; None: nothing.
    pub was: Option<Compliance>,
    /// The label at the front of a NON_COMPLIANT annotation.
    pub privilege: Option<Level>,
    /// What a person must do that quarantine will not.
    pub advice: Option<String>,
}

impl Entry {
    /// Most privileged first, then by name (id for the deleted).
    fn order(&self) -> (Change, bool, Option<Level>, &str, &str) {
        (
            self.change,
            self.privilege.is_none(),
            self.privilege,
            self.name.as_str(),
            self.resource_id.as_str(),
        )
    }
}

/// How many results the run sends, by what changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub became_non_compliant: usize,
    pub compliant_again: usize,
    pub deleted: usize,
    /// Of the deleted, how many were NON_COMPLIANT.
    pub deleted_non_compliant: usize,
    pub no_longer_applicable: usize,
    /// First results of principals Config held nothing for, COMPLIANT: counted, not listed.
    pub new_compliant: usize,
    /// NON_COMPLIANT before and after, with another annotation: counted, not listed.
    pub non_compliant_reworded: usize,
}

impl Counts {
    pub fn of(&self, change: Change) -> usize {
        match change {
            Change::BecameNonCompliant => self.became_non_compliant,
            Change::CompliantAgain => self.compliant_again,
            Change::Deleted => self.deleted,
            Change::NoLongerApplicable => self.no_longer_applicable,
        }
    }

    fn add(&mut self, change: Change) {
        *match change {
            Change::BecameNonCompliant => &mut self.became_non_compliant,
            Change::CompliantAgain => &mut self.compliant_again,
            Change::Deleted => &mut self.deleted,
            Change::NoLongerApplicable => &mut self.no_longer_applicable,
        } += 1;
    }
}

/// What changed in one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// In the order messages list them: by [`Change`], most privileged first, then by name.
    pub entries: Vec<Entry>,
    pub counts: Counts,
}

impl Digest {
    /// A message is due: some compliance changed or a result was deleted.
    pub fn is_due(&self) -> bool {
        !self.entries.is_empty()
    }
}

/// The digest of a run that sends `send` (the plan's evaluations, the clean-up included) when
/// Config held `recorded`.
pub fn digest(send: &[Evaluation], recorded: &[RecordedResult]) -> Digest {
    let mut counts = Counts::default();
    let mut entries = Vec::new();
    let recorded = results::by_resource(recorded);
    for evaluation in send {
        let copies = recorded
            .get(&(evaluation.resource_type, evaluation.resource_id.as_str()))
            .map_or(&[][..], Vec::as_slice);
        let was = held(copies);
        let change = match (evaluation.compliance, was) {
            _ if evaluation.reason == Reason::NoLongerExists => Some(Change::Deleted),
            (Compliance::NonCompliant, Some(Compliance::NonCompliant)) => {
                if held_annotation(copies) != Some(evaluation.annotation.as_str()) {
                    counts.non_compliant_reworded += 1;
                }
                None
            }
            (Compliance::NonCompliant, _) => Some(Change::BecameNonCompliant),
            (Compliance::Compliant, Some(Compliance::NonCompliant)) => Some(Change::CompliantAgain),
            (Compliance::Compliant, None) => {
                counts.new_compliant += 1;
                None
            }
            (Compliance::NotApplicable, Some(_)) => Some(Change::NoLongerApplicable),
            _ => None,
        };
        let Some(change) = change else { continue };
        counts.add(change);
        let annotation = if change == Change::Deleted {
            counts.deleted_non_compliant += usize::from(was == Some(Compliance::NonCompliant));
            held_annotation(copies).unwrap_or(&evaluation.annotation)
        } else {
            &evaluation.annotation
        };
        let non_compliant = change == Change::BecameNonCompliant;
        entries.push(Entry {
            change,
            resource_type: evaluation.resource_type,
            resource_id: evaluation.resource_id.clone(),
            name: evaluation.name.clone(),
            annotation: annotation.to_owned(),
            was,
            privilege: non_compliant
                .then(|| split_label(&evaluation.annotation).0)
                .flatten(),
            advice: non_compliant.then(|| advice(evaluation)).flatten(),
        });
    }
    entries.sort_by(|a, b| a.order().cmp(&b.order()));
    Digest { entries, counts }
}

/// What Config held for the resource, from its `copies`. Listed more than once (Config's
/// paging can repeat): NON_COMPLIANT if any copy is, so a finding is never announced twice.
fn held(copies: &[&RecordedResult]) -> Option<Compliance> {
    let first = copies.first()?.compliance;
    Some(
        if copies
            .iter()
            .any(|r| r.compliance == Compliance::NonCompliant)
        {
            Compliance::NonCompliant
        } else {
            first
        },
    )
}

fn held_annotation<'a>(copies: &[&'a RecordedResult]) -> Option<&'a str> {
    copies.iter().find_map(|r| r.annotation.as_deref())
}

/// A console password unused: quarantine deactivates keys and denies, but never deletes a
/// password (that cannot be undone), so the digest says how.
fn advice(evaluation: &Evaluation) -> Option<String> {
    let Reason::CredentialsUnused { findings } = &evaluation.reason else {
        return None;
    };
    findings
        .iter()
        .any(|f| matches!(f.credential, Credential::Password { .. }))
        .then(|| {
            format!(
                "delete the console password by hand: aws iam delete-login-profile --user-name {}; \
                 quarantine never deletes it",
                evaluation.name
            )
        })
}

/// Which run a message is about.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The account evaluated (for an organization rule, the member account).
    pub account_id: &'a str,
    pub rule_name: &'a str,
    /// `roles`, `users` or `permissions`.
    pub rule_kind: &'a str,
    /// The event's `notificationCreationTime`.
    pub at: DateTime<Utc>,
}

/// A message attribute, for subscription filter policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeValue {
    Number(usize),
    String(String),
}

impl AttributeValue {
    /// SNS's `DataType`.
    pub fn data_type(&self) -> &'static str {
        match self {
            Self::Number(_) => "Number",
            Self::String(_) => "String",
        }
    }

    pub fn text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::String(s) => s.clone(),
        }
    }
}

/// One SNS Publish with `MessageStructure=json`: `body` is the JSON object whose "default"
/// (what SQS, Lambda, HTTP/S, email-json and Firehose get) is the JSON digest and whose
/// "email" is the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
    pub attributes: Vec<(&'static str, AttributeValue)>,
    /// Entries listed, in both the text and the JSON.
    pub listed: usize,
    /// Entries left out to stay within [`MAX_MESSAGE_BYTES`], counted in both.
    pub not_listed: usize,
}

impl Message {
    /// What SNS counts against [`MAX_MESSAGE_BYTES`]: the message, its subject and its
    /// attributes' names, types and values.
    pub fn size(&self) -> usize {
        self.body.len()
            + self.subject.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + value.data_type().len() + value.text().len())
                .sum::<usize>()
    }
}

/// The message for `digest`: as many entries as fit in [`MAX_MESSAGE_BYTES`], in order, the
/// same ones in the text and the JSON, each list saying how many it left out.
pub fn render(digest: &Digest, about: About<'_>) -> Message {
    render_within(digest, about, MAX_MESSAGE_BYTES)
}

fn render_within(digest: &Digest, about: About<'_>, limit: usize) -> Message {
    // The size grows with the entries listed: the most that fit, by bisection.
    let (mut fits, mut too_many) = (0, digest.entries.len() + 1);
    let mut best = render_listing(digest, about, 0);
    while too_many - fits > 1 {
        let middle = fits + (too_many - fits) / 2;
        let message = render_listing(digest, about, middle);
        if message.size() <= limit {
            fits = middle;
            best = message;
        } else {
            too_many = middle;
        }
    }
    best
}

fn render_listing(digest: &Digest, about: About<'_>, listed: usize) -> Message {
    let shown = &digest.entries[..listed];
    let body = json!({
        "default": json_digest(digest, about, shown).to_string(),
        "email": text_digest(digest, about, shown),
    });
    Message {
        subject: subject(&digest.counts, about),
        body: body.to_string(),
        attributes: attributes(&digest.counts, about),
        listed,
        not_listed: digest.entries.len() - listed,
    }
}

/// `[iam-role-last-used] 123456789012 roles rule: 3 NON_COMPLIANT, 1 COMPLIANT again, 2
/// deleted`: printable ASCII, shorter than 100 characters; counts that do not fit end in `...`.
pub fn subject(counts: &Counts, about: About<'_>) -> String {
    let head = format!(
        "{SUBJECT_PREFIX} {} {} rule:",
        printable(about.account_id),
        printable(about.rule_kind)
    );
    let parts: Vec<String> = Change::ALL
        .into_iter()
        .filter(|c| counts.of(*c) > 0)
        .map(|c| format!("{} {}", counts.of(c), c.counted()))
        .collect();
    let mut subject = head.clone();
    for (i, part) in parts.iter().enumerate() {
        let separator = if i == 0 { " " } else { ", " };
        let rest = if i + 1 < parts.len() { ", ..." } else { "" };
        if subject.len() + separator.len() + part.len() + rest.len() > MAX_SUBJECT_CHARS {
            subject.push_str(if i == 0 { " ..." } else { ", ..." });
            break;
        }
        subject.push_str(separator);
        subject.push_str(part);
    }
    if subject.len() > MAX_SUBJECT_CHARS {
        subject.truncate(MAX_SUBJECT_CHARS);
    }
    subject
}

/// `text` in printable ASCII: anything else becomes `?`.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn attributes(counts: &Counts, about: About<'_>) -> Vec<(&'static str, AttributeValue)> {
    let mut attributes = vec![
        (
            "account_id",
            AttributeValue::String(about.account_id.to_owned()),
        ),
        (
            "rule_kind",
            AttributeValue::String(about.rule_kind.to_owned()),
        ),
    ];
    attributes.extend(
        Change::ALL
            .into_iter()
            .map(|c| (c.key(), AttributeValue::Number(counts.of(c)))),
    );
    attributes
}

fn at(about: About<'_>) -> String {
    about.at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn json_digest(digest: &Digest, about: About<'_>, shown: &[Entry]) -> serde_json::Value {
    let mut lists = serde_json::Map::new();
    let mut not_listed = serde_json::Map::new();
    for change in Change::ALL {
        let entries: Vec<serde_json::Value> = shown
            .iter()
            .filter(|e| e.change == change)
            .map(json_entry)
            .collect();
        not_listed.insert(
            change.key().to_owned(),
            json!(digest.counts.of(change) - entries.len()),
        );
        lists.insert(change.key().to_owned(), serde_json::Value::Array(entries));
    }
    json!({
        "source": "iam-role-last-used",
        "account_id": about.account_id,
        "rule_name": about.rule_name,
        "rule_kind": about.rule_kind,
        "at": at(about),
        "counts": digest.counts,
        "changes": lists,
        "not_listed": not_listed,
    })
}

fn json_entry(entry: &Entry) -> serde_json::Value {
    let mut value = json!({
        "resource_type": entry.resource_type.as_str(),
        "resource_id": entry.resource_id,
        "name": entry.name,
        "annotation": entry.annotation,
        "was": entry.was.map(Compliance::as_str),
        "privilege": entry.privilege.map(Level::label),
    });
    if let Some(advice) = &entry.advice {
        value["advice"] = json!(advice);
    }
    value
}

fn text_digest(digest: &Digest, about: About<'_>, shown: &[Entry]) -> String {
    let counts = &digest.counts;
    let mut text = format!(
        "The {} rule {} evaluated account {} (run of {}).\n\n",
        about.rule_kind,
        about.rule_name,
        about.account_id,
        at(about)
    );
    let summary: Vec<String> = Change::ALL
        .into_iter()
        .map(|c| format!("{} {}", counts.of(c), c.counted()))
        .collect();
    text.push_str(&summary.join(", "));
    if counts.deleted > 0 {
        text.push_str(&format!(
            " ({} of the deleted were NON_COMPLIANT)",
            counts.deleted_non_compliant
        ));
    }
    text.push_str(&format!(
        ".\nAlso sent, not listed: {} first results COMPLIANT, {} NON_COMPLIANT results reworded.\n",
        counts.new_compliant, counts.non_compliant_reworded
    ));
    for change in Change::ALL {
        let total = counts.of(change);
        if total == 0 {
            continue;
        }
        text.push_str(&format!("\n{} ({total}):\n", change.title()));
        let mut listed = 0;
        for entry in shown.iter().filter(|e| e.change == change) {
            listed += 1;
            text.push_str(&text_entry(entry));
        }
        if listed < total {
            text.push_str(&format!("- and {} more not listed\n", total - listed));
        }
    }
    if counts.of(Change::BecameNonCompliant) > 0 {
        text.push_str(&next_steps(about));
    }
    text
}

/// How to act on a new finding, from the email (the README's "Act on NON_COMPLIANT roles").
fn next_steps(about: About<'_>) -> String {
    let rule = about.rule_name;
    match about.rule_kind {
        "permissions" => format!(
            "\nNext: role-audit permissions --role NAME (or --user NAME) lists what it is granted and \
             never uses and suggests a Deny of the unused services to review; or allowlist it in \
             rule {rule}.\n"
        ),
        kind => {
            let option = if kind == "users" { "--user" } else { "--role" };
            format!(
                "\nNext (README, \"Act on NON_COMPLIANT roles\"):\n\
                 - keep it: allowlist it, or tag it with the rule's exempt tag key;\n\
                 - or quarantine it, reversibly: role-audit quarantine {option} NAME --rule-name {rule} \
                 --dry-run, then without --dry-run (or, where the stack has them, its Quarantine SSM \
                 document, with the id in brackets above); wait for the longest job cycle, watch \
                 CloudTrail for AccessDenied;\n\
                 - then delete it, or undo: role-audit restore {option} NAME.\n"
            )
        }
    }
}

fn text_entry(entry: &Entry) -> String {
    let mut line = match entry.change {
        Change::Deleted => format!(
            "- {} {} (was {}): {}\n",
            entry.resource_type.noun(),
            entry.resource_id,
            entry.was.map_or("nothing", Compliance::as_str),
            entry.annotation
        ),
        _ => format!(
            "- {} [{} {}]\n",
            entry.annotation,
            entry.resource_type.noun(),
            entry.resource_id
        ),
    };
    if let Some(advice) = &entry.advice {
        line.push_str(&format!("  To do: {advice}\n"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::evaluate::users::{CredentialUse, LastUse};
    use crate::core::evaluate::Past;

    use Compliance::{Compliant, NonCompliant, NotApplicable};
    use ResourceType::{IamRole, IamUser};

    /// An evaluation of the role `id`, named by the annotation's first word.
    fn evaluation(id: &str, compliance: Compliance, annotation: &str) -> Evaluation {
        let name = annotation.split(": ").next().unwrap_or_default();
        named(id, name, compliance, annotation)
    }

    fn named(id: &str, name: &str, compliance: Compliance, annotation: &str) -> Evaluation {
        Evaluation {
            resource_type: IamRole,
            resource_id: id.to_owned(),
            name: name.to_owned(),
            path: "/".to_owned(),
            compliance,
            reason: Reason::Allowlisted {
                pattern: "/*".to_owned(),
            },
            annotation: annotation.to_owned(),
            detail: annotation.to_owned(),
        }
    }

    fn gone(id: &str) -> Evaluation {
        crate::core::evaluate::clean_up_evaluations(&[(IamRole, id)]).remove(0)
    }

    fn held(id: &str, compliance: Compliance, annotation: &str) -> RecordedResult {
        RecordedResult {
            resource_type: IamRole,
            resource_id: id.to_owned(),
            compliance,
            annotation: Some(annotation.to_owned()),
            recorded: None,
        }
    }

    fn about() -> About<'static> {
        About {
            account_id: "123456789012",
            rule_name: "iam-role-last-used",
            rule_kind: "roles",
            at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        }
    }

    /// (id, change) of each entry, in order.
    fn changes(digest: &Digest) -> Vec<(&str, Change)> {
        digest
            .entries
            .iter()
            .map(|e| (e.resource_id.as_str(), e.change))
            .collect()
    }

    #[test]
    fn each_transition_is_classified_from_what_config_held_to_what_is_sent() {
        use Change::*;
        // (what Config held, what the run sends, the change listed or None)
        let cases: [(Option<Compliance>, Evaluation, Option<Change>); 11] = [
            (
                None,
                evaluation("A1", NonCompliant, "a1: x"),
                Some(BecameNonCompliant),
            ),
            (
                Some(Compliant),
                evaluation("A2", NonCompliant, "a2: x"),
                Some(BecameNonCompliant),
            ),
            (
                Some(NonCompliant),
                evaluation("A3", Compliant, "a3: x"),
                Some(CompliantAgain),
            ),
            (
                Some(NonCompliant),
                evaluation("A4", NotApplicable, "a4: x"),
                Some(NoLongerApplicable),
            ),
            (
                Some(Compliant),
                evaluation("A5", NotApplicable, "a5: x"),
                Some(NoLongerApplicable),
            ),
            (Some(NonCompliant), gone("A6"), Some(Deleted)),
            (Some(Compliant), gone("A7"), Some(Deleted)),
            (None, evaluation("A8", Compliant, "a8: x"), None),
            (
                Some(Compliant),
                evaluation("A9", Compliant, "a9: reworded"),
                None,
            ),
            (
                Some(NonCompliant),
                evaluation("B1", NonCompliant, "b1: reworded"),
                None,
            ),
            (None, evaluation("B2", NotApplicable, "b2: x"), None),
        ];
        for (was, sent, want) in cases {
            let recorded: Vec<RecordedResult> = was
                .map(|c| held(&sent.resource_id, c, "before"))
                .into_iter()
                .collect();
            let digest = digest(std::slice::from_ref(&sent), &recorded);
            let got = digest.entries.first().map(|e| e.change);
            assert_eq!(got, want, "{was:?} -> {}", sent.resource_id);
            assert_eq!(digest.is_due(), want.is_some(), "{}", sent.resource_id);
        }
    }

    #[test]
    fn counts_cover_what_is_listed_and_what_is_only_counted() {
        let send = [
            evaluation("AROANEWNC", NonCompliant, "new-nc: unused"),
            evaluation("AROAFLIP", NonCompliant, "flip: unused"),
            evaluation("AROABACK", Compliant, "back: used"),
            evaluation("AROANEWC", Compliant, "new-c: young"),
            evaluation("AROANEWC2", Compliant, "new-c2: young"),
            evaluation("AROAREWORD", NonCompliant, "reword: 91 days"),
            evaluation("AROASAME", NonCompliant, "same: unused"),
            evaluation("AROAEXEMPT", NotApplicable, "exempt: tagged"),
            gone("AROAGONENC"),
            gone("AROAGONEC"),
        ];
        let recorded = [
            held("AROAFLIP", Compliant, "flip: used"),
            held("AROABACK", NonCompliant, "back: unused"),
            held("AROAREWORD", NonCompliant, "reword: 90 days"),
            held("AROASAME", NonCompliant, "same: unused"),
            held("AROAEXEMPT", NonCompliant, "exempt: unused"),
            held("AROAGONENC", NonCompliant, "gonenc: unused"),
            held("AROAGONEC", Compliant, "gonec: used"),
        ];
        let digest = digest(&send, &recorded);
        assert_eq!(
            digest.counts,
            Counts {
                became_non_compliant: 2,
                compliant_again: 1,
                deleted: 2,
                deleted_non_compliant: 1,
                no_longer_applicable: 1,
                new_compliant: 2,
                non_compliant_reworded: 1,
            }
        );
        assert_eq!(
            changes(&digest),
            [
                ("AROAFLIP", Change::BecameNonCompliant),
                ("AROANEWNC", Change::BecameNonCompliant),
                ("AROABACK", Change::CompliantAgain),
                ("AROAGONEC", Change::Deleted),
                ("AROAGONENC", Change::Deleted),
                ("AROAEXEMPT", Change::NoLongerApplicable),
            ]
        );
        let deleted = &digest.entries[4];
        assert_eq!(
            (deleted.annotation.as_str(), deleted.was),
            ("gonenc: unused", Some(NonCompliant)),
            "a deleted entry names the principal by what Config held"
        );
    }

    #[test]
    fn a_rewording_or_a_new_compliant_result_alone_sends_no_message() {
        let send = [
            evaluation("AROAREWORD", NonCompliant, "reword: 91 days"),
            evaluation("AROANEW", Compliant, "new: young"),
            evaluation("AROAREFRESH", NonCompliant, "refresh: same"),
        ];
        let recorded = [
            held("AROAREWORD", NonCompliant, "reword: 90 days"),
            held("AROAREFRESH", NonCompliant, "refresh: same"),
        ];
        let digest = digest(&send, &recorded);
        assert!(!digest.is_due());
        assert_eq!(
            (
                digest.counts.non_compliant_reworded,
                digest.counts.new_compliant
            ),
            (1, 1)
        );
        assert!(!super::digest(&[], &recorded).is_due(), "nothing sent");
    }

    #[test]
    fn a_result_config_listed_twice_counts_as_non_compliant_if_either_copy_is() {
        let send = [evaluation("AROATWICE", NonCompliant, "twice: unused")];
        let recorded = [
            held("AROATWICE", Compliant, "twice: used"),
            held("AROATWICE", NonCompliant, "twice: unused"),
        ];
        assert!(!digest(&send, &recorded).is_due());
    }

    #[test]
    fn non_compliant_entries_list_admin_then_iam_write_then_the_rest_each_by_name() {
        let send = [
            named("R1", "zeta", NonCompliant, "zeta: unused"),
            named("R2", "beta", NonCompliant, "IAM-WRITE: beta: unused"),
            named("R3", "omega", NonCompliant, "ADMIN: omega: unused"),
            named("R4", "alpha", NonCompliant, "alpha: unused"),
            named("R5", "delta", NonCompliant, "ADMIN: delta: unused"),
            named("R6", "alpha", NonCompliant, "IAM-WRITE: alpha: unused"),
            // A role named ADMIN without a label is not privileged.
            named(
                "R7",
                "ADMIN",
                NonCompliant,
                "ADMIN: last used 2025-01-01 in us-east-1",
            ),
        ];
        let digest = digest(&send, &[]);
        let order: Vec<(&str, Option<Level>)> = digest
            .entries
            .iter()
            .map(|e| (e.resource_id.as_str(), e.privilege))
            .collect();
        assert_eq!(
            order,
            [
                ("R5", Some(Level::Admin)),
                ("R3", Some(Level::Admin)),
                ("R6", Some(Level::IamWrite)),
                ("R2", Some(Level::IamWrite)),
                ("R7", None),
                ("R4", None),
                ("R1", None),
            ]
        );
    }

    fn user(name: &str, findings: Vec<Credential>) -> Evaluation {
        let past = Past {
            date: about().at.date_naive() - chrono::Duration::days(200),
            days: 200,
        };
        Evaluation {
            resource_type: IamUser,
            resource_id: format!("AIDA{}", name.to_uppercase()),
            name: name.to_owned(),
            path: "/".to_owned(),
            compliance: NonCompliant,
            reason: Reason::CredentialsUnused {
                findings: findings
                    .into_iter()
                    .map(|credential| CredentialUse {
                        credential,
                        set: past,
                        last_used: Some(LastUse {
                            at: past,
                            region: None,
                            service: None,
                        }),
                    })
                    .collect(),
            },
            annotation: format!("{name}: unused"),
            detail: format!("{name}: unused"),
        }
    }

    #[test]
    fn an_unused_console_password_tells_a_person_to_delete_it_by_hand() {
        let password = Credential::Password {
            set_known: true,
            set_after_use: false,
        };
        let key = Credential::AccessKey {
            slot: 1,
            created: about().at.date_naive(),
        };
        let send = [
            user("pat", vec![password.clone()]),
            user("kim", vec![key.clone()]),
            user("lee", vec![key, password]),
        ];
        let digest = digest(&send, &[]);
        let advice: Vec<(&str, Option<&str>)> = digest
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.advice.as_deref()))
            .collect();
        assert_eq!(
            advice,
            [
                ("kim", None),
                (
                    "lee",
                    Some(
                        "delete the console password by hand: aws iam delete-login-profile \
                         --user-name lee; quarantine never deletes it"
                    )
                ),
                (
                    "pat",
                    Some(
                        "delete the console password by hand: aws iam delete-login-profile \
                         --user-name pat; quarantine never deletes it"
                    )
                ),
            ]
        );
        let message = render(&digest, about());
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        let text = body["email"].as_str().unwrap();
        assert!(
            text.contains("  To do: delete the console password by hand: aws iam delete-login-profile --user-name pat;"),
            "{text}"
        );
    }

    #[test]
    fn the_subject_names_account_rule_and_counts_in_printable_ascii_under_100_characters() {
        let counts = |nc, ca, d, na| Counts {
            became_non_compliant: nc,
            compliant_again: ca,
            deleted: d,
            no_longer_applicable: na,
            ..Counts::default()
        };
        assert_eq!(
            subject(&counts(3, 1, 2, 0), about()),
            "[iam-role-last-used] 123456789012 roles rule: 3 NON_COMPLIANT, 1 COMPLIANT again, 2 deleted"
        );
        assert_eq!(
            subject(&counts(0, 0, 1, 0), about()),
            "[iam-role-last-used] 123456789012 roles rule: 1 deleted"
        );
        let huge = subject(
            &counts(1_000_000_000, 2_000_000_000, 3_000_000_000, 4_000_000_000),
            About {
                rule_kind: "permissions",
                ..about()
            },
        );
        assert_eq!(
            huge,
            "[iam-role-last-used] 123456789012 permissions rule: 1000000000 NON_COMPLIANT, ..."
        );
        let odd = subject(
            &counts(1, 0, 0, 0),
            About {
                account_id: "12\n34é",
                ..about()
            },
        );
        assert_eq!(
            odd,
            "[iam-role-last-used] 12?34? roles rule: 1 NON_COMPLIANT"
        );
        for s in [huge, odd] {
            assert!(s.len() < 100 && s.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        }
    }

    #[test]
    fn the_email_says_how_to_act_only_when_a_principal_became_non_compliant() {
        let email = |send: &[Evaluation], recorded: &[RecordedResult], rule_kind, rule_name| {
            let about = About {
                rule_kind,
                rule_name,
                ..about()
            };
            let body: serde_json::Value =
                serde_json::from_str(&render(&digest(send, recorded), about).body).unwrap();
            body["email"].as_str().unwrap().to_owned()
        };
        let new_finding = [named("AIDABOB", "bob", NonCompliant, "bob: unused")];
        let users = email(&new_finding, &[], "users", "iam-user-unused-credentials");
        assert!(users.contains(
            "role-audit quarantine --user NAME --rule-name iam-user-unused-credentials --dry-run"
        ));
        assert!(users.contains("undo: role-audit restore --user NAME."));
        let permissions = email(&new_finding, &[], "permissions", "iam-unused-permissions");
        assert!(permissions.contains("\nNext: role-audit permissions --role NAME (or --user NAME)"));
        assert!(!permissions.contains("quarantine"));
        let fixed = [named("AROAAPP", "app", Compliant, "app: used")];
        let held_nc = [held("AROAAPP", NonCompliant, "app: unused")];
        assert!(!email(&fixed, &held_nc, "roles", "iam-role-last-used").contains("Next"));
    }

    #[test]
    fn the_message_holds_json_for_machines_and_text_for_email() {
        let send = [
            named("AROAAPP", "app", NonCompliant, "ADMIN: app: never used"),
            gone("AROAOLD"),
        ];
        let recorded = [held("AROAOLD", NonCompliant, "old: unused")];
        let message = render(&digest(&send, &recorded), about());
        assert_eq!((message.listed, message.not_listed), (2, 0));
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        let machine: serde_json::Value =
            serde_json::from_str(body["default"].as_str().unwrap()).unwrap();
        assert_eq!(
            machine["changes"]["became_non_compliant"],
            json!([{
                "resource_type": "AWS::IAM::Role",
                "resource_id": "AROAAPP",
                "name": "app",
                "annotation": "ADMIN: app: never used",
                "was": null,
                "privilege": "ADMIN",
            }])
        );
        assert_eq!(machine["changes"]["deleted"][0]["was"], "NON_COMPLIANT");
        assert_eq!(machine["counts"]["deleted_non_compliant"], 1);
        assert_eq!(machine["not_listed"]["deleted"], 0);
        assert_eq!(machine["account_id"], "123456789012");
        assert_eq!(machine["at"], "2026-01-01T00:00:00Z");
        assert_eq!(
            body["email"].as_str().unwrap(),
            "The roles rule iam-role-last-used evaluated account 123456789012 (run of 2026-01-01T00:00:00Z).\n\
             \n\
             1 NON_COMPLIANT, 0 COMPLIANT again, 1 deleted, 0 NOT_APPLICABLE (1 of the deleted were NON_COMPLIANT).\n\
             Also sent, not listed: 0 first results COMPLIANT, 0 NON_COMPLIANT results reworded.\n\
             \n\
             Became NON_COMPLIANT (most privileged first) (1):\n\
             - ADMIN: app: never used [role AROAAPP]\n\
             \n\
             Deleted (their results now NOT_APPLICABLE) (1):\n\
             - role AROAOLD (was NON_COMPLIANT): old: unused\n\
             \n\
             Next (README, \"Act on NON_COMPLIANT roles\"):\n\
             - keep it: allowlist it, or tag it with the rule's exempt tag key;\n\
             - or quarantine it, reversibly: role-audit quarantine --role NAME --rule-name iam-role-last-used \
             --dry-run, then without --dry-run (or, where the stack has them, its Quarantine SSM \
             document, with the id in brackets above); wait for the longest job cycle, watch \
             CloudTrail for AccessDenied;\n\
             - then delete it, or undo: role-audit restore --role NAME.\n"
        );
        assert_eq!(
            message.attributes,
            [
                ("account_id", AttributeValue::String("123456789012".into())),
                ("rule_kind", AttributeValue::String("roles".into())),
                ("became_non_compliant", AttributeValue::Number(1)),
                ("compliant_again", AttributeValue::Number(0)),
                ("deleted", AttributeValue::Number(1)),
                ("no_longer_applicable", AttributeValue::Number(0)),
            ]
        );
    }

    #[test]
    fn thousands_of_entries_are_cut_to_fit_sns_with_a_count_of_those_left_out() {
        const ROLES: usize = 6_000;
        // Annotations of 256 characters with quotes and a non-ASCII letter, which JSON
        // escaping and UTF-8 make longer than they look.
        let send: Vec<Evaluation> = (0..ROLES)
            .map(|i| {
                let name = format!("role-{i:05}");
                let annotation: String = format!("ADMIN: {name}: \"é\" {}", "x".repeat(256))
                    .chars()
                    .take(256)
                    .collect();
                named(&format!("AROA{i:05}"), &name, NonCompliant, &annotation)
            })
            .collect();
        let digest = digest(&send, &[]);
        let message = render(&digest, about());
        let attribute_bytes: usize = message
            .attributes
            .iter()
            .map(|(n, v)| n.len() + v.data_type().len() + v.text().len())
            .sum();
        assert!(
            message.body.len() + message.subject.len() + attribute_bytes <= 262_144,
            "{} bytes",
            message.body.len()
        );
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        let machine: serde_json::Value =
            serde_json::from_str(body["default"].as_str().unwrap()).unwrap();
        let in_json = machine["changes"]["became_non_compliant"]
            .as_array()
            .unwrap()
            .len();
        let text = body["email"].as_str().unwrap();
        let in_text = text.lines().filter(|l| l.starts_with("- ADMIN: ")).count();
        assert!(in_json > 100, "lists what fits, not nothing: {in_json}");
        assert!(in_json < ROLES);
        assert_eq!(
            in_text, in_json,
            "the text and the JSON list the same entries"
        );
        assert_eq!(
            machine["not_listed"]["became_non_compliant"],
            ROLES - in_json
        );
        assert!(
            text.contains(&format!(
                "- and {} more not listed\n\nNext",
                ROLES - in_json
            )),
            "{}",
            &text[text.len() - 200..]
        );
        assert_eq!(machine["counts"]["became_non_compliant"], ROLES);
        // The bisection keeps the most that fit: one more would not.
        let one_more = render_listing(&digest, about(), in_json + 1);
        assert!(one_more.size() > 262_144, "{}", one_more.size());
    }

    #[test]
    fn a_limit_too_small_for_any_entry_still_gives_the_counts() {
        let send = [evaluation("AROAAPP", NonCompliant, "app: never used")];
        let digest = digest(&send, &[]);
        let message = render_within(&digest, about(), 10);
        assert_eq!((message.listed, message.not_listed), (0, 1));
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        assert!(body["email"]
            .as_str()
            .unwrap()
            .contains("- and 1 more not listed\n\nNext"));
    }
}
