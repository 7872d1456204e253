//! The report store on both backends (SQLite always; PostgreSQL when DEPIN_TEST_POSTGRES_URL
//! is set): migrations apply and re-apply, rows round-trip exactly, the (device, nonce) replay
//! guard rolls a whole call back, and both backends give the same answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::backends::{Backend, TestDb, backends};
use common::*;
use depin_formats::report::SignedReport;
use depin_oracle::store::{Inserted, Store, StoredReport};

fn reports() -> Vec<SignedReport> {
    let dev = key(20);
    vec![
        signed(1, START, 1, heartbeat(Some(fix(0.0, 0.0)))),
        signed(1, START + 1, u64::MAX, speedtest(100_000, 10_000, 20)),
        signed(2, START + 2, 1, beacon(7)),
        signed(3, START + 3, 0, witness(key(2), 7, -900)),
        signed(
            20,
            START + 4,
            1 << 63,
            receipt(&dev, 9, 40_000, &signer(CUSTOMER)),
        ),
    ]
}

/// What a store holds, without ids and arrival times (which differ between backends).
async fn contents(store: &Store) -> Vec<SignedReport> {
    store
        .all()
        .await
        .unwrap()
        .iter()
        .map(|r| r.to_signed().unwrap())
        .collect()
}

/// Runs the same scenario on a fresh database of every backend and returns each one's
/// observable results, so that the caller can check they agree.
async fn scenario(backend: Backend) -> (Vec<Inserted>, Vec<SignedReport>, Vec<StoredReport>) {
    let db = TestDb::new(backend);
    let store = db.store().await;
    // Migrating again is a no-op.
    store.migrate().await.unwrap();
    assert_eq!(store.count().await.unwrap(), 0);
    let all = reports();
    let mut outcomes = Vec::new();
    outcomes.push(store.insert_all(&all[..3], 1_000).await.unwrap());
    // A replay at index 1 rolls back index 0 (a new report) too.
    let replay = vec![all[3].clone(), all[1].clone(), all[4].clone()];
    outcomes.push(store.insert_all(&replay, 2_000).await.unwrap());
    assert_eq!(
        store.count().await.unwrap(),
        3,
        "{backend:?}: the replay stored nothing"
    );
    // A repeat inside one call is refused the same way.
    let twice = vec![all[3].clone(), all[3].clone()];
    outcomes.push(store.insert_all(&twice, 3_000).await.unwrap());
    assert_eq!(store.count().await.unwrap(), 3);
    // Same device and nonce with a different payload is still a replay.
    let same_nonce = signed(1, START + 9, 1, speedtest(1, 1, 1));
    outcomes.push(store.insert_all(&[same_nonce], 4_000).await.unwrap());
    // Same nonce from another device is not.
    outcomes.push(store.insert_all(&all[3..], 5_000).await.unwrap());
    let stored = store.all().await.unwrap();
    let got = contents(&store).await;
    store.close().await;
    db.cleanup().await;
    (outcomes, got, stored)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_store_and_refuse_the_same() {
    let mut results = Vec::new();
    let all = reports();
    for backend in backends() {
        let (outcomes, got, stored) = scenario(backend).await;
        // A replay names the signature stored for its (device, nonce): the same report's, or
        // (same nonce, new payload) another one's; none for a repeat within the call.
        assert_eq!(
            outcomes,
            vec![
                Inserted::Committed,
                Inserted::Replayed {
                    index: 1,
                    stored: Some(all[1].signature)
                },
                Inserted::Replayed {
                    index: 1,
                    stored: None
                },
                Inserted::Replayed {
                    index: 0,
                    stored: Some(all[0].signature)
                },
                Inserted::Committed,
            ],
            "{backend:?}"
        );
        // Every row rebuilds the exact signed report, in arrival order, and still verifies.
        assert_eq!(got, reports(), "{backend:?}");
        for r in &got {
            r.verify().unwrap();
        }
        // Exact columns of the rows.
        let shape: Vec<_> = stored
            .iter()
            .map(|r| {
                (
                    r.device,
                    r.ts,
                    r.nonce,
                    r.kind,
                    r.payload.len(),
                    r.received_at,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (key(1), START, 1, 0, 9, 1_000),
                (key(1), START + 1, u64::MAX, 1, 12, 1_000),
                (key(2), START + 2, 1, 2, 14, 1_000),
                (key(3), START + 3, 0, 3, 46, 5_000),
                (key(20), START + 4, 1 << 63, 4, 112, 5_000),
            ],
            "{backend:?}"
        );
        assert!(stored.windows(2).all(|w| w[0].id < w[1].id));
        results.push((outcomes, got));
    }
    // The backends agree with each other (when PostgreSQL runs).
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_has_the_same_tables_and_columns_on_both() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        let columns: Vec<String> = match &store {
            Store::Sqlite(p) => {
                sqlx::query_scalar("SELECT name FROM pragma_table_info('reports') ORDER BY cid")
                    .fetch_all(p)
                    .await
                    .unwrap()
            }
            Store::Postgres(p) => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = 'reports' \
                 ORDER BY ordinal_position",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        };
        assert_eq!(
            columns,
            [
                "id",
                "device",
                "ts",
                "nonce",
                "kind",
                "payload",
                "signature",
                "received_at"
            ],
            "{backend:?}"
        );
        store.close().await;
        db.cleanup().await;
    }
}

/// The epoch task's window query walks `reports_ts` in order: no sort of the window, which at
/// 24M reports would spill gigabytes to temporary files (ordering the window by device and
/// nonce did). Both backends have the same two indexes, and SQLite's plan reads the index
/// without a temporary B-tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_epoch_window_is_read_in_index_order_without_a_sort() {
    use depin_oracle::store::SELECT_WINDOW_SQLITE;
    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        let indexes: Vec<String> = match &store {
            Store::Sqlite(p) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports' \
                 AND sql IS NOT NULL ORDER BY name",
            )
            .fetch_all(p)
            .await
            .unwrap(),
            Store::Postgres(p) => sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename = 'reports' AND indexname <> 'reports_pkey' ORDER BY indexname",
            )
            .fetch_all(p)
            .await
            .unwrap(),
        };
        let expected: &[&str] = match backend {
            // SQLite's UNIQUE constraint index is automatic (no sql): not listed.
            Backend::Sqlite => &["reports_ts"],
            Backend::Postgres => &["reports_device_nonce", "reports_ts"],
        };
        assert_eq!(indexes, expected, "{backend:?}");
        if let Store::Sqlite(p) = &store {
            let plan: Vec<String> = sqlx::query_as::<_, (i64, i64, i64, String)>(&format!(
                "EXPLAIN QUERY PLAN {SELECT_WINDOW_SQLITE}"
            ))
            .bind(0i64)
            .bind(1i64)
            .fetch_all(p)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.3)
            .collect();
            assert_eq!(
                plan,
                ["SEARCH reports USING INDEX reports_ts (ts>? AND ts<?)"]
            );
        }
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_in_wal_mode_with_full_sync() {
    let db = TestDb::new(Backend::Sqlite);
    let store = db.store().await;
    let Store::Sqlite(pool) = &store else {
        panic!("not sqlite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!((mode.as_str(), sync), ("wal", 2), "FULL is 2");
    assert!(db.settings.data_dir.join("oracle.db").exists());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_url_creates_its_directory() {
    let db = TestDb::new(Backend::Sqlite);
    let mut s = db.settings.clone();
    let path = db.dir.path().join("elsewhere/deeper/reports.db");
    s.url = format!("sqlite://{}", path.display());
    let store = Store::connect(&s).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count().await.unwrap(), 0);
    store.close().await;
    assert!(path.exists());
    assert!(
        !s.data_dir.exists(),
        "data_dir is not used with an explicit url"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_storage_settings_are_refused() {
    let db = TestDb::new(Backend::Sqlite);
    let mut s = db.settings.clone();
    s.url = "mysql://localhost/x".into();
    let e = Store::connect(&s).await.unwrap_err().to_string();
    assert!(e.contains("unsupported storage url"), "{e}");
    s.url = "postgres://depin@127.0.0.1:1/depin".into();
    s.schema = "Robert'); DROP TABLE x;--".into();
    let e = Store::connect(&s).await.unwrap_err().to_string();
    assert!(e.contains("invalid postgres schema name"), "{e}");
}

/// With the variable set, an unreachable server fails the test helper loudly, not a skip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_postgres_fails_loudly() {
    let mut db = TestDb::new(Backend::Sqlite);
    db.backend = Backend::Postgres;
    // Port 1 on loopback: nothing listens there.
    db.settings.url = "postgres://depin@127.0.0.1:1/depin".into();
    db.settings.connect_timeout = std::time::Duration::from_millis(500);
    let e = Store::connect(&db.settings).await.unwrap_err().to_string();
    assert!(!e.is_empty());
    let joined = tokio::spawn(async move { db.store().await }).await;
    assert!(joined.unwrap_err().is_panic());
}

async fn columns_of(store: &Store, table: &str) -> Vec<String> {
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(p)
        .await
        .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(p)
        .await
        .unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_epochs_has_the_same_columns_on_both() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        assert_eq!(
            columns_of(&store, "published_epochs").await,
            [
                "epoch",
                "root_hash",
                "root_sum",
                "manifest_hash",
                "published_at",
                "leaves"
            ],
            "{backend:?}"
        );
        assert_eq!(
            columns_of(&store, "vote_intents").await,
            [
                "epoch",
                "set_version",
                "round",
                "root_hash",
                "root_sum",
                "manifest_hash",
                "created_at",
                "leaves"
            ],
            "{backend:?}"
        );
        store.close().await;
        db.cleanup().await;
    }
}

/// Batches larger than one multi-row INSERT (`INSERT_CHUNK`): all rows stored in order; a
/// conflict in a later chunk, with an already stored row or within the batch, rolls back every
/// chunk and names the exact index, and the row-by-row path agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_stored_whole_or_not_at_all() {
    use depin_oracle::store::INSERT_CHUNK;
    let n = INSERT_CHUNK * 2 + 7;
    let batch = |base: u64| -> Vec<SignedReport> {
        (0..n as u64)
            .map(|i| {
                signed(
                    1 + (i % 3) as u8,
                    START + i as i64,
                    base + i,
                    heartbeat(None),
                )
            })
            .collect()
    };
    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        let first = batch(0);
        assert_eq!(
            store.insert_all(&first, 1).await.unwrap(),
            Inserted::Committed
        );
        assert_eq!(contents(&store).await, first, "{backend:?}: arrival order");
        // Index INSERT_CHUNK + 5 repeats a stored report.
        let mut second = batch(10_000);
        second[INSERT_CHUNK + 5] = first[17].clone();
        let expected = Inserted::Replayed {
            index: INSERT_CHUNK + 5,
            stored: Some(first[17].signature),
        };
        assert_eq!(store.insert_all(&second, 2).await.unwrap(), expected);
        assert_eq!(store.insert_rows(&second, 2).await.unwrap(), expected);
        // The last index repeats one earlier in the same batch (another chunk).
        let mut third = batch(20_000);
        third[n - 1] = third[3].clone();
        let expected = Inserted::Replayed {
            index: n - 1,
            stored: None,
        };
        assert_eq!(store.insert_all(&third, 3).await.unwrap(), expected);
        // Within one chunk.
        let mut fourth = batch(30_000);
        fourth[2] = fourth[1].clone();
        assert_eq!(
            store.insert_all(&fourth, 4).await.unwrap(),
            Inserted::Replayed {
                index: 2,
                stored: None
            }
        );
        assert_eq!(
            store.count().await.unwrap(),
            n as u64,
            "{backend:?}: nothing of the refused batches was stored"
        );
        store.close().await;
        db.cleanup().await;
    }
}

/// The submitter's write-ahead vote records: the first intent per (epoch, set version, round)
/// is kept; the same vote again is fine (a restart re-sending), a different one is refused with
/// what was recorded; another round or set version is a separate record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vote_intents_refuse_a_second_root_for_the_same_epoch_on_both_backends() {
    use depin_oracle::store::{Intent, VoteIntent};
    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        let vote = VoteIntent {
            epoch: 7,
            set_version: 1,
            round: 0,
            root_hash: [1; 32],
            root_sum: i64::MAX as u64,
            leaves: 5,
            manifest_hash: [2; 32],
        };
        assert_eq!(
            store.record_intent(&vote, 1_000).await.unwrap(),
            Intent::Recorded
        );
        assert_eq!(
            store.record_intent(&vote, 2_000).await.unwrap(),
            Intent::Recorded,
            "{backend:?}: the same vote again"
        );
        for other in [
            VoteIntent {
                root_hash: [3; 32],
                ..vote
            },
            VoteIntent {
                root_sum: 5,
                ..vote
            },
            VoteIntent { leaves: 6, ..vote },
            VoteIntent {
                manifest_hash: [4; 32],
                ..vote
            },
        ] {
            assert_eq!(
                store.record_intent(&other, 3_000).await.unwrap(),
                Intent::Conflicts {
                    root_hash: [1; 32],
                    root_sum: i64::MAX as u64,
                    leaves: 5,
                    manifest_hash: [2; 32],
                },
                "{backend:?}: {other:?}"
            );
        }
        // A new round (after a void) or a new oracle set may vote again, for any root.
        for fresh in [
            VoteIntent {
                round: 1,
                root_hash: [3; 32],
                ..vote
            },
            VoteIntent {
                set_version: 2,
                root_hash: [3; 32],
                ..vote
            },
        ] {
            assert_eq!(
                store.record_intent(&fresh, 4_000).await.unwrap(),
                Intent::Recorded,
                "{backend:?}: {fresh:?}"
            );
        }
        // Out of range is an error, and records nothing.
        assert!(matches!(
            store
                .record_intent(
                    &VoteIntent {
                        epoch: u64::MAX,
                        ..vote
                    },
                    5_000
                )
                .await,
            Err(depin_oracle::store::StoreError::Range("epoch"))
        ));
        assert!(matches!(
            store
                .record_intent(
                    &VoteIntent {
                        epoch: 8,
                        leaves: u64::MAX,
                        ..vote
                    },
                    5_000
                )
                .await,
            Err(depin_oracle::store::StoreError::Range("leaves"))
        ));
        store.close().await;
        db.cleanup().await;
    }
}

/// Group commit (`insert_group`): several batches in one transaction, each all-or-nothing in
/// its own savepoint. A batch that replays a report stored by an earlier batch of the same
/// group, by an earlier transaction, or earlier in itself is refused alone, with its index;
/// the others commit, in order. The outcomes equal those of the batches stored one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_commit_refuses_each_replaying_batch_alone() {
    use depin_oracle::store::INSERT_CHUNK;
    let hb = |dev: u8, nonce: u64| signed(dev, START + nonce as i64 % 50, nonce, heartbeat(None));
    let stored_before = vec![hb(9, 1), hb(9, 2)];
    let a: Vec<SignedReport> = (0..(INSERT_CHUNK as u64 + 3)).map(|n| hb(1, n)).collect();
    // B is new except index 2, which repeats A's last report (same group, earlier batch).
    let b = vec![hb(2, 0), hb(2, 1), a[INSERT_CHUNK + 2].clone(), hb(2, 3)];
    let c = vec![hb(3, 0), hb(3, 1)];
    // D repeats a report stored by an earlier transaction.
    let d = vec![hb(4, 0), stored_before[1].clone()];
    // E repeats itself.
    let e = vec![hb(5, 0), hb(5, 1), hb(5, 0)];
    // F is new, and uses the nonces B would have stored (B was rolled back).
    let f = vec![hb(2, 0), hb(2, 1)];
    let expected = vec![
        Inserted::Committed,
        Inserted::Replayed {
            index: 2,
            stored: Some(a[INSERT_CHUNK + 2].signature),
        },
        Inserted::Committed,
        Inserted::Replayed {
            index: 1,
            stored: Some(stored_before[1].signature),
        },
        Inserted::Replayed {
            index: 2,
            stored: None,
        },
        Inserted::Committed,
    ];
    for backend in backends() {
        // Grouped.
        let db = TestDb::new(backend);
        let store = db.store().await;
        store.insert_all(&stored_before, 1).await.unwrap();
        let group: Vec<&[SignedReport]> = vec![&a, &b, &c, &d, &e, &f];
        assert_eq!(
            store.insert_group(&group, 2).await.unwrap(),
            expected,
            "{backend:?}"
        );
        let mut want = stored_before.clone();
        want.extend(a.iter().cloned());
        want.extend(c.iter().cloned());
        want.extend(f.iter().cloned());
        assert_eq!(contents(&store).await, want, "{backend:?}: stored rows");
        let at: Vec<i64> = store
            .all()
            .await
            .unwrap()
            .iter()
            .map(|r| r.received_at)
            .collect();
        assert_eq!(at[..2], [1, 1]);
        assert!(at[2..].iter().all(|t| *t == 2), "{backend:?}: {at:?}");
        store.close().await;
        db.cleanup().await;
        // One by one: the same outcomes and rows.
        let db = TestDb::new(backend);
        let store = db.store().await;
        store.insert_all(&stored_before, 1).await.unwrap();
        let mut one_by_one = Vec::new();
        for batch in &group {
            one_by_one.push(store.insert_all(batch, 2).await.unwrap());
        }
        assert_eq!(one_by_one, expected, "{backend:?}: one by one");
        assert_eq!(contents(&store).await, want, "{backend:?}: one by one");
        store.close().await;
        db.cleanup().await;
    }
}

/// The report writer groups the batches that wait while a commit is blocked: with the table
/// locked by another connection, the first batch's transaction waits, 19 more queue behind
/// it, and once the lock goes they are all stored by exactly two group commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_commits_waiting_batches_together() {
    use depin_oracle::store::writer::{GroupObserver, Writer};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Groups {
        started: Arc<Mutex<usize>>,
        done: Arc<Mutex<Vec<(usize, usize)>>>,
    }
    impl GroupObserver for Groups {
        fn started(&self, _: usize, _: usize) {
            *self.started.lock().unwrap() += 1;
        }
        fn group(&self, batches: usize, reports: usize) {
            self.done.lock().unwrap().push((batches, reports));
        }
    }
    async fn until(what: impl Fn() -> bool) {
        while !what() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    for backend in backends() {
        let db = TestDb::new(backend);
        let store = db.store().await;
        // Another connection holds the write lock.
        let mut sqlite_lock = None;
        let mut postgres_lock = None;
        match &store {
            Store::Sqlite(pool) => {
                let mut conn = pool.acquire().await.unwrap();
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                sqlite_lock = Some(conn);
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("LOCK TABLE reports IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                postgres_lock = Some(tx);
            }
        }
        let groups = Groups::default();
        let writer = Writer::spawn(store.clone(), 64, groups.clone());
        let batch = |dev: u8| -> Arc<[SignedReport]> {
            (0..50u64)
                .map(|n| signed(dev, START, n, heartbeat(None)))
                .collect()
        };
        let mut waiting = Vec::new();
        for dev in 1..=20u8 {
            let (w, reports) = (writer.clone(), batch(dev));
            waiting.push(tokio::spawn(async move { w.insert(reports).await }));
            if dev == 1 {
                // The first batch is taken alone, and its transaction waits for the lock.
                until(|| *groups.started.lock().unwrap() == 1).await;
            }
        }
        until(|| writer.queued() == 19).await;
        assert!(groups.done.lock().unwrap().is_empty(), "{backend:?}");
        if let Some(mut conn) = sqlite_lock {
            sqlx::query("ROLLBACK").execute(&mut *conn).await.unwrap();
        }
        if let Some(tx) = postgres_lock {
            tx.rollback().await.unwrap();
        }
        for w in waiting {
            assert_eq!(w.await.unwrap().unwrap(), Inserted::Committed);
        }
        assert_eq!(
            *groups.done.lock().unwrap(),
            vec![(1, 50), (19, 950)],
            "{backend:?}"
        );
        assert_eq!(store.count().await.unwrap(), 1000);
        drop(writer);
        store.close().await;
        db.cleanup().await;
    }
}
