//! Source text → syntax tree with spans. Knows nothing of what names mean.

pub mod ast;
mod expected;
mod expr;
pub mod format;
pub mod limits;
pub mod parse;
pub mod tree;

pub use parse::parse_file;
