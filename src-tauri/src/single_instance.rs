//! One `herald-ui` per data dir. The first takes a lock and listens on a loopback port; a second
//! start finds the lock held, sends its request (which window, which event) to that port and
//! exits 0. TCP on 127.0.0.1 works the same on every platform (no socket-path length limits, no
//! named pipes); the port file sits in the user's data dir with a random token, so only a process
//! that can read the data dir can ask the UI to do anything.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use herald_os::{DataDir, InstanceLock, LockState};
use tauri::AppHandle;

use crate::windows::{self, Target};

/// How long a second start keeps trying to reach the first, which may still be starting up.
const HANDOVER_DEADLINE: Duration = Duration::from_secs(10);

pub enum Claim {
    Primary(Instance),
    Forwarded,
}

pub struct Instance {
    _lock: InstanceLock,
    listener: TcpListener,
    token: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Handover {
    token: String,
    target: Target,
}

pub fn claim(data_dir: &DataDir, target: &Target) -> anyhow::Result<Claim> {
    let port_file = data_dir.path().join("ui.port");
    let deadline = Instant::now() + HANDOVER_DEADLINE;
    loop {
        match InstanceLock::try_acquire(&data_dir.ui_lock_path())? {
            LockState::Acquired(lock) => {
                return Instance::listen(lock, &port_file).map(Claim::Primary);
            }
            LockState::Held { pid } => match forward(&port_file, target) {
                Ok(()) => return Ok(Claim::Forwarded),
                // The running UI may not have written its port yet (or a crashed one left an old
                // file, and the lock just passed to a new one): try again until the deadline.
                Err(err) if Instant::now() < deadline => {
                    tracing::debug!(?pid, "handover not possible yet: {err:#}");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(err) => {
                    return Err(err.context(format!(
                        "a Herald window process ({}) holds this data dir but does not answer",
                        pid.map_or("pid unknown".to_owned(), |p| format!("pid {p}"))
                    )));
                }
            },
        }
    }
}

impl Instance {
    fn listen(lock: InstanceLock, port_file: &Path) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot listen on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let token = random_token();
        write_atomically(port_file, &format!("{port} {token}\n"))?;
        Ok(Self { _lock: lock, listener, token })
    }

    /// Answers later starts on a thread of its own for as long as the app runs.
    pub fn serve(self, app: AppHandle) -> anyhow::Result<()> {
        // Destructured on purpose: a closure that only named `self.listener` would capture just
        // that field, drop the lock here, and let a second UI start.
        let Instance { _lock: lock, listener, token } = self;
        std::thread::Builder::new()
            .name("single-instance".into())
            .spawn(move || {
                let _lock = lock;
                for stream in listener.incoming().flatten() {
                    match receive(&stream, &token) {
                        Ok(target) => {
                            tracing::info!(
                                ?target,
                                pid = std::process::id(),
                                "request from a second start"
                            );
                            // Answer only once the window is shown, so the second start exits
                            // when its request is done, not merely received.
                            let reply: &[u8] = match windows::open(&app, &target) {
                                Ok(()) => b"ok\n",
                                Err(err) => {
                                    tracing::error!("cannot open the requested window: {err}");
                                    b"failed\n"
                                }
                            };
                            let _ = (&stream).write_all(reply);
                        }
                        Err(err) => tracing::warn!("ignored a handover: {err:#}"),
                    }
                }
            })
            .context("cannot start a thread")?;
        Ok(())
    }
}

/// Reads and checks a hand-over; the caller answers on the same stream.
fn receive(stream: &TcpStream, token: &str) -> anyhow::Result<Target> {
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    // A handover is one short line; never read more from whoever connected.
    BufReader::new(stream.take(4096)).read_line(&mut line)?;
    let handover: Handover = serde_json::from_str(&line).context("not a handover")?;
    if handover.token != token {
        bail!("wrong token");
    }
    Ok(handover.target)
}

fn forward(port_file: &Path, target: &Target) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(port_file).context("no port file yet")?;
    let (port, token) = text.trim().split_once(' ').context("malformed port file")?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port.parse::<u16>()?));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line =
        serde_json::to_string(&Handover { token: token.to_owned(), target: target.clone() })?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    if reply.trim() != "ok" {
        bail!("the running window process refused the request");
    }
    Ok(())
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp: PathBuf = path.with_extension("port.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn random_token() -> String {
    // RandomState is seeded from the OS's random source; two of them give 128 unguessable bits
    // without another dependency.
    let a = RandomState::new().hash_one(std::process::id());
    let b = RandomState::new().hash_one(Instant::now());
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::WindowKind;

    #[test]
    fn a_handover_reaches_the_listener_only_with_the_token() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::create(tmp.path().to_owned()).unwrap();
        let port_file = dir.path().join("ui.port");
        let lock = match InstanceLock::try_acquire(&dir.ui_lock_path()).unwrap() {
            LockState::Acquired(lock) => lock,
            LockState::Held { .. } => panic!("fresh lock"),
        };
        let instance = Instance::listen(lock, &port_file).unwrap();
        let target = Target { window: WindowKind::Settings, event: Some("e1".into()) };
        let sender = std::thread::spawn({
            let (port_file, target) = (port_file.clone(), target.clone());
            move || forward(&port_file, &target)
        });
        let (stream, _) = instance.listener.accept().unwrap();
        assert_eq!(receive(&stream, &instance.token).unwrap(), target);
        (&stream).write_all(b"ok\n").unwrap();
        sender.join().unwrap().unwrap();

        // A request with a wrong token is refused, and the sender is told so.
        std::fs::write(
            &port_file,
            format!("{} wrong\n", instance.listener.local_addr().unwrap().port()),
        )
        .unwrap();
        let sender = std::thread::spawn(move || forward(&port_file, &target));
        let (stream, _) = instance.listener.accept().unwrap();
        assert!(receive(&stream, &instance.token).is_err());
        drop(stream);
        assert!(sender.join().unwrap().is_err(), "a refused handover must not count as done");
    }
}
