//! Shadow stage: migrations applied for real to a throwaway PostgreSQL. The static pipeline does
//! not depend on this module.

pub mod cluster;
