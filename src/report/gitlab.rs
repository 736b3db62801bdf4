//! `--format gitlab`: GitLab Code Quality report (a JSON array of issues).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{LineIndexes, Report, fingerprints};
use crate::diagnostic::Severity;

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut indexes = LineIndexes::new(report.files);
    let fingerprints = fingerprints(report);
    let issues: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(fingerprints)
        .map(|(d, fingerprint)| {
            let (start, end) = indexes.span(d);
            let severity = match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            };
            json!({
                "type": "issue",
                "check_name": d.rule,
                "description": d.message,
                "content": { "body": d.help.as_deref().unwrap_or_default() },
                "categories": ["Bug Risk"],
                "severity": severity,
                "fingerprint": fingerprint,
                "location": {
                    "path": report.files[d.file].name,
                    "positions": {
                        "begin": { "line": start.line, "column": start.column },
                        "end": { "line": end.line, "column": end.column },
                    },
                },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
