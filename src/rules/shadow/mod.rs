//! Shadow rules: they judge what applying the migrations to a real PostgreSQL showed (`--shadow`,
//! [`crate::trace`]); without `--shadow` they report nothing.

pub(crate) mod extension_unavailable;
pub(crate) mod shadow_apply_failed;
pub(crate) mod shadow_lock;
pub(crate) mod shadow_ownership;
pub(crate) mod shadow_rewrite;
pub(crate) mod shadow_server_change;
pub(crate) mod snapshot_drift;
