//! One window per data folder: starting the app again on a folder whose window is open brings
//! that window to the front instead of opening a second one on the same cache.
//!
//! The first window holds `window.lock` in the data folder (an exclusive lock, released by the
//! system when the process ends, however it ends) and listens on a TCP port of 127.0.0.1 it
//! writes to `window.port`. A second start finds the lock held, connects to that port, asks
//! `show`, and exits once the window answers `shown`. Loopback TCP on every platform: one code
//! path for Linux, Windows and macOS; the lock, not the port, says whether a window is open, so
//! a port left in the file by a process that died is never believed. Another data folder has
//! its own lock and opens its own window. The command line does not take part.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK: &str = "window.lock";
const PORT: &str = "window.port";
const ASK: &str = "show";
const ANSWER: &str = "shown";
/// How long a second start waits for the first window to answer (it may be starting itself).
const PATIENCE: Duration = Duration::from_secs(5);

/// What starting the window on a data folder found.
#[derive(Debug)]
pub enum Claim {
    /// No window is open on it: this process opens one, and answers later starts on `listener`.
    First(Primary),
    /// A window was open on it and was asked to come to the front.
    Shown,
}

/// This process's hold on the data folder's window.
#[derive(Debug)]
pub struct Primary {
    lock: Hold,
    pub listener: TcpListener,
}

/// The lock on the data folder's window; released when dropped (or the process ends).
#[derive(Debug)]
pub struct Hold {
    _file: File,
}

impl Primary {
    pub fn into_parts(self) -> (Hold, TcpListener) {
        (self.lock, self.listener)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "a window is open on this data folder but did not answer within {} s",
        PATIENCE.as_secs()
    )]
    NoAnswer,
}

/// Takes the data folder's window for this process, or brings the one that has it to the front.
pub fn claim(data_dir: &Path) -> Result<Claim, ClaimError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ClaimError::Io { path, source }
    };
    crate::session::private_dir(data_dir).map_err(io(data_dir))?;
    let lock_path = data_dir.join(LOCK);
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io(data_dir))?;
            let port = listener.local_addr().map_err(io(data_dir))?.port();
            let port_path = data_dir.join(PORT);
            crate::session::replace_file(&port_path, port.to_string().as_bytes())
                .map_err(io(&port_path))?;
            Ok(Claim::First(Primary {
                lock: Hold { _file: lock },
                listener,
            }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let deadline = Instant::now() + PATIENCE;
            loop {
                if ask_to_show(&data_dir.join(PORT)).is_ok() {
                    return Ok(Claim::Shown);
                }
                if Instant::now() >= deadline {
                    return Err(ClaimError::NoAnswer);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Err(std::fs::TryLockError::Error(source)) => Err(ClaimError::Io {
            path: lock_path,
            source,
        }),
    }
}

fn ask_to_show(port_path: &Path) -> std::io::Result<()> {
    let port: u16 = std::fs::read_to_string(port_path)?
        .trim()
        .parse()
        .map_err(std::io::Error::other)?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    writeln!(stream, "{ASK}")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    if answer.trim() == ANSWER {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "unexpected answer {answer:?}"
        )))
    }
}

/// Answers one connection on the first window's listener: `true` when it asked to show the
/// window (and was told it is shown).
pub async fn answer(stream: tokio::net::TcpStream) -> bool {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let mut stream = tokio::io::BufReader::new(stream);
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read_line(&mut line)).await;
    if !matches!(read, Ok(Ok(_))) || line.trim() != ASK {
        return false;
    }
    let _ = stream
        .get_mut()
        .write_all(format!("{ANSWER}\n").as_bytes())
        .await;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_second_start_on_a_folder_asks_the_first_and_another_folder_is_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(primary) = claim(dir.path()).unwrap() else {
            panic!("the first start must open the window");
        };
        primary.listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(primary.listener).unwrap();
        let first = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            answer(stream).await
        });
        let second = {
            let dir = dir.path().to_path_buf();
            tokio::task::spawn_blocking(move || claim(&dir))
                .await
                .unwrap()
        };
        assert!(matches!(second, Ok(Claim::Shown)), "{second:?}");
        assert!(
            first.await.unwrap(),
            "the first window was asked to show itself"
        );

        let other = tempfile::tempdir().unwrap();
        assert!(matches!(claim(other.path()), Ok(Claim::First(_))));
    }

    #[test]
    fn a_window_that_ended_leaves_nothing_that_stops_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(primary) = claim(dir.path()).unwrap() else {
            panic!("the first start must open the window");
        };
        drop(primary); // the process ended: the lock goes, the port file stays
        assert!(dir.path().join(PORT).exists());
        assert!(matches!(claim(dir.path()), Ok(Claim::First(_))));
    }

    #[test]
    fn a_window_that_does_not_answer_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(_primary) = claim(dir.path()).unwrap() else {
            panic!("the first start must open the window");
        };
        // Held and listening, but nobody answers (the first window is hung).
        let started = Instant::now();
        assert!(matches!(claim(dir.path()), Err(ClaimError::NoAnswer)));
        assert!(started.elapsed() >= PATIENCE);
    }
}
