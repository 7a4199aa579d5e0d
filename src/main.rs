//! The `byz` binary: the command line lives in `byz::cli`.

fn main() -> std::process::ExitCode {
    byz::alloc::keep_freed_memory();
    byz::cli::main()
}
