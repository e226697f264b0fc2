//! Settings of mimalloc, the allocator the binary installs.

use std::ffi::c_long;

use libmimalloc_sys::{mi_option_get, mi_option_set, mi_option_t};

/// mimalloc's `mi_option_purge_delay`: its place in the option enum of
/// mimalloc 3, which libmimalloc-sys builds. The crate names no constant
/// for it.
const PURGE_DELAY_OPTION: mi_option_t = 15;

/// Milliseconds that freed memory stays with the process before mimalloc
/// returns it to the operating system. mimalloc's default is 1,000.
pub const PURGE_DELAY_MS: c_long = 10_000;

/// Keeps freed memory for [`PURGE_DELAY_MS`] before returning it to the
/// operating system.
///
/// With mimalloc's default of one second, memory that the state writer and
/// the workers freed between bursts went back to the system. It came back
/// as page faults, each zeroing a fresh 2 MiB transparent huge page, and
/// those faults took a fifth of the state writer's time at full load. With
/// ten seconds, 60-second full-speed runs did 6 to 7% more transactions a
/// second. The process keeps up to its recent peak for that long.
///
/// Call it first in `main`, before other threads start.
pub fn delay_purges() {
    // SAFETY: mi_option_set stores a value in mimalloc's option table, and
    // the delay takes any integer. Called before other threads start.
    unsafe { mi_option_set(PURGE_DELAY_OPTION, PURGE_DELAY_MS) }
}

/// Returns mimalloc's current purge delay in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: mi_option_get reads mimalloc's option table.
    unsafe { mi_option_get(PURGE_DELAY_OPTION) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_option_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("MIMALLOC_PURGE_DELAY is set; skipping the default check");
            return;
        }
        // Another option of the enum at this place would show its own
        // default: 0, 1, 10, 100 and so on, not the purge delay's 1,000.
        assert_eq!(purge_delay_ms(), 1000);
        delay_purges();
        assert_eq!(purge_delay_ms(), PURGE_DELAY_MS);
    }
}
