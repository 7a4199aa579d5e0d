//! byz: Byzantine-robust distributed-learning experiments as `.byz` files.
//!
//! Data flows one way: `syntax` (text → tree) → `check` (tree → plan, with
//! diagnostics) → `sim` (plan → results, using `task`, `aggregate` and
//! `attack`) → `report` (results → files); `experiment`, `cluster`, `lsp`
//! and `cli` drive them.
//!
//! Below every stage: `source` (files and spans), `diagnostic` (errors and
//! warnings), `plan` (the plain data a checked file describes), `spec` (what
//! a component declares), `rng` (seeded streams). `registry` gathers every
//! name of the language; `dynamics` (one step of training, and its errors)
//! sits below the attacks that simulate the future. tests/architecture.rs
//! fails on an import cycle between these modules.

pub mod aggregate;
pub mod alloc;
pub mod attack;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod diagnostic;
pub mod dynamics;
pub mod experiment;
pub mod lsp;
pub mod plan;
pub mod registry;
pub mod report;
pub mod rng;
pub mod sim;
pub mod source;
pub mod spec;
pub mod syntax;
pub mod task;
