//! `make demo`'s event source: two feeds on 127.0.0.1 with realistic traffic, so a new user sees
//! Herald work within a minute of cloning.
//! - PORT: a CI/ops stream: deploys, alerts of every priority, and now and then a burst.
//! - PORT+1: an ntfy-compatible topic (`/demo/sse`): `open`, `keepalive` and `message` events.
//!
//! Usage: herald-demo-server [PORT] [SECONDS]  (defaults 8787 and 3600; it stops by itself.)
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use herald_sse_server::{End, Reply, SseServer};

const SERVICES: &[&str] = &["api", "web", "billing", "search", "worker"];
const ALERTS: &[(&str, &str, u8)] = &[
    ("Disk almost full", "db-1 /var is 91% full", 4),
    ("Error rate up", "api 5xx rate 3.2% over 5 minutes", 5),
    ("Certificate renews soon", "shop.example.com expires in 14 days", 2),
    ("Backup finished", "nightly backup took 12 minutes", 1),
    ("Latency back to normal", "p99 below 300 ms for 10 minutes", 3),
];

fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn ops_event(n: u64) -> String {
    let service = SERVICES[(n % SERVICES.len() as u64) as usize];
    if n.is_multiple_of(3) {
        let (title, message, priority) = ALERTS[((n / 3) % ALERTS.len() as u64) as usize];
        format!(
            "id: ops-{n}\nevent: alert\ndata: {{\"title\":\"{title}\",\"text\":\"{message}\",\"priority\":{priority}}}\n\n"
        )
    } else {
        format!(
            "id: ops-{n}\nevent: deploy\ndata: {{\"title\":\"Deployed {service}\",\"text\":\"{service} v1.{n} is live in production\",\"url\":\"https://ci.example.com/{service}/{n}\",\"priority\":2}}\n\n"
        )
    }
}

fn ntfy_message(n: u64) -> String {
    let (title, tags, priority) = match n % 4 {
        0 => ("Build passed", "[\"white_check_mark\"]", 3),
        1 => ("Build failed", "[\"x\",\"rotating_light\"]", 5),
        2 => ("Release published", "[\"tada\"]", 3),
        _ => ("Reminder", "[\"bell\"]", 2),
    };
    format!(
        "event: message\ndata: {{\"id\":\"demo{n:06}\",\"time\":{},\"event\":\"message\",\"topic\":\"demo\",\"title\":\"{title}\",\"message\":\"{title} (#{n})\",\"priority\":{priority},\"tags\":{tags},\"click\":\"https://ntfy.example.com/demo\"}}\n\n",
        now_s()
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8787);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3600);
    let bind_failed = |port: u16, e: std::io::Error| -> ! {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "herald-demo-server: cannot listen on 127.0.0.1:{port} ({e}); \
                 choose other ports with DEMO_PORT=9000 make demo"
            );
        }
        std::process::exit(1)
    };
    let ops = SseServer::start_on(SocketAddr::from(([127, 0, 0, 1], port)), |_, _| {
        Reply::stream(vec![b": welcome to the Herald demo\n\n".to_vec()], End::Live)
    })
    .unwrap_or_else(|e| bind_failed(port, e));
    let ntfy = SseServer::start_on(SocketAddr::from(([127, 0, 0, 1], port + 1)), |_, _| {
        let open = format!(
            "event: open\ndata: {{\"id\":\"open{}\",\"time\":{},\"event\":\"open\",\"topic\":\"demo\"}}\n\n",
            now_s(),
            now_s()
        );
        Reply::stream(vec![open.into_bytes()], End::Live)
    })
    .unwrap_or_else(|e| bind_failed(port + 1, e));
    println!("demo feeds: {} and {}", ops.url("/ops"), ntfy.url("/demo/sse"));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut n: u64 = 0;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_secs(3));
        n += 1;
        if n.is_multiple_of(20) {
            // A burst: Herald shows a few and sums up the rest.
            for i in 0..12 {
                ops.push(ops_event(n * 100 + i));
            }
        } else {
            ops.push(ops_event(n));
        }
        if n.is_multiple_of(2) {
            ntfy.push(ntfy_message(n / 2));
        }
        if n.is_multiple_of(15) {
            ntfy.push(format!(
                "event: keepalive\ndata: {{\"id\":\"ka{n}\",\"time\":{},\"event\":\"keepalive\",\"topic\":\"demo\"}}\n\n",
                now_s()
            ));
        }
    }
}
