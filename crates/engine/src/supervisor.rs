//! One task per enabled feed: connect, read, shape events into the store, and when the
//! connection fails or ends, wait as the reconnection rules say and try again, forever. The
//! state it is in is published at every step. Time comes from tokio, so tests run it with paused
//! time and check every delay exactly.

use std::sync::Arc;
use std::time::Duration;

use herald_secrets::{SecretError, SecretStore, Sensitive};
use herald_sse::{AfterFailure, Backoff, ConnectError, DEFAULT_RETRY, Item, Parser};
use herald_store::{Millis, now_millis};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep, timeout};

use crate::connector::{ByteStream, Connector};
use crate::log_fold::{Line, LogFold};
use crate::notify::Alert;
use crate::plan::FeedPlan;
use crate::shaper::Shaper;
use crate::state::{FeedState, FeedStates, StopReason};
use crate::writer::{self, InFlight, ToWriter};
use herald_model::{IdSource, OnEnd};

/// What the engine can ask of a running supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Drop the connection (if any) and connect again at once: the clock jumped, or the
    /// network changed. A finished feed stays finished.
    ReconnectNow,
    /// Someone asked for this feed: as `ReconnectNow`, and a finished feed runs again.
    Run,
    /// The network came back: a feed waiting out its backoff tries now; a live one stays.
    TryNowIfWaiting,
    Stop,
}

/// A retry every so often while the keyring is unavailable (it may be unlocked any minute).
const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);

/// What the supervisors of one engine share.
pub struct Shared<C: Connector> {
    pub connector: Arc<C>,
    pub writer: mpsc::Sender<ToWriter>,
    pub states: watch::Sender<FeedStates>,
    pub secrets: Arc<dyn SecretStore>,
    pub alerts: mpsc::UnboundedSender<Alert>,
    /// Bytes of shaped events not yet committed, bounded for all feeds together.
    pub in_flight: InFlight,
    /// A uniform random number in [0, 1), for the backoff's jitter.
    pub random: Arc<dyn Fn() -> f64 + Send + Sync>,
}

pub struct Supervisor<C: Connector> {
    pub shared: Arc<Shared<C>>,
    pub plan: watch::Receiver<Arc<FeedPlan>>,
    pub commands: mpsc::UnboundedReceiver<Command>,
    /// Where the feed resumes, as the store last committed it.
    pub position: String,
    /// The feed's newest stored own ids, newest first, to recognise a server's replay.
    pub recent_ids: Vec<String>,
    /// When the feed finished, if it did and has not been run again since.
    pub finished_at: Option<Millis>,
    pub log: LogFold,
}

/// One connection as it is read: its watchdog, since when it is live, and what it brought.
#[derive(Debug, Default)]
struct Reading {
    idle: Duration,
    live_since: Millis,
    /// Any event at all (repeats and heartbeats too).
    any: bool,
    /// An event handed on to be stored (not a repeat, not a heartbeat).
    new: bool,
}

/// How a live connection ended.
enum Ended {
    Stop,
    ReconnectNow,
    /// The server ended the stream cleanly.
    Done,
    Failed(String),
}

/// What the supervisor does after an attempt that did not stay up.
enum After {
    Wait(Duration),
    Halt(StopReason),
}

impl<C: Connector> Supervisor<C> {
    pub async fn run(mut self) {
        let first = self.plan.borrow().clone();
        let id = first.id.clone();
        let mut backoff = Backoff::new(DEFAULT_RETRY, first.connection.max_backoff);
        let mut parser = Parser::new();
        if first.connection.id_source == IdSource::Sse {
            parser = parser.with_last_event_id(&self.position);
        }
        let mut shaper =
            Shaper::new(std::mem::take(&mut self.position), std::mem::take(&mut self.recent_ids));
        let mut lease: Option<C::Lease> = None;
        let mut fresh_slot = false;
        // Connections in a row that brought no new event.
        if let Some(at) = self.finished_at.take()
            && first.connection.on_end == OnEnd::Finish
            && self.finish(at, None).await
        {
            return;
        }
        loop {
            let plan = self.plan.borrow().clone();
            let secret = match self.secret(&plan).await {
                Ok(secret) => secret,
                Err(error) => {
                    self.publish(FeedState::Stopped {
                        reason: StopReason::CredentialsUnavailable,
                        error: error.to_string(),
                    })
                    .await;
                    match self.wait(CREDENTIALS_RETRY).await {
                        Some(Command::Stop) => return,
                        _ => continue,
                    }
                }
            };
            if lease.is_none() {
                match self.shared.connector.lease(&plan.connection, fresh_slot) {
                    Ok(l) => lease = Some(l),
                    Err(e) => {
                        if self.halt(StopReason::InvalidConfiguration, e.to_string()).await {
                            return;
                        }
                        continue;
                    }
                }
            }
            // The shaper's position, not the parser's: a replay of events already handed on
            // does not pull it back (see `Shaper::shape`).
            let position = shaper.position();
            if plan.connection.id_source == IdSource::Sse {
                parser.set_last_event_id(position);
            }
            let request = match plan.connection.request(position, secret.as_ref()) {
                Ok(r) => r,
                Err(e) => {
                    if self.halt(StopReason::InvalidConfiguration, e.to_string()).await {
                        return;
                    }
                    continue;
                }
            };
            self.publish(FeedState::Connecting { attempt: backoff.failures() }).await;
            let idle = plan.connection.idle_timeout;
            let result = {
                let shared = self.shared.clone();
                let Some(lease_ref) = lease.as_ref() else { continue };
                let attempt = shared.connector.connect(lease_ref, request);
                tokio::pin!(attempt);
                // A job's stream (a feed that finishes) is not cut and sent again because the
                // clock jumped: that would run the job again. Only someone asking does it.
                let finishing = plan.connection.on_end == OnEnd::Finish;
                loop {
                    tokio::select! {
                        biased;
                        command = self.commands.recv() => match command {
                            None | Some(Command::Stop) => return,
                            Some(Command::ReconnectNow) if finishing => {}
                            Some(Command::ReconnectNow | Command::Run) => break None,
                            Some(Command::TryNowIfWaiting) => {}
                        },
                        result = timeout(idle, &mut attempt) => break Some(result),
                    }
                }
            };
            let (after, error) = match result {
                None => continue,
                Some(Err(_)) => {
                    // No answer at all: a stuck connection or a full HTTP/2 stream limit. The
                    // next attempt gets a connection of its own.
                    lease = None;
                    fresh_slot = true;
                    let error = format!("the server did not answer within {} s", idle.as_secs());
                    (After::Wait(backoff.next_delay(Instant::now().into_std(), self.unit())), error)
                }
                Some(Ok(Err(e))) => (self.after_error(&e, &mut backoff), e.to_string()),
                Some(Ok(Ok(stream))) => {
                    backoff.connected(Instant::now().into_std());
                    let at = now_millis();
                    let _ = self
                        .shared
                        .writer
                        .send(ToWriter::Connected { feed_id: id.clone(), at })
                        .await;
                    self.publish(FeedState::Live { since: at, warning: None }).await;
                    let mut delivered = Reading { idle, live_since: at, ..Reading::default() };
                    let ended = self
                        .read(stream, &mut parser, &mut shaper, &mut backoff, &mut delivered)
                        .await;
                    parser.reset_for_reconnect();
                    match ended {
                        Ended::Stop => return,
                        Ended::ReconnectNow => continue,
                        // A job's stream (a POST) that ended, or broke after it was accepted,
                        // is not sent again: that would run the job again.
                        Ended::Done if plan.connection.on_end == OnEnd::Finish => {
                            if self.finish(now_millis(), None).await {
                                return;
                            }
                            continue;
                        }
                        Ended::Failed(error) if plan.connection.on_end == OnEnd::Finish => {
                            if self.finish(now_millis(), Some(error)).await {
                                return;
                            }
                            continue;
                        }
                        Ended::Done => {
                            let delay = backoff.next_delay(Instant::now().into_std(), self.unit());
                            (After::Wait(delay), "the server ended the stream".to_owned())
                        }
                        Ended::Failed(error) => {
                            let delay = backoff.next_delay(Instant::now().into_std(), self.unit());
                            (After::Wait(delay), error)
                        }
                    }
                }
            };
            match after {
                After::Halt(reason) => {
                    if self.halt(reason, error).await {
                        return;
                    }
                }
                After::Wait(delay) => {
                    let delay_ms = Millis::try_from(delay.as_millis()).unwrap_or(Millis::MAX);
                    let at = now_millis().saturating_add(delay_ms);
                    self.publish(FeedState::Retrying { attempt: backoff.failures(), at, error })
                        .await;
                    tracing::debug!(feed = %id, ?delay, "waiting before the next attempt");
                    if let Some(Command::Stop) = self.wait(delay).await {
                        return;
                    }
                }
            }
        }
    }

    fn unit(&self) -> f64 {
        (self.shared.random)()
    }

    fn after_error(&self, error: &ConnectError, backoff: &mut Backoff) -> After {
        match backoff.after_failure(error, Instant::now().into_std(), self.unit()) {
            AfterFailure::Wait(delay) => After::Wait(delay),
            AfterFailure::Stop => After::Halt(StopReason::ServerSaidStop),
            AfterFailure::StopUntilCredentialsChange => {
                After::Halt(StopReason::CredentialsRejected)
            }
            AfterFailure::StopInvalid => After::Halt(StopReason::InvalidConfiguration),
        }
    }

    /// Finished (the stream was a job's answer): recorded in the store, so that a restart does
    /// not run the job again, and then waits until someone runs it; true when told to stop.
    async fn finish(&mut self, at: Millis, cut_short: Option<String>) -> bool {
        let id = self.plan.borrow().id.clone();
        let _ =
            self.shared.writer.send(ToWriter::Finished { feed_id: id.clone(), at: Some(at) }).await;
        self.publish(FeedState::Finished { at, cut_short }).await;
        loop {
            match self.commands.recv().await {
                None | Some(Command::Stop) => return true,
                Some(Command::Run) => {
                    let _ =
                        self.shared.writer.send(ToWriter::Finished { feed_id: id, at: None }).await;
                    return false;
                }
                // A clock jump or a new network does not re-run a job.
                Some(Command::ReconnectNow | Command::TryNowIfWaiting) => {}
            }
        }
    }

    /// Stops until told otherwise; true when told to stop for good.
    async fn halt(&mut self, reason: StopReason, error: String) -> bool {
        self.publish(FeedState::Stopped { reason, error }).await;
        loop {
            match self.commands.recv().await {
                None | Some(Command::Stop) => return true,
                Some(Command::ReconnectNow | Command::Run) => return false,
                Some(Command::TryNowIfWaiting) => {}
            }
        }
    }

    /// Waits `delay` unless a command cuts it short; returns that command.
    async fn wait(&mut self, delay: Duration) -> Option<Command> {
        let deadline = sleep(delay);
        tokio::pin!(deadline);
        tokio::select! {
            biased;
            command = self.commands.recv() => Some(command.unwrap_or(Command::Stop)),
            () = &mut deadline => None,
        }
    }

    async fn secret(&self, plan: &FeedPlan) -> Result<Option<Sensitive<String>>, SecretError> {
        if !plan.connection.auth.needs_secret() {
            return Ok(None);
        }
        let secrets = self.shared.secrets.clone();
        let id = plan.id.clone();
        // Keyring calls block (D-Bus on Linux): off the runtime's threads.
        let secret = tokio::task::spawn_blocking(move || secrets.get(&id))
            .await
            .map_err(|e| SecretError::Failed(e.to_string()))??;
        match secret {
            Some(secret) => Ok(Some(secret)),
            None => Err(SecretError::Unavailable(
                "no credentials are stored for this feed; set them with herald feeds auth".into(),
            )),
        }
    }

    async fn read(
        &mut self,
        mut stream: C::Stream,
        parser: &mut Parser,
        shaper: &mut Shaper,
        backoff: &mut Backoff,
        delivered: &mut Reading,
    ) -> Ended {
        let (idle, live_since) = (delivered.idle, delivered.live_since);
        let mut last_event = Instant::now();
        let mut silence_alerted = false;
        let mut reported_warning = false;
        // See `run`: a job's stream is cut only when someone asks.
        let finishing = self.plan.borrow().connection.on_end == OnEnd::Finish;
        loop {
            let silence = self.plan.borrow().notify.silence_alert.filter(|_| !silence_alerted);
            let silence_deadline = sleep_until_or_never(silence.map(|s| last_event + s));
            let chunk = tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    None | Some(Command::Stop) => return Ended::Stop,
                    Some(Command::ReconnectNow) if finishing => continue,
                    Some(Command::ReconnectNow | Command::Run) => return Ended::ReconnectNow,
                    Some(Command::TryNowIfWaiting) => continue,
                },
                chunk = timeout(idle, stream.chunk()) => chunk,
                () = silence_deadline => {
                    silence_alerted = true;
                    let plan = self.plan.borrow().clone();
                    let _ = self.shared.alerts.send(Alert::Silent {
                        feed_id: plan.id.clone(),
                        quiet_for: silence.unwrap_or_default(),
                    });
                    continue;
                }
            };
            let bytes = match chunk {
                Err(_) => {
                    return Ended::Failed(format!(
                        "no data for {} s (the connection seems dead); reconnecting",
                        idle.as_secs()
                    ));
                }
                Ok(Err(e)) => return Ended::Failed(e.to_string()),
                Ok(Ok(None)) => return Ended::Done,
                Ok(Ok(Some(bytes))) => bytes,
            };
            let plan = self.plan.borrow().clone();
            let now = now_millis();
            let mut events = Vec::new();
            let mut warning = None;
            // The id the dispatches seen so far account for; a dispatch that handed on no event
            // (`id: 9` alone, an event too large) leaves the parser's differing from it. Only an
            // event that set an id accounts for one: one that carries it over (a heartbeat after
            // `id: 9`, say) shows the id of a dispatch before it.
            let mut accounted = parser.dispatched_id().to_owned();
            parser.feed(&bytes, &mut |item| match item {
                Item::Event(event) => {
                    if event.own_id.is_some() {
                        event.last_event_id.clone_into(&mut accounted);
                    }
                    let shaped = shaper.shape(&plan, &event, now);
                    backoff.event(shaped.is_some());
                    delivered.any = true;
                    if let Some(shaped) = shaped {
                        delivered.new = true;
                        if shaped.warning.is_some() {
                            warning = shaped.warning;
                        }
                        events.push(shaped.incoming);
                    }
                }
                Item::Retry(ms) => backoff.set_retry(Duration::from_millis(ms)),
                Item::Comment(_) => {}
                Item::EventTooLarge { limit } => {
                    // Its id counts, and no event explains it (no id holds a NUL: the
                    // parser ignores such ids).
                    accounted.clear();
                    accounted.push('\0');
                    tracing::warn!(
                        feed = %plan.id,
                        "an event larger than {} MiB was dropped; the feed goes on with the next",
                        limit / (1024 * 1024)
                    );
                }
            });
            if parser.dispatched_id() != accounted {
                shaper.follow_dispatch(&plan, parser.dispatched_id());
            }
            if let Some(warning) = warning.filter(|_| !reported_warning) {
                // Reported once per connection, in the feed's state: the event itself was kept.
                reported_warning = true;
                // Folded like state lines: a feed reconnecting often would repeat it.
                for line in self.log.lines(warning.clone(), Instant::now()) {
                    match line {
                        Line::Info(words) => tracing::warn!(feed = %plan.id, "{words}"),
                        Line::Debug(words) => tracing::debug!(feed = %plan.id, "{words}"),
                    }
                }
                self.publish(FeedState::Live { since: live_since, warning: Some(warning) }).await;
            }
            if !events.is_empty() {
                last_event = Instant::now();
                silence_alerted = false;
                // Waiting for room here is the backpressure: the socket is not read meanwhile.
                let bytes = events.iter().map(writer::weight).sum();
                let reserved = self.shared.in_flight.reserve(bytes).await;
                if self.shared.writer.send(ToWriter::Events(events, reserved)).await.is_err() {
                    return Ended::Stop;
                }
            }
        }
    }

    async fn publish(&mut self, state: FeedState) {
        let id = self.plan.borrow().id.clone();
        let changed = self.shared.states.send_if_modified(|states| {
            if states.get(&id) == Some(&state) {
                false
            } else {
                states.insert(id.clone(), state.clone());
                true
            }
        });
        if changed {
            let now = Instant::now();
            for line in self.log.lines(state.words(now_millis()), now) {
                match line {
                    Line::Info(words) => tracing::info!(feed = %id, "{words}"),
                    Line::Debug(words) => tracing::debug!(feed = %id, "{words}"),
                }
            }
            let _ = self
                .shared
                .writer
                .send(ToWriter::Live { feed_id: id, state: state.to_live_state() })
                .await;
        }
    }
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[path = "supervisor_tests.rs"]
mod tests;
