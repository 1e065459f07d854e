//! The web app's words in English and French. Keys are looked up in one
//! table; a missing key shows the key itself, which a test catches.

use courrier_domain::Locale;

mod intake_words;
mod mail_words;
mod platform_words;
mod signup_words;

/// Translations for one request.
#[derive(Debug, Clone, Copy)]
pub struct L(pub Locale);

impl L {
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match WORDS
            .iter()
            .chain(mail_words::WORDS)
            .chain(signup_words::WORDS)
            .chain(intake_words::WORDS)
            .chain(platform_words::WORDS)
            .find(|(k, _, _)| *k == key)
        {
            Some((_, en, fr)) => match self.0 {
                Locale::En => en,
                Locale::Fr => fr,
            },
            None => key,
        }
    }

    /// An error for a person: the translated text of its code when there is one.
    pub fn error(&self, e: &crate::error::ApiError) -> String {
        let key = format!("err.{}", e.body.code);
        match self.t(&key) {
            k if k == key => e.body.message.clone(),
            text => text.to_string(),
        }
    }
}

const WORDS: &[(&str, &str, &str)] = &[
    ("nav.home", "Home", "Accueil"),
    ("nav.users", "Users", "Utilisateurs"),
    ("nav.keys", "API keys", "Clés API"),
    ("nav.audit", "Audit log", "Journal d'audit"),
    ("nav.admin", "Platform", "Plateforme"),
    ("nav.logout", "Sign out", "Se déconnecter"),
    (
        "footer.tagline",
        "business letters, paper and digital",
        "le courrier d'entreprise, papier et numérique",
    ),
    ("field.email", "E-mail", "E-mail"),
    ("field.password", "Password", "Mot de passe"),
    (
        "field.current_password",
        "Current password",
        "Mot de passe actuel",
    ),
    ("field.new_password", "New password", "Nouveau mot de passe"),
    (
        "field.password_rule",
        "At least 10 characters.",
        "Au moins 10 caractères.",
    ),
    ("field.name", "Name", "Nom"),
    ("field.role", "Role", "Rôle"),
    ("action.save", "Save", "Enregistrer"),
    ("action.remove", "Remove", "Retirer"),
    ("action.revoke", "Revoke", "Révoquer"),
    ("action.continue", "Continue", "Continuer"),
    ("action.next_page", "Next page", "Page suivante"),
    ("login.title", "Sign in", "Connexion"),
    (
        "login.lead",
        "Your letters, sent and received, in one place.",
        "Vos lettres, envoyées et reçues, au même endroit.",
    ),
    ("login.submit", "Sign in", "Se connecter"),
    (
        "login.forgot",
        "Forgot your password?",
        "Mot de passe oublié ?",
    ),
    (
        "2fa.title",
        "Two-step verification",
        "Vérification en deux étapes",
    ),
    (
        "2fa.lead",
        "Enter the 6-digit code from your authenticator app.",
        "Saisissez le code à 6 chiffres de votre application d'authentification.",
    ),
    ("2fa.code", "Code", "Code"),
    ("2fa.submit", "Verify", "Vérifier"),
    (
        "2fa.recovery_hint",
        "Lost your phone? Enter one of your recovery codes instead.",
        "Téléphone perdu ? Saisissez plutôt un de vos codes de secours.",
    ),
    ("home.hello", "Welcome", "Bienvenue"),
    ("home.role", "your role", "votre rôle"),
    (
        "home.enable_2fa",
        "Protect your account with two-step verification.",
        "Protégez votre compte avec la vérification en deux étapes.",
    ),
    ("home.enable_2fa_link", "Turn it on", "L'activer"),
    ("home.people", "People", "Personnes"),
    (
        "home.people_hint",
        "in your organisation",
        "dans votre organisation",
    ),
    ("home.security", "Security policy", "Politique de sécurité"),
    (
        "home.security_hint",
        "Two-step verification for everyone",
        "Vérification en deux étapes pour tous",
    ),
    ("home.api", "API", "API"),
    (
        "home.api_hint",
        "Connect your ERP with an API key.",
        "Connectez votre ERP avec une clé API.",
    ),
    ("home.api_docs", "API reference", "Référence de l'API"),
    ("users.title", "Users and roles", "Utilisateurs et rôles"),
    (
        "users.lead",
        "Invite colleagues, give them a role, remove those who left.",
        "Invitez vos collègues, attribuez-leur un rôle, retirez ceux qui sont partis.",
    ),
    ("users.invite", "Invite someone", "Inviter une personne"),
    (
        "users.send_invite",
        "Send invitation",
        "Envoyer l'invitation",
    ),
    (
        "users.invited",
        "Invitation sent. You can also share this link:",
        "Invitation envoyée. Vous pouvez aussi partager ce lien :",
    ),
    (
        "users.pending",
        "Pending invitations",
        "Invitations en attente",
    ),
    ("users.expires", "expires", "expire le"),
    (
        "users.confirm_remove",
        "Remove this person from the organisation?",
        "Retirer cette personne de l'organisation ?",
    ),
    ("users.saved", "Saved.", "Enregistré."),
    ("admin", "Administrator", "Administrateur"),
    ("approver", "Approver", "Approbateur"),
    ("member", "Member", "Membre"),
    ("owner", "Owner", "Propriétaire"),
    ("manager", "Manager", "Responsable"),
    ("clerk", "Clerk", "Employé"),
    ("platform_admin", "Platform admin", "Admin plateforme"),
    (
        "inv.title",
        "Join your team on Courrier",
        "Rejoignez votre équipe sur Courrier",
    ),
    ("inv.accept", "Create my account", "Créer mon compte"),
    (
        "inv.welcome",
        "Your account is ready",
        "Votre compte est prêt",
    ),
    (
        "inv.accepted",
        "Sign in with your e-mail address and the password you chose.",
        "Connectez-vous avec votre adresse e-mail et le mot de passe choisi.",
    ),
    (
        "inv.gone",
        "This invitation was used, revoked or has expired. Ask your administrator for a new one.",
        "Cette invitation a été utilisée, révoquée ou a expiré. Demandez-en une nouvelle à votre administrateur.",
    ),
    ("keys.title", "API keys", "Clés API"),
    (
        "keys.lead",
        "Keys let your systems use the Courrier API for your organisation, with the permissions you choose.",
        "Les clés permettent à vos systèmes d'utiliser l'API Courrier pour votre organisation, avec les permissions choisies.",
    ),
    ("keys.create", "Create a key", "Créer une clé"),
    ("keys.permissions", "Permissions", "Permissions"),
    (
        "keys.shown_once",
        "Copy this key now: it is shown only once.",
        "Copiez cette clé maintenant : elle n'est affichée qu'une fois.",
    ),
    ("keys.prefix", "Key", "Clé"),
    ("keys.created", "Created", "Créée"),
    ("keys.last_used", "Last used", "Dernière utilisation"),
    ("keys.revoked", "Revoked", "Révoquée"),
    ("audit.title", "Audit log", "Journal d'audit"),
    (
        "audit.lead",
        "Every change in your organisation, chained so that no entry can be altered unnoticed.",
        "Chaque modification dans votre organisation, chaînée pour qu'aucune entrée ne puisse être altérée sans que cela se voie.",
    ),
    ("audit.when", "When", "Quand"),
    ("audit.who", "Who", "Qui"),
    ("audit.what", "What", "Quoi"),
    ("audit.target", "Target", "Cible"),
    ("audit.older", "Older entries", "Entrées plus anciennes"),
    ("account.title", "Your account", "Votre compte"),
    ("account.password", "Password", "Mot de passe"),
    (
        "account.password_changed",
        "Password changed. Other sessions were signed out.",
        "Mot de passe modifié. Les autres sessions ont été fermées.",
    ),
    (
        "account.2fa",
        "Two-step verification",
        "Vérification en deux étapes",
    ),
    ("account.2fa_on", "On", "Activée"),
    ("account.2fa_off", "Off", "Désactivée"),
    ("account.2fa_enable", "Turn on", "Activer"),
    ("account.2fa_disable", "Turn off", "Désactiver"),
    (
        "account.2fa_required",
        "Your organisation requires it.",
        "Votre organisation l'exige.",
    ),
    (
        "account.recovery_left",
        "recovery codes left",
        "codes de secours restants",
    ),
    (
        "account.org_policy",
        "Organisation policy",
        "Règle de l'organisation",
    ),
    (
        "account.require_2fa",
        "Everyone must use two-step verification",
        "Tout le monde doit utiliser la vérification en deux étapes",
    ),
    (
        "enrol.title",
        "Set up two-step verification",
        "Configurer la vérification en deux étapes",
    ),
    (
        "enrol.lead",
        "Scan this code with an authenticator app, then enter the code it shows.",
        "Scannez ce code avec une application d'authentification, puis saisissez le code affiché.",
    ),
    (
        "enrol.manual",
        "Or type this key:",
        "Ou saisissez cette clé :",
    ),
    ("enrol.confirm", "Turn on", "Activer"),
    (
        "enrol.required",
        "Your organisation requires two-step verification before you continue.",
        "Votre organisation exige la vérification en deux étapes avant de continuer.",
    ),
    (
        "enrol.done",
        "Two-step verification is on.",
        "La vérification en deux étapes est activée.",
    ),
    (
        "enrol.codes_hint",
        "Keep these recovery codes somewhere safe. Each works once if you lose your phone.",
        "Conservez ces codes de secours en lieu sûr. Chacun fonctionne une fois si vous perdez votre téléphone.",
    ),
    (
        "reset.title",
        "Reset your password",
        "Réinitialiser le mot de passe",
    ),
    (
        "reset.lead",
        "We will e-mail you a link to choose a new password.",
        "Nous vous enverrons par e-mail un lien pour choisir un nouveau mot de passe.",
    ),
    ("reset.send", "Send the link", "Envoyer le lien"),
    (
        "reset.sent",
        "If this address has an account, a link is on its way. It is valid for one hour.",
        "Si cette adresse a un compte, un lien est en route. Il est valable une heure.",
    ),
    (
        "reset.done",
        "Password changed. You can sign in now.",
        "Mot de passe modifié. Vous pouvez vous connecter.",
    ),
    (
        "admin.title",
        "Platform administration",
        "Administration de la plateforme",
    ),
    (
        "admin.lead",
        "Organisations, background jobs that gave up, and outgoing e-mail.",
        "Organisations, tâches de fond abandonnées et e-mails sortants.",
    ),
    ("admin.orgs", "Organisations", "Organisations"),
    ("admin.kind", "Kind", "Type"),
    ("admin.country", "Country", "Pays"),
    (
        "admin.dead_jobs",
        "Dead-letter jobs",
        "Tâches en échec définitif",
    ),
    (
        "admin.no_dead_jobs",
        "No job has given up.",
        "Aucune tâche n'a abandonné.",
    ),
    ("admin.job", "Job", "Tâche"),
    ("admin.attempts", "Attempts", "Tentatives"),
    ("admin.error", "Last error", "Dernière erreur"),
    ("admin.requeue", "Run again", "Relancer"),
    (
        "admin.requeued",
        "The job is queued again.",
        "La tâche est de nouveau en file.",
    ),
    ("admin.outbox", "Outgoing e-mail", "E-mails sortants"),
    ("admin.to", "To", "À"),
    ("admin.subject", "Subject", "Objet"),
    ("admin.state", "State", "État"),
    (
        "err.auth.bad_credentials",
        "Wrong e-mail or password.",
        "E-mail ou mot de passe incorrect.",
    ),
    (
        "err.auth.code_invalid",
        "The code is wrong or has expired.",
        "Le code est faux ou a expiré.",
    ),
    (
        "err.auth.throttled",
        "Too many attempts. Wait 15 minutes and try again.",
        "Trop de tentatives. Attendez 15 minutes puis réessayez.",
    ),
    (
        "err.auth.bad_password",
        "The password is wrong.",
        "Le mot de passe est incorrect.",
    ),
    (
        "err.mail.amount_out_of_range",
        "An amount entered at the mail center is between 0 and 2,000.00.",
        "Un montant saisi au centre de courrier est compris entre 0 et 2 000,00.",
    ),
    (
        "err.rate_limited",
        "Too many requests for your organisation. Wait a moment and try again.",
        "Trop de requêtes pour votre organisation. Patientez un instant puis réessayez.",
    ),
    (
        "err.password.too_short",
        "A password needs at least 10 characters.",
        "Un mot de passe doit compter au moins 10 caractères.",
    ),
    (
        "err.email.invalid",
        "This e-mail address is not valid.",
        "Cette adresse e-mail n'est pas valide.",
    ),
    (
        "err.user.email_taken",
        "Someone already uses this e-mail address.",
        "Cette adresse e-mail est déjà utilisée.",
    ),
    (
        "err.user.last_manager",
        "The organisation needs at least one person who manages users. Give that role to someone else first.",
        "L'organisation a besoin d'au moins une personne qui gère les utilisateurs. Donnez d'abord ce rôle à quelqu'un d'autre.",
    ),
    (
        "err.role.not_for_org_kind",
        "This role does not exist in your kind of organisation.",
        "Ce rôle n'existe pas pour votre type d'organisation.",
    ),
    (
        "users.above_you",
        "Holds permissions you do not hold.",
        "A des permissions que vous n'avez pas.",
    ),
    (
        "err.role.above_actor",
        "This role holds permissions you do not hold; only someone who holds them can give it.",
        "Ce rôle donne des permissions que vous n'avez pas ; seule une personne qui les a peut le donner.",
    ),
    (
        "err.user.above_actor",
        "This person holds permissions you do not hold; only someone who holds them can change or remove them.",
        "Cette personne a des permissions que vous n'avez pas ; seule une personne qui les a peut la modifier ou la retirer.",
    ),
    (
        "err.user.role_changed",
        "This person's role changed meanwhile. Reload the page and try again.",
        "Le rôle de cette personne a changé entre-temps. Rechargez la page et réessayez.",
    ),
    (
        "err.permission.none",
        "Choose at least one permission.",
        "Choisissez au moins une permission.",
    ),
    (
        "err.permission.not_held",
        "You cannot give a key a permission you do not hold.",
        "Vous ne pouvez pas donner à une clé une permission que vous n'avez pas.",
    ),
    ("err.name.invalid", "Give a name.", "Indiquez un nom."),
    (
        "err.auth.reset_link_invalid",
        "This link was used, has expired or is wrong. Ask for a new one.",
        "Ce lien a été utilisé, a expiré ou est faux. Demandez-en un nouveau.",
    ),
    (
        "err.auth.2fa_required_by_org",
        "Your organisation requires two-step verification.",
        "Votre organisation exige la vérification en deux étapes.",
    ),
    (
        "err.not_found",
        "Not found in your organisation.",
        "Introuvable dans votre organisation.",
    ),
    (
        "err.auth.forbidden",
        "You do not have the permission for this. Ask an administrator.",
        "Vous n'avez pas la permission. Demandez à un administrateur.",
    ),
    ("nav.letters", "Letters", "Lettres"),
    ("letters.title", "Letters", "Lettres"),
    (
        "letters.lead",
        "The letters your organisation sent or is preparing.",
        "Les lettres envoyées ou en préparation dans votre organisation.",
    ),
    ("letters.all", "All letters", "Toutes les lettres"),
    ("letters.new", "Send a letter", "Envoyer une lettre"),
    ("letters.approvals", "Approvals", "Approbations"),
    (
        "letters.approvals_lead",
        "Letters of your colleagues that wait for an approver.",
        "Les lettres de vos collègues qui attendent une approbation.",
    ),
    (
        "letters.no_approvals",
        "No letter waits for approval.",
        "Aucune lettre n'attend d'approbation.",
    ),
    (
        "letters.settings",
        "Letter settings",
        "Réglages des lettres",
    ),
    ("letters.filter", "Filter", "Filtrer"),
    ("letters.all_statuses", "All statuses", "Tous les statuts"),
    ("letters.from", "Created from", "Créées depuis le"),
    ("letters.to", "Created until", "Créées jusqu'au"),
    ("letters.recipient", "Recipient", "Destinataire"),
    ("letters.reference", "Reference", "Référence"),
    ("letters.status", "Status", "Statut"),
    ("letters.created", "Created", "Créée"),
    ("letters.price", "Price", "Prix"),
    (
        "letters.delivery",
        "Expected delivery",
        "Distribution prévue",
    ),
    (
        "letters.none",
        "No letter matches.",
        "Aucune lettre ne correspond.",
    ),
    ("status.draft", "Draft", "Brouillon"),
    (
        "status.awaiting_approval",
        "Awaiting approval",
        "En attente d'approbation",
    ),
    ("status.accepted", "Accepted", "Acceptée"),
    ("status.in_production", "In production", "En production"),
    ("status.printed", "Printed", "Imprimée"),
    (
        "status.handed_to_carrier",
        "Handed to the carrier",
        "Remise au transporteur",
    ),
    ("status.in_transit", "In transit", "En cours d'acheminement"),
    ("status.delivered", "Delivered", "Distribuée"),
    ("status.returned", "Returned", "Retournée"),
    ("status.cancelled", "Cancelled", "Annulée"),
    ("status.failed", "Failed", "Échouée"),
    ("new.title", "Send a letter", "Envoyer une lettre"),
    (
        "new.lead",
        "Upload an A4 PDF. Courrier reads the address in the window of page 1, checks the letter and prices it. It stays a draft until you submit it.",
        "Déposez un PDF A4. Courrier lit l'adresse dans la fenêtre de la page 1, vérifie la lettre et calcule son prix. Elle reste un brouillon jusqu'à ce que vous la soumettiez.",
    ),
    (
        "new.step_upload",
        "Upload the PDF and choose the options",
        "Déposer le PDF et choisir les options",
    ),
    (
        "new.step_check",
        "Check the address and the price",
        "Vérifier l'adresse et le prix",
    ),
    ("new.step_submit", "Submit", "Soumettre"),
    (
        "new.file",
        "PDF file (A4, at most 50 MB)",
        "Fichier PDF (A4, 50 Mo au plus)",
    ),
    (
        "new.upload",
        "Check and save as draft",
        "Vérifier et enregistrer comme brouillon",
    ),
    (
        "new.recipient_override",
        "Recipient (optional)",
        "Destinataire (facultatif)",
    ),
    (
        "new.recipient_placeholder",
        "Name\nStreet and number\nPostcode and town\nCOUNTRY (abroad)",
        "Nom\nRue et numéro\nNPA et localité\nPAYS (à l'étranger)",
    ),
    (
        "new.recipient_hint",
        "One line each. Leave it empty to read the address from the window of page 1.",
        "Une ligne chacune. Laissez vide pour lire l'adresse dans la fenêtre de la page 1.",
    ),
    ("opt.envelope", "Envelope", "Enveloppe"),
    ("opt.colour", "Colour", "Couleur"),
    ("opt.sides", "Printing", "Impression"),
    ("opt.paper", "Paper", "Papier"),
    ("opt.product", "Postage", "Affranchissement"),
    ("opt.registered", "Registered", "Recommandé"),
    ("colour.bw", "Black and white", "Noir et blanc"),
    ("colour.colour", "Colour", "Couleur"),
    ("sides.simplex", "One-sided", "Recto"),
    ("sides.duplex", "Two-sided", "Recto verso"),
    ("product.priority", "Priority", "Prioritaire"),
    (
        "product.standard",
        "Standard (economy)",
        "Standard (économique)",
    ),
    (
        "product.international_priority",
        "International priority",
        "International prioritaire",
    ),
    ("registered.none", "Not registered", "Non recommandé"),
    ("registered.registered", "Registered", "Recommandé"),
    (
        "registered.registered_ar",
        "Registered with acknowledgement of receipt",
        "Recommandé avec avis de réception",
    ),
    ("letter.title", "Letter", "Lettre"),
    ("letter.preview", "Page 1", "Page 1"),
    ("letter.window", "Address window", "Fenêtre d'adresse"),
    (
        "letter.window_hint",
        "The dashed frame shows the envelope's address window.",
        "Le cadre pointillé montre la fenêtre d'adresse de l'enveloppe.",
    ),
    (
        "letter.no_preview",
        "The document was purged after the retention period; there is no preview.",
        "Le document a été purgé après la durée de conservation ; il n'y a pas d'aperçu.",
    ),
    ("letter.address", "Recipient as read", "Destinataire lu"),
    (
        "letter.return_address",
        "Return address",
        "Adresse de retour",
    ),
    ("letter.options", "Options", "Options"),
    ("letter.quote", "Price and delivery", "Prix et distribution"),
    ("letter.net", "Net", "Net"),
    ("letter.vat", "VAT", "TVA"),
    ("letter.total", "Total", "Total"),
    ("letter.weight", "Weight", "Poids"),
    ("letter.pages", "Pages", "Pages"),
    ("letter.sheets", "sheets", "feuilles"),
    // Letterhead and attachments (composition of a letter).
    ("letter.composition", "Made of", "Composition"),
    (
        "letter.letterhead_first_page",
        "letterhead on the first page",
        "papier à en-tête sur la première page",
    ),
    (
        "letter.letterhead_all_pages",
        "letterhead on all pages",
        "papier à en-tête sur toutes les pages",
    ),
    ("letter.attachment_one", "attachment", "annexe"),
    ("letter.attachment_many", "attachments", "annexes"),
    ("letter.page_one", "page", "page"),
    ("letter.page_many", "pages", "pages"),
    (
        "new.letterhead",
        "Letterhead (optional PDF, A4: its first page is printed under your letter)",
        "Papier à en-tête (PDF facultatif, A4 : sa première page est imprimée sous votre lettre)",
    ),
    ("new.letterhead_scope", "Letterhead under", "En-tête sous"),
    ("new.letterhead_first", "the first page", "la première page"),
    ("new.letterhead_all", "every page", "chaque page"),
    (
        "new.attachments",
        "Attachments (optional PDFs, A4, printed after the letter on a fresh sheet, e.g. a reply coupon)",
        "Annexes (PDF facultatifs, A4, imprimés après la lettre sur une nouvelle feuille, p. ex. un coupon-réponse)",
    ),
    (
        "err.letter.background_invalid",
        "The letterhead PDF was refused: it must be a readable A4 portrait PDF without password, JavaScript or embedded files.",
        "Le papier à en-tête a été refusé : il doit être un PDF A4 portrait lisible, sans mot de passe, JavaScript ni fichiers joints.",
    ),
    (
        "err.letter.attachment_invalid",
        "An attachment was refused: each must be a readable A4 portrait PDF without password, JavaScript or embedded files.",
        "Une annexe a été refusée : chacune doit être un PDF A4 portrait lisible, sans mot de passe, JavaScript ni fichiers joints.",
    ),
    (
        "err.letter.background_missing",
        "Pages for a letterhead were chosen, but no letterhead PDF was sent.",
        "Des pages ont été choisies pour un en-tête, mais aucun PDF d'en-tête n'a été envoyé.",
    ),
    (
        "err.letter.background_scope_unknown",
        "Choose the first page or every page for the letterhead.",
        "Choisissez la première page ou chaque page pour l'en-tête.",
    ),
    (
        "err.letter.too_many_attachments",
        "A letter has at most 10 attachments.",
        "Une lettre a au plus 10 annexes.",
    ),
    (
        "err.letter.background_twice",
        "Send one letterhead PDF at most.",
        "Envoyez un seul PDF d'en-tête.",
    ),
    ("letter.posting", "Posting date", "Date de dépôt"),
    ("letter.history", "Status history", "Historique des statuts"),
    ("letter.note", "Note", "Remarque"),
    ("letter.actions", "Actions", "Actions"),
    ("letter.submit", "Submit", "Soumettre"),
    ("letter.approve", "Approve", "Approuver"),
    (
        "letter.reject",
        "Send back to the author",
        "Renvoyer à l'auteur",
    ),
    (
        "letter.reason",
        "Reason for sending it back",
        "Motif du renvoi",
    ),
    ("letter.cancel", "Cancel the letter", "Annuler la lettre"),
    (
        "letter.confirm_cancel",
        "Cancel this letter? It will be neither printed nor billed.",
        "Annuler cette lettre ? Elle ne sera ni imprimée ni facturée.",
    ),
    ("letter.download", "Download PDF", "Télécharger le PDF"),
    ("letter.edit", "Change the options", "Modifier les options"),
    (
        "letter.edit_save",
        "Check and save",
        "Vérifier et enregistrer",
    ),
    (
        "letter.refused",
        "The letter was refused:",
        "La lettre a été refusée :",
    ),
    (
        "letter.draft_hint",
        "This letter is a draft. Check the address and the price, then submit it.",
        "Cette lettre est un brouillon. Vérifiez l'adresse et le prix, puis soumettez-la.",
    ),
    (
        "letter.awaiting_hint",
        "This letter waits for an approver.",
        "Cette lettre attend une approbation.",
    ),
    ("letter.by_api_key", "API key", "Clé API"),
    ("settings.title", "Letter settings", "Réglages des lettres"),
    (
        "settings.lead",
        "Approvals, how long documents are kept, the address window and the return address.",
        "Approbations, durée de conservation des documents, fenêtre d'adresse et adresse de retour.",
    ),
    (
        "settings.approval",
        "Letters that need an approver",
        "Lettres soumises à approbation",
    ),
    (
        "settings.approval_hint",
        "Letters submitted by the people ticked here wait until an approver accepts them.",
        "Les lettres soumises par les personnes cochées ici attendent qu'un approbateur les accepte.",
    ),
    (
        "settings.documents",
        "Documents and envelopes",
        "Documents et enveloppes",
    ),
    (
        "settings.retention",
        "Keep documents for (days, 1 to 3650)",
        "Conserver les documents (jours, de 1 à 3650)",
    ),
    (
        "settings.purge",
        "Purge print data 12 hours after printing",
        "Purger les données d'impression 12 heures après l'impression",
    ),
    ("settings.window", "Address window", "Fenêtre d'adresse"),
    (
        "settings.return_address",
        "Return address",
        "Adresse de retour",
    ),
    (
        "settings.return_hint",
        "Printed on registered letters, which need one.",
        "Imprimée sur les lettres recommandées, qui en exigent une.",
    ),
    (
        "window.swiss_left",
        "Swiss, window on the left",
        "Suisse, fenêtre à gauche",
    ),
    ("window.din5008_a", "DIN 5008 form A", "DIN 5008 forme A"),
    ("window.din5008_b", "DIN 5008 form B", "DIN 5008 forme B"),
    ("window.right", "Window on the right", "Fenêtre à droite"),
    (
        "err.upload.too_large",
        "The file is too large (at most 50 MB).",
        "Le fichier est trop volumineux (50 Mo au plus).",
    ),
    (
        "err.upload.file_missing",
        "Choose a PDF file.",
        "Choisissez un fichier PDF.",
    ),
    (
        "err.upload.malformed",
        "The upload could not be read. Try again.",
        "Le dépôt n'a pas pu être lu. Réessayez.",
    ),
    (
        "err.upload.infected",
        "The virus scanner found a threat in this file; it was not stored.",
        "L'antivirus a trouvé une menace dans ce fichier ; il n'a pas été enregistré.",
    ),
    (
        "err.pdf.not_a4",
        "A page is not A4.",
        "Une page n'est pas au format A4.",
    ),
    (
        "err.pdf.unreadable",
        "The file is not a readable PDF.",
        "Le fichier n'est pas un PDF lisible.",
    ),
    (
        "err.pdf.encrypted",
        "The PDF is protected by a password.",
        "Le PDF est protégé par un mot de passe.",
    ),
    (
        "err.pdf.no_pages",
        "The PDF has no page.",
        "Le PDF n'a aucune page.",
    ),
    (
        "err.pdf.javascript",
        "The PDF contains JavaScript, which is not accepted.",
        "Le PDF contient du JavaScript, qui n'est pas accepté.",
    ),
    (
        "err.pdf.launch_action",
        "The PDF tries to launch programs, which is not accepted.",
        "Le PDF tente de lancer des programmes, ce qui n'est pas accepté.",
    ),
    (
        "err.pdf.embedded_files",
        "The PDF contains embedded files, which are not accepted.",
        "Le PDF contient des fichiers joints, qui ne sont pas acceptés.",
    ),
    (
        "err.address.window_empty",
        "The address window of page 1 is empty.",
        "La fenêtre d'adresse de la page 1 est vide.",
    ),
    (
        "err.address.unreadable",
        "The address in the window cannot be read.",
        "L'adresse dans la fenêtre est illisible.",
    ),
    (
        "err.address.country_unknown",
        "The country of the address is not known.",
        "Le pays de l'adresse est inconnu.",
    ),
    (
        "err.address.locality_missing",
        "The address has no postcode and town.",
        "L'adresse n'a ni NPA ni localité.",
    ),
    (
        "err.address.recipient_missing",
        "The address has no recipient name.",
        "L'adresse n'a pas de nom de destinataire.",
    ),
    (
        "err.address.postcode_invalid",
        "The postcode is not valid for this country.",
        "Le code postal n'est pas valable pour ce pays.",
    ),
    (
        "err.letter.too_many_sheets",
        "Too many sheets for this envelope.",
        "Trop de feuilles pour cette enveloppe.",
    ),
    (
        "err.letter.too_heavy",
        "The letter is too heavy for the carrier's tariff.",
        "La lettre est trop lourde pour le tarif du transporteur.",
    ),
    (
        "err.letter.registered_abroad",
        "Registered letters can only be sent within the country.",
        "Les lettres recommandées ne peuvent être envoyées que dans le pays.",
    ),
    (
        "err.letter.return_address_missing",
        "A registered letter needs a return address; set one in the letter settings.",
        "Une lettre recommandée exige une adresse de retour ; indiquez-la dans les réglages des lettres.",
    ),
    (
        "err.letter.product_destination_mismatch",
        "This postage does not fit the destination: use international priority abroad, priority or standard within the country.",
        "Cet affranchissement ne convient pas à la destination : international prioritaire pour l'étranger, prioritaire ou standard dans le pays.",
    ),
    (
        "err.letter.registered_needs_priority",
        "Registered letters travel as priority.",
        "Les lettres recommandées voyagent en prioritaire.",
    ),
    (
        "err.letter.clear_zone_not_empty",
        "There is text just above the address window, where the postage is printed.",
        "Il y a du texte juste au-dessus de la fenêtre d'adresse, là où l'affranchissement est imprimé.",
    ),
    (
        "err.letter.cannot_cancel",
        "This letter is in production already and can no longer be cancelled.",
        "Cette lettre est déjà en production et ne peut plus être annulée.",
    ),
    (
        "err.letter.illegal_transition",
        "This is not possible in the letter's current status.",
        "Ce n'est pas possible dans le statut actuel de la lettre.",
    ),
    (
        "err.letter.reason_missing",
        "Say why the letter is sent back.",
        "Indiquez pourquoi la lettre est renvoyée.",
    ),
    (
        "err.letter.not_a_draft",
        "Only a draft can be changed.",
        "Seul un brouillon peut être modifié.",
    ),
    (
        "err.letter.status_changed",
        "The letter changed meanwhile. Reload it and try again.",
        "La lettre a changé entre-temps. Rechargez-la et réessayez.",
    ),
    (
        "err.letter.retention_invalid",
        "Keep documents between 1 and 3650 days.",
        "Conservez les documents entre 1 et 3650 jours.",
    ),
    (
        "err.letter.window_standard_unknown",
        "Choose one of the address windows offered.",
        "Choisissez une des fenêtres d'adresse proposées.",
    ),
    (
        "err.letter.approval_user_unknown",
        "This person is not in your organisation.",
        "Cette personne ne fait pas partie de votre organisation.",
    ),
    (
        "err.letter.return_address_too_long",
        "A return address has at most 500 characters.",
        "Une adresse de retour compte au plus 500 caractères.",
    ),
    (
        "err.document.shredded",
        "The document was purged and cannot be read any more.",
        "Le document a été purgé et ne peut plus être lu.",
    ),
    (
        "err.date.invalid",
        "Enter a date such as 2026-01-31.",
        "Saisissez une date comme 2026-01-31.",
    ),
    // Webhooks.
    ("nav.webhooks", "Webhooks", "Webhooks"),
    ("webhooks.title", "Webhooks", "Webhooks"),
    (
        "webhooks.lead",
        "Courrier sends your organisation's events to these HTTPS addresses as they happen, signed with each endpoint's secret in the Courrier-Signature header, and retries for several hours when an endpoint does not answer with 2xx.",
        "Courrier envoie les événements de votre organisation à ces adresses HTTPS dès qu'ils se produisent, signés avec le secret de chaque point de terminaison dans l'en-tête Courrier-Signature, et réessaie pendant plusieurs heures tant qu'un point de terminaison ne répond pas par 2xx.",
    ),
    (
        "webhooks.add",
        "Add an endpoint",
        "Ajouter un point de terminaison",
    ),
    (
        "webhooks.url",
        "Endpoint URL",
        "URL du point de terminaison",
    ),
    ("webhooks.description", "Description", "Description"),
    ("webhooks.events", "Events", "Événements"),
    (
        "webhooks.all_events",
        "All events, including future ones",
        "Tous les événements, y compris les futurs",
    ),
    (
        "webhooks.secret_shown_once",
        "Copy the signing secret of this endpoint now: it is shown only once. Check each request's Courrier-Signature header with it.",
        "Copiez maintenant le secret de signature de ce point de terminaison : il n'est affiché qu'une fois. Vérifiez avec lui l'en-tête Courrier-Signature de chaque requête.",
    ),
    ("webhooks.endpoints", "Endpoints", "Points de terminaison"),
    (
        "webhooks.none",
        "No endpoint yet.",
        "Aucun point de terminaison pour l'instant.",
    ),
    ("webhooks.created", "Created", "Créé"),
    ("webhooks.disabled", "Disabled", "Désactivé"),
    ("webhooks.disable", "Disable", "Désactiver"),
    ("webhooks.rotate", "New secret", "Nouveau secret"),
    ("webhooks.show_log", "Deliveries", "Envois"),
    ("webhooks.log", "Delivery log", "Journal des envois"),
    (
        "webhooks.log_all",
        "All endpoints",
        "Tous les points de terminaison",
    ),
    (
        "webhooks.no_deliveries",
        "No delivery yet.",
        "Aucun envoi pour l'instant.",
    ),
    ("webhooks.time", "Time", "Heure"),
    ("webhooks.event", "Event", "Événement"),
    ("webhooks.endpoint", "Endpoint", "Point de terminaison"),
    ("webhooks.state", "State", "État"),
    ("webhooks.attempts", "Attempts", "Tentatives"),
    ("webhooks.status", "HTTP status", "Statut HTTP"),
    ("webhooks.error", "Last error", "Dernière erreur"),
    ("webhooks.state_pending", "Pending", "En attente"),
    ("webhooks.state_delivered", "Delivered", "Remis"),
    ("webhooks.state_failed", "Failed", "Échoué"),
    (
        "webhooks.error_timeout",
        "No answer in time",
        "Pas de réponse à temps",
    ),
    (
        "webhooks.error_dns",
        "The name does not resolve",
        "Le nom ne se résout pas",
    ),
    (
        "webhooks.error_private_address",
        "Private address: not sent",
        "Adresse privée : rien n'est envoyé",
    ),
    (
        "webhooks.error_refused",
        "Connection refused or closed",
        "Connexion refusée ou fermée",
    ),
    (
        "webhooks.error_tls",
        "Secure connection (TLS) failed",
        "La connexion sécurisée (TLS) a échoué",
    ),
    (
        "webhooks.error_http_3xx",
        "Redirect (not followed)",
        "Redirection (non suivie)",
    ),
    (
        "webhooks.error_http_4xx",
        "Client error (4xx)",
        "Erreur client (4xx)",
    ),
    (
        "webhooks.error_http_5xx",
        "Server error (5xx)",
        "Erreur serveur (5xx)",
    ),
    (
        "webhooks.error_endpoint_disabled",
        "Endpoint disabled before sending",
        "Point de terminaison désactivé avant l'envoi",
    ),
    (
        "webhooks.error_internal",
        "Courrier could not send it",
        "Courrier n'a pas pu l'envoyer",
    ),
    (
        "err.webhook.url_invalid",
        "Give a public https:// address, such as https://erp.example.com/courrier/events, without a user name or password.",
        "Indiquez une adresse https:// publique, par exemple https://erp.example.com/courrier/events, sans nom d'utilisateur ni mot de passe.",
    ),
    (
        "err.webhook.url_private",
        "This address is on this machine or a private network. Courrier delivers only to public addresses.",
        "Cette adresse est sur cette machine ou sur un réseau privé. Courrier ne livre qu'à des adresses publiques.",
    ),
    (
        "err.webhook.events_none",
        "Choose at least one event.",
        "Choisissez au moins un événement.",
    ),
    (
        "err.webhook.event_unknown",
        "One of the events does not exist.",
        "Un des événements n'existe pas.",
    ),
    (
        "err.webhook.description_invalid",
        "Keep the description under 200 characters.",
        "Limitez la description à 200 caractères.",
    ),
    (
        "err.webhook.limit",
        "Your organisation already has 16 active endpoints. Disable one first.",
        "Votre organisation a déjà 16 points de terminaison actifs. Désactivez-en d'abord un.",
    ),
    ("runs.title", "Bulk runs", "Envois en nombre"),
    (
        "runs.lead",
        "Many letters from one PDF (an invoice run) or from a template and an address list. Each letter is checked on its own: good ones go on, refused ones are listed with their pages and reasons.",
        "Plusieurs lettres à partir d'un PDF (une série de factures) ou d'un modèle et d'une liste d'adresses. Chaque lettre est vérifiée seule : les bonnes continuent, les refusées sont listées avec leurs pages et leurs motifs.",
    ),
    ("runs.new", "New bulk run", "Nouvel envoi en nombre"),
    (
        "runs.new_lead",
        "Upload one PDF holding many letters, or merge a template with an address list.",
        "Déposez un PDF contenant plusieurs lettres, ou fusionnez un modèle avec une liste d'adresses.",
    ),
    (
        "runs.none",
        "No bulk run yet.",
        "Aucun envoi en nombre pour l'instant.",
    ),
    ("runs.created", "Started", "Démarré"),
    ("runs.kind", "Kind", "Type"),
    ("runs.kind.split", "Bulk PDF", "PDF groupé"),
    ("runs.kind.merge", "Mail merge", "Publipostage"),
    ("runs.source", "File", "Fichier"),
    ("runs.state", "State", "État"),
    ("runs.state.queued", "Queued", "En attente"),
    ("runs.state.running", "Running", "En cours"),
    ("runs.state.done", "Done", "Terminé"),
    ("runs.state.failed", "Failed", "Échoué"),
    ("runs.progress", "Progress", "Progression"),
    ("runs.processed", "letters processed", "lettres traitées"),
    ("runs.accepted", "accepted", "acceptées"),
    ("runs.refused", "refused", "refusées"),
    (
        "runs.refreshing",
        "This page refreshes itself until the run is finished.",
        "Cette page se met à jour seule jusqu'à la fin de l'envoi.",
    ),
    (
        "runs.no_items",
        "No letter processed yet.",
        "Aucune lettre traitée pour l'instant.",
    ),
    ("runs.source_pages", "Pages or row", "Pages ou ligne"),
    ("runs.outcome", "Outcome", "Résultat"),
    (
        "runs.letter_or_reasons",
        "Letter or reasons",
        "Lettre ou motifs",
    ),
    ("runs.item_accepted", "Accepted", "Acceptée"),
    ("runs.item_refused", "Refused", "Refusée"),
    ("runs.open_letter", "Open the letter", "Ouvrir la lettre"),
    (
        "runs.split_title",
        "A PDF of many letters",
        "Un PDF de plusieurs lettres",
    ),
    (
        "runs.split_lead",
        "For example your accounting software's invoice run, as one PDF.",
        "Par exemple la série de factures de votre logiciel comptable, en un seul PDF.",
    ),
    ("runs.pdf_file", "Bulk PDF", "PDF groupé"),
    (
        "runs.split_by",
        "A new letter starts",
        "Une nouvelle lettre commence",
    ),
    (
        "runs.split_address",
        "on each page with an address in the window",
        "à chaque page avec une adresse dans la fenêtre",
    ),
    ("runs.split_pages", "every N pages:", "toutes les N pages :"),
    (
        "runs.split_marker",
        "on each page whose text matches (regular expression):",
        "à chaque page dont le texte correspond (expression régulière) :",
    ),
    (
        "runs.abroad_hint",
        "Letters that turn out to go abroad are sent international priority.",
        "Les lettres destinées à l'étranger partent en prioritaire international.",
    ),
    (
        "runs.submit_all",
        "Submit the accepted letters at once (otherwise they stay drafts)",
        "Soumettre tout de suite les lettres acceptées (sinon elles restent en brouillon)",
    ),
    ("runs.start", "Start the run", "Lancer l'envoi"),
    ("runs.merge_title", "Mail merge", "Publipostage"),
    (
        "runs.merge_lead",
        "A Typst template filled from each row of a CSV, XLSX or ODS file; fields come from sys.inputs.",
        "Un modèle Typst rempli avec chaque ligne d'un fichier CSV, XLSX ou ODS ; les champs viennent de sys.inputs.",
    ),
    ("runs.template", "Template (Typst)", "Modèle (Typst)"),
    ("runs.rows_file", "Address list", "Liste d'adresses"),
    (
        "runs.rows_hint",
        "CSV with , or ; (UTF-8 or Windows-1252), XLSX or ODS; the first row names the columns.",
        "CSV avec , ou ; (UTF-8 ou Windows-1252), XLSX ou ODS ; la première ligne nomme les colonnes.",
    ),
    (
        "runs.mapping",
        "Column mapping (optional)",
        "Correspondance des colonnes (facultatif)",
    ),
    (
        "runs.mapping_hint",
        "One field=column per line; columns named like the fields (or PLZ, NPA, Ort, Ville…) are found by themselves.",
        "Un champ=colonne par ligne ; les colonnes nommées comme les champs (ou PLZ, NPA, Ort, Ville…) sont trouvées toutes seules.",
    ),
    (
        "runs.preview",
        "Preview the first letters",
        "Aperçu des premières lettres",
    ),
    ("runs.preview_title", "Preview", "Aperçu"),
    (
        "runs.preview_hint",
        "Nothing was stored. Choose the file again to start the run.",
        "Rien n'a été enregistré. Choisissez à nouveau le fichier pour lancer l'envoi.",
    ),
    ("runs.row", "Row", "Ligne"),
    ("runs.window", "Address window", "Fenêtre d'adresse"),
    (
        "runs.no_pdf_viewer",
        "Your browser cannot show the PDF here.",
        "Votre navigateur ne peut pas afficher le PDF ici.",
    ),
    (
        "err.merge.template_too_expensive",
        "The template needs more memory or computing time than one letter may use: simplify it, with fewer or shorter loops and smaller texts and images.",
        "Le modèle demande plus de mémoire ou de temps de calcul qu'une lettre ne peut en prendre : simplifiez-le, avec moins de boucles, plus courtes, et des textes et images plus petits.",
    ),
    (
        "err.run.marker_invalid",
        "The marker is not a usable regular expression.",
        "Le repère n'est pas une expression régulière utilisable.",
    ),
    (
        "err.run.method_invalid",
        "Choose how to split: by address, every N pages, or by a marker.",
        "Choisissez comment découper : par adresse, toutes les N pages ou par repère.",
    ),
    (
        "err.run.pages_invalid",
        "The number of pages per letter must be from 1 to 100.",
        "Le nombre de pages par lettre doit être de 1 à 100.",
    ),
    ("nav.reports", "Reports", "Rapports"),
    ("reports.title", "Reports", "Rapports"),
    (
        "reports.lead",
        "A CSV of the letters your organisation sent, for your accounting: by e-mail every day, week or month, or now for the dates you choose. It opens in Excel (UTF-8, semicolon-separated); times are in your organisation's time zone.",
        "Un fichier CSV des lettres envoyées par votre organisation, pour votre comptabilité : par e-mail chaque jour, semaine ou mois, ou tout de suite pour les dates de votre choix. Il s'ouvre dans Excel (UTF-8, séparé par des points-virgules) ; les heures sont celles du fuseau horaire de votre organisation.",
    ),
    (
        "reports.schedule",
        "Schedule a report",
        "Programmer un rapport",
    ),
    (
        "reports.schedule_hint",
        "Once a period is over (a day, an ISO week from Monday to Sunday, or a calendar month), the address gets a link to the report. Opening it needs a sign-in with the right to manage settings; the e-mail itself holds no letter.",
        "Une fois la période terminée (un jour, une semaine ISO du lundi au dimanche ou un mois civil), l'adresse reçoit un lien vers le rapport. L'ouvrir demande une connexion avec le droit de gérer les réglages ; l'e-mail lui-même ne contient aucune lettre.",
    ),
    ("reports.frequency", "Frequency", "Fréquence"),
    ("reports.daily", "Daily", "Quotidien"),
    ("reports.weekly", "Weekly", "Hebdomadaire"),
    ("reports.monthly", "Monthly", "Mensuel"),
    ("reports.recipient", "Send to", "Envoyer à"),
    ("reports.schedule_submit", "Schedule", "Programmer"),
    (
        "reports.scheduled",
        "The report is scheduled.",
        "Le rapport est programmé.",
    ),
    (
        "reports.schedules",
        "Scheduled reports",
        "Rapports programmés",
    ),
    (
        "reports.no_schedules",
        "No report is scheduled.",
        "Aucun rapport n'est programmé.",
    ),
    ("reports.next_run", "Next report", "Prochain rapport"),
    ("reports.created", "Created", "Créé"),
    ("reports.disabled", "Stopped", "Arrêté"),
    ("reports.disable", "Stop", "Arrêter"),
    ("reports.now", "Download now", "Télécharger maintenant"),
    (
        "reports.now_hint",
        "The letters submitted from the first to the last day, both included (at most 366 days).",
        "Les lettres soumises du premier au dernier jour, inclus (366 jours au plus).",
    ),
    ("reports.from", "First day", "Premier jour"),
    ("reports.to", "Last day", "Dernier jour"),
    (
        "reports.download_now",
        "Make and download",
        "Créer et télécharger",
    ),
    ("reports.made", "Reports made", "Rapports créés"),
    (
        "reports.none",
        "No report yet.",
        "Aucun rapport pour l'instant.",
    ),
    ("reports.period", "Period", "Période"),
    ("reports.letters", "Letters", "Lettres"),
    ("reports.origin", "Made", "Créé"),
    ("reports.by_schedule", "by a schedule", "par programmation"),
    ("reports.on_demand", "on demand", "à la demande"),
    ("reports.download", "Download CSV", "Télécharger le CSV"),
    (
        "settings.reports_link",
        "Reports of sent letters",
        "Rapports des lettres envoyées",
    ),
    (
        "err.report.frequency_invalid",
        "Choose daily, weekly or monthly.",
        "Choisissez quotidien, hebdomadaire ou mensuel.",
    ),
    (
        "err.report.date_invalid",
        "Give the days as dates, such as 2026-01-31.",
        "Indiquez les jours sous forme de dates, par exemple 2026-01-31.",
    ),
    (
        "err.report.period_invalid",
        "The last day comes before the first day.",
        "Le dernier jour précède le premier.",
    ),
    (
        "err.report.period_too_long",
        "A report covers at most 366 days.",
        "Un rapport couvre 366 jours au plus.",
    ),
    (
        "err.report_schedule.limit",
        "An organisation has at most 20 active scheduled reports; stop one first.",
        "Une organisation a au plus 20 rapports programmés actifs ; arrêtez-en un d'abord.",
    ),
    // Carrier tariffs (platform admin).
    (
        "tariffs.link",
        "Carrier tariffs",
        "Tarifs des transporteurs",
    ),
    (
        "tariffs.title",
        "Carrier tariffs",
        "Tarifs des transporteurs",
    ),
    (
        "tariffs.lead",
        "Postage by weight step, the platform's service fees and the VAT rate of each carrier. New quotes and letters use a saved table at once; letters priced before keep their price.",
        "L'affranchissement par palier de poids, les frais de service de la plateforme et le taux de TVA de chaque transporteur. Les nouveaux devis et lettres utilisent aussitôt un tarif enregistré ; les lettres déjà chiffrées gardent leur prix.",
    ),
    (
        "tariffs.none",
        "No carrier is set up.",
        "Aucun transporteur n'est configuré.",
    ),
    ("tariffs.carrier", "Carrier", "Transporteur"),
    ("tariffs.currency", "Currency", "Devise"),
    ("tariffs.vat", "VAT", "TVA"),
    ("tariffs.version", "Version", "Version"),
    (
        "tariffs.last_change",
        "Last change",
        "Dernière modification",
    ),
    ("tariffs.edit", "Edit", "Modifier"),
    (
        "tariffs.edit_lead",
        "Prices in the carrier's currency with a dot or a comma, such as 1.20. Saving makes a new version; the versions before stay in the history.",
        "Les prix dans la devise du transporteur, avec un point ou une virgule, par exemple 1.20. Enregistrer crée une nouvelle version ; les précédentes restent dans l'historique.",
    ),
    (
        "tariffs.saved",
        "Saved as a new version.",
        "Enregistré comme nouvelle version.",
    ),
    (
        "tariffs.conflict",
        "Someone saved another version of this table while you were editing. Your values are still in the form: compare them with the history below, then save again to replace that version.",
        "Quelqu'un a enregistré une autre version de ce tarif pendant votre modification. Vos valeurs sont toujours dans le formulaire : comparez-les avec l'historique ci-dessous, puis enregistrez à nouveau pour remplacer cette version.",
    ),
    (
        "tariffs.fixed",
        "The country and the currency of a carrier do not change.",
        "Le pays et la devise d'un transporteur ne changent pas.",
    ),
    ("tariffs.steps", "Weight steps", "Paliers de poids"),
    (
        "tariffs.steps_hint",
        "Postage for letters up to each weight. Fill in the blank row to add a step, tick Remove to drop one; rows are sorted by weight when saved.",
        "L'affranchissement des lettres jusqu'à chaque poids. Remplissez la ligne vide pour ajouter un palier, cochez Retirer pour en supprimer un ; les lignes sont triées par poids à l'enregistrement.",
    ),
    ("tariffs.up_to", "Up to (g)", "Jusqu'à (g)"),
    ("tariffs.priority", "Priority", "Prioritaire"),
    ("tariffs.standard", "Standard", "Économique"),
    (
        "tariffs.europe",
        "International, Europe",
        "International, Europe",
    ),
    (
        "tariffs.world",
        "International, world",
        "International, monde",
    ),
    ("tariffs.fees", "Service fees", "Frais de service"),
    (
        "tariffs.per_letter",
        "Per letter (envelope, inserting, franking)",
        "Par lettre (enveloppe, mise sous pli, affranchissement)",
    ),
    (
        "tariffs.per_sheet_bw",
        "Per sheet, black and white",
        "Par feuille, noir et blanc",
    ),
    (
        "tariffs.per_sheet_colour",
        "Per sheet, colour",
        "Par feuille, couleur",
    ),
    ("tariffs.registered", "Registered", "Recommandé"),
    (
        "tariffs.ar",
        "Acknowledgement of receipt",
        "Accusé de réception",
    ),
    ("tariffs.vat_rate", "VAT rate (%)", "Taux de TVA (%)"),
    (
        "tariffs.save",
        "Save a new version",
        "Enregistrer une nouvelle version",
    ),
    ("tariffs.history", "History", "Historique"),
    (
        "tariffs.history_hint",
        "Every saved version, newest first: steps as up-to weight, then priority / standard / Europe / world; fees per letter / sheet black and white / sheet colour / registered / acknowledgement of receipt.",
        "Chaque version enregistrée, la plus récente d'abord : paliers en poids maximal, puis prioritaire / économique / Europe / monde ; frais par lettre / feuille noir et blanc / feuille couleur / recommandé / accusé de réception.",
    ),
    ("tariffs.saved_at", "Saved", "Enregistrée"),
    (
        "err.tariff.amount_invalid",
        "Give an amount such as 1.20 (at most two decimals, no sign).",
        "Indiquez un montant tel que 1.20 (deux décimales au plus, sans signe).",
    ),
    (
        "err.tariff.vat_invalid",
        "Give the VAT rate in percent, such as 8.1 (at most two decimals).",
        "Indiquez le taux de TVA en pour cent, par exemple 8.1 (deux décimales au plus).",
    ),
    (
        "err.tariff.weight_invalid",
        "Give the weight in whole grams above 0, such as 100.",
        "Indiquez le poids en grammes entiers au-dessus de 0, par exemple 100.",
    ),
    (
        "err.tariff.invalid",
        "The table is refused: at least one weight step, each heavier than the one before; every price between 0 and 1,000,000; VAT at most 100 %; a carrier name of 1 to 80 characters.",
        "Le tarif est refusé : au moins un palier, chacun plus lourd que le précédent ; chaque prix entre 0 et 1 000 000 ; une TVA de 100 % au plus ; un nom de transporteur de 1 à 80 caractères.",
    ),
    (
        "err.tariff.changed",
        "Someone saved another version of this tariff meanwhile; reload it and save again.",
        "Quelqu'un a enregistré une autre version de ce tarif entre-temps ; rechargez-le et enregistrez à nouveau.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut keys: Vec<&str> = WORDS
            .iter()
            .chain(mail_words::WORDS)
            .chain(signup_words::WORDS)
            .chain(intake_words::WORDS)
            .chain(platform_words::WORDS)
            .map(|w| w.0)
            .collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate translation key");
        for (k, en, fr) in WORDS
            .iter()
            .chain(mail_words::WORDS)
            .chain(signup_words::WORDS)
            .chain(intake_words::WORDS)
            .chain(platform_words::WORDS)
        {
            assert!(!en.is_empty() && !fr.is_empty(), "{k}");
        }
        assert_eq!(L(Locale::Fr).t("nav.users"), "Utilisateurs");
        assert_eq!(L(Locale::En).t("nav.users"), "Users");
    }

    #[test]
    fn every_webhook_delivery_error_has_words() {
        for e in courrier_store::DeliveryError::ALL {
            let key = format!("webhooks.error_{}", e.as_str());
            assert_ne!(L(Locale::En).t(&key), key);
            assert_ne!(L(Locale::Fr).t(&key), key);
        }
    }

    /// Every key a template uses exists in the table.
    #[test]
    fn templates_use_known_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("l.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(
                    WORDS
                        .iter()
                        .chain(mail_words::WORDS)
                        .chain(signup_words::WORDS)
                        .chain(intake_words::WORDS)
                        .chain(platform_words::WORDS)
                        .any(|w| w.0 == key),
                    "{}: unknown key {key}",
                    path.display()
                );
            }
        }
    }
}
