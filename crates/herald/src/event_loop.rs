//! How the resident's main thread sleeps until its next request while the tray stays
//! responsive, without ever polling.
//!
//! On Linux the tray is a D-Bus object served by ksni's own thread, so the main thread simply
//! blocks on the inbox. Windows and macOS deliver tray clicks as window-system events to the
//! thread that created the icon, and only while that thread waits in the platform's own wait:
//! there the thread waits for a window-system event *or* a request. A request comes through a
//! channel the platform's wait cannot see, so whoever sends one also wakes the wait
//! ([`Requests::send`]): on Windows an event object that `MsgWaitForMultipleObjectsEx` waits on
//! beside the message queue, on macOS an application-defined event posted to AppKit's queue.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::tray_model::Action;

/// What the tray, signals and the notification clicks ask the resident's main thread to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Tray(Action),
    /// Something the tray shows may have changed: a commit to the store (by any process) or
    /// the store's trouble.
    StoreChanged,
    Quit,
}

/// Where requests to the resident are sent from any thread (tray clicks, signals, the store's
/// signals); sending also wakes the main thread's wait.
#[derive(Debug, Clone)]
pub struct Requests(Sender<Request>);

impl Requests {
    pub fn send(&self, request: Request) {
        if self.0.send(request).is_ok() {
            wake();
        }
    }
}

/// A new inbox and its sending side.
pub fn channel() -> (Requests, Receiver<Request>) {
    let (tx, rx) = crossbeam_channel::unbounded();
    (Requests(tx), rx)
}

/// Sets the process up as a tray-only app before the icon is created (macOS: no Dock icon).
pub fn prepare() {
    #[cfg(target_os = "macos")]
    macos::prepare();
}

fn wake() {
    #[cfg(windows)]
    windows::wake();
    #[cfg(target_os = "macos")]
    macos::wake();
}

/// The next request, or `Timeout` at `deadline` (None: no deadline), with the platform's events
/// handled meanwhile.
pub fn next(
    inbox: &Receiver<Request>,
    deadline: Option<Instant>,
) -> Result<Request, RecvTimeoutError> {
    #[cfg(windows)]
    return wait_loop(inbox, deadline, windows::wait);
    #[cfg(target_os = "macos")]
    return {
        macos::ready();
        wait_loop(inbox, deadline, macos::wait)
    };
    #[cfg(not(any(windows, target_os = "macos")))]
    return match deadline {
        Some(deadline) => inbox.recv_deadline(deadline),
        None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
}

/// Alternates a look at the inbox with `wait(left)`, which handles the platform's events and
/// returns after one, after a wake, or when `left` (None: forever) has passed.
#[cfg_attr(not(any(windows, target_os = "macos")), allow(dead_code))]
fn wait_loop(
    inbox: &Receiver<Request>,
    deadline: Option<Instant>,
    mut wait: impl FnMut(Option<Duration>),
) -> Result<Request, RecvTimeoutError> {
    loop {
        match inbox.try_recv() {
            Ok(request) => return Ok(request),
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                return Err(RecvTimeoutError::Disconnected);
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(RecvTimeoutError::Timeout);
        }
        wait(left);
    }
}

// The window system's C APIs, with nothing of ours behind the pointers they take.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows {
    use std::sync::OnceLock;
    use std::time::Duration;

    use windows_sys::Win32::Foundation::HANDLE;
    use windows_sys::Win32::System::Threading::{CreateEventW, INFINITE, SetEvent};
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DispatchMessageW, MSG, MWMO_INPUTAVAILABLE, MsgWaitForMultipleObjectsEx, PM_REMOVE,
        PeekMessageW, QS_ALLINPUT, TranslateMessage,
    };

    /// The auto-reset event that [`wake`] sets; the handle as an integer, which is Sync.
    fn event() -> HANDLE {
        static EVENT: OnceLock<usize> = OnceLock::new();
        // SAFETY: no security attributes, no name; the handle lives as long as the process.
        *EVENT.get_or_init(|| unsafe {
            CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) as usize
        }) as HANDLE
    }

    pub fn wake() {
        // SAFETY: a valid event handle (or null, which SetEvent refuses harmlessly).
        unsafe {
            SetEvent(event());
        }
    }

    /// Dispatches every queued message (tray-icon's hidden window gets its clicks this way),
    /// then sleeps until a message arrives, [`wake`] is called, or `left` passed.
    pub fn wait(left: Option<Duration>) {
        dispatch();
        let millis = left.map_or(INFINITE, |left| {
            // Rounded up: a deadline a fraction of a millisecond away must not spin.
            let ms = left.as_micros().div_ceil(1000);
            u32::try_from(ms).unwrap_or(INFINITE - 1).min(INFINITE - 1)
        });
        let handles = [event()];
        // Without the event (CreateEventW failed) a request is noticed at the next message or
        // within 50 ms: late, but never a spinning wait.
        let (count, millis) = if handles[0].is_null() { (0, millis.min(50)) } else { (1, millis) };
        // SAFETY: `count` valid handles in a live array; MWMO_INPUTAVAILABLE also returns for
        // messages that arrived before the call and are still queued.
        unsafe {
            MsgWaitForMultipleObjectsEx(
                count,
                handles.as_ptr(),
                millis,
                QS_ALLINPUT,
                MWMO_INPUTAVAILABLE,
            );
        }
        dispatch();
    }

    fn dispatch() {
        // SAFETY: MSG is plain data; PeekMessageW fills it before it is read, and the calls
        // happen on this thread, which owns the tray's window.
        unsafe {
            let mut message: MSG = std::mem::zeroed();
            while PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
                TranslateMessage(&message);
                DispatchMessageW(&message);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::time::Instant;

        use crate::event_loop::Request;
        use crate::event_loop::{channel, next};

        #[test]
        fn a_request_from_another_thread_ends_the_wait_at_once() {
            let (requests, inbox) = channel();
            let sent = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                let at = Instant::now();
                requests.send(Request::StoreChanged);
                at
            });
            let got = next(&inbox, None);
            let woke = Instant::now();
            let at = sent.join().unwrap();
            assert_eq!(got, Ok(Request::StoreChanged));
            assert!(
                woke - at < Duration::from_millis(50),
                "handled {:?} after it was sent",
                woke - at
            );
        }

        #[test]
        fn an_idle_wait_sleeps_until_its_deadline_in_one_wait() {
            let (_requests, inbox) = channel();
            let mut waits = 0;
            let start = Instant::now();
            let got = crate::event_loop::wait_loop(
                &inbox,
                Some(start + Duration::from_millis(300)),
                |left| {
                    waits += 1;
                    wait(left);
                },
            );
            assert_eq!(got, Err(crossbeam_channel::RecvTimeoutError::Timeout));
            assert!(start.elapsed() >= Duration::from_millis(300));
            // One wait, maybe a second for the rounding: never 50 ms slices.
            assert!(waits <= 2, "woke {waits} times in 300 ms with nothing to do");
        }
    }
}

#[cfg(target_os = "macos")]
#[allow(unsafe_code)]
mod macos {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use objc2::rc::autoreleasepool;

    use objc2::MainThreadMarker;
    use objc2_app_kit::{
        NSApplication, NSApplicationActivationPolicy, NSEvent, NSEventMask, NSEventModifierFlags,
        NSEventType,
    };
    use objc2_foundation::{NSDate, NSDefaultRunLoopMode, NSPoint};

    pub fn prepare() {
        let Some(main) = MainThreadMarker::new() else {
            tracing::warn!("the resident does not run on the main thread; the tray may not answer");
            return;
        };
        let app = NSApplication::sharedApplication(main);
        // An accessory app has a menu-bar item but no Dock icon and no app menu.
        let _ = app.setActivationPolicy(NSApplicationActivationPolicy::Accessory);
        app.finishLaunching();
    }

    /// Set on the main thread once the application object exists: before that a wake has
    /// nothing to wake (and must not make the application on another thread); the first wait
    /// looks at the inbox before it sleeps, so no request is missed.
    static READY: AtomicBool = AtomicBool::new(false);

    /// Makes the application object on the main thread (a `herald daemon` never called
    /// `prepare`), then lets wakes post to it.
    pub fn ready() {
        if !READY.load(Ordering::Acquire)
            && let Some(main) = MainThreadMarker::new()
        {
            let _ = NSApplication::sharedApplication(main);
            READY.store(true, Ordering::Release);
        }
    }

    /// Posts an application-defined event, which ends the main thread's wait.
    pub fn wake() {
        if !READY.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: AppKit documents `postEvent:atStart:` as callable from secondary threads, and
        // `sharedApplication` only returns the instance `ready` made on the main thread.
        autoreleasepool(|_| unsafe {
            let main = MainThreadMarker::new_unchecked();
            let event = NSEvent::otherEventWithType_location_modifierFlags_timestamp_windowNumber_context_subtype_data1_data2(
                NSEventType::ApplicationDefined,
                NSPoint::new(0.0, 0.0),
                NSEventModifierFlags::empty(),
                0.0,
                0,
                None,
                0,
                0,
                0,
            );
            if let Some(event) = event {
                NSApplication::sharedApplication(main).postEvent_atStart(&event, false);
            }
        })
    }

    /// Hands AppKit's next event (a click on the status item, its menu) to the application,
    /// waiting for one (or a wake) at most `left`, or for ever.
    pub fn wait(left: Option<Duration>) {
        let Some(main) = MainThreadMarker::new() else {
            std::thread::sleep(left.unwrap_or(Duration::from_secs(1)));
            return;
        };
        // Nothing drains a pool for us (no `[NSApp run]`): one per event, or what AppKit
        // autoreleases would pile up for the resident's whole life.
        autoreleasepool(|_| {
            let app = NSApplication::sharedApplication(main);
            let until = match left {
                Some(left) => NSDate::dateWithTimeIntervalSinceNow(left.as_secs_f64()),
                None => NSDate::distantFuture(),
            };
            // SAFETY: reading an AppKit constant that is initialised before main runs.
            let mode = unsafe { NSDefaultRunLoopMode };
            if let Some(event) = app.nextEventMatchingMask_untilDate_inMode_dequeue(
                NSEventMask::Any,
                Some(&until),
                mode,
                true,
            ) {
                // Our own wake-up carries nothing for AppKit.
                if event.r#type() != NSEventType::ApplicationDefined {
                    app.sendEvent(&event);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tray_model::Action;

    #[test]
    fn the_wait_loop_returns_a_request_sent_while_waiting() {
        let (tx, rx) = channel();
        let mut waits = 0;
        let got = wait_loop(&rx, None, |_| {
            waits += 1;
            if waits == 3 {
                tx.send(Request::Tray(Action::Quit));
            }
        });
        assert!(matches!(got, Ok(Request::Tray(Action::Quit))), "{got:?}");
        assert_eq!(waits, 3);
    }

    #[test]
    fn without_a_deadline_the_platform_waits_for_ever_not_in_slices() {
        let (tx, rx) = channel();
        let mut asked = Vec::new();
        let got = wait_loop(&rx, None, |left| {
            asked.push(left);
            tx.send(Request::StoreChanged);
        });
        assert_eq!(got, Ok(Request::StoreChanged));
        assert_eq!(asked, vec![None], "the wait was given a timeout with nothing due");
    }

    #[test]
    fn with_a_deadline_the_platform_waits_until_it_and_no_longer() {
        let (_tx, rx) = channel();
        let deadline = Instant::now() + Duration::from_millis(120);
        let mut asked = Vec::new();
        let got = wait_loop(&rx, Some(deadline), |left| {
            asked.push(left);
            std::thread::sleep(left.unwrap());
        });
        assert!(matches!(got, Err(RecvTimeoutError::Timeout)));
        assert!(asked[0].unwrap() <= Duration::from_millis(120), "{asked:?}");
        assert!(asked.len() <= 2, "waited in slices: {asked:?}");
    }

    #[test]
    fn the_wait_loop_ends_when_every_sender_is_gone() {
        let (tx, rx) = channel();
        drop(tx);
        let got = wait_loop(&rx, None, |_| panic!("no waiting after the end"));
        assert!(matches!(got, Err(RecvTimeoutError::Disconnected)));
    }
}
