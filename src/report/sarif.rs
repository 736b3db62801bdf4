//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{LineIndexes, Report, fingerprints};
use crate::diagnostic::Severity;
use crate::rules::{self, doc_url};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let driver_rules: Vec<Value> = rules::REGISTRY
        .iter()
        .map(|rule| {
            let meta = rule.meta();
            json!({
                "id": meta.id,
                "shortDescription": { "text": meta.summary },
                "helpUri": doc_url(rule.id()),
                "help": { "text": meta.doc, "markdown": meta.doc },
                "defaultConfiguration": { "level": level(meta.severity) },
            })
        })
        .collect();

    let mut indexes = LineIndexes::new(report.files);
    let fingerprints = fingerprints(report);
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .zip(&fingerprints)
        .map(|(d, fingerprint)| {
            let (start, end) = indexes.span(d);
            let rule_index = rules::REGISTRY.iter().position(|rule| rule.id() == d.rule);
            let text = match &d.help {
                Some(help) => format!("{}\n\n{help}", d.message),
                None => d.message.clone(),
            };
            json!({
                "ruleId": d.rule,
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&report.files[d.file].name) },
                        "region": {
                            "startLine": start.line,
                            "startColumn": start.column,
                            "endLine": end.line,
                            "endColumn": end.column,
                        },
                    },
                }],
                "partialFingerprints": { "chronosLint/v1": fingerprint },
            })
        })
        .collect();

    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "chronos-lint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/chronos-lint/chronos-lint",
                    "rules": driver_rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

/// A relative path as a URI reference: `/` separators, spaces and `%` escaped.
fn uri(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                escaped.push(byte as char)
            }
            _ => escaped.push_str(&format!("%{byte:02X}")),
        }
    }
    escaped
}
