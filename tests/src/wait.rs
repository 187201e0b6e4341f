use std::time::{Duration, Instant};

/// Polls `probe` until it yields a value or `deadline` passes; the panic says what never happened.
pub fn until<T>(what: &str, deadline: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub const STARTUP: Duration = Duration::from_secs(30);
