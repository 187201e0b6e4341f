//! The resident: the long-lived process that owns the data dir's lock, the tray, the engine and
//! notifications. It runs until Quit or SIGINT/SIGTERM and then
//! shuts down through one path, so whatever it holds is flushed.

use anyhow::Context;
use crossbeam_channel::Receiver;
use std::sync::{Arc, Mutex};

use herald_api::history::HistoryScope;
use herald_api::trouble::TroubleFile;
use herald_api::{Herald, WindowKind};
use herald_engine::{Engine, EngineOptions};
use herald_os::{DataDir, InstanceLock};
use herald_secrets::{Keyring, NoSecrets};

use crate::clicks::{self, Click, ClickTargets};
use crate::event_loop::{Request, Requests};
use crate::notifier::DesktopNotifier;
use crate::retention;
use crate::tray::Tray;
use crate::tray_actions::TrayFeed;
use crate::tray_model::{Action, TrayModel};
use crate::ui_launcher;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayMode {
    Tray,
    /// `herald daemon`: for tiling window managers, servers and tests.
    None,
}

/// Where requests reach the resident. Made (and SIGINT/SIGTERM routed into it) before the
/// data dir's lock is taken: from the moment the lock's pid file names this process, a signal
/// must lead to the clean shutdown path.
#[derive(Debug)]
pub struct Inbox {
    requests: Requests,
    inbox: Receiver<Request>,
}

impl Inbox {
    pub fn with_signals() -> anyhow::Result<Self> {
        let (requests, inbox) = crate::event_loop::channel();
        stop_on_signals(requests.clone())?;
        Ok(Self { requests, inbox })
    }
}

#[derive(Debug)]
pub struct Resident {
    data_dir: DataDir,
    inbox: Inbox,
    _lock: InstanceLock,
    tray_mode: TrayMode,
    open_on_start: Option<WindowKind>,
}

impl Resident {
    pub fn new(data_dir: DataDir, inbox: Inbox, lock: InstanceLock, tray_mode: TrayMode) -> Self {
        Self { data_dir, inbox, _lock: lock, tray_mode, open_on_start: None }
    }

    pub fn open_on_start(mut self, window: WindowKind) -> Self {
        self.open_on_start = Some(window);
        self
    }

    pub fn run(self) -> anyhow::Result<()> {
        // The database first: a damaged or too-new file stops the resident with words, before
        // any tray icon suggests that all is well.
        let open = || Herald::open(self.data_dir.clone(), Arc::new(Keyring::new()));
        let herald = open()?;
        let db = herald.database();
        let targets = Arc::new(ClickTargets::default());
        let data_dir = self.data_dir.clone();
        if let Err(e) = clicks::listen(targets.clone(), move |click| on_click(&data_dir, click)) {
            tracing::warn!("clicks on notifications will do nothing: {e:#}");
        }
        // The store's trouble (a full disk) is told to the tray directly and to other processes
        // through a file allocated now, while there is room.
        let trouble: Arc<Mutex<Option<String>>> = Arc::default();
        let trouble_file = TroubleFile::create(&self.data_dir)
            .map_err(|e| tracing::warn!("the store's trouble will show only in the log: {e}"))
            .ok();
        let mut options = EngineOptions::new(db.clone());
        options.on_store_trouble = {
            let trouble = trouble.clone();
            let changed = self.inbox.requests.clone();
            Arc::new(move |words: Option<&str>| {
                if let Some(file) = &trouble_file {
                    file.set(words);
                }
                if let Ok(mut shared) = trouble.lock() {
                    *shared = words.map(str::to_owned);
                }
                changed.send(Request::StoreChanged);
            })
        };
        let engine = Engine::start(
            options,
            Arc::new(DesktopNotifier::new(targets)),
            Arc::new(Keyring::new()),
        )
        .context("cannot start the feeds")?;
        let (stop_retention, retention_stop) = crossbeam_channel::bounded(1);
        // Its own connection: an hourly clean-up in the middle of a long delete must not hold
        // up the tray.
        let retention =
            retention::spawn(herald, retention_stop).context("cannot start a thread")?;
        // The tray shows every feed from its first moment: the model is read before the icon
        // is published, not at the first refresh.
        let mut tray_feed = TrayFeed::new(open()?, trouble);
        // Followed before the first read: the engine is already connecting, and a commit
        // between the read and the watch would show only at the next one (a feed stuck at
        // "connecting" in the menu while it is live).
        let mut follower = (self.tray_mode == TrayMode::Tray)
            .then(|| tray_feed.follow(self.inbox.requests.clone()));
        let mut tray = match self.tray_mode {
            TrayMode::Tray => {
                crate::event_loop::prepare();
                let first = tray_feed.changed_model().unwrap_or_default();
                start_tray(self.inbox.requests.clone(), &first)
            }
            TrayMode::None => None,
        };
        // Without a tray nothing on this thread shows the store: it only waits for Quit.
        if tray.is_none() {
            follower = None;
        }
        let _follower = follower;
        tracing::info!(data_dir = %self.data_dir.path().display(), pid = std::process::id(), "resident started");
        if let Some(window) = self.open_on_start {
            self.open(window);
        }
        self.serve(&engine, tray.as_mut(), &mut tray_feed);
        // Every feed stops and whatever was received is committed before the process ends.
        engine.stop();
        let _ = stop_retention.send(());
        // An hourly clean-up in the middle of a long delete must not hold the exit either.
        herald_engine::join_within(retention, std::time::Duration::from_millis(300));
        tracing::info!("resident stopped");
        Ok(())
    }

    fn serve(&self, engine: &Engine, mut tray: Option<&mut Tray>, feed: &mut TrayFeed) {
        // This thread sleeps until a request comes (pumping the window system's events where the
        // tray needs that, see `event_loop`) or the tray's model changes by the clock alone (a
        // snooze ends), and then keeps the tray in line with the store. The inbox holds a
        // sender itself, so it only ends by Quit.
        loop {
            let wake = tray.is_some().then(|| feed.next_look()).flatten();
            match crate::event_loop::next(&self.inbox.inbox, wake) {
                Ok(Request::Tray(Action::Quit)) | Ok(Request::Quit) => break,
                Ok(Request::Tray(action)) => {
                    feed.perform(action, engine, &self.data_dir);
                    if let Some(tray) = tray.as_deref_mut() {
                        tray.clicked();
                    }
                }
                Ok(Request::StoreChanged) => feed.heard(),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
            if let Some(tray) = tray.as_deref_mut()
                && let Some(model) = feed.changed_model()
                && let Err(e) = tray.show(&model)
            {
                tracing::warn!("cannot update the tray: {e:#}");
            }
        }
    }

    fn open(&self, window: WindowKind) {
        if let Err(err) = ui_launcher::open(&self.data_dir, window, None) {
            // The resident keeps running: feeds and notifications do not depend on a window.
            tracing::error!("{err:#}");
        }
    }
}

fn on_click(data_dir: &DataDir, click: Click) {
    let result = match click {
        Click::OpenLink(link) => herald_os::opener::open_link(&link).map_err(anyhow::Error::from),
        Click::ShowEvent(id) => {
            ui_launcher::open(data_dir, WindowKind::History, Some(&id.to_string()))
        }
        Click::MarkRead(id) => Herald::open(data_dir.clone(), Arc::new(NoSecrets))
            .and_then(|herald| herald.mark_read(HistoryScope::One { id }, true))
            .map(drop)
            .map_err(anyhow::Error::from),
    };
    if let Err(e) = result {
        tracing::warn!("the notification's action failed: {e:#}");
    }
}

fn start_tray(requests: Requests, model: &TrayModel) -> Option<Tray> {
    match Tray::start(requests, model) {
        Ok(tray) => {
            if !crate::tray::host_present() {
                tracing::warn!("{}", crate::tray::NO_HOST);
                crate::tray::say_no_host();
            }
            Some(tray)
        }
        Err(err) => {
            tracing::warn!(
                "no tray icon ({err:#}); Herald keeps running and notifying. \
                 Run `herald` to open its window."
            );
            None
        }
    }
}

/// Windows: `herald --background` (launch at login, or started by the windows) is a console
/// program, which would keep a console window open for the resident's whole life (and closing
/// it would quit Herald): it lets go of the console, which closes when no one else uses it.
pub fn leave_console() {
    #[cfg(windows)]
    #[allow(unsafe_code)]
    // SAFETY: no arguments; detaching from a console is allowed at any time.
    unsafe {
        windows_sys::Win32::System::Console::FreeConsole();
    }
}

/// How long after being asked to stop (SIGINT/SIGTERM, Ctrl+C) the process ends whatever it is
/// doing. The promise is an exit within 2 s in every state. Every part of the stop has its own
/// deadline, but a start still waiting for the database (locked by another program) has not
/// reached them: past this, the process just ends. Nothing is lost: SQLite keeps what was
/// committed, and what was not is fetched again.
const EXIT_DEADLINE: std::time::Duration = std::time::Duration::from_millis(1_900);

fn exit_after_deadline() {
    std::thread::sleep(EXIT_DEADLINE);
    tracing::warn!("stopping took too long; exiting now");
    std::process::exit(0);
}

#[cfg(unix)]
fn stop_on_signals(requests: Requests) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).context("cannot watch signals")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                tracing::info!(signal, "stopping on signal");
                requests.send(Request::Quit);
                exit_after_deadline();
            }
        })
        .context("cannot start a thread")?;
    Ok(())
}

/// Windows has no signals: a console's Ctrl+C, Ctrl+Break and its window closing arrive as
/// console control events (on a thread the system makes), for `herald daemon` in a terminal.
#[cfg(windows)]
#[allow(unsafe_code)]
fn stop_on_signals(requests: Requests) -> anyhow::Result<()> {
    use std::sync::OnceLock;
    use windows_sys::Win32::System::Console::{
        CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, SetConsoleCtrlHandler,
    };

    static STOP: OnceLock<Requests> = OnceLock::new();

    unsafe extern "system" fn on_control(kind: u32) -> i32 {
        if !matches!(kind, CTRL_C_EVENT | CTRL_BREAK_EVENT | CTRL_CLOSE_EVENT) {
            return 0;
        }
        tracing::info!(kind, "stopping on a console control event");
        if let Some(requests) = STOP.get() {
            requests.send(Request::Quit);
        }
        if kind == CTRL_CLOSE_EVENT {
            // The system ends the process when this returns: wait for the clean stop here.
            exit_after_deadline();
        }
        let _ = std::thread::Builder::new().name("stop-deadline".into()).spawn(exit_after_deadline);
        1
    }

    let _ = STOP.set(requests);
    // SAFETY: registers a plain function that lives as long as the process.
    if unsafe { SetConsoleCtrlHandler(Some(on_control), 1) } == 0 {
        anyhow::bail!("cannot watch console control events: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn stop_on_signals(_requests: Requests) -> anyhow::Result<()> {
    Ok(())
}
