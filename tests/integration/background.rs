//! Background sync: the job's files as each platform reads them (golden files plus a parse by
//! each format's own reader), and, on Linux, the real thing: a systemd user manager of the
//! test's own starts the job when a change is handed over, and the job alone sends it.

use offline_profile::background::{Job, windows_quote};
use offline_profile::session::Settings;
use std::path::Path;

const PROGRAM: &str = "/opt/offline profile/bin/offline-profile";
const DATA_DIR: &str = "/home/ada/.local/share/offline-profile \"50%\" $HOME";

/// A `--token` setup (the hardest command line: a server, a token file, odd characters).
fn job() -> Job {
    let settings = Settings::new(DATA_DIR).named(
        Some("https://profiles.example.org/".into()),
        Some("secret-token".into()),
    );
    Job::for_settings(&settings, Path::new(PROGRAM), 15).expect("a job for a token setup")
}

#[cfg(unix)]
fn golden(name: &str, actual: &str) {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/background")
        .join(name);
    if std::env::var_os("OFFLINE_PROFILE_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (OFFLINE_PROFILE_UPDATE_GOLDEN=1 writes it; look at it before committing)",
            path.display()
        )
    });
    assert_eq!(
        actual.replace("\r\n", "\n"),
        expected.replace("\r\n", "\n"),
        "{name} differs from its golden file"
    );
}

// The golden files hold Unix paths (on Windows the same job's paths gain a drive).
#[cfg(unix)]
#[test]
fn the_job_is_written_out_for_each_platform_as_its_golden_files_say() {
    let job = job();
    assert!(job.name.starts_with("offline-profile-sync-"));
    for (name, contents) in job.systemd_units().unwrap() {
        let extension = name.rsplit('.').next().unwrap().to_owned();
        // The token itself never appears in a job's file.
        assert!(!contents.contains("secret-token"), "{name}");
        golden(&format!("job.{extension}"), &contents);
    }
    golden("job.desktop", &job.xdg_autostart().unwrap());
    golden("task.xml", &job.task_scheduler_xml("EXAMPLE\\ada").unwrap());
    golden("agent.plist", &job.launch_agent_plist().unwrap());
}

#[test]
fn this_computer_only_has_nothing_to_send_in_the_background() {
    let settings = Settings::new("/tmp/x");
    let refused = Job::for_settings(&settings, Path::new(PROGRAM), 15).unwrap_err();
    assert!(refused.to_string().contains("nothing to send"), "{refused}");
    let no_token = Settings::new("/tmp/x").named(Some("https://h/".into()), None);
    let refused = Job::for_settings(&no_token, Path::new(PROGRAM), 15).unwrap_err();
    assert!(refused.to_string().contains("no token"), "{refused}");
}

#[test]
fn a_data_folder_whose_path_holds_a_line_break_is_refused_in_words() {
    let settings = Settings::new("/tmp/a\nb").named(Some("https://h/".into()), Some("t".into()));
    let job = Job::for_settings(&settings, Path::new(PROGRAM), 15).unwrap();
    let refused = job.systemd_units().unwrap_err();
    assert!(
        refused.to_string().contains("control character"),
        "{refused}"
    );
}

/// The launchd property list, read by a property-list parser, runs exactly the job's command.
#[test]
fn the_launch_agent_reads_back_as_the_job() {
    let job = job();
    let plist = plist::Value::from_reader_xml(job.launch_agent_plist().unwrap().as_bytes())
        .expect("a property list");
    let dict = plist.as_dictionary().unwrap();
    let arguments: Vec<&str> = dict["ProgramArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_string().unwrap())
        .collect();
    let mut expected = vec![job.program.to_str().unwrap()];
    expected.extend(job.args.iter().map(String::as_str));
    assert_eq!(arguments, expected);
    assert_eq!(
        dict["WatchPaths"].as_array().unwrap()[0].as_string(),
        job.marker.to_str()
    );
    assert_eq!(dict["StartInterval"].as_unsigned_integer(), Some(900));
    assert_eq!(
        dict["Label"].as_string(),
        Some(job.launch_agent_label().as_str())
    );
}

/// The Task Scheduler XML is well-formed, names the program, and its arguments split back
/// (as Windows splits a command line) into the job's.
#[test]
fn the_scheduled_task_reads_back_as_the_job() {
    let job = job();
    let xml = job.task_scheduler_xml("EXAMPLE\\ada").unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut path = Vec::<String>::new();
    let mut found = std::collections::BTreeMap::<String, String>::new();
    let mut current = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(start) => {
                path.push(String::from_utf8(start.name().as_ref().to_vec()).unwrap());
                current.clear();
            }
            quick_xml::events::Event::End(_) => {
                if !current.trim().is_empty() {
                    found.insert(path.join("/"), std::mem::take(&mut current));
                }
                current.clear();
                path.pop();
            }
            quick_xml::events::Event::Text(text) => current.push_str(&text.decode().unwrap()),
            // `&quot;` and the like arrive on their own.
            quick_xml::events::Event::GeneralRef(reference) => {
                let name = reference.decode().unwrap();
                current.push(match name.as_ref() {
                    "quot" => '"',
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "apos" => '\'',
                    other => panic!("an unexpected entity &{other};"),
                });
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        found["Task/Actions/Exec/Command"],
        job.program.to_str().unwrap()
    );
    assert_eq!(
        split_windows_command_line(&found["Task/Actions/Exec/Arguments"]),
        job.args
    );
    assert_eq!(found["Task/Settings/RunOnlyIfNetworkAvailable"], "true");
    assert_eq!(found["Task/Settings/MultipleInstancesPolicy"], "IgnoreNew");
    assert_eq!(
        found["Task/Triggers/TimeTrigger/Repetition/Interval"],
        "PT15M"
    );
    assert_eq!(found["Task/Triggers/LogonTrigger/UserId"], "EXAMPLE\\ada");
}

/// `CommandLineToArgvW`'s rules (2n backslashes + quote: n backslashes, toggle; 2n+1: n and a
/// literal quote), to check [`windows_quote`] against.
fn split_windows_command_line(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut count = 1;
                while chars.peek() == Some(&'\\') {
                    chars.next();
                    count += 1;
                }
                if chars.peek() == Some(&'"') {
                    word.extend(std::iter::repeat_n('\\', count / 2));
                    if count % 2 == 1 {
                        chars.next();
                        word.push('"');
                    }
                } else {
                    word.extend(std::iter::repeat_n('\\', count));
                }
                in_word = true;
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' | '\t' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn windows_arguments_split_back_into_themselves() {
    for word in [
        "plain",
        "two words",
        r"C:\Users\Ada Lovelace\",
        r#"say "hi""#,
        r#"a\\"b"#,
        "",
        "50% $HOME",
    ] {
        assert_eq!(
            split_windows_command_line(&windows_quote(word)),
            vec![word.to_owned()],
            "{word:?}"
        );
    }
}

/// The autostart entry passes `desktop-file-validate`, where it is installed.
#[cfg(target_os = "linux")]
#[test]
fn the_autostart_entry_is_a_valid_desktop_entry() {
    if !crate::support::programs_present(
        &["desktop-file-validate"],
        "checking the autostart entry",
        "apt install desktop-file-utils",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{}.desktop", job().name));
    std::fs::write(&path, job().xdg_autostart().unwrap()).unwrap();
    let output = std::process::Command::new("desktop-file-validate")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the app (`command`, set up for its session) on `data_dir` with the server on `port`
/// and the test's token.
#[cfg(target_os = "linux")]
fn run_app(
    mut command: std::process::Command,
    data_dir: &Path,
    port: u16,
    args: &[&str],
) -> std::process::Output {
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--api", &format!("http://127.0.0.1:{port}")])
        .args(args)
        .env("OFFLINE_PROFILE_TOKEN", crate::support::TOKEN)
        .output()
        .unwrap()
}

#[cfg(target_os = "linux")]
mod systemd {
    //! The job started by a real systemd user manager (see `crate::systemd`).

    use crate::processes::{server_profile, start_profile_server};
    use crate::support::TOKEN;
    use crate::systemd::{UserManager, ours_running};
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    pub fn app(
        manager: &UserManager,
        data_dir: &Path,
        port: u16,
        args: &[&str],
    ) -> std::process::Output {
        super::run_app(
            manager.command(env!("CARGO_BIN_EXE_offline-profile")),
            data_dir,
            port,
            args,
        )
    }

    fn said(output: &std::process::Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    #[test]
    fn an_edit_saved_offline_reaches_the_server_by_the_path_started_job_alone() {
        let Some(manager) = UserManager::start() else {
            return;
        };
        let data = tempfile::tempdir().unwrap();
        // Quotes, a per cent sign and a dollar: each must reach the job as it is.
        let data_dir = data.path().join("profile \"data\" 50% $HOME");
        let port = crate::processes::unused_port();
        let db = data.path().join("server.sqlite3");

        let enabled = app(&manager, &data_dir, port, &["background", "enable"]);
        assert!(enabled.status.success(), "{}", said(&enabled));
        assert!(
            said(&enabled).contains("systemd user units"),
            "{}",
            said(&enabled)
        );
        let name = std::fs::read_dir(manager.units())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find_map(|file| file.strip_suffix(".path").map(str::to_owned))
            .expect("a .path unit");
        let units: Vec<PathBuf> = ["service", "path", "timer"]
            .iter()
            .map(|kind| manager.units().join(format!("{name}.{kind}")))
            .collect();
        for unit in &units {
            let text = std::fs::read_to_string(unit).unwrap();
            assert!(!text.contains(TOKEN), "the token is in {}", unit.display());
        }
        let verified = manager
            .command("systemd-analyze")
            .args(["--user", "verify"])
            .args(&units)
            .output()
            .unwrap();
        assert!(
            verified.status.success() && verified.stderr.is_empty(),
            "{}",
            said(&verified)
        );
        for active in [format!("{name}.path"), format!("{name}.timer")] {
            let state = manager.systemctl(&["is-active", &active]);
            assert_eq!(
                String::from_utf8_lossy(&state.stdout).trim(),
                "active",
                "{active}"
            );
        }

        // Saved with the server down; no window or `watch` runs.
        let saved = app(
            &manager,
            &data_dir,
            port,
            &["set", "--name", "Ada, sent in the background"],
        );
        assert!(saved.status.success(), "{}", said(&saved));
        assert!(
            said(&saved).contains("sent in the background"),
            "{}",
            said(&saved)
        );
        // The path unit started the job; it waits for the server (and nothing else of ours runs).
        let deadline = Instant::now() + Duration::from_secs(20);
        while ours_running(&data_dir).is_empty() {
            assert!(Instant::now() < deadline, "the job was not started");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_secs(3));
        assert_eq!(
            ours_running(&data_dir).len(),
            1,
            "the job alone, still waiting"
        );

        let _server = start_profile_server(port, TOKEN, &db);
        let started = Instant::now();
        while server_profile(port, TOKEN)
            .and_then(|p| p["name"].as_str().map(str::to_owned))
            .as_deref()
            != Some("Ada, sent in the background")
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the edit did not reach the server; {}",
                said(&manager.systemctl(&["status", &format!("{name}.service")]))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // The job ends once it is sent, and nothing of ours is left running.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ours_running(&data_dir).is_empty() {
            assert!(
                Instant::now() < deadline,
                "still running: {:?}",
                ours_running(&data_dir)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let status = app(
            &manager,
            &data_dir,
            port,
            &["background", "status", "--json"],
        );
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["enabled"], true);
        assert_eq!(status["how"], "systemd");
        assert_eq!(status["pending"], false);
        assert_eq!(status["last_run"]["outcome"], "sent", "{status}");
        let shown = app(&manager, &data_dir, port, &["status", "--json"]);
        let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(shown["state"], "synced", "{shown}");

        // Turned off: the units are gone and stopped.
        let disabled = app(&manager, &data_dir, port, &["background", "disable"]);
        assert!(disabled.status.success(), "{}", said(&disabled));
        for unit in &units {
            assert!(!unit.exists(), "{} left behind", unit.display());
        }
        let state = manager.systemctl(&["is-active", &format!("{name}.path")]);
        assert_ne!(String::from_utf8_lossy(&state.stdout).trim(), "active");
    }
}

#[cfg(target_os = "linux")]
mod autostart {
    //! Without a systemd user manager: the XDG autostart entry, and the job the hand-over
    //! starts itself.

    use crate::processes::{server_profile, start_profile_server};
    use crate::support::TOKEN;
    use crate::systemd::ours_running;
    use std::path::Path;
    use std::process::{Command, Output};
    use std::time::{Duration, Instant};

    /// A session with no systemd user manager: its own home, config and runtime folders, no
    /// session bus.
    struct Session {
        root: tempfile::TempDir,
    }

    impl Session {
        fn new() -> Self {
            let root = tempfile::tempdir().unwrap();
            for dir in ["home", "config", "run"] {
                std::fs::create_dir(root.path().join(dir)).unwrap();
            }
            Self { root }
        }

        fn command(&self, program: &str) -> Command {
            let mut command = Command::new(program);
            command
                .env("HOME", self.root.path().join("home"))
                .env("XDG_CONFIG_HOME", self.root.path().join("config"))
                .env("XDG_RUNTIME_DIR", self.root.path().join("run"))
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env_remove("OFFLINE_PROFILE_TOKEN");
            command
        }

        fn app(&self, data_dir: &Path, port: u16, args: &[&str]) -> Output {
            super::run_app(
                self.command(env!("CARGO_BIN_EXE_offline-profile")),
                data_dir,
                port,
                args,
            )
        }

        fn config(&self) -> std::path::PathBuf {
            self.root.path().join("config")
        }
    }

    fn said(output: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// Waits (bounded) until `done`, saying `what` if it never is.
    fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ends the jobs this test started, whatever happened (by PID: ours, on this data folder).
    struct EndJobs<'a>(&'a Path);

    impl Drop for EndJobs<'_> {
        fn drop(&mut self) {
            for pid in ours_running(self.0) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }

    #[test]
    fn without_a_user_manager_the_autostart_entry_runs_the_job_and_a_save_starts_it() {
        if !crate::support::programs_present(
            &["gio", "desktop-file-validate", "systemctl"],
            "the XDG autostart fallback",
            "apt install libglib2.0-bin desktop-file-utils systemd",
        ) {
            return;
        }
        let session = Session::new();
        let data = tempfile::tempdir().unwrap();
        // A space, quotes, a per cent sign, a dollar and a backslash: each must reach the job
        // through the entry's Exec quoting as it is.
        let data_dir = data.path().join("profile \"data\" 50% $HOME \\ x");
        let _end = EndJobs(&data_dir);
        let port = crate::processes::unused_port();
        let db = data.path().join("server.sqlite3");

        let enabled = session.app(&data_dir, port, &["background", "enable"]);
        assert!(enabled.status.success(), "{}", said(&enabled));
        assert!(
            said(&enabled).contains("XDG autostart entry"),
            "{}",
            said(&enabled)
        );
        // The entry alone: no unit files left behind by the attempt with systemd.
        let autostart = session.config().join("autostart");
        let entries: Vec<_> = std::fs::read_dir(&autostart)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        let entry = &entries[0];
        let units = session.config().join("systemd/user");
        assert!(
            std::fs::read_dir(&units).map_or(true, |mut d| d.next().is_none()),
            "units left in {}",
            units.display()
        );
        let text = std::fs::read_to_string(entry).unwrap();
        assert!(!text.contains(TOKEN), "the token is in the entry");
        let valid = Command::new("desktop-file-validate")
            .arg(entry)
            .output()
            .unwrap();
        assert!(
            valid.status.success() && valid.stdout.is_empty(),
            "{}",
            said(&valid)
        );
        let status = session.app(&data_dir, port, &["background", "status", "--json"]);
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["how"], "autostart", "{status}");

        // Saved with the server down: the hand-over starts the job itself, detached; it waits.
        let saved = session.app(&data_dir, port, &["set", "--name", "Ada, via autostart"]);
        assert!(saved.status.success(), "{}", said(&saved));
        wait_for("the job was not started", 20, || {
            !ours_running(&data_dir).is_empty()
        });
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(ours_running(&data_dir).len(), 1, "the job alone, waiting");

        let server = start_profile_server(port, TOKEN, &db);
        wait_for("the edit did not reach the server", 60, || {
            server_profile(port, TOKEN)
                .and_then(|p| p["name"].as_str().map(str::to_owned))
                .as_deref()
                == Some("Ada, via autostart")
        });
        wait_for("the job did not end once the edit was sent", 30, || {
            ours_running(&data_dir).is_empty()
        });
        let log = std::fs::read_to_string(data_dir.join("background/job.log")).unwrap_or_default();
        assert!(!log.contains(TOKEN), "the token is in the job's log");

        // At the next login the session runs the entry (GLib reads its Exec line as desktops
        // do): the job runs on this data folder, finds nothing to send, records it and ends.
        std::fs::remove_file(data_dir.join("background/last-run.json")).unwrap();
        let launched = session
            .command("gio")
            .arg("launch")
            .arg(entry)
            .output()
            .unwrap();
        assert!(launched.status.success(), "{}", said(&launched));
        wait_for("the entry's job recorded no run", 30, || {
            data_dir.join("background/last-run.json").exists() && ours_running(&data_dir).is_empty()
        });
        let status = session.app(&data_dir, port, &["background", "status", "--json"]);
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["last_run"]["outcome"], "up_to_date", "{status}");
        drop(server);

        let disabled = session.app(&data_dir, port, &["background", "disable"]);
        assert!(disabled.status.success(), "{}", said(&disabled));
        assert!(!entry.exists(), "the entry is left behind");
    }
}
