//! role-audit: the rule's evaluation and the results Config holds, for people and pipelines.
//! Wiring only: the work is done by the library's modules.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use aws_sdk_config::types::ComplianceType;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use iam_role_last_used::aws::alarm::alarm_status;
use iam_role_last_used::aws::config_rule::{
    aggregate_results, recorded_result_times, recorded_results, rule_status,
};
use iam_role_last_used::aws::iam::fetch_roles_with_progress;
use iam_role_last_used::aws::{load_sdk_config, SdkPolicy};
use iam_role_last_used::cli::output::{render, Format, Row, TableStyle};
use iam_role_last_used::cli::snapshot;
use iam_role_last_used::core::evaluate::evaluate;
use iam_role_last_used::core::params::{self, RuleParameters};
use iam_role_last_used::core::report;
use iam_role_last_used::core::role::Role;
use iam_role_last_used::core::rule_status::{verdict, RuleEvidence, StatusReport};
use iam_role_last_used::Error;
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(
    name = "role-audit",
    version,
    about = "Find IAM roles nobody uses any more, with the same rule AWS Config runs",
    after_help = "Exit codes: 0 done, 1 NON_COMPLIANT rows with --fail-on-non-compliant, 2 error, 3 rule unhealthy (status)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate every role, from a snapshot file or live from the account (read-only).
    #[command(after_help = "Examples:\n  \
        role-audit evaluate --profile prod --max-days 90 --allowlist '/breakglass-role' --fail-on-non-compliant\n  \
        aws iam get-account-authorization-details --filter Role > roles.json\n  \
        role-audit evaluate --snapshot roles.json --rule-parameters '{\"max_days_for_last_used\":\"60\"}' --format csv")]
    Evaluate(EvaluateArgs),
    /// Show the results AWS Config holds for the rule, joined with the account's roles, or for
    /// every account of an aggregator.
    #[command(after_help = "Examples:\n  \
        role-audit report --rule-name iam-role-last-used\n  \
        role-audit report --aggregator org-aggregator --rule-name iam-role-last-used-org --compliance NON_COMPLIANT\n  \
        role-audit report --rule-name iam-role-last-used --compliance NON_COMPLIANT --format json\n  \
        role-audit report --rule-name iam-role-last-used --fail-on-non-compliant --format csv > unused-roles.csv")]
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
}

#[derive(Args)]
struct EvaluateArgs {
    /// JSON printed by `aws iam get-account-authorization-details --filter Role` (one object, or
    /// an array of such pages). Without it, the account is read live.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "region"])]
    snapshot: Option<PathBuf>,

    /// The rule parameters as AWS Config passes them, e.g. '{"max_days_for_last_used":"60"}'.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["max_days", "allowlist", "exempt_tag_key", "service_linked_roles", "identity_center_roles"])]
    rule_parameters: Option<String>,

    /// Days a role may go unused (1 to 400) [default: 60].
    #[arg(long, value_name = "N")]
    max_days: Option<i64>,

    /// Glob on the role's path + name (e.g. '/service-role/*'); repeat or separate with '|'.
    #[arg(long, value_name = "PATTERN")]
    allowlist: Vec<String>,

    /// Roles carrying this tag key are compliant.
    #[arg(long, value_name = "KEY")]
    exempt_tag_key: Option<String>,

    /// What to do with AWS service-linked roles: exclude (NOT_APPLICABLE) or evaluate.
    #[arg(long, value_name = "MODE")]
    service_linked_roles: Option<String>,

    /// What to do with IAM Identity Center roles: evaluate (default) or exclude (NOT_APPLICABLE).
    #[arg(long, value_name = "MODE")]
    identity_center_roles: Option<String>,

    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct ReportArgs {
    /// The Config rule's name (the stack's ConfigRuleName output).
    #[arg(long, value_name = "NAME")]
    rule_name: String,

    /// Read the results of every account from this Config aggregator (an organization rule's
    /// per-account rules, OrgConfigRule-<name>-<suffix>, are found by the rule name).
    #[arg(long, value_name = "NAME")]
    aggregator: Option<String>,

    /// With --aggregator: only this account.
    #[arg(long, value_name = "ACCOUNT_ID", requires = "aggregator")]
    account: Option<String>,

    /// Only these results, comma-separated: COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE [default:
    /// all]. With --aggregator only COMPLIANT and NON_COMPLIANT [default: COMPLIANT,NON_COMPLIANT]:
    /// the aggregate APIs hold no other results.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_compliance)]
    compliance: Vec<ComplianceType>,

    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct StatusArgs {
    /// The Config rule's name (the stack's ConfigRuleName output); in a member account, the
    /// organization rule's name or its copy's, OrgConfigRule-<name>-<suffix>.
    #[arg(long, value_name = "NAME")]
    rule_name: String,

    /// The CloudWatch alarm on the rule's function errors (the stack's `<NameOfSolution>-failing`):
    /// in ALARM, the rule is FAILING. Without it a failing run shows only as STALE.
    #[arg(long, value_name = "NAME")]
    alarm: Option<String>,

    /// Judge the status as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<DateTime<Utc>>,

    #[command(flatten)]
    aws: AwsArgs,

    /// One record: a table for people, or JSON for pipelines.
    #[arg(long, value_enum, default_value_t = StatusFormat::Table)]
    format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatusFormat {
    Table,
    Json,
}

/// What evaluate and report take.
#[derive(Args)]
struct CommonArgs {
    /// Count days as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<DateTime<Utc>>,

    #[command(flatten)]
    aws: AwsArgs,

    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct AwsArgs {
    /// Named profile from ~/.aws/config [default: the standard credential chain].
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Region of the Config rule (IAM is global) [default: from the profile or AWS_REGION].
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

#[derive(Args)]
struct OutputArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Exit with code 1 when any row is NON_COMPLIANT.
    #[arg(long)]
    fail_on_non_compliant: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-01-01T00:00:00Z ({e})"))
}

fn parse_compliance(text: &str) -> Result<ComplianceType, String> {
    match text.trim() {
        "COMPLIANT" => Ok(ComplianceType::Compliant),
        "NON_COMPLIANT" => Ok(ComplianceType::NonCompliant),
        "NOT_APPLICABLE" => Ok(ComplianceType::NotApplicable),
        other => Err(format!(
            "{other:?} is not one of COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE"
        )),
    }
}

fn rule_parameters(args: &EvaluateArgs) -> Result<RuleParameters, Error> {
    if let Some(json) = &args.rule_parameters {
        return RuleParameters::from_event_field(Some(&Value::String(json.clone())), None);
    }
    let mut map = Map::new();
    if let Some(days) = args.max_days {
        map.insert(params::MAX_DAYS_KEY.to_owned(), Value::from(days));
    }
    if !args.allowlist.is_empty() {
        map.insert(
            params::ALLOWLIST_KEY.to_owned(),
            Value::from(args.allowlist.join("|")),
        );
    }
    if let Some(key) = &args.exempt_tag_key {
        map.insert(params::EXEMPT_TAG_KEY.to_owned(), Value::from(key.as_str()));
    }
    if let Some(mode) = &args.service_linked_roles {
        map.insert(
            params::SERVICE_LINKED_ROLES_KEY.to_owned(),
            Value::from(mode.as_str()),
        );
    }
    if let Some(mode) = &args.identity_center_roles {
        map.insert(
            params::IDENTITY_CENTER_ROLES_KEY.to_owned(),
            Value::from(mode.as_str()),
        );
    }
    RuleParameters::from_map(&map, None)
}

/// A failure with the detail under its line and a hint for the person at the terminal.
struct Failure {
    error: Error,
    detail: Option<String>,
    hint: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let hint = hint(&error);
        let detail = match &error {
            Error::NoAggregateResults {
                accounts, account, ..
            } => Some(report::no_results_note(accounts, account.as_deref())),
            _ => None,
        };
        Failure {
            error,
            detail,
            hint,
        }
    }
}

fn hint(error: &Error) -> Option<String> {
    let (code, message) = match error {
        Error::IamFetch { code, message, .. }
        | Error::ConfigRead { code, message, .. }
        | Error::RuleStatusRead { code, message, .. }
        | Error::AlarmRead { code, message, .. } => (code.as_deref(), message),
        Error::NoSuchAlarm { .. } => return Some(
            "the stack's alarm is <NameOfSolution>-failing (its StatusCommand output names it): check --alarm and --region"
                .to_owned(),
        ),
        Error::NoAggregateResults { .. } => return Some(
            "the aggregator serves COMPLIANT and NON_COMPLIANT results only, and a rule shows there once one account has such a result: the rule may not be deployed (the accounts above show its status in each, when known) or may have none yet; check --aggregator, --rule-name (the organization rule's name, or the rule's name in each account) and --region; a new rule or aggregator takes a while to collect results"
                .to_owned(),
        ),
        _ => return None,
    };
    let needs = |action: &str| {
        Some(format!(
            "the credentials in use are not allowed {action}; role-audit needs it (read-only)"
        ))
    };
    match (error, code) {
        (Error::ConfigRead { rule, .. }, Some("NoSuchConfigRuleException")) => Some(format!(
            "there is no Config rule named {rule:?} in this Region: check --rule-name (the stack's ConfigRuleName output) and --region"
        )),
        (Error::RuleStatusRead { rule, .. }, Some("NoSuchConfigRuleException")) => Some(format!(
            "there is no Config rule named {rule:?} (nor OrgConfigRule-{rule}-<suffix>) in this Region: check --rule-name (the stack's ConfigRuleName output) and --region"
        )),
        (Error::RuleStatusRead { operation, .. }, Some(c)) if c.starts_with("AccessDenied") => {
            needs(&format!("config:{operation}"))
        }
        (Error::AlarmRead { .. }, Some(c)) if c.starts_with("AccessDenied") => needs("cloudwatch:DescribeAlarms"),
        (Error::IamFetch { .. }, Some(c)) if c.starts_with("AccessDenied") => needs("iam:GetAccountAuthorizationDetails"),
        (Error::ConfigRead { .. }, Some(c)) if c.starts_with("AccessDenied") => needs("config:GetComplianceDetailsByConfigRule"),
        (_, None) if message.contains("credentials") => Some(
            "no AWS credentials were found: pass --profile, set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, or run `aws sso login`"
                .to_owned(),
        ),
        _ => None,
    }
}

/// The process's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Done = 0,
    /// NON_COMPLIANT rows with --fail-on-non-compliant.
    NonCompliant = 1,
    Error = 2,
    /// `status`: the rule is failing, stale or never evaluated.
    Unhealthy = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// What a command printed, warnings for stderr, and the exit code it asks for.
struct Outcome {
    text: String,
    warnings: Vec<String>,
    exit: Exit,
}

fn table_style() -> TableStyle {
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    TableStyle { colour }
}

/// Exit 1 for NON_COMPLIANT rows, when asked to.
fn rows_exit(rows: &[Row], output: &OutputArgs) -> Exit {
    if output.fail_on_non_compliant && rows.iter().any(|r| r.compliance_type == "NON_COMPLIANT") {
        Exit::NonCompliant
    } else {
        Exit::Done
    }
}

fn outcome(rows: &[Row], output: &OutputArgs) -> Outcome {
    Outcome {
        text: render(rows, output.format, table_style()),
        warnings: Vec::new(),
        exit: rows_exit(rows, output),
    }
}

async fn sdk(aws: &AwsArgs) -> Result<aws_config::SdkConfig, Failure> {
    let policy =
        SdkPolicy::from_env(|name| std::env::var(name).ok()).map_err(Error::InvalidSetting)?;
    Ok(load_sdk_config(&policy, aws.profile.as_deref(), aws.region.as_deref()).await)
}

/// Reads every role live, with a progress line on stderr when it is a terminal and the
/// account spans more than one page.
async fn live_roles(sdk: &aws_config::SdkConfig) -> Result<Vec<Role>, Failure> {
    let iam = aws_sdk_iam::Client::new(sdk);
    let show = std::io::stderr().is_terminal();
    let mut shown = false;
    let fetched = fetch_roles_with_progress(&iam, |pages, roles| {
        if show && roles >= iam_role_last_used::aws::iam::PAGE_SIZE as usize {
            let unit = if pages == 1 { "page" } else { "pages" };
            eprint!("\rreading IAM roles: {roles} roles in {pages} {unit}…");
            shown = true;
        }
    })
    .await;
    if shown {
        eprint!("\r\x1b[2K");
    }
    Ok(fetched?.roles)
}

async fn run_evaluate(args: &EvaluateArgs) -> Result<Outcome, Failure> {
    let params = rule_parameters(args)?;
    let roles = match &args.snapshot {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| Error::InvalidSnapshot {
                source_name: name.clone(),
                message: format!("cannot read it: {e}"),
            })?;
            snapshot::parse(&text, &name)?
        }
        None => live_roles(&sdk(&args.common.aws).await?).await?,
    };
    let now = args.common.now.unwrap_or_else(Utc::now);
    let rows: Vec<Row> = evaluate(&roles, &params, now)
        .iter()
        .map(Row::from)
        .collect();
    Ok(outcome(&rows, &args.common.output))
}

async fn run_report(args: &ReportArgs) -> Result<Outcome, Failure> {
    if let Some(aggregator) = &args.aggregator {
        return run_aggregate_report(args, aggregator).await;
    }
    let sdk = sdk(&args.common.aws).await?;
    let config = aws_sdk_config::Client::new(&sdk);
    let wanted = if args.compliance.is_empty() {
        vec![
            ComplianceType::NonCompliant,
            ComplianceType::Compliant,
            ComplianceType::NotApplicable,
        ]
    } else {
        args.compliance.clone()
    };
    let results = recorded_results(&config, &args.rule_name, &wanted).await?;
    let roles = live_roles(&sdk).await?;
    let now = args.common.now.unwrap_or_else(Utc::now);
    Ok(outcome(
        &report::join(&results, &roles, now),
        &args.common.output,
    ))
}

async fn run_aggregate_report(args: &ReportArgs, aggregator: &str) -> Result<Outcome, Failure> {
    // Refused before any call: the aggregate APIs cannot answer it.
    let asked: Vec<&str> = args.compliance.iter().map(|c| c.as_str()).collect();
    let wanted = report::aggregate_compliance(&asked)?;
    let sdk = sdk(&args.common.aws).await?;
    let config = aws_sdk_config::Client::new(&sdk);
    let account = args.account.as_deref();
    let found = aggregate_results(&config, aggregator, &args.rule_name, account).await?;
    let rows: Vec<Row> = report::aggregate_rows(&found.results)
        .into_iter()
        .filter(|row| wanted.contains(&row.compliance_type.as_str()))
        .collect();
    let coverage = report::coverage(&found, account);
    let warnings = coverage
        .unavailable
        .iter()
        .map(|reason| {
            format!(
                "warning: which accounts hold no results is unknown: {reason}; role-audit needs config:DescribeConfigurationAggregators and, for an organization aggregator, config:GetOrganizationConfigRuleDetailedStatus from the management or a delegated administrator account"
            )
        })
        .collect();
    let output = &args.common.output;
    Ok(Outcome {
        text: report::render_aggregate(&rows, &coverage, output.format, table_style())?,
        warnings,
        exit: rows_exit(&rows, output),
    })
}

async fn run_status(args: &StatusArgs) -> Result<Outcome, Failure> {
    let sdk = sdk(&args.aws).await?;
    let config = aws_sdk_config::Client::new(&sdk);
    let (rule, status) = rule_status(&config, &args.rule_name).await?;
    let results = recorded_result_times(&config, &rule.name).await?;
    let alarm = match &args.alarm {
        Some(name) => Some(alarm_status(&aws_sdk_cloudwatch::Client::new(&sdk), name).await?),
        None => None,
    };
    let evidence = RuleEvidence {
        owner: rule.owner,
        status,
        results,
        alarm,
    };
    let now = args.now.unwrap_or_else(Utc::now);
    let verdict = verdict(&evidence, rule.frequency.frequency, now);
    let report = StatusReport::new(&rule, &evidence, &verdict, now);
    Ok(Outcome {
        text: match args.format {
            StatusFormat::Json => report.json()?,
            StatusFormat::Table => report.table(),
        },
        warnings: Vec::new(),
        exit: if verdict.health.is_healthy() {
            Exit::Done
        } else {
            Exit::Unhealthy
        },
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Evaluate(args) => run_evaluate(args).await,
        Command::Report(args) => run_report(args).await,
        Command::Status(args) => run_status(args).await,
    };
    match result {
        Ok(outcome) => {
            for warning in &outcome.warnings {
                eprintln!("role-audit: {warning}");
            }
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(outcome.text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    eprintln!("role-audit: writing the output failed: {e}");
                    return Exit::Error.into();
                }
            }
            outcome.exit.into()
        }
        Err(failure) => {
            eprintln!(
                "role-audit: {}",
                failure.error.message_without_sending_note()
            );
            if let Some(detail) = failure.detail {
                eprint!("{detail}");
            }
            if let Some(hint) = failure.hint {
                eprintln!("hint: {hint}");
            }
            Exit::Error.into()
        }
    }
}
