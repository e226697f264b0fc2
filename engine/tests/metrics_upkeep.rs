//! Stage histograms fold their samples on a timer, so a server whose metrics
//! are never scraped keeps its memory bounded. This file is its own test binary: the
//! check reads the process's resident memory, which other tests would move.

use std::time::Duration;

use screener::metrics;

/// Resident memory of this process in bytes, where Linux reports it.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_histograms_stay_bounded_without_scrapes() {
    let Some(before) = resident_bytes() else {
        eprintln!("skipped: /proc/self/statm is not readable on this system");
        return;
    };
    let handle = metrics::install();
    let upkeep = metrics::spawn_upkeep(handle, Duration::from_millis(5));
    // 2,000,000 samples: kept unfolded, they take more than 16 MB.
    for _ in 0..40 {
        for _ in 0..50_000 {
            metrics::record_stage("total", Duration::from_micros(100));
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    upkeep.abort();
    let grown = resident_bytes().unwrap_or(before).saturating_sub(before);
    eprintln!("resident memory grew by {} KiB", grown / 1024);
    assert!(
        grown < 6 << 20,
        "resident memory grew by {grown} bytes over 2,000,000 samples"
    );
}
