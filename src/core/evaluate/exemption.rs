//! What the exempt tag's value says, pure: an exemption for ever, one that holds through a day,
//! or an attempt at a day that is not one (which must never exempt for ever).
//!
//! The grammar, on the value with surrounding spaces trimmed:
//! - starts with the word `until` (any case, followed by nothing or a character that is not a
//!   letter or digit): it must be `until=YYYY-MM-DD`, spaces allowed around `=`, optionally
//!   followed by free text after a space or a `;`; anything else is invalid. IAM's tag values
//!   allow letters, digits, spaces and `_ . : / = + - @` only, so a space (or ` / `, ` - `) is the
//!   separator a real tag can carry; `;` is accepted as well;
//! - holds `until=` elsewhere, or starts with a date (`2027-03-31`, `2027/03/31`): an attempt at
//!   a dated exemption in the wrong place, invalid;
//! - any other value, empty included: exempt for ever.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exemption {
    ForEver,
    /// Holds through `date` (UTC), `note` being the free text after the date, if any.
    Until {
        date: NaiveDate,
        note: Option<String>,
    },
    /// The value (as given, trimmed) and what is wrong with it.
    Invalid {
        value: String,
        problem: Problem,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `until` not followed by `=`.
    NoEquals,
    /// After `=`, not four digits, `-`, two digits, `-`, two digits.
    NotADate,
    /// The shape of a date, but no such day (`2027-02-30`).
    NoSuchDay,
    /// A date or `until=` that is not at the start (`keep until=2027-03-31`, `2027-03-31`).
    NotAtStart,
}

const KEYWORD: &str = "until";

pub fn parse(value: &str) -> Exemption {
    let value = value.trim();
    let invalid = |problem| Exemption::Invalid {
        value: value.to_owned(),
        problem,
    };
    let Some(rest) = strip_keyword(value) else {
        if starts_with_a_date(value) || value.to_ascii_lowercase().contains("until=") {
            return invalid(Problem::NotAtStart);
        }
        return Exemption::ForEver;
    };
    let Some(rest) = rest.trim_start().strip_prefix('=') else {
        return invalid(Problem::NoEquals);
    };
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| c == ';' || c.is_whitespace())
        .unwrap_or(rest.len());
    let (date, note) = rest.split_at(end);
    let note = note.trim_start_matches(|c: char| c.is_whitespace() || ";/-".contains(c));
    let note = Some(note.trim_end());
    let Some((year, month, day)) = date_fields(date) else {
        return invalid(Problem::NotADate);
    };
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => Exemption::Until {
            date,
            note: note.filter(|n| !n.is_empty()).map(str::to_owned),
        },
        None => invalid(Problem::NoSuchDay),
    }
}

/// The text after a leading word `until`, any case.
fn strip_keyword(value: &str) -> Option<&str> {
    let head = value.get(..KEYWORD.len())?;
    if !head.eq_ignore_ascii_case(KEYWORD) {
        return None;
    }
    let rest = &value[KEYWORD.len()..];
    match rest.chars().next() {
        Some(c) if c.is_alphanumeric() => None,
        _ => Some(rest),
    }
}

/// Four digits and a date separator: what a date written without `until=` starts with.
fn starts_with_a_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 5 && bytes[..4].iter().all(u8::is_ascii_digit) && matches!(bytes[4], b'-' | b'/')
}

/// `YYYY-MM-DD` exactly: ASCII digits, no sign, no other widths.
fn date_fields(text: &str) -> Option<(i32, u32, u32)> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    Some((
        text[0..4].parse().ok()?,
        text[5..7].parse().ok()?,
        text[8..10].parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn until(date: NaiveDate, note: Option<&str>) -> Exemption {
        Exemption::Until {
            date,
            note: note.map(str::to_owned),
        }
    }

    fn invalid(value: &str, problem: Problem) -> Exemption {
        Exemption::Invalid {
            value: value.to_owned(),
            problem,
        }
    }

    #[test]
    fn every_form_of_the_tag_value() {
        use Problem::*;
        let d = day(2027, 3, 31);
        for (value, expected) in [
            // Key-only: any value not starting with the word `until`, for ever.
            ("", Exemption::ForEver),
            ("true", Exemption::ForEver),
            ("quarterly job, see FIN-1423", Exemption::ForEver),
            ("untilted project", Exemption::ForEver),
            ("2027 budget line", Exemption::ForEver),
            ("owner ops@example.com", Exemption::ForEver),
            ("until2027-03-31", Exemption::ForEver),
            // Dated.
            ("until=2027-03-31", until(d, None)),
            ("  until=2027-03-31  ", until(d, None)),
            ("UNTIL=2027-03-31", until(d, None)),
            ("Until = 2027-03-31", until(d, None)),
            ("until=2027-03-31;", until(d, None)),
            ("until=2027-03-31 ;   ", until(d, None)),
            (
                "until=2027-03-31; DR role, owner ops",
                until(d, Some("DR role, owner ops")),
            ),
            (
                "until=2027-03-31;DR; second part",
                until(d, Some("DR; second part")),
            ),
            // Separators a real IAM tag value can hold (no `;` or `,` there).
            (
                "until=2027-03-31 DR role owner ops",
                until(d, Some("DR role owner ops")),
            ),
            (
                "until=2027-03-31 / DR role - owner ops@example.com",
                until(d, Some("DR role - owner ops@example.com")),
            ),
            ("until=2027-03-31 - DR", until(d, Some("DR"))),
            ("until = 2027-03-31   DR  ", until(d, Some("DR"))),
            ("until=2028-02-29", until(day(2028, 2, 29), None)),
            // Attempts at a date that are not one.
            ("until", invalid("until", NoEquals)),
            ("until 2027-03-31", invalid("until 2027-03-31", NoEquals)),
            ("until: 2027-03-31", invalid("until: 2027-03-31", NoEquals)),
            (
                "Until further notice",
                invalid("Until further notice", NoEquals),
            ),
            ("until=soon", invalid("until=soon", NotADate)),
            ("until=", invalid("until=", NotADate)),
            ("until=; DR", invalid("until=; DR", NotADate)),
            ("until=2027-3-31", invalid("until=2027-3-31", NotADate)),
            ("until=27-03-31", invalid("until=27-03-31", NotADate)),
            ("until=+2027-03-31", invalid("until=+2027-03-31", NotADate)),
            ("until=2027/03/31", invalid("until=2027/03/31", NotADate)),
            (
                "until=2027-03-31T00:00:00Z",
                invalid("until=2027-03-31T00:00:00Z", NotADate),
            ),
            ("until=31-03-2027", invalid("until=31-03-2027", NotADate)),
            (
                "until=２０２７-03-31",
                invalid("until=２０２７-03-31", NotADate),
            ),
            ("until=2027-02-30", invalid("until=2027-02-30", NoSuchDay)),
            ("until=2027-02-29", invalid("until=2027-02-29", NoSuchDay)),
            ("until=2027-13-01", invalid("until=2027-13-01", NoSuchDay)),
            ("until=2027-00-10", invalid("until=2027-00-10", NoSuchDay)),
            (
                "until=2027-04-31; DR",
                invalid("until=2027-04-31; DR", NoSuchDay),
            ),
            (
                "until=2027-04-31 DR",
                invalid("until=2027-04-31 DR", NoSuchDay),
            ),
            (
                "until=2027-03-31DR",
                invalid("until=2027-03-31DR", NotADate),
            ),
            // A date or `until=` out of place.
            ("2027-03-31", invalid("2027-03-31", NotAtStart)),
            (
                "2027/03/31 DR role",
                invalid("2027/03/31 DR role", NotAtStart),
            ),
            (
                "keep until=2027-03-31",
                invalid("keep until=2027-03-31", NotAtStart),
            ),
            (
                "DR role UNTIL=2027-03-31",
                invalid("DR role UNTIL=2027-03-31", NotAtStart),
            ),
        ] {
            assert_eq!(parse(value), expected, "{value:?}");
        }
    }
}
