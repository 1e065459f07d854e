### E-mails: subject, paragraphs and button of each message. Arguments are
### filled in by crates/app; `$reference` and `$note` come with their own
### leading space, or empty.

## An invitation to join an organisation
email-invitation-subject = You are invited to { $org } on Courrier
email-invitation-line1 = { $inviter } invites you to join { $org } on Courrier as { $role }.
email-invitation-line2 = The link below is valid for 7 days.
email-invitation-button = Accept the invitation

## A letter waits for approval
email-approval-subject = A letter to { $recipient } waits for your approval
email-approval-line1 = A colleague submitted a letter to { $recipient }{ $reference }. It is printed only once someone approves it.
email-approval-line2 = Open it to check the document, then approve it or send it back with a reason.
email-approval-button = Review the letter

## A letter reached its end
email-letter_delivered-subject = Your letter to { $recipient } was delivered
email-letter_delivered-line1 = Your letter to { $recipient }{ $reference } was delivered.
email-letter_returned-subject = Your letter to { $recipient } came back
email-letter_returned-line1 = Your letter to { $recipient }{ $reference } was returned to the sender.{ $note } Check the address and send it again.
email-letter_failed-subject = Your letter to { $recipient } could not be sent
email-letter_failed-line1 = Your letter to { $recipient }{ $reference } failed.{ $note } It is not billed; check it and send it again.
email-letter_outcome-button = Open the letter

## A forgotten password
email-password_reset-subject = Reset your Courrier password
email-password_reset-line1 = Someone asked to reset the password of your Courrier account.
email-password_reset-line2 = If it was you, choose a new password with the link below within one hour. Otherwise ignore this message.
email-password_reset-button = Choose a new password

## New mail in the mailbox
email-new_mail-subject = New mail from { $sender }
email-new_mail-line1 = A new letter from { $sender } arrived in your Courrier mailbox ({ $place }).
email-new_mail-line2 = Open it to see the envelope and choose what to do: scan, forward, shred or keep it for pickup.
email-new_mail-button = Open the mailbox

## A sign-up at a mail center
email-activation-subject = Activate your Courrier mailbox at { $place }
email-activation-line1 = Thank you for signing up { $company } for a mailbox at { $place }.
email-activation-line2 = Choose your password with the link below (valid { $days } days), then add the people and companies who may receive mail there and upload their identity documents.
email-activation-button = Choose a password

email-address_in_use-subject = Someone tried to sign up with your address
email-address_in_use-line1 = A new Courrier mailbox was requested with this e-mail address, which already belongs to an account. Nothing was created.
email-address_in_use-line2 = If it was you, sign in with your account (or choose a new password from the sign-in page) and open a mailbox from there. Otherwise ignore this message.
email-address_in_use-button = Sign in

email-reminder-subject = Reminder { $no } of 4: finish your mailbox at { $place }
email-reminder-sent_back = The mail center at { $place } sent documents back for review. Upload what is missing and submit again so your mail can be received.
email-reminder-waiting = Your mailbox at { $place } is waiting: add the people and companies who may receive mail, upload their identity documents and submit them.
email-reminder-line2 = Approval takes up to 48 hours once documents are submitted.
email-reminder-button = Finish my sign-up

email-plan_cancelled-subject = Your mailbox at { $place } closes on { $ends_on }
email-plan_cancelled-line1 = Your plan at { $place } is cancelled. Nothing more is billed; the mailbox receives mail until { $ends_on }, and mail arriving after that is refused.
email-plan_cancelled-line2 = Changed your mind? Keep the plan before that date.
email-plan_cancelled-button = Keep my plan

email-decision-approved = { $member } is approved: mail can be received
email-decision-sent_back = The documents of { $member } need another look
email-decision-rejected = { $member } was not accepted
email-decision-note = Note from the reviewer: { $note }
email-decision-button = Open my sign-up

## The daily digest of new mail
email-digest-subject = Your mail of { $day }: { $count ->
    [one] { $count } new item
   *[other] { $count } new items
}
email-digest-line1 = { $count ->
    [one] { $count } new item
   *[other] { $count } new items
} arrived in your Courrier mailbox ({ $place }) by { $day }, { $hour }:00:
email-digest-received = received
email-digest-kind_letter = letter
email-digest-kind_large_envelope = large envelope
email-digest-kind_parcel = parcel
email-digest-late = This summary is late: it could not be sent on { $day } at { $hour }:00. Mail received since then will be in the next one.
email-digest-button = Open the mailbox

## A scheduled report is ready
email-report-daily = daily
email-report-weekly = weekly
email-report-monthly = monthly
email-report-subject = Your { $frequency } report of sent letters ({ $first } to { $last })
email-report-line1 = The { $frequency } report of the letters { $org } sent from { $first } to { $last } is ready.
email-report-line2 = Sign in to Courrier to download it as a CSV file that opens in Excel. The link works for the people of { $org } who manage its settings.
email-report-line3 = You receive this message because this report was scheduled in Courrier; an administrator can stop it on the Reports page.
email-report-button = Download the report

## Webhook deliveries give up
email-webhook_failure-subject = Webhook deliveries to { $url } are failing
email-webhook_failure-line1 = Courrier could not deliver a { $event_type } event to your webhook endpoint { $url } after { $attempts } attempts. The last attempt ended with: { $reason }.
email-webhook_failure-line2 = Check that the endpoint is reachable from the internet, answers with a 2xx status within { $timeout } seconds, and checks the Courrier-Signature header with the endpoint's current secret.
email-webhook_failure-line3 = The delivery log shows every attempt. New events are still sent to this endpoint; disable it in Courrier, or have it answer 410 Gone, to stop them. You get at most one such message per endpoint a day.
email-webhook_failure-button = Open the delivery log
email-webhook_failure-reason_timeout = no answer in time
email-webhook_failure-reason_dns = the endpoint's name does not resolve
email-webhook_failure-reason_private_address = the endpoint's address is on a private network, where Courrier does not deliver
email-webhook_failure-reason_refused = the connection was refused or closed
email-webhook_failure-reason_tls = the secure connection (TLS) failed
email-webhook_failure-reason_http_3xx = a redirect, which Courrier does not follow; register the final address
email-webhook_failure-reason_http_4xx = a client error answered by the endpoint
email-webhook_failure-reason_http_5xx = a server error at the endpoint
email-webhook_failure-reason_endpoint_disabled = the endpoint was disabled before delivery
email-webhook_failure-reason_internal = Courrier could not send it
