//! The rewards API's index of published devices.csv rows by owner (migration
//! `0005_device_rewards`): [`Store::index_epoch`] writes an epoch whole, once;
//! [`Store::owner_rewards`] reads a wallet's rows a page at a time, newest epoch first.

use depin_formats::keys::Pubkey;
use depin_formats::transparency::PublishedDevice;
use sqlx::Row;

use super::{Store, StoreError, nonce_from_db, nonce_to_db};

/// Rows per multi-row `INSERT` (6 parameters each).
const INDEX_CHUNK: usize = 500;

/// One indexed devices.csv row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRow {
    pub epoch: u64,
    pub device: Pubkey,
    pub score: u64,
    pub reward: u64,
    pub reasons: String,
}

/// Where a page starts: after this `(epoch, device)` in the order epoch descending, then device
/// bytes descending (the primary key read backwards, so a page is one index range).
pub type After = (u64, Pubkey);

fn epoch_to_db(epoch: u64) -> Result<i64, StoreError> {
    i64::try_from(epoch).map_err(|_| StoreError::Range("epoch above i64::MAX"))
}

fn epoch_from_db(epoch: i64) -> Result<u64, StoreError> {
    u64::try_from(epoch).map_err(|_| StoreError::Range("negative epoch"))
}

fn key_from_db(bytes: &[u8]) -> Result<Pubkey, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Pubkey)
        .map_err(|_| StoreError::Range("a key is not 32 bytes"))
}

fn insert_sql(postgres: bool, rows: usize) -> String {
    format!(
        "INSERT INTO device_rewards (owner, epoch, device, score, reward, reasons) VALUES {} \
         ON CONFLICT (owner, epoch, device) DO NOTHING",
        super::placeholders(postgres, rows, 6)
    )
}

const MARK_SQLITE: &str = "INSERT INTO indexed_epochs (epoch, devices, indexed_at) VALUES \
     (?, ?, ?) ON CONFLICT (epoch) DO NOTHING";
const MARK_POSTGRES: &str = "INSERT INTO indexed_epochs (epoch, devices, indexed_at) VALUES \
     ($1, $2, $3) ON CONFLICT (epoch) DO NOTHING";
const INDEXED: &str = "SELECT epoch FROM indexed_epochs ORDER BY epoch";
/// A page from the top (no cursor).
const PAGE_SQLITE: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = ? ORDER BY epoch DESC, device DESC LIMIT ?";
const PAGE_POSTGRES: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = $1 ORDER BY epoch DESC, device DESC LIMIT $2";
/// A page after `(epoch, device)`.
const AFTER_SQLITE: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = ?1 AND (owner, epoch, device) < (?1, ?2, ?3) \
     ORDER BY epoch DESC, device DESC LIMIT ?4";
const AFTER_POSTGRES: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = $1 AND (owner, epoch, device) < ($1, $2, $3) \
     ORDER BY epoch DESC, device DESC LIMIT $4";
const AT_SQLITE: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = ? AND epoch = ? ORDER BY device";
const AT_POSTGRES: &str = "SELECT epoch, device, score, reward, reasons FROM device_rewards \
     WHERE owner = $1 AND epoch = $2 ORDER BY device";

fn owner_row(
    epoch: i64,
    device: &[u8],
    score: i64,
    reward: i64,
    reasons: String,
) -> Result<OwnerRow, StoreError> {
    Ok(OwnerRow {
        epoch: epoch_from_db(epoch)?,
        device: key_from_db(device)?,
        score: nonce_from_db(score),
        reward: nonce_from_db(reward),
        reasons,
    })
}

/// An [`OwnerRow`] from a row of the page queries (either backend).
macro_rules! decode {
    ($r:expr) => {
        owner_row(
            $r.try_get(0)?,
            $r.try_get(1)?,
            $r.try_get(2)?,
            $r.try_get(3)?,
            $r.try_get(4)?,
        )
    };
}

impl Store {
    /// The epochs whose devices.csv is indexed, ascending.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn indexed_epochs(&self) -> Result<Vec<u64>, StoreError> {
        let epochs: Vec<i64> = match self {
            Self::Sqlite(p) => sqlx::query_scalar(INDEXED).fetch_all(p).await?,
            Self::Postgres(p) => sqlx::query_scalar(INDEXED).fetch_all(p).await?,
        };
        epochs.into_iter().map(epoch_from_db).collect()
    }

    /// Indexes epoch `epoch`'s devices.csv rows in one transaction and marks the epoch indexed;
    /// an epoch indexed before is left as it is (the files never change).
    ///
    /// # Errors
    ///
    /// A database failure (nothing is stored), or an epoch above `i64::MAX`.
    pub async fn index_epoch(
        &self,
        epoch: u64,
        rows: &[PublishedDevice],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let db_epoch = epoch_to_db(epoch)?;
        let count = i64::try_from(rows.len()).map_err(|_| StoreError::Range("row count"))?;
        macro_rules! index {
            ($pool:expr, $postgres:expr, $mark:expr) => {{
                let mut tx = $pool.begin().await?;
                let done = sqlx::query($mark)
                    .bind(db_epoch)
                    .bind(count)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(());
                }
                for chunk in rows.chunks(INDEX_CHUNK) {
                    let sql = insert_sql($postgres, chunk.len());
                    let mut q = sqlx::query(&sql);
                    for d in chunk {
                        q = q
                            .bind(d.owner.0.to_vec())
                            .bind(db_epoch)
                            .bind(d.device.0.to_vec())
                            .bind(nonce_to_db(d.score))
                            .bind(nonce_to_db(d.reward))
                            .bind(d.reasons.clone());
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match self {
            Self::Sqlite(p) => index!(p, false, MARK_SQLITE),
            Self::Postgres(p) => index!(p, true, MARK_POSTGRES),
        }
        Ok(())
    }

    /// Up to `limit` of `owner`'s rows, newest epoch first, then by device bytes descending,
    /// after `after` when given.
    ///
    /// # Errors
    ///
    /// A database failure, or a row this store could not have written.
    pub async fn owner_rewards(
        &self,
        owner: &Pubkey,
        after: Option<After>,
        limit: u32,
    ) -> Result<Vec<OwnerRow>, StoreError> {
        let owner = owner.0.to_vec();
        let limit = i64::from(limit);
        macro_rules! page {
            ($pool:expr, $top:expr, $after:expr) => {{
                let rows = match &after {
                    None => {
                        sqlx::query($top)
                            .bind(owner)
                            .bind(limit)
                            .fetch_all($pool)
                            .await?
                    }
                    Some((epoch, device)) => {
                        sqlx::query($after)
                            .bind(owner)
                            .bind(epoch_to_db(*epoch)?)
                            .bind(device.0.to_vec())
                            .bind(limit)
                            .fetch_all($pool)
                            .await?
                    }
                };
                rows.iter().map(|r| decode!(r)).collect()
            }};
        }
        match self {
            Self::Sqlite(p) => page!(p, PAGE_SQLITE, AFTER_SQLITE),
            Self::Postgres(p) => page!(p, PAGE_POSTGRES, AFTER_POSTGRES),
        }
    }

    /// `owner`'s rows of one epoch, by device bytes.
    ///
    /// # Errors
    ///
    /// A database failure, or a row this store could not have written.
    pub async fn owner_rewards_at(
        &self,
        owner: &Pubkey,
        epoch: u64,
    ) -> Result<Vec<OwnerRow>, StoreError> {
        let (owner, epoch) = (owner.0.to_vec(), epoch_to_db(epoch)?);
        macro_rules! at {
            ($pool:expr, $sql:expr) => {
                sqlx::query($sql)
                    .bind(owner)
                    .bind(epoch)
                    .fetch_all($pool)
                    .await?
                    .iter()
                    .map(|r| decode!(r))
                    .collect()
            };
        }
        match self {
            Self::Sqlite(p) => at!(p, AT_SQLITE),
            Self::Postgres(p) => at!(p, AT_POSTGRES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::placeholders;

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(placeholders(false, 2, 2), "(?,?),(?,?)");
        assert_eq!(placeholders(true, 2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(true, 1, 1), "($1)");
    }
}
