//! Sleep and network changes, with a wall clock and an address list the test controls (the
//! watchers themselves are tested with paused time in the crate).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use herald_engine::watchers::{NetworkProbe, WallClock};
use herald_sse_server::{End, Reply, SseServer};

use crate::{Rig, wait_until};

#[derive(Default)]
struct Jumpy(Mutex<Duration>);

impl WallClock for Jumpy {
    fn now(&self) -> SystemTime {
        SystemTime::now() + *self.0.lock().unwrap()
    }
}

#[derive(Default)]
struct Addresses(Mutex<BTreeSet<IpAddr>>);

impl NetworkProbe for Addresses {
    fn addresses(&self) -> BTreeSet<IpAddr> {
        self.0.lock().unwrap().clone()
    }
}

#[test]
fn after_a_sleep_every_feed_reconnects_at_once() {
    let server = SseServer::start(|_, _| Reply::stream(vec![b": hi\n\n".to_vec()], End::Hold));
    let mut rig = Rig::new();
    let a = rig.feed("A", &server.url("/a"), |_| {});
    let b = rig.feed("B", &server.url("/b"), |_| {});
    let clock = Arc::new(Jumpy::default());
    let mut options = rig.options();
    options.clock = clock.clone();
    options.watch_period = Duration::from_millis(100);
    rig.start_with(options);
    rig.wait_state(&a, "live");
    rig.wait_state(&b, "live");
    assert_eq!(server.requests().len(), 2);
    // The machine "slept" for an hour: the wall clock moves on, the monotonic one did not.
    *clock.0.lock().unwrap() = Duration::from_secs(3600);
    wait_until(5, "both feeds to reconnect", || (server.requests().len() == 4).then_some(()));
}

#[test]
fn when_the_network_comes_back_a_waiting_feed_tries_at_once() {
    // 404: the feed waits the longest delay (5 minutes) between attempts.
    let server = SseServer::start(|_, _| Reply::status(404, "Not Found", &[], "no such topic"));
    let mut rig = Rig::new();
    let feed = rig.feed("Gone", &server.url("/gone"), |_| {});
    let network = Arc::new(Addresses::default());
    let mut options = rig.options();
    options.network = network.clone();
    options.watch_period = Duration::from_millis(100);
    rig.start_with(options);
    rig.wait_state(&feed, "retrying");
    assert_eq!(server.requests().len(), 1);
    network.0.lock().unwrap().insert("192.168.1.20".parse().unwrap());
    wait_until(5, "an attempt right away", || (server.requests().len() == 2).then_some(()));
}
