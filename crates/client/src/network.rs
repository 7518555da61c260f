//! Network changes, as the operating system announces them. On Linux: the kernel's routing
//! netlink messages (links, addresses and routes), read through `netlink-sys`, and, where it
//! runs, NetworkManager's connectivity state over D-Bus (it reports "connected" only once its
//! own check reaches the internet — after a captive portal's sign-in, say — which netlink never
//! sees). On Windows: `NotifyIpInterfaceChange` (an interface added, or one's parameters —
//! connected, addresses — changed). A link coming up, an address or a route added, an interface
//! changing on Windows, or NetworkManager reaching a connected state wakes the synchronizer at
//! once; nothing here decides that we are online — the requests
//! that follow do (a link can be up with the server away). Where no such signal exists, the
//! schedule alone applies.

use crate::repository::UserProfileRepository;

/// Calls [`UserProfileRepository::network_up`] on every network change that may have brought
/// the server back. Runs until dropped.
pub async fn watch(repository: &UserProfileRepository) {
    #[cfg(target_os = "linux")]
    {
        let on_up = || repository.network_up();
        let netlink = async {
            if let Err(error) = linux::watch(&on_up).await {
                tracing::info!(%error, "network changes cannot be watched; retrying on the schedule only");
            }
        };
        let network_manager = async {
            if let Err(error) = network_manager::watch(&on_up).await {
                tracing::debug!(%error, "NetworkManager's state is not watched");
            }
        };
        // A connection no longer metered lets waiting photos go: try at once.
        let on_metered = |metered: bool| {
            repository.set_metered(Some(metered));
            if !metered {
                repository.network_up();
            }
        };
        let metered = async {
            if let Err(error) = network_manager::watch_metered(&on_metered).await {
                tracing::debug!(%error, "NetworkManager's metered state is not watched");
            }
        };
        tokio::join!(netlink, network_manager, metered);
    }
    #[cfg(windows)]
    {
        let (changed, mut changes) = tokio::sync::mpsc::unbounded_channel();
        match crate::windows::watch_interfaces(move || {
            let _ = changed.send(());
        }) {
            Ok(_watch) => {
                while changes.recv().await.is_some() {
                    repository.network_up();
                }
            }
            Err(error) => {
                tracing::info!(%error, "network changes cannot be watched; retrying on the schedule only");
            }
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = repository;
    futures::future::pending::<()>().await;
}

/// Reads the Network List Manager's `NLM_CONNECTION_COST` flags as Microsoft's guidance for
/// metered connections does: a fixed or variable plan, roaming, or over the plan's limit is
/// metered; unrestricted is not; no flag at all (0, "unknown") is `None`.
pub fn cost_is_metered(cost: u32) -> Option<bool> {
    const UNRESTRICTED: u32 = 0x1;
    const FIXED: u32 = 0x2;
    const VARIABLE: u32 = 0x4;
    const OVER_DATA_LIMIT: u32 = 0x1_0000;
    const ROAMING: u32 = 0x4_0000;
    if cost & (FIXED | VARIABLE | OVER_DATA_LIMIT | ROAMING) != 0 {
        Some(true)
    } else if cost & UNRESTRICTED != 0 {
        Some(false)
    } else {
        None
    }
}

/// Whether the connection is metered, as the system says now: NetworkManager's `Metered` on
/// Linux (`None` where it does not run, or does not answer within a second); on Windows the
/// Network List Manager's connection cost ([`cost_is_metered`]). Elsewhere `None`
/// (not known: photos are not held back).
pub async fn metered_now() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        let asked = async {
            let connection = zbus::Connection::system().await.ok()?;
            network_manager::metered(&connection).await.ok()
        };
        tokio::time::timeout(std::time::Duration::from_secs(1), asked)
            .await
            .ok()
            .flatten()
    }
    #[cfg(windows)]
    {
        let asked = tokio::task::spawn_blocking(crate::windows::connection_cost);
        match tokio::time::timeout(std::time::Duration::from_secs(1), asked).await {
            Ok(Ok(Ok(cost))) => cost_is_metered(cost),
            Ok(Ok(Err(error))) => {
                tracing::debug!(%error, "the connection's cost is not known");
                None
            }
            _ => None,
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    None
}

/// Whether a routing netlink message says something came up (a link up, an address or a route
/// added). `message` is one `nlmsghdr` and its payload, in the machine's byte order.
pub fn announces_up(message: &[u8]) -> bool {
    const RTM_NEWLINK: u16 = 16;
    const RTM_NEWADDR: u16 = 20;
    const RTM_NEWROUTE: u16 = 24;
    const IFF_UP: u32 = 0x1;
    const HEADER: usize = 16;
    let Some(kind) = message.get(4..6) else {
        return false;
    };
    match u16::from_ne_bytes([kind[0], kind[1]]) {
        // struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change }
        RTM_NEWLINK => message
            .get(HEADER + 8..HEADER + 12)
            .map(|flags| u32::from_ne_bytes([flags[0], flags[1], flags[2], flags[3]]))
            .is_some_and(|flags| flags & IFF_UP != 0),
        RTM_NEWADDR | RTM_NEWROUTE => true,
        _ => false,
    }
}

/// Splits a netlink datagram into its messages.
pub fn messages(datagram: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        let length = rest
            .get(0..4)
            .map(|l| u32::from_ne_bytes([l[0], l[1], l[2], l[3]]))? as usize;
        if length < 16 || length > rest.len() {
            return None;
        }
        let (message, after) = rest.split_at(length);
        // Messages are aligned to 4 bytes.
        rest = after.get((length.next_multiple_of(4) - length).min(after.len())..)?;
        Some(message)
    })
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{announces_up, messages};
    use netlink_sys::{AsyncSocket, AsyncSocketExt, SocketAddr, TokioSocket, protocols};

    const RTMGRP_LINK: u32 = 0x1;
    const RTMGRP_IPV4_IFADDR: u32 = 0x10;
    const RTMGRP_IPV4_ROUTE: u32 = 0x40;
    const RTMGRP_IPV6_IFADDR: u32 = 0x100;
    const RTMGRP_IPV6_ROUTE: u32 = 0x400;

    pub async fn watch(on_up: &impl Fn()) -> std::io::Result<()> {
        let mut socket = TokioSocket::new(protocols::NETLINK_ROUTE)?;
        let groups = RTMGRP_LINK
            | RTMGRP_IPV4_IFADDR
            | RTMGRP_IPV4_ROUTE
            | RTMGRP_IPV6_IFADDR
            | RTMGRP_IPV6_ROUTE;
        socket.socket_mut().bind(&SocketAddr::new(0, groups))?;
        tracing::debug!("watching the network for changes (netlink)");
        loop {
            let (datagram, _from) = socket.recv_from_full().await?;
            if messages(&datagram).any(announces_up) {
                tracing::debug!("the kernel announced a network change");
                on_up();
            }
        }
    }
}

/// NetworkManager's connectivity state (`org.freedesktop.NetworkManager`, property `State`,
/// signal `StateChanged`), on the system bus where NetworkManager runs.
#[cfg(target_os = "linux")]
pub mod network_manager {
    use futures::StreamExt;
    use zbus::{Connection, MatchRule, MessageStream, fdo::PropertiesProxy, message::Type};

    pub const NAME: &str = "org.freedesktop.NetworkManager";
    pub const PATH: &str = "/org/freedesktop/NetworkManager";
    /// `NM_STATE_CONNECTED_LOCAL`: the lowest state in which a server on the local network may
    /// answer (then `CONNECTED_SITE` 60 and `CONNECTED_GLOBAL` 70).
    pub const CONNECTED_LOCAL: u32 = 50;
    pub const CONNECTED_GLOBAL: u32 = 70;
    /// `NM_STATE_DISCONNECTED`.
    pub const DISCONNECTED: u32 = 20;

    /// Whether going from `before` (unknown: `None`) to `now` may have brought the server
    /// back: a connected state, better than the one before.
    pub fn announces_up(before: Option<u32>, now: u32) -> bool {
        now >= CONNECTED_LOCAL && before.is_none_or(|before| now > before)
    }

    /// Watches NetworkManager on the system bus (`DBUS_SYSTEM_BUS_ADDRESS` or the standard
    /// socket). Fails at once where there is no system bus; where NetworkManager is not
    /// running (yet), waits for its signals all the same.
    pub async fn watch(on_up: &impl Fn()) -> zbus::Result<()> {
        watch_on(&Connection::system().await?, on_up, &|_| {}).await
    }

    /// Calls `on_up` each time NetworkManager, on `connection`'s bus, [`announces_up`], and
    /// `seen` with every state it announces, once handled (so a test knows a state that wakes
    /// nothing has been looked at).
    pub async fn watch_on(
        connection: &Connection,
        on_up: &impl Fn(),
        seen: &impl Fn(u32),
    ) -> zbus::Result<()> {
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .sender(NAME)?
            .path(PATH)?
            .interface(NAME)?
            .member("StateChanged")?
            .build();
        // Subscribed before the state is read, so no change falls between the two.
        let mut changes = MessageStream::for_match_rule(rule, connection, None).await?;
        let mut state = state(connection).await.ok();
        tracing::debug!(?state, "watching NetworkManager's state");
        while let Some(message) = changes.next().await {
            let Ok(now) = message?.body().deserialize::<u32>() else {
                continue;
            };
            if announces_up(state, now) {
                tracing::debug!(state = now, "NetworkManager reports a connection");
                on_up();
            } else {
                tracing::debug!(
                    state = now,
                    "NetworkManager's state changed; nothing to try"
                );
            }
            state = Some(now);
            seen(now);
        }
        Ok(())
    }

    /// `NM_METERED_YES` and `NM_METERED_GUESS_YES`: NetworkManager's `Metered` values that
    /// count as metered (`UNKNOWN` 0, `NO` 2 and `GUESS_NO` 4 do not).
    pub fn counts_as_metered(value: u32) -> bool {
        matches!(value, 1 | 3)
    }

    /// Whether the primary connection is metered (NetworkManager's `Metered` property).
    pub async fn metered(connection: &Connection) -> zbus::Result<bool> {
        Ok(counts_as_metered(property(connection, "Metered").await?))
    }

    /// Calls `on_change` with whether the connection is metered: once with what
    /// NetworkManager says now, then on each change of its `Metered` property.
    pub async fn watch_metered(on_change: &impl Fn(bool)) -> zbus::Result<()> {
        watch_metered_on(&Connection::system().await?, on_change).await
    }

    /// [`watch_metered`] on `connection`'s bus.
    pub async fn watch_metered_on(
        connection: &Connection,
        on_change: &impl Fn(bool),
    ) -> zbus::Result<()> {
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .sender(NAME)?
            .path(PATH)?
            .interface("org.freedesktop.DBus.Properties")?
            .member("PropertiesChanged")?
            .build();
        let mut changes = MessageStream::for_match_rule(rule, connection, None).await?;
        let mut last = metered(connection).await.ok();
        if let Some(now) = last {
            on_change(now);
        }
        while let Some(message) = changes.next().await {
            let message = message?;
            let Ok((interface, changed, _)) = message.body().deserialize::<(
                String,
                std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
                Vec<String>,
            )>() else {
                continue;
            };
            let Some(value) = changed.get("Metered") else {
                continue;
            };
            if interface != NAME {
                continue;
            }
            let Ok(value) = u32::try_from(value) else {
                continue;
            };
            let now = counts_as_metered(value);
            tracing::debug!(metered = now, "NetworkManager's connection cost changed");
            if last != Some(now) {
                on_change(now);
            }
            last = Some(now);
        }
        Ok(())
    }

    /// NetworkManager's current state; an error where it is not running.
    async fn state(connection: &Connection) -> zbus::Result<u32> {
        property(connection, "State").await
    }

    /// One of NetworkManager's `u32` properties.
    async fn property(connection: &Connection, name: &str) -> zbus::Result<u32> {
        let properties = PropertiesProxy::builder(connection)
            .destination(NAME)?
            .path(PATH)?
            .build()
            .await?;
        let value = properties
            .get(zbus::names::InterfaceName::from_static_str(NAME)?, name)
            .await?;
        Ok(u32::try_from(value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_roaming_or_an_exceeded_limit_is_metered_and_unrestricted_is_not() {
        assert_eq!(cost_is_metered(0x1), Some(false), "unrestricted");
        assert_eq!(
            cost_is_metered(0x1 | 0x2_0000),
            Some(false),
            "congested only"
        );
        assert_eq!(cost_is_metered(0x2), Some(true), "fixed plan");
        assert_eq!(
            cost_is_metered(0x4 | 0x8_0000),
            Some(true),
            "variable, near its limit"
        );
        assert_eq!(cost_is_metered(0x1 | 0x4_0000), Some(true), "roaming");
        assert_eq!(
            cost_is_metered(0x1 | 0x1_0000),
            Some(true),
            "over the limit"
        );
        assert_eq!(cost_is_metered(0), None, "unknown");
    }

    fn message(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
        bytes.extend_from_slice(&kind.to_ne_bytes());
        bytes.extend_from_slice(&[0; 10]);
        bytes.extend_from_slice(payload);
        bytes
    }

    fn link(flags: u32) -> Vec<u8> {
        let mut payload = vec![0u8; 8];
        payload.extend_from_slice(&flags.to_ne_bytes());
        payload.extend_from_slice(&[0; 4]);
        message(16, &payload)
    }

    #[test]
    fn links_up_and_new_addresses_and_routes_count_but_going_down_does_not() {
        assert!(announces_up(&link(0x1 | 0x40)));
        assert!(!announces_up(&link(0x8)), "lo going down");
        assert!(announces_up(&message(20, &[0; 8])), "address added");
        assert!(announces_up(&message(24, &[0; 12])), "route added");
        assert!(!announces_up(&message(21, &[0; 8])), "address removed");
        assert!(!announces_up(&message(25, &[0; 12])), "route removed");
        assert!(!announces_up(&[1, 2, 3]), "too short");
    }

    #[test]
    fn a_datagram_splits_into_its_aligned_messages() {
        let mut datagram = message(21, &[0; 6]);
        datagram.extend_from_slice(&[0; 2]); // padding to 4 bytes
        datagram.extend(link(0x1));
        let found: Vec<_> = messages(&datagram).collect();
        assert_eq!(found.len(), 2);
        assert!(!announces_up(found[0]));
        assert!(announces_up(found[1]));
        assert_eq!(
            messages(&[0xff, 0, 0, 0]).count(),
            0,
            "a length past the end"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn network_manager_counts_a_connected_state_better_than_the_one_before() {
        use network_manager::announces_up;
        assert!(announces_up(Some(20), 70), "disconnected → global");
        assert!(announces_up(Some(40), 50), "connecting → local");
        assert!(
            announces_up(Some(60), 70),
            "site → global (a captive portal passed)"
        );
        assert!(announces_up(None, 70), "NetworkManager started, connected");
        assert!(!announces_up(Some(70), 70), "unchanged");
        assert!(!announces_up(Some(70), 60), "global → site");
        assert!(!announces_up(Some(70), 20), "disconnected");
        assert!(!announces_up(None, 40), "connecting");
    }
}
