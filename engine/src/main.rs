use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match screener::cli::run(screener::cli::Cli::parse()) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("screener: {error:#}");
            ExitCode::FAILURE
        }
    }
}
