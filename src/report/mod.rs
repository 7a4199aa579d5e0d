//! Results to files and to the terminal.

pub mod curves;
pub mod error;
pub mod expect;
pub mod heatmap;
pub mod long_csv;
pub mod output;
pub mod page;
pub mod render;
pub mod scenario;
pub mod snapshot;
pub mod style;
pub mod summary;
pub mod table;
pub mod trajectory;

pub use error::ReportError;
