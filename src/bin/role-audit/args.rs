//! role-audit's command line: the commands, their options, and how each option's text is
//! parsed (once, here).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use iam_role_last_used::aws::access_advisor::Principal;
use iam_role_last_used::cli::output::Format;
use iam_role_last_used::core::access::PrincipalKind;
use iam_role_last_used::core::params::{self, Parameters, RoleParameters, UserParameters};
use iam_role_last_used::core::privilege::Level;
use iam_role_last_used::core::results::Compliance;
use iam_role_last_used::core::settings::RuleKind;
use iam_role_last_used::Error;
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(
    name = "role-audit",
    version,
    about = "Find IAM roles nobody uses any more, and IAM users' console passwords and access keys nobody uses (--kind users), with the same rules AWS Config runs",
    after_help = "Exit codes: 0 done, 1 NON_COMPLIANT rows with --fail-on-non-compliant, 2 error, 3 rule unhealthy (status), 4 refused by a guard (quarantine, restore)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Evaluate every role (or, with --kind users, every IAM user), from snapshot files or live
    /// from the account (read-only).
    #[command(after_help = "Examples:\n  \
        role-audit evaluate --profile prod --max-days 90 --allowlist '/breakglass-role' --fail-on-non-compliant\n  \
        aws iam get-account-authorization-details --filter Role > roles.json\n  \
        role-audit evaluate --snapshot roles.json --rule-parameters '{\"max_days_for_last_used\":\"60\"}' --format csv\n  \
        role-audit evaluate --kind users --profile prod\n  \
        aws iam generate-credential-report; aws iam get-credential-report --query Content --output text | base64 --decode > report.csv\n  \
        aws iam get-account-authorization-details --filter User > users.json\n  \
        role-audit evaluate --kind users --credential-report report.csv --report-generated 2026-01-01T00:00:00Z --snapshot users.json")]
    Evaluate(EvaluateArgs),
    /// Show the results AWS Config holds for the rule, joined with the account's roles (or users,
    /// --kind users), or for every account of an aggregator.
    #[command(after_help = "Examples:\n  \
        role-audit report --rule-name iam-role-last-used\n  \
        role-audit report --aggregator org-aggregator --rule-name iam-role-last-used-org --compliance NON_COMPLIANT\n  \
        role-audit report --rule-name iam-role-last-used --compliance NON_COMPLIANT --format json\n  \
        role-audit report --rule-name iam-role-last-used --privilege admin --fail-on-non-compliant\n  \
        role-audit report --rule-name iam-role-last-used --fail-on-non-compliant --format csv > unused-roles.csv\n  \
        role-audit report --kind users --rule-name iam-user-unused-credentials --format json")]
    Report(ReportArgs),
    /// Check that the rule runs: the newest result it recorded (GetComplianceDetailsByConfigRule),
    /// its alarm (--alarm), and Config's evaluation status when Config keeps one (not for custom
    /// Lambda rules), with the frequency from DescribeConfigRules.
    #[command(
        after_help = "Health: HEALTHY, or (exit code 3) FAILING when the alarm is in ALARM (the function's last runs \
        failed) or the evaluation status shows a failure after the last success, STALE when the last success (the \
        newest ResultRecordedTime, or the evaluation status's last successful evaluation) is older than twice the \
        rule's frequency (MaximumExecutionFrequency; TwentyFour_Hours when the rule names none), NEVER_EVALUATED \
        when neither shows a successful run.\n\
        Exit codes: 0 healthy, 3 unhealthy, 2 error (a missing alarm included).\n\n\
        Examples:\n  \
        role-audit status --rule-name iam-role-last-used --alarm iam-role-last-used-failing\n  \
        role-audit status --rule-name iam-role-last-used-org --format json   # in a member account: finds OrgConfigRule-iam-role-last-used-org-<suffix>"
    )]
    Status(StatusArgs),
    /// Show which services a role or user is granted and when it last used each (IAM's
    /// service last accessed report, with tracked actions), and suggest a policy that takes
    /// the unused ones away. Changes nothing.
    #[command(
        after_help = "Unused: not used for more than --max-days days, or never within IAM's 400-day tracking.\n\
        The suggested policy is a Deny of each unused service (<namespace>:*), to review before use; iam and sts are \
        never denied (iam:PassRole is not recorded in last accessed data).\n\
        Exit codes: 0 done, 1 unused services with --fail-on-unused, 2 error.\n\n\
        Examples:\n  \
        role-audit permissions --role app-backend\n  \
        role-audit permissions --user ci-deploy --max-days 30 --actions\n  \
        role-audit permissions --role app-backend --boundary --format json | jq .SuggestedPolicy.Document"
    )]
    Permissions(PermissionsArgs),
    /// Quarantine a NON_COMPLIANT role or user, reversibly: tag it, deny it everything with an
    /// inline policy, and deactivate a user's unused access keys: what the stack's Quarantine
    /// SSM documents do, with the same guards.
    #[command(
        after_help = "Guards (any refuses, changing nothing): a service-linked or IAM Identity Center role; a principal \
        already quarantined, allowlisted or carrying the exempt tag of --rule-name; one whose current result in \
        --rule-name is not NON_COMPLIANT. Console passwords are never deleted.\n\
        Exit codes: 0 done, 2 error, 4 refused by a guard.\n\n\
        Examples:\n  \
        role-audit quarantine --role old-batch --rule-name iam-role-last-used --dry-run\n  \
        role-audit quarantine --role old-batch --rule-name iam-role-last-used\n  \
        role-audit quarantine --user ci-deploy --rule-name iam-user-unused-credentials --format json"
    )]
    Quarantine(QuarantineArgs),
    /// Undo a quarantine: remove the deny policy and the tags, reactivate the access keys it
    /// deactivated. Leaves the principal as it was before.
    #[command(
        after_help = "Exit codes: 0 done, 2 error, 4 refused (not quarantined).\n\n\
        Examples:\n  \
        role-audit restore --role old-batch --dry-run\n  \
        role-audit restore --user ci-deploy"
    )]
    Restore(RestoreArgs),
}

/// Exactly one principal, by name.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("principal").required(true).args(["role", "user"]))]
pub struct NamedPrincipal {
    /// The role's name.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    /// The IAM user's name.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
}

impl NamedPrincipal {
    /// The principal named by exactly one of --role and --user (clap's group makes it so).
    pub fn named(&self) -> Result<(PrincipalKind, String), Error> {
        match (&self.role, &self.user) {
            (Some(role), None) => Ok((PrincipalKind::Role, role.clone())),
            (None, Some(user)) => Ok((PrincipalKind::User, user.clone())),
            _ => Err(Error::InvalidOption {
                option: "--role/--user".to_owned(),
                value: String::new(),
                message: "name exactly one role (--role NAME) or one user (--user NAME)".to_owned(),
            }),
        }
    }
}

/// What quarantine and restore share: the principal, the dry run, AWS, the format.
#[derive(Args)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub principal: NamedPrincipal,

    /// Print the calls and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Text for people, or JSON for pipelines.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Args)]
pub struct QuarantineArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    /// The Config rule whose result and parameters the guards check: the stack's
    /// ConfigRuleName output for a role, UsersConfigRuleName for a user.
    #[arg(long, value_name = "NAME")]
    pub rule_name: String,

    /// The time recorded in the quarantined-at tag, and the one access keys' ages count to
    /// (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("principal").required(true).args(["role", "user"]))]
pub struct PermissionsArgs {
    /// The role's name.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    /// The IAM user's name.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Days after which a service or action counts as unused (1 to 400, IAM's tracking
    /// period); the default is the permissions rule's max_days_for_service.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub max_days: u32,

    /// List each tracked action with its last access under its service.
    #[arg(long)]
    pub actions: bool,

    /// Suggest a permissions boundary (Allow * plus the Deny) instead of an inline policy.
    #[arg(long)]
    pub boundary: bool,

    /// Count days as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<DateTime<Utc>>,

    /// Exit with code 1 when any granted service is unused.
    #[arg(long)]
    pub fail_on_unused: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// A table for people, or JSON for pipelines.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// JSON printed by `aws iam get-account-authorization-details --filter Role` (--filter User
    /// with --kind users), one object or an array of such pages. Without it, the account is read
    /// live.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "region"])]
    pub snapshot: Option<PathBuf>,

    /// --kind users, with --snapshot: the credential report's CSV, as
    /// `aws iam get-credential-report --query Content --output text | base64 --decode` writes it.
    #[arg(long, value_name = "FILE", requires = "snapshot")]
    pub credential_report: Option<PathBuf>,

    /// --kind users: when the --credential-report file was generated (GetCredentialReport's
    /// GeneratedTime; the CSV does not hold it), RFC 3339 [default: --now].
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "credential_report")]
    pub report_generated: Option<DateTime<Utc>>,

    /// The rule parameters as AWS Config passes them, e.g. '{"max_days_for_last_used":"60"}'.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["max_days", "allowlist", "exempt_tag_key", "service_linked_roles", "identity_center_roles"])]
    pub rule_parameters: Option<String>,

    /// Days a role may go unused (1 to 400) [default: 60]; with --kind users, days an active
    /// credential may go unused (1 to 3650) [default: 45].
    #[arg(long, value_name = "N")]
    pub max_days: Option<i64>,

    /// Glob on the role's (or user's) path + name (e.g. '/service-role/*'); repeat or separate
    /// with '|'.
    #[arg(long, value_name = "PATTERN")]
    pub allowlist: Vec<String>,

    /// Roles (or users) carrying this tag key are compliant.
    #[arg(long, value_name = "KEY")]
    pub exempt_tag_key: Option<String>,

    /// What to do with AWS service-linked roles: exclude (NOT_APPLICABLE) or evaluate.
    #[arg(long, value_name = "MODE")]
    pub service_linked_roles: Option<String>,

    /// What to do with IAM Identity Center roles: evaluate (default) or exclude (NOT_APPLICABLE).
    #[arg(long, value_name = "MODE")]
    pub identity_center_roles: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The Config rule's name (the stack's ConfigRuleName output).
    #[arg(long, value_name = "NAME")]
    pub rule_name: String,

    /// Read the results of every account from this Config aggregator (an organization rule's
    /// per-account rules, OrgConfigRule-<name>-<suffix>, are found by the rule name).
    #[arg(long, value_name = "NAME")]
    pub aggregator: Option<String>,

    /// With --aggregator: only this account.
    #[arg(long, value_name = "ACCOUNT_ID", requires = "aggregator")]
    pub account: Option<String>,

    /// Only these results, comma-separated: COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE [default:
    /// all]. With --aggregator only COMPLIANT and NON_COMPLIANT [default: COMPLIANT,NON_COMPLIANT]:
    /// the aggregate APIs hold no other results.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_compliance)]
    pub compliance: Vec<Compliance>,

    /// Only findings at least this privileged, as their annotation's label states: admin
    /// (ADMIN), or iam-write (IAM-WRITE and ADMIN). The table always shows ADMIN first, then
    /// IAM-WRITE, within each compliance type.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub privilege: Option<PrivilegeLevel>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrivilegeLevel {
    Admin,
    IamWrite,
}

impl From<PrivilegeLevel> for Level {
    fn from(level: PrivilegeLevel) -> Self {
        match level {
            PrivilegeLevel::Admin => Level::Admin,
            PrivilegeLevel::IamWrite => Level::IamWrite,
        }
    }
}

#[derive(Args)]
pub struct StatusArgs {
    /// The Config rule's name (the stack's ConfigRuleName output); in a member account, the
    /// organization rule's name or its copy's, OrgConfigRule-<name>-<suffix>.
    #[arg(long, value_name = "NAME")]
    pub rule_name: String,

    /// The CloudWatch alarm on the rule's function errors (the stack's `<NameOfSolution>-failing`):
    /// in ALARM, the rule is FAILING. Without it a failing run shows only as STALE.
    #[arg(long, value_name = "NAME")]
    pub alarm: Option<String>,

    /// Judge the status as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<DateTime<Utc>>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// One record: a table for people, or JSON for pipelines.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

/// What evaluate and report take.
#[derive(Args)]
pub struct CommonArgs {
    /// Which rule: unused IAM roles, IAM users' unused passwords and access keys, or the
    /// services roles and users are granted and do not use (report only).
    #[arg(long, value_enum, default_value_t = Kind::Roles)]
    pub kind: Kind,

    /// Count days as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub now: Option<DateTime<Utc>>,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args)]
pub struct AwsArgs {
    /// Named profile from ~/.aws/config [default: the standard credential chain].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Region of the Config rule (IAM is global) [default: from the profile or AWS_REGION].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Args)]
pub struct OutputArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Exit with code 1 when any row is NON_COMPLIANT.
    #[arg(long)]
    pub fail_on_non_compliant: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-01-01T00:00:00Z ({e})"))
}

/// The values a rule decides; INSUFFICIENT_DATA is refused like any other text.
fn parse_compliance(text: &str) -> Result<Compliance, String> {
    Compliance::parse(text.trim())
        .filter(|c| *c != Compliance::InsufficientData)
        .ok_or_else(|| format!("{text:?} is not one of COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE"))
}

/// `--kind` for evaluate and report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Roles,
    Users,
    Permissions,
}

impl From<Kind> for RuleKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Roles => RuleKind::Roles,
            Kind::Users => RuleKind::Users,
            Kind::Permissions => RuleKind::Permissions,
        }
    }
}

/// `--format` for evaluate and report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Table => Format::Table,
            OutputFormat::Json => Format::Json,
            OutputFormat::Csv => Format::Csv,
        }
    }
}

/// `evaluate --kind permissions`: its verdicts need IAM's service last accessed reports, which
/// no snapshot holds.
pub fn permissions_not_previewed() -> Error {
    Error::InvalidOption {
        option: "--kind".to_owned(),
        value: "permissions".to_owned(),
        message: "evaluate previews the roles and users rules only: the permissions rule judges IAM's service last accessed reports; see one principal's with role-audit permissions --role NAME (or --user NAME), and the rule's results with role-audit report --kind permissions".to_owned(),
    }
}

/// An option of the other kind's rule, named, refused rather than ignored.
fn other_kind(option: &str, value: String, kind: Kind) -> Error {
    let (this, other) = match kind {
        Kind::Roles => ("roles", "users"),
        Kind::Users | Kind::Permissions => ("users", "roles"),
    };
    Error::InvalidOption {
        option: option.to_owned(),
        value,
        message: format!("applies to --kind {other} only, not to the {this} rule"),
    }
}

fn shown(path: &std::path::Path) -> String {
    path.display().to_string()
}

impl EvaluateArgs {
    /// Refuses an option the `--kind` rule does not take, and a users snapshot without its
    /// credential report.
    pub fn check_kind(&self) -> Result<(), Error> {
        let kind = self.common.kind;
        match kind {
            // Its verdicts need IAM's service last accessed reports, which no snapshot holds.
            Kind::Permissions => return Err(permissions_not_previewed()),
            Kind::Roles => {
                if let Some(path) = &self.credential_report {
                    return Err(other_kind("--credential-report", shown(path), kind));
                }
                if let Some(time) = &self.report_generated {
                    return Err(other_kind("--report-generated", time.to_rfc3339(), kind));
                }
            }
            Kind::Users => {
                if let Some(mode) = &self.service_linked_roles {
                    return Err(other_kind("--service-linked-roles", mode.clone(), kind));
                }
                if let Some(mode) = &self.identity_center_roles {
                    return Err(other_kind("--identity-center-roles", mode.clone(), kind));
                }
                if let (Some(path), None) = (&self.snapshot, &self.credential_report) {
                    return Err(Error::InvalidOption {
                        option: "--snapshot".to_owned(),
                        value: shown(path),
                        message: "with --kind users it needs --credential-report FILE: the users' credentials are in the credential report, not in the snapshot".to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The users rule's parameters, as [`EvaluateArgs::rule_parameters`] gives the roles rule's:
    /// `--rule-parameters` as the event carries it, or the single options as the users rule's
    /// keys (strings, as Config passes them).
    pub fn user_parameters(&self) -> Result<UserParameters, Error> {
        let json = match &self.rule_parameters {
            Some(json) => json.clone(),
            None => {
                let mut map = Map::new();
                if let Some(days) = self.max_days {
                    map.insert(
                        params::MAX_DAYS_KEY.to_owned(),
                        Value::from(days.to_string()),
                    );
                }
                if !self.allowlist.is_empty() {
                    map.insert(
                        params::USER_ALLOWLIST_KEY.to_owned(),
                        Value::from(self.allowlist.join("|")),
                    );
                }
                if let Some(key) = &self.exempt_tag_key {
                    map.insert(params::EXEMPT_TAG_KEY.to_owned(), Value::from(key.as_str()));
                }
                Value::Object(map).to_string()
            }
        };
        UserParameters::from_event_field(Some(&Value::String(json)), None)
    }

    /// The rule parameters the options give, validated as Config's would be: `--rule-parameters`
    /// as the event carries it, or the single options as the same keys.
    pub fn rule_parameters(&self) -> Result<RoleParameters, Error> {
        if let Some(json) = &self.rule_parameters {
            return RoleParameters::from_event_field(Some(&Value::String(json.clone())), None);
        }
        let mut map = Map::new();
        let mut set = |key: &str, value: Value| {
            map.insert(key.to_owned(), value);
        };
        if let Some(days) = self.max_days {
            set(params::MAX_DAYS_KEY, Value::from(days));
        }
        if !self.allowlist.is_empty() {
            set(params::ALLOWLIST_KEY, Value::from(self.allowlist.join("|")));
        }
        let strings = [
            (params::EXEMPT_TAG_KEY, &self.exempt_tag_key),
            (params::SERVICE_LINKED_ROLES_KEY, &self.service_linked_roles),
            (
                params::IDENTITY_CENTER_ROLES_KEY,
                &self.identity_center_roles,
            ),
        ];
        for (key, value) in strings {
            if let Some(value) = value {
                set(key, Value::from(value.as_str()));
            }
        }
        RoleParameters::from_map(&map, None)
    }
}

impl PermissionsArgs {
    /// The role or user named; clap takes exactly one of the two.
    pub fn principal(&self) -> Result<Principal, Error> {
        match (&self.role, &self.user) {
            (Some(role), None) => Ok(Principal::Role(role.clone())),
            (None, Some(user)) => Ok(Principal::User(user.clone())),
            _ => Err(Error::InvalidOption {
                option: "--role/--user".to_owned(),
                value: String::new(),
                message: "name exactly one role (--role NAME) or one user (--user NAME)".to_owned(),
            }),
        }
    }
}
