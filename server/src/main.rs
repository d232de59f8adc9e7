//! `askonce`: see `askonce --help`.

fn main() -> std::process::ExitCode {
    server::cli::run()
}
