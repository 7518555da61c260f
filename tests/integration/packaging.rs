//! The packages' files (`packaging/`): the man pages and shell completions are the ones the clap
//! definitions generate now, and the desktop entry, AppStream metadata, icons, unit and changelogs
//! agree with each other and with the code. (`.ci/packages` builds, lints, installs and runs the
//! packages themselves.)

use clap::CommandFactory;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn packaging() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("packaging")
}

/// Every man page of `command` (its subcommands' too, as `NAME-SUB.1`), by file name.
fn man_pages(command: clap::Command) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(command, out.path()).unwrap();
    read_folder(out.path())
}

fn read_folder(folder: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// Bash, zsh and fish completions, by the file name each shell's package folder expects.
fn completions(mut command: clap::Command, name: &str) -> BTreeMap<String, Vec<u8>> {
    use clap_complete::Shell;
    [
        (Shell::Bash, name.to_owned()),
        (Shell::Zsh, format!("_{name}")),
        (Shell::Fish, format!("{name}.fish")),
    ]
    .into_iter()
    .map(|(shell, file)| {
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut command, name, &mut text);
        (file, text)
    })
    .collect()
}

/// The committed `folder` holds exactly `generated`; `OFFLINE_PROFILE_UPDATE_GOLDEN=1` rewrites it.
fn same_as_committed(folder: &Path, generated: &BTreeMap<String, Vec<u8>>) {
    if std::env::var_os("OFFLINE_PROFILE_UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(folder);
        std::fs::create_dir_all(folder).unwrap();
        for (name, contents) in generated {
            std::fs::write(folder.join(name), contents).unwrap();
        }
    }
    let committed = read_folder(folder);
    let names = |files: &BTreeMap<String, Vec<u8>>| files.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(generated),
        "{}: the files differ from what the clap definitions generate \
         (OFFLINE_PROFILE_UPDATE_GOLDEN=1 rewrites them; look at the diff before committing)",
        folder.display()
    );
    for (name, contents) in generated {
        assert!(
            committed[name] == *contents,
            "{}/{name} is not what the clap definitions generate now \
             (OFFLINE_PROFILE_UPDATE_GOLDEN=1 rewrites it; look at the diff before committing)",
            folder.display()
        );
    }
}

#[test]
fn the_man_pages_and_completions_are_what_the_command_lines_generate() {
    let app = offline_profile::cli::Cli::command();
    let server = profile_server::cli::command();
    let app_pages = man_pages(app.clone());
    // One page per command: `man offline-profile-set` as well as the overview.
    for page in [
        "offline-profile.1",
        "offline-profile-set.1",
        "offline-profile-sync.1",
    ] {
        assert!(
            app_pages.contains_key(page),
            "{page}: {:?}",
            app_pages.keys()
        );
    }
    let overview = String::from_utf8_lossy(&app_pages["offline-profile.1"]).into_owned();
    assert!(overview.contains("\\-\\-data\\-dir"), "{overview}");
    same_as_committed(&packaging().join("app/man"), &app_pages);
    same_as_committed(
        &packaging().join("app/completions"),
        &completions(app, "offline-profile"),
    );
    let server_pages = man_pages(server);
    assert!(server_pages.contains_key("profile-server-backup.1"));
    let overview = String::from_utf8_lossy(&server_pages["profile-server.1"]).into_owned();
    assert!(overview.contains("PROFILE_SERVER_DB"), "{overview}");
    same_as_committed(&packaging().join("server/man"), &server_pages);
}

/// `key=value` lines of a desktop entry's main group.
fn desktop_entry(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

#[test]
fn the_desktop_entry_metadata_and_icons_name_the_window_s_app_id() {
    let id = offline_profile::APP_ID;
    let app = packaging().join("app");
    let entry = desktop_entry(&app.join(format!("{id}.desktop")));
    assert_eq!(entry["StartupWMClass"], id, "the window's class");
    assert_eq!(entry["Icon"], id);
    assert_eq!(entry["Exec"], "offline-profile");
    let metainfo = std::fs::read_to_string(app.join(format!("{id}.metainfo.xml"))).unwrap();
    assert!(metainfo.contains(&format!("<id>{id}</id>")));
    assert!(metainfo.contains(&format!(
        "<launchable type=\"desktop-id\">{id}.desktop</launchable>"
    )));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        metainfo.contains(&format!("<release version=\"{version}\"")),
        "the metainfo's newest release is this version ({version})"
    );
    for changelog in ["app/changelog", "server/changelog"] {
        let first = std::fs::read_to_string(packaging().join(changelog)).unwrap();
        assert!(
            first
                .lines()
                .next()
                .unwrap()
                .contains(&format!("({version}-")),
            "{changelog} starts with this version ({version})"
        );
    }
    for size in [64, 128, 256] {
        let icon = image::open(app.join(format!("icons/{size}.png"))).unwrap();
        assert_eq!((icon.width(), icon.height()), (size, size), "{size}.png");
    }
}

#[test]
fn the_service_reads_the_packaged_settings_file_and_admin_commands_read_the_same() {
    let server = packaging().join("server");
    let unit = std::fs::read_to_string(server.join("units/profile-server.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .unwrap();
    let argv: Vec<std::ffi::OsString> = exec.split(' ').map(Into::into).collect();
    assert_eq!(argv[0], "/usr/bin/profile-server");
    // The packaged file, where the unit names /etc/profile-server/profile-server.env.
    let packaged = server.join("profile-server.env");
    let at = |argv: &[std::ffi::OsString]| -> Vec<std::ffi::OsString> {
        argv.iter()
            .map(|word| {
                if word == "/etc/profile-server/profile-server.env" {
                    packaged.clone().into_os_string()
                } else {
                    word.clone()
                }
            })
            .collect()
    };
    let service = profile_server::cli::parse_from(at(&argv)).unwrap().args;
    assert_eq!(service.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(
        service.db, "/var/lib/profile-server/profile-server.sqlite3",
        "the store lives in the unit's StateDirectory"
    );
    assert!(unit.contains("StateDirectory=profile-server\n"));
    let mut admin = at(&argv);
    admin.extend(["user".into(), "list".into()]);
    let admin = profile_server::cli::parse_from(admin).unwrap().args;
    assert_eq!(
        admin.db, service.db,
        "an admin command reaches the same store"
    );
}
