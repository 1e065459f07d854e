//! Carrier tariffs edited by the platform admin: a raised price reaches new
//! quotes, new letters, re-priced drafts and bulk runs at once, while a
//! letter priced before keeps its price; stale and invalid saves change
//! nothing; only the platform admin may read or change tariffs; a country
//! without a stored carrier cannot send. Each test runs on both backends:
//! `cargo test -p courrier-app --test it tariffs::` runs them; a name ending in `::sqlite` or `::postgres` is one backend.

use crate::support::*;
use courrier_app::AppError;
use courrier_app::accounts::NewOrg;
use courrier_app::bulk::SplitMethod;
use courrier_app::jobs::run_due_jobs_once;
use courrier_app::letters::LetterInput;
use courrier_app::tariffs::TariffEdit;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::codes;
use courrier_domain::letters::{LetterStatus, vat_of};
use courrier_domain::{Actor, Currency, OrgKind, OrgScope, Permission, Role};
use courrier_store::{LetterFilter, RunState, SEED_AUTHOR};

on_both_backends!(
    raised_price_reaches_new_quotes_and_spares_old_letters,
    stale_and_invalid_saves_change_nothing,
    only_the_platform_admin_reads_and_changes_tariffs,
    no_stored_carrier_means_no_carrier,
);

const SENDER: [&str; 2] = [
    "Helvetia Fiduciaire SA",
    "Avenue de la Gare 1, 1003 Lausanne",
];

/// A one-page letter to a Lausanne bakery.
fn sample(reference: &str) -> Vec<u8> {
    letters_pdf(
        &[SampleLetter {
            address: vec![
                "Boulangerie Dupont SàRL".into(),
                "Rue de Bourg 12".into(),
                "1003 Lausanne".into(),
            ],
            pages: 1,
            reference: reference.into(),
        }],
        &SENDER,
    )
}

async fn platform(env: &Env) -> Org {
    env.org_of_kind("platform", OrgKind::Platform, Role::PlatformAdmin)
        .await
}

/// Raises the priority postage of every Swiss step by `by` minor units.
async fn raise_swiss_priority(env: &Env, admin: &Actor, by: i64) -> i64 {
    let current = env.app.tariff(admin, "CH").await.unwrap();
    let mut edit = TariffEdit::of(&current.table);
    for step in &mut edit.steps {
        step.priority += by;
    }
    let saved = env
        .app
        .update_tariff(admin, "ch", current.version, edit)
        .await
        .unwrap();
    assert_eq!(saved.version, current.version + 1);
    saved.version
}

async fn raised_price_reaches_new_quotes_and_spares_old_letters(backend: Backend) {
    let env = Env::new(backend).await;
    let admin = platform(&env).await;
    let customer = env.org("helvetia").await;
    let input = LetterInput::default();

    // Before: a submitted letter, a draft and a quote at the seed price.
    let sent = env
        .app
        .create_letter(&customer.actor, &sample("SENT"), &input, true)
        .await
        .unwrap()
        .record;
    assert_eq!(sent.status, LetterStatus::Accepted);
    let draft = env
        .app
        .create_letter(&customer.actor, &sample("DRAFT"), &input, false)
        .await
        .unwrap()
        .record;
    let before = env
        .app
        .quote_letter(&customer.actor, &sample("Q1"), &input)
        .await
        .unwrap()
        .record;
    assert_eq!(before.currency, Currency::CHF);
    assert_eq!(
        (sent.price_net, draft.price_net),
        (before.price_net, before.price_net)
    );
    let seed = env.app.tariff(&admin.actor, "CH").await.unwrap();
    assert_eq!(seed.version, 1);
    assert_eq!(seed.updated_by, SEED_AUTHOR);

    // The platform admin raises the Swiss priority postage by CHF 0.50.
    assert_eq!(raise_swiss_priority(&env, &admin.actor, 50).await, 2);
    let net = before.price_net + 50;
    let vat = vat_of(net, seed.table.vat_rate_bp());

    // A new quote and a new letter use the new price at once.
    let after = env
        .app
        .quote_letter(&customer.actor, &sample("Q2"), &input)
        .await
        .unwrap()
        .record;
    assert_eq!(
        (after.price_net, after.price_vat, after.price_total),
        (net, vat, net + vat)
    );
    let new_letter = env
        .app
        .create_letter(&customer.actor, &sample("NEW"), &input, false)
        .await
        .unwrap()
        .record;
    assert_eq!(new_letter.price_net, net);

    // The submitted letter keeps its price; the draft too, until it is
    // priced again.
    let kept = env.app.letter(&customer.actor, sent.id).await.unwrap();
    assert_eq!(
        (kept.letter.price_net, kept.letter.price_total),
        (sent.price_net, sent.price_total)
    );
    let still = env.app.letter(&customer.actor, draft.id).await.unwrap();
    assert_eq!(still.letter.price_net, before.price_net);
    let repriced = env
        .app
        .update_draft(&customer.actor, draft.id, &input)
        .await
        .unwrap()
        .record;
    assert_eq!(repriced.price_net, net);

    // A bulk run started now prices its letters with the new table too.
    let run = env
        .app
        .start_split_run(
            &customer.actor,
            &sample("RUN"),
            "one.pdf",
            SplitMethod::Pages(1),
            input.clone(),
            false,
        )
        .await
        .unwrap();
    run_due_jobs_once(&env.app).await.unwrap();
    let view = env.app.run(&customer.actor, run.id).await.unwrap();
    assert_eq!(view.run.state, RunState::Done, "{}", view.run.error);
    let filter = LetterFilter {
        run: Some(run.id),
        ..LetterFilter::default()
    };
    let run_letters = env
        .app
        .letters(&customer.actor, &filter, None, 10)
        .await
        .unwrap()
        .items;
    assert_eq!(run_letters.len(), 1);
    assert_eq!(run_letters[0].price_net, net);

    // The change is in the platform's audit chain with both versions.
    let audit = env
        .app
        .audit_page(&admin.actor, None, 50)
        .await
        .unwrap()
        .items;
    let entry = audit
        .iter()
        .find(|e| e.action == "tariff.updated")
        .expect("audited");
    assert_eq!(entry.target, "CH");
    assert!(entry.detail.contains("version 1 → 2"), "{}", entry.detail);
    assert_eq!(entry.actor, format!("user:{}", admin.admin));
    let history = env.app.tariff_history(&admin.actor, "CH").await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(history[1].table, seed.table);
    env.close().await;
}

async fn stale_and_invalid_saves_change_nothing(backend: Backend) {
    let env = Env::new(backend).await;
    let admin = platform(&env).await;
    let seed = env.app.tariff(&admin.actor, "CH").await.unwrap();
    raise_swiss_priority(&env, &admin.actor, 10).await;
    let current = env.app.tariff(&admin.actor, "CH").await.unwrap();

    // Based on version 1, which is no longer current.
    let stale = env
        .app
        .update_tariff(&admin.actor, "CH", 1, TariffEdit::of(&seed.table))
        .await;
    assert!(
        matches!(stale, Err(AppError::Conflict(codes::TARIFF_CHANGED))),
        "{stale:?}"
    );

    // Steps out of order, a VAT rate above 100 %, an empty carrier name.
    let mut reversed = TariffEdit::of(&current.table);
    reversed.steps.reverse();
    let mut vat = TariffEdit::of(&current.table);
    vat.vat_rate_bp = 10_001;
    let mut nameless = TariffEdit::of(&current.table);
    nameless.carrier = "  ".into();
    for (edit, field) in [
        (reversed, "steps"),
        (vat, "vat_rate"),
        (nameless, "carrier"),
    ] {
        match env.app.update_tariff(&admin.actor, "CH", 2, edit).await {
            Err(AppError::Invalid(i)) => {
                assert_eq!((i.field, i.code), (field, codes::TARIFF_INVALID));
            }
            other => panic!("{field}: not refused: {other:?}"),
        }
    }
    // No carrier for Germany; not a country at all.
    assert!(matches!(
        env.app
            .update_tariff(&admin.actor, "DE", 1, TariffEdit::of(&seed.table))
            .await,
        Err(AppError::NotFound)
    ));
    assert_eq!(
        invalid_code(env.app.tariff(&admin.actor, "Swiss").await),
        "country.invalid"
    );

    assert_eq!(env.app.tariff(&admin.actor, "CH").await.unwrap(), current);
    assert_eq!(
        env.app
            .tariff_history(&admin.actor, "CH")
            .await
            .unwrap()
            .len(),
        2
    );
    env.close().await;
}

async fn only_the_platform_admin_reads_and_changes_tariffs(backend: Backend) {
    let env = Env::new(backend).await;
    let customer = env.org("helvetia").await;
    let center = env
        .org_of_kind("center", OrgKind::MailCenter, Role::Owner)
        .await;
    let admin = platform(&env).await;
    let seed = env.app.tariff(&admin.actor, "CH").await.unwrap();
    // A platform key without the platform permission is refused as well.
    let key = Actor::api_key(
        courrier_domain::ApiKeyId::random(),
        admin.id,
        OrgKind::Platform,
        vec![Permission::AuditRead],
        None,
    );
    for actor in [&customer.actor, &center.actor, &key] {
        let forbidden = |r: Result<_, AppError>| {
            matches!(r, Err(AppError::Forbidden(Permission::PlatformAdmin)))
        };
        assert!(forbidden(env.app.tariffs(actor).await.map(|_| ())));
        assert!(forbidden(env.app.tariff(actor, "CH").await.map(|_| ())));
        assert!(forbidden(
            env.app.tariff_history(actor, "CH").await.map(|_| ())
        ));
        let mut edit = TariffEdit::of(&seed.table);
        edit.steps[0].priority = 1;
        assert!(forbidden(
            env.app
                .update_tariff(actor, "CH", 1, edit)
                .await
                .map(|_| ())
        ));
    }
    let listed = env.app.tariffs(&admin.actor).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|t| t.version == 1));
    assert_eq!(env.app.tariff(&admin.actor, "CH").await.unwrap(), seed);
    env.close().await;
}

async fn no_stored_carrier_means_no_carrier(backend: Backend) {
    let env = Env::new(backend).await;
    // Germany has a calendar and a time zone, but no carrier in the table.
    let id = env
        .app
        .create_org(
            NewOrg {
                name: "Muster GmbH".into(),
                kind: OrgKind::Customer,
                country: "de".into(),
                currency: Currency::EUR,
            },
            "system:test",
        )
        .await
        .unwrap();
    let user = env
        .app
        .add_user(
            &OrgScope::system(id, "system:test"),
            "admin@muster.test",
            "Admin Muster",
            PASSWORD,
            Role::Admin,
        )
        .await
        .unwrap();
    let actor = Actor::user(user, id, OrgKind::Customer, Role::Admin, None);
    let input = LetterInput::default();
    assert_eq!(
        invalid_code(env.app.quote_letter(&actor, &sample("DE"), &input).await),
        "letter.no_carrier"
    );
    assert_eq!(
        invalid_code(
            env.app
                .create_letter(&actor, &sample("DE"), &input, false)
                .await
        ),
        "letter.no_carrier"
    );
    let listed = env
        .app
        .letters(&actor, &LetterFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(listed.items.is_empty(), "nothing stored");
    env.close().await;
}
