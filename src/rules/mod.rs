//! Rules stage: each rule is one file in the folder of its family (`rules/<family>/<rule>.rs`),
//! declared with `declare_rule!`; [`REGISTRY`] lists them all, and `support/` holds what several
//! rules share.
//!
//! What a rule is and sees (trait, declaration, contexts) is the engine's: [`crate::engine`].

mod destructive;
mod hygiene;
mod indexes;
mod locking;
pub mod migration;
mod ownership;
mod shadow;
mod support;

use crate::engine::{Rule, RuleId};

/// Every rule, in the order `chronos-lint rules` lists them.
pub static REGISTRY: &[&dyn Rule] = &[
    &ownership::ownership_violation::OwnershipViolation,
    &ownership::unowned_table::UnownedTable,
    &ownership::tracking_table_touched::TrackingTableTouched,
    &migration::syntax_error::SyntaxErrorRule,
    &migration::journal_mismatch::JournalMismatch,
    &migration::alembic_revision_gap::AlembicRevisionGap,
    &migration::migration_modified::MigrationModified,
    &migration::unused_suppression::UnusedSuppression,
    &migration::transaction_control::TransactionControl,
    &destructive::drop_table::DropTable,
    &destructive::drop_column::DropColumn,
    &destructive::drop_schema::DropSchema,
    &destructive::truncate_table::TruncateTable,
    &destructive::rename_table::RenameTable,
    &destructive::rename_column::RenameColumn,
    &destructive::drop_constraint::DropConstraint,
    &destructive::unbounded_delete_or_update::UnboundedDeleteOrUpdate,
    &destructive::narrowing_type_change::NarrowingTypeChange,
    &locking::column_type_rewrite::ColumnTypeRewrite,
    &locking::add_column_volatile_default::AddColumnVolatileDefault,
    &locking::add_column_required::AddColumnRequired,
    &locking::set_not_null::SetNotNull,
    &locking::foreign_key_not_valid::ForeignKeyNotValid,
    &locking::check_not_valid::CheckNotValid,
    &locking::unique_constraint_without_index::UniqueConstraintWithoutIndex,
    &locking::index_not_concurrent::IndexNotConcurrent,
    &locking::drop_index_not_concurrent::DropIndexNotConcurrent,
    &locking::reindex_not_concurrent::ReindexNotConcurrent,
    &locking::concurrent_in_transaction::ConcurrentInTransaction,
    &locking::invalid_on_partitioned_table::InvalidOnPartitionedTable,
    &locking::detach_partition_not_concurrent::DetachPartitionNotConcurrent,
    &locking::exclusion_constraint::ExclusionConstraint,
    &locking::enum_value_in_transaction::EnumValueInTransaction,
    &locking::table_rewrite_maintenance::TableRewriteMaintenance,
    &locking::refresh_matview_not_concurrent::RefreshMatviewNotConcurrent,
    &locking::lock_timeout_missing::LockTimeoutMissing,
    &locking::statement_timeout_missing::StatementTimeoutMissing,
    &indexes::fk_missing_index::FkMissingIndex,
    &indexes::duplicate_index::DuplicateIndex,
    &indexes::missing_primary_key::MissingPrimaryKey,
    &ownership::directus_requires_primary_key::DirectusRequiresPrimaryKey,
    &ownership::directus_field_broken::DirectusFieldBroken,
    &indexes::expected_index::ExpectedIndex,
    &ownership::cross_owner_foreign_key::CrossOwnerForeignKey,
    &hygiene::prefer_timestamptz::PreferTimestamptz,
    &hygiene::prefer_jsonb::PreferJsonb,
    &hygiene::prefer_identity::PreferIdentity,
    &hygiene::prefer_bigint_key::PreferBigintKey,
    &hygiene::identifier_too_long::IdentifierTooLong,
    &hygiene::ban_char::BanChar,
    &hygiene::extension_not_allowed::ExtensionNotAllowed,
    &shadow::shadow_apply_failed::ShadowApplyFailed,
    &shadow::shadow_lock::ShadowLock,
    &shadow::shadow_rewrite::ShadowRewrite,
    &shadow::shadow_ownership::ShadowOwnership,
    &shadow::shadow_server_change::ShadowServerChange,
    &shadow::snapshot_drift::SnapshotDrift,
    &shadow::extension_unavailable::ExtensionUnavailable,
];

/// The rule a user names (configuration, suppressions, `explain`).
pub fn find(id: &str) -> Option<&'static dyn Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|rule| rule.id().as_str() == id)
}

/// Whether `id` names a rule.
pub fn is_rule(id: &str) -> bool {
    find(id).is_some()
}

/// The link printed with each diagnostic.
pub fn doc_url(id: RuleId) -> String {
    format!("https://github.com/chronos-lint/chronos-lint/blob/main/rules/{id}.md")
}

/// Linting small migration sets in unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;
    use crate::diagnostic::Diagnostic;
    use crate::engine::RuleId;

    /// Writes `files` (path, text) into a temporary directory, lints it as `chronos-lint` would,
    /// and returns the diagnostics of rule `id`.
    pub fn lint(files: &[(&str, &str)], config: &Config, id: RuleId) -> Vec<Diagnostic> {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let exclude = config.exclude_matcher(&[]).unwrap();
        let workspace =
            crate::source::discover(&[dir.path().to_path_buf()], config, &exclude, None);
        assert!(workspace.errors.is_empty(), "{:?}", workspace.errors);
        crate::lint::lint(&workspace, config, crate::lint::History::default(), None)
            .findings
            .diagnostics()
            .unwrap()
            .into_iter()
            .filter(|diagnostic| diagnostic.rule == id)
            .collect()
    }

    /// The defaults with another PostgreSQL version.
    pub fn pg(version: u32) -> Config {
        Config {
            pg_version: version,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<_> = REGISTRY.iter().map(|rule| rule.id().as_str()).collect();
        for id in &ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }
}
