//! Whether the computer runs on a low battery, read from Linux's `/sys/class/power_supply`, so
//! periodic syncs can be skipped as the guide advises. Syncs the user asks for always run.

use std::path::{Path, PathBuf};

/// Below this charge (in percent) a discharging battery counts as low.
pub const LOW_BATTERY_PERCENT: u8 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerSupply {
    root: PathBuf,
}

impl Default for PowerSupply {
    fn default() -> Self {
        Self::at("/sys/class/power_supply")
    }
}

impl PowerSupply {
    /// Reads supplies from `root` (a folder laid out like `/sys/class/power_supply`).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `true` when no external power is connected and a battery is discharging below 20 %.
    /// Where the system reports nothing (desktops, other platforms), the answer is `false`.
    pub fn is_low(&self) -> bool {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return false;
        };
        let mut low = false;
        for entry in entries.flatten() {
            let path = entry.path();
            match read(&path, "type").as_deref() {
                Some("Mains" | "USB" | "USB_C" | "USB_PD")
                    if read(&path, "online").as_deref() == Some("1") =>
                {
                    return false;
                }
                Some("Battery") => {
                    let discharging = read(&path, "status").as_deref() == Some("Discharging");
                    let capacity = read(&path, "capacity").and_then(|c| c.parse::<u8>().ok());
                    if discharging && capacity.is_some_and(|c| c < LOW_BATTERY_PERCENT) {
                        low = true;
                    }
                }
                _ => {}
            }
        }
        low
    }
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name))
        .ok()
        .map(|text| text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supply(root: &Path, name: &str, files: &[(&str, &str)]) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (file, value) in files {
            std::fs::write(dir.join(file), format!("{value}\n")).unwrap();
        }
    }

    fn battery(root: &Path, status: &str, capacity: &str) {
        supply(
            root,
            "BAT0",
            &[
                ("type", "Battery"),
                ("status", status),
                ("capacity", capacity),
            ],
        );
    }

    #[test]
    fn a_discharging_battery_below_20_percent_is_low() {
        let root = tempfile::tempdir().unwrap();
        battery(root.path(), "Discharging", "19");
        supply(root.path(), "AC", &[("type", "Mains"), ("online", "0")]);
        assert!(PowerSupply::at(root.path()).is_low());
    }

    #[test]
    fn charging_or_plugged_in_or_enough_charge_is_not_low() {
        let root = tempfile::tempdir().unwrap();
        battery(root.path(), "Discharging", "20");
        assert!(!PowerSupply::at(root.path()).is_low());

        battery(root.path(), "Charging", "5");
        assert!(!PowerSupply::at(root.path()).is_low());

        battery(root.path(), "Discharging", "5");
        supply(root.path(), "AC", &[("type", "Mains"), ("online", "1")]);
        assert!(!PowerSupply::at(root.path()).is_low());
    }

    #[test]
    fn no_power_supply_information_is_not_low() {
        assert!(!PowerSupply::at("/nonexistent/power_supply").is_low());
        let root = tempfile::tempdir().unwrap();
        assert!(!PowerSupply::at(root.path()).is_low());
    }
}
