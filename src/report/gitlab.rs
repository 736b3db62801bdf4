//! `--format gitlab`: GitLab Code Quality report (a JSON array of issues), written as it is
//! serialized. Fields are declared in the order of their names, as the output has always listed
//! them.

use std::io::{self, Write};

use serde::Serialize;

use super::{Fingerprints, INPUT_ERROR, LineIndexes, Report, Streamed, input_error_fingerprint};
use crate::diagnostic::{Severity, Text};

#[derive(Serialize)]
struct Issue<'a> {
    categories: [&'static str; 1],
    check_name: &'static str,
    content: Content,
    description: String,
    fingerprint: String,
    location: Location<'a>,
    severity: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Content {
    body: Text,
}

#[derive(Serialize)]
struct Location<'a> {
    /// For a file that could not be read, which has no positions.
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Lines>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    positions: Option<Positions>,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

#[derive(Serialize)]
struct Positions {
    begin: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    column: usize,
    line: usize,
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut indexes = LineIndexes::new(report.files);
    let mut fingerprints = Fingerprints::default();
    let issues = report.findings.iter().map(move |d| {
        let (start, end) = indexes.span(&d);
        let fingerprint = fingerprints.next(report, &d);
        let severity = match d.severity {
            Severity::Error => "major",
            Severity::Warning => "minor",
            Severity::Info => "info",
        };
        Issue {
            categories: ["Bug Risk"],
            check_name: d.rule.as_str(),
            content: Content {
                body: d.help.unwrap_or(Text::Static("")),
            },
            description: d.message,
            fingerprint,
            location: Location {
                lines: None,
                path: &report.files[d.file].name,
                positions: Some(Positions {
                    begin: Position {
                        column: start.column,
                        line: start.line,
                    },
                    end: Position {
                        column: end.column,
                        line: end.line,
                    },
                }),
            },
            severity,
            kind: "issue",
        }
    });
    let errors = report.input_errors.iter().map(|error| Issue {
        categories: ["Bug Risk"],
        check_name: INPUT_ERROR,
        content: Content {
            body: Text::Static("The file could not be linted."),
        },
        description: error.message.clone(),
        fingerprint: input_error_fingerprint(error),
        location: Location {
            lines: Some(Lines { begin: 1 }),
            path: &error.path,
            positions: None,
        },
        severity: "major",
        kind: "issue",
    });
    serde_json::to_writer_pretty(&mut *out, &Streamed::new(issues.chain(errors)))?;
    writeln!(out)
}
