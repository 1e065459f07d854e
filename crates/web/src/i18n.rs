//! The web app's words in English and French. Keys are looked up in one
//! table; a missing key shows the key itself, which a test catches.

use courrier_domain::Locale;

/// Translations for one request.
#[derive(Debug, Clone, Copy)]
pub struct L(pub Locale);

impl L {
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match WORDS.iter().find(|(k, _, _)| *k == key) {
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
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut keys: Vec<&str> = WORDS.iter().map(|w| w.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate translation key");
        for (k, en, fr) in WORDS {
            assert!(!en.is_empty() && !fr.is_empty(), "{k}");
        }
        assert_eq!(L(Locale::Fr).t("nav.users"), "Utilisateurs");
        assert_eq!(L(Locale::En).t("nav.users"), "Users");
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
                    WORDS.iter().any(|w| w.0 == key),
                    "{}: unknown key {key}",
                    path.display()
                );
            }
        }
    }
}
