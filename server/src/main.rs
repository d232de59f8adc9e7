//! `askonce`: see `askonce --help`.

/// mimalloc instead of glibc malloc: see BENCHMARKS.md ("Load, side by side").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::cli::run()
}
