//! When something outside the app is wrong, it says so in plain words and never panics: a
//! display library that is missing, a display that does not answer, a bug (a panic), a full
//! disk under the app's data folder or the server's database, a PostgreSQL that cannot be
//! reached. Real faults: a library hidden by a bind mount and a tiny tmpfs filled to the brim,
//! each in a mount namespace of the test's own; a port where nothing listens.

use crate::processes::{Running, profile_server_binary};
use crate::support::{Start, TOKEN, spawn_server};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const APP: &str = env!("CARGO_BIN_EXE_offline-profile");

/// Whether mount namespaces can be made here (root, `unshare`); where not, the test says loudly
/// that it skipped, and under `CI=true` it fails.
fn mount_namespaces(what: &str) -> bool {
    let works = Command::new("unshare")
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !works {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must be able to make a mount namespace (unshare -m, as root) for {what}"
        );
        eprintln!("\n*** SKIPPED: {what} needs a mount namespace (unshare -m, as root) ***\n");
    }
    works
}

/// A loopback port the system just handed out and took back: nothing listens there.
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The window cannot open because a library it loads at start is missing (hidden here by
/// bind-mounting `/dev/null` over it): the library and the packages to install are named, exit
/// 1, no panic and no backtrace even with `RUST_BACKTRACE` set.
#[test]
fn a_missing_display_library_is_named_with_the_packages_to_install() {
    let library = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
        .iter()
        .map(|folder| Path::new(folder).join("libxkbcommon-x11.so.0"))
        .find(|path| path.exists());
    let Some(library) = library else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI installs libxkbcommon-x11-0"
        );
        eprintln!("\n*** SKIPPED: libxkbcommon-x11.so.0 is not installed ***\n");
        return;
    };
    if !mount_namespaces("hiding a library") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            r#"mount --bind /dev/null "$1" && exec "$2" --data-dir "$3""#,
            "sh",
        ])
        .arg(&library)
        .arg(APP)
        .arg(dir.path())
        // A display is named (none answers there: the check comes before any connection).
        .env("DISPLAY", ":97")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the window cannot open"), "{stderr}");
    assert!(stderr.contains("libxkbcommon-x11.so.0"), "{stderr}");
    assert!(
        stderr.contains("sudo apt install libxkbcommon-x11-0"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sudo dnf install libxkbcommon-x11"),
        "{stderr}"
    );
    assert!(stderr.contains("offline-profile show"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    // The other libraries are there: only the hidden one is named.
    assert!(!stderr.contains("libX11.so.6"), "{stderr}");
}

/// A display is named but nothing answers there (an X server that stopped, a wrong number): the
/// toolkit fails to start; the user reads one plain paragraph and exit 1, the toolkit's
/// message goes to the report in the data folder.
#[test]
fn a_display_that_does_not_answer_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    // A display number no X server of this machine uses.
    let number = (90..150)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free display number");
    let display = format!(":{number}");
    let output = Command::new(APP)
        .arg("--data-dir")
        .arg(dir.path())
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("RUST_BACKTRACE")
        .output_retrying()
        .unwrap();
    let stderr = text(&output.stderr);
    if stderr.contains("has no usable") {
        // A machine without the display libraries says that first (the test above).
        eprintln!("\n*** SKIPPED: the display libraries are not installed ***\n");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the window cannot open: the X display \"{display}\" does not answer"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("offline-profile show"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
    let report = std::fs::read_to_string(dir.path().join("crash.log")).unwrap();
    assert!(report.contains("Create event loop"), "{report}");
    assert!(report.contains("stack backtrace"), "{report}");
}

/// Set (to a folder) in the process [`a_bug_is_one_paragraph_and_its_report_is_kept`] starts.
const PANIC_CHILD: &str = "OFFLINE_PROFILE_TEST_PANIC_CHILD";

/// Not a test of its own: the process that meets a bug, with the app's panic hook, for the test
/// below (run alone it does nothing).
#[test]
fn panic_in_a_process_with_the_apps_hook() {
    let Some(dir) = std::env::var_os(PANIC_CHILD) else {
        return;
    };
    offline_profile::crash::install();
    offline_profile::crash::log_in(Path::new(&dir));
    let words: Vec<&str> = Vec::new();
    // A real bug: indexing past the end.
    let index = std::hint::black_box(3);
    println!("{}", words[index]);
}

/// A panic (any bug): one short paragraph — what failed, where the report is, how to report it
/// — and a non-zero exit; the backtrace goes to the report, and to the terminal only with
/// `RUST_BACKTRACE`.
#[test]
fn a_bug_is_one_paragraph_and_its_report_is_kept() {
    let run = |backtrace: bool| -> (Output, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "troubleshooting::panic_in_a_process_with_the_apps_hook",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PANIC_CHILD, dir.path());
        if backtrace {
            command.env("RUST_BACKTRACE", "1");
        } else {
            command.env_remove("RUST_BACKTRACE");
        }
        (command.output().unwrap(), dir)
    };
    let (output, dir) = run(false);
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(offline_profile::crash::BUG_EXIT),
        "{stderr}"
    );
    let log = dir.path().join("crash.log");
    assert!(
        stderr.contains("offline-profile stopped because of a bug: index out of bounds"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("The full report is in {}", log.display())),
        "{stderr}"
    );
    assert!(stderr.contains("/issues"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
    assert!(!stderr.contains("panic_in_a_process"), "{stderr}");
    let report = std::fs::read_to_string(&log).unwrap();
    assert!(report.contains("index out of bounds"), "{report}");
    assert!(
        report.contains("panic_in_a_process_with_the_apps_hook"),
        "{report}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the report is the user's only");
    }

    let (output, _dir) = run(true);
    let stderr = text(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("panic_in_a_process_with_the_apps_hook"),
        "RUST_BACKTRACE shows the backtrace: {stderr}"
    );
}

/// A small disk: a tmpfs in a mount namespace of the test's own, held open by a `sleep` in it.
/// Commands run in it with `nsenter`; this process reaches its files through
/// `/proc/<holder>/root`. Ended by PID when dropped.
struct SmallDisk {
    holder: Child,
    /// The mount point (a folder that exists outside too, empty there).
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn create(size: &str) -> Option<Self> {
        if !mount_namespaces("a full disk") {
            return None;
        }
        let mount = tempfile::tempdir().unwrap();
        let mut holder = Command::new("unshare")
            .args([
                "-m",
                "sh",
                "-c",
                r#"mount -t tmpfs -o "size=$1,mode=0700" none "$2" && echo mounted && exec sleep 600"#,
                "sh",
                size,
            ])
            .arg(mount.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(holder.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "mounted", "the tmpfs is mounted");
        Some(Self { holder, mount })
    }

    /// `inside` (a path on the disk, as the commands in the namespace see it) as this process
    /// reaches it.
    fn outside(&self, inside: &Path) -> PathBuf {
        let root = PathBuf::from(format!("/proc/{}/root", self.holder.id()));
        root.join(inside.strip_prefix("/").unwrap())
    }

    /// A path on the disk, as commands in the namespace see it.
    fn path(&self, name: &str) -> PathBuf {
        self.mount.path().join(name)
    }

    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("nsenter");
        command
            .arg("-t")
            .arg(self.holder.id().to_string())
            .args(["-m", "--"])
            .arg(program);
        command
    }

    /// Fills the disk to the last byte with a file of its own.
    fn fill(&self) {
        fill_with(&self.outside(&self.path("filler")));
    }

    /// Remounts the disk `ro` or `rw`.
    fn remount(&self, mode: &str) {
        let status = self
            .command("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.mount.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount -o remount,{mode}");
    }

    /// Gives the filler's room back.
    fn free(&self) {
        std::fs::remove_file(self.outside(&self.path("filler"))).unwrap();
    }
}

/// Writes `filler` until its disk has no byte left (bounded: the disks here are small).
fn fill_with(filler: &Path) {
    let mut file = std::fs::File::create(filler).unwrap();
    for chunk in [64 * 1024, 4096, 512, 1] {
        let bytes = vec![0xA5; chunk];
        for _ in 0..100_000 {
            if file.write_all(&bytes).and_then(|()| file.flush()).is_err() {
                break;
            }
        }
    }
    let _ = file.sync_all();
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// `show --json` of the app in `data` on `disk`, parsed.
fn show(disk: &SmallDisk, data: &Path) -> serde_json::Value {
    let output = disk
        .command(APP)
        .arg("--data-dir")
        .arg(data)
        .args(["show", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The app's data folder on a disk that fills up: a save is refused in plain words (what
/// happened, what the profile still shows, what to do), exit 1; reading still works; nothing
/// is damaged; once there is room, the next save works and syncs.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_full_disk_a_save_is_refused_in_plain_words_and_reads_still_work() {
    let Some(disk) = SmallDisk::create("600k") else {
        return;
    };
    let server = spawn_server().await;
    let data = disk.path("data");
    let set = |name: &str| {
        disk.command(APP)
            .arg("--data-dir")
            .arg(&data)
            .args([
                "--api",
                &server.url(),
                "--token",
                TOKEN,
                "set",
                "--name",
                name,
            ])
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap()
    };
    let output = set("Ada Lovelace");
    assert!(output.status.success(), "{}", text(&output.stderr));

    disk.fill();
    let output = tokio::task::block_in_place(|| set("Grace Hopper"));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "The disk holding {} is full: your change was not saved.",
            data.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("The profile still shows “Ada Lovelace”."),
        "{stderr}"
    );
    assert!(stderr.contains("Free some space on it"), "{stderr}");
    assert!(!stderr.contains("disk I/O error"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(text(&output.stdout).is_empty(), "nothing was said saved");

    // Reading works on the full disk.
    let shown = tokio::task::block_in_place(|| show(&disk, &data));
    assert_eq!(shown["name"], "Ada Lovelace");
    assert_eq!(shown["state"], "synced");

    // Room again: the next save works, and reaches the server.
    disk.free();
    let output = tokio::task::block_in_place(|| set("Grace Hopper"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("pushed to the server"));
    let shown = tokio::task::block_in_place(|| show(&disk, &data));
    assert_eq!(shown["name"], "Grace Hopper");
    assert_eq!(shown["state"], "synced");
    let theirs = server.store().get().await.unwrap().unwrap();
    assert_eq!(theirs.name, "Grace Hopper");

    // A disk that takes no writes (remounted read-only): said as such; reading works.
    disk.remount("ro");
    let output = tokio::task::block_in_place(|| set("Katherine Johnson"));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("takes no changes (it is read-only): your change was not saved."),
        "{stderr}"
    );
    assert!(
        stderr.contains("The profile still shows “Grace Hopper”."),
        "{stderr}"
    );
    let shown = tokio::task::block_in_place(|| show(&disk, &data));
    assert_eq!(shown["name"], "Grace Hopper");
    disk.remount("rw");

    // Nothing damaged: a copy of the cache (SQLite resolves /proc/<pid>/root to this
    // process's own root, so it reads a copy) passes SQLite's own check.
    let copy = tempfile::tempdir().unwrap();
    let cache = copy.path().join("profile.sqlite3");
    std::fs::copy(disk.outside(&data.join("profile.sqlite3")), &cache).unwrap();
    assert!(
        !disk.outside(&data.join("profile.sqlite3-wal")).exists(),
        "the last process folded its log into the file"
    );
    let check: String = {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", cache.display()))
            .await
            .unwrap();
        let check = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        check
    };
    assert_eq!(check, "ok");
}

/// The server's database on a disk that fills up: a change is answered 507 with a JSON reason
/// and nothing half-written; reads go on; the app treats it as the server refusing the change
/// (kept here, tried again later); once there is room the server takes changes again, at once.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_full_disk_the_server_answers_507_and_serves_again_when_there_is_room() {
    let Some(disk) = SmallDisk::create("800k") else {
        return;
    };
    let port = unused_port();
    let url = format!("http://127.0.0.1:{port}");
    let _server = Running(
        disk.command(profile_server_binary())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--token", TOKEN])
            .arg("--db")
            .arg(disk.path("server.sqlite3"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{url}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server starts on the small disk");
    let put = |tag: Option<String>, name: &str| {
        let request = http
            .put(format!("{url}/v1/profile"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"name": name, "photo_url": ""}));
        match tag {
            Some(tag) => request.header("If-Match", tag),
            None => request.header("If-None-Match", "*"),
        }
        .send()
    };
    let created = put(None, "Ada Lovelace").await.unwrap();
    assert_eq!(created.status(), 201);
    let tag = created.headers()["etag"].to_str().unwrap().to_owned();

    // The app on its own (roomy) disk, synced with the server.
    let app_dir = tempfile::tempdir().unwrap();
    let app = |args: &[&str]| {
        Command::new(APP)
            .arg("--data-dir")
            .arg(app_dir.path())
            .args(["--api", &url, "--token", TOKEN])
            .args(args)
            .output()
            .unwrap()
    };
    let output = tokio::task::block_in_place(|| app(&["sync"]));
    assert!(output.status.success(), "{}", text(&output.stderr));

    disk.fill();
    let refused = put(Some(tag.clone()), "Grace Hopper").await.unwrap();
    assert_eq!(refused.status(), 507);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "storage_full", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("disk is full"),
        "{body}"
    );
    // Reads go on, and nothing was changed.
    let read = http
        .get(format!("{url}/v1/profile"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"].to_str().unwrap(), tag);
    let ready = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // The app's change is kept and said refused, not lost.
    let output = tokio::task::block_in_place(|| app(&["set", "--name", "Grace Hopper"]));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("refused the change"), "{stdout}");
    assert!(stdout.contains("disk is full"), "{stdout}");

    // Room again: the server takes the change at once.
    disk.free();
    let output = tokio::task::block_in_place(|| app(&["sync"]));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let read: serde_json::Value = http
        .get(format!("{url}/v1/profile"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["name"], "Grace Hopper");
}

/// PostgreSQL cannot be reached when the server starts: it says at once where it looked and the
/// system's reason, never the password, and exits 1 (its unit restarts it).
#[test]
fn an_unreachable_postgresql_is_said_at_once_with_where_and_why() {
    let port = unused_port();
    let output = Command::new(profile_server_binary())
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(format!(
            "postgres://app:s3cret-word@127.0.0.1:{port}/profiles"
        ))
        .output_retrying()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach PostgreSQL at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("pool timed out"), "{stderr}");
    assert!(!stderr.contains("s3cret-word"), "{stderr}");
}

/// Runs `test` on a thread of its own with a mount namespace of its own (root only): what it
/// mounts no other thread or process sees, and it goes away with the thread. Everything the test
/// starts runs on that thread (a current-thread runtime) or on threads it spawns, which inherit
/// the namespace: SQLite's connection threads, the runtime's blocking threads.
fn in_private_mounts(test: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        // SAFETY: unshares the mount namespace (and the filesystem information it implies) of
        // this thread alone; no other thread shares what changes.
        #[allow(unsafe_code)]
        let unshared = unsafe { libc::unshare(libc::CLONE_NEWNS) };
        assert_eq!(
            unshared,
            0,
            "unshare(CLONE_NEWNS): {}",
            std::io::Error::last_os_error()
        );
        // Nothing mounted here may propagate back to the machine's namespace.
        let private = Command::new("mount")
            .args(["--make-rprivate", "/"])
            .status()
            .unwrap();
        assert!(private.success(), "mount --make-rprivate /");
        test();
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

/// The window on a data folder whose disk fills up: Save is refused next to the button in plain
/// words, the typed text stays in the field, and once there is room the same Save works.
#[test]
fn on_a_full_disk_the_window_keeps_the_typed_text_and_says_why_next_to_save() {
    use crate::support::{Client, ready, run, shows};
    use offline_profile::ui::user_profile::{Badge, Message};
    if !mount_namespaces("a full disk under the window") {
        return;
    }
    in_private_mounts(|| {
        let client = Client::new();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=600k", "none"])
            .arg(client.dir.path())
            .status()
            .unwrap();
        assert!(mounted.success(), "a tmpfs on the data folder");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let server = spawn_server().await;
            let repository = client.repository(&server.url()).await;
            let mut view_model = ready(repository.clone()).await;
            let task = view_model.update(Message::NameChanged("Ada Lovelace".into()));
            run(&mut view_model, task).await;
            let task = view_model.update(Message::Save);
            run(&mut view_model, task).await;
            assert_eq!(view_model.badge(), Badge::SavedLocally);

            // The disk fills up; the user types a new name and saves.
            let filler = client.dir.path().join("filler");
            fill_with(&filler);
            let task = view_model.update(Message::NameChanged("Grace Hopper".into()));
            run(&mut view_model, task).await;
            let task = view_model.update(Message::Save);
            run(&mut view_model, task).await;
            let said = format!(
                "The disk holding {} is full: your change was not saved. The profile still \
                 shows “Ada Lovelace”. Free some space on it, then save again.",
                client.dir.path().display()
            );
            assert!(shows(&view_model, &said), "the window says: {said}");
            assert_eq!(view_model.name(), "Grace Hopper", "the typed text stays");
            assert!(view_model.can_save(), "Save can be pressed again");
            let stored = repository.cached().await.unwrap().unwrap();
            assert_eq!(stored.fields.name, "Ada Lovelace");

            // A photo chosen meanwhile (from a roomy disk) is refused the same way.
            let pictures = tempfile::tempdir().unwrap();
            let camera = pictures.path().join("camera.jpg");
            std::fs::write(
                &camera,
                profile_client::photo::samples::halves_jpeg(400, 300),
            )
            .unwrap();
            let task = view_model.update(Message::PhotoChosen(Some(camera)));
            run(&mut view_model, task).await;
            let photo_said = format!(
                "The disk holding {} is full: your change was not saved. Free some space on it, \
                 then save again.",
                client.dir.path().display()
            );
            assert!(
                shows(&view_model, &photo_said),
                "the window says: {photo_said}"
            );
            assert!(view_model.photo().is_none(), "no photo was kept");

            // Room again: the same Save works.
            std::fs::remove_file(&filler).unwrap();
            let task = view_model.update(Message::Save);
            run(&mut view_model, task).await;
            assert!(!shows(&view_model, &said), "the refusal is gone");
            let stored = repository.cached().await.unwrap().unwrap();
            assert_eq!(stored.fields.name, "Grace Hopper");
            assert_eq!(view_model.badge(), Badge::SavedLocally);
        });
        drop(runtime);
        let _ = Command::new("umount").arg(client.dir.path()).status();
    });
}
