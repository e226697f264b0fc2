//! Aggregate windows written as a count and a unit: "15m", "1h", "24h", "30d".

use std::time::Duration;

/// The minimum window an aggregate may use: 1 minute.
pub const MIN_WINDOW: Duration = Duration::from_secs(60);
/// The maximum window an aggregate may use: 90 days.
pub const MAX_WINDOW: Duration = Duration::from_secs(90 * 24 * 3600);

/// Parses a window such as "15m", "1h" or "30d" (minutes, hours, days).
/// The error text names what is wrong and what is allowed.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let Some(unit) = text.chars().last() else {
        return Err("window is empty; write a count and a unit, such as \"1h\"".into());
    };
    let seconds_per_unit: u64 = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 24 * 3600,
        _ => {
            return Err(format!(
                "window \"{text}\" does not end in a unit; end it with m (minutes), h (hours) or d (days), such as \"24h\""
            ))
        }
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "window \"{text}\" must be a whole number followed by m, h or d, such as \"15m\" or \"30d\""
        ));
    }
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("window \"{text}\" is too long; the maximum is 90d"))?;
    let window = Duration::from_secs(count.saturating_mul(seconds_per_unit));
    if window < MIN_WINDOW || window > MAX_WINDOW {
        return Err(format!(
            "window \"{text}\" is outside the allowed range of 1m to 90d"
        ));
    }
    Ok(window)
}

/// Writes a window back in the largest unit that divides it evenly.
pub fn format_window(window: Duration) -> String {
    let seconds = window.as_secs();
    if seconds % (24 * 3600) == 0 {
        format!("{}d", seconds / (24 * 3600))
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{}m", seconds / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_accepts_minutes_hours_days() {
        assert_eq!(parse_window("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_window("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_window("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_window("90d"), Ok(MAX_WINDOW));
    }

    #[test]
    fn window_rejects_bad_syntax_and_range() {
        for bad in [
            "",
            "h",
            "1",
            "1w",
            "1.5h",
            "-1h",
            "0m",
            "91d",
            "2161h",
            "99999999999999999999d",
        ] {
            assert!(parse_window(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn window_formats_in_largest_unit() {
        for text in ["15m", "1h", "24h", "30d", "90m"] {
            let window = parse_window(text).expect("valid window");
            assert_eq!(parse_window(&format_window(window)), Ok(window));
        }
        assert_eq!(format_window(Duration::from_secs(86_400)), "1d");
    }
}
