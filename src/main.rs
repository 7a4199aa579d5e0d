//! The `byz` binary: the command line lives in `byz::cli`.

fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, so `println!` to a closed pipe (`byz run f.byz |
    // head`) panics; a command-line tool should end quietly as `cat` does.
    // SAFETY: restores a signal's default action before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    byz::alloc::keep_freed_memory();
    byz::cli::main()
}
