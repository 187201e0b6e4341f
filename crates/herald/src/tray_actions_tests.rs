//! The tray follows the store without polling: a commit elsewhere is one request and a new
//! model, a burst is one rebuild per gap, and the clock alone wakes the resident only when a
//! snooze ends.

use std::time::{Duration, Instant};

use herald_store::{FeedSpec, Store, now_millis};

use super::*;

const DEADLINE: Duration = Duration::from_secs(5);

fn spec(name: &str) -> FeedSpec {
    FeedSpec { name: name.into(), url: "http://127.0.0.1:9/".into(), ..FeedSpec::default() }
}

struct Rig {
    _dir: tempfile::TempDir,
    tray: TrayFeed,
    other: Store,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::path_in(dir.path());
    let other = Store::open(&db).unwrap();
    let data_dir = DataDir::create(dir.path().to_owned()).unwrap();
    let herald = Herald::open(data_dir, Arc::new(herald_secrets::NoSecrets)).unwrap();
    let tray = TrayFeed::new(herald, Arc::default());
    Rig { _dir: dir, tray, other }
}

/// The model as the resident gets it: asks, and when the gap defers it, sleeps to the deadline.
fn model_when_due(tray: &mut TrayFeed) -> Option<TrayModel> {
    let give_up = Instant::now() + DEADLINE;
    loop {
        if let Some(model) = tray.changed_model() {
            return Some(model);
        }
        let due = tray.next_look()?;
        assert!(due < give_up, "the tray put its next look off too far");
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}

/// The model after a change made within the events' gap that began at `built`, which must wake
/// the resident before that gap ends and be rebuilt within REBUILD_GAP of `built`.
fn shown_within_the_short_gap(
    tray: &mut TrayFeed,
    inbox: &crossbeam_channel::Receiver<Request>,
    built: Instant,
    what: &str,
) -> TrayModel {
    let request = inbox.recv_deadline(built + EVENT_GAP - Duration::from_millis(100));
    assert_eq!(request, Ok(Request::StoreChanged), "{what} did not wake the resident");
    tray.heard();
    if tray.changed_model().is_none() {
        let due = tray.next_look().expect("the change's rebuild was dropped");
        assert!(due <= built + REBUILD_GAP, "{what} waited for the events' gap");
    }
    model_when_due(tray).expect("the change never showed")
}

#[test]
fn a_commit_elsewhere_is_one_request_and_a_new_model() {
    let mut rig = rig();
    let (requests, inbox) = crate::event_loop::channel();
    let _follower = rig.tray.follow(requests);
    assert!(rig.tray.changed_model().unwrap().feeds.is_empty());
    // One look at the end of the events' gap (commits of events meanwhile wake nobody), and
    // after it, nothing to wait for: no timer.
    assert!(rig.tray.next_look().is_some_and(|due| due <= Instant::now() + EVENT_GAP));
    let _ = model_when_due(&mut rig.tray);
    assert_eq!(rig.tray.next_look(), None, "a timer after the gap's look");
    for n in 0..5 {
        rig.other.add_feed(&spec(&format!("feed {n}"))).unwrap();
    }
    assert_eq!(inbox.recv_timeout(DEADLINE), Ok(Request::StoreChanged));
    // Five commits, one request: the next waits until the resident took this one.
    assert!(inbox.try_recv().is_err(), "a burst of commits queued more than one request");
    rig.tray.heard();
    let model = model_when_due(&mut rig.tray).expect("the commits brought no new model");
    assert_eq!(model.feeds.len(), 5);
    rig.other.add_feed(&spec("after")).unwrap();
    assert_eq!(inbox.recv_timeout(DEADLINE), Ok(Request::StoreChanged), "heard() re-arms");
}

#[test]
fn rebuilds_within_the_gap_are_deferred_to_its_end_not_dropped() {
    let mut rig = rig();
    assert!(rig.tray.changed_model().is_some());
    rig.other.add_feed(&spec("soon after")).unwrap();
    let asked = Instant::now();
    if rig.tray.changed_model().is_none() {
        let due = rig.tray.next_look().expect("a deferred rebuild sets a deadline");
        assert!(due <= asked + REBUILD_GAP, "deferred past the gap");
    }
    assert_eq!(model_when_due(&mut rig.tray).map(|m| m.feeds.len()), Some(1));
    assert_eq!(rig.tray.next_look(), None);
}

/// A feed snoozed for `ms` from now, added by another connection.
fn snoozed_for(rig: &mut Rig, ms: i64) {
    let feed = rig.other.add_feed(&spec("snoozed")).unwrap();
    let mut snoozed = feed.spec.clone();
    snoozed.snooze_until = Some(now_millis() + ms);
    rig.other.update_feed(&feed.id, &snoozed).unwrap();
}

#[test]
fn the_end_of_a_snooze_is_the_only_timer() {
    let mut rig = rig();
    snoozed_for(&mut rig, 600);
    let model = rig.tray.changed_model().unwrap();
    assert!(model.feeds[0].quiet);
    let due = rig.tray.next_look().expect("no wake-up at the end of the snooze");
    assert!(due <= Instant::now() + Duration::from_millis(600), "woken too late");
    // Nothing was committed, yet at the deadline the model changes.
    let model = model_when_due(&mut rig.tray).expect("the snooze ended unseen");
    assert!(!model.feeds[0].quiet, "still snoozed after its end");
    assert_eq!(rig.tray.next_look(), None);
}

/// A snooze that ends right after a rebuild (within the gap) is one look at the gap's end: the
/// resident used to wake at the snooze's end, find the rebuild deferred, and wake again at once,
/// hundreds of times until the gap was over.
#[test]
fn a_snooze_ending_within_the_gap_is_one_look_not_a_spin() {
    let mut rig = rig();
    snoozed_for(&mut rig, 20);
    assert!(rig.tray.changed_model().unwrap().feeds[0].quiet);
    let give_up = Instant::now() + DEADLINE;
    let mut looks = 0;
    let model = loop {
        let due = rig.tray.next_look().expect("no wake-up at the end of the snooze");
        looks += 1;
        assert!(due < give_up, "put off too far");
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        if let Some(model) = rig.tray.changed_model() {
            break model;
        }
    };
    assert!(!model.feeds[0].quiet, "still snoozed after its end");
    assert!(looks <= 2, "{looks} looks for one snooze's end");
}

/// Events alone (unread counts) rebuild the tray at most every EVENT_GAP, so a busy feed does
/// not rebuild it for each event; a change of feeds or settings meanwhile still shows within
/// REBUILD_GAP.
#[test]
fn events_alone_wait_for_the_longer_gap_a_change_of_settings_does_not() {
    let mut rig = rig();
    let feed = rig.other.add_feed(&spec("busy")).unwrap();
    // The configuration beacon back to long ago, so that the change of feeds below moves it
    // even within the file system's clock tick (its stamp's limit: such a change would show
    // at the longer gap).
    let beacon = herald_store::changes::beacon_path(rig.other.path(), herald_api::Beacon::Config);
    std::fs::File::options()
        .write(true)
        .open(&beacon)
        .and_then(|f| f.set_modified(std::time::SystemTime::UNIX_EPOCH))
        .unwrap();
    assert!(rig.tray.changed_model().is_some());
    let built = Instant::now();
    rig.other.accept_batch(&[event_for(&feed.id, 1)]).unwrap();
    assert!(rig.tray.changed_model().is_none(), "an event rebuilt the tray within the gap");
    let due = rig.tray.next_look().expect("the event's rebuild was dropped");
    assert!(due > built + 2 * REBUILD_GAP, "events alone did not wait for the longer gap");
    rig.other.add_feed(&spec("new")).unwrap();
    assert!(rig.tray.changed_model().is_none());
    let due = rig.tray.next_look().expect("the change's rebuild was dropped");
    assert!(due <= built + REBUILD_GAP, "a change of feeds waited for the events' gap");
    assert_eq!(model_when_due(&mut rig.tray).map(|m| m.feeds.len()), Some(2));
}

fn event_for(feed_id: &str, n: u32) -> herald_store::Incoming {
    herald_store::Incoming {
        feed_id: feed_id.into(),
        resume_position: n.to_string(),
        event_id: Some(n.to_string()),
        event_type: "message".into(),
        data: "news".into(),
        kept: Some(herald_store::Rendered {
            title: "news".into(),
            body: "news".into(),
            link: None,
            priority: None,
        }),
        received_at: now_millis(),
    }
}

/// While the resident waits out the events' gap, a change of feeds still wakes it and shows
/// within REBUILD_GAP, even where the configuration beacon's time does not move (file systems
/// that keep whole seconds: two rings in one second leave the same time).
#[test]
fn a_change_of_feeds_within_the_gap_shows_at_once_even_if_the_beacons_time_stands_still() {
    let mut rig = rig();
    rig.other.add_feed(&spec("first")).unwrap();
    let (requests, inbox) = crate::event_loop::channel();
    let _following = rig.tray.follow(requests);
    assert!(rig.tray.changed_model().is_some());
    let built = Instant::now();
    let beacon = herald_store::changes::beacon_path(rig.other.path(), herald_api::Beacon::Config);
    let before = std::fs::metadata(&beacon).and_then(|m| m.modified()).unwrap();
    rig.other.add_feed(&spec("second")).unwrap();
    // The time the ring set, put back: as a file system with whole seconds would have kept it.
    std::fs::File::options()
        .write(true)
        .open(&beacon)
        .and_then(|f| f.set_modified(before))
        .unwrap();
    let model = shown_within_the_short_gap(&mut rig.tray, &inbox, built, "a change of feeds");
    assert_eq!(model.feeds.len(), 2);
}

/// Events within the gap queue no request, and the look at the gap's end shows them.
#[test]
fn events_within_the_gap_show_at_its_end_without_a_request() {
    let mut rig = rig();
    let feed = rig.other.add_feed(&spec("busy")).unwrap();
    let (requests, inbox) = crate::event_loop::channel();
    let _following = rig.tray.follow(requests);
    assert!(rig.tray.changed_model().is_some());
    let built = Instant::now();
    for n in 1..=3 {
        rig.other.accept_batch(&[event_for(&feed.id, n)]).unwrap();
    }
    let due = rig.tray.next_look().expect("no look at the gap's end");
    assert!(due >= built + EVENT_GAP - Duration::from_millis(50), "looked before the gap's end");
    // A request before the gap's end can only come from a commit the follower let through
    // within the gap (one it heard late, after the gap, comes later).
    assert_eq!(
        inbox.recv_deadline(due),
        Err(crossbeam_channel::RecvTimeoutError::Timeout),
        "an event woke the resident within the gap"
    );
    let model = model_when_due(&mut rig.tray).expect("the events never showed");
    assert_eq!(model.unread, 3);
}

/// An entry marked read elsewhere (a window, the command line) shows in the unread count after
/// the short gap, even while events keep the tray in its gap for events.
#[test]
fn marking_read_within_the_gap_shows_at_once() {
    let mut rig = rig();
    let feed = rig.other.add_feed(&spec("busy")).unwrap();
    for n in 1..=3 {
        rig.other.accept_batch(&[event_for(&feed.id, n)]).unwrap();
    }
    let (requests, inbox) = crate::event_loop::channel();
    let _following = rig.tray.follow(requests);
    assert_eq!(rig.tray.changed_model().expect("a first model").unread, 3);
    let built = Instant::now();
    rig.other.accept_batch(&[event_for(&feed.id, 4)]).unwrap();
    rig.other.set_read(&herald_store::HistoryScope::Feed(feed.id.clone()), true).unwrap();
    let model = shown_within_the_short_gap(&mut rig.tray, &inbox, built, "marking read");
    assert_eq!(model.unread, 0);
}

/// The store's trouble (a full disk) shows after the short gap, not the events' one: no commit
/// announces it, and it is what the user must act on.
#[test]
fn the_stores_trouble_shows_within_the_short_gap() {
    let mut rig = rig();
    assert!(rig.tray.changed_model().is_some());
    let built = Instant::now();
    *rig.tray.trouble.lock().unwrap() = Some("the disk is full".into());
    if rig.tray.changed_model().is_none() {
        let due = rig.tray.next_look().expect("the trouble's rebuild was dropped");
        assert!(due <= built + REBUILD_GAP, "the trouble waited for the events' gap");
    }
    let model = model_when_due(&mut rig.tray).expect("the trouble never showed");
    assert_eq!(model.store_trouble.as_deref(), Some("the disk is full"));
}
