//! Source text → syntax tree with spans. Of what names mean it knows only the
//! registry's sections, for its messages.

pub mod ast;
pub mod expected;
mod expr;
pub mod format;
pub mod limits;
pub mod parse;
pub mod tree;

pub use parse::parse_file;
