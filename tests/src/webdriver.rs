//! Driving the real `herald-ui` through tauri-driver and WebKitWebDriver.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};

use crate::process::{Running, binary};
use crate::wait;

/// A tauri-driver of its own for one test, so each test has its own data dir (passed through
/// the environment, which tauri-driver and WebKitWebDriver hand down to the app).
pub struct Driver {
    _process: Running,
    port: u16,
}

impl Driver {
    pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> Self {
        let tauri_driver = which("tauri-driver");
        let (port, native_port) = (free_port(), free_port());
        let mut command = Command::new(tauri_driver);
        command
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("HERALD_DATA_DIR", data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let process = Running::spawn(command);
        wait::until("tauri-driver to listen", wait::STARTUP, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Self { _process: process, port }
    }

    /// A WebDriver session on a freshly started `herald-ui` with these arguments.
    pub async fn session(&self, args: &[&str]) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary("herald-ui"), "args": args }),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut last_err = None;
        // WebKitWebDriver can refuse the very first session while it is still starting.
        for _ in 0..20 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return client,
                Err(err) => last_err = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("no WebDriver session: {last_err:?}");
    }
}

fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let cargo_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::split_paths(&path)
        .chain(cargo_bin)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed: `make test` installs it"))
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).expect("bind").local_addr().expect("addr").port()
}

/// The text content of every element matching `css`. Read through the DOM rather than
/// WebDriver's "visible text", which drops text clipped by an ellipsis (the history's rows).
pub async fn texts(client: &Client, css: &str) -> Vec<String> {
    let script = "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)";
    match client.execute(script, vec![serde_json::json!(css)]).await {
        Ok(serde_json::Value::Array(values)) => {
            values.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        _ => Vec::new(),
    }
}
