//! Two things the OS knows that a connection cannot: the machine slept (the wall clock jumped
//! against the monotonic clock, which stops during suspend), and the network came back (new
//! addresses). After a sleep every connection is presumed dead and reconnects at once; when
//! addresses come back, feeds waiting out their backoff try now instead of minutes later.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use herald_store::Millis;

use tokio::time::{Instant, interval};

/// The one source of wall-clock time in the engine: when a snooze ends, whether it is within
/// quiet hours (local time of day), and whether the machine slept (the clock jumped). A test
/// passes one that it sets or makes jump.
pub trait WallClock: Send + Sync + 'static {
    fn now(&self) -> SystemTime;

    /// Milliseconds since the Unix epoch, as the store keeps times (a clock before 1970 is 0).
    fn now_millis(&self) -> Millis {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX))
    }

    /// Minutes since local midnight.
    fn local_minute_of_day(&self) -> u32 {
        use chrono::Timelike;
        let local: chrono::DateTime<chrono::Local> = self.now().into();
        local.hour() * 60 + local.minute()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The machine's addresses other than loopback; a test passes one whose addresses change.
pub trait NetworkProbe: Send + Sync + 'static {
    fn addresses(&self) -> BTreeSet<IpAddr>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct OsNetwork;

impl NetworkProbe for OsNetwork {
    fn addresses(&self) -> BTreeSet<IpAddr> {
        if_addrs::get_if_addrs()
            .map(|list| list.into_iter().filter(|i| !i.is_loopback()).map(|i| i.ip()).collect())
            .unwrap_or_default()
    }
}

/// A difference between the clocks this large means a suspend (or the clock was set).
pub const JUMP: Duration = Duration::from_secs(10);

/// Calls `on_jump` whenever, between two checks `period` apart, the wall clock moved more than
/// `JUMP` away from the monotonic clock.
pub async fn watch_clock(clock: &dyn WallClock, period: Duration, on_jump: impl Fn()) {
    let mut ticks = interval(period);
    ticks.tick().await;
    let mut mono = Instant::now();
    let mut wall = clock.now();
    loop {
        ticks.tick().await;
        let (mono_now, wall_now) = (Instant::now(), clock.now());
        let mono_elapsed = mono_now - mono;
        let gap = match wall_now.duration_since(wall) {
            Ok(wall_elapsed) => wall_elapsed.abs_diff(mono_elapsed),
            // The clock went backwards.
            Err(back) => back.duration() + mono_elapsed,
        };
        if gap > JUMP {
            tracing::info!(?gap, "the clock jumped (suspend and resume?): reconnecting every feed");
            on_jump();
        }
        (mono, wall) = (mono_now, wall_now);
    }
}

/// Calls `on_back` whenever an address appears that was not there at the previous check.
pub async fn watch_network(probe: &dyn NetworkProbe, period: Duration, on_back: impl Fn()) {
    let mut ticks = interval(period);
    ticks.tick().await;
    let mut known = probe.addresses();
    loop {
        ticks.tick().await;
        let now = probe.addresses();
        if now.iter().any(|a| !known.contains(a)) {
            tracing::info!("the network changed: feeds waiting to reconnect try now");
            on_back();
        }
        known = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A wall clock that follows tokio's (paused) clock, plus an offset a test can jump.
    struct Jumpy {
        start_wall: SystemTime,
        start: Instant,
        offset: Mutex<Duration>,
    }

    impl WallClock for Jumpy {
        fn now(&self) -> SystemTime {
            self.start_wall + (Instant::now() - self.start) + *self.offset.lock().unwrap()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_jump_of_the_wall_clock_is_seen_within_one_period_and_once() {
        let clock = Arc::new(Jumpy {
            start_wall: SystemTime::UNIX_EPOCH,
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        });
        let jumps = Arc::new(AtomicU32::new(0));
        let (c, j) = (clock.clone(), jumps.clone());
        let task = tokio::spawn(async move {
            watch_clock(&*c, Duration::from_secs(5), || {
                j.fetch_add(1, Ordering::SeqCst);
            })
            .await;
        });
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(jumps.load(Ordering::SeqCst), 0, "clocks moving together are no jump");
        *clock.offset.lock().unwrap() = Duration::from_secs(3600);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(jumps.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(jumps.load(Ordering::SeqCst), 1, "one jump, one reconnect");
        task.abort();
    }

    struct Addresses(Mutex<BTreeSet<IpAddr>>);

    impl NetworkProbe for Addresses {
        fn addresses(&self) -> BTreeSet<IpAddr> {
            self.0.lock().unwrap().clone()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_address_wakes_and_a_lost_one_does_not() {
        let wifi: IpAddr = "192.168.1.20".parse().unwrap();
        let probe = Arc::new(Addresses(Mutex::new([wifi].into())));
        let wakes = Arc::new(AtomicU32::new(0));
        let (p, w) = (probe.clone(), wakes.clone());
        let task = tokio::spawn(async move {
            watch_network(&*p, Duration::from_secs(5), || {
                w.fetch_add(1, Ordering::SeqCst);
            })
            .await;
        });
        tokio::time::sleep(Duration::from_secs(6)).await;
        probe.0.lock().unwrap().clear();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(wakes.load(Ordering::SeqCst), 0, "losing the network is not news");
        probe.0.lock().unwrap().insert(wifi);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(wakes.load(Ordering::SeqCst), 1);
        task.abort();
    }
}
