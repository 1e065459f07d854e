### E-mails : objet, paragraphes et bouton de chaque message (voir le
### fichier anglais pour les arguments).

## Une invitation à rejoindre une organisation
email-invitation-subject = Invitation à rejoindre { $org } sur Courrier
email-invitation-line1 = { $inviter } vous invite à rejoindre { $org } sur Courrier avec le rôle { $role }.
email-invitation-line2 = Le lien ci-dessous est valable 7 jours.
email-invitation-button = Accepter l'invitation

## Une lettre attend une approbation
email-approval-subject = Une lettre à { $recipient } attend votre approbation
email-approval-line1 = Un collègue a soumis une lettre à { $recipient }{ $reference }. Elle ne sera imprimée qu'après approbation.
email-approval-line2 = Ouvrez-la pour vérifier le document, puis approuvez-la ou renvoyez-la avec un motif.
email-approval-button = Examiner la lettre

## Une lettre est arrivée au bout de son parcours
email-letter_delivered-subject = Votre lettre à { $recipient } a été distribuée
email-letter_delivered-line1 = Votre lettre à { $recipient }{ $reference } a été distribuée.
email-letter_returned-subject = Votre lettre à { $recipient } est revenue
email-letter_returned-line1 = Votre lettre à { $recipient }{ $reference } a été retournée à l'expéditeur.{ $note } Vérifiez l'adresse et renvoyez-la.
email-letter_failed-subject = Votre lettre à { $recipient } n'a pas pu être envoyée
email-letter_failed-line1 = L'envoi de votre lettre à { $recipient }{ $reference } a échoué.{ $note } Elle n'est pas facturée ; vérifiez-la et renvoyez-la.
email-letter_outcome-button = Ouvrir la lettre

## Un mot de passe oublié
email-password_reset-subject = Réinitialiser votre mot de passe Courrier
email-password_reset-line1 = Une réinitialisation du mot de passe de votre compte Courrier a été demandée.
email-password_reset-line2 = Si c'était vous, choisissez un nouveau mot de passe avec le lien ci-dessous dans l'heure. Sinon, ignorez ce message.
email-password_reset-button = Choisir un nouveau mot de passe

## Du nouveau courrier dans la boîte aux lettres
email-new_mail-subject = Nouveau courrier de { $sender }
email-new_mail-line1 = Un nouveau courrier de { $sender } est arrivé dans votre boîte aux lettres Courrier ({ $place }).
email-new_mail-line2 = Ouvrez-le pour voir l'enveloppe et choisir la suite : scanner, réexpédier, détruire ou garder pour retrait.
email-new_mail-button = Ouvrir la boîte aux lettres

## Une inscription auprès d'un centre courrier
email-activation-subject = Activez votre boîte aux lettres Courrier à { $place }
email-activation-line1 = Merci d'avoir inscrit { $company } pour une boîte aux lettres à { $place }.
email-activation-line2 = Choisissez votre mot de passe avec le lien ci-dessous (valable { $days } jours), puis ajoutez les personnes et entreprises qui peuvent y recevoir du courrier et téléversez leurs pièces d'identité.
email-activation-button = Choisir un mot de passe

email-address_in_use-subject = Tentative d'inscription avec votre adresse
email-address_in_use-line1 = Une nouvelle boîte aux lettres Courrier a été demandée avec cette adresse e-mail, qui appartient déjà à un compte. Rien n'a été créé.
email-address_in_use-line2 = Si c'était vous, connectez-vous avec votre compte (ou choisissez un nouveau mot de passe depuis la page de connexion). Sinon, ignorez ce message.
email-address_in_use-button = Se connecter

email-reminder-subject = Rappel { $no } sur 4 : terminez votre boîte aux lettres à { $place }
email-reminder-sent_back = Le centre de courrier de { $place } a renvoyé des documents pour examen. Téléversez ce qui manque et soumettez-les à nouveau pour que votre courrier puisse être reçu.
email-reminder-waiting = Votre boîte aux lettres à { $place } vous attend : ajoutez les personnes et entreprises qui peuvent recevoir du courrier, téléversez leurs pièces d'identité et soumettez-les.
email-reminder-line2 = L'approbation prend jusqu'à 48 heures une fois les documents soumis.
email-reminder-button = Terminer mon inscription

email-plan_cancelled-subject = Votre boîte aux lettres à { $place } ferme le { $ends_on }
email-plan_cancelled-line1 = Votre abonnement à { $place } est résilié. Rien de plus n'est facturé ; la boîte aux lettres reçoit du courrier jusqu'au { $ends_on }, le courrier arrivé ensuite est refusé.
email-plan_cancelled-line2 = Vous avez changé d'avis ? Gardez l'abonnement avant cette date.
email-plan_cancelled-button = Garder mon abonnement

email-decision-approved = { $member } est approuvé : le courrier peut être reçu
email-decision-sent_back = Les documents de { $member } doivent être revus
email-decision-rejected = { $member } n'a pas été accepté
email-decision-note = Note de la personne qui a examiné : { $note }
email-decision-button = Ouvrir mon inscription

## Le résumé quotidien du nouveau courrier
email-digest-subject = Votre courrier du { $day } : { $count ->
    [one] { $count } nouveau courrier
   *[other] { $count } nouveaux courriers
}
email-digest-line1 = { $count ->
    [one] { $count } nouveau courrier
   *[other] { $count } nouveaux courriers
} dans votre boîte aux lettres Courrier ({ $place }) jusqu'au { $day }, { $hour } h :
email-digest-received = reçu le
email-digest-kind_letter = lettre
email-digest-kind_large_envelope = grande enveloppe
email-digest-kind_parcel = colis
email-digest-late = Ce résumé arrive en retard : il n'a pas pu partir le { $day } à { $hour } h. Le courrier reçu depuis figurera dans le prochain.
email-digest-button = Ouvrir la boîte aux lettres

## Un rapport programmé est prêt
email-report-daily = quotidien
email-report-weekly = hebdomadaire
email-report-monthly = mensuel
email-report-subject = Votre rapport { $frequency } des lettres envoyées (du { $first } au { $last })
email-report-line1 = Le rapport { $frequency } des lettres envoyées par { $org } du { $first } au { $last } est prêt.
email-report-line2 = Connectez-vous à Courrier pour le télécharger en fichier CSV, qui s'ouvre dans Excel. Le lien fonctionne pour les personnes de { $org } qui gèrent ses réglages.
email-report-line3 = Vous recevez ce message parce que ce rapport a été programmé dans Courrier ; un administrateur peut l'arrêter sur la page Rapports.
email-report-button = Télécharger le rapport

## Les envois webhook abandonnent
email-webhook_failure-subject = Les envois webhook vers { $url } échouent
email-webhook_failure-line1 = Courrier n'a pas pu remettre un événement { $event_type } à votre point de terminaison webhook { $url } après { $attempts } tentatives. La dernière tentative s'est terminée par : { $reason }.
email-webhook_failure-line2 = Vérifiez que le point de terminaison est joignable depuis internet, répond par un statut 2xx en moins de { $timeout } secondes et vérifie l'en-tête Courrier-Signature avec le secret actuel du point de terminaison.
email-webhook_failure-line3 = Le journal des envois montre chaque tentative. Les nouveaux événements sont toujours envoyés à ce point de terminaison ; désactivez-le dans Courrier, ou faites-le répondre 410 Gone, pour les arrêter. Vous recevez au plus un tel message par point de terminaison et par jour.
email-webhook_failure-button = Ouvrir le journal des envois
email-webhook_failure-reason_timeout = pas de réponse à temps
email-webhook_failure-reason_dns = le nom du point de terminaison ne se résout pas
email-webhook_failure-reason_private_address = l'adresse du point de terminaison est sur un réseau privé, où Courrier ne livre pas
email-webhook_failure-reason_refused = la connexion a été refusée ou fermée
email-webhook_failure-reason_tls = la connexion sécurisée (TLS) a échoué
email-webhook_failure-reason_http_3xx = une redirection, que Courrier ne suit pas ; enregistrez l'adresse finale
email-webhook_failure-reason_http_4xx = une erreur client répondue par le point de terminaison
email-webhook_failure-reason_http_5xx = une erreur serveur du point de terminaison
email-webhook_failure-reason_endpoint_disabled = le point de terminaison a été désactivé avant l'envoi
email-webhook_failure-reason_internal = Courrier n'a pas pu l'envoyer
