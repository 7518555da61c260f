//! HAProxy in front of some backends, on a free port, from the machine's own binary (Debian's
//! `haproxy` package); killed when dropped. Where it is missing, tests say so loudly, and
//! under `CI=true` that is a failure.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Haproxy {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    /// Starts it, or `None` (after saying why) where HAProxy is not installed.
    pub fn start(backends: &[std::net::SocketAddr]) -> Option<Self> {
        if Command::new("haproxy").arg("-v").output().is_err() {
            let message = "haproxy not found (apt-get install haproxy): the load-balanced \
                           half was SKIPPED";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
            eprintln!("\n*** {message} ***\n");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(n, addr)| format!("    server s{n} {addr} check inter 300ms fall 3 rise 1\n"))
            .collect();
        // Checks `/ready`, so an instance that begins to stop gets no new requests or streams.
        // Event streams are long-lived: `timeout tunnel`. maxconn stays below what 20,000
        // open files allow.
        let config = format!(
            "global\n    maxconn 9000\n    nbthread 1\n\
             defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    \
             timeout server 60s\n    timeout check 2s\n    timeout tunnel 1h\n    option http-no-delay\n    option redispatch\n    retries 2\n\
             frontend profile\n    bind 127.0.0.1:{port}\n    default_backend instances\n\
             backend instances\n    balance roundrobin\n    option httpchk GET /ready\n{servers}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config).unwrap();
        let mut child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            // Ours must be the one listening: a free port can be taken by another process
            // between our check and haproxy's bind, and then haproxy exits.
            if let Ok(Some(status)) = child.try_wait() {
                panic!("haproxy exited ({status}); port {port} was probably taken meanwhile");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Its first health checks mark the backends up.
                std::thread::sleep(Duration::from_millis(500));
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("haproxy exited ({status}) after starting");
                }
                return Some(Self {
                    child,
                    port,
                    _dir: dir,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("haproxy did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
