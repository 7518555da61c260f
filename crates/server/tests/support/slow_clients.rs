//! Slow clients: connections that send the start of a request and never finish its headers,
//! for the tests and the memory benchmark. Beside `process.rs`, whose memory reading it uses.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The soft limit on open files, from /proc.
pub fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3)?.parse().ok())
        })
        .unwrap_or(1024)
}

/// How many half-sent requests one wave opens: `wanted`, or fewer when the open-file limit
/// (shared with the server when it runs under the same limit) does not allow that many.
pub fn wave_size(wanted: usize) -> usize {
    wanted.min(open_file_limit().saturating_sub(300) / 2)
}

/// Opens `count` connections that send the start of a request and never finish its headers.
pub fn half_sent_requests(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: example\r\nX-Slow: ")
                .unwrap();
            stream
        })
        .collect()
}

/// Waits until the server has closed every one of `streams`; returns how long that took.
pub fn all_closed(streams: &mut [TcpStream], limit: Duration) -> Duration {
    let started = Instant::now();
    for stream in streams.iter_mut() {
        let left = limit
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(10));
        stream.set_read_timeout(Some(left)).unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) | Err(_) if started.elapsed() < limit => {}
            other => panic!("a half-sent request is still open after {limit:?}: {other:?}"),
        }
    }
    started.elapsed()
}

/// What one wave of slow clients did to the server.
#[derive(Debug, Clone, Copy)]
pub struct Wave {
    /// The server's highest RSS (KiB) while the wave lasted.
    pub peak: u64,
    /// Its RSS once it had closed them all.
    pub after: u64,
    /// How long after opening them the last one was closed.
    pub closed_after: Duration,
}

/// How many files process `pid` has open.
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Waits (bounded) until process `pid` has at most `files` open.
fn until_at_most(pid: u32, files: usize) {
    let started = Instant::now();
    while open_files(pid) > files && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One wave against the server at `addr` (process `pid`): `count` half-sent requests, each to
/// be closed by the server within `close_within`. Its memory is sampled every 10 ms for as long
/// as the wave lasts (the kernel queues at most the listen backlog — 1,024 for tokio — so the
/// server holds that many at once and takes the rest in as the first ones time out): the peak
/// is the highest sample, not one taken at a moment that a slower machine would shift.
pub fn wave(addr: SocketAddr, pid: u32, count: usize, close_within: Duration) -> Wave {
    let before = open_files(pid);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                peak = peak.max(super::process::rss_kib_of(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        })
    };
    let mut streams = half_sent_requests(addr, count);
    let closed_after = all_closed(&mut streams, close_within);
    drop(streams);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let peak = sampler.join().expect("the sampler ends");
    until_at_most(pid, before + 1);
    Wave {
        peak,
        after: super::process::rss_kib_of(pid),
        closed_after,
    }
}
