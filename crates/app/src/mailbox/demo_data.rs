//! The mailbox part of the demo data: a site of the demo mail center, the
//! demo recipient company with a verified, active company mailbox and an
//! approved member at that site (with its register extract), three letters
//! received, the site's plan prices (CHF 19.90 a month, 199.00 a year) and
//! one pending sign-up whose member waits for the platform's pre-approval. Called by
//! [`App::load_demo`] once, when it creates the demo organisations. The
//! mailbox is stored already verified (the demo cannot wait three weeks for
//! a letter); items are stored without announcing them.

use super::{NewLocation, NewSignup, SignupOutcome};
use crate::{App, Result};
use courrier_domain::letters::Country;
use courrier_domain::mailbox::{
    DocumentSide, Grams, IdentityDocumentKind, ItemFormat, ItemKind, ItemState, MailItem, Plan,
    ReviewEvent,
};
use courrier_domain::{Actor, Locale, MailItemId, OrgId, OrgKind, OrgScope};
use courrier_store::{
    LocationRecord, MailItemRecord, MailboxRecord, MemberKind, OcrProgress, OcrState, Outbox,
};

/// The demo recipient's postal address.
pub const DEMO_MAILBOX_ADDRESS: [&str; 3] = [
    "Boulangerie Dupont SàRL",
    "Rue de Bourg 12",
    "1003 Lausanne",
];

impl App {
    /// Creates the demo mailbox data for the mail center `center`, the
    /// recipient company `recipient` and the platform `platform`.
    pub(crate) async fn load_demo_mailbox(
        &self,
        center: OrgId,
        recipient: OrgId,
        platform: OrgId,
    ) -> Result<()> {
        let now = self.now();
        let location = self
            .create_location(
                &Actor::system("demo", center, OrgKind::MailCenter),
                NewLocation {
                    name: "Centre courrier Lausanne".into(),
                    address: vec!["Avenue de la Gare 1".into(), "1003 Lausanne".into()],
                    country: "CH".into(),
                    time_zone: "Europe/Zurich".into(),
                },
            )
            .await?;
        let (tz, _) = super::location_site(&location)?;
        let today = super::intake_day::local_date(now, &tz)?.to_string();
        let mailbox = MailboxRecord::active(
            recipient,
            None,
            DEMO_MAILBOX_ADDRESS.iter().map(|l| l.to_string()).collect(),
            Country::CH,
            today,
            now,
        );
        self.store
            .create_mailbox(&OrgScope::system(recipient, "system:demo"), &mailbox, now)
            .await?;
        let member = self
            .add_mailbox_member(
                &Actor::system("demo", recipient, OrgKind::Customer),
                mailbox.id,
                location.id,
                "Boulangerie Dupont SàRL",
                MemberKind::Company,
            )
            .await?;
        let customer = Actor::system("demo", recipient, OrgKind::Customer);
        self.upload_member_document(
            &customer,
            member.id,
            IdentityDocumentKind::RegisterExtract,
            DocumentSide::Single,
            "extrait-registre.pdf",
            &demo_document("Extrait du registre du commerce"),
        )
        .await?;
        self.submit_mailbox_member(&customer, member.id).await?;
        self.review_mailbox_member(
            &Actor::system("demo", platform, OrgKind::Platform),
            member.id,
            ReviewEvent::PreApprove,
            "Extrait du registre du commerce vérifié.",
        )
        .await?;
        let member = self
            .review_mailbox_member(
                &Actor::system("demo", center, OrgKind::MailCenter),
                member.id,
                ReviewEvent::Approve,
                "Pièce d'identité de la gérante vérifiée au guichet.",
            )
            .await?;
        let clerk = OrgScope::system(center, "system:demo");
        let letters = [
            ("Swisscom (Suisse) SA", ItemFormat::A5, 18, 3),
            ("Administration cantonale des impôts", ItemFormat::A4, 42, 2),
            ("Romande Energie SA", ItemFormat::A5, 15, 1),
        ];
        for (sender, format, grams, minutes_ago) in letters {
            let received = now.plus_seconds(-minutes_ago * 60);
            let item = MailItemRecord {
                id: MailItemId::random(),
                org: Some(recipient),
                mailbox: Some(mailbox.id),
                location: Some(location.id),
                member: Some(member.id),
                recipient_name: member.name.clone(),
                sender_org: None,
                reference: String::new(),
                item: MailItem::physical(ItemKind::Letter, format, Grams::new(grams)?)
                    .with_sender(sender),
                state: ItemState::Received,
                received_at: received,
                envelope_document: None,
                scan_document: None,
                digital_document: None,
                pages: None,
                tags: Vec::new(),
                note: String::new(),
                handled_at: None,
                ocr: OcrProgress {
                    state: OcrState::None,
                    pages_done: 0,
                    pages_total: 0,
                    error: String::new(),
                },
                updated_at: received,
            };
            self.store
                .insert_item(
                    &clerk,
                    &item,
                    "received",
                    "at Centre courrier Lausanne",
                    received,
                    &Outbox::NONE,
                )
                .await?;
        }
        self.load_demo_signup(center, &location).await
    }

    /// Plan prices at the demo site and one sign-up waiting for review.
    async fn load_demo_signup(&self, center: OrgId, location: &LocationRecord) -> Result<()> {
        self.set_location_plan(
            &Actor::system("demo", center, OrgKind::MailCenter),
            location.id,
            1990,
            19_900,
        )
        .await?;
        let outcome = self
            .sign_up(
                NewSignup {
                    location: location.id,
                    company: "Atelier Favre Sàrl".into(),
                    contact_name: "Luc Favre".into(),
                    email: "luc@atelier-favre.example".into(),
                    locale: Locale::Fr,
                    plan: Plan::Monthly,
                    accept_terms: true,
                },
                None,
            )
            .await?;
        let SignupOutcome::Created { mailbox, .. } = outcome else {
            return Ok(());
        };
        let customer = Actor::system("demo", mailbox.org, OrgKind::Customer);
        let member = self
            .add_mailbox_member(
                &customer,
                mailbox.id,
                location.id,
                "Luc Favre",
                MemberKind::Person,
            )
            .await?;
        self.upload_member_document(
            &customer,
            member.id,
            IdentityDocumentKind::Passport,
            DocumentSide::Single,
            "passeport.pdf",
            &demo_document("Passeport"),
        )
        .await?;
        self.submit_mailbox_member(&customer, member.id).await?;
        Ok(())
    }
}

/// A one-page PDF standing for an identity document.
fn demo_document(title: &str) -> Vec<u8> {
    courrier_documents::sample::letters_pdf(
        &[courrier_documents::sample::SampleLetter {
            address: vec![title.to_string(), "Document de démonstration".into()],
            pages: 1,
            reference: "DEMO".into(),
        }],
        &["Courrier", "Démonstration"],
    )
}
