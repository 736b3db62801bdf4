//! Statements inside `DO $$ ... $$` blocks.
//!
//! drizzle-kit wraps foreign keys in `DO $$ BEGIN ... EXCEPTION WHEN duplicate_object ... END $$`.
//! The block body is parsed with the PL/pgSQL parser; each embedded SQL statement is then found
//! in the body text (PL/pgSQL keeps it verbatim) and parsed with the SQL grammar, so its span
//! points inside the original file.

use pg_query::protobuf::DoStmt;
use serde_json::Value;

use super::{ParsedMigration, Statement, ast, parse_chunk};

pub(super) fn extract(file_text: &str, block: &Statement, stmt: &DoStmt) -> ParsedMigration {
    let mut found = ParsedMigration::default();
    let Some(body) = dollar_quoted_body(file_text, block, stmt) else {
        return found;
    };
    let wrapped = format!(
        "CREATE FUNCTION chronos_do_block() RETURNS void LANGUAGE plpgsql AS $chronos_body${}$chronos_body$",
        &file_text[body.clone()]
    );
    let Ok(tree) = pg_query::parse_plpgsql(&wrapped) else {
        return found;
    };
    let mut queries = Vec::new();
    collect_sql(&tree, &mut queries);
    // JSON objects come back with sorted keys, not in source order; line numbers restore it.
    queries.sort_by_key(|(line, _)| *line);

    let mut cursor = body.start;
    for (_, query) in queries {
        let Some(at) = file_text[cursor..body.end].find(query.as_str()) else {
            continue;
        };
        let start = cursor + at;
        let end = start + query.len();
        parse_chunk(file_text, start..end, &mut found);
        cursor = end;
    }
    for statement in &mut found.statements {
        statement.in_do_block = true;
    }
    found
}

/// The byte range of a `DO` block's body when it is dollar-quoted (the only form whose text is
/// kept verbatim) and written in PL/pgSQL.
fn dollar_quoted_body(
    file_text: &str,
    block: &Statement,
    stmt: &DoStmt,
) -> Option<std::ops::Range<usize>> {
    let mut body_location = None;
    for arg in &stmt.args {
        let Some(pg_query::NodeEnum::DefElem(option)) = arg.node.as_ref() else {
            continue;
        };
        let value = option.arg.as_deref().and_then(ast::string);
        match option.defname.as_str() {
            "as" => body_location = Some(option.arg_location),
            "language" if value.is_some_and(|lang| !lang.eq_ignore_ascii_case("plpgsql")) => {
                return None;
            }
            _ => {}
        }
    }
    let start = block.offset(body_location?);
    let rest = file_text.get(start..block.span.end)?;
    let tag_len = rest.strip_prefix('$')?.find('$')? + 2;
    let tag = &rest[..tag_len];
    let body_len = rest[tag_len..].find(tag)?;
    Some(start + tag_len..start + tag_len + body_len)
}

/// The line and SQL text of every `PLpgSQL_stmt_execsql`.
fn collect_sql(value: &Value, out: &mut Vec<(u64, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(exec) = map.get("PLpgSQL_stmt_execsql") {
                if let Some(query) = exec
                    .pointer("/sqlstmt/PLpgSQL_expr/query")
                    .and_then(Value::as_str)
                {
                    let line = exec.get("lineno").and_then(Value::as_u64).unwrap_or(0);
                    out.push((line, query.to_owned()));
                }
                return;
            }
            for child in map.values() {
                collect_sql(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_sql(item, out)),
        _ => {}
    }
}
