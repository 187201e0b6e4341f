//! The store's integration tests, on real database files in temporary dirs.

mod accept;
mod bad_files;
mod changes;
mod crash;
mod feeds;
mod history;

use herald_store::{FeedSpec, Incoming, Rendered, Store};

pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Store::path_in(dir.path())).unwrap();
        Self { dir, store }
    }

    pub fn reopen(&mut self) {
        self.store = Store::open(&Store::path_in(self.dir.path())).unwrap();
    }

    pub fn feed(&mut self, name: &str) -> String {
        self.store.add_feed(&spec(name)).unwrap().id
    }
}

/// An example program of this crate (`cargo test` builds them next to the test binary).
pub fn example(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "cargo test builds examples; missing {}", path.display());
    path
}

pub fn spec(name: &str) -> FeedSpec {
    FeedSpec { name: name.into(), url: format!("http://127.0.0.1/{name}"), ..FeedSpec::default() }
}

/// A kept event with this own id (or none) at resume position `position`.
pub fn kept(feed: &str, position: &str, own_id: Option<&str>, text: &str) -> Incoming {
    Incoming {
        feed_id: feed.into(),
        resume_position: position.into(),
        event_id: own_id.map(Into::into),
        event_type: "message".into(),
        data: text.into(),
        kept: Some(Rendered {
            title: format!("title {text}"),
            body: text.into(),
            link: None,
            priority: Some(3),
        }),
        received_at: 1_700_000_000_000,
    }
}
