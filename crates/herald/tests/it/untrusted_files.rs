//! Files named on the command line or inside an imported feeds file are read only when they are
//! regular files of bounded size (docs/cli.md, "Files Herald reads"): `/dev/zero`, a FIFO or a
//! huge file is a usage error at once, not a process that reads until memory runs out.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use herald_sse_server::{Reply, SseServer};

/// A real CA certificate (self-signed, valid for a century), for the cases that must work.
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBiTCCAS+gAwIBAgIUN2QWBdMIzNAGYvYnMHMtraqnOSAwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOSGVyYWxkIHRlc3QgQ0EwIBcNMjYxMjAxMDQyOTU2WhgPMjEy
NjExMDcwNDI5NTZaMBkxFzAVBgNVBAMMDkhlcmFsZCB0ZXN0IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE0dJeoxF6hAoxaxM0iiIOdlpmTty6H3SC5TwxpReA
gBStms+C1q8KgRHQ7wWfZHJg9XzVtMwpDyg7Q1P3HGOqkaNTMFEwHQYDVR0OBBYE
FFqfbaBlx88UdhBVlUK7K8xFZrFnMB8GA1UdIwQYMBaAFFqfbaBlx88UdhBVlUK7
K8xFZrFnMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgCObrS15w
+ntSenzyOmT2YhQe1VNAkUoEP+A3+wktooYCIQC6KG/1vs5YYjqGwb8MhMThsAOR
GxcX7Zs3+t5S1uzKlw==
-----END CERTIFICATE-----
";

/// Runs herald with its address space capped at 2 GiB (so a version that reads `/dev/zero`
/// whole aborts instead of exhausting the machine) and a deadline (a version that opens a FIFO
/// blocks forever): either way the test fails with words instead of taking the runner down.
fn bounded(data_dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_herald"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "herald {args:?} still ran after 15 s: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_usage_error(data_dir: &Path, args: &[&str], words: &[&str]) {
    let output = bounded(data_dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    for w in words {
        assert!(stderr.contains(w), "{args:?} should say {w:?}: {stderr}");
    }
}

fn ok(data_dir: &Path, args: &[&str]) -> String {
    let output = bounded(data_dir, args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// An export file with one feed whose CA file is `ca_file`.
fn export_with_ca(ca_file: &str) -> String {
    serde_json::json!({
        "herald_feeds": 1,
        "feeds": [{"name": "Self-hosted", "url": "https://10.0.0.1/sse", "ca_file": ca_file}],
    })
    .to_string()
}

#[test]
fn devices_fifos_and_directories_are_refused_as_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fifo = d.join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let folder = d.to_str().unwrap();
    let import = d.join("import.json");
    std::fs::write(&import, export_with_ca("/dev/zero")).unwrap();
    let import = import.to_str().unwrap();
    let url = "http://127.0.0.1:1/x";
    ok(d, &["feeds", "add", url, "--name", "Existing", "--method", "POST"]);
    let cases: &[(&[&str], &str)] = &[
        (&["tail", "--once", "--ca-file", "/dev/zero", url], "/dev/zero"),
        (&["tail", "--once", "--method", "POST", "--body-file", "/dev/zero", url], "/dev/zero"),
        (&["tail", "--once", "--ca-file", fifo, url], fifo),
        (&["tail", "--once", "--method", "POST", "--body-file", fifo, url], fifo),
        (&["feeds", "add", url, "--ca-file", "/dev/zero"], "/dev/zero"),
        (&["feeds", "add", url, "--ca-file", fifo], fifo),
        (&["feeds", "add", url, "--ca-file", folder], folder),
        (&["feeds", "add", url, "--method", "POST", "--body-file", "/dev/zero"], "/dev/zero"),
        (&["feeds", "edit", "Existing", "--body-file", "/dev/zero"], "/dev/zero"),
        (&["feeds", "edit", "Existing", "--body-file", fifo], fifo),
        (&["feeds", "edit", "Existing", "--ca-file", "/dev/zero"], "/dev/zero"),
        (&["feeds", "import", "/dev/zero"], "/dev/zero"),
        (&["feeds", "import", fifo], fifo),
        (&["feeds", "import", import], "/dev/zero"),
    ];
    for (args, path) in cases {
        assert_usage_error(d, args, &[path, "not a regular file"]);
    }
    let list = ok(d, &["feeds", "list", "--json"]);
    assert_eq!(list.lines().count(), 1, "nothing was added: {list}");
}

#[test]
fn files_over_the_limit_are_refused_and_files_within_it_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // Valid content padded past the limit, so only the size can be the reason.
    let big_ca = write("big-ca.pem", format!("{CA_PEM}{}", " ".repeat(2 << 20)).as_bytes());
    let big_body = write("big-body.json", format!("{{}}{}", " ".repeat(2 << 20)).as_bytes());
    let big_import = write(
        "big-import.json",
        format!("{}{}", export_with_ca("/nonexistent"), " ".repeat(11 << 20)).as_bytes(),
    );
    let url = "http://127.0.0.1:1/x";
    let cases: &[(&[&str], &str, &str)] = &[
        (&["tail", "--once", "--ca-file", &big_ca, url], &big_ca, "1 MiB"),
        (
            &["tail", "--once", "--method", "POST", "--body-file", &big_body, url],
            &big_body,
            "1 MiB",
        ),
        (&["feeds", "add", url, "--ca-file", &big_ca], &big_ca, "1 MiB"),
        (&["feeds", "add", url, "--method", "POST", "--body-file", &big_body], &big_body, "1 MiB"),
        (&["feeds", "import", &big_import], &big_import, "10 MiB"),
    ];
    for (args, path, limit) in cases {
        assert_usage_error(d, args, &[path, "larger than", limit]);
    }
    assert!(ok(d, &["feeds", "list", "--json"]).is_empty(), "nothing was added");

    let ca = write("ca.pem", CA_PEM.as_bytes());
    let body = write("body.json", br#"{"topic": "deploys"}"#);
    ok(d, &["feeds", "add", url, "--name", "A", "--ca-file", &ca]);
    ok(d, &["feeds", "add", url, "--name", "B", "--method", "POST", "--body-file", &body]);
    let import = write("import.json", export_with_ca(&ca).as_bytes());
    ok(d, &["feeds", "import", &import]);
    assert_eq!(ok(d, &["feeds", "list", "--json"]).lines().count(), 3);

    let server = SseServer::start(|_, _| Reply::events("data: ok\n\n"));
    let printed = ok(
        d,
        &[
            "tail",
            "--once",
            "--ca-file",
            &ca,
            "--method",
            "POST",
            "--body-file",
            &body,
            &server.url("/"),
        ],
    );
    assert_eq!(printed, "message\n  ok\n");
    assert_eq!(server.requests()[0].body, br#"{"topic": "deploys"}"#);
}

#[test]
fn a_ca_file_that_is_not_a_certificate_is_a_usage_error_for_tail() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        .unwrap();
    let junk = junk.to_str().unwrap();
    assert_usage_error(
        dir.path(),
        &["tail", "--once", "--ca-file", junk, "http://127.0.0.1:1/"],
        &[junk],
    );
}

#[test]
fn an_import_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let feed = |name: &str| serde_json::json!({"name": name, "url": "http://127.0.0.1:1/x"});
    let file = d.join("feeds.json");
    let export = serde_json::json!({
        "herald_feeds": 1,
        "feeds": [feed("Deploys"), feed("Alerts"), feed("deploys")],
    });
    std::fs::write(&file, export.to_string()).unwrap();
    assert_usage_error(d, &["feeds", "import", file.to_str().unwrap()], &["deploys", "twice"]);
    assert!(ok(d, &["feeds", "list", "--json"]).is_empty(), "nothing was added");
}

/// A feed file's settings are read by the same rules as the command line's options: a bad one
/// is a usage error that names it, and nothing is added.
#[test]
fn an_import_with_a_bad_setting_names_it_and_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("feeds.json");
    let cases: [(&str, &str, &[&str]); 5] = [
        ("resume", "cookie", &["resume must be header or query:PARAM"]),
        ("id_source", "json:id", &["\"id\" is not a JSON pointer"]),
        ("auth", "header:bad name", &["not a valid HTTP header name"]),
        ("method", "PUT", &["the method must be GET or POST"]),
        ("preset", "rss", &["unknown preset \"rss\""]),
    ];
    for (setting, value, words) in cases {
        let mut bad = serde_json::json!({"name": "Bad", "url": "http://127.0.0.1:1/x"});
        bad[setting] = value.into();
        let good = serde_json::json!({"name": "Good", "url": "http://127.0.0.1:1/y"});
        let export = serde_json::json!({"herald_feeds": 1, "feeds": [good, bad]});
        std::fs::write(&file, export.to_string()).unwrap();
        assert_usage_error(d, &["feeds", "import", file.to_str().unwrap()], words);
        assert!(ok(d, &["feeds", "list", "--json"]).is_empty(), "{setting}: something was added");
    }
}
