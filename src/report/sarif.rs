//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it.
//!
//! Written as it is serialized, result by result. Fields are declared in the order of their
//! names, as the output has always listed them.

use std::io::{self, Write};

use serde::Serialize;

use super::{Fingerprints, INPUT_ERROR, LineIndexes, Position, Report, Streamed};
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

#[derive(Serialize)]
struct Log<'a, R> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a, R>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a, R> {
    column_kind: &'static str,
    invocations: [Invocation<'a>; 1],
    results: R,
    tool: Tool,
}

/// The run itself: files that could not be linted are its notifications, and make it
/// unsuccessful (the exit code is 2).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    descriptor: Descriptor,
    level: &'static str,
    locations: [NotificationLocation<'a>; 1],
    message: Text<&'a str>,
}

#[derive(Serialize)]
struct Descriptor {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation<'a> {
    physical_location: FileLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<DriverRule>,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DriverRule {
    default_configuration: Level,
    help: Help,
    help_uri: String,
    id: &'static str,
    short_description: Text<&'static str>,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Help {
    markdown: &'static str,
    text: &'static str,
}

#[derive(Serialize)]
struct Text<T> {
    text: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<String>,
    partial_fingerprints: PartialFingerprints,
    rule_id: &'static str,
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<Fix<'a>>,
}

/// A suggestion that replaces the flagged statement, as a text edit.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fix<'a> {
    description: Text<&'static str>,
    artifact_changes: [ArtifactChange<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation<'a>,
    replacements: [Replacement; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: Text<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation<'a>,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation<'a> {
    uri: std::borrow::Cow<'a, str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    end_column: usize,
    end_line: usize,
    start_column: usize,
    start_line: usize,
}

impl Region {
    fn new(start: Position, end: Position) -> Self {
        Region {
            end_column: end.column,
            end_line: end.line,
            start_column: start.column,
            start_line: start.line,
        }
    }
}

#[derive(Serialize)]
struct PartialFingerprints {
    #[serde(rename = "chronosLint/v1")]
    v1: String,
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let driver_rules = rules::REGISTRY
        .iter()
        .map(|rule| {
            let meta = rule.meta();
            DriverRule {
                default_configuration: Level {
                    level: level(meta.severity),
                },
                help: Help {
                    markdown: meta.doc,
                    text: meta.doc,
                },
                help_uri: doc_url(rule.id()),
                id: meta.id,
                short_description: Text { text: meta.summary },
            }
        })
        .collect();

    let mut indexes = LineIndexes::new(report.files);
    let mut fingerprints = Fingerprints::default();
    let results = report.findings.iter().map(move |d| {
        let (start, end) = indexes.span(&d);
        let rule_index = rules::REGISTRY.iter().position(|rule| rule.id() == d.rule);
        let text = match &d.help {
            Some(help) => format!("{}\n\n{help}", d.message),
            None => d.message.clone(),
        };
        let file = &report.files[d.file];
        let fixes = d
            .suggestions
            .iter()
            .filter_map(|suggestion| {
                let replaced = suggestion.replaces.as_ref()?;
                let (start, end) = indexes.range(d.file, replaced);
                Some(Fix {
                    description: Text {
                        text: "Run the suggested statements instead",
                    },
                    artifact_changes: [ArtifactChange {
                        artifact_location: ArtifactLocation {
                            uri: uri(&file.name),
                        },
                        replacements: [Replacement {
                            deleted_region: Region::new(start, end),
                            inserted_content: Text {
                                text: suggestion.replacement(),
                            },
                        }],
                    }],
                })
            })
            .collect();
        SarifResult {
            level: level(d.severity),
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri(&report.files[d.file].name),
                    },
                    region: Region::new(start, end),
                },
            }],
            message: Text { text },
            partial_fingerprints: PartialFingerprints {
                v1: fingerprints.next(report, &d),
            },
            rule_id: d.rule.as_str(),
            rule_index,
            fixes,
        }
    });

    let notifications = report
        .input_errors
        .iter()
        .map(|error| Notification {
            descriptor: Descriptor { id: INPUT_ERROR },
            level: "error",
            locations: [NotificationLocation {
                physical_location: FileLocation {
                    artifact_location: ArtifactLocation {
                        uri: uri(&error.path),
                    },
                },
            }],
            message: Text {
                text: &error.message,
            },
        })
        .collect();

    let sarif = Log {
        schema: SCHEMA,
        runs: [Run {
            column_kind: "unicodeCodePoints",
            invocations: [Invocation {
                execution_successful: report.input_errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            results: Streamed::new(results),
            tool: Tool {
                driver: Driver {
                    information_uri: "https://github.com/chronos-lint/chronos-lint",
                    name: "chronos-lint",
                    rules: driver_rules,
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

/// A relative path as a URI reference: `/` separators, spaces and `%` escaped.
fn uri(path: &str) -> std::borrow::Cow<'_, str> {
    let plain = |byte: u8| matches!(byte, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/');
    if path.bytes().all(plain) {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut escaped = String::with_capacity(path.len());
    for byte in path.bytes() {
        if plain(byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    std::borrow::Cow::Owned(escaped)
}
