//! How the resident's main thread waits for its next request while the tray stays responsive.
//!
//! On Linux the tray is a D-Bus object served by ksni's own thread, so the main thread simply
//! blocks on the inbox. Windows and macOS deliver tray clicks as window-system events to the
//! thread that created the icon, and only while that thread pumps them: there the wait pumps
//! the platform's queue in short slices and checks the inbox in between. Requests arrive from
//! other threads through a channel, which the platform's wait cannot see; the slice bounds how
//! late such a request is noticed.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::resident::Request;

/// The longest a request from another thread waits to be noticed on Windows and macOS.
#[cfg_attr(not(any(windows, target_os = "macos")), allow(dead_code))]
const SLICE: Duration = Duration::from_millis(50);

/// Sets the process up as a tray-only app before the icon is created (macOS: no Dock icon).
pub fn prepare() {
    #[cfg(target_os = "macos")]
    macos::prepare();
}

/// The next request, or `Timeout` at `deadline` (None: no deadline), with the platform's events
/// handled meanwhile.
pub fn next(
    inbox: &Receiver<Request>,
    deadline: Option<Instant>,
) -> Result<Request, RecvTimeoutError> {
    #[cfg(windows)]
    return sliced(inbox, deadline, windows::pump);
    #[cfg(target_os = "macos")]
    return sliced(inbox, deadline, macos::pump);
    #[cfg(not(any(windows, target_os = "macos")))]
    return match deadline {
        Some(deadline) => inbox.recv_deadline(deadline),
        None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
}

/// Alternates `pump(slice)` (handles the platform's events for at most `slice`) with a look at
/// the inbox until a request comes or the deadline passed.
#[cfg_attr(not(any(windows, target_os = "macos")), allow(dead_code))]
fn sliced(
    inbox: &Receiver<Request>,
    deadline: Option<Instant>,
    mut pump: impl FnMut(Duration),
) -> Result<Request, RecvTimeoutError> {
    loop {
        match inbox.try_recv() {
            Ok(request) => return Ok(request),
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                return Err(RecvTimeoutError::Disconnected);
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
        }
        let left = deadline.map_or(SLICE, |d| d.saturating_duration_since(Instant::now()));
        if left.is_zero() {
            return Err(RecvTimeoutError::Timeout);
        }
        pump(left.min(SLICE));
    }
}

// The only unsafe code in Herald: the window system's C APIs, with nothing of ours behind the
// pointers they take.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows {
    use std::time::Duration;

    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DispatchMessageW, MSG, MsgWaitForMultipleObjects, PM_REMOVE, PeekMessageW, QS_ALLINPUT,
        TranslateMessage,
    };

    /// Dispatches every queued message (tray-icon's hidden window gets its clicks this way),
    /// then sleeps until a new message arrives or `slice` passed.
    pub fn pump(slice: Duration) {
        // SAFETY: MSG is plain data; PeekMessageW fills it before it is read, and the calls
        // happen on this thread, which owns the tray's window.
        unsafe {
            let mut message: MSG = std::mem::zeroed();
            while PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
                TranslateMessage(&message);
                DispatchMessageW(&message);
            }
            let millis = u32::try_from(slice.as_millis()).unwrap_or(u32::MAX);
            MsgWaitForMultipleObjects(0, std::ptr::null(), 0, millis, QS_ALLINPUT);
        }
    }
}

#[cfg(target_os = "macos")]
#[allow(unsafe_code)]
mod macos {
    use std::time::Duration;

    use objc2::MainThreadMarker;
    use objc2_app_kit::{NSApplication, NSApplicationActivationPolicy, NSEventMask};
    use objc2_foundation::{NSDate, NSDefaultRunLoopMode};

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

    /// Hands AppKit's next event (a click on the status item, its menu) to the application,
    /// waiting for one at most `slice`.
    pub fn pump(slice: Duration) {
        let Some(main) = MainThreadMarker::new() else {
            std::thread::sleep(slice);
            return;
        };
        let app = NSApplication::sharedApplication(main);
        let until = NSDate::dateWithTimeIntervalSinceNow(slice.as_secs_f64());
        // SAFETY: reading an AppKit constant that is initialised before main runs.
        let mode = unsafe { NSDefaultRunLoopMode };
        if let Some(event) = app.nextEventMatchingMask_untilDate_inMode_dequeue(
            NSEventMask::Any,
            Some(&until),
            mode,
            true,
        ) {
            app.sendEvent(&event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tray_model::Action;

    #[test]
    fn sliced_wait_returns_a_request_sent_while_pumping() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut pumps = 0;
        let got = sliced(&rx, Some(Instant::now() + Duration::from_secs(30)), |_| {
            pumps += 1;
            if pumps == 3 {
                tx.send(Request::Tray(Action::Quit)).unwrap();
            }
        });
        assert!(matches!(got, Ok(Request::Tray(Action::Quit))), "{got:?}");
        assert_eq!(pumps, 3);
    }

    #[test]
    fn sliced_wait_pumps_in_slices_until_the_timeout() {
        let (_tx, rx) = crossbeam_channel::unbounded::<Request>();
        let mut slices = Vec::new();
        let got = sliced(&rx, Some(Instant::now() + Duration::from_millis(120)), |slice| {
            slices.push(slice);
            std::thread::sleep(slice);
        });
        assert!(matches!(got, Err(RecvTimeoutError::Timeout)));
        assert!(slices.len() >= 3, "{slices:?}");
        assert!(slices.iter().all(|s| *s <= SLICE), "{slices:?}");
    }

    #[test]
    fn sliced_wait_ends_when_every_sender_is_gone() {
        let (tx, rx) = crossbeam_channel::unbounded::<Request>();
        drop(tx);
        let got = sliced(&rx, Some(Instant::now() + Duration::from_secs(30)), |_| {
            panic!("no pumping after the end")
        });
        assert!(matches!(got, Err(RecvTimeoutError::Disconnected)));
    }
}
