//! Words of received-versus-inserted at the counter (the carrier's count,
//! the day a piece was received, late inserts), of multi-file scans and of
//! the daily digest setting, kept apart from the main table so the tables
//! grow without stepping on each other.

pub(super) const WORDS: &[(&str, &str, &str)] = &[
    (
        "center.all_inserted",
        "Everything received today is inserted",
        "Tout le courrier reçu aujourd'hui est inséré",
    ),
    (
        "center.no_count",
        "Carrier count not recorded yet",
        "Nombre remis par le transporteur pas encore saisi",
    ),
    (
        "center.not_inserted",
        "pieces not inserted yet",
        "envois pas encore insérés",
    ),
    (
        "center.over_count",
        "more inserted than the carrier's count: check the count",
        "insérés en plus du nombre remis : vérifiez le nombre",
    ),
    (
        "center.late_inserts",
        "Late inserts (received earlier)",
        "Insertions tardives (reçus avant)",
    ),
    (
        "center.carrier_count",
        "Received from the carrier",
        "Remis par le transporteur",
    ),
    (
        "center.carrier_hint",
        "Count the pieces the carrier hands over and record the number; correct it during the day if more arrive. Each intake says the day its piece was received.",
        "Comptez les envois remis par le transporteur et saisissez le nombre ; corrigez-le dans la journée si d'autres arrivent. Chaque saisie indique le jour de réception de l'envoi.",
    ),
    (
        "center.carrier_pieces",
        "Pieces received today",
        "Envois reçus aujourd'hui",
    ),
    (
        "center.carrier_save",
        "Save the count",
        "Enregistrer le nombre",
    ),
    ("center.carrier_by", "Recorded by", "Saisi par"),
    (
        "center.received_inserted",
        "Received today and inserted",
        "Reçus aujourd'hui et insérés",
    ),
    (
        "center.inserted_today_all",
        "Inserted today (all days of receipt)",
        "Insérés aujourd'hui (tous jours de réception)",
    ),
    ("center.received_on", "Received on", "Reçu le"),
    ("center.inserted_at", "Inserted", "Inséré"),
    (
        "intake.received_on_hint",
        "The day the carrier handed the piece over: today, or an earlier day for a late insert.",
        "Le jour où le transporteur a remis l'envoi : aujourd'hui, ou un jour précédent pour une insertion tardive.",
    ),
    (
        "tasks.scan_files_hint",
        "One or more files in page order: PDFs, or JPEG/PNG photos (one per page)",
        "Un ou plusieurs fichiers dans l'ordre des pages : PDF, ou photos JPEG/PNG (une par page)",
    ),
    (
        "setup.notify",
        "New mail notifications",
        "Avis de nouveau courrier",
    ),
    (
        "setup.notify_each",
        "An e-mail for each item",
        "Un e-mail par envoi",
    ),
    (
        "setup.notify_digest",
        "A daily digest (18:00)",
        "Un récapitulatif quotidien (18 h)",
    ),
    ("setup.notify_both", "Both", "Les deux"),
    ("setup.notify_none", "No e-mail", "Aucun e-mail"),
    (
        "setup.notify_hint",
        "The digest lists the items received since the previous day at 18:00 and is not sent when nothing arrived. Webhooks are sent for each item whatever you choose.",
        "Le récapitulatif liste les envois reçus depuis la veille à 18 h et n'est pas envoyé si rien n'est arrivé. Les webhooks sont envoyés pour chaque envoi quel que soit votre choix.",
    ),
    ("setup.notify_save", "Save", "Enregistrer"),
    (
        "setup.notify_saved",
        "Notification setting saved.",
        "Réglage des avis enregistré.",
    ),
    (
        "err.mail.count_invalid",
        "Give the number of pieces from the carrier (0 to 100,000).",
        "Indiquez le nombre d'envois remis par le transporteur (0 à 100 000).",
    ),
    (
        "center.plans_ending",
        "Plans ending within 30 days",
        "Abonnements qui se terminent dans les 30 jours",
    ),
    (
        "center.plans_ending_hint",
        "These customers cancelled their plan: their mailbox closes on the date shown, and mail for them is refused from then on.",
        "Ces clients ont résilié leur abonnement : leur boîte aux lettres ferme à la date indiquée et leur courrier est refusé dès lors.",
    ),
    ("setup.retention", "Scans kept", "Conservation des scans"),
    (
        "setup.retention_days",
        "Days after scanning",
        "Jours après le scan",
    ),
    (
        "setup.retention_hint",
        "After this many days a scan is destroyed and its text no longer searchable; the item and its history stay. Leave empty to keep scans. Paper originals are kept 25 days whatever this says.",
        "Passé ce nombre de jours, un scan est détruit et son texte n'est plus cherchable ; l'envoi et son historique restent. Laissez vide pour garder les scans. Les originaux papier sont gardés 25 jours quoi qu'il en soit.",
    ),
    ("setup.retention_save", "Save", "Enregistrer"),
    (
        "setup.retention_saved",
        "Scan retention saved.",
        "Conservation des scans enregistrée.",
    ),
    (
        "err.mail.retention_invalid",
        "Give a whole number of days from 1 to 3,650, or leave it empty to keep scans.",
        "Indiquez un nombre entier de jours de 1 à 3 650, ou laissez vide pour garder les scans.",
    ),
    (
        "err.mail.notify_invalid",
        "Choose how new mail is announced.",
        "Choisissez comment le nouveau courrier est annoncé.",
    ),
];
