//! What only Windows offers, behind safe functions: the power state (`GetSystemPowerStatus`),
//! network changes, a file readable by its owner only (a protected
//! DACL with one entry, the user's), and the console of the program that started us
//! (`AttachConsole`), for a GUI-subsystem program that also has a command line.
//!
//! Network changes: `NotifyIpInterfaceChange` and `NotifyUnicastIpAddressChange`, filtered to
//! what may have brought a network up ([`UpChanges`]). The connection's cost (metered or not):
//! the Network List Manager's `INetworkCostManager::GetCost`, a COM call made through its
//! vtable (windows-sys declares no COM interfaces).
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
    CancelMibChangeNotify2, GetIpInterfaceEntry, MIB_IPINTERFACE_ROW, MIB_NOTIFICATION_TYPE,
    MIB_UNICASTIPADDRESS_ROW, MibAddInstance, MibParameterNotification, NotifyIpInterfaceChange,
    NotifyUnicastIpAddressChange,
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
use windows_sys::Win32::System::Com::{
    CLSCTX_ALL, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows_sys::Win32::System::Console::{
    ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE,
    STD_OUTPUT_HANDLE, SetStdHandle,
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

/// What Windows said about the network, as far as it matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChange {
    /// An interface was added or changed; `connected` is its state read afterwards.
    Interface {
        luid: u64,
        family: u16,
        connected: bool,
    },
    /// A unicast address was added (DHCP's answer, say).
    AddressAdded,
}

/// Picks, from what Windows reports, the changes that may have brought a network up: an
/// address added, or an interface (of one address family) turning connected. Windows also
/// reports every parameter change — a metric, the MTU, each family of every virtual adapter —
/// and each would otherwise restart the event stream and a sync in progress.
#[derive(Debug, Default)]
pub struct UpChanges {
    connected: std::sync::Mutex<std::collections::HashMap<(u64, u16), bool>>,
}

impl UpChanges {
    pub fn may_be_up(&self, change: NetworkChange) -> bool {
        match change {
            NetworkChange::AddressAdded => true,
            NetworkChange::Interface {
                luid,
                family,
                connected,
            } => {
                let mut states = self.connected.lock().unwrap_or_else(|e| e.into_inner());
                let before = states.insert((luid, family), connected);
                connected && before != Some(true)
            }
        }
    }
}

/// The context both registrations share.
pub struct Watcher {
    changes: UpChanges,
    on_up: Box<dyn Fn() + Send + Sync>,
}

impl Watcher {
    pub fn new(on_up: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            changes: UpChanges::default(),
            on_up: Box::new(on_up),
        }
    }

    fn changed(&self, change: NetworkChange) {
        if self.changes.may_be_up(change) {
            (self.on_up)();
        }
    }
}

/// Registrations for interface and address changes; dropping it ends the calls.
pub struct InterfaceWatch {
    handles: Vec<HANDLE>,
    watcher: *mut Watcher,
}

// The handles are only used to cancel; the watcher they share is `Send + Sync`.
unsafe impl Send for InterfaceWatch {}

/// Calls `on_up` (on a thread of the system's) when a network may have come up: an interface
/// turned connected, or an address was added.
pub fn watch_interfaces(on_up: impl Fn() + Send + Sync + 'static) -> io::Result<InterfaceWatch> {
    let mut watch = InterfaceWatch {
        handles: Vec::new(),
        watcher: Box::into_raw(Box::new(Watcher::new(on_up))),
    };
    let context = watch.watcher.cast::<c_void>().cast_const();
    let mut handle: HANDLE = std::ptr::null_mut();
    // SAFETY (both registrations): the context stays valid until both are cancelled (in Drop,
    // which frees it only after CancelMibChangeNotify2 returned for each: no call is then
    // running or will start); `handle` is a valid place for the handle. A failure drops
    // `watch`, which cancels what was registered.
    let result = unsafe {
        NotifyIpInterfaceChange(
            AF_UNSPEC,
            Some(interface_changed),
            context,
            false,
            &mut handle,
        )
    };
    if result != NO_ERROR {
        return Err(io::Error::from_raw_os_error(result as i32));
    }
    watch.handles.push(handle);
    // SAFETY: as above.
    let result = unsafe {
        NotifyUnicastIpAddressChange(
            AF_UNSPEC,
            Some(address_changed),
            context,
            false,
            &mut handle,
        )
    };
    if result != NO_ERROR {
        return Err(io::Error::from_raw_os_error(result as i32));
    }
    watch.handles.push(handle);
    Ok(watch)
}

impl Drop for InterfaceWatch {
    fn drop(&mut self) {
        let mut cancelled = true;
        for handle in &self.handles {
            // SAFETY: each handle came from a registration and is cancelled once; the cancel
            // waits for a call in progress.
            cancelled &= unsafe { CancelMibChangeNotify2(*handle) } == NO_ERROR;
        }
        if cancelled {
            // SAFETY: no registration is left that could call with this context.
            drop(unsafe { Box::from_raw(self.watcher) });
        }
        // Otherwise the watcher is left allocated: a call may still come.
    }
}

/// What the system calls on an interface change. Public so that tests can make its call.
///
/// # Safety
/// `context` points at a live [`Watcher`]; `row` is null or points at a valid row.
pub unsafe extern "system" fn interface_changed(
    context: *const c_void,
    row: *const MIB_IPINTERFACE_ROW,
    kind: MIB_NOTIFICATION_TYPE,
) {
    if (kind != MibAddInstance && kind != MibParameterNotification) || row.is_null() {
        return;
    }
    // SAFETY: per this function's contract.
    let (watcher, row) = unsafe { (&*context.cast::<Watcher>(), &*row) };
    // The row given may be incomplete: the interface's state is read again (the family and
    // the LUID are all GetIpInterfaceEntry needs to find it).
    let mut current = MIB_IPINTERFACE_ROW {
        Family: row.Family,
        InterfaceLuid: row.InterfaceLuid,
        ..MIB_IPINTERFACE_ROW::default()
    };
    // SAFETY: `current` is a valid, writable row; the luid union is read as its u64 view,
    // which every bit pattern is.
    let (found, luid) = unsafe {
        (
            GetIpInterfaceEntry(&mut current) == NO_ERROR,
            current.InterfaceLuid.Value,
        )
    };
    watcher.changed(NetworkChange::Interface {
        luid,
        family: current.Family,
        connected: found && current.Connected,
    });
}

/// What the system calls on an address change. Public so that tests can make its call.
///
/// # Safety
/// `context` points at a live [`Watcher`].
pub unsafe extern "system" fn address_changed(
    context: *const c_void,
    _row: *const MIB_UNICASTIPADDRESS_ROW,
    kind: MIB_NOTIFICATION_TYPE,
) {
    if kind == MibAddInstance {
        // SAFETY: per this function's contract.
        let watcher = unsafe { &*context.cast::<Watcher>() };
        watcher.changed(NetworkChange::AddressAdded);
    }
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

/// The Network List Manager's class, and its `INetworkCostManager` interface (netlistmgr.h).
const CLSID_NETWORK_LIST_MANAGER: windows_sys::core::GUID =
    windows_sys::core::GUID::from_u128(0xdcb00c01_570f_4a9b_8d69_199fdba5723b);
const IID_INETWORK_COST_MANAGER: windows_sys::core::GUID =
    windows_sys::core::GUID::from_u128(0xdcb00008_570f_4a9b_8d69_199fdba5723b);

/// `INetworkCostManager`'s vtable: IUnknown's three methods, then `GetCost` (the two after
/// it are not called, so not declared).
#[repr(C)]
struct CostManagerVtbl {
    query_interface: unsafe extern "system" fn(
        *mut c_void,
        *const windows_sys::core::GUID,
        *mut *mut c_void,
    ) -> windows_sys::core::HRESULT,
    add_ref: unsafe extern "system" fn(*mut c_void) -> u32,
    release: unsafe extern "system" fn(*mut c_void) -> u32,
    get_cost: unsafe extern "system" fn(
        *mut c_void,
        *mut u32,
        *const c_void,
    ) -> windows_sys::core::HRESULT,
}

/// The cost of the machine's internet connection, as the Network List Manager reports it: a
/// set of `NLM_CONNECTION_COST` flags (read by [`crate::network::cost_is_metered`]). `Err`
/// where COM or the manager is not there. Blocking (a COM call): run it off the async
/// threads.
pub fn connection_cost() -> io::Result<u32> {
    let failed = |what: &str, result: i32| {
        io::Error::other(format!("{what} failed: HRESULT {:#010x}", result as u32))
    };
    // SAFETY: COM is initialised for this thread (and uninitialised only if this call did
    // it); the object is created with the interface asked for, its vtable is the one
    // declared above (netlistmgr.h), `GetCost` is given a valid out pointer and a null
    // destination ("the machine's cost"), and the reference taken is released once.
    unsafe {
        let initialised = CoInitializeEx(std::ptr::null(), COINIT_MULTITHREADED as u32);
        // S_OK or S_FALSE: ours to undo; RPC_E_CHANGED_MODE: initialised otherwise, usable.
        let ours = initialised >= 0;
        let result = (|| {
            let mut manager: *mut c_void = std::ptr::null_mut();
            let created = CoCreateInstance(
                &CLSID_NETWORK_LIST_MANAGER,
                std::ptr::null_mut(),
                CLSCTX_ALL,
                &IID_INETWORK_COST_MANAGER,
                &mut manager,
            );
            if created < 0 || manager.is_null() {
                return Err(failed("creating the Network List Manager", created));
            }
            let vtbl = *manager.cast::<*const CostManagerVtbl>();
            let mut cost = 0u32;
            let asked = ((*vtbl).get_cost)(manager, &mut cost, std::ptr::null());
            ((*vtbl).release)(manager);
            if asked < 0 {
                return Err(failed("INetworkCostManager::GetCost", asked));
            }
            Ok(cost)
        })();
        if ours {
            CoUninitialize();
        }
        result
    }
}

static ATTACHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// For a program built for the GUI subsystem: when started from a console, writes its standard
/// output and error to that console (Rust's standard streams look the handles up at each
/// write). A stream that was redirected (to a file, a pipe) stays where it goes; started from
/// Explorer there is no such console and nothing changes.
pub fn attach_parent_console() {
    let streams = [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE];
    // SAFETY: GetStdHandle has no preconditions.
    let before = streams.map(|which| unsafe { GetStdHandle(which) });
    let set = |handle: HANDLE| !handle.is_null() && handle != INVALID_HANDLE_VALUE;
    if before[1..].iter().all(|handle| set(*handle)) {
        return;
    }
    // SAFETY: no preconditions; fails harmlessly without a parent console.
    if unsafe { AttachConsole(ATTACH_PARENT_PROCESS) } == 0 {
        return;
    }
    ATTACHED.store(true, std::sync::atomic::Ordering::Relaxed);
    for (which, handle) in streams.into_iter().zip(before) {
        if set(handle) {
            // SAFETY: puts back a handle this process was given; no preconditions.
            unsafe { SetStdHandle(which, handle) };
        }
    }
}

/// Whether [`attach_parent_console`] attached to the console of the shell this was typed in
/// — a shell that does not wait for a GUI program and reads that console's keys meanwhile.
pub fn attached_to_parent_console() -> bool {
    ATTACHED.load(std::sync::atomic::Ordering::Relaxed)
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
    fn an_added_address_or_an_interface_turning_connected_wakes_and_other_changes_do_not() {
        let changes = UpChanges::default();
        let interface = |luid, family, connected| NetworkChange::Interface {
            luid,
            family,
            connected,
        };
        assert!(changes.may_be_up(NetworkChange::AddressAdded));
        assert!(!changes.may_be_up(interface(7, 2, false)), "not connected");
        assert!(changes.may_be_up(interface(7, 2, true)), "turned connected");
        assert!(
            !changes.may_be_up(interface(7, 2, true)),
            "a parameter of a connected one"
        );
        assert!(
            changes.may_be_up(interface(7, 23, true)),
            "its other family"
        );
        assert!(!changes.may_be_up(interface(7, 2, false)));
        assert!(changes.may_be_up(interface(7, 2, true)), "connected again");
    }

    #[test]
    fn the_systems_calls_wake_only_for_what_may_be_up() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let watcher = Watcher::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let context = (&raw const watcher).cast::<c_void>();
        for (kind, expected) in [
            (notification::INITIAL, 0),
            (notification::DELETED, 0),
            (notification::CHANGED, 0),
            (notification::ADDED, 1),
        ] {
            // SAFETY: the watcher outlives the calls; the row is ignored.
            unsafe { address_changed(context, std::ptr::null(), kind) };
            assert_eq!(calls.load(Ordering::SeqCst), expected, "address {kind}");
        }
        // An interface Windows does not know (luid 0) is not connected: no wake. (Wine 8 has
        // no GetIpInterfaceEntry; it never makes this call either.)
        if !under_wine() {
            let row = MIB_IPINTERFACE_ROW::default();
            for kind in [notification::ADDED, notification::CHANGED] {
                // SAFETY: the watcher outlives the call; `row` is a valid row.
                unsafe { interface_changed(context, &row, kind) };
            }
            assert_eq!(calls.load(Ordering::SeqCst), 1);
        }
        // The system takes both registrations and their cancels.
        let watch = watch_interfaces(|| {}).expect("the change notifications register");
        assert_eq!(watch.handles.len(), 2);
        drop(watch);
    }

    #[test]
    fn the_network_list_manager_answers_the_connections_cost() {
        // Windows and wine (netprofm) both implement INetworkCostManager; on this machine's
        // connection (no plan, not roaming) the answer reads as "not metered".
        let cost = connection_cost().expect("GetCost answers");
        assert_eq!(
            crate::network::cost_is_metered(cost),
            Some(false),
            "{cost:#x}"
        );
        // Twice: COM's initialisation is undone and done again.
        assert_eq!(connection_cost().unwrap(), cost);
        // And as the photo gate asks it (off the async threads, within its second).
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(crate::network::metered_now()), Some(false));
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
