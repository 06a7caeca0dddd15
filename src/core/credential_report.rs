//! IAM's credential report, parsed (pure): the CSV `GetCredentialReport` returns, one row per
//! user, with each console password's and access key's last use.
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>

use chrono::{DateTime, Utc};

/// The report's row for the account's root user: not an IAM user, never evaluated.
pub const ROOT_ACCOUNT: &str = "<root_account>";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    /// `GeneratedTime` from GetCredentialReport: what the report's data is as of.
    pub generated: DateTime<Utc>,
    /// Every IAM user's row, in the report's order; the root account's row is left out.
    pub rows: Vec<CredentialRow>,
}

/// One IAM user's credentials, as the report states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRow {
    /// The CSV line the row was read from (the header is line 1), for messages.
    pub line: usize,
    /// `user`
    pub user: String,
    /// `arn`: the key the report is joined to IAM's users by.
    pub arn: String,
    /// `user_creation_time`
    pub user_created: DateTime<Utc>,
    /// None when `password_enabled` is FALSE: the user has no console password.
    pub password: Option<Password>,
    /// Slots 1 and 2 (`access_key_1_*`, `access_key_2_*`); None where the slot holds no key.
    pub access_keys: [Option<AccessKey>; 2],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    /// `password_last_used`; None for `no_information` (never used since IAM began tracking).
    pub last_used: Option<DateTime<Utc>>,
    /// `password_last_changed`: when the password was set; None where the report gives none.
    pub last_changed: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `access_key_N_active`
    pub active: bool,
    /// `access_key_N_last_rotated`: when the key was created or last changed.
    pub created: DateTime<Utc>,
    /// None: never used (`N/A`).
    pub last_used: Option<KeyUse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    /// `access_key_N_last_used_date`
    pub at: DateTime<Utc>,
    /// `access_key_N_last_used_region`, None for `N/A`.
    pub region: Option<String>,
    /// `access_key_N_last_used_service`, None for `N/A`.
    pub service: Option<String>,
}

/// A row or field the parser cannot read; nothing is evaluated from such a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProblem {
    /// The CSV line (the header is line 1).
    pub line: usize,
    /// The column's name as the report spells it (`password_last_used`), or `header`/`row`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ReportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "credential report line {}, {}: {}",
            self.line, self.field, self.message
        )
    }
}

/// The columns the rule reads, found by name in the header: IAM may add or reorder columns.
const USER: &str = "user";
const ARN: &str = "arn";
const USER_CREATION_TIME: &str = "user_creation_time";
const PASSWORD_ENABLED: &str = "password_enabled";
const PASSWORD_LAST_USED: &str = "password_last_used";
const PASSWORD_LAST_CHANGED: &str = "password_last_changed";

/// Each access-key slot's columns, `access_key_N_...`.
struct KeyColumns {
    active: String,
    last_rotated: String,
    last_used_date: String,
    last_used_region: String,
    last_used_service: String,
}

impl KeyColumns {
    fn of_slot(slot: usize) -> Self {
        let column = |suffix: &str| format!("access_key_{slot}_{suffix}");
        Self {
            active: column("active"),
            last_rotated: column("last_rotated"),
            last_used_date: column("last_used_date"),
            last_used_region: column("last_used_region"),
            last_used_service: column("last_used_service"),
        }
    }

    fn names(&self) -> [&str; 5] {
        [
            &self.active,
            &self.last_rotated,
            &self.last_used_date,
            &self.last_used_region,
            &self.last_used_service,
        ]
    }
}

/// "Not applicable": no such credential, or (for a key's last use) none recorded.
const NOT_APPLICABLE: &str = "N/A";
/// A password with no recorded sign-in (none since IAM began tracking on 2014-10-20).
const NO_INFORMATION: &str = "no_information";
/// The root account's values for what only IAM users have; moto also writes it for a user
/// without a password and for a key's region and service.
const NOT_SUPPORTED: &str = "not_supported";

/// Parses the report's CSV (the decoded `Content` of GetCredentialReport).
///
/// Columns are found by their header names; a missing one is a problem on line 1. The
/// `<root_account>` row is skipped unread. Every other row must hold, in the columns read:
/// - `user`, `arn`: not empty; `user_creation_time`: a date.
/// - booleans `TRUE`/`FALSE` in any case (the User Guide writes them upper-case, IAM and
///   moto lower-case).
/// - dates: ISO 8601 with an offset (`+00:00`) or `Z`, as RFC 3339; fractions of a second kept.
///
/// How the value forms combine, where the User Guide is silent:
/// - `password_enabled` FALSE: no password, whatever `password_last_used` says (a date there
///   is the use of a password since removed); the column must still hold a date, `N/A`,
///   `no_information` or `not_supported`.
/// - `password_enabled` TRUE with `password_last_used` `no_information` or `N/A`: a password
///   never used; `not_supported` there is an error (only the root account has it).
/// - `password_last_changed` `N/A`/`not_supported`: unknown, the evaluator counts from the
///   user's creation instead.
/// - `access_key_N_active` TRUE needs a `last_rotated` date (the key's age is counted from it):
///   `N/A` there is an error. FALSE with `N/A`: the slot is empty; FALSE with a date: an
///   inactive key, kept so the annotation can mention it.
/// - `access_key_N_last_used_date` `N/A`: never used (or not since 2015-04-22); its region
///   and service are then not read. With a date, region and service `N/A` or `not_supported`
///   are unknown (IAM writes `N/A` for a service without regions).
pub fn parse(content: &[u8], generated: DateTime<Utc>) -> Result<CredentialReport, ReportProblem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(content);
    let header = reader.headers().map_err(|e| csv_problem(&e, 1))?.clone();
    let keys = [KeyColumns::of_slot(1), KeyColumns::of_slot(2)];
    let required = [
        USER,
        ARN,
        USER_CREATION_TIME,
        PASSWORD_ENABLED,
        PASSWORD_LAST_USED,
        PASSWORD_LAST_CHANGED,
    ]
    .into_iter()
    .chain(keys.iter().flat_map(KeyColumns::names));
    let mut missing = Vec::new();
    for name in required {
        match header.iter().filter(|h| *h == name).count() {
            1 => {}
            0 => missing.push(name.to_owned()),
            _ => {
                return Err(ReportProblem {
                    line: 1,
                    field: "header".to_owned(),
                    message: format!("column {name} appears more than once"),
                })
            }
        }
    }
    if !missing.is_empty() {
        return Err(ReportProblem {
            line: 1,
            field: "header".to_owned(),
            message: format!(
                "missing column{} {}; the header is {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                shorten(&header.iter().collect::<Vec<_>>().join(","))
            ),
        });
    }

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line_before = usize::try_from(reader.position().line()).unwrap_or(usize::MAX);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_problem(&e, line_before)),
        }
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(line_before);
        let row = Row {
            header: &header,
            record: &record,
            line,
        };
        if row.get(USER) == ROOT_ACCOUNT {
            continue;
        }
        rows.push(row.parse(&keys)?);
    }
    Ok(CredentialReport { generated, rows })
}

/// A CSV-level failure (bad quoting, wrong number of fields, invalid UTF-8).
fn csv_problem(error: &csv::Error, line_otherwise: usize) -> ReportProblem {
    let line = error
        .position()
        .and_then(|p| usize::try_from(p.line()).ok())
        .unwrap_or(line_otherwise);
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
        _ => error.to_string(),
    };
    ReportProblem {
        line: line.max(1),
        field: "row".to_owned(),
        message,
    }
}

struct Row<'a> {
    header: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
    line: usize,
}

impl Row<'_> {
    /// The value in the column named `name`; the header check made sure it exists and the
    /// reader that every row has as many fields as the header.
    fn get(&self, name: &str) -> &str {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    fn problem(&self, field: &str, message: String) -> ReportProblem {
        ReportProblem {
            line: self.line,
            field: field.to_owned(),
            message,
        }
    }

    /// `value` quoted and shortened, then why it cannot be read.
    fn bad_value(&self, field: &str, why: &str) -> ReportProblem {
        self.problem(
            field,
            format!("{} {why}", shorten(&format!("{:?}", self.get(field)))),
        )
    }

    fn text(&self, field: &str) -> Result<String, ReportProblem> {
        let value = self.get(field);
        if value.is_empty() {
            return Err(self.problem(field, "is empty".to_owned()));
        }
        Ok(value.to_owned())
    }

    fn boolean(&self, field: &str) -> Result<bool, ReportProblem> {
        let value = self.get(field);
        if value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.bad_value(field, "is not TRUE or FALSE"))
        }
    }

    fn date(&self, field: &str) -> Result<DateTime<Utc>, ReportProblem> {
        self.maybe_date(field, &[])?
            .ok_or_else(|| self.bad_value(field, "is not an ISO 8601 date-time"))
    }

    /// A date, or None for one of the `absent` words; anything else is a problem that lists
    /// the accepted forms.
    fn maybe_date(
        &self,
        field: &str,
        absent: &[&str],
    ) -> Result<Option<DateTime<Utc>>, ReportProblem> {
        let value = self.get(field);
        if absent.contains(&value) {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(value)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| {
                let mut forms = vec!["an ISO 8601 date-time".to_owned()];
                forms.extend(absent.iter().map(|w| (*w).to_owned()));
                self.bad_value(field, &format!("is not {}", or_list(&forms)))
            })
    }

    fn parse(&self, keys: &[KeyColumns; 2]) -> Result<CredentialRow, ReportProblem> {
        let user = self.text(USER)?;
        let arn = self.text(ARN)?;
        let user_created = self.date(USER_CREATION_TIME)?;

        let enabled = self.boolean(PASSWORD_ENABLED)?;
        let password = if enabled {
            let last_used =
                self.maybe_date(PASSWORD_LAST_USED, &[NO_INFORMATION, NOT_APPLICABLE])?;
            let last_changed =
                self.maybe_date(PASSWORD_LAST_CHANGED, &[NOT_APPLICABLE, NOT_SUPPORTED])?;
            Some(Password {
                last_used,
                last_changed,
            })
        } else {
            self.maybe_date(
                PASSWORD_LAST_USED,
                &[NOT_APPLICABLE, NO_INFORMATION, NOT_SUPPORTED],
            )?;
            self.maybe_date(PASSWORD_LAST_CHANGED, &[NOT_APPLICABLE, NOT_SUPPORTED])?;
            None
        };

        let [first, second] = keys;
        Ok(CredentialRow {
            line: self.line,
            user,
            arn,
            user_created,
            password,
            access_keys: [self.access_key(first)?, self.access_key(second)?],
        })
    }

    fn access_key(&self, columns: &KeyColumns) -> Result<Option<AccessKey>, ReportProblem> {
        let active = self.boolean(&columns.active)?;
        let created = match self.maybe_date(&columns.last_rotated, &[NOT_APPLICABLE])? {
            Some(created) => created,
            None if active => {
                return Err(self.problem(
                    &columns.last_rotated,
                    format!(
                        "is N/A for an active key ({} is {:?}): its age cannot be told",
                        columns.active,
                        self.get(&columns.active)
                    ),
                ))
            }
            None => return Ok(None),
        };
        let last_used = self
            .maybe_date(&columns.last_used_date, &[NOT_APPLICABLE])?
            .map(|at| KeyUse {
                at,
                region: self.optional_text(&columns.last_used_region),
                service: self.optional_text(&columns.last_used_service),
            });
        Ok(Some(AccessKey {
            active,
            created,
            last_used,
        }))
    }

    /// A region or service: None for `N/A`, `not_supported` or empty.
    fn optional_text(&self, field: &str) -> Option<String> {
        match self.get(field) {
            "" | NOT_APPLICABLE | NOT_SUPPORTED => None,
            value => Some(value.to_owned()),
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Quotes report content in a message, cut so one odd field cannot flood the logs.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The header IAM writes (the User Guide's column order).
    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    const ROOT: &str = "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn generated() -> DateTime<Utc> {
        at(2024, 6, 1, 12)
    }

    /// A user row from its password columns and each key slot's five columns.
    fn row(name: &str, password: &str, key1: &str, key2: &str) -> String {
        format!("{name},arn:aws:iam::123456789012:user/{name},2023-01-01T00:00:00+00:00,{password},N/A,false,{key1},{key2},false,N/A,false,N/A")
    }

    const NO_PASSWORD: &str = "false,N/A,N/A";
    const NO_KEY: &str = "false,N/A,N/A,N/A,N/A";

    fn parse_rows(rows: &[String]) -> Result<CredentialReport, ReportProblem> {
        let text = std::iter::once(HEADER.to_owned())
            .chain(rows.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n");
        parse(text.as_bytes(), generated())
    }

    fn one(row_text: String) -> CredentialRow {
        let report = parse_rows(&[row_text]).unwrap();
        assert_eq!(report.rows.len(), 1);
        report.rows.into_iter().next().unwrap()
    }

    fn problem(rows: &[String]) -> (usize, String, String) {
        let p = parse_rows(rows).unwrap_err();
        (p.line, p.field, p.message)
    }

    #[test]
    fn a_user_with_a_used_password_and_a_used_key() {
        let row = one(row(
            "alice",
            "TRUE,2024-05-30T08:15:00+00:00,2023-02-01T00:00:00+00:00",
            "TRUE,2023-03-01T00:00:00+00:00,2024-05-20T10:00:00+00:00,us-east-1,s3",
            NO_KEY,
        ));
        assert_eq!(
            row,
            CredentialRow {
                line: 2,
                user: "alice".to_owned(),
                arn: "arn:aws:iam::123456789012:user/alice".to_owned(),
                user_created: at(2023, 1, 1, 0),
                password: Some(Password {
                    last_used: Some(Utc.with_ymd_and_hms(2024, 5, 30, 8, 15, 0).unwrap()),
                    last_changed: Some(at(2023, 2, 1, 0)),
                }),
                access_keys: [
                    Some(AccessKey {
                        active: true,
                        created: at(2023, 3, 1, 0),
                        last_used: Some(KeyUse {
                            at: at(2024, 5, 20, 10),
                            region: Some("us-east-1".to_owned()),
                            service: Some("s3".to_owned()),
                        }),
                    }),
                    None,
                ],
            }
        );
    }

    #[test]
    fn value_forms() {
        // (password columns, key 1 columns, expected password, expected key 1)
        let created = at(2023, 3, 1, 0);
        let cases: Vec<(&str, &str, Option<Password>, Option<AccessKey>)> = vec![
            // lower-case booleans, as IAM and moto write them
            ("false,N/A,N/A", "false,N/A,N/A,N/A,N/A", None, None),
            // moto: no password is not_supported
            ("false,not_supported,2023-01-01T00:00:00+00:00", NO_KEY, None, None),
            // a password removed after use: still no password
            ("FALSE,2022-01-01T00:00:00+00:00,N/A", NO_KEY, None, None),
            // never used
            (
                "true,no_information,2023-02-01T00:00:00Z",
                NO_KEY,
                Some(Password { last_used: None, last_changed: Some(at(2023, 2, 1, 0)) }),
                None,
            ),
            (
                "True,N/A,N/A",
                NO_KEY,
                Some(Password { last_used: None, last_changed: None }),
                None,
            ),
            // an offset other than +00:00 and a fraction of a second
            (
                "TRUE,2024-05-30T10:15:00.5+02:00,not_supported",
                NO_KEY,
                Some(Password {
                    last_used: Some(
                        Utc.with_ymd_and_hms(2024, 5, 30, 8, 15, 0).unwrap()
                            + chrono::Duration::milliseconds(500),
                    ),
                    last_changed: None,
                }),
                None,
            ),
            // an inactive key is kept
            (
                NO_PASSWORD,
                "false,2023-03-01T00:00:00+00:00,N/A,N/A,N/A",
                None,
                Some(AccessKey { active: false, created, last_used: None }),
            ),
            // a key never used: region and service not read
            (
                NO_PASSWORD,
                "true,2023-03-01T00:00:00+00:00,N/A,whatever,whatever",
                None,
                Some(AccessKey { active: true, created, last_used: None }),
            ),
            // a global service: region N/A; moto's not_supported
            (
                NO_PASSWORD,
                "true,2023-03-01T00:00:00+00:00,2024-01-01T00:00:00Z,N/A,iam",
                None,
                Some(AccessKey {
                    active: true,
                    created,
                    last_used: Some(KeyUse { at: at(2024, 1, 1, 0), region: None, service: Some("iam".to_owned()) }),
                }),
            ),
            (
                NO_PASSWORD,
                "true,2023-03-01T00:00:00+00:00,2024-01-01T00:00:00+00:00,not_supported,not_supported",
                None,
                Some(AccessKey {
                    active: true,
                    created,
                    last_used: Some(KeyUse { at: at(2024, 1, 1, 0), region: None, service: None }),
                }),
            ),
        ];
        for (password, key1, expected_password, expected_key) in cases {
            let row = one(row("u", password, key1, NO_KEY));
            assert_eq!(row.password, expected_password, "{password}");
            assert_eq!(row.access_keys[0], expected_key, "{key1}");
            assert_eq!(row.access_keys[1], None);
        }
    }

    #[test]
    fn key_slots_are_read_from_their_own_columns() {
        let row = one(row(
            "u",
            NO_PASSWORD,
            NO_KEY,
            "true,2024-05-31T00:00:00+00:00,N/A,N/A,N/A",
        ));
        assert_eq!(row.access_keys[0], None);
        assert_eq!(
            row.access_keys[1],
            Some(AccessKey {
                active: true,
                created: at(2024, 5, 31, 0),
                last_used: None
            })
        );
    }

    #[test]
    fn the_root_account_row_is_skipped() {
        let report =
            parse_rows(&[ROOT.to_owned(), row("bob", NO_PASSWORD, NO_KEY, NO_KEY)]).unwrap();
        assert_eq!(
            report
                .rows
                .iter()
                .map(|r| (r.line, r.user.as_str()))
                .collect::<Vec<_>>(),
            [(3, "bob")]
        );
        assert_eq!(report.generated, generated());
    }

    #[test]
    fn names_with_commas_and_quotes_are_read_whole() {
        // IAM user names may hold , + = . @ - ; a quoted field keeps its comma.
        let text = format!(
            "{HEADER}\n\"a,b+c=d.e@f-g\",\"arn:aws:iam::123456789012:user/a,b+c=d.e@f-g\",2023-01-01T00:00:00+00:00,{NO_PASSWORD},N/A,false,{NO_KEY},{NO_KEY},false,N/A,false,N/A\n"
        );
        let report = parse(text.as_bytes(), generated()).unwrap();
        assert_eq!(report.rows[0].user, "a,b+c=d.e@f-g");
        assert_eq!(
            report.rows[0].arn,
            "arn:aws:iam::123456789012:user/a,b+c=d.e@f-g"
        );
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let text = "access_key_2_last_used_service,access_key_2_last_used_region,access_key_2_last_used_date,access_key_2_last_rotated,access_key_2_active,access_key_1_last_used_service,access_key_1_last_used_region,access_key_1_last_used_date,access_key_1_last_rotated,access_key_1_active,password_last_changed,password_last_used,password_enabled,user_creation_time,arn,user\n\
             N/A,N/A,N/A,N/A,false,ec2,eu-west-1,2024-05-01T00:00:00+00:00,2023-03-01T00:00:00+00:00,true,N/A,N/A,false,2023-01-01T00:00:00+00:00,arn:aws:iam::1:user/x,x\n";
        let row = &parse(text.as_bytes(), generated()).unwrap().rows[0];
        assert_eq!(
            (row.user.as_str(), row.arn.as_str()),
            ("x", "arn:aws:iam::1:user/x")
        );
        assert_eq!(
            row.access_keys[0]
                .as_ref()
                .and_then(|k| k.last_used.clone()),
            Some(KeyUse {
                at: at(2024, 5, 1, 0),
                region: Some("eu-west-1".to_owned()),
                service: Some("ec2".to_owned())
            })
        );
    }

    #[test]
    fn an_empty_report_has_no_rows() {
        assert_eq!(parse_rows(&[]).unwrap().rows, []);
        assert_eq!(parse_rows(&[ROOT.to_owned()]).unwrap().rows, []);
    }

    #[test]
    fn unreadable_rows_and_fields_are_problems_naming_line_and_column() {
        let ok = row("ok", NO_PASSWORD, NO_KEY, NO_KEY);
        let long_message = format!("\"{}… is not TRUE or FALSE", "x".repeat(79));
        type Expected<'a> = (usize, &'a str, &'a str);
        let cases: Vec<(Vec<String>, Expected)> = vec![
            (vec![ok.clone(), row("u", "yes,N/A,N/A", NO_KEY, NO_KEY)], (3, "password_enabled", "\"yes\" is not TRUE or FALSE")),
            (vec![row("u", "not_supported,N/A,N/A", NO_KEY, NO_KEY)], (2, "password_enabled", "\"not_supported\" is not TRUE or FALSE")),
            (vec![row("u", "true,not_supported,N/A", NO_KEY, NO_KEY)], (2, "password_last_used", "\"not_supported\" is not an ISO 8601 date-time, no_information or N/A")),
            (vec![row("u", "true,2024-13-01T00:00:00+00:00,N/A", NO_KEY, NO_KEY)], (2, "password_last_used", "\"2024-13-01T00:00:00+00:00\" is not an ISO 8601 date-time, no_information or N/A")),
            (vec![row("u", "false,yesterday,N/A", NO_KEY, NO_KEY)], (2, "password_last_used", "\"yesterday\" is not an ISO 8601 date-time, N/A, no_information or not_supported")),
            (vec![row("u", "true,N/A,2024-05-01", NO_KEY, NO_KEY)], (2, "password_last_changed", "\"2024-05-01\" is not an ISO 8601 date-time, N/A or not_supported")),
            (vec![row("u", NO_PASSWORD, "true,N/A,N/A,N/A,N/A", NO_KEY)], (2, "access_key_1_last_rotated", "is N/A for an active key (access_key_1_active is \"true\"): its age cannot be told")),
            (vec![row("u", NO_PASSWORD, NO_KEY, "TRUE,N/A,N/A,N/A,N/A")], (2, "access_key_2_last_rotated", "is N/A for an active key (access_key_2_active is \"TRUE\"): its age cannot be told")),
            (vec![row("u", NO_PASSWORD, NO_KEY, "1,N/A,N/A,N/A,N/A")], (2, "access_key_2_active", "\"1\" is not TRUE or FALSE")),
            (vec![row("u", NO_PASSWORD, "true,2023-03-01T00:00:00+00:00,no_information,N/A,N/A", NO_KEY)], (2, "access_key_1_last_used_date", "\"no_information\" is not an ISO 8601 date-time or N/A")),
            (vec![row("u", NO_PASSWORD, "false,2023-03-01 00:00,N/A,N/A,N/A", NO_KEY)], (2, "access_key_1_last_rotated", "\"2023-03-01 00:00\" is not an ISO 8601 date-time or N/A")),
            (vec![ok.replace("2023-01-01T00:00:00+00:00", "N/A")], (2, "user_creation_time", "\"N/A\" is not an ISO 8601 date-time")),
            (vec![ok.replacen("ok,", ",", 1)], (2, "user", "is empty")),
            (vec![ok.clone(), ok.clone(), "a,b".to_owned()], (4, "row", "has 2 fields where the header has 22")),
            (vec![format!("{},{}", ok, "x")], (2, "row", "has 23 fields where the header has 22")),
            // a long value is shortened in the message
            (vec![row("u", &format!("{},N/A,N/A", "x".repeat(200)), NO_KEY, NO_KEY)], (2, "password_enabled", &long_message)),
        ];
        for (rows, (line, field, message)) in cases {
            assert_eq!(
                problem(&rows),
                (line, field.to_owned(), message.to_owned()),
                "{rows:?}"
            );
        }
    }

    #[test]
    fn a_missing_or_repeated_column_is_a_problem_on_line_1() {
        let without = HEADER
            .replace(",access_key_2_last_used_date", "")
            .replace("password_last_used,", "");
        let p = parse(format!("{without}\n").as_bytes(), generated()).unwrap_err();
        assert_eq!((p.line, p.field.as_str()), (1, "header"));
        assert!(
            p.message.starts_with("missing columns password_last_used, access_key_2_last_used_date; the header is user,arn,"),
            "{}",
            p.message
        );
        let p = parse(b"", generated()).unwrap_err();
        assert_eq!((p.line, p.field.as_str()), (1, "header"));
        let p = parse(format!("{HEADER},arn\n").as_bytes(), generated()).unwrap_err();
        assert_eq!(
            (p.line, p.field, p.message),
            (
                1,
                "header".to_owned(),
                "column arn appears more than once".to_owned()
            )
        );
    }

    #[test]
    fn invalid_utf8_is_a_problem_naming_the_line() {
        let mut bytes =
            format!("{HEADER}\n{}\n", row("ok", NO_PASSWORD, NO_KEY, NO_KEY)).into_bytes();
        bytes.extend_from_slice(b"\xff\xfe");
        bytes.extend_from_slice(row("u", NO_PASSWORD, NO_KEY, NO_KEY).as_bytes());
        let p = parse(&bytes, generated()).unwrap_err();
        assert_eq!(
            (p.line, p.field.as_str(), p.message.as_str()),
            (3, "row", "is not valid UTF-8")
        );
    }

    #[test]
    fn a_problem_reads_as_line_column_and_message() {
        let p = ReportProblem {
            line: 7,
            field: "password_enabled".to_owned(),
            message: "\"yes\" is not TRUE or FALSE".to_owned(),
        };
        assert_eq!(
            p.to_string(),
            "credential report line 7, password_enabled: \"yes\" is not TRUE or FALSE"
        );
    }
}
