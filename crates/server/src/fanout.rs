//! Fan-out between instances on PostgreSQL: the store announces every change with `NOTIFY` in
//! the change's own transaction and delivers nothing itself; each instance `LISTEN`s and hands
//! what it hears to its streams registry. An instance hears its own announcements too, so this
//! is the one path from a committed change to the event streams, and each change arrives once.
//!
//! NOTIFY is lost while a listener is disconnected: after a reconnection every stream is told
//! to send its user's current state again.

use crate::change::{self, Change};
use crate::streams::Streams;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Feeds `streams` with the changes announced on `pool`'s database until `closing` turns true;
/// reconnects (with a pause) whenever the connection is lost. Servers sharing one store take
/// turns: only one listener feeds a registry at a time.
pub(crate) async fn listen(
    pool: PgPool,
    streams: Arc<Streams>,
    mut closing: watch::Receiver<bool>,
) {
    let mut fed_before = tokio::select! {
        turn = streams.feed() => turn,
        _ = closing.wait_for(|closing| *closing) => return,
    };
    loop {
        let session = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(change::CHANNEL).await?;
            if *fed_before {
                tracing::info!("fan-out listener reconnected; streams resend the current state");
                streams.resync();
            }
            *fed_before = true;
            loop {
                // `None`: the connection was lost (it reconnects on the next call, but what was
                // announced meanwhile is gone).
                let Some(notification) = listener.try_recv().await? else {
                    tracing::warn!("fan-out listener lost its connection");
                    streams.resync();
                    continue;
                };
                match Change::from_payload(notification.payload()) {
                    Ok(change) => streams.deliver(change),
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
