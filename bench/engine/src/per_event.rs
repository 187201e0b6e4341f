//! The engine's cost per event, in memory: the parser hands out an event, and the shaping step
//! (chatter and repeats, the own id, where the feed resumes, the rendering and filters) makes
//! what goes to the store. Against the parser alone on the same chunks, so the row says what
//! the engine adds to each event.

use std::time::Duration;

use herald_engine::plan::FeedPlan;
use herald_engine::shaper::Shaper;
use herald_model::{FeedSpec, Preset};
use herald_store::Feed;

#[path = "../../parser/src/corpus.rs"]
#[allow(dead_code)]
mod corpus;
#[path = "../../parser/src/measure.rs"]
mod measure;
use measure::{ROUNDS, best_of};

const SIZE: usize = 32 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

fn plan(preset: Preset) -> FeedPlan {
    let mut spec =
        FeedSpec { name: "bench".into(), url: "http://127.0.0.1/".into(), ..FeedSpec::default() };
    spec.switch_preset(preset);
    let feed = Feed { id: "f".into(), spec, created_at: 0, updated_at: 0 };
    FeedPlan::compile(&feed).expect("plan")
}

pub fn per_event() {
    println!(
        "\n## The engine's per-event path (in memory, {} KiB chunks, best of {ROUNDS})\n",
        CHUNK / 1024
    );
    println!(
        "| corpus (preset) | parser alone, events/s | parse and shape, events/s | shaping, ns per event |"
    );
    println!("|---|---|---|---|");
    for (name, corpus, preset) in
        [("tiny", corpus::tiny(SIZE), Preset::Generic), ("ntfy", corpus::ntfy(SIZE), Preset::Ntfy)]
    {
        let plan = plan(preset);
        let chunks: Vec<&[u8]> = corpus.chunks(CHUNK).collect();
        let measure::Measure { events, best: parsed } = best_of(|| {
            let mut parser = herald_sse::Parser::new();
            let mut events = 0usize;
            for chunk in &chunks {
                parser.feed(chunk, &mut |item| {
                    if let herald_sse::Item::Event(e) = item {
                        events += 1;
                        std::hint::black_box(e.data.len());
                    }
                });
            }
            events
        });
        let measure::Measure { events: shaped_events, best: shaped } = best_of(|| {
            let mut parser = herald_sse::Parser::new();
            let mut shaper = Shaper::new(String::new(), Vec::new());
            let mut kept = 0usize;
            for chunk in &chunks {
                parser.feed(chunk, &mut |item| {
                    if let herald_sse::Item::Event(e) = item
                        && let Some(shaped) = shaper.shape(&plan, &e, 1_700_000_000_000)
                    {
                        kept += 1;
                        std::hint::black_box(shaped);
                    }
                });
            }
            kept
        });
        assert!(
            shaped_events * 100 >= events * 95,
            "the shaper dropped events: {shaped_events} of {events}"
        );
        let rate = |d: Duration| events as f64 / d.as_secs_f64() / 1e6;
        let per_event = (shaped.as_secs_f64() - parsed.as_secs_f64()) / events as f64 * 1e9;
        println!(
            "| {name} ({}) | {:.2} M | {:.2} M | {per_event:.0} |",
            preset.name(),
            rate(parsed),
            rate(shaped)
        );
    }
}
