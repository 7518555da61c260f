use std::path::Path;

fn main() {
    // sqlx::migrate! embeds the migrations; rebuild when they change.
    println!("cargo:rerun-if-changed=migrations");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        windows_resources();
    }
}

/// The Windows resources of offline-profile.exe: its icon (Explorer, the Start menu, the task
/// bar) and its version information (the file's Properties, Task Manager), from Cargo's
/// version so they cannot drift.
fn windows_resources() {
    // Read when the script runs, not when it was built: one build folder serves every clone
    // (a script built for another checkout would name that checkout's icon).
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let icon = Path::new(&manifest_dir).join("assets/windows/offline-profile.ico");
    println!("cargo:rerun-if-changed={}", icon.display());
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let numbers: Vec<u16> = version
        .split(['.', '-', '+'])
        .take(3)
        .map(|part| part.parse().unwrap_or(0))
        .collect();
    let numbers = format!(
        "{},{},{},0",
        numbers.first().unwrap_or(&0),
        numbers.get(1).unwrap_or(&0),
        numbers.get(2).unwrap_or(&0)
    );
    let icon = icon.display().to_string().replace('\\', "/");
    let rc = format!(
        r#"1 ICON "{icon}"
1 VERSIONINFO
FILEVERSION {numbers}
PRODUCTVERSION {numbers}
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "The offline-profile developers"
      VALUE "FileDescription", "Profile"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "offline-profile"
      VALUE "OriginalFilename", "offline-profile.exe"
      VALUE "ProductName", "offline-profile"
      VALUE "ProductVersion", "{version}"
      VALUE "LegalCopyright", "MIT OR Apache-2.0"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#
    );
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("app.rc");
    std::fs::write(&out, rc).expect("the resource script is written");
    embed_resource::compile_for(&out, ["offline-profile"], embed_resource::NONE)
        .manifest_optional()
        .expect("the Windows resources compile (mingw's windres, or rc.exe with MSVC)");
}
