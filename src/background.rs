//! Background sync: an edit saved while the server could not be reached is sent after the window
//! (or the command) has ended, by a short job the operating system starts, and other devices'
//! changes are fetched every quarter of an hour. Nothing of ours runs while nothing is pending.
//!
//! One description of the job ([`Job`]: the program, its arguments, the hand-over marker, the
//! period) is written out in each platform's own form: systemd user units (a `.path` unit on the
//! marker, a `.timer`, the `.service` they start), an XDG autostart entry where no systemd user
//! manager runs, a Task Scheduler task on Windows, a LaunchAgent on macOS.
//!
//! The job (`offline-profile sync --background`, [`run_job`]) never runs twice at once (a lock)
//! and steps aside while a window or `watch` syncs the same data folder (they hold
//! [`Presence`]). A process that ends with an edit not on the server hands it over
//! ([`hand_over`]): it writes the marker, which starts the job. Nothing is written on a save:
//! the marker costs one small write when a process ends, never on the save path.

use crate::session::{Connection, Session, Settings};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The period of the job that fetches other devices' changes, by default.
pub const DEFAULT_EVERY_MINUTES: u32 = 15;
/// The periods the platforms' calendars express alike (they divide an hour).
pub const PERIODS: [u32; 6] = [5, 10, 15, 20, 30, 60];
/// How long one background job keeps trying to send a waiting edit, by default.
pub const DEFAULT_BOUND: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    #[error("cannot use {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{0}")]
    Refused(String),
    #[error("{program} failed: {reason}")]
    Command { program: String, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackgroundError + '_ {
    move |error| BackgroundError::Io {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// The files of one data folder's background sync, in `DATA/background/`.
#[derive(Debug, Clone)]
pub struct Place {
    dir: PathBuf,
}

impl Place {
    pub fn of(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("background"),
        }
    }

    /// Written by a process that ends with an edit not on the server; its change starts the
    /// job (the `.path` unit, the LaunchAgent's `WatchPaths`).
    pub fn marker(&self) -> PathBuf {
        self.dir.join("changed")
    }

    fn preferences(&self) -> PathBuf {
        self.dir.join("settings.json")
    }

    fn last_run(&self) -> PathBuf {
        self.dir.join("last-run.json")
    }

    /// The `--token` of a script's setup, kept private for the job (never in a unit file).
    pub fn token(&self) -> PathBuf {
        self.dir.join("token")
    }

    /// The Task Scheduler task as registered (`schtasks /Create /XML` reads it).
    fn task_xml(&self) -> PathBuf {
        self.dir.join("task.xml")
    }

    fn job_lock(&self) -> PathBuf {
        self.dir.join("job.lock")
    }

    fn presence_lock(&self) -> PathBuf {
        self.dir.join("open.lock")
    }

    fn create(&self) -> Result<(), BackgroundError> {
        crate::session::private_dir(&self.dir).map_err(io(&self.dir))
    }
}

/// What the user chose, kept per data folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// `None` until asked (the window asks once, when it closes with an edit not sent).
    pub enabled: Option<bool>,
    /// How the job is run, once enabled.
    pub how: Option<How>,
    /// The job's period in minutes.
    #[serde(default = "default_every")]
    pub every_minutes: u32,
    /// Photos are sent and fetched on a metered connection too (otherwise they wait for an
    /// unmetered one, except when the user asks for a sync).
    #[serde(default)]
    pub photos_on_metered: bool,
    /// The installed job's program and arguments, to start it directly where no launcher
    /// watches the marker (autostart, a failed `schtasks /Run`).
    #[serde(default)]
    pub command: Vec<String>,
}

fn default_every() -> u32 {
    DEFAULT_EVERY_MINUTES
}

/// Never asked, the default period, photos wait on metered connections.
impl Default for Preferences {
    fn default() -> Self {
        Self {
            enabled: None,
            how: None,
            every_minutes: DEFAULT_EVERY_MINUTES,
            photos_on_metered: false,
            command: Vec::new(),
        }
    }
}

/// How the operating system runs the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// systemd user units: a `.path` unit on the marker and a `.timer`.
    Systemd,
    /// An XDG autostart entry (no systemd user manager): the job at login, and started by the
    /// process that hands an edit over.
    Autostart,
    /// A Task Scheduler task.
    TaskScheduler,
    /// A LaunchAgent.
    LaunchAgent,
}

impl std::fmt::Display for How {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            How::Systemd => "systemd user units",
            How::Autostart => "an XDG autostart entry",
            How::TaskScheduler => "a Task Scheduler task",
            How::LaunchAgent => "a LaunchAgent",
        })
    }
}

impl Preferences {
    pub fn read(data_dir: &Path) -> Result<Self, BackgroundError> {
        let path = Place::of(data_dir).preferences();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| BackgroundError::Io {
                path,
                reason: format!("it is damaged ({e}); run `offline-profile background enable` or `disable` again"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    pub fn write(&self, data_dir: &Path) -> Result<(), BackgroundError> {
        let place = Place::of(data_dir);
        place.create()?;
        let path = place.preferences();
        let bytes = serde_json::to_vec_pretty(self).expect("preferences serialise");
        crate::account::write_private(&path, &bytes).map_err(|e| BackgroundError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })
    }

    /// Whether background sync is on.
    pub fn on(&self) -> bool {
        self.enabled == Some(true)
    }
}

/// The job, described once and written out per platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// `offline-profile-sync-` and eight hex digits of the data folder's path: one job per data
    /// folder.
    pub name: String,
    pub program: PathBuf,
    /// The arguments: the data folder, the server and the token's file where the command line
    /// named them, then `sync --background`.
    pub args: Vec<String>,
    pub data_dir: PathBuf,
    pub marker: PathBuf,
    pub every_minutes: u32,
}

impl Job {
    /// The job for `settings`' data folder and connection, run by `program`. Refused for this
    /// computer only (its server is inside the app: there is nothing to send when it is closed)
    /// and for a server named without a token or an account.
    pub fn for_settings(
        settings: &Settings,
        program: &Path,
        every_minutes: u32,
    ) -> Result<Self, BackgroundError> {
        let data_dir = absolute(&settings.data_dir)?;
        let mut args = vec!["--data-dir".to_owned(), text(&data_dir)?];
        match &settings.connection {
            Connection::Local => {
                return Err(BackgroundError::Refused(
                    "this computer only keeps the profile here (its server is inside the app), \
                     so there is nothing to send while the app is closed; background sync is \
                     for a profile kept on a server (`offline-profile login`)"
                        .into(),
                ));
            }
            Connection::Account(_) => {}
            Connection::Token { token: None, api } => {
                return Err(BackgroundError::Refused(format!(
                    "no token for {api}: sign in (`offline-profile --api {api} login`) or give \
                     --token, and enable background sync again"
                )));
            }
            Connection::Token {
                api,
                token: Some(_),
            } => {
                args.extend([
                    "--api".to_owned(),
                    api.clone(),
                    "--token-file".to_owned(),
                    text(&Place::of(&data_dir).token())?,
                ]);
            }
        }
        args.extend(["sync".to_owned(), "--background".to_owned()]);
        Ok(Self {
            name: job_name(&data_dir),
            program: absolute(program)?,
            args,
            marker: Place::of(&data_dir).marker(),
            data_dir,
            every_minutes,
        })
    }

    fn description(&self) -> String {
        format!(
            "offline-profile: send changes made offline, fetch other devices' ({})",
            self.data_dir.display()
        )
    }

    /// The systemd user units: `(file name, contents)` for the `.service`, `.path` and `.timer`.
    pub fn systemd_units(&self) -> Result<Vec<(String, String)>, BackgroundError> {
        let exec = std::iter::once(text(&self.program)?)
            .chain(self.args.iter().cloned())
            .map(|arg| systemd_quote(&arg))
            .collect::<Result<Vec<_>, _>>()?
            .join(" ");
        let marker = systemd_path(&text(&self.marker)?)?;
        let description = systemd_path(&self.description())?;
        let header = "# Written by `offline-profile background enable`; removed by \
                      `offline-profile background disable`.\n";
        let service = format!(
            "{header}[Unit]\n\
             Description={description}\n\
             # Started on every hand-over: never rate-limited into a failed state.\n\
             StartLimitIntervalSec=0\n\
             \n\
             [Service]\n\
             Type=exec\n\
             ExecStart={exec}\n\
             Nice=10\n\
             IOSchedulingClass=idle\n\
             TimeoutStopSec=15\n"
        );
        let path = format!(
            "{header}[Unit]\n\
             Description={description} (when a change is handed over)\n\
             \n\
             [Path]\n\
             PathChanged={marker}\n\
             Unit={name}.service\n\
             \n\
             [Install]\n\
             WantedBy=default.target\n",
            name = self.name
        );
        let timer = format!(
            "{header}[Unit]\n\
             Description={description} (every {every} minutes)\n\
             \n\
             [Timer]\n\
             OnCalendar={calendar}\n\
             RandomizedDelaySec={delay}min\n\
             Persistent=true\n\
             Unit={name}.service\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n",
            every = self.every_minutes,
            calendar = if self.every_minutes >= 60 {
                "hourly".to_owned()
            } else {
                format!("*:0/{}", self.every_minutes)
            },
            delay = (self.every_minutes / 3).max(1),
            name = self.name
        );
        Ok(vec![
            (format!("{}.service", self.name), service),
            (format!("{}.path", self.name), path),
            (format!("{}.timer", self.name), timer),
        ])
    }

    /// The XDG autostart entry (`~/.config/autostart/NAME.desktop`): the job at login.
    pub fn xdg_autostart(&self) -> Result<String, BackgroundError> {
        let exec = std::iter::once(text(&self.program)?)
            .chain(self.args.iter().cloned())
            .map(|arg| desktop_quote(&arg))
            .collect::<Result<Vec<_>, _>>()?
            .join(" ");
        Ok(format!(
            "[Desktop Entry]\n\
             Type=Application\n\
             Name=offline-profile background sync\n\
             Comment={}\n\
             Exec={exec}\n\
             Terminal=false\n\
             NoDisplay=true\n\
             X-GNOME-Autostart-enabled=true\n",
            desktop_string(&self.description())
        ))
    }

    /// The Task Scheduler task's XML (written as UTF-16 for `schtasks /Create /XML`): at log-on
    /// and every period, only with a network, one instance at a time. `user` is
    /// `DOMAIN\name`, whose log-on starts it.
    pub fn task_scheduler_xml(&self, user: &str) -> Result<String, BackgroundError> {
        let arguments = self
            .args
            .iter()
            .map(|arg| windows_quote(arg))
            .collect::<Vec<_>>()
            .join(" ");
        let every = if self.every_minutes >= 60 {
            "PT1H".to_owned()
        } else {
            format!("PT{}M", self.every_minutes)
        };
        let x = xml_escape;
        Ok(format!(
            r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>{description}</Description>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>{user}</UserId>
    </LogonTrigger>
    <TimeTrigger>
      <Repetition>
        <Interval>{every}</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2026-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
      <RandomDelay>PT{delay}M</RandomDelay>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{user}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{command}</Command>
      <Arguments>{arguments}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
            description = x(&self.description()),
            user = x(user),
            delay = (self.every_minutes / 3).max(1),
            command = x(&text(&self.program)?),
            arguments = x(&arguments),
        ))
    }

    /// The LaunchAgent's property list (`~/Library/LaunchAgents/LABEL.plist`): on a change of
    /// the marker, every period and at log-in.
    pub fn launch_agent_plist(&self) -> Result<String, BackgroundError> {
        let mut arguments = String::new();
        for arg in std::iter::once(text(&self.program)?).chain(self.args.iter().cloned()) {
            let _ = writeln!(arguments, "    <string>{}</string>", xml_escape(&arg));
        }
        Ok(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{label}</string>
  <key>ProgramArguments</key>
  <array>
{arguments}  </array>
  <key>WatchPaths</key>
  <array>
    <string>{marker}</string>
  </array>
  <key>StartInterval</key>
  <integer>{seconds}</integer>
  <key>RunAtLoad</key>
  <true/>
  <key>ProcessType</key>
  <string>Background</string>
  <key>LowPriorityIO</key>
  <true/>
  <key>Nice</key>
  <integer>10</integer>
</dict>
</plist>
"#,
            label = self.launch_agent_label(),
            marker = xml_escape(&text(&self.marker)?),
            seconds = u64::from(self.every_minutes) * 60,
        ))
    }

    pub fn launch_agent_label(&self) -> String {
        launch_agent_label(&self.name)
    }

    /// The Task Scheduler task's name.
    pub fn task_name(&self) -> String {
        task_name(&self.name)
    }
}

/// The LaunchAgent's label for the job named `name`.
fn launch_agent_label(name: &str) -> String {
    format!("org.offline-profile.{name}")
}

/// The Task Scheduler task's name (in a folder of ours) for the job named `name`.
fn task_name(name: &str) -> String {
    format!("offline-profile\\{name}")
}

/// Where this platform keeps the job named `name`'s files: on Linux the three systemd user
/// units (service, path, timer) and the XDG autostart entry; on macOS the LaunchAgent; on
/// Windows the task's XML beside the job's other files (the task itself lives in Task
/// Scheduler).
struct JobFiles {
    units: [PathBuf; 3],
    autostart: PathBuf,
    launch_agent: PathBuf,
}

impl JobFiles {
    fn of(name: &str) -> Result<Self, BackgroundError> {
        let home = directories::BaseDirs::new()
            .ok_or_else(|| BackgroundError::Refused("no home folder is known".into()))?;
        let units = home.config_dir().join("systemd").join("user");
        Ok(Self {
            units: ["service", "path", "timer"].map(|kind| units.join(format!("{name}.{kind}"))),
            autostart: home
                .config_dir()
                .join("autostart")
                .join(format!("{name}.desktop")),
            launch_agent: home
                .home_dir()
                .join("Library/LaunchAgents")
                .join(format!("{}.plist", launch_agent_label(name))),
        })
    }
}

/// `offline-profile-sync-` and the first eight hex digits of the SHA-256 of the folder's path.
fn job_name(data_dir: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("offline-profile-sync-{hex}")
}

fn absolute(path: &Path) -> Result<PathBuf, BackgroundError> {
    std::path::absolute(path).map_err(io(path))
}

/// A path as text; the files the job is written into are text.
fn text(path: &Path) -> Result<String, BackgroundError> {
    path.to_str().map(str::to_owned).ok_or_else(|| {
        BackgroundError::Refused(format!(
            "{} is not valid Unicode; background sync needs a data folder whose path is",
            path.display()
        ))
    })
}

fn no_control(value: &str) -> Result<(), BackgroundError> {
    if value.chars().any(char::is_control) {
        return Err(BackgroundError::Refused(format!(
            "{value:?} holds a control character (a line break?); background sync cannot name it \
             in the system's job files"
        )));
    }
    Ok(())
}

/// One `ExecStart=` word: double-quoted, with systemd's C-style escapes, `%` and `$` doubled
/// (no specifier or variable is expanded in it).
fn systemd_quote(word: &str) -> Result<String, BackgroundError> {
    no_control(word)?;
    let mut quoted = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '%' => quoted.push_str("%%"),
            '$' => quoted.push_str("$$"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted)
}

/// A value that is a path or plain text in a unit file (`PathChanged=`, `Description=`):
/// specifiers escaped; a trailing backslash would continue the line.
fn systemd_path(value: &str) -> Result<String, BackgroundError> {
    no_control(value)?;
    if value.ends_with('\\') {
        return Err(BackgroundError::Refused(format!(
            "{value:?} ends with a backslash, which a unit file cannot hold"
        )));
    }
    Ok(value.replace('%', "%%"))
}

/// One `Exec=` argument of a desktop entry: quoted when it holds a reserved character, with
/// `"`, `` ` ``, `$` and `\` escaped inside the quotes, then the value's own string escapes, and
/// `%` doubled (field codes).
fn desktop_quote(word: &str) -> Result<String, BackgroundError> {
    no_control(word)?;
    const RESERVED: &str = " \t\n\"'\\><~|&;$*?#()`";
    let word = word.replace('%', "%%");
    let quoted = if word.chars().any(|c| RESERVED.contains(c)) {
        let mut quoted = String::from("\"");
        for c in word.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        word
    };
    Ok(desktop_string(&quoted))
}

/// A desktop entry's string value: backslashes escaped.
fn desktop_string(value: &str) -> String {
    value.replace('\\', "\\\\")
}

/// One argument of a Windows command line, as `CommandLineToArgvW` reads it back.
pub fn windows_quote(word: &str) -> String {
    if !word.is_empty() && !word.contains([' ', '\t', '"']) {
        return word.to_owned();
    }
    let mut quoted = String::from("\"");
    let mut backslashes = 0;
    for c in word.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                quoted.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                quoted.push('"');
                backslashes = 0;
            }
            c => {
                quoted.extend(std::iter::repeat_n('\\', backslashes));
                quoted.push(c);
                backslashes = 0;
            }
        }
    }
    quoted.extend(std::iter::repeat_n('\\', backslashes * 2));
    quoted.push('"');
    quoted
}

fn xml_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    escaped
}

// ---------------------------------------------------------------------------------------------
// Installing and removing the job.

/// What `enable` and `disable` did.
#[derive(Debug, Clone)]
pub struct Installed {
    pub how: How,
    pub files: Vec<PathBuf>,
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), BackgroundError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    crate::session::replace_file(path, contents).map_err(io(path))
}

fn remove_file(path: &Path) -> Result<bool, BackgroundError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

fn run_program(program: &str, args: &[&str]) -> Result<String, BackgroundError> {
    let output = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| BackgroundError::Command {
            program: format!("{program} {}", args.join(" ")),
            reason: e.to_string(),
        })?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(BackgroundError::Command {
            program: format!("{program} {}", args.join(" ")),
            reason: format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}

/// Turns background sync on for `settings`' data folder: writes the job's files, has the
/// system load them, and remembers the choice.
pub fn enable(settings: &Settings, every_minutes: u32) -> Result<Installed, BackgroundError> {
    let program = std::env::current_exe().map_err(|e| {
        BackgroundError::Refused(format!("cannot tell where this program is ({e})"))
    })?;
    let job = Job::for_settings(settings, &program, every_minutes)?;
    let place = Place::of(&job.data_dir);
    place.create()?;
    if let Connection::Token {
        token: Some(token), ..
    } = &settings.connection
    {
        crate::account::write_private(&place.token(), token.as_bytes()).map_err(|e| {
            BackgroundError::Io {
                path: place.token(),
                reason: e.to_string(),
            }
        })?;
    }
    let installed = install(&job)?;
    let mut preferences = Preferences::read(&settings.data_dir)?;
    preferences.enabled = Some(true);
    preferences.how = Some(installed.how);
    preferences.every_minutes = every_minutes;
    preferences.command = std::iter::once(text(&job.program)?)
        .chain(job.args.iter().cloned())
        .collect();
    preferences.write(&settings.data_dir)?;
    Ok(installed)
}

/// Turns background sync off: removes the job's files (stopping a job that runs) and
/// remembers the choice. The files are looked for everywhere this platform could have put
/// them, whatever the preferences say.
pub fn disable(settings: &Settings) -> Result<Installed, BackgroundError> {
    let data_dir = absolute(&settings.data_dir)?;
    let name = job_name(&data_dir);
    let mut preferences = Preferences::read(&settings.data_dir)?;
    let how = preferences.how.unwrap_or(How::Systemd);
    let files = uninstall(&name)?;
    preferences.enabled = Some(false);
    preferences.write(&settings.data_dir)?;
    let _ = remove_file(&Place::of(&data_dir).token());
    Ok(Installed { how, files })
}

#[cfg(all(unix, not(target_os = "macos")))]
fn install(job: &Job) -> Result<Installed, BackgroundError> {
    let JobFiles {
        units, autostart, ..
    } = JobFiles::of(&job.name)?;
    let files = units.to_vec();
    for (path, (name, contents)) in files.iter().zip(job.systemd_units()?) {
        debug_assert!(path.ends_with(&name));
        write_file(path, contents.as_bytes())?;
    }
    let loaded = run_program("systemctl", &["--user", "daemon-reload"]).and_then(|_| {
        let path = format!("{}.path", job.name);
        let timer = format!("{}.timer", job.name);
        run_program("systemctl", &["--user", "enable", "--now", &path, &timer])
    });
    match loaded {
        Ok(_) => {
            remove_file(&autostart)?;
            Ok(Installed {
                how: How::Systemd,
                files,
            })
        }
        Err(error) => {
            tracing::info!(%error, "no systemd user manager; using an XDG autostart entry");
            for file in &files {
                remove_file(file)?;
            }
            write_file(&autostart, job.xdg_autostart()?.as_bytes())?;
            Ok(Installed {
                how: How::Autostart,
                files: vec![autostart],
            })
        }
    }
}

/// Where this platform puts the job's files (those that exist are installed).
pub fn job_files(data_dir: &Path) -> Result<Vec<PathBuf>, BackgroundError> {
    let data_dir = absolute(data_dir)?;
    if cfg!(windows) {
        return Ok(vec![Place::of(&data_dir).task_xml()]);
    }
    let files = JobFiles::of(&job_name(&data_dir))?;
    if cfg!(target_os = "macos") {
        return Ok(vec![files.launch_agent]);
    }
    Ok(files.units.into_iter().chain([files.autostart]).collect())
}

/// The job's name for `data_dir`.
pub fn name_for(data_dir: &Path) -> Result<String, BackgroundError> {
    Ok(job_name(&absolute(data_dir)?))
}

#[cfg(all(unix, not(target_os = "macos")))]
fn uninstall(name: &str) -> Result<Vec<PathBuf>, BackgroundError> {
    let JobFiles {
        units, autostart, ..
    } = JobFiles::of(name)?;
    let path = format!("{name}.path");
    let timer = format!("{name}.timer");
    let service = format!("{name}.service");
    // Where a user manager runs: stop the triggers and a job under way, then forget them.
    if run_program("systemctl", &["--user", "disable", "--now", &path, &timer]).is_ok() {
        let _ = run_program("systemctl", &["--user", "stop", &service]);
    }
    let mut removed = Vec::new();
    for file in units.into_iter().chain([autostart]) {
        if remove_file(&file)? {
            removed.push(file);
        }
    }
    let _ = run_program("systemctl", &["--user", "daemon-reload"]);
    Ok(removed)
}

#[cfg(windows)]
fn install(job: &Job) -> Result<Installed, BackgroundError> {
    let user = match (std::env::var("USERDOMAIN"), std::env::var("USERNAME")) {
        (Ok(domain), Ok(name)) => format!("{domain}\\{name}"),
        (_, Ok(name)) => name,
        _ => return Err(BackgroundError::Refused("USERNAME is not set".into())),
    };
    let xml = job.task_scheduler_xml(&user)?;
    let path = Place::of(&job.data_dir).task_xml();
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    write_file(&path, &bytes)?;
    let name = job.task_name();
    run_program(
        "schtasks",
        &["/Create", "/F", "/TN", &name, "/XML", &text(&path)?],
    )?;
    Ok(Installed {
        how: How::TaskScheduler,
        files: vec![path],
    })
}

#[cfg(windows)]
fn uninstall(name: &str) -> Result<Vec<PathBuf>, BackgroundError> {
    let task = task_name(name);
    let _ = run_program("schtasks", &["/End", "/TN", &task]);
    match run_program("schtasks", &["/Delete", "/F", "/TN", &task]) {
        Ok(_) => Ok(vec![PathBuf::from(task)]),
        Err(error) => {
            tracing::info!(%error, "no task to delete");
            Ok(Vec::new())
        }
    }
}

#[cfg(target_os = "macos")]
fn install(job: &Job) -> Result<Installed, BackgroundError> {
    let path = JobFiles::of(&job.name)?.launch_agent;
    write_file(&path, job.launch_agent_plist()?.as_bytes())?;
    let domain = format!("gui/{}", current_uid()?);
    let _ = run_program("launchctl", &["bootout", &domain, &text(&path)?]);
    run_program("launchctl", &["bootstrap", &domain, &text(&path)?])?;
    Ok(Installed {
        how: How::LaunchAgent,
        files: vec![path],
    })
}

#[cfg(target_os = "macos")]
fn uninstall(name: &str) -> Result<Vec<PathBuf>, BackgroundError> {
    let path = JobFiles::of(name)?.launch_agent;
    let domain = format!("gui/{}", current_uid()?);
    let _ = run_program("launchctl", &["bootout", &domain, &text(&path)?]);
    Ok(if remove_file(&path)? {
        vec![path]
    } else {
        Vec::new()
    })
}

#[cfg(target_os = "macos")]
fn current_uid() -> Result<String, BackgroundError> {
    Ok(run_program("id", &["-u"])?.trim().to_owned())
}

// ---------------------------------------------------------------------------------------------
// Handing an edit over, and who syncs.

/// Held by a window or `watch` while it syncs a data folder: the background job steps aside
/// meanwhile. Released when dropped.
#[derive(Debug)]
pub struct Presence {
    _file: File,
}

impl Presence {
    /// Announces that this process syncs `data_dir`. `None` (logged) where the lock file
    /// cannot be made: the job then may sync alongside, which is safe, only wasted.
    pub fn announce(data_dir: &Path) -> Option<Self> {
        let place = Place::of(data_dir);
        let opened = place.create().ok().and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(place.presence_lock())
                .map_err(|error| tracing::warn!(%error, "cannot announce this window to the background job"))
                .ok()
        })?;
        // Shared: windows and `watch`es may run side by side; the job only looks (exclusive
        // for an instant).
        opened
            .lock_shared()
            .map_err(
                |error| tracing::warn!(%error, "cannot announce this window to the background job"),
            )
            .ok()?;
        Some(Self { _file: opened })
    }
}

/// Whether a window or `watch` syncs `data_dir` now.
pub fn someone_syncs(data_dir: &Path) -> bool {
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(Place::of(data_dir).presence_lock())
    else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(error)) => {
            tracing::warn!(%error, "cannot tell whether a window is open");
            false
        }
    }
}

/// Called as a process ends (the window closes, a command finishes) with `pending`: whether
/// an edit has not reached the server. With background sync on, the job takes it over: the
/// marker is written (the `.path` unit or the LaunchAgent starts the job), or the job is
/// started (Task Scheduler, or no systemd). Says what it did (`None`: nothing to hand over).
pub fn hand_over(data_dir: &Path, pending: bool) -> Option<String> {
    if !pending {
        return None;
    }
    let preferences = Preferences::read(data_dir).ok()?;
    if !preferences.on() {
        return None;
    }
    let place = Place::of(data_dir);
    let stamp = chrono::Utc::now().to_rfc3339();
    let handed = match preferences.how? {
        How::Systemd | How::LaunchAgent => write_file(&place.marker(), stamp.as_bytes())
            .map(|()| "the change is sent in the background (background sync is on)".to_owned()),
        How::TaskScheduler => start_task(data_dir),
        How::Autostart => start_detached(data_dir),
    };
    match handed {
        Ok(words) => Some(words),
        Err(error) => {
            tracing::warn!(%error, "cannot hand the change over to the background job");
            Some(format!(
                "the change waits for the next background run ({error})"
            ))
        }
    }
}

#[cfg(windows)]
fn start_task(data_dir: &Path) -> Result<String, BackgroundError> {
    // wine's Task Scheduler registers tasks but never runs them (and `schtasks /Run` says
    // nothing): there the job is started directly.
    if profile_client::windows::under_wine() {
        return start_detached(data_dir);
    }
    let name = task_name(&job_name(&absolute(data_dir)?));
    match run_program("schtasks", &["/Run", "/TN", &name]) {
        Ok(_) => Ok("the change is sent in the background (background sync is on)".into()),
        // Task Scheduler cannot start it now: start the job itself.
        Err(error) => {
            tracing::info!(%error, "schtasks /Run failed; starting the job directly");
            start_detached(data_dir)
        }
    }
}

#[cfg(not(windows))]
fn start_task(data_dir: &Path) -> Result<String, BackgroundError> {
    start_detached(data_dir)
}

/// Starts the installed job's command as a process of its own that outlives this one.
fn start_detached(data_dir: &Path) -> Result<String, BackgroundError> {
    let preferences = Preferences::read(data_dir)?;
    let Some((program, args)) = preferences.command.split_first() else {
        return Err(BackgroundError::Refused(
            "the job's command is not known; run `offline-profile background enable` again".into(),
        ));
    };
    let mut command = std::process::Command::new(program);
    // What it says goes to a log beside its other files (systemd's journal does this for the
    // units).
    let log_path = Place::of(data_dir).dir.join("job.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(&log_path))?;
    command
        .args(args)
        // Its token comes from the command line it was given (a file, or the account's
        // store), never from what this process was started with.
        .env_remove("OFFLINE_PROFILE_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().map_err(io(&log_path))?)
        .stderr(log);
    // Its own process group: a Ctrl+C in the terminal that ran a command does not end it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    // No console of its own and none shared: closing the one it was typed in does not end it.
    #[cfg(windows)]
    {
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        std::os::windows::process::CommandExt::creation_flags(
            &mut command,
            DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP,
        );
    }
    command.spawn().map_err(io(Path::new(program)))?;
    Ok("the change is sent in the background (background sync is on)".into())
}

// ---------------------------------------------------------------------------------------------
// The job.

/// How a background run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    pub at: chrono::DateTime<chrono::Utc>,
    /// `sent`, `up_to_date`, `held` (a photo waits for an unmetered network), `stepped_aside`,
    /// `already_running`, `battery_low`, `not_sent`, `unreachable`, `conflict`, `signed_out`,
    /// `stopped`, `failed`.
    pub outcome: String,
    pub message: String,
    pub seconds: f64,
}

impl LastRun {
    pub fn read(data_dir: &Path) -> Option<Self> {
        let bytes = std::fs::read(Place::of(data_dir).last_run()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the run leaves something for the user to do (the job's exit code then is 1).
    pub fn failed(&self) -> bool {
        matches!(
            self.outcome.as_str(),
            "not_sent" | "conflict" | "signed_out" | "failed"
        )
    }
}

/// Runs one background job (`sync --background`): sends a waiting edit and fetches the
/// server's profile, retrying on the quiet schedule and at once when a network comes up, for
/// at most `bound`; steps aside for a window or `watch`; never runs twice at once.
pub async fn run_job(settings: Settings, bound: Duration) -> LastRun {
    let started = Instant::now();
    let data_dir = settings.data_dir.clone();
    let (outcome, message) = job(settings, bound).await;
    let run = LastRun {
        at: chrono::Utc::now(),
        outcome: outcome.to_owned(),
        message,
        seconds: started.elapsed().as_secs_f64(),
    };
    // Not recorded when another job runs: the last run is that one's.
    if outcome != "already_running" {
        let path = Place::of(&data_dir).last_run();
        if let Err(error) = write_file(
            &path,
            &serde_json::to_vec_pretty(&run).expect("a run serialises"),
        ) {
            tracing::warn!(%error, "cannot record the background run");
        }
    }
    run
}

async fn job(settings: Settings, bound: Duration) -> (&'static str, String) {
    let place = Place::of(&settings.data_dir);
    if let Err(error) = place.create() {
        return ("failed", error.to_string());
    }
    let lock = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(place.job_lock())
    {
        Ok(lock) => lock,
        Err(error) => return ("failed", io(&place.job_lock())(error).to_string()),
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return (
                "already_running",
                "another background sync is running".into(),
            );
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return ("failed", io(&place.job_lock())(error).to_string());
        }
    }
    if someone_syncs(&settings.data_dir) {
        return (
            "stepped_aside",
            "a window or `watch` is syncing this profile".into(),
        );
    }
    let config = settings.sync_config();
    if config.power.is_low() {
        return (
            "battery_low",
            "skipped: the battery is low (a sync you ask for still runs)".into(),
        );
    }
    if matches!(settings.connection, Connection::Local) {
        return (
            "up_to_date",
            "this computer only: there is nothing to send".into(),
        );
    }
    let session = match Session::open(settings).await {
        Ok(session) => session,
        Err(error) => return ("failed", error.to_string()),
    };
    let repository = session.repository.clone();
    let network = {
        let repository = repository.clone();
        tokio::spawn(async move { profile_client::network::watch(&repository).await })
    };
    let outcome = send_until_done(&session, &config, bound).await;
    network.abort();
    outcome
}

async fn send_until_done(
    session: &Session,
    config: &profile_client::SyncConfig,
    bound: Duration,
) -> (&'static str, String) {
    use profile_client::SyncOutcome;
    use profile_client::sync::Pace;
    let repository = &session.repository;
    let data_dir = &session.settings.data_dir;
    let deadline = Instant::now() + bound;
    let pending = || async {
        repository
            .cached()
            .await
            .ok()
            .flatten()
            .is_some_and(|p| !p.synchronized)
    };
    let was_pending = pending().await;
    let mut failures = 0;
    let mut since = None;
    let stop = crate::cli::stop_requested();
    tokio::pin!(stop);
    loop {
        if someone_syncs(data_dir) {
            return (
                "stepped_aside",
                "a window or `watch` started syncing this profile".into(),
            );
        }
        let attempt_started = Instant::now();
        let attempt = tokio::select! {
            attempt = repository.sync() => attempt,
            () = &mut stop => return ("stopped", "stopped before it was done; the change waits for the next run".into()),
        };
        let error = match attempt {
            Ok(SyncOutcome::Synced) if !pending().await => {
                return if was_pending {
                    ("sent", "the change reached the server".into())
                } else {
                    ("up_to_date", "the profile is up to date".into())
                };
            }
            Ok(SyncOutcome::Synced | SyncOutcome::Pending) => continue,
            Ok(SyncOutcome::Conflict) => {
                return (
                    "conflict",
                    "the profile was changed here and on the server; open the window (or run \
                     `offline-profile resolve`) to choose"
                        .into(),
                );
            }
            Ok(SyncOutcome::Empty) => return ("up_to_date", "there is no profile yet".into()),
            Ok(SyncOutcome::Held) => {
                return (
                    "held",
                    "the edit's photo waits for an unmetered network (`offline-profile sync` \
                     sends it now)"
                        .into(),
                );
            }
            Err(error) => error,
        };
        if error.is_signed_out() {
            return (
                "signed_out",
                format!("the server refused this computer: {error}"),
            );
        }
        if !pending().await {
            return (
                "unreachable",
                format!("nothing to send, and the server did not answer ({error})"),
            );
        }
        failures += 1;
        let since = *since.get_or_insert(attempt_started);
        let pace = if error.is_offline() {
            Pace::Waiting
        } else {
            Pace::Refused
        };
        let delay = config.backoff(failures, since.elapsed(), pace, error.retry_after());
        if Instant::now() + delay > deadline {
            return (
                "not_sent",
                format!(
                    "the change is kept here and waits for the next run: {}",
                    crate::words::failure(&repository.failure(&error))
                ),
            );
        }
        tracing::debug!(%error, delay_ms = delay.as_millis() as u64, "background: retrying");
        let wait_until = Instant::now() + delay;
        // Waits out the delay, a network coming up, a stop, or a window opening.
        loop {
            let step = wait_until
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(1));
            if step.is_zero() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(step) => {}
                () = repository.network_came_up() => { failures = 0; break; }
                () = &mut stop => return ("stopped", "stopped before it was done; the change waits for the next run".into()),
            }
            if someone_syncs(data_dir) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_words_are_quoted_and_escaped() {
        assert_eq!(systemd_quote("a b").unwrap(), r#""a b""#);
        assert_eq!(systemd_quote(r#"1"2\3"#).unwrap(), r#""1\"2\\3""#);
        assert_eq!(systemd_quote("50%$HOME").unwrap(), r#""50%%$$HOME""#);
        assert!(systemd_quote("a\nb").is_err());
        assert!(systemd_path("C:\\").is_err());
    }

    #[test]
    fn windows_arguments_read_back_as_they_were() {
        assert_eq!(windows_quote("plain"), "plain");
        assert_eq!(windows_quote("two words"), r#""two words""#);
        assert_eq!(windows_quote(r"C:\a b\"), r#""C:\a b\\""#);
        assert_eq!(windows_quote(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(windows_quote(""), r#""""#);
    }

    #[test]
    fn desktop_arguments_quote_reserved_characters() {
        assert_eq!(desktop_quote("/usr/bin/app").unwrap(), "/usr/bin/app");
        assert_eq!(desktop_quote("/a b").unwrap(), r#""/a b""#);
        assert_eq!(desktop_quote("100%").unwrap(), "100%%");
        // `$` escaped in the quotes, then the backslash escaped as a string.
        assert_eq!(desktop_quote("$x").unwrap(), r#""\\$x""#);
    }

    #[test]
    fn one_job_per_data_folder() {
        assert_ne!(job_name(Path::new("/a")), job_name(Path::new("/b")));
        assert_eq!(job_name(Path::new("/a")), job_name(Path::new("/a")));
        assert!(job_name(Path::new("/a")).starts_with("offline-profile-sync-"));
    }
}
