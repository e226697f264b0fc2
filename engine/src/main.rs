use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the server allocates per request (decoded strings, verdicts,
/// write batches) on every core, and glibc's allocator took about a fifth
/// of a server profile under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    screener::allocator::delay_purges();
    match screener::cli::run(screener::cli::Cli::parse()) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("screener: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// Joins an error and its causes with ": ", leaving out a cause whose text
/// the message before it already contains.
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn describe_skips_repeated_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(io).context("cannot read a.toml: no such file");
        assert_eq!(describe(&error), "cannot read a.toml: no such file");
    }

    #[test]
    fn describe_keeps_new_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(io).context("cannot read a.toml");
        assert_eq!(describe(&error), "cannot read a.toml: no such file");
    }
}
