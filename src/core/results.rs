//! Results: the compliance values Config knows, the resource types the rules report on, what
//! Config holds for a rule (its own results, or an aggregator's), and the clean-up of results
//! whose resource is gone.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

/// A compliance value as AWS Config knows it. The rules decide the first three;
/// INSUFFICIENT_DATA is only ever read back from Config, and PutEvaluations refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compliance {
    // Declared in the order reports list them: NON_COMPLIANT first.
    NonCompliant,
    Compliant,
    NotApplicable,
    InsufficientData,
}

impl Compliance {
    pub const ALL: [Compliance; 4] = [
        Self::NonCompliant,
        Self::Compliant,
        Self::NotApplicable,
        Self::InsufficientData,
    ];

    /// The value AWS Config's `ComplianceType` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "COMPLIANT",
            Self::NonCompliant => "NON_COMPLIANT",
            Self::NotApplicable => "NOT_APPLICABLE",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// The value named by Config's spelling, as an adapter or an option reads it.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for Compliance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Compliance {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The Config resource types the rules report on. Config keys each by its own id: RoleId
/// (`AROA...`) for a role, UserId (`AIDA...`) for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    IamRole,
    IamUser,
}

impl ResourceType {
    pub const ALL: [ResourceType; 2] = [Self::IamRole, Self::IamUser];

    /// Config's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IamRole => "AWS::IAM::Role",
            Self::IamUser => "AWS::IAM::User",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// What annotations call a resource of the type.
    pub fn noun(self) -> &'static str {
        match self {
            Self::IamRole => "role",
            Self::IamUser => "user",
        }
    }
}

/// A result AWS Config holds for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResult {
    pub resource_type: ResourceType,
    pub resource_id: String,
    pub compliance: Compliance,
    pub annotation: Option<String>,
    pub recorded: Option<DateTime<Utc>>,
}

/// The results Config holds, by resource: every copy, in the order Config listed them (its
/// paging can repeat a resource).
pub fn by_resource(
    recorded: &[RecordedResult],
) -> HashMap<(ResourceType, &str), Vec<&RecordedResult>> {
    let mut held: HashMap<_, Vec<_>> = HashMap::with_capacity(recorded.len());
    for result in recorded {
        held.entry((result.resource_type, result.resource_id.as_str()))
            .or_default()
            .push(result);
    }
    held
}

/// The resources (type and id) Config holds a result for that are not among `live`, once each,
/// in the order Config gave them: the results to clean up. Only `rule_types` count, so a rule
/// never touches results of types it does not report on.
pub fn vanished<'a>(
    live: impl IntoIterator<Item = (ResourceType, &'a str)>,
    recorded: &'a [RecordedResult],
    rule_types: &[ResourceType],
) -> Vec<(ResourceType, &'a str)> {
    let live: HashSet<(ResourceType, &str)> = live.into_iter().collect();
    let mut seen = HashSet::new();
    recorded
        .iter()
        .map(|r| (r.resource_type, r.resource_id.as_str()))
        .filter(|key| rule_types.contains(&key.0) && !live.contains(key) && seen.insert(*key))
        .collect()
}

/// A result an aggregator holds, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateResult {
    pub account_id: String,
    pub region: String,
    pub result: RecordedResult,
}

/// The rule names an aggregator reports for `rule_name`: the name itself (a rule deployed per
/// account) or the names Config gives an organization rule in each member account,
/// `OrgConfigRule-<name>-<suffix>`, where Config's suffix is one token without `-` (so the
/// rule `x` does not take the results of a rule `x-extra`).
pub fn is_same_rule(reported: &str, rule_name: &str) -> bool {
    reported == rule_name
        || reported
            .strip_prefix("OrgConfigRule-")
            .and_then(|rest| rest.strip_prefix(rule_name))
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|suffix| !suffix.is_empty() && !suffix.contains('-'))
}

/// Which accounts an aggregator should hold results of, and how that was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountListSource {
    /// An account aggregator: its `AccountAggregationSources` (DescribeConfigurationAggregators).
    AggregatorAccounts,
    /// An organization aggregator, which lists no accounts: the organization rule's member
    /// accounts (GetOrganizationConfigRuleDetailedStatus).
    OrganizationRuleStatus,
}

impl AccountListSource {
    /// The API the list came from.
    pub fn api(self) -> &'static str {
        match self {
            Self::AggregatorAccounts => "DescribeConfigurationAggregators",
            Self::OrganizationRuleStatus => "GetOrganizationConfigRuleDetailedStatus",
        }
    }
}

/// An account the aggregator should cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedAccount {
    pub account_id: String,
    /// For an organization rule: the rule's status in the account, with its error if any.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountList {
    Known {
        source: AccountListSource,
        accounts: Vec<ExpectedAccount>,
    },
    /// The call that lists them failed or gave nothing usable; the reason names the call.
    Unavailable { reason: String },
}

/// What an aggregator holds for the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateReport {
    pub results: Vec<AggregateResult>,
    /// The accounts whose copy of the rule has COMPLIANT or NON_COMPLIANT results, sorted.
    pub accounts_with_results: Vec<String>,
    pub accounts: AccountList,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_spellings_round_trip_and_nothing_else_parses() {
        let spelled = [
            ("COMPLIANT", Compliance::Compliant),
            ("NON_COMPLIANT", Compliance::NonCompliant),
            ("NOT_APPLICABLE", Compliance::NotApplicable),
            ("INSUFFICIENT_DATA", Compliance::InsufficientData),
        ];
        for (text, value) in spelled {
            assert_eq!(Compliance::parse(text), Some(value));
            assert_eq!(value.as_str(), text);
        }
        for other in ["compliant", "NON-COMPLIANT", "", " COMPLIANT"] {
            assert_eq!(Compliance::parse(other), None, "{other:?}");
        }
        assert_eq!(
            ResourceType::parse("AWS::IAM::Role"),
            Some(ResourceType::IamRole)
        );
        assert_eq!(
            ResourceType::parse("AWS::IAM::User"),
            Some(ResourceType::IamUser)
        );
        assert_eq!(ResourceType::parse("AWS::IAM::Group"), None);
    }

    #[test]
    fn reports_list_non_compliant_first() {
        let mut values = [
            Compliance::InsufficientData,
            Compliance::NotApplicable,
            Compliance::Compliant,
            Compliance::NonCompliant,
        ];
        values.sort();
        assert_eq!(
            values.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            [
                "NON_COMPLIANT",
                "COMPLIANT",
                "NOT_APPLICABLE",
                "INSUFFICIENT_DATA"
            ]
        );
    }

    fn recorded(resource_type: ResourceType, id: &str) -> RecordedResult {
        RecordedResult {
            resource_type,
            resource_id: id.to_owned(),
            compliance: Compliance::Compliant,
            annotation: None,
            recorded: None,
        }
    }

    #[test]
    fn vanished_results_are_those_of_the_rules_types_no_longer_live_once_each() {
        use ResourceType::{IamRole, IamUser};
        let held = [
            recorded(IamRole, "AROA1"),
            recorded(IamRole, "AROA2"),
            recorded(IamRole, "AROA2"),
            recorded(IamUser, "AIDA1"),
            recorded(IamUser, "AROA1"),
        ];
        let live = [(IamRole, "AROA1")];
        assert_eq!(
            vanished(live, &held, &[IamRole]),
            [(IamRole, "AROA2")],
            "a role rule leaves users' results alone"
        );
        assert_eq!(
            vanished(live, &held, &[IamRole, IamUser]),
            [(IamRole, "AROA2"), (IamUser, "AIDA1"), (IamUser, "AROA1")],
            "the same id of another type is another resource"
        );
        assert_eq!(vanished(live, &held, &[]), []);
    }

    #[test]
    fn organization_rule_copies_are_the_same_rule() {
        assert!(is_same_rule("r", "r"));
        assert!(is_same_rule("OrgConfigRule-r-abc123", "r"));
        assert!(!is_same_rule("OrgConfigRule-r-extra-abc123", "r"));
        assert!(!is_same_rule("OrgConfigRule-r-", "r"));
        assert!(!is_same_rule("OrgConfigRule-rx-abc", "r"));
        assert!(!is_same_rule("other", "r"));
    }
}
