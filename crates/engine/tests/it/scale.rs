//! 1,000 feeds in one engine against one local server.

use herald_sse_server::{End, Reply, SseServer};

use crate::{Rig, wait_until};

#[test]
fn a_thousand_feeds_connect_and_each_delivers_its_event() {
    const FEEDS: usize = 1000;
    let server = SseServer::start(|req, _| {
        let n = req.target.trim_start_matches("/feed/");
        Reply::stream(vec![format!("id: {n}\ndata: from {n}\n\n").into_bytes()], End::Hold)
    });
    let mut rig = Rig::new();
    let feeds: Vec<_> = (0..FEEDS)
        .map(|i| rig.feed(&format!("feed {i}"), &server.url(&format!("/feed/{i}")), |_| {}))
        .collect();
    rig.start();
    wait_until(60, "every feed live", || {
        let states = rig.engine.as_ref()?.states();
        let live = states.borrow().values().filter(|s| s.is_live()).count();
        (live == FEEDS).then_some(())
    });
    rig.recorder.wait_for(60, "an event from every feed", |n| n.len() >= FEEDS);
    for (i, feed) in feeds.iter().enumerate().step_by(97) {
        assert_eq!(rig.history(feed), [(Some(i.to_string()), format!("from {i}"))]);
    }
    assert_eq!(server.requests().len(), FEEDS, "one connection each, no retries");
}
