//! Feeds that finish: a POST job's stream is run once, stays finished across restarts, and
//! runs again only when someone asks (paused time, a scripted connector).

use std::sync::Arc;

use bytes::Bytes;
use herald_secrets::NoSecrets;
use herald_store::FeedSpec;
use tokio::sync::mpsc;

use super::{Harness, Outcome, run_for};
use crate::state::FeedState;
use crate::supervisor::Command;
use crate::writer::ToWriter;

fn post() -> FeedSpec {
    FeedSpec { method: "POST".parse().unwrap(), body: Some("{}".into()), ..FeedSpec::default() }
}

fn finished_marks(h: &mut Harness) -> Vec<Option<herald_store::Millis>> {
    let mut marks = Vec::new();
    while let Ok(message) = h.writer.try_recv() {
        if let ToWriter::Finished { at, .. } = message {
            marks.push(at);
        }
    }
    marks
}

#[tokio::test(start_paused = true)]
async fn a_post_stream_that_ends_finishes_and_runs_again_only_when_asked() {
    let (tx, rx) = mpsc::unbounded_channel();
    let (_tx2, rx2) = mpsc::unbounded_channel::<Bytes>();
    let mut h = Harness::start(vec![Outcome::Stream(rx), Outcome::Stream(rx2)], 0.0, post());
    run_for(1).await;
    tx.send(Bytes::from_static(b"data: token\n\ndata: [DONE]\n\n")).unwrap();
    drop(tx);
    run_for(3_600).await;
    assert_eq!(h.attempt_times(), [0.0], "the job was not run again");
    assert!(matches!(h.state(), FeedState::Finished { .. }), "{:?}", h.state());
    assert!(h.state().words(0).starts_with("finished at "));
    assert!(matches!(finished_marks(&mut h)[..], [Some(_)]), "recorded for restarts");
    // A clock jump or a new network does not re-run it; someone asking does.
    h.commands.send(Command::ReconnectNow).unwrap();
    h.commands.send(Command::TryNowIfWaiting).unwrap();
    run_for(60).await;
    assert_eq!(h.attempt_times().len(), 1);
    h.commands.send(Command::Run).unwrap();
    run_for(1).await;
    assert_eq!(h.attempt_times().len(), 2);
    assert_eq!(finished_marks(&mut h), [None], "it may run again after a restart too");
}

#[tokio::test(start_paused = true)]
async fn a_get_stream_that_ends_reconnects_and_a_post_can_be_told_to() {
    for (spec, attempts) in [
        (FeedSpec::default(), 2),
        (
            FeedSpec {
                tuning: herald_store::Tuning {
                    on_end: Some("reconnect".parse().unwrap()),
                    ..Default::default()
                },
                ..post()
            },
            2,
        ),
        (
            FeedSpec {
                tuning: herald_store::Tuning {
                    on_end: Some("finish".parse().unwrap()),
                    ..Default::default()
                },
                ..FeedSpec::default()
            },
            1,
        ),
    ] {
        let (tx, rx) = mpsc::unbounded_channel();
        let (_tx2, rx2) = mpsc::unbounded_channel::<Bytes>();
        let h = Harness::start(vec![Outcome::Stream(rx), Outcome::Stream(rx2)], 0.0, spec);
        run_for(1).await;
        drop(tx);
        run_for(60).await;
        assert_eq!(h.attempt_times().len(), attempts);
    }
}

#[tokio::test(start_paused = true)]
async fn a_feed_that_had_finished_before_a_restart_stays_finished() {
    let (_tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let h = Harness::start_full(
        vec![Outcome::Stream(rx)],
        0.0,
        post(),
        Arc::new(NoSecrets),
        Some(1_000),
    );
    run_for(600).await;
    assert!(h.attempt_times().is_empty(), "a restart must not re-run the job");
    assert_eq!(h.state(), FeedState::Finished { at: 1_000, cut_short: None });
    h.commands.send(Command::Run).unwrap();
    run_for(1).await;
    assert_eq!(h.attempt_times().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_post_stream_that_breaks_is_not_sent_again_either() {
    let (tx, rx) = mpsc::unbounded_channel();
    let h = Harness::start(vec![Outcome::Stream(rx)], 0.0, post());
    run_for(1).await;
    tx.send(Bytes::from_static(b"data: half an answer\n\n")).unwrap();
    // The server goes silent: the watchdog gives up on the connection after 90 s.
    run_for(200).await;
    assert_eq!(h.attempt_times(), [0.0], "a broken job stream was posted again");
    match h.state() {
        FeedState::Finished { cut_short: Some(why), .. } => {
            assert!(why.contains("no data"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn a_clock_jump_does_not_cut_and_resend_a_running_job() {
    let (tx, rx) = mpsc::unbounded_channel();
    let (_tx2, rx2) = mpsc::unbounded_channel::<Bytes>();
    let h = Harness::start(vec![Outcome::Stream(rx), Outcome::Stream(rx2)], 0.0, post());
    run_for(1).await;
    tx.send(Bytes::from_static(b"data: first token\n\n")).unwrap();
    // The engine broadcasts this after a clock jump (sleep, resume).
    h.commands.send(Command::ReconnectNow).unwrap();
    run_for(1).await;
    assert_eq!(h.attempt_times().len(), 1, "the job was posted again");
    tx.send(Bytes::from_static(b"data: [DONE]\n\n")).unwrap();
    drop(tx);
    run_for(1).await;
    assert!(matches!(h.state(), FeedState::Finished { cut_short: None, .. }), "{:?}", h.state());
    // Someone asking still cuts it short and runs it again.
    h.commands.send(Command::Run).unwrap();
    run_for(1).await;
    assert_eq!(h.attempt_times().len(), 2);
}
