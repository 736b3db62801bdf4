//! sqitch projects: `sqitch.plan` names the changes in deploy order; each change's
//! `deploy/<change>.sql` is its migration. `revert/` and `verify/` scripts are never replayed.

use std::path::{Path, PathBuf};

use super::read::display;
use super::{InputError, Migration, MigrationSet, Workspace, drizzle, layout::Layout, read};
use crate::config::Config;

pub const PLAN: &str = "sqitch.plan";

/// Whether `dir` is a sqitch project (has a plan).
pub fn has_plan(dir: &Path) -> bool {
    dir.join(PLAN).is_file()
}

/// Whether `dir` holds sqitch-style scripts that never run forward: a `revert/` or `verify/`
/// folder beside a `deploy/` one, with or without a plan.
pub fn is_backward_folder(dir: &Path) -> bool {
    dir.file_name()
        .is_some_and(|name| name == "revert" || name == "verify")
        && dir
            .parent()
            .is_some_and(|parent| parent.join("deploy").is_dir())
}

/// The sqitch project a file belongs to: the nearest folder above it with a plan.
pub fn root_of(path: &Path) -> Option<PathBuf> {
    let absolute = super::read::absolute(path);
    absolute
        .ancestors()
        .skip(1)
        .find(|dir| has_plan(dir))
        .map(Path::to_path_buf)
}

/// The deploy scripts a plan names, in plan order: `deploy/<change>.sql`, or for a change
/// reworked later in the plan, `deploy/<change>@<tag>.sql` with the first tag after it.
pub fn deploy_scripts(plan: &str) -> Vec<String> {
    enum Entry<'a> {
        Change(&'a str),
        Tag(&'a str),
    }
    let entries: Vec<Entry> = plan
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with('%'))
        .filter_map(|line| {
            let name = line.split_whitespace().next()?;
            if let Some(tag) = name.strip_prefix('@') {
                return Some(Entry::Tag(tag));
            }
            // `-change` reverts a change within the plan: nothing to deploy.
            if name.starts_with('-') {
                return None;
            }
            Some(Entry::Change(name.strip_prefix('+').unwrap_or(name)))
        })
        .collect();
    let mut scripts = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Entry::Change(name) = entry else { continue };
        let reworked = entries[i + 1..]
            .iter()
            .any(|later| matches!(later, Entry::Change(later) if later == name));
        let tag = entries[i + 1..].iter().find_map(|later| match later {
            Entry::Tag(tag) => Some(*tag),
            Entry::Change(_) => None,
        });
        scripts.push(match tag.filter(|_| reworked) {
            Some(tag) => format!("{name}@{tag}"),
            None => (*name).to_owned(),
        });
    }
    scripts
}

/// Reads a sqitch project into a migration set, in plan order.
pub fn read_project(
    root: &Path,
    config: &Config,
    exclude: &dyn Fn(&Path) -> bool,
    workspace: &mut Workspace,
) -> Option<MigrationSet> {
    let plan_path = root.join(PLAN);
    let plan = match std::fs::read_to_string(&plan_path) {
        Ok(plan) => plan,
        Err(err) => {
            workspace.errors.push(InputError {
                path: display(&plan_path),
                message: format!("cannot read: {err}"),
            });
            return None;
        }
    };
    let layout = Layout::Sqitch;
    let owner = config.source_owner(root, layout.kind());
    let mut migrations = Vec::new();
    for change in deploy_scripts(&plan) {
        let path = root.join("deploy").join(format!("{change}.sql"));
        if exclude(&path) {
            continue;
        }
        if !read::is_stdin(&path, workspace) && !path.is_file() {
            workspace.errors.push(InputError {
                path: display(&path),
                message: format!(
                    "{PLAN} names change `{change}`, but its deploy script is missing"
                ),
            });
            continue;
        }
        let Some(file) = read::load(&path, workspace) else {
            continue;
        };
        let source = &workspace.files[file];
        let in_transaction = config
            .source_settings(&path)
            .and_then(|s| s.in_transaction)
            .or(layout.in_transaction())
            .unwrap_or(false);
        migrations.push(Migration {
            name: change,
            file,
            layout,
            owner: owner.clone(),
            chunks: drizzle::split_breakpoints(&source.text, source.content_start(), false),
            starts_in_transaction: in_transaction,
            header: source.first_line(),
            revision: None,
            script: None,
        });
    }
    Some(MigrationSet {
        root: root.to_path_buf(),
        migrations,
        journal: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_order_with_tags_and_reworked_changes() {
        let plan = "%syntax-version=1.0.0\n%project=flipr\n\n\
                    appschema 2024-01-01T00:00:00Z Ann <a@x> # schema\n\
                    users [appschema] 2024-01-02T00:00:00Z Ann <a@x> # users\n\
                    @v1.0 2024-01-03T00:00:00Z Ann <a@x> # tag\n\n\
                    flips [users] 2024-01-04T00:00:00Z Ann <a@x>\n\
                    users [users@v1.0] 2024-01-05T00:00:00Z Ann <a@x> # reworked\n";
        assert_eq!(
            deploy_scripts(plan),
            ["appschema", "users@v1.0", "flips", "users"]
        );
    }
}
