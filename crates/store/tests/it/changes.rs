//! Followers hear about commits from the OS's file notifications, not by polling: a commit in
//! another process or on another connection signals them, the signal comes after the commit is
//! visible, nothing signals while nobody writes, and the WAL is still checkpointed.

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use herald_store::Store;
use herald_store::changes::{Beacon, Follower, beacon_path, stamp};

use crate::{TestDb, spec};

const DEADLINE: Duration = Duration::from_secs(5);

fn follow(path: &std::path::Path) -> (Follower, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let follower = Follower::start(path, Beacon::Any, move || {
        let _ = tx.lock().unwrap().send(());
    });
    (follower, rx)
}

#[test]
fn a_commit_in_another_process_signals_a_follower() {
    let db = TestDb::new();
    let path = db.store.path().to_owned();
    let (_follower, signals) = follow(&path);
    let writer = crate::example("crash_writer");
    let mut child =
        Command::new(writer).arg(&path).stdout(std::process::Stdio::null()).spawn().unwrap();
    let heard = signals.recv_timeout(DEADLINE);
    child.kill().unwrap();
    child.wait().unwrap();
    heard.expect("no signal while another process committed");
}

#[test]
fn a_signal_comes_after_the_commit_is_visible() {
    let mut db = TestDb::new();
    let path = db.store.path().to_owned();
    let (seen_tx, seen) = mpsc::channel();
    let seen_tx = std::sync::Mutex::new(seen_tx);
    let reader = std::sync::Mutex::new(Store::open(&path).unwrap());
    let _follower = Follower::start(&path, Beacon::Any, move || {
        let feeds = reader.lock().unwrap().feeds().unwrap().len();
        let _ = seen_tx.lock().unwrap().send(feeds);
    });
    for n in 1..=20 {
        db.feed(&format!("feed {n}"));
        // Signals may merge, but the one after commit n shows at least n feeds.
        loop {
            let feeds = seen.recv_timeout(DEADLINE).expect("no signal after a commit");
            if feeds >= n {
                break;
            }
        }
    }
}

#[test]
fn nothing_signals_while_nobody_writes() {
    let mut db = TestDb::new();
    db.feed("before");
    let (_follower, signals) = follow(db.store.path());
    // A follower that polled (every 500 ms, like the fallback) would have signalled by now.
    assert_eq!(
        signals.recv_timeout(Duration::from_millis(1_200)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    db.feed("after");
    signals.recv_timeout(DEADLINE).expect("the follower stopped following");
}

#[test]
fn the_wal_is_still_checkpointed_when_commits_ring() {
    let mut db = TestDb::new();
    let big = "x".repeat(3_000);
    for n in 0..1_500 {
        db.store.add_feed(&spec(&format!("{big}{n}"))).unwrap();
    }
    let wal = std::fs::metadata(db.dir.path().join("herald.db-wal")).unwrap().len();
    // Without checkpoints 1,500 commits of a few pages each pass 10 MB; SQLite's threshold is
    // 1,000 pages (4 MB), after which the log starts over.
    assert!(wal < 6 << 20, "the WAL grew to {wal} bytes: no checkpoint ran");
}

#[test]
fn the_config_beacon_rings_for_feeds_and_settings_not_for_events() {
    let mut db = TestDb::new();
    let feed = db.feed("quiet");
    let (tx, config) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let _follower = Follower::start(db.store.path(), Beacon::Config, move || {
        let _ = tx.lock().unwrap().send(());
    });
    db.store.accept(&crate::kept(&feed, "1", Some("1"), "a")).unwrap();
    let (_any, any) = follow(db.store.path());
    db.store.accept(&crate::kept(&feed, "2", Some("2"), "b")).unwrap();
    any.recv_timeout(DEADLINE).expect("an event's commit rang no beacon");
    assert!(config.try_recv().is_err(), "an event's commit rang the config beacon");
    db.feed("another");
    config.recv_timeout(DEADLINE).expect("adding a feed did not ring the config beacon");
    let mut settings = db.store.settings().unwrap();
    settings.do_not_disturb = !settings.do_not_disturb;
    while config.try_recv().is_ok() {}
    db.store.set_settings(&settings).unwrap();
    config.recv_timeout(DEADLINE).expect("a settings change did not ring the config beacon");
}

/// Read marks and deleted history are a person's changes too: the tray's unread count must
/// follow them at once, not at the end of its gap for events.
#[test]
fn the_config_beacon_rings_for_read_marks_and_deleted_history() {
    let mut db = TestDb::new();
    let feed = db.feed("ci");
    for n in 1..=3 {
        db.store.accept(&crate::kept(&feed, &n.to_string(), Some(&n.to_string()), "e")).unwrap();
    }
    let (tx, config) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let _follower = Follower::start(db.store.path(), Beacon::Config, move || {
        let _ = tx.lock().unwrap().send(());
    });
    let (_any, any) = follow(db.store.path());
    db.store.accept(&crate::kept(&feed, "4", Some("4"), "e")).unwrap();
    any.recv_timeout(DEADLINE).expect("an event's commit rang no beacon");
    assert!(config.try_recv().is_err(), "an event's commit rang the config beacon");
    db.store.set_read(&herald_store::HistoryScope::Feed(feed.clone()), true).unwrap();
    config.recv_timeout(DEADLINE).expect("marking a feed read did not ring the config beacon");
    while config.try_recv().is_ok() {}
    db.store.delete_history(&herald_store::HistoryScope::All).unwrap();
    config.recv_timeout(DEADLINE).expect("deleting history did not ring the config beacon");
}

/// The config beacon's stamp moves with a change of feeds or settings and stays with events:
/// what a follower woken by every commit reads instead of querying the database.
#[test]
fn the_config_stamp_moves_for_feeds_and_settings_not_for_events() {
    let mut db = TestDb::new();
    let feed = db.feed("quiet");
    let beacon = beacon_path(db.store.path(), Beacon::Config);
    // Back to long ago: a ring within the file system's clock tick of the last one could keep
    // the time, which is the stamp's documented limit, not what this tests.
    let set_old = || {
        std::fs::File::options()
            .write(true)
            .open(&beacon)
            .and_then(|f| f.set_modified(std::time::SystemTime::UNIX_EPOCH))
            .expect("beacon")
    };
    set_old();
    let old = stamp(&beacon).expect("the beacon exists once a feed was added");
    db.store.accept(&crate::kept(&feed, "1", Some("1"), "a")).unwrap();
    assert_eq!(stamp(&beacon), Some(old), "an event's commit moved the config stamp");
    db.feed("another");
    assert_ne!(stamp(&beacon), Some(old), "adding a feed did not move the config stamp");
    set_old();
    let old = stamp(&beacon).expect("beacon");
    let mut settings = db.store.settings().unwrap();
    settings.do_not_disturb = !settings.do_not_disturb;
    db.store.set_settings(&settings).unwrap();
    assert_ne!(stamp(&beacon), Some(old), "a settings change did not move the config stamp");
}

/// Rings within one tick of the file system's clock still move the stamp (on Linux a ring sets
/// the time to the nanosecond): a change of settings right after a commit is seen as one.
#[cfg(target_os = "linux")]
#[test]
fn back_to_back_changes_each_move_the_config_stamp() {
    let mut db = TestDb::new();
    db.feed("first");
    let beacon = beacon_path(db.store.path(), Beacon::Config);
    for n in 0..20 {
        let before = stamp(&beacon).expect("beacon");
        db.feed(&format!("feed {n}"));
        assert_ne!(stamp(&beacon), Some(before), "change {n} left the config stamp as it was");
    }
}

/// A follower of every commit that asks the config stamp whether a commit changed settings
/// finds it moved already when it hears of that commit: the config beacon rings first.
#[test]
fn the_config_beacon_rings_before_the_one_for_every_commit() {
    let mut db = TestDb::new();
    db.feed("first");
    let beacon = beacon_path(db.store.path(), Beacon::Config);
    let (tx, seen) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let watched = beacon.clone();
    let _follower = Follower::start(db.store.path(), Beacon::Any, move || {
        let _ = tx.lock().unwrap().send(stamp(&watched));
    });
    for n in 0..20 {
        while seen.try_recv().is_ok() {}
        let after = {
            db.feed(&format!("feed {n}"));
            stamp(&beacon)
        };
        let heard = seen.recv_timeout(DEADLINE).expect("no signal for a change of feeds");
        assert_eq!(heard, after, "change {n}: heard before the config beacon moved");
    }
}

/// Someone (a cleaner, a sync tool, a curious user) removes, renames or replaces the beacons'
/// directory while a follower watches it: the follower watches the new one, and a commit after
/// that still signals.
#[test]
fn a_follower_keeps_following_when_its_directory_is_removed_renamed_or_replaced() {
    let mut db = TestDb::new();
    let path = db.store.path().to_owned();
    let dir = herald_store::changes::beacon_path(&path, Beacon::Any).parent().unwrap().to_owned();
    let (_follower, signals) = follow(&path);
    type Tamper<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let mut tamper: Vec<Tamper> = vec![
        ("removed", Box::new(|| std::fs::remove_dir_all(&dir).unwrap())),
        ("renamed", Box::new(|| std::fs::rename(&dir, dir.with_extension("old")).unwrap())),
        (
            "replaced by a file",
            Box::new(|| {
                // The follower makes the directory again as soon as it is gone: replacing it
                // may take a few tries.
                for _ in 0..100 {
                    let _ = std::fs::remove_dir_all(&dir);
                    if std::fs::write(&dir, "junk").is_ok() {
                        return;
                    }
                }
                panic!("could not put a file in the directory's place");
            }),
        ),
    ];
    // On Windows a directory that is watched stays "delete pending" until the watch lets go,
    // and the follower makes it again at once: nothing else can take its place there (a file
    // there before the follower starts is the next test).
    if cfg!(windows) {
        tamper.pop();
    }
    for (n, (what, tamper)) in tamper.iter().enumerate() {
        tamper();
        // The tampering itself may signal; a commit after it must, whatever came before.
        while signals.recv_timeout(Duration::from_millis(300)).is_ok() {}
        db.feed(&format!("after the directory was {what} {n}"));
        signals.recv_timeout(DEADLINE).unwrap_or_else(|_| panic!("deaf after it was {what}"));
    }
}

#[test]
fn a_file_in_the_place_of_the_directory_at_start_is_replaced() {
    let mut db = TestDb::new();
    let path = db.store.path().to_owned();
    let dir = herald_store::changes::beacon_path(&path, Beacon::Any).parent().unwrap().to_owned();
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::write(&dir, "junk").unwrap();
    let (_follower, signals) = follow(&path);
    db.feed("after");
    signals.recv_timeout(DEADLINE).expect("a file where the directory belongs made it deaf");
}

/// A link in the place of the beacons' directory (to a directory elsewhere, or to nothing) is
/// replaced by a directory of Herald's own, never followed: nothing elsewhere is made, touched
/// or chmodded, and the follower hears commits, also after the link is swapped in while it runs.
#[cfg(unix)]
#[test]
fn a_link_in_the_place_of_the_directory_is_replaced_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let mut db = TestDb::new();
    let path = db.store.path().to_owned();
    let dir = herald_store::changes::beacon_path(&path, Beacon::Any).parent().unwrap().to_owned();
    let elsewhere = tempfile::tempdir().unwrap();
    let theirs = elsewhere.path().join("beacon");
    std::fs::write(&theirs, "not Herald's").unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    std::fs::File::options().write(true).open(&theirs).unwrap().set_modified(old).unwrap();
    std::fs::set_permissions(elsewhere.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    replace_with_link(&dir, elsewhere.path());

    let (_follower, signals) = follow(&path);
    db.feed("after a link at start");
    signals.recv_timeout(DEADLINE).expect("deaf with a link where the directory belongs");
    assert!(std::fs::symlink_metadata(&dir).unwrap().is_dir(), "the link was not replaced");

    // Swapped in while it runs: to nothing, then to the directory elsewhere again.
    for target in [std::path::Path::new("/nonexistent/herald"), elsewhere.path()] {
        replace_with_link(&dir, target);
        while signals.try_recv().is_ok() {}
        for n in 0..3 {
            db.feed(&format!("after a link to {} {n}", target.display()));
            signals.recv_timeout(DEADLINE).expect("deaf after a link was swapped in");
        }
    }
    assert_eq!(std::fs::metadata(&theirs).unwrap().modified().unwrap(), old, "touched");
    let names: Vec<_> = std::fs::read_dir(elsewhere.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "something was made elsewhere: {names:?}");
    let mode = std::fs::metadata(elsewhere.path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "the directory elsewhere was chmodded");
}

/// Puts a link to `target` where `dir` is. A running follower makes its directory again as soon
/// as it sees it gone, so removing and linking race with it: try again until the link wins.
#[cfg(unix)]
fn replace_with_link(dir: &std::path::Path, target: &std::path::Path) {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let removed = match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dir),
            Ok(_) => std::fs::remove_file(dir),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Emptied while the follower wrote into it: go round again.
            Err(_) if std::time::Instant::now() < deadline => {}
            Err(e) => panic!("could not remove {}: {e}", dir.display()),
        }
        match std::os::unix::fs::symlink(target, dir) {
            Ok(()) => return,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                assert!(std::time::Instant::now() < deadline, "the link never won the race");
            }
            Err(e) => panic!("could not link {}: {e}", dir.display()),
        }
    }
}

/// Where the OS refuses a watch, a follower still follows: it looks at the beacon every half
/// second, tells of a change only when the beacon moved (a look that told of one every time
/// made the tray rebuild its menu twice a second), and stops looking when it is dropped.
#[test]
fn the_polling_fallback_tells_of_commits_only_and_stops_when_dropped() {
    let mut db = TestDb::new();
    db.feed("a");
    let beacon = beacon_path(db.store.path(), Beacon::Config);
    // A ring long ago: no later one could share its stamp.
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options().write(true).open(&beacon).unwrap().set_modified(long_ago).unwrap();
    let (tx, looks) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let follower = Follower::polling(db.store.path(), Beacon::Config, move || {
        let _ = tx.lock().unwrap().send(());
    });
    looks.recv_timeout(DEADLINE).expect("the first look tells the caller to read");
    let quiet = herald_store::changes::FALLBACK_POLL * 3;
    assert_eq!(
        looks.recv_timeout(quiet),
        Err(mpsc::RecvTimeoutError::Timeout),
        "told of a change with no commit"
    );
    db.feed("b");
    looks.recv_timeout(DEADLINE).expect("the fallback never told of a commit");
    drop(follower);
    // Its thread ends at its next look, then the channel closes (after the looks the fresh
    // ring still causes: a ring within the file system's tick may share its stamp).
    let deadline = std::time::Instant::now() + DEADLINE;
    while looks.recv_timeout(Duration::from_millis(100))
        != Err(mpsc::RecvTimeoutError::Disconnected)
    {
        assert!(std::time::Instant::now() < deadline, "the fallback kept looking after its drop");
    }
}

/// A refusal can be brief (programs starting at login holding every inotify instance for a
/// moment): a follower that had to look on its own at its start watches as soon as it can,
/// rather than looking twice a second for the rest of its life.
#[cfg(target_os = "linux")]
#[test]
fn a_follower_refused_a_watch_at_its_start_watches_once_it_can() {
    let mut db = TestDb::new();
    // Other tests of this binary free instances too: start again until the start was refused.
    let (follower, changes) = (0..50)
        .find_map(|_| {
            let mut held = Vec::new();
            while let Ok(instance) = inotify::Inotify::init() {
                held.push(instance);
                assert!(held.len() < 1_000_000, "inotify instances seem unlimited");
            }
            let (follower, changes) = follow(db.store.path());
            (!follower.is_watching()).then_some((follower, changes))
        })
        .expect("never started without an inotify instance");
    let deadline = std::time::Instant::now() + DEADLINE;
    while !follower.is_watching() {
        assert!(std::time::Instant::now() < deadline, "it never watched once it could");
        changes.recv_timeout(Duration::from_millis(100)).ok();
    }
    while changes.try_recv().is_ok() {}
    db.feed("after");
    changes.recv_timeout(DEADLINE).expect("a commit was not seen once watching");
}

/// The beacons' directories are as private as the data directory they sit in.
#[cfg(unix)]
#[test]
fn the_beacon_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mut db = TestDb::new();
    db.feed("a");
    for which in [Beacon::Any, Beacon::Config] {
        let beacon = beacon_path(db.store.path(), which);
        let dir = beacon.parent().unwrap();
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
}
