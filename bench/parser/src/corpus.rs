//! The three corpora: tiny events (~60 B), ntfy-like JSON messages (~400 B), 64 KiB events.

const SIZE: usize = 32 * 1024 * 1024;

pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    vec![("tiny", tiny(SIZE)), ("ntfy", ntfy(SIZE)), ("64k", big(SIZE))]
}

fn fill(size: usize, mut event: impl FnMut(usize, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 70_000);
    let mut n = 0;
    while out.len() < size {
        event(n, &mut out);
        n += 1;
    }
    out
}

pub fn tiny(size: usize) -> Vec<u8> {
    fill(size, |n, out| {
        out.extend_from_slice(
            format!("id: {n}\nevent: tick\ndata: {{\"n\":{n},\"ok\":true}}\n\n").as_bytes(),
        );
    })
}

pub fn ntfy(size: usize) -> Vec<u8> {
    fill(size, |n, out| {
        if n % 50 == 0 {
            out.extend_from_slice(b"event: keepalive\ndata: {\"id\":\"k\",\"time\":1700000000,\"event\":\"keepalive\",\"topic\":\"alerts\"}\n\n");
        }
        out.extend_from_slice(
            format!(
                "data: {{\"id\":\"m{n:011}\",\"time\":{},\"expires\":{},\"event\":\"message\",\"topic\":\"deploys\",\
                 \"title\":\"Deploy of api-server #{n} finished\",\"message\":\"Build {n} passed all 412 checks and \
                 was rolled out to production in 3m 12s. Canary error rate 0.02%, p99 latency 184 ms.\",\
                 \"priority\":{},\"tags\":[\"rocket\",\"white_check_mark\"],\"click\":\"https://ci.example.org/builds/{n}\"}}\n\n",
                1_700_000_000 + n,
                1_700_043_200 + n,
                1 + n % 5
            )
            .as_bytes(),
        );
    })
}

fn big(size: usize) -> Vec<u8> {
    let payload: String = "0123456789abcdef".repeat(4096);
    fill(size, |n, out| {
        out.extend_from_slice(format!("id: {n}\ndata: {payload}\n\n").as_bytes());
    })
}
