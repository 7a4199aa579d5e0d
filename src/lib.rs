//! byz: Byzantine-robust distributed-learning experiments as `.byz` files.
//!
//! Data flows one way: `syntax` (text → tree) → `check` (tree → plan, with
//! diagnostics) → `sim` (plan → results, using `task`, `aggregate` and
//! `attack`) → `report` (results → files).

pub mod aggregate;
pub mod alloc;
pub mod attack;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod experiment;
pub mod lsp;
pub mod plan;
pub mod registry;
pub mod report;
pub mod rng;
pub mod sim;
pub mod syntax;
pub mod task;
