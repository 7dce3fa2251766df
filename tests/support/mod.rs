//! Shared helpers for integration tests.
#![allow(dead_code)]

pub mod azure;
pub mod azure_arm;
pub mod azure_graph;
pub mod azurite;
pub mod cases;
pub mod helm;
pub mod http_mock;
pub mod lakekeeper_api;
pub mod oidc;
pub mod pg;
pub mod pgbouncer;
pub mod project;
pub mod readers;
pub mod storage_mock;
pub mod tmux;
pub mod tools;
pub mod verify_env;
pub mod wizard;
