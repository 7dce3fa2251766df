//! Shared helpers for integration tests.
#![allow(dead_code)]

pub mod http_mock;
pub mod oidc;
pub mod project;
pub mod readers;
pub mod tools;
pub mod verify_env;
