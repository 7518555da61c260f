//! Fan-out between instances on PostgreSQL: every change is announced with `NOTIFY` in its own
//! transaction (see `Store::put_for`), and each instance `LISTEN`s and hands what it hears to
//! its event streams — its own changes included, so there is one path for all.
//!
//! NOTIFY is lost while a listener is disconnected: after a reconnection every stream is told
//! to send its user's current state again.

use crate::AppState;
use crate::store::{CHANGES_CHANNEL, UserId};
use profile_protocol::ProfileWire;
use std::time::Duration;

/// What is announced: the user and their new state.
#[derive(serde::Serialize, serde::Deserialize)]
struct Announcement {
    user: i64,
    profile: ProfileWire,
}

pub(crate) fn payload(user: UserId, profile: &ProfileWire) -> String {
    serde_json::to_string(&Announcement {
        user: user.0,
        profile: profile.clone(),
    })
    .expect("a profile serialises")
}

/// Listens until the server closes; reconnects (with a pause) whenever the connection is lost.
pub(crate) async fn listen(state: AppState) {
    let Some(pool) = state.store.postgres().cloned() else {
        return;
    };
    let mut closing = state.closing.subscribe();
    let mut connected_before = false;
    loop {
        let session = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(CHANGES_CHANNEL).await?;
            if connected_before {
                tracing::info!("fan-out listener reconnected; streams resend the current state");
                state.streams.resync();
            }
            connected_before = true;
            loop {
                // `None`: the connection was lost (it reconnects on the next call, but what was
                // announced meanwhile is gone).
                let Some(notification) = listener.try_recv().await? else {
                    tracing::warn!("fan-out listener lost its connection");
                    state.streams.resync();
                    continue;
                };
                match serde_json::from_str::<Announcement>(notification.payload()) {
                    Ok(announced) => {
                        state
                            .streams
                            .publish(UserId(announced.user), announced.profile);
                    }
                    Err(error) => tracing::error!(%error, "unreadable change announcement"),
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        tokio::select! {
            result = session => {
                if let Err(error) = result {
                    tracing::warn!(%error, "fan-out listener failed; reconnecting");
                }
            }
            _ = closing.wait_for(|closing| *closing) => return,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
