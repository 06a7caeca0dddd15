//! role-audit: the rule's evaluation for people, offline on an account snapshot.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use iam_role_last_used::evaluate::evaluate;
use iam_role_last_used::output::{render, Format};
use iam_role_last_used::params::{self, RuleParameters};
use iam_role_last_used::{snapshot, Error};
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(
    name = "role-audit",
    version,
    about = "Find IAM roles nobody uses any more, with the same rule AWS Config runs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate every role of an account snapshot and print the results.
    #[command(after_help = "Examples:\n  \
        aws iam get-account-authorization-details --filter Role > roles.json\n  \
        role-audit evaluate --snapshot roles.json --max-days 90 --allowlist '/breakglass-role' --allowlist '/service-role/*'\n  \
        role-audit evaluate --snapshot roles.json --rule-parameters '{\"max_days_for_last_used\":\"60\"}' --format csv")]
    Evaluate(EvaluateArgs),
}

#[derive(Args)]
struct EvaluateArgs {
    /// JSON printed by `aws iam get-account-authorization-details --filter Role` (one object, or
    /// an array of such pages).
    #[arg(long, value_name = "FILE")]
    snapshot: PathBuf,

    /// The rule parameters as AWS Config passes them, e.g. '{"max_days_for_last_used":"60"}'.
    #[arg(long, value_name = "JSON", conflicts_with_all = ["max_days", "allowlist", "exempt_tag_key", "service_linked_roles"])]
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

    /// Evaluate as of this time (RFC 3339, e.g. 2026-01-01T00:00:00Z) [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<DateTime<Utc>>,

    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time like 2026-01-01T00:00:00Z ({e})"))
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
    RuleParameters::from_map(&map, None)
}

fn run_evaluate(args: &EvaluateArgs) -> Result<String, Error> {
    let params = rule_parameters(args)?;
    let name = args.snapshot.display().to_string();
    let text = std::fs::read_to_string(&args.snapshot).map_err(|e| Error::InvalidSnapshot {
        source_name: name.clone(),
        message: format!("cannot read it: {e}"),
    })?;
    let roles = snapshot::parse(&text, &name)?;
    let now = args.now.unwrap_or_else(Utc::now);
    Ok(render(&evaluate(&roles, &params, now), args.format))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Evaluate(args) => run_evaluate(args),
    };
    match result {
        Ok(text) => {
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("role-audit: writing the output failed: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Err(error) => {
            eprintln!("role-audit: {error}");
            ExitCode::from(2)
        }
    }
}
