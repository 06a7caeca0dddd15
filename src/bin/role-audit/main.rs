//! role-audit: the rules' evaluation (roles, and users with `--kind users`) and the results Config
//! holds, for people and pipelines.
//! Wiring only: the options are in `args`, the work in the library.

mod args;
mod exit_codes;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{SecondsFormat, Utc};
use clap::Parser;
use iam_role_last_used::aws::alarm::alarm_status;
use iam_role_last_used::aws::config_rule::{
    aggregate_results, recorded_result_times, recorded_results, rule_status,
};
use iam_role_last_used::aws::iam::{
    fetch_roles_with_progress, fetch_users_with_progress, PAGE_SIZE,
};
use iam_role_last_used::aws::{credential_report, load_sdk_config, quarantine};
use iam_role_last_used::cli::hints::hint;
use iam_role_last_used::cli::output::{render, Row, TableStyle};
use iam_role_last_used::cli::quarantine::{Action, Done};
use iam_role_last_used::cli::{report, snapshot};
use iam_role_last_used::core::credential_report::{self as report_csv, CredentialReport};
use iam_role_last_used::core::evaluate::{self, evaluate, users};
use iam_role_last_used::core::quarantine as core_quarantine;
use iam_role_last_used::core::results::{Compliance, ResourceType};
use iam_role_last_used::core::role::Role;
use iam_role_last_used::core::rule_status::{verdict, RuleEvidence, StatusReport};
use iam_role_last_used::core::settings::RuleKind;
use iam_role_last_used::core::settings::SdkPolicy;
use iam_role_last_used::core::user::{User, UsersAccount};
use iam_role_last_used::Error;

use args::{
    AwsArgs, ChangeArgs, Cli, Command, EvaluateArgs, Kind, OutputArgs, PermissionsArgs,
    QuarantineArgs, ReportArgs, RestoreArgs, StatusArgs, StatusFormat,
};
use exit_codes::Exit;

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
    let non_compliant = rows
        .iter()
        .any(|r| r.compliance_type == Compliance::NonCompliant);
    if output.fail_on_non_compliant && non_compliant {
        Exit::NonCompliant
    } else {
        Exit::Done
    }
}

fn outcome(kind: Kind, rows: &[Row], output: &OutputArgs) -> Outcome {
    Outcome {
        text: render(kind.into(), rows, output.format.into(), table_style()),
        warnings: Vec::new(),
        exit: rows_exit(rows, output),
    }
}

async fn sdk(aws: &AwsArgs) -> Result<aws_config::SdkConfig, Error> {
    let policy = SdkPolicy::from_env(|name| std::env::var(name).ok())?;
    Ok(load_sdk_config(&policy, aws.profile.as_deref(), aws.region.as_deref()).await)
}

/// A progress line on stderr while IAM is read page by page, when stderr is a terminal and the
/// account spans more than one page; cleared when the read ends.
struct Progress {
    noun: &'static str,
    show: bool,
    shown: bool,
}

impl Progress {
    fn new(noun: &'static str) -> Self {
        Progress {
            noun,
            show: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn page(&mut self, pages: usize, count: usize) {
        if self.show && count >= PAGE_SIZE as usize {
            let unit = if pages == 1 { "page" } else { "pages" };
            let noun = self.noun;
            eprint!("\rreading IAM {noun}: {count} {noun} in {pages} {unit}…");
            self.shown = true;
        }
    }

    fn clear(self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Reads every role live, with a [`Progress`] line.
async fn live_roles(sdk: &aws_config::SdkConfig) -> Result<Vec<Role>, Error> {
    let iam = aws_sdk_iam::Client::new(sdk);
    let mut progress = Progress::new("roles");
    let fetched = fetch_roles_with_progress(&iam, |pages, roles| progress.page(pages, roles)).await;
    progress.clear();
    Ok(fetched?.roles)
}

/// Reads every user live, with a [`Progress`] line.
async fn live_user_list(iam: &aws_sdk_iam::Client) -> Result<Vec<User>, Error> {
    let mut progress = Progress::new("users");
    let fetched = fetch_users_with_progress(iam, |pages, users| progress.page(pages, users)).await;
    progress.clear();
    Ok(fetched?.users)
}

/// The account's users, live: the credential report first, so a user created while it is read
/// is one the report cannot hold yet rather than one it lost.
async fn live_users(sdk: &aws_config::SdkConfig) -> Result<UsersAccount, Error> {
    let iam = aws_sdk_iam::Client::new(sdk);
    let report = credential_report::read(&iam).await?;
    let users = live_user_list(&iam).await?;
    Ok(UsersAccount { users, report })
}

/// A snapshot file's text, and its name for messages.
fn read_snapshot(path: &std::path::Path) -> Result<(String, String), Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::InvalidSnapshot {
        source_name: name.clone(),
        message: format!("cannot read it: {e}"),
    })?;
    Ok((text, name))
}

/// A credential report's CSV file, as of `generated` (the CSV does not say when it was made).
fn read_credential_report(
    path: &std::path::Path,
    generated: chrono::DateTime<Utc>,
) -> Result<CredentialReport, Error> {
    let invalid = |message: String| Error::InvalidOption {
        option: "--credential-report".to_owned(),
        value: path.display().to_string(),
        message,
    };
    let content = std::fs::read(path).map_err(|e| invalid(format!("cannot read it: {e}")))?;
    report_csv::parse(&content, generated).map_err(|problem| {
        invalid(format!(
            "line {}, {}: {}",
            problem.line, problem.field, problem.message
        ))
    })
}

async fn run_evaluate(args: &EvaluateArgs) -> Result<Outcome, Error> {
    args.check_kind()?;
    let now = args.common.now.unwrap_or_else(Utc::now);
    let kind = args.common.kind;
    let evaluations = match kind {
        Kind::Roles => {
            let params = args.rule_parameters()?;
            let roles = match &args.snapshot {
                Some(path) => {
                    let (text, name) = read_snapshot(path)?;
                    snapshot::parse(&text, &name)?
                }
                None => live_roles(&sdk(&args.common.aws).await?).await?,
            };
            evaluate(&roles, &params, now)
        }
        Kind::Permissions => return Err(args::permissions_not_previewed()),
        Kind::Users => {
            let params = args.user_parameters()?;
            let account = match (&args.snapshot, &args.credential_report) {
                (Some(snapshot_path), Some(report_path)) => {
                    let (text, name) = read_snapshot(snapshot_path)?;
                    let users = snapshot::parse_users(&text, &name)?;
                    let generated = args.report_generated.unwrap_or(now);
                    if generated > now {
                        // Ages count to the report's generation: one from the future would
                        // make every credential look younger than it is.
                        return Err(Error::InvalidOption {
                            option: "--report-generated".to_owned(),
                            value: generated.to_rfc3339_opts(SecondsFormat::Secs, true),
                            message: format!(
                                "is after --now {}: a report cannot be generated later than it is read",
                                now.to_rfc3339_opts(SecondsFormat::Secs, true)
                            ),
                        });
                    }
                    let report = read_credential_report(report_path, generated)?;
                    UsersAccount { users, report }
                }
                _ => live_users(&sdk(&args.common.aws).await?).await?,
            };
            users::evaluate(&account, &params, now)
        }
    };
    let rows: Vec<Row> = evaluations.iter().map(Row::from).collect();
    Ok(outcome(kind, &rows, &args.common.output))
}

/// The Config resource types the `--kind` rule reports on.
fn resource_types(kind: Kind) -> &'static [ResourceType] {
    match RuleKind::from(kind) {
        RuleKind::Roles => evaluate::RESOURCE_TYPES,
        RuleKind::Users => users::RESOURCE_TYPES,
        RuleKind::Permissions => evaluate::permissions::RESOURCE_TYPES,
    }
}

async fn run_report(args: &ReportArgs) -> Result<Outcome, Error> {
    if let Some(aggregator) = &args.aggregator {
        return run_aggregate_report(args, aggregator).await;
    }
    let sdk = sdk(&args.common.aws).await?;
    let config = aws_sdk_config::Client::new(&sdk);
    let wanted = if args.compliance.is_empty() {
        vec![
            Compliance::NonCompliant,
            Compliance::Compliant,
            Compliance::NotApplicable,
        ]
    } else {
        args.compliance.clone()
    };
    let kind = args.common.kind;
    let results = recorded_results(&config, &args.rule_name, &wanted, resource_types(kind)).await?;
    let rows = match kind {
        Kind::Roles => {
            let roles = live_roles(&sdk).await?;
            let now = args.common.now.unwrap_or_else(Utc::now);
            report::join(&results, &roles, now)
        }
        Kind::Users => {
            let users = live_user_list(&aws_sdk_iam::Client::new(&sdk)).await?;
            report::join_users(&results, &users)
        }
        Kind::Permissions => {
            let roles = live_roles(&sdk).await?;
            let users = live_user_list(&aws_sdk_iam::Client::new(&sdk)).await?;
            let now = args.common.now.unwrap_or_else(Utc::now);
            report::join_permissions(&results, &roles, &users, now)
        }
    };
    let rows = match args.privilege {
        Some(level) => report::at_least(rows, level.into()),
        None => rows,
    };
    Ok(outcome(kind, &rows, &args.common.output))
}

async fn run_aggregate_report(args: &ReportArgs, aggregator: &str) -> Result<Outcome, Error> {
    // Refused before any call: the aggregate APIs cannot answer it.
    let wanted = report::aggregate_compliance(&args.compliance)?;
    let sdk = sdk(&args.common.aws).await?;
    let config = aws_sdk_config::Client::new(&sdk);
    let account = args.account.as_deref();
    let found = aggregate_results(
        &config,
        aggregator,
        &args.rule_name,
        account,
        resource_types(args.common.kind),
    )
    .await?;
    let rows: Vec<Row> = report::aggregate_rows(&found.results)
        .into_iter()
        .filter(|row| wanted.contains(&row.compliance_type))
        .collect();
    let rows = match args.privilege {
        Some(level) => report::at_least(rows, level.into()),
        None => rows,
    };
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
        text: report::render_aggregate(
            args.common.kind.into(),
            &rows,
            &coverage,
            output.format.into(),
            table_style(),
        )?,
        warnings,
        exit: rows_exit(&rows, output),
    })
}

async fn run_status(args: &StatusArgs) -> Result<Outcome, Error> {
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

async fn run_permissions(args: &PermissionsArgs) -> Result<Outcome, Error> {
    use iam_role_last_used::aws::access_advisor::{self, Polling};
    use iam_role_last_used::cli::permissions::View;
    use iam_role_last_used::core::access::PolicyForm;

    let principal = args.principal()?;
    let now = args.now.unwrap_or_else(Utc::now);
    let iam = aws_sdk_iam::Client::new(&sdk(&args.aws).await?);
    let arn = access_advisor::principal_arn(&iam, &principal).await?;
    let report = access_advisor::report(&iam, &arn, &Polling::default())
        .await
        .map_err(|reason| access_advisor::report_error(&arn, &reason))?;
    let view = View {
        principal: &principal,
        report: &report,
        now,
        max_days: args.max_days,
        actions: args.actions,
        form: if args.boundary {
            PolicyForm::Boundary
        } else {
            PolicyForm::Inline
        },
    };
    Ok(Outcome {
        text: match args.format {
            StatusFormat::Json => view.json()?,
            StatusFormat::Table => view.table(),
        },
        warnings: Vec::new(),
        exit: if args.fail_on_unused && view.has_unused() {
            Exit::NonCompliant
        } else {
            Exit::Done
        },
    })
}

async fn run_quarantine(args: &QuarantineArgs) -> Result<Outcome, Error> {
    let change = &args.change;
    let (kind, name) = change.principal.named()?;
    let now = args.now.unwrap_or_else(Utc::now);
    let sdk = sdk(&change.aws).await?;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let target = quarantine::read_target(&iam, kind, &name).await?;
    core_quarantine::principal_guards(&target).map_err(Error::QuarantineRefused)?;
    let config = aws_sdk_config::Client::new(&sdk);
    let rule = quarantine::rule_view(&config, &args.rule_name, &target).await?;
    let calls = core_quarantine::quarantine(&target, &rule, now, core_quarantine::BY_CLI)
        .map_err(Error::QuarantineRefused)?;
    make(&iam, Action::Quarantine, &target, &calls, change).await
}

async fn run_restore(args: &RestoreArgs) -> Result<Outcome, Error> {
    let change = &args.change;
    let (kind, name) = change.principal.named()?;
    let iam = aws_sdk_iam::Client::new(&sdk(&change.aws).await?);
    let target = quarantine::read_target(&iam, kind, &name).await?;
    let calls = core_quarantine::restore(&target).map_err(Error::QuarantineRefused)?;
    make(&iam, Action::Restore, &target, &calls, change).await
}

/// Makes the calls (unless a dry run) and says what was done.
async fn make(
    iam: &aws_sdk_iam::Client,
    action: Action,
    target: &core_quarantine::Target,
    calls: &[core_quarantine::Call],
    change: &ChangeArgs,
) -> Result<Outcome, Error> {
    if !change.dry_run {
        quarantine::apply(iam, &target.name, calls).await?;
    }
    let done = Done {
        action,
        target,
        calls,
        dry_run: change.dry_run,
    };
    Ok(Outcome {
        text: match change.format {
            StatusFormat::Json => done.json()?,
            StatusFormat::Table => done.table(),
        },
        warnings: Vec::new(),
        exit: Exit::Done,
    })
}

async fn run(cli: &Cli) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Evaluate(args) => run_evaluate(args).await,
        Command::Report(args) => run_report(args).await,
        Command::Status(args) => run_status(args).await,
        Command::Permissions(args) => run_permissions(args).await,
        Command::Quarantine(args) => run_quarantine(args).await,
        Command::Restore(args) => run_restore(args).await,
    }
}

/// Prints the outcome; a closed pipe (`| head`) is the reader's choice, not an error.
fn print(outcome: Outcome) -> Exit {
    for warning in &outcome.warnings {
        eprintln!("role-audit: {warning}");
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(outcome.text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => outcome.exit,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => outcome.exit,
        Err(e) => {
            eprintln!("role-audit: writing the output failed: {e}");
            Exit::Error
        }
    }
}

/// The error, the accounts under it for an aggregator without results, and a hint.
fn print_failure(error: &Error) -> Exit {
    eprintln!("role-audit: {error}");
    if let Error::NoAggregateResults {
        accounts, account, ..
    } = error
    {
        eprint!("{}", report::no_results_note(accounts, account.as_deref()));
    }
    if let Some(hint) = hint(error) {
        eprintln!("hint: {hint}");
    }
    if matches!(error, Error::QuarantineRefused(_)) {
        return Exit::Refused;
    }
    Exit::Error
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(outcome) => print(outcome),
        Err(error) => print_failure(&error),
    }
    .into()
}
