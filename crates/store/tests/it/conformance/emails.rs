//! The e-mail outbox.

use super::*;

on_both_backends!(emails_outbox, |store: Store| async move {
    let first = outgoing_email("anna@example.ch", "Welcome");
    store
        .enqueue_email(&first, &delivery(&first, at(0)), at(10))
        .await
        .unwrap();

    let stored = store.email(first.id).await.unwrap();
    assert_eq!(stored.to.as_str(), "anna@example.ch");
    assert_eq!(stored.subject, "Welcome");
    assert_eq!(stored.body_text, "text of Welcome");
    assert_eq!(stored.body_html, "<p>Welcome</p>");
    assert_eq!(
        stored.state,
        EmailState::Pending,
        "a new message is pending whatever the record says"
    );
    assert_eq!(stored.attempts, 0);
    assert_eq!(stored.created_at, at(10));
    assert_eq!(stored.sent_at, None);
    assert_not_found(store.email(courrier_domain::EmailId::random()).await);

    let j = store
        .claim_job("mailer", at(10), at(40))
        .await
        .unwrap()
        .expect("delivery job");
    assert_eq!(j.kind, "email.send");
    assert_eq!(j.payload, first.id.to_string());
    assert_eq!(j.max_attempts, 5);

    // The same message again: nothing is stored, and no job is queued either.
    assert!(
        store
            .enqueue_email(&first, &delivery(&first, at(0)), at(11))
            .await
            .is_err()
    );
    assert!(
        store
            .claim_job("mailer", at(12), at(40))
            .await
            .unwrap()
            .is_none(),
        "no orphan job"
    );

    store
        .record_email_attempt(first.id, EmailState::Failed, Some("421 try later"), at(20))
        .await
        .unwrap();
    let e = store.email(first.id).await.unwrap();
    assert_eq!((e.state, e.attempts), (EmailState::Failed, 1));
    assert_eq!(e.last_error.as_deref(), Some("421 try later"));
    assert_eq!(e.sent_at, None);

    store
        .record_email_attempt(first.id, EmailState::Sent, None, at(30))
        .await
        .unwrap();
    let e = store.email(first.id).await.unwrap();
    assert_eq!((e.state, e.attempts), (EmailState::Sent, 2));
    assert_eq!(e.last_error, None);
    assert_eq!(e.sent_at, Some(at(30)));

    let second = outgoing_email("bert@example.ch", "Reminder");
    store
        .enqueue_email(&second, &delivery(&second, at(50)), at(50))
        .await
        .unwrap();
    let recent = store.recent_emails(10).await.unwrap();
    assert_eq!(
        recent.iter().map(|e| e.id).collect::<Vec<_>>(),
        [second.id, first.id],
        "newest first"
    );
    assert_eq!(store.recent_emails(1).await.unwrap().len(), 1);
});
