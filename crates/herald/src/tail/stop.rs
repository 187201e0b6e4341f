//! Ctrl-C for `tail`, caught on a thread of its own. The reading task stops between pieces of
//! its output, at a line's end; but a write to an output nobody reads (a paused pager, a full
//! pipe, a terminal held with Ctrl-S) does not return, and a stop must not wait for it: after a
//! grace the process ends without the task.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;

/// After Ctrl-C, how long tail is given to stop by itself before the process ends without it.
const GRACE: Duration = Duration::from_secs(1);

/// How long the last words may take to be written (stderr may be stuck too) before the
/// process ends without them.
const LAST_WORDS: Duration = Duration::from_millis(100);

/// What the Ctrl-C thread and the reading task share.
#[derive(Debug, Default)]
pub struct Stop {
    asked: AtomicBool,
    /// Wakes the task where it waits; a wake with no one waiting is kept for the next wait.
    wake: tokio::sync::Notify,
    /// Last words were claimed, by the task or by the thread: the other stays silent.
    said: AtomicBool,
}

impl Stop {
    pub fn asked(&self) -> bool {
        self.asked.load(Ordering::Acquire)
    }

    /// Ready once Ctrl-C was pressed, even before this was first waited for.
    pub async fn wait(&self) {
        if !self.asked() {
            self.wake.notified().await;
        }
    }

    /// Says `words` (the task's last) unless the thread has already said its own.
    pub fn last_words(&self, words: &str) {
        if self.claim_last_words() {
            super::say(words);
        }
    }

    /// True for the first to ask: the one of the two who speaks.
    fn claim_last_words(&self) -> bool {
        !self.said.swap(true, Ordering::AcqRel)
    }

    fn ask(&self) {
        self.asked.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

/// Starts the thread; returns once Ctrl-C is caught (before, it ends the process outright).
pub fn watch() -> anyhow::Result<Arc<Stop>> {
    let stop = Arc::new(Stop::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("cannot start the async runtime")?;
    let (caught, is_caught) = std::sync::mpsc::channel();
    let shared = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let pressed = runtime.block_on(async {
                let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
                // The first poll sets up the catching.
                let early = super::ready_now(ctrl_c.as_mut());
                let _ = caught.send(());
                match early {
                    Some(result) => result,
                    None => ctrl_c.await,
                }
            });
            // Without a way to catch it, Ctrl-C ends the process as it would anyway.
            if pressed.is_err() {
                return;
            }
            shared.ask();
            std::thread::sleep(GRACE);
            if shared.claim_last_words() {
                // From a thread of its own: stderr may be stuck as well.
                let (done, is_done) = std::sync::mpsc::channel();
                let _ = std::thread::Builder::new().spawn(move || {
                    super::say(
                        "stopped without waiting for the output to be read (the last line \
                         may be cut short)",
                    );
                    let _ = done.send(());
                });
                let _ = is_done.recv_timeout(LAST_WORDS);
            }
            std::process::exit(0);
        })
        .context("cannot start a thread")?;
    let _ = is_caught.recv();
    Ok(stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ctrl_c_before_the_task_first_waits_for_it_is_not_missed() {
        let stop = Stop::default();
        stop.ask();
        assert!(stop.asked());
        tokio::time::timeout(Duration::from_secs(5), stop.wait()).await.expect("missed");
        // And a wait that began before it ends with it.
        let stop = Arc::new(Stop::default());
        let waiting = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move { stop.wait().await }
        });
        tokio::task::yield_now().await;
        stop.ask();
        tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("missed").unwrap();
    }

    #[test]
    fn only_one_of_the_task_and_the_thread_says_its_last_words() {
        let stop = Stop::default();
        assert!(stop.claim_last_words());
        assert!(!stop.claim_last_words());
    }
}
