//! The durable job queue: claims, leases, retries, unique keys.

use super::*;

on_both_backends!(jobs_enqueue_and_unique_key, |store: Store| async move {
    let mut keyed = job("report.daily", at(0));
    keyed.unique_key = Some("report:2024-01-01".to_string());
    let id = store
        .enqueue_job(&keyed, at(0))
        .await
        .unwrap()
        .expect("queued");
    assert_eq!(
        store.enqueue_job(&keyed, at(1)).await.unwrap(),
        None,
        "deduplicated while queued"
    );
    // Jobs without a key are never deduplicated.
    let a = store
        .enqueue_job(&job("plain", at(5)), at(0))
        .await
        .unwrap();
    let b = store
        .enqueue_job(&job("plain", at(5)), at(0))
        .await
        .unwrap();
    assert!(a.is_some() && b.is_some() && a != b);

    let j = store.job(id).await.unwrap();
    assert_eq!(j.kind, "report.daily");
    assert_eq!(j.payload, "{\"kind\":\"report.daily\"}");
    assert_eq!(j.unique_key.as_deref(), Some("report:2024-01-01"));
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.run_at, at(0));
    assert_eq!(j.attempts, 0);
    assert_eq!(j.max_attempts, 3);
    assert_eq!(j.created_at, at(0));
    assert_eq!(j.lease_until, None);
    assert_not_found(store.job(JobId::random()).await);

    // Once it runs, the key is free for the next run.
    let claimed = store
        .claim_job("w1", at(0), at(30))
        .await
        .unwrap()
        .expect("due");
    assert_eq!(claimed.id, id);
    let next = store
        .enqueue_job(&keyed, at(2))
        .await
        .unwrap()
        .expect("a new run may be queued");
    assert_ne!(next, id);
    assert_eq!(store.enqueue_job(&keyed, at(3)).await.unwrap(), None);
});

on_both_backends!(jobs_claim_due_only_and_lease, |store: Store| async move {
    let later = store
        .enqueue_job(&job("later", at(100)), at(0))
        .await
        .unwrap()
        .unwrap();
    let first = store
        .enqueue_job(&job("due", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    let older = store
        .enqueue_job(&job("overdue", at(-10)), at(0))
        .await
        .unwrap()
        .unwrap();

    let c = store
        .claim_job("w1", at(1), at(31))
        .await
        .unwrap()
        .expect("due");
    assert_eq!(c.id, older, "the most overdue job first");
    assert_eq!(c.state, JobState::Running);
    assert_eq!(c.attempts, 1);
    assert_eq!(c.locked_by.as_deref(), Some("w1"));
    assert_eq!(c.lease_until, Some(at(31)));
    assert_eq!(
        store
            .claim_job("w2", at(1), at(31))
            .await
            .unwrap()
            .unwrap()
            .id,
        first
    );
    assert!(
        store
            .claim_job("w3", at(2), at(32))
            .await
            .unwrap()
            .is_none(),
        "the future job is not due"
    );
    assert!(
        store
            .claim_job("w3", at(30), at(60))
            .await
            .unwrap()
            .is_none(),
        "live leases are respected"
    );
    assert!(store.complete_job(older, "w1", at(30), None).await.unwrap());
    assert!(store.complete_job(first, "w2", at(30), None).await.unwrap());
    assert!(
        store
            .claim_job("w3", at(99), at(129))
            .await
            .unwrap()
            .is_none()
    );
    let l = store
        .claim_job("w3", at(100), at(130))
        .await
        .unwrap()
        .expect("due now");
    assert_eq!(l.id, later);
    assert_eq!(store.job(later).await.unwrap().state, JobState::Running);
});

on_both_backends!(jobs_lease_expiry_takeover, |store: Store| async move {
    let id = store
        .enqueue_job(&job("work", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    let c1 = store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
    assert_eq!(c1.id, id);
    assert!(
        store
            .claim_job("w2", at(10), at(40))
            .await
            .unwrap()
            .is_none(),
        "not while the lease is live"
    );
    assert!(store.extend_job_lease(id, "w1", at(60)).await.unwrap());
    assert!(
        !store.extend_job_lease(id, "w2", at(90)).await.unwrap(),
        "only the holder extends"
    );
    assert!(
        store
            .claim_job("w2", at(45), at(75))
            .await
            .unwrap()
            .is_none(),
        "the extended lease holds"
    );

    let c2 = store
        .claim_job("w2", at(60), at(90))
        .await
        .unwrap()
        .expect("lease expired");
    assert_eq!(c2.id, id);
    assert_eq!(c2.attempts, 2);
    assert_eq!(c2.locked_by.as_deref(), Some("w2"));

    assert!(
        !store.complete_job(id, "w1", at(61), None).await.unwrap(),
        "the first worker lost the job"
    );
    assert!(
        !store
            .fail_job(id, "w1", at(61), "late", None)
            .await
            .unwrap()
    );
    assert!(!store.extend_job_lease(id, "w1", at(120)).await.unwrap());
    assert_eq!(store.job(id).await.unwrap().state, JobState::Running);

    assert!(store.complete_job(id, "w2", at(62), None).await.unwrap());
    let done = store.job(id).await.unwrap();
    assert_eq!(done.state, JobState::Done);
    assert_eq!(done.finished_at, Some(at(62)));
    assert!(
        !store.complete_job(id, "w2", at(63), None).await.unwrap(),
        "done once"
    );
    assert!(
        store
            .claim_job("w3", at(1000), at(1030))
            .await
            .unwrap()
            .is_none(),
        "done jobs are not claimed"
    );
});

on_both_backends!(jobs_complete_queues_next, |store: Store| async move {
    let id = store
        .enqueue_job(&job("recurring", at(0)), at(0))
        .await
        .unwrap()
        .unwrap();
    store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
    let mut next = job("recurring", at(3600));
    next.unique_key = Some("recurring".to_string());
    assert!(
        store
            .complete_job(id, "w1", at(5), Some(&next))
            .await
            .unwrap()
    );

    assert!(
        store
            .claim_job("w1", at(3599), at(3630))
            .await
            .unwrap()
            .is_none()
    );
    let n = store
        .claim_job("w1", at(3600), at(3630))
        .await
        .unwrap()
        .expect("next run");
    assert_ne!(n.id, id);
    assert_eq!(n.kind, "recurring");
    assert_eq!(n.attempts, 1);
    assert_eq!(n.created_at, at(5));
    assert!(
        store
            .complete_job(n.id, "w1", at(3601), None)
            .await
            .unwrap()
    );

    // A lost lease does not queue the successor.
    let lost = store
        .enqueue_job(&job("other", at(4000)), at(0))
        .await
        .unwrap()
        .unwrap();
    store
        .claim_job("w1", at(4000), at(4010))
        .await
        .unwrap()
        .unwrap();
    store
        .claim_job("w2", at(4011), at(4040))
        .await
        .unwrap()
        .unwrap();
    let mut successor = job("successor", at(0));
    successor.unique_key = Some("successor".to_string());
    assert!(
        !store
            .complete_job(lost, "w1", at(4012), Some(&successor))
            .await
            .unwrap()
    );
    assert!(
        store
            .enqueue_job(&successor, at(4013))
            .await
            .unwrap()
            .is_some(),
        "nothing was queued"
    );
});

on_both_backends!(
    jobs_fail_retry_dead_and_requeue,
    |store: Store| async move {
        let id = store
            .enqueue_job(&job("flaky", at(0)), at(0))
            .await
            .unwrap()
            .unwrap();
        store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert!(
            !store
                .fail_job(id, "w2", at(1), "not mine", Some(at(10)))
                .await
                .unwrap()
        );
        assert!(
            store
                .fail_job(id, "w1", at(1), "timeout", Some(at(100)))
                .await
                .unwrap()
        );
        let j = store.job(id).await.unwrap();
        assert_eq!(j.state, JobState::Queued);
        assert_eq!(j.run_at, at(100));
        assert_eq!(j.last_error.as_deref(), Some("timeout"));
        assert_eq!(j.attempts, 1);

        assert!(
            store
                .claim_job("w1", at(99), at(129))
                .await
                .unwrap()
                .is_none(),
            "not before retry_at"
        );
        let again = store
            .claim_job("w1", at(100), at(130))
            .await
            .unwrap()
            .expect("retried");
        assert_eq!(again.attempts, 2);
        assert!(
            store
                .fail_job(id, "w1", at(101), "gave up", None)
                .await
                .unwrap()
        );
        let dead = store.job(id).await.unwrap();
        assert_eq!(dead.state, JobState::Dead);
        assert_eq!(dead.finished_at, Some(at(101)));
        assert_eq!(dead.last_error.as_deref(), Some("gave up"));
        assert!(
            store
                .claim_job("w1", at(10_000), at(10_030))
                .await
                .unwrap()
                .is_none(),
            "dead jobs are not claimed"
        );

        let listed = store.list_jobs(JobState::Dead, 10).await.unwrap();
        assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
        assert!(
            store
                .list_jobs(JobState::Queued, 10)
                .await
                .unwrap()
                .is_empty()
        );

        store.requeue_dead_job(id, at(200)).await.unwrap();
        let j = store.job(id).await.unwrap();
        assert_eq!(j.state, JobState::Queued);
        assert_eq!(j.attempts, 0);
        assert_eq!(j.run_at, at(200));
        assert_eq!(j.finished_at, None);
        assert!(
            store
                .list_jobs(JobState::Dead, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_not_found(store.requeue_dead_job(id, at(201)).await);
        assert_not_found(store.requeue_dead_job(JobId::random(), at(201)).await);
        let c = store
            .claim_job("w1", at(200), at(230))
            .await
            .unwrap()
            .expect("requeued");
        assert_eq!((c.id, c.attempts), (id, 1));
    }
);

on_both_backends!(
    jobs_requeue_respects_unique_key,
    |store: Store| async move {
        let mut keyed = job("sync", at(0));
        keyed.unique_key = Some("sync".to_string());
        let id = store.enqueue_job(&keyed, at(0)).await.unwrap().unwrap();
        store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert!(store.fail_job(id, "w1", at(1), "boom", None).await.unwrap());
        let fresh = store
            .enqueue_job(&keyed, at(2))
            .await
            .unwrap()
            .expect("key free again");

        let r = store.requeue_dead_job(id, at(3)).await;
        assert!(
            matches!(
                r,
                Err(StoreError::Conflict {
                    what: courrier_domain::codes::JOB_ALREADY_QUEUED
                })
            ),
            "{r:?}"
        );
        assert_eq!(store.job(id).await.unwrap().state, JobState::Dead);
        assert_eq!(
            store
                .list_jobs(JobState::Queued, 10)
                .await
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>(),
            [fresh]
        );
    }
);

on_both_backends!(
    jobs_lease_expired_on_last_attempt_dies,
    |store: Store| async move {
        let mut once = job("once", at(0));
        once.max_attempts = 1;
        let id = store.enqueue_job(&once, at(0)).await.unwrap().unwrap();
        let c = store.claim_job("w1", at(0), at(30)).await.unwrap().unwrap();
        assert_eq!((c.id, c.attempts), (id, 1));

        assert!(
            store
                .claim_job("w2", at(29), at(59))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.job(id).await.unwrap().state,
            JobState::Running,
            "lease still live"
        );
        assert!(
            store
                .claim_job("w2", at(30), at(60))
                .await
                .unwrap()
                .is_none(),
            "not claimed again"
        );
        let swept = store.sweep_expired_jobs(at(30)).await.unwrap();
        assert_eq!(swept.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        assert!(store.sweep_expired_jobs(at(31)).await.unwrap().is_empty());
        let dead = store.job(id).await.unwrap();
        assert_eq!(dead.state, JobState::Dead);
        assert_eq!(dead.attempts, 1);
        assert_eq!(dead.finished_at, Some(at(30)));
        assert!(dead.last_error.is_some());
        assert_eq!(
            store
                .list_jobs(JobState::Dead, 10)
                .await
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>(),
            [id]
        );
        assert!(
            !store.complete_job(id, "w1", at(31), None).await.unwrap(),
            "too late to complete"
        );
    }
);

on_both_backends!(
    jobs_exactly_once_under_concurrency,
    |store: Store| async move {
        let mut ids = HashSet::new();
        for i in 0..200 {
            ids.insert(
                store
                    .enqueue_job(&job(&format!("bulk-{i}"), at(i % 7)), at(0))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(ids.len(), 200);

        let workers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let name = format!("worker-{w}");
                    let mut claimed = Vec::new();
                    while let Some(j) = store.claim_job(&name, at(10), at(600)).await.unwrap() {
                        assert_eq!(j.attempts, 1, "claimed once");
                        assert!(store.complete_job(j.id, &name, at(11), None).await.unwrap());
                        claimed.push(j.id);
                    }
                    claimed
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        assert_eq!(all.len(), 200, "no job claimed twice or skipped");
        assert_eq!(
            all.iter().copied().collect::<HashSet<_>>(),
            ids,
            "every job claimed exactly once"
        );

        let done = store.list_jobs(JobState::Done, 500).await.unwrap();
        assert_eq!(done.len(), 200);
        assert!(
            done.iter()
                .all(|j| j.attempts == 1 && j.finished_at == Some(at(11)))
        );
        assert!(
            store
                .list_jobs(JobState::Queued, 500)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .list_jobs(JobState::Running, 500)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

on_both_backends!(
    jobs_retry_superseded_by_newer_queued_run,
    |store: Store| async move {
        let mut first = job("recurring", at(0));
        first.unique_key = Some("recurring:x".into());
        let id = store.enqueue_job(&first, at(0)).await.unwrap().unwrap();
        let claimed = store.claim_job("w1", at(0), at(60)).await.unwrap().unwrap();
        assert_eq!(claimed.id, id);
        // While it runs, another process queues the next run with the same key.
        let newer = store.enqueue_job(&first, at(1)).await.unwrap().unwrap();
        // The retry of the running one would make two queued runs: it gives way.
        assert!(
            store
                .fail_job(id, "w1", at(2), "boom", Some(at(30)))
                .await
                .unwrap()
        );
        let old = store.job(id).await.unwrap();
        assert_eq!(old.state, JobState::Dead);
        assert!(old.last_error.unwrap().contains("superseded"));
        assert_eq!(store.job(newer).await.unwrap().state, JobState::Queued);
    }
);
