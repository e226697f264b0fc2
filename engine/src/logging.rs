//! Log setup, and redaction of personal data before it reaches a log line.

use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;

use crate::config::LoggingConfig;

/// Installs the global tracing subscriber: RUST_LOG when set, else the
/// configured level; text or JSON lines on stderr.
pub fn init(config: &LoggingConfig) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.level))
        .map_err(|e| anyhow::anyhow!("invalid logging.level {:?}: {e}", config.level))?;
    // Colour codes only where a terminal shows them, not in a log file.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let installed = if config.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    installed.map_err(|e| anyhow::anyhow!("cannot install the log subscriber: {e}"))
}

/// A stand-in for a name, address or account in logs: the first character,
/// the length and a short hash, so that lines about one party can be told
/// apart without showing who it is.
pub fn redact(value: &str) -> String {
    let first = value.chars().next().map(String::from).unwrap_or_default();
    let hash = Sha256::digest(value.as_bytes());
    format!(
        "{first}…[{} chars, {}]",
        value.chars().count(),
        hex::encode(&hash[..3])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_value() {
        let redacted = redact("Viktor Bout");
        assert!(!redacted.contains("Bout"), "{redacted}");
        assert!(redacted.starts_with('V'));
        assert_ne!(redact("Viktor Bout"), redact("Viktor Bouts"));
    }
}
