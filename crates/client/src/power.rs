//! Whether the computer runs on a low battery, read from Linux's `/sys/class/power_supply` or
//! Windows' `GetSystemPowerStatus`, so periodic syncs can be skipped as the guide advises. Syncs
//! the user asks for always run. One rule on both: no external power, a battery discharging
//! below 20 %.

use std::path::{Path, PathBuf};

/// Below this charge (in percent) a discharging battery counts as low.
pub const LOW_BATTERY_PERCENT: u8 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerSupply {
    source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A folder laid out like `/sys/class/power_supply`.
    Sysfs(PathBuf),
    /// `GetSystemPowerStatus`.
    #[cfg(windows)]
    Windows,
}

impl Default for PowerSupply {
    fn default() -> Self {
        #[cfg(windows)]
        return Self {
            source: Source::Windows,
        };
        #[cfg(not(windows))]
        Self::at("/sys/class/power_supply")
    }
}

/// The rule for what Windows reports: on battery (the AC line offline), a battery present and
/// not charging, below 20 %. Anything Windows calls unknown is not low.
#[cfg(windows)]
pub fn windows_is_low(status: &crate::windows::PowerStatus) -> bool {
    status.on_mains == Some(false)
        && status.has_battery
        && !status.charging
        && status
            .battery_percent
            .is_some_and(|percent| percent < LOW_BATTERY_PERCENT)
}

impl PowerSupply {
    /// Reads supplies from `root` (a folder laid out like `/sys/class/power_supply`).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self {
            source: Source::Sysfs(root.into()),
        }
    }

    /// `true` when no external power is connected and a battery is discharging below 20 %.
    /// Where the system reports nothing (desktops, other platforms), the answer is `false`.
    pub fn is_low(&self) -> bool {
        match &self.source {
            Source::Sysfs(root) => sysfs_is_low(root),
            #[cfg(windows)]
            Source::Windows => {
                crate::windows::power_status().is_some_and(|status| windows_is_low(&status))
            }
        }
    }
}

fn sysfs_is_low(root: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(root) else {
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

    #[cfg(windows)]
    #[test]
    fn on_windows_a_discharging_battery_below_20_percent_without_mains_is_low() {
        use crate::windows::PowerStatus;
        // ACLineStatus, BatteryFlag (1 high, 2 low, 8 charging, 128 none), percent.
        assert!(windows_is_low(&PowerStatus::from_raw(0, 2, 19)));
        assert!(!windows_is_low(&PowerStatus::from_raw(0, 1, 20)));
        assert!(
            !windows_is_low(&PowerStatus::from_raw(1, 2, 5)),
            "plugged in"
        );
        assert!(
            !windows_is_low(&PowerStatus::from_raw(0, 8 | 2, 5)),
            "charging"
        );
        assert!(
            !windows_is_low(&PowerStatus::from_raw(0, 128, 255)),
            "no battery"
        );
        assert!(
            !windows_is_low(&PowerStatus::from_raw(255, 255, 255)),
            "unknown"
        );
        // What this computer says (under wine: mains, so not low) is read without failing.
        let _ = PowerSupply::default().is_low();
    }

    #[test]
    fn no_power_supply_information_is_not_low() {
        assert!(!PowerSupply::at("/nonexistent/power_supply").is_low());
        let root = tempfile::tempdir().unwrap();
        assert!(!PowerSupply::at(root.path()).is_low());
    }
}
