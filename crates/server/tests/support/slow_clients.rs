//! Slow clients: connections that send the start of a request and never finish its headers,
//! for the tests and the memory benchmark.

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
    /// The server's RSS (KiB) while the wave's connections were open.
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

/// Waits (bounded) until process `pid` has taken in all the connections it will for now: more
/// files open than `before`, and that number unchanged over five polls 50 ms apart. (The kernel
/// queues at most the listen backlog — 1,024 for tokio — so the server holds that many of a
/// wave at once and takes the rest in as the first ones time out.)
fn until_taken_in(pid: u32, before: usize) {
    let started = Instant::now();
    let (mut last, mut unchanged) = (open_files(pid), 0);
    while (last <= before || unchanged < 5) && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
        let now = open_files(pid);
        unchanged = if now == last { unchanged + 1 } else { 0 };
        last = now;
    }
}

/// One wave against the server at `addr` (process `pid`, whose memory `rss` reads in KiB):
/// `count` half-sent requests, each to be closed by the server within `close_within`. Its memory
/// is read once the server has taken in what it will (counted in /proc, so a slow machine
/// waits longer instead of reading too early), and again once it has closed them all.
pub fn wave(
    addr: SocketAddr,
    pid: u32,
    count: usize,
    close_within: Duration,
    rss: impl Fn() -> u64,
) -> Wave {
    let before = open_files(pid);
    let mut streams = half_sent_requests(addr, count);
    until_taken_in(pid, before);
    let peak = rss();
    let closed_after = all_closed(&mut streams, close_within);
    drop(streams);
    until_at_most(pid, before + 1);
    Wave {
        peak,
        after: rss(),
        closed_after,
    }
}
