//! App-layer integration tests. Each test body is written once and runs on
//! both backends: `<name>::sqlite` and `<name>::postgres`, each with a fresh
//! database, its own blob directory, a random master key and a manual clock.
//! `cargo test -p courrier-app --test it app::` runs them; a name ending in `::sqlite` or `::postgres` is one backend.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::auth::SessionStage;
use courrier_app::email::Mailer;
use courrier_app::jobs::{
    JobKind, LEASE_SECS, backoff_secs, ensure_recurring_jobs, run_due_jobs_once,
};
use courrier_domain::audit::ChainBreak;
use courrier_domain::codes;
use courrier_domain::{ActorKind, Locale, OrgKind, Permission, Role, Timestamp, UserId};
use courrier_store::{EmailState, JobRecord, JobState};
use std::path::Path;

on_both_backends!(
    smtp_delivery_through_a_real_server,
    email_retries_with_backoff_then_dead_letter,
    email_without_smtp_stays_in_the_outbox,
    expired_lease_is_taken_over,
    recurring_cleanup_job,
    login_and_throttling,
    parallel_guesses_stay_within_the_limit,
    two_factor_enrolment_and_sign_in,
    org_requires_two_factor,
    invitations_and_roles,
    tenancy_every_id_is_scoped,
    api_keys,
    documents_encrypted_at_rest_and_shredded,
    audit_chain_detects_tampering,
    password_reset,
    no_one_grants_more_than_they_hold,
    removal_and_demotion_revoke_what_the_person_handed_out,
    organisations_keep_a_time_zone,
);

const FROM: &str = "Courrier <noreply@courrier.test>";

// ----- helpers -----

async fn outbox_len(env: &Env) -> usize {
    env.app.store.recent_emails(500).await.unwrap().len()
}

async fn jobs_in(env: &Env, state: JobState, kind: &str) -> Vec<JobRecord> {
    env.app
        .store
        .list_jobs(state, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == kind)
        .collect()
}

/// A six-digit code that is not accepted now (not the code of the previous,
/// current or next 30-second step).
async fn wrong_totp_code(env: &Env, user: UserId) -> String {
    let mut near = Vec::new();
    for d in [-30, 0, 30] {
        env.advance(d);
        near.push(env.app.current_totp_code(user).await.unwrap());
        env.advance(-d);
    }
    (0..1_000_000)
        .map(|i| format!("{i:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

// ----- 1. e-mail through a real SMTP server -----

async fn smtp_delivery_through_a_real_server(backend: Backend) {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let mailer = Mailer::smtp(&smtp.url(), FROM).unwrap();
    let env = Env::with_mailer(backend, mailer).await;
    let org = env.org("acme").await;

    let (_, link) = env
        .app
        .invite(&org.actor, "  Bob.Martin@Example.TEST ", "member")
        .await
        .unwrap();
    assert!(
        link.starts_with("https://courrier.test/invitations/"),
        "{link}"
    );
    let outbox = env.app.store.recent_emails(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let email_id = outbox[0].id;
    assert_eq!(outbox[0].state, EmailState::Pending);
    assert!(
        smtp.messages().is_empty(),
        "nothing is sent before the job runs"
    );

    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 1);

    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        1,
        "exactly one message delivered: {messages:?}"
    );
    let mail = parse_mail(&messages[0]);
    assert_eq!(
        mail.header("X-RcptTo"),
        Some("bob.martin@example.test"),
        "envelope recipient"
    );
    assert_eq!(
        mail.header("X-MailFrom"),
        Some("noreply@courrier.test"),
        "envelope sender"
    );
    assert!(
        mail.header("To")
            .unwrap()
            .contains("bob.martin@example.test")
    );
    assert!(
        mail.header("From")
            .unwrap()
            .contains("noreply@courrier.test")
    );
    assert_eq!(
        mail.header("Subject"),
        Some("You are invited to acme SA on Courrier")
    );
    assert!(
        mail.header("Message-ID")
            .unwrap()
            .contains(&email_id.to_string())
    );
    let text = mail
        .part("text/plain")
        .unwrap_or_else(|| panic!("no text part: {mail:?}"));
    assert!(text.contains(&link), "text part carries the link: {text}");
    assert!(
        text.contains("Admin acme invites you to join acme SA on Courrier as member."),
        "{text}"
    );
    let html = mail.part("text/html").unwrap();
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");

    let email = env.app.store.email(email_id).await.unwrap();
    assert_eq!(email.state, EmailState::Sent);
    assert_eq!(email.attempts, 1);
    assert_eq!(email.sent_at, Some(env.now()));
    assert_eq!(email.last_error, None);
    let done = jobs_in(&env, JobState::Done, "email.deliver").await;
    assert_eq!(done.len(), 1);
    assert_eq!(
        JobKind::parse(&done[0].kind, &done[0].payload).unwrap(),
        JobKind::DeliverEmail {
            email: email_id.as_uuid()
        }
    );
    assert_eq!(done[0].attempts, 1);

    // Nothing is sent twice.
    env.advance(3600);
    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 0);
    assert_eq!(smtp.messages().len(), 1);

    // The delivered link works.
    env.app
        .accept_invitation(&token_of(&link), "Bob Martin", PASSWORD, Locale::En)
        .await
        .unwrap();
    env.close().await;
    drop(smtp);
}

// ----- 2. retries, backoff and dead-letter -----

async fn email_retries_with_backoff_then_dead_letter(backend: Backend) {
    let (_reserved, closed) = closed_port();
    let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{closed}"), FROM).unwrap();
    let env = Env::with_mailer(backend, mailer).await;
    let org = env.org("acme").await;
    env.app
        .invite(&org.actor, "bob@example.test", "member")
        .await
        .unwrap();
    let email_id = env.app.store.recent_emails(1).await.unwrap()[0].id;
    let queued = jobs_in(&env, JobState::Queued, "email.deliver").await;
    assert_eq!(queued.len(), 1);
    let job_id = queued[0].id;
    assert_eq!(
        JobKind::parse(&queued[0].kind, &queued[0].payload).unwrap(),
        JobKind::DeliverEmail {
            email: email_id.as_uuid()
        }
    );
    let max = queued[0].max_attempts;
    assert_eq!(max, 8);

    for attempt in 1..=max {
        assert_eq!(
            run_due_jobs_once(&env.app).await.unwrap(),
            1,
            "attempt {attempt} runs"
        );
        let job = env.app.store.job(job_id).await.unwrap();
        let email = env.app.store.email(email_id).await.unwrap();
        assert_eq!(job.attempts, attempt);
        let job_error = job.last_error.clone().unwrap_or_default();
        assert!(
            job_error.contains("SMTP delivery failed"),
            "attempt {attempt}: {job_error}"
        );
        let email_error = email.last_error.clone().unwrap_or_default();
        assert!(
            email_error.contains("SMTP delivery failed"),
            "attempt {attempt}: {email_error}"
        );
        if attempt < max {
            let wait = backoff_secs(attempt);
            assert_eq!(job.state, JobState::Queued, "attempt {attempt}");
            assert_eq!(
                job.run_at,
                env.now().plus_seconds(wait),
                "attempt {attempt} waits {wait} s"
            );
            assert_eq!(job.lease_until, None);
            assert_eq!(email.state, EmailState::Pending);
            assert_eq!(email.attempts, attempt);
            // Not due before the backoff has passed.
            env.advance(wait - 1);
            assert_eq!(
                run_due_jobs_once(&env.app).await.unwrap(),
                0,
                "attempt {attempt}: too early"
            );
            assert_eq!(env.app.store.job(job_id).await.unwrap().attempts, attempt);
            env.advance(1);
        } else {
            assert_eq!(job.state, JobState::Dead);
            assert_eq!(job.finished_at, Some(env.now()));
            assert_eq!(email.state, EmailState::Failed);
            assert_eq!(email.sent_at, None);
            assert_eq!(
                email.attempts, max,
                "one recorded attempt per delivery attempt"
            );
        }
    }
    // The backoff doubled from 30 s.
    assert_eq!(
        (1..8).map(backoff_secs).collect::<Vec<_>>(),
        vec![30, 60, 120, 240, 480, 960, 1920]
    );

    let dead = env.app.store.list_jobs(JobState::Dead, 10).await.unwrap();
    assert_eq!(dead.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job_id]);
    env.advance(7 * 86_400);
    assert_eq!(
        run_due_jobs_once(&env.app).await.unwrap(),
        0,
        "a dead job never runs again"
    );
    env.close().await;
}

async fn email_without_smtp_stays_in_the_outbox(backend: Backend) {
    let env = Env::with_mailer(backend, Mailer::NotConfigured).await;
    let org = env.org("acme").await;
    let (_, link) = env
        .app
        .invite(&org.actor, "bob@example.test", "member")
        .await
        .unwrap();
    let email_id = env.app.store.recent_emails(1).await.unwrap()[0].id;

    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 1);
    let email = env.app.store.email(email_id).await.unwrap();
    assert_eq!(
        email.state,
        EmailState::Pending,
        "unsent, kept in the outbox"
    );
    assert_eq!(email.sent_at, None);
    assert_eq!(email.attempts, 1);
    let error = email.last_error.unwrap_or_default();
    assert!(
        error.contains("smtp_url"),
        "the outbox names the setting: {error}"
    );
    assert!(email.body_text.contains(&link), "the outbox keeps the text");

    // Not a dead job (nothing for the platform admin to requeue), and no retries.
    assert!(
        jobs_in(&env, JobState::Dead, "email.deliver")
            .await
            .is_empty()
    );
    assert_eq!(
        jobs_in(&env, JobState::Done, "email.deliver").await.len(),
        1
    );
    assert!(
        jobs_in(&env, JobState::Queued, "email.deliver")
            .await
            .is_empty()
    );

    env.advance(86_400);
    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 0);
    assert_eq!(env.app.store.email(email_id).await.unwrap().attempts, 1);
    // The invitation itself still works: the admin can pass the link on.
    env.app
        .accept_invitation(&token_of(&link), "Bob", PASSWORD, Locale::En)
        .await
        .unwrap();
    env.close().await;
}

// ----- 3. lease expiry -----

async fn expired_lease_is_taken_over(backend: Backend) {
    let env = Env::new(backend).await;
    // One job only, so nothing else is due while the lease holds.
    let job = courrier_app::jobs::JobKind::CleanupSignInState.to_job(env.now());
    env.app
        .store
        .enqueue_job(&job, env.now())
        .await
        .unwrap()
        .unwrap();
    let now = env.now();
    let claimed = env
        .app
        .store
        .claim_job("crashed-worker", now, now.plus_seconds(LEASE_SECS))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.kind, "signin.cleanup");
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(claimed.attempts, 1);

    // While the lease holds, nobody else runs the job.
    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 0);
    env.advance(LEASE_SECS - 1);
    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 0);
    assert_eq!(
        env.app
            .store
            .job(claimed.id)
            .await
            .unwrap()
            .locked_by
            .as_deref(),
        Some("crashed-worker")
    );

    env.advance(2);
    assert_eq!(
        run_due_jobs_once(&env.app).await.unwrap(),
        1,
        "the expired lease is taken over"
    );
    let job = env.app.store.job(claimed.id).await.unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.attempts, 2);
    assert!(
        job.locked_by
            .as_deref()
            .unwrap_or_default()
            .starts_with("inline-"),
        "{:?}",
        job.locked_by
    );
    assert_eq!(job.finished_at, Some(env.now()));

    // The crashed worker coming back cannot finish it a second time.
    assert!(
        !env.app
            .store
            .complete_job(claimed.id, "crashed-worker", env.now(), None)
            .await
            .unwrap()
    );
    assert_eq!(
        env.app.store.job(claimed.id).await.unwrap().state,
        JobState::Done
    );
    assert_eq!(
        jobs_in(&env, JobState::Queued, "signin.cleanup")
            .await
            .len(),
        1,
        "one successor"
    );
    env.close().await;
}

// ----- 4. recurring job -----

async fn recurring_cleanup_job(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let t0 = env.now();
    ensure_recurring_jobs(&env.app).await.unwrap();
    ensure_recurring_jobs(&env.app).await.unwrap();
    let queued = jobs_in(&env, JobState::Queued, "signin.cleanup").await;
    assert_eq!(queued.len(), 1, "queued once however often it is ensured");
    assert_eq!(queued[0].run_at, t0);
    let first = queued[0].id;

    // A failed login the cleanup will eventually prune.
    env.app
        .login(&org.admin_email, "not the password", None)
        .await
        .unwrap_err();
    let key = format!("login:{}", org.admin_email);
    let failures = || {
        env.app
            .store
            .login_failures_since(&key, Timestamp::from_millis(0))
    };
    assert_eq!(failures().await.unwrap(), 1);

    // Every recurring job runs (the cleanup among them).
    assert!(run_due_jobs_once(&env.app).await.unwrap() >= 1);
    assert_eq!(
        env.app.store.job(first).await.unwrap().state,
        JobState::Done
    );
    let next = jobs_in(&env, JobState::Queued, "signin.cleanup").await;
    assert_eq!(next.len(), 1);
    assert_ne!(next[0].id, first);
    assert_eq!(
        next[0].run_at,
        t0.plus_seconds(3600),
        "next run one hour later"
    );
    assert_eq!(next[0].attempts, 0);
    ensure_recurring_jobs(&env.app).await.unwrap();
    let again = jobs_in(&env, JobState::Queued, "signin.cleanup").await;
    assert_eq!(
        again.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![next[0].id]
    );
    assert_eq!(run_due_jobs_once(&env.app).await.unwrap(), 0, "not due yet");
    assert_eq!(failures().await.unwrap(), 1, "recent failures are kept");

    env.advance(25 * 3600);
    // The recurring jobs again, the cleanup among them.
    assert!(run_due_jobs_once(&env.app).await.unwrap() >= 1);
    assert_eq!(
        failures().await.unwrap(),
        0,
        "failures older than a day are pruned"
    );
    assert_eq!(
        jobs_in(&env, JobState::Done, "signin.cleanup").await.len(),
        2
    );
    let next = jobs_in(&env, JobState::Queued, "signin.cleanup").await;
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].run_at, env.now().plus_seconds(3600));
    env.close().await;
}

// ----- 5. sign-in, throttling, 2FA -----

async fn login_and_throttling(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    env.person(&org, "mia@acme.test", Role::Member).await;

    let s = env
        .app
        .login(&org.admin_email, PASSWORD, Some(IP))
        .await
        .unwrap();
    assert!(!s.needs_second_factor);
    let ctx = env.session(&s.token).await;
    assert_eq!(ctx.user.id, org.admin);
    assert_eq!(ctx.org.id, org.id);
    assert_eq!(ctx.stage(), SessionStage::Complete);
    assert_eq!(ctx.session.ip.as_deref(), Some(IP));
    assert_eq!(ctx.actor(None).kind, ActorKind::User(org.admin));
    env.app
        .login(" ADMIN@Acme.TEST ", PASSWORD, None)
        .await
        .unwrap();

    // A wrong password and an unknown address answer alike.
    assert_eq!(
        invalid_code(
            env.app
                .login(&org.admin_email, "wrong password", None)
                .await
        ),
        "auth.bad_credentials"
    );
    assert_eq!(
        invalid_code(env.app.login("nobody@acme.test", PASSWORD, None).await),
        "auth.bad_credentials"
    );
    assert_eq!(
        invalid_code(env.app.login("not an address", PASSWORD, None).await),
        "auth.bad_credentials"
    );

    // A success clears the count: 4 failures so far for this address.
    for _ in 0..3 {
        env.app
            .login(&org.admin_email, "wrong password", None)
            .await
            .unwrap_err();
    }
    env.app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();

    for i in 0..5 {
        let r = env
            .app
            .login(&org.admin_email, "wrong password", None)
            .await;
        assert_eq!(invalid_code(r), "auth.bad_credentials", "failure {i}");
    }
    match env.app.login(&org.admin_email, PASSWORD, None).await {
        Err(AppError::Throttled { retry_after_secs }) => assert_eq!(retry_after_secs, 15 * 60),
        other => panic!("the 6th attempt must be throttled, got {other:?}"),
    }
    // Other addresses are not locked.
    assert!(
        !env.app
            .login("mia@acme.test", PASSWORD, None)
            .await
            .unwrap()
            .needs_second_factor
    );

    env.advance(14 * 60);
    assert!(matches!(
        env.app.login(&org.admin_email, PASSWORD, None).await,
        Err(AppError::Throttled { .. })
    ));
    env.advance(2 * 60);
    let s2 = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();

    // Sessions end on logout and after their lifetime.
    env.app.logout(&s2.token).await.unwrap();
    assert!(env.app.session(&s2.token).await.unwrap().is_none());
    assert!(env.app.session(&s.token).await.unwrap().is_some());
    env.advance(12 * 3600);
    assert!(
        env.app.session(&s.token).await.unwrap().is_none(),
        "sessions expire after 12 h"
    );
    env.close().await;
}

/// Attempts at once are recorded before they are counted: of 20 parallel
/// wrong passwords for one address only 5 reach the password check, and of
/// 20 parallel wrong codes only 5 are tried.
async fn parallel_guesses_stay_within_the_limit(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = env.app.clone();
            let email = org.admin_email.clone();
            tokio::spawn(async move { app.login(&email, "wrong password", Some(IP)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(match t.await.unwrap() {
            Err(AppError::Throttled { .. }) => "throttled".to_string(),
            other => invalid_code(other),
        });
    }
    let tried = outcomes
        .iter()
        .filter(|o| *o == "auth.bad_credentials")
        .count();
    assert_eq!(tried, 5, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| *o == "throttled").count(), 15);
    // Only the five tried count: the window closes on them, not on the refused.
    let key = format!("login:{}", org.admin_email);
    assert_eq!(
        env.app
            .store
            .login_failures_since(&key, Timestamp::from_millis(0))
            .await
            .unwrap(),
        5
    );

    // The same for second-factor codes.
    let (mia, _) = env.person(&org, "mia@acme.test", Role::Admin).await;
    let (_, ctx) = env.sign_in("mia@acme.test", PASSWORD).await;
    env.app.start_totp_enrolment(&ctx).await.unwrap();
    let code = env.app.current_totp_code(mia).await.unwrap();
    env.app.confirm_totp_enrolment(&ctx, &code).await.unwrap();
    let (_, ctx) = env.sign_in("mia@acme.test", PASSWORD).await;
    assert_eq!(ctx.stage(), SessionStage::NeedsSecondFactor);
    let wrong = wrong_totp_code(&env, mia).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = env.app.clone();
            let ctx = ctx.clone();
            let wrong = wrong.clone();
            tokio::spawn(async move { app.verify_second_factor(&ctx, &wrong).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(match t.await.unwrap() {
            Err(AppError::Throttled { .. }) => "throttled".to_string(),
            other => invalid_code(other),
        });
    }
    let tried = outcomes
        .iter()
        .filter(|o| *o == "auth.code_invalid")
        .count();
    assert_eq!(tried, 5, "{outcomes:?}");
    env.close().await;
}

async fn two_factor_enrolment_and_sign_in(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (_, ctx) = env.sign_in(&org.admin_email, PASSWORD).await;

    let enrolment = env.app.start_totp_enrolment(&ctx).await.unwrap();
    assert!(
        enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Courrier:admin%40acme.test?secret="),
        "{}",
        enrolment.otpauth_url
    );
    assert!(enrolment.otpauth_url.contains(&enrolment.secret_base32));
    // Within the session, reloading the page shows the same secret.
    let again = env.app.start_totp_enrolment(&ctx).await.unwrap();
    assert_eq!(again.secret_base32, enrolment.secret_base32);
    // A pending enrolment does not change sign-in yet; a new sign-in
    // discards the abandoned secret, so enrolment starts over with a new one.
    assert!(
        !env.app
            .login(&org.admin_email, PASSWORD, None)
            .await
            .unwrap()
            .needs_second_factor
    );
    assert!(
        env.app
            .store
            .user(org.admin)
            .await
            .unwrap()
            .totp_secret
            .is_none()
    );
    let renewed = env.app.start_totp_enrolment(&ctx).await.unwrap();
    assert_ne!(renewed.secret_base32, enrolment.secret_base32);
    // So does a new password (which also ends the person's sessions).
    let new_password = "another long passphrase 2";
    env.app
        .change_password(&ctx, PASSWORD, new_password)
        .await
        .unwrap();
    assert!(
        env.app
            .store
            .user(org.admin)
            .await
            .unwrap()
            .totp_secret
            .is_none()
    );
    let (_, ctx) = env.sign_in(&org.admin_email, new_password).await;
    env.app
        .change_password(&ctx, new_password, PASSWORD)
        .await
        .unwrap();
    let (token, ctx) = env.sign_in(&org.admin_email, PASSWORD).await;
    let renewed_again = env.app.start_totp_enrolment(&ctx).await.unwrap();
    assert_ne!(renewed_again.secret_base32, renewed.secret_base32);
    let (audit, _) = env.app.store.audit_chain(org.id).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "user.2fa_enrolment_discarded")
            .count(),
        2,
        "one by the sign-in, one by the new password"
    );

    let wrong = wrong_totp_code(&env, org.admin).await;
    assert_eq!(
        invalid_code(env.app.confirm_totp_enrolment(&ctx, &wrong).await),
        "auth.code_invalid"
    );
    assert!(!env.app.store.user(org.admin).await.unwrap().totp_enabled);

    let code = env.app.current_totp_code(org.admin).await.unwrap();
    let recovery = env.app.confirm_totp_enrolment(&ctx, &code).await.unwrap();
    assert_eq!(recovery.len(), 10);
    let distinct: std::collections::HashSet<_> = recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    assert!(env.app.store.user(org.admin).await.unwrap().totp_enabled);
    assert!(matches!(
        env.app.confirm_totp_enrolment(&ctx, &code).await,
        Err(AppError::Refused(codes::AUTH_2FA_ALREADY_ENABLED))
    ));
    assert_eq!(
        env.session(&token).await.stage(),
        SessionStage::Complete,
        "the enrolling session stays signed in"
    );

    // Starting over on an enabled account would turn 2FA off without the
    // password (and against the organisation's policy): refused.
    assert!(matches!(
        env.app.start_totp_enrolment(&ctx).await,
        Err(AppError::Refused(codes::AUTH_2FA_ALREADY_ENABLED))
    ));
    assert!(env.app.store.user(org.admin).await.unwrap().totp_enabled);
    assert_eq!(
        env.app
            .store
            .unused_recovery_codes(org.admin)
            .await
            .unwrap(),
        10
    );

    // A new sign-in now needs the second factor.
    env.advance(90);
    let s = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();
    assert!(s.needs_second_factor);
    let ctx2 = env.session(&s.token).await;
    assert_eq!(ctx2.stage(), SessionStage::NeedsSecondFactor);
    let wrong = wrong_totp_code(&env, org.admin).await;
    assert_eq!(
        invalid_code(env.app.verify_second_factor(&ctx2, &wrong).await),
        "auth.code_invalid"
    );
    assert_eq!(
        env.session(&s.token).await.stage(),
        SessionStage::NeedsSecondFactor
    );
    let code = env.app.current_totp_code(org.admin).await.unwrap();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    env.app.verify_second_factor(&ctx2, &spaced).await.unwrap();
    assert_eq!(env.session(&s.token).await.stage(), SessionStage::Complete);

    // A recovery code works once.
    let s3 = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();
    let ctx3 = env.session(&s3.token).await;
    env.app
        .verify_second_factor(&ctx3, &format!(" {} ", recovery[0].to_uppercase()))
        .await
        .unwrap();
    assert_eq!(env.session(&s3.token).await.stage(), SessionStage::Complete);
    assert_eq!(
        env.app
            .store
            .unused_recovery_codes(org.admin)
            .await
            .unwrap(),
        9
    );
    let s4 = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();
    let ctx4 = env.session(&s4.token).await;
    assert_eq!(
        invalid_code(env.app.verify_second_factor(&ctx4, &recovery[0]).await),
        "auth.code_invalid"
    );
    assert_eq!(
        env.session(&s4.token).await.stage(),
        SessionStage::NeedsSecondFactor
    );
    env.app
        .verify_second_factor(&ctx4, &recovery[1])
        .await
        .unwrap();
    assert_eq!(env.session(&s4.token).await.stage(), SessionStage::Complete);

    // Guessing codes is throttled like passwords.
    let s5 = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();
    let ctx5 = env.session(&s5.token).await;
    let wrong = wrong_totp_code(&env, org.admin).await;
    for _ in 0..5 {
        assert_eq!(
            invalid_code(env.app.verify_second_factor(&ctx5, &wrong).await),
            "auth.code_invalid"
        );
    }
    let code = env.app.current_totp_code(org.admin).await.unwrap();
    assert!(matches!(
        env.app.verify_second_factor(&ctx5, &code).await,
        Err(AppError::Throttled { .. })
    ));
    assert_eq!(
        env.session(&s5.token).await.stage(),
        SessionStage::NeedsSecondFactor
    );
    env.close().await;
}

async fn org_requires_two_factor(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (member, member_actor) = env.person(&org, "mia@acme.test", Role::Member).await;

    // The admin enrols.
    let (_, actx) = env.sign_in(&org.admin_email, PASSWORD).await;
    env.app.start_totp_enrolment(&actx).await.unwrap();
    let code = env.app.current_totp_code(org.admin).await.unwrap();
    env.app.confirm_totp_enrolment(&actx, &code).await.unwrap();

    assert!(matches!(
        env.app.set_require_2fa(&member_actor, true).await,
        Err(AppError::Forbidden(Permission::OrgSettings))
    ));
    env.app.set_require_2fa(&org.actor, true).await.unwrap();
    assert!(env.app.store.org(org.id).await.unwrap().require_2fa);

    // A person without 2FA must enrol before anything else.
    let (mtoken, mctx) = env.sign_in("mia@acme.test", PASSWORD).await;
    assert_eq!(mctx.stage(), SessionStage::MustEnrol);
    env.app.start_totp_enrolment(&mctx).await.unwrap();
    assert_eq!(
        env.session(&mtoken).await.stage(),
        SessionStage::MustEnrol,
        "pending enrolment is not enough"
    );
    let code = env.app.current_totp_code(member).await.unwrap();
    env.app.confirm_totp_enrolment(&mctx, &code).await.unwrap();
    assert_eq!(env.session(&mtoken).await.stage(), SessionStage::Complete);

    // The admin cannot turn 2FA off while the organisation requires it.
    let s = env
        .app
        .login(&org.admin_email, PASSWORD, None)
        .await
        .unwrap();
    let ctx = env.session(&s.token).await;
    env.app
        .verify_second_factor(&ctx, &env.app.current_totp_code(org.admin).await.unwrap())
        .await
        .unwrap();
    let ctx = env.session(&s.token).await;
    assert_eq!(ctx.stage(), SessionStage::Complete);
    assert!(matches!(
        env.app.disable_totp(&ctx, PASSWORD).await,
        Err(AppError::Refused(codes::AUTH_2FA_REQUIRED_BY_ORG))
    ));
    assert!(env.app.store.user(org.admin).await.unwrap().totp_enabled);

    // Once the policy is off: the password is checked, then 2FA goes.
    env.app.set_require_2fa(&org.actor, false).await.unwrap();
    let ctx = env.session(&s.token).await;
    assert_eq!(
        invalid_code(env.app.disable_totp(&ctx, "wrong password").await),
        "auth.bad_password"
    );
    env.app.disable_totp(&ctx, PASSWORD).await.unwrap();
    let admin = env.app.store.user(org.admin).await.unwrap();
    assert!(!admin.totp_enabled);
    assert_eq!(admin.totp_secret, None);
    assert_eq!(
        env.app
            .store
            .unused_recovery_codes(org.admin)
            .await
            .unwrap(),
        0
    );
    assert!(
        !env.app
            .login(&org.admin_email, PASSWORD, None)
            .await
            .unwrap()
            .needs_second_factor
    );
    env.close().await;
}

// ----- 6. invitations and roles -----

async fn invitations_and_roles(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (mia, mia_actor) = env.person(&org, "mia@acme.test", Role::Member).await;

    let (inv, link) = env
        .app
        .invite(&org.actor, "Carol@Example.test", " approver ")
        .await
        .unwrap();
    let token = token_of(&link);
    let view = env.app.invitation(&token).await.unwrap();
    assert_eq!(view.org_name, "acme SA");
    assert_eq!(view.invitation.id, inv);
    assert_eq!(view.invitation.email.as_str(), "carol@example.test");
    assert_eq!(view.invitation.role, Role::Approver);
    assert_eq!(view.invitation.invited_by, format!("user:{}", org.admin));
    assert_eq!(
        view.invitation.expires_at,
        env.now().plus_seconds(7 * 86_400)
    );
    assert!(
        env.app
            .list_invitations(&org.actor)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == inv)
    );
    let outbox = env.app.store.recent_emails(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to.as_str(), "carol@example.test");
    assert!(outbox[0].body_text.contains(&link));

    let carol = env
        .app
        .accept_invitation(&token, "Carol Blanc", PASSWORD, Locale::Fr)
        .await
        .unwrap();
    let rec = env.app.get_user(&org.actor, carol).await.unwrap();
    assert_eq!(rec.org, org.id);
    assert_eq!(rec.role, Role::Approver);
    assert_eq!(rec.display_name, "Carol Blanc");
    assert_eq!(rec.locale, "fr");
    env.app
        .login("carol@example.test", PASSWORD, None)
        .await
        .unwrap();

    // The link works once.
    assert!(matches!(
        env.app
            .accept_invitation(&token, "Mallory", PASSWORD, Locale::En)
            .await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        env.app.invitation(&token).await,
        Err(AppError::NotFound)
    ));
    assert!(
        !env.app
            .list_invitations(&org.actor)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == inv)
    );
    assert_eq!(
        env.app
            .list_users(&org.actor, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        3
    );

    // Refusals.
    assert!(matches!(
        env.app.invite(&mia_actor, "x@example.test", "member").await,
        Err(AppError::Forbidden(Permission::UsersManage))
    ));
    assert!(matches!(
        env.app.change_role(&mia_actor, mia, "admin").await,
        Err(AppError::Forbidden(Permission::UsersManage))
    ));
    assert!(matches!(
        env.app
            .invite(&org.actor, " CAROL@example.TEST", "member")
            .await,
        Err(AppError::Conflict(codes::USER_EMAIL_TAKEN))
    ));
    assert_eq!(
        invalid_code(
            env.app
                .invite(&org.actor, "dan@example.test", "clerk")
                .await
        ),
        "role.not_for_org_kind"
    );
    assert_eq!(
        invalid_code(
            env.app
                .invite(&org.actor, "dan@example.test", "wizard")
                .await
        ),
        "role.unknown"
    );
    assert_eq!(
        invalid_code(env.app.invite(&org.actor, "dan", "member").await),
        "email.invalid"
    );
    assert_eq!(
        invalid_code(env.app.change_role(&org.actor, carol, "clerk").await),
        "role.not_for_org_kind"
    );
    assert!(matches!(
        env.app
            .accept_invitation("no-such-token", "X", PASSWORD, Locale::En)
            .await,
        Err(AppError::NotFound)
    ));
    assert_eq!(
        outbox_len(&env).await,
        1,
        "refused invitations send nothing"
    );

    // Revoked and expired invitations cannot be accepted.
    let (dan_inv, dan_link) = env
        .app
        .invite(&org.actor, "dan@example.test", "member")
        .await
        .unwrap();
    env.app
        .revoke_invitation(&org.actor, dan_inv)
        .await
        .unwrap();
    assert!(matches!(
        env.app.revoke_invitation(&org.actor, dan_inv).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        env.app
            .accept_invitation(&token_of(&dan_link), "Dan", PASSWORD, Locale::En)
            .await,
        Err(AppError::NotFound)
    ));
    let (_, eve_link) = env
        .app
        .invite(&org.actor, "eve@example.test", "member")
        .await
        .unwrap();
    env.advance(7 * 86_400 + 1);
    assert!(matches!(
        env.app
            .accept_invitation(&token_of(&eve_link), "Eve", PASSWORD, Locale::En)
            .await,
        Err(AppError::NotFound)
    ));

    // Roles change; the last user manager stays.
    let rec = env
        .app
        .change_role(&org.actor, carol, " member ")
        .await
        .unwrap();
    assert_eq!(rec.role, Role::Member);
    assert_eq!(
        env.app.get_user(&org.actor, carol).await.unwrap().role,
        Role::Member
    );
    assert!(matches!(
        env.app.change_role(&org.actor, org.admin, "member").await,
        Err(AppError::Refused(codes::USER_LAST_MANAGER))
    ));
    assert!(matches!(
        env.app.remove_user(&org.actor, org.admin).await,
        Err(AppError::Refused(codes::USER_LAST_MANAGER))
    ));
    assert_eq!(
        env.app.get_user(&org.actor, org.admin).await.unwrap().role,
        Role::Admin
    );

    // With a second admin, the first may step down and people can be removed.
    env.app
        .change_role(&org.actor, carol, "admin")
        .await
        .unwrap();
    env.app
        .change_role(&org.actor, org.admin, "approver")
        .await
        .unwrap();
    let carol_actor =
        courrier_domain::Actor::user(carol, org.id, OrgKind::Customer, Role::Admin, None);
    assert!(matches!(
        env.app.remove_user(&carol_actor, carol).await,
        Err(AppError::Refused(codes::USER_LAST_MANAGER))
    ));
    let (mia_token, _) = env.sign_in("mia@acme.test", PASSWORD).await;
    env.app.remove_user(&carol_actor, mia).await.unwrap();
    assert!(matches!(
        env.app.get_user(&carol_actor, mia).await,
        Err(AppError::NotFound)
    ));
    assert!(
        env.app.session(&mia_token).await.unwrap().is_none(),
        "a removed person's sessions end"
    );
    assert_eq!(
        invalid_code(env.app.login("mia@acme.test", PASSWORD, None).await),
        "auth.bad_credentials"
    );
    assert!(matches!(
        env.app.remove_user(&carol_actor, mia).await,
        Err(AppError::NotFound)
    ));

    // A mail center gives mail-center roles only.
    let mc = env
        .org_of_kind("mc", OrgKind::MailCenter, Role::Owner)
        .await;
    env.app
        .invite(&mc.actor, "clerk@mc.test", "clerk")
        .await
        .unwrap();
    assert_eq!(
        invalid_code(env.app.invite(&mc.actor, "m@mc.test", "member").await),
        "role.not_for_org_kind"
    );
    env.close().await;
}

// ----- 7. tenancy -----

async fn tenancy_every_id_is_scoped(backend: Backend) {
    let env = Env::new(backend).await;
    let a = env.org("alpha").await;
    let b = env.org("beta").await;
    let (b_member, _) = env.person(&b, "mia@beta.test", Role::Member).await;
    let (b_inv, b_link) = env
        .app
        .invite(&b.actor, "new@beta.test", "member")
        .await
        .unwrap();
    let (b_key, b_secret) = env
        .app
        .create_api_key(&b.actor, "beta key", &[Permission::LettersSend])
        .await
        .unwrap();
    let b_scope = b.actor.scope(Permission::LettersSend).unwrap();
    let b_doc = env
        .app
        .store_document(&b_scope, b"beta's letter", "text/plain")
        .await
        .unwrap();

    let (_, a_secret) = env
        .app
        .create_api_key(
            &a.actor,
            "alpha key",
            &[
                Permission::UsersManage,
                Permission::ApiKeysManage,
                Permission::LettersSend,
            ],
        )
        .await
        .unwrap();
    let a_key_actor = env.app.authenticate_api_key(&a_secret, None).await.unwrap();
    assert_eq!(a_key_actor.org, a.id);

    for actor in [&a.actor, &a_key_actor] {
        let who = actor.label();
        let nf = |r: &Result<_, AppError>| matches!(r, Err(AppError::NotFound));
        assert!(
            nf(&env.app.get_user(actor, b.admin).await.map(|_| ())),
            "{who}: get_user"
        );
        assert!(
            nf(&env.app.get_user(actor, b_member).await.map(|_| ())),
            "{who}: get_user"
        );
        assert!(
            nf(&env
                .app
                .change_role(actor, b_member, "admin")
                .await
                .map(|_| ())),
            "{who}: change_role"
        );
        assert!(
            nf(&env.app.remove_user(actor, b_member).await),
            "{who}: remove_user"
        );
        assert!(
            nf(&env.app.remove_user(actor, b.admin).await),
            "{who}: remove_user admin"
        );
        assert!(
            nf(&env.app.revoke_invitation(actor, b_inv).await),
            "{who}: revoke_invitation"
        );
        assert!(
            nf(&env.app.revoke_api_key(actor, b_key.id).await),
            "{who}: revoke_api_key"
        );
        let scope = actor.scope(Permission::LettersSend).unwrap();
        assert!(
            nf(&env.app.read_document(&scope, b_doc).await.map(|_| ())),
            "{who}: read_document"
        );
        assert!(
            nf(&env.app.shred_document(&scope, b_doc).await),
            "{who}: shred_document"
        );
    }

    // Lists show one organisation only.
    let users = env.app.list_users(&a.actor, None, 200).await.unwrap().items;
    assert!(
        users.iter().all(|u| u.org == a.id) && users.len() == 1,
        "{users:?}"
    );
    assert!(env.app.list_invitations(&a.actor).await.unwrap().is_empty());
    let keys = env
        .app
        .list_api_keys(&a.actor, None, 200)
        .await
        .unwrap()
        .items;
    assert!(keys.iter().all(|k| k.org == a.id) && keys.len() == 1);
    let a_audit = env.app.audit_page(&a.actor, None, 200).await.unwrap().items;
    assert!(a_audit.iter().all(|e| e.org == a.id));

    // Nothing of B changed.
    assert_eq!(
        env.app.get_user(&b.actor, b_member).await.unwrap().role,
        Role::Member
    );
    assert_eq!(
        env.app.get_user(&b.actor, b.admin).await.unwrap().role,
        Role::Admin
    );
    assert!(
        env.app
            .list_invitations(&b.actor)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == b_inv)
    );
    env.app.invitation(&token_of(&b_link)).await.unwrap();
    assert_eq!(
        env.app
            .authenticate_api_key(&b_secret, None)
            .await
            .unwrap()
            .org,
        b.id
    );
    assert_eq!(
        env.app.read_document(&b_scope, b_doc).await.unwrap().1,
        b"beta's letter"
    );
    assert!(
        env.app
            .verify_audit()
            .await
            .unwrap()
            .iter()
            .all(|r| r.result.is_ok())
    );
    env.close().await;
}

// ----- 8. API keys -----

async fn api_key_record(
    env: &Env,
    actor: &courrier_domain::Actor,
    id: courrier_domain::ApiKeyId,
) -> courrier_store::ApiKeyRecord {
    env.app
        .list_api_keys(actor, None, 200)
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|k| k.id == id)
        .unwrap()
}

async fn api_keys(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (_, member) = env.person(&org, "mia@acme.test", Role::Member).await;

    let perms = [Permission::LettersSend, Permission::AuditRead];
    let (rec, secret) = env
        .app
        .create_api_key(&org.actor, "  billing export ", &perms)
        .await
        .unwrap();
    assert!(
        secret.starts_with(&format!("cour_{}_", rec.prefix)),
        "{secret}"
    );
    assert_eq!(rec.name, "billing export");
    assert_eq!(rec.created_by, format!("user:{}", org.admin));
    let listed = api_key_record(&env, &org.actor, rec.id).await;
    assert_eq!(listed.last_used_at, None);
    let secret_part = secret.rsplit_once('_').unwrap().1;
    assert!(
        !listed.secret_hash.contains(secret_part),
        "only a hash of the secret is stored"
    );

    env.advance(90);
    let actor = env
        .app
        .authenticate_api_key(&format!(" {secret} "), Some("198.51.100.1".into()))
        .await
        .unwrap();
    assert_eq!(actor.kind, ActorKind::ApiKey(rec.id));
    assert_eq!(actor.org, org.id);
    assert_eq!(actor.org_kind, OrgKind::Customer);
    assert_eq!(actor.role, None);
    assert_eq!(actor.ip.as_deref(), Some("198.51.100.1"));
    let mut got = actor.permissions().to_vec();
    got.sort();
    let mut want = perms.to_vec();
    want.sort();
    assert_eq!(got, want);
    assert!(actor.can(Permission::AuditRead) && !actor.can(Permission::UsersManage));
    assert!(matches!(
        env.app.list_users(&actor, None, 10).await,
        Err(AppError::Forbidden(Permission::UsersManage))
    ));
    assert!(
        !env.app
            .audit_page(&actor, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        api_key_record(&env, &org.actor, rec.id).await.last_used_at,
        Some(env.now())
    );

    // Wrong secrets.
    let mut wrong = secret.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        wrong.as_str(),
        &format!("cour_{}_", rec.prefix),
        &format!("cour_{}", rec.prefix),
        "cour_nosuchprefix_c2VjcmV0",
        secret_part,
        "",
    ] {
        assert!(
            matches!(
                env.app.authenticate_api_key(bad, None).await,
                Err(AppError::Unauthenticated)
            ),
            "{bad:?}"
        );
    }

    // Revoked keys stop working.
    env.app.revoke_api_key(&org.actor, rec.id).await.unwrap();
    assert!(matches!(
        env.app.authenticate_api_key(&secret, None).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        env.app.revoke_api_key(&org.actor, rec.id).await,
        Err(AppError::NotFound)
    ));
    assert_eq!(
        api_key_record(&env, &org.actor, rec.id).await.revoked_at,
        Some(env.now())
    );

    // Nobody hands out more than they hold.
    assert!(matches!(
        env.app
            .create_api_key(&member, "mine", &[Permission::UsersManage])
            .await,
        Err(AppError::Forbidden(Permission::ApiKeysManage))
    ));
    let (_, mgr_secret) = env
        .app
        .create_api_key(
            &org.actor,
            "key manager",
            &[Permission::ApiKeysManage, Permission::LettersRead],
        )
        .await
        .unwrap();
    let mgr = env
        .app
        .authenticate_api_key(&mgr_secret, None)
        .await
        .unwrap();
    assert_eq!(
        invalid_code(
            env.app
                .create_api_key(&mgr, "escalate", &[Permission::UsersManage])
                .await
        ),
        "permission.not_held"
    );
    assert_eq!(
        invalid_code(
            env.app
                .create_api_key(
                    &mgr,
                    "escalate",
                    &[Permission::LettersRead, Permission::AuditRead]
                )
                .await
        ),
        "permission.not_held"
    );
    env.app
        .create_api_key(&mgr, "reader", &[Permission::LettersRead])
        .await
        .unwrap();
    assert_eq!(
        invalid_code(env.app.create_api_key(&org.actor, "none", &[]).await),
        "permission.none"
    );
    assert_eq!(
        invalid_code(env.app.create_api_key(&org.actor, "  ", &perms).await),
        "name.invalid"
    );
    env.close().await;
}

// ----- 9. documents at rest -----

/// The master key and every organisation key the database holds.
async fn held_keys(env: &Env) -> Vec<courrier_app::vault::SecretKey> {
    let mut keys = vec![env.master.clone()];
    for id in env.app.store.org_ids().await.unwrap() {
        let o = env.app.store.org(id).await.unwrap();
        keys.push(
            env.master
                .unwrap_key(&o.wrapped_key, id.to_string().as_bytes())
                .unwrap(),
        );
    }
    keys
}

async fn documents_encrypted_at_rest_and_shredded(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let scope = org.actor.scope(Permission::LettersSend).unwrap();
    let needle = "CONFIDENTIAL-INVOICE-4711";
    let plaintext = format!("{needle} ").repeat(400).into_bytes();

    let doc = env
        .app
        .store_document(&scope, &plaintext, "text/plain")
        .await
        .unwrap();
    let other = env
        .app
        .store_document(&scope, b"another letter", "text/plain")
        .await
        .unwrap();
    assert_no_plaintext_stored(&env, needle, doc).await;

    let (rec, back) = env.app.read_document(&scope, doc).await.unwrap();
    assert_eq!(back, plaintext);
    assert_eq!(rec.size_bytes, plaintext.len() as i64);
    assert_eq!(rec.content_type, "text/plain");
    assert_eq!(rec.org, org.id);
    let blob = env.blob_path().join(&rec.blob_key);
    let sealed = std::fs::read(&blob).unwrap();
    assert_eq!(
        sealed.len(),
        plaintext.len() + 1 + 24 + 16,
        "version, nonce, ciphertext, tag"
    );

    // A backup of the blob, and the keys the database holds today.
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("blob.bak");
    std::fs::copy(&blob, &backup).unwrap();
    let backup = std::fs::read(&backup).unwrap();
    // Before shredding, they open the backup (so the check below can fail).
    let org_rec = env.app.store.org(org.id).await.unwrap();
    let org_key = env
        .master
        .unwrap_key(&org_rec.wrapped_key, org.id.to_string().as_bytes())
        .unwrap();
    let doc_key = org_key
        .unwrap_key(
            rec.wrapped_key.as_deref().unwrap(),
            doc.to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(
        doc_key.open(&backup, doc.to_string().as_bytes()).unwrap(),
        plaintext
    );
    assert_eq!(held_keys(&env).await.len(), 2);

    env.advance(60);
    env.app.shred_document(&scope, doc).await.unwrap();
    assert!(matches!(
        env.app.read_document(&scope, doc).await,
        Err(AppError::Refused(codes::DOCUMENT_SHREDDED))
    ));
    assert!(
        !blob.exists(),
        "the ciphertext is removed from the blob store"
    );
    let rec = env.app.store.document(&scope, doc).await.unwrap();
    assert_eq!(rec.wrapped_key, None);
    assert_eq!(rec.destroyed_at, Some(env.now()));

    // No key still in the database opens the backup.
    let mut keys = held_keys(&env).await;
    let other_rec = env.app.store.document(&scope, other).await.unwrap();
    let other_key = org_key
        .unwrap_key(
            other_rec.wrapped_key.as_deref().unwrap(),
            other.to_string().as_bytes(),
        )
        .unwrap();
    keys.push(other_key);
    for (i, k) in keys.iter().enumerate() {
        for ctx in [
            doc.to_string(),
            other.to_string(),
            org.id.to_string(),
            String::new(),
        ] {
            assert!(
                k.open(&backup, ctx.as_bytes()).is_err(),
                "key {i} opened the shredded backup"
            );
        }
    }
    // The other document is untouched.
    assert_eq!(
        env.app.read_document(&scope, other).await.unwrap().1,
        b"another letter"
    );
    assert!(
        env.app.shred_document(&scope, doc).await.is_err(),
        "shredding twice"
    );
    assert_no_plaintext_stored(&env, needle, other).await;
    env.close().await;
}

/// Neither the blob directory nor the database holds `needle` in clear.
async fn assert_no_plaintext_stored(env: &Env, needle: &str, some_doc: uuid::Uuid) {
    let blobs = files_under(env.blob_path());
    assert!(!blobs.is_empty(), "the blob store holds the documents");
    for f in &blobs {
        assert!(
            !contains_bytes(&std::fs::read(f).unwrap(), needle.as_bytes()),
            "plaintext in blob {f:?}"
        );
    }
    if let Some(path) = env.db.url.strip_prefix("sqlite://") {
        let db_file = Path::new(path);
        let files = files_under(db_file.parent().unwrap());
        assert!(files.iter().any(|f| f == db_file), "{files:?}");
        for f in &files {
            assert!(
                !contains_bytes(&std::fs::read(f).unwrap(), needle.as_bytes()),
                "plaintext in {f:?}"
            );
        }
    } else {
        let rows = postgres_rows_as_text(&env.db).await;
        assert!(
            rows.iter().any(|r| r.contains(&some_doc.to_string())),
            "the document row is read"
        );
        let hexed = hex::encode(needle);
        for r in &rows {
            assert!(
                !r.contains(needle) && !r.contains(&hexed),
                "plaintext in row {r}"
            );
        }
    }
}

// ----- 10. audit chain -----

async fn audit_chain_detects_tampering(backend: Backend) {
    let env = Env::new(backend).await;
    let mut orgs = Vec::new();
    for slug in ["alpha", "beta", "gamma"] {
        let org = env.org(slug).await;
        env.app
            .invite(&org.actor, &format!("new@{slug}.test"), "member")
            .await
            .unwrap();
        env.advance(1);
        env.app
            .login(&org.admin_email, PASSWORD, Some(IP))
            .await
            .unwrap();
        env.app
            .create_api_key(&org.actor, "k", &[Permission::LettersSend])
            .await
            .unwrap();
        orgs.push(org);
    }
    let (_, member) = env.person(&orgs[0], "mia@alpha.test", Role::Member).await;
    assert!(matches!(
        env.app.audit_page(&member, None, 10).await,
        Err(AppError::Forbidden(Permission::AuditRead))
    ));

    let page = env.app.audit_page(&orgs[1].actor, None, 50).await.unwrap();
    let actions: Vec<&str> = page.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "apikey.created",
            "user.signed_in",
            "user.invited",
            "user.created",
            "org.created"
        ]
    );
    let signed_in = &page.items[1];
    assert_eq!(signed_in.actor, format!("user:{}", orgs[1].admin));
    assert_eq!(
        signed_in.ip.as_deref(),
        Some(IP),
        "the sign-in records the client address"
    );

    let reports = env.app.verify_audit().await.unwrap();
    assert_eq!(reports.len(), 3);
    for r in &reports {
        assert_eq!(r.result, Ok(()), "{:?}", r.org);
    }
    let entries = |org| reports.iter().find(|r| r.org == org).unwrap().entries;
    assert_eq!(entries(orgs[0].id), 6, "alpha also has its member");
    assert_eq!(entries(orgs[1].id), 5);

    let (alpha, beta, gamma) = (orgs[0].id, orgs[1].id, orgs[2].id);
    let n = exec_sql(
        &env.db,
        &format!("UPDATE audit_log SET target = 'x' WHERE org_id = '{alpha}' AND seq = 3"),
    )
    .await;
    assert_eq!(n, 1);
    let n = exec_sql(
        &env.db,
        &format!("DELETE FROM audit_log WHERE org_id = '{beta}' AND seq = 5"),
    )
    .await;
    assert_eq!(n, 1);
    let n = exec_sql(
        &env.db,
        &format!("DELETE FROM audit_log WHERE org_id = '{gamma}' AND seq = 2"),
    )
    .await;
    assert_eq!(n, 1);

    let reports = env.app.verify_audit().await.unwrap();
    let result = |org| {
        reports
            .iter()
            .find(|r| r.org == org)
            .unwrap()
            .result
            .clone()
    };
    assert_eq!(result(alpha), Err(ChainBreak::Edited { seq: 3 }));
    assert_eq!(
        result(beta),
        Err(ChainBreak::Missing {
            expected_seq: 5,
            found_seq: -1
        }),
        "deleted last row"
    );
    assert_eq!(
        result(gamma),
        Err(ChainBreak::Missing {
            expected_seq: 2,
            found_seq: 3
        })
    );
    env.close().await;
}

// ----- 11. password reset -----

async fn password_reset(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (old_session, _) = env.sign_in(&org.admin_email, PASSWORD).await;
    assert_eq!(outbox_len(&env).await, 0);

    env.app
        .request_password_reset("  ADMIN@acme.test ", Locale::Fr)
        .await
        .unwrap();
    let outbox = env.app.store.recent_emails(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let email = &outbox[0];
    assert_eq!(email.to.as_str(), org.admin_email);
    assert_eq!(
        email.subject, "Reset your Courrier password",
        "the person's own language wins"
    );
    assert_eq!(email.state, EmailState::Pending);
    let queued = jobs_in(&env, JobState::Queued, "email.deliver").await;
    assert!(
        queued.iter().any(|j| JobKind::parse(&j.kind, &j.payload)
            == Ok(JobKind::DeliverEmail {
                email: email.id.as_uuid()
            })),
        "delivery job queued"
    );
    let prefix = format!("{PUBLIC_URL}/password-reset/");
    let link = email
        .body_text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{}", email.body_text));
    assert!(email.body_html.contains(link));
    let token = link.strip_prefix(&prefix).unwrap().to_string();
    assert!(token.len() >= 40, "{token}");

    // A too short password is refused without spending the link.
    assert_eq!(
        invalid_code(env.app.reset_password(&token, "short").await),
        "password.too_short"
    );
    env.advance(60);
    assert_eq!(
        env.app
            .reset_password(&token, "a brand new password")
            .await
            .unwrap(),
        org.admin
    );
    assert!(matches!(
        env.app.reset_password(&token, "another new password").await,
        Err(AppError::Refused(codes::AUTH_RESET_LINK_INVALID))
    ));
    assert_eq!(
        invalid_code(env.app.login(&org.admin_email, PASSWORD, None).await),
        "auth.bad_credentials"
    );
    env.app
        .login(&org.admin_email, "a brand new password", None)
        .await
        .unwrap();
    assert!(
        env.app.session(&old_session).await.unwrap().is_none(),
        "old sessions end with the reset"
    );

    // Unknown addresses: the same answer, nothing sent.
    env.app
        .request_password_reset("nobody@acme.test", Locale::En)
        .await
        .unwrap();
    env.app
        .request_password_reset("not an address", Locale::En)
        .await
        .unwrap();
    assert_eq!(outbox_len(&env).await, 1);

    // Links expire after an hour; made-up tokens never work.
    env.advance(60);
    env.app
        .request_password_reset(&org.admin_email, Locale::En)
        .await
        .unwrap();
    let outbox = env.app.store.recent_emails(10).await.unwrap();
    assert_eq!(outbox.len(), 2);
    let link = outbox[0]
        .body_text
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap();
    let token2 = link.strip_prefix(&prefix).unwrap().to_string();
    assert_ne!(token2, token);
    env.advance(3601);
    assert!(matches!(
        env.app
            .reset_password(&token2, "yet another password")
            .await,
        Err(AppError::Refused(codes::AUTH_RESET_LINK_INVALID))
    ));
    assert!(matches!(
        env.app
            .reset_password("made-up-token", "yet another password")
            .await,
        Err(AppError::Refused(codes::AUTH_RESET_LINK_INVALID))
    ));
    env.app
        .login(&org.admin_email, "a brand new password", None)
        .await
        .unwrap();
    env.close().await;
}

// ----- privilege escalation -----

async fn no_one_grants_more_than_they_hold(backend: Backend) {
    let env = Env::new(backend).await;
    let mc = env
        .org_of_kind("mc", OrgKind::MailCenter, Role::Owner)
        .await;
    let (manager, manager_actor) = env.person(&mc, "nadia@mc.test", Role::Manager).await;
    let (clerk, _) = env.person(&mc, "tom@mc.test", Role::Clerk).await;

    // A manager makes neither themselves nor anyone else owner.
    for target in [manager, clerk] {
        assert_eq!(
            invalid_code(env.app.change_role(&manager_actor, target, "owner").await),
            "role.above_actor"
        );
    }
    assert_eq!(
        invalid_code(
            env.app
                .invite(&manager_actor, "boss@mc.test", "owner")
                .await
        ),
        "role.above_actor"
    );
    // Nor demotes or removes the owner above them.
    assert_eq!(
        invalid_code(env.app.change_role(&manager_actor, mc.admin, "clerk").await),
        "user.above_actor"
    );
    assert_eq!(
        invalid_code(env.app.remove_user(&manager_actor, mc.admin).await),
        "user.above_actor"
    );
    assert_eq!(
        env.app.get_user(&mc.actor, mc.admin).await.unwrap().role,
        Role::Owner
    );
    assert_eq!(
        env.app.get_user(&mc.actor, manager).await.unwrap().role,
        Role::Manager
    );
    // What the manager holds, they may give.
    env.app
        .invite(&manager_actor, "clerk2@mc.test", "clerk")
        .await
        .unwrap();
    env.app
        .change_role(&manager_actor, clerk, "manager")
        .await
        .unwrap();
    assert_eq!(
        outbox_len(&env).await,
        1,
        "refused invitations send nothing"
    );

    // A key holding only users.manage invites no one above it, so it never
    // reads an admin's invitation link.
    let org = env.org("acme").await;
    let (_, key) = env
        .app
        .create_api_key(&org.actor, "people", &[Permission::UsersManage])
        .await
        .unwrap();
    let key_actor = env.app.authenticate_api_key(&key, None).await.unwrap();
    for role in ["admin", "approver", "member"] {
        assert_eq!(
            invalid_code(env.app.invite(&key_actor, "x@acme.test", role).await),
            "role.above_actor",
            "{role}"
        );
    }
    let (mia, _) = env.person(&org, "mia@acme.test", Role::Member).await;
    assert_eq!(
        invalid_code(env.app.change_role(&key_actor, mia, "admin").await),
        "user.above_actor"
    );
    assert!(
        env.app
            .list_invitations(&org.actor)
            .await
            .unwrap()
            .is_empty(),
        "no invitation was written"
    );
    // A key holding everything an approver holds may invite approvers.
    let mut perms = Role::Approver.permissions().to_vec();
    perms.push(Permission::UsersManage);
    let (_, key) = env
        .app
        .create_api_key(&org.actor, "hiring", &perms)
        .await
        .unwrap();
    let key_actor = env.app.authenticate_api_key(&key, None).await.unwrap();
    env.app
        .invite(&key_actor, "ap@acme.test", "approver")
        .await
        .unwrap();
    assert_eq!(
        invalid_code(env.app.invite(&key_actor, "ad@acme.test", "admin").await),
        "role.above_actor"
    );
    env.close().await;
}

async fn removal_and_demotion_revoke_what_the_person_handed_out(backend: Backend) {
    let env = Env::new(backend).await;
    let org = env.org("acme").await;
    let (carol, carol_actor) = env.person(&org, "carol@acme.test", Role::Admin).await;
    let (dave, dave_actor) = env.person(&org, "dave@acme.test", Role::Admin).await;

    // Carol's keys: one within a member's permissions, one above them, and a
    // key that key created.
    let (_, small) = env
        .app
        .create_api_key(&carol_actor, "send", &[Permission::LettersSend])
        .await
        .unwrap();
    let (_, big) = env
        .app
        .create_api_key(
            &carol_actor,
            "admin",
            &[Permission::ApiKeysManage, Permission::UsersManage],
        )
        .await
        .unwrap();
    let big_actor = env.app.authenticate_api_key(&big, None).await.unwrap();
    let (_, child) = env
        .app
        .create_api_key(&big_actor, "child", &[Permission::ApiKeysManage])
        .await
        .unwrap();
    let (carol_inv, _) = env
        .app
        .invite(&carol_actor, "new-admin@acme.test", "admin")
        .await
        .unwrap();
    let (_, dave_key) = env
        .app
        .create_api_key(&dave_actor, "dave", &[Permission::AuditRead])
        .await
        .unwrap();
    for k in [&small, &big, &child, &dave_key] {
        env.app.authenticate_api_key(k, None).await.unwrap();
    }

    // Demoted to member: the keys above a member stop working (with the key
    // the admin key made), the key within stays; her admin invitation closes.
    env.app
        .change_role(&org.actor, carol, "member")
        .await
        .unwrap();
    for k in [&big, &child] {
        assert!(matches!(
            env.app.authenticate_api_key(k, None).await,
            Err(AppError::Unauthenticated)
        ));
    }
    env.app.authenticate_api_key(&small, None).await.unwrap();
    assert!(
        !env.app
            .list_invitations(&org.actor)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == carol_inv),
        "the invitation for a role above her new one is revoked"
    );

    // Removed: every key dave created stops working; others' keys stay.
    env.app.remove_user(&org.actor, dave).await.unwrap();
    assert!(matches!(
        env.app.authenticate_api_key(&dave_key, None).await,
        Err(AppError::Unauthenticated)
    ));
    env.app.authenticate_api_key(&small, None).await.unwrap();
    env.app.remove_user(&org.actor, carol).await.unwrap();
    assert!(matches!(
        env.app.authenticate_api_key(&small, None).await,
        Err(AppError::Unauthenticated)
    ));

    // Each revocation is in the audit chain.
    let audit = env.app.audit_page(&org.actor, None, 100).await.unwrap();
    assert_eq!(
        audit
            .items
            .iter()
            .filter(|e| e.action == "apikey.revoked")
            .count(),
        4
    );
    env.close().await;
}

// ----- time zone -----

async fn organisations_keep_a_time_zone(backend: Backend) {
    let env = Env::new(backend).await;
    let app = &env.app;
    let acme = env.org("acme").await;
    let store = env.app.store.clone();
    let zone = |id| {
        let store = store.clone();
        async move { store.org(id).await.unwrap().time_zone }
    };
    assert_eq!(zone(acme.id).await, "Europe/Zurich", "from the country");
    assert_eq!(
        invalid_code(
            app.set_org_time_zone(&acme.actor, "Mars/Olympus_Mons")
                .await
        ),
        "org.time_zone_unknown"
    );
    assert_eq!(
        invalid_code(app.set_org_time_zone(&acme.actor, "").await),
        "org.time_zone_unknown"
    );
    let org = app
        .set_org_time_zone(&acme.actor, " Europe/Paris ")
        .await
        .unwrap();
    assert_eq!(org.time_zone, "Europe/Paris");
    assert_eq!(
        courrier_app::accounts::org_zone(&org).iana_name(),
        Some("Europe/Paris")
    );
    let (_, member) = env.person(&acme, "member@acme.test", Role::Member).await;
    assert!(matches!(
        app.set_org_time_zone(&member, "UTC").await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(zone(acme.id).await, "Europe/Paris");

    // A mail center takes its first location's zone; later ones change nothing.
    let center = env
        .org_of_kind("berlin", OrgKind::MailCenter, Role::Owner)
        .await;
    assert_eq!(zone(center.id).await, "Europe/Zurich");
    for (name, tz) in [("Berlin Mitte", "Europe/Berlin"), ("Roma", "Europe/Rome")] {
        app.create_location(
            &center.actor,
            courrier_app::mailbox::NewLocation {
                name: name.into(),
                address: vec!["Hauptstrasse 1".into(), "8001 Zürich".into()],
                country: "CH".into(),
                time_zone: tz.into(),
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(zone(center.id).await, "Europe/Berlin");
    env.close().await;
}
