//! What only Windows offers, behind safe functions: the power state (`GetSystemPowerStatus`),
//! network changes (`NotifyIpInterfaceChange`), a file readable by its owner only (a protected
//! DACL with one entry, the user's), and the console of the program that started us
//! (`AttachConsole`), for a GUI-subsystem program that also has a command line.
//!
//! The only module with `unsafe` code; each call says why it is sound.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_SUCCESS, HANDLE, INVALID_HANDLE_VALUE, LocalFree, NO_ERROR,
};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    CancelMibChangeNotify2, MIB_IPINTERFACE_ROW, MIB_NOTIFICATION_TYPE, MibAddInstance,
    MibParameterNotification, NotifyIpInterfaceChange,
};
use windows_sys::Win32::Networking::WinSock::AF_UNSPEC;
use windows_sys::Win32::Security::Authorization::{
    EXPLICIT_ACCESS_W, GetNamedSecurityInfoW, NO_MULTIPLE_TRUSTEE, SE_FILE_OBJECT, SET_ACCESS,
    SetEntriesInAclW, SetNamedSecurityInfoW, TRUSTEE_IS_SID, TRUSTEE_IS_USER, TRUSTEE_W,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACL, ACL_SIZE_INFORMATION, AclSizeInformation, DACL_SECURITY_INFORMATION,
    EqualSid, GetAce, GetAclInformation, GetTokenInformation, NO_INHERITANCE,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, TOKEN_QUERY, TOKEN_USER, TokenUser,
};
use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
use windows_sys::Win32::System::Console::{
    ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
use windows_sys::Win32::System::Power::{GetSystemPowerStatus, SYSTEM_POWER_STATUS};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The power state as Windows reports it; `None` where it says "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerStatus {
    pub on_mains: Option<bool>,
    pub battery_percent: Option<u8>,
    pub charging: bool,
    pub has_battery: bool,
}

impl PowerStatus {
    /// Reads `SYSTEM_POWER_STATUS`'s fields as its documentation defines them.
    pub fn from_raw(ac_line: u8, battery_flag: u8, percent: u8) -> Self {
        const CHARGING: u8 = 8;
        const NO_BATTERY: u8 = 128;
        const UNKNOWN: u8 = 255;
        Self {
            on_mains: match ac_line {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            },
            battery_percent: (percent <= 100).then_some(percent),
            charging: battery_flag != UNKNOWN && battery_flag & CHARGING != 0,
            has_battery: battery_flag != UNKNOWN && battery_flag & NO_BATTERY == 0,
        }
    }
}

/// The computer's power state, or `None` when Windows cannot say.
pub fn power_status() -> Option<PowerStatus> {
    let mut status = SYSTEM_POWER_STATUS {
        ACLineStatus: 255,
        BatteryFlag: 255,
        BatteryLifePercent: 255,
        SystemStatusFlag: 0,
        BatteryLifeTime: u32::MAX,
        BatteryFullLifeTime: u32::MAX,
    };
    // SAFETY: `status` is a valid, writable SYSTEM_POWER_STATUS for the call's duration.
    let ok = unsafe { GetSystemPowerStatus(&mut status) };
    (ok != 0).then(|| {
        PowerStatus::from_raw(
            status.ACLineStatus,
            status.BatteryFlag,
            status.BatteryLifePercent,
        )
    })
}

/// A registration for network interface changes; dropping it ends the calls.
pub struct InterfaceWatch {
    handle: HANDLE,
    callback: *mut Callback,
}

// The handle is only used to cancel; the callback it owns is `Send + Sync`.
unsafe impl Send for InterfaceWatch {}

type Callback = Box<dyn Fn() + Send + Sync>;

/// Calls `on_change` (on a thread of the system's) whenever an IP interface is added or one's
/// parameters change (connected, addresses): a network that may have come up.
pub fn watch_interfaces(
    on_change: impl Fn() + Send + Sync + 'static,
) -> io::Result<InterfaceWatch> {
    let callback: *mut Callback = Box::into_raw(Box::new(Box::new(on_change)));
    let mut handle: HANDLE = std::ptr::null_mut();
    // SAFETY: the context pointer stays valid until the registration is cancelled (in Drop,
    // which frees it only after CancelMibChangeNotify2 returned: no call is then running or
    // will start); `handle` is a valid place for the handle.
    let result = unsafe {
        NotifyIpInterfaceChange(
            AF_UNSPEC,
            Some(interface_changed),
            callback.cast::<c_void>().cast_const(),
            false,
            &mut handle,
        )
    };
    if result != NO_ERROR {
        // SAFETY: not registered, so nothing else refers to the box.
        drop(unsafe { Box::from_raw(callback) });
        return Err(io::Error::from_raw_os_error(result as i32));
    }
    Ok(InterfaceWatch { handle, callback })
}

impl Drop for InterfaceWatch {
    fn drop(&mut self) {
        // SAFETY: `handle` came from NotifyIpInterfaceChange and is cancelled once; after the
        // cancel returns the system makes no more calls, so the box can be freed.
        unsafe {
            CancelMibChangeNotify2(self.handle);
            drop(Box::from_raw(self.callback));
        }
    }
}

/// What the system calls. Public so that tests can make the call the system makes.
///
/// # Safety
/// `context` is the pointer [`watch_interfaces`] registered (or one made the same way).
pub unsafe extern "system" fn interface_changed(
    context: *const c_void,
    _row: *const MIB_IPINTERFACE_ROW,
    kind: MIB_NOTIFICATION_TYPE,
) {
    if kind == MibAddInstance || kind == MibParameterNotification {
        // SAFETY: per this function's contract, `context` points at a live Callback.
        let callback = unsafe { &*context.cast::<Callback>() };
        callback();
    }
}

/// Makes `on_change` into the context [`interface_changed`] expects; for tests, which free it
/// with [`free_context`].
pub fn context_for(on_change: impl Fn() + Send + Sync + 'static) -> *const c_void {
    let callback: *mut Callback = Box::into_raw(Box::new(Box::new(on_change)));
    callback.cast::<c_void>().cast_const()
}

/// Frees a context made by [`context_for`].
///
/// # Safety
/// `context` came from [`context_for`] and is not used again.
pub unsafe fn free_context(context: *const c_void) {
    // SAFETY: per the contract, it is the box `context_for` leaked.
    drop(unsafe { Box::from_raw(context.cast::<Callback>().cast_mut()) });
}

/// The notification kinds, for tests.
pub mod notification {
    pub use windows_sys::Win32::NetworkManagement::IpHelper::{
        MibAddInstance as ADDED, MibDeleteInstance as DELETED, MibInitialNotification as INITIAL,
        MibParameterNotification as CHANGED,
    };
}

/// The signed-in user's SID, in the buffer GetTokenInformation filled (a TOKEN_USER).
struct UserSid {
    buffer: Vec<u64>,
}

impl UserSid {
    fn current() -> io::Result<Self> {
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` is a valid out pointer.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut needed = 0u32;
        // SAFETY: a size query: no buffer, `needed` receives the size.
        unsafe { GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &mut needed) };
        // u64s: the buffer is aligned for TOKEN_USER.
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8).max(1)];
        // SAFETY: `buffer` has at least `needed` writable bytes.
        let ok = unsafe {
            GetTokenInformation(
                token,
                TokenUser,
                buffer.as_mut_ptr().cast(),
                (buffer.len() * 8) as u32,
                &mut needed,
            )
        };
        let error = io::Error::last_os_error();
        // SAFETY: `token` is the handle OpenProcessToken opened, closed once.
        unsafe { CloseHandle(token) };
        if ok == 0 {
            return Err(error);
        }
        Ok(Self { buffer })
    }

    fn sid(&self) -> *mut c_void {
        // SAFETY: the buffer holds a TOKEN_USER, whose Sid points into the same buffer.
        unsafe { (*self.buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }
}

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// Gives `path` a protected DACL with one entry: full access for the signed-in user. Nobody
/// else (other users, administrators through the ACL) may read it, and the folder's inherited
/// entries no longer apply.
pub fn restrict_to_owner(path: &Path) -> io::Result<()> {
    let user = UserSid::current()?;
    let access = EXPLICIT_ACCESS_W {
        grfAccessPermissions: FILE_ALL_ACCESS,
        grfAccessMode: SET_ACCESS,
        grfInheritance: NO_INHERITANCE,
        Trustee: TRUSTEE_W {
            pMultipleTrustee: std::ptr::null_mut(),
            MultipleTrusteeOperation: NO_MULTIPLE_TRUSTEE,
            TrusteeForm: TRUSTEE_IS_SID,
            TrusteeType: TRUSTEE_IS_USER,
            ptstrName: user.sid().cast(),
        },
    };
    let mut acl: *mut ACL = std::ptr::null_mut();
    // SAFETY: one valid EXPLICIT_ACCESS_W whose SID outlives the call; `acl` receives a
    // LocalAlloc'ed ACL, freed below.
    let made = unsafe { SetEntriesInAclW(1, &access, std::ptr::null(), &mut acl) };
    if made != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(made as i32));
    }
    let name = wide(path);
    // SAFETY: `name` is NUL-terminated, `acl` a valid ACL; owner and group are left alone.
    let set = unsafe {
        SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl,
            std::ptr::null(),
        )
    };
    // SAFETY: `acl` was allocated by SetEntriesInAclW with LocalAlloc.
    unsafe { LocalFree(acl.cast()) };
    if set != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(set as i32));
    }
    Ok(())
}

/// One entry of a file's DACL: its type (0 allows, 1 denies, …) and whether it names the
/// signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclEntry {
    pub kind: u8,
    pub users: bool,
}

/// Whether `path`'s DACL lets the signed-in user in and nobody else: it has entries, and each
/// allows the user.
pub fn only_owner_may_access(path: &Path) -> io::Result<bool> {
    let entries = acl_entries(path)?;
    Ok(entries.as_ref().is_some_and(|entries| {
        !entries.is_empty() && entries.iter().all(|e| e.kind == 0 && e.users)
    }))
}

/// The entries of `path`'s DACL; `None` for a null DACL (which lets everyone in).
pub fn acl_entries(path: &Path) -> io::Result<Option<Vec<AclEntry>>> {
    let user = UserSid::current()?;
    let name = wide(path);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `name` is NUL-terminated; the out pointers are valid; the descriptor is freed
    // below and `dacl` points into it.
    let got = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if got != ERROR_SUCCESS {
        return Err(io::Error::from_raw_os_error(got as i32));
    }
    let entries = (|| {
        if dacl.is_null() {
            return Ok(None);
        }
        let mut size = ACL_SIZE_INFORMATION {
            AceCount: 0,
            AclBytesInUse: 0,
            AclBytesFree: 0,
        };
        // SAFETY: `dacl` is the descriptor's valid ACL; `size` is writable and its size given.
        let ok = unsafe {
            GetAclInformation(
                dacl,
                (&mut size as *mut ACL_SIZE_INFORMATION).cast(),
                std::mem::size_of::<ACL_SIZE_INFORMATION>() as u32,
                AclSizeInformation,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut entries = Vec::new();
        for index in 0..size.AceCount {
            let mut ace: *mut c_void = std::ptr::null_mut();
            // SAFETY: `index` is below the ACL's entry count.
            if unsafe { GetAce(dacl, index, &mut ace) } == 0 {
                return Err(io::Error::last_os_error());
            }
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            // SAFETY: every ACE starts with its header; allow and deny entries (the same
            // layout) carry their SID after the mask.
            let (kind, users) = unsafe {
                let kind = (*ace).Header.AceType;
                let sid = (&raw const (*ace).SidStart).cast_mut().cast();
                (kind, kind <= 1 && EqualSid(sid, user.sid()) != 0)
            };
            entries.push(AclEntry { kind, users });
        }
        Ok(Some(entries))
    })();
    // SAFETY: the descriptor GetNamedSecurityInfoW allocated, freed once.
    unsafe { LocalFree(descriptor) };
    entries
}

/// Whether this is wine rather than Windows (its ntdll exports `wine_get_version`, the check
/// wine's developers recommend). Tests use it for what wine does not do: wine 8 keeps no file
/// ACLs (it maps them onto Unix modes as best it can).
pub fn under_wine() -> bool {
    let ntdll: Vec<u16> = "ntdll.dll".encode_utf16().chain(Some(0)).collect();
    // SAFETY: NUL-terminated names; ntdll is loaded in every process, and the module handle
    // is not freed (GetModuleHandleW takes no reference).
    unsafe {
        let module = GetModuleHandleW(ntdll.as_ptr());
        !module.is_null() && GetProcAddress(module, c"wine_get_version".as_ptr().cast()).is_some()
    }
}

/// For a program built for the GUI subsystem: when started from a console without its output
/// redirected, writes its standard output and error to that console (Rust's standard streams
/// look the handles up at each write). Started from Explorer there is no such console, and
/// output that was redirected (to a file, a pipe) stays where it goes.
pub fn attach_parent_console() {
    let unset = |which| {
        // SAFETY: GetStdHandle has no preconditions.
        let handle = unsafe { GetStdHandle(which) };
        handle.is_null() || handle == INVALID_HANDLE_VALUE
    };
    if unset(STD_OUTPUT_HANDLE) && unset(STD_ERROR_HANDLE) {
        // SAFETY: no preconditions; fails harmlessly without a parent console.
        unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_power_status_reads_as_documented() {
        let plugged = PowerStatus::from_raw(1, 8, 50);
        assert_eq!(plugged.on_mains, Some(true));
        assert!(plugged.charging && plugged.has_battery);
        let desktop = PowerStatus::from_raw(1, 128, 255);
        assert!(!desktop.has_battery);
        assert_eq!(desktop.battery_percent, None);
        let unknown = PowerStatus::from_raw(255, 255, 255);
        assert_eq!(unknown.on_mains, None);
        assert!(!unknown.has_battery && !unknown.charging);
        // The system answers (wine reports a computer on mains).
        assert!(power_status().is_some());
    }

    #[test]
    fn an_added_or_changed_interface_calls_back_and_a_removed_one_does_not() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let context = context_for(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        for (kind, expected) in [
            (notification::INITIAL, 0),
            (notification::DELETED, 0),
            (notification::ADDED, 1),
            (notification::CHANGED, 2),
        ] {
            // SAFETY: the context was made by context_for and is alive.
            unsafe { interface_changed(context, std::ptr::null(), kind) };
            assert_eq!(calls.load(Ordering::SeqCst), expected, "after {kind}");
        }
        // SAFETY: made by context_for, not used again.
        unsafe { free_context(context) };
        // The system takes the registration and its cancel.
        let watch = watch_interfaces(|| {}).expect("NotifyIpInterfaceChange registers");
        drop(watch);
    }

    #[test]
    fn a_restricted_file_lets_in_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token file with a space and â");
        std::fs::write(&path, "secret").unwrap();
        let before = acl_entries(&path).unwrap();
        restrict_to_owner(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret");
        // Run by CI under wine (which sets WINEPREFIX): the check below must not be skipped
        // on Windows itself, nor wine go unrecognised.
        assert_eq!(under_wine(), std::env::var_os("WINEPREFIX").is_some());
        if under_wine() {
            eprintln!(
                "\n*** NOT CHECKED under wine: the file's ACL (wine 8 keeps none; it reports \
                 {:?}) ***\n",
                acl_entries(&path).unwrap()
            );
            return;
        }
        assert!(
            only_owner_may_access(&path).unwrap(),
            "entries before: {before:?}, after: {:?}",
            acl_entries(&path).unwrap()
        );
    }
}
