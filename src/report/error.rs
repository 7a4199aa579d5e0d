//! Why a scenario's results could not be written, with the file and the cause.

use std::path::PathBuf;

/// An error writing a scenario's results: the runs' numbers are kept (the
/// store holds them), only an output file is missing.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be written or read back.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A figure could not be drawn or converted. plotters' errors are generic
    /// over the drawing backend, so their text is what is kept.
    #[error("{}: {message}", figure.display())]
    Draw { figure: PathBuf, message: String },
    /// The results page's template failed.
    #[error("cannot fill the results page: {0}")]
    Page(#[from] minijinja::Error),
    /// The long CSV of the curves could not be written.
    #[error("cannot write the curves' CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A trajectory plot's landscape could not be rebuilt.
    #[error("cannot rebuild the landscape under the trajectory plot: {0}")]
    Landscape(#[from] crate::task::TaskError),
}

impl ReportError {
    /// `write_atomic`'s failure at `path`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
        move |source| ReportError::Io { path: path.to_path_buf(), source }
    }

    /// A figure's drawing failure at `figure`.
    pub fn draw(figure: &std::path::Path) -> impl FnOnce(String) -> ReportError + '_ {
        move |message| ReportError::Draw { figure: figure.to_path_buf(), message }
    }
}
