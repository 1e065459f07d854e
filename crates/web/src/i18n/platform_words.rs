//! Words of the platform team's pages (the pre-approval queue), kept apart
//! from the main table so the tables grow without stepping on each other.

pub(super) const WORDS: &[(&str, &str, &str)] = &[
    (
        "platform_reviews.title",
        "Members to pre-approve",
        "Membres à pré-approuver",
    ),
    (
        "platform_reviews.lead",
        "Members submitted by customers at every location, oldest first. Check the documents, then pre-approve (the mail center approves next) or reject, always with a note.",
        "Membres soumis par les clients dans tous les centres, du plus ancien au plus récent. Vérifiez les documents, puis pré-approuvez (le centre courrier approuve ensuite) ou rejetez, toujours avec une note.",
    ),
    (
        "platform_reviews.none",
        "No member is waiting for the platform.",
        "Aucun membre n'attend la plateforme.",
    ),
    (
        "platform_reviews.link",
        "Members to pre-approve",
        "Membres à pré-approuver",
    ),
    ("platform_reviews.customer", "Customer", "Client"),
    ("platform_reviews.documents", "Documents", "Documents"),
    (
        "platform_reviews.pre_approve",
        "Pre-approve",
        "Pré-approuver",
    ),
    (
        "platform_reviews.overdue",
        "Overdue: waiting over",
        "En retard : en attente depuis plus de",
    ),
    (
        "platform_reviews.overdue_count",
        "overdue, waiting over",
        "en retard, en attente depuis plus de",
    ),
    (
        "platform_reviews.decide",
        "Platform decision",
        "Décision de la plateforme",
    ),
];
