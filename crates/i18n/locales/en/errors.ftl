### Texts of error codes, shown as err.<code> (the dots become dashes in the id).

err-auth-bad_credentials = Wrong e-mail or password.
err-auth-code_invalid = The code is wrong or has expired.
err-auth-throttled = Too many attempts. Wait 15 minutes and try again.
err-auth-bad_password = The password is wrong.
err-mail-amount_out_of_range = An amount entered at the mail center is between 0 and 2,000.00.
err-rate_limited = Too many requests for your organisation. Wait a moment and try again.
err-password-too_short = A password needs at least 10 characters.
err-email-invalid = This e-mail address is not valid.
err-user-email_taken = Someone already uses this e-mail address.
err-user-last_manager = The organisation needs at least one person who manages users. Give that role to someone else first.
err-role-not_for_org_kind = This role does not exist in your kind of organisation.
err-role-above_actor = This role holds permissions you do not hold; only someone who holds them can give it.
err-user-above_actor = This person holds permissions you do not hold; only someone who holds them can change or remove them.
err-user-role_changed = This person's role changed meanwhile. Reload the page and try again.
err-permission-none = Choose at least one permission.
err-permission-not_held = You cannot give a key a permission you do not hold.
err-name-invalid = Give a name.
err-auth-reset_link_invalid = This link was used, has expired or is wrong. Ask for a new one.
err-auth-2fa_required_by_org = Your organisation requires two-step verification.
err-not_found = Not found in your organisation.
err-auth-forbidden = You do not have the permission for this. Ask an administrator.
err-letter-background_invalid = The letterhead PDF was refused: it must be a readable A4 portrait PDF without password, JavaScript or embedded files.
err-letter-attachment_invalid = An attachment was refused: each must be a readable A4 portrait PDF without password, JavaScript or embedded files.
err-letter-background_missing = Pages for a letterhead were chosen, but no letterhead PDF was sent.
err-letter-background_scope_unknown = Choose the first page or every page for the letterhead.
err-letter-too_many_attachments = A letter has at most 10 attachments.
err-letter-background_twice = Send one letterhead PDF at most.
err-upload-too_large = The file is too large (at most 50 MB).
err-upload-file_missing = Choose a PDF file.
err-upload-malformed = The upload could not be read. Try again.
err-upload-infected = The virus scanner found a threat in this file; it was not stored.
err-pdf-not_a4 = A page is not A4.
err-pdf-unreadable = The file is not a readable PDF.
err-pdf-encrypted = The PDF is protected by a password.
err-pdf-no_pages = The PDF has no page.
err-pdf-javascript = The PDF contains JavaScript, which is not accepted.
err-pdf-launch_action = The PDF tries to launch programs, which is not accepted.
err-pdf-embedded_files = The PDF contains embedded files, which are not accepted.
err-address-window_empty = The address window of page 1 is empty.
err-address-unreadable = The address in the window cannot be read.
err-address-country_unknown = The country of the address is not known.
err-address-locality_missing = The address has no postcode and town.
err-address-recipient_missing = The address has no recipient name.
err-address-postcode_invalid = The postcode is not valid for this country.
err-letter-too_many_sheets = Too many sheets for this envelope.
err-letter-too_heavy = The letter is too heavy for the carrier's tariff.
err-letter-registered_abroad = Registered letters can only be sent within the country.
err-letter-return_address_missing = A registered letter needs a return address; set one in the letter settings.
err-letter-product_destination_mismatch = This postage does not fit the destination: use international priority abroad, priority or standard within the country.
err-letter-registered_needs_priority = Registered letters travel as priority.
err-letter-clear_zone_not_empty = There is text just above the address window, where the postage is printed.
err-letter-cannot_cancel = This letter is in production already and can no longer be cancelled.
err-letter-illegal_transition = This is not possible in the letter's current status.
err-letter-reason_missing = Say why the letter is sent back.
err-letter-not_a_draft = Only a draft can be changed.
err-letter-status_changed = The letter changed meanwhile. Reload it and try again.
err-letter-retention_invalid = Keep documents between 1 and 3650 days.
err-letter-window_standard_unknown = Choose one of the address windows offered.
err-letter-approval_user_unknown = This person is not in your organisation.
err-letter-return_address_too_long = A return address has at most 500 characters.
err-document-shredded = The document was purged and cannot be read any more.
err-date-invalid = Enter a date such as 2026-01-31.
err-webhook-url_invalid = Give a public https:// address, such as https://erp.example.com/courrier/events, without a user name or password.
err-webhook-url_private = This address is on this machine or a private network. Courrier delivers only to public addresses.
err-webhook-events_none = Choose at least one event.
err-webhook-event_unknown = One of the events does not exist.
err-webhook-description_invalid = Keep the description under 200 characters.
err-webhook-limit = Your organisation already has 16 active endpoints. Disable one first.
err-merge-template_too_expensive = The template needs more memory or computing time than one letter may use: simplify it, with fewer or shorter loops and smaller texts and images.
err-run-marker_invalid = The marker is not a usable regular expression.
err-run-method_invalid = Choose how to split: by address, every N pages, or by a marker.
err-run-pages_invalid = The number of pages per letter must be from 1 to 100.
err-report-frequency_invalid = Choose daily, weekly or monthly.
err-report-date_invalid = Give the days as dates, such as 2026-01-31.
err-report-period_invalid = The last day comes before the first day.
err-report-period_too_long = A report covers at most 366 days.
err-report_schedule-limit = An organisation has at most 20 active scheduled reports; stop one first.
err-tariff-amount_invalid = Give an amount such as 1.20 (at most two decimals, no sign).
err-tariff-vat_invalid = Give the VAT rate in percent, such as 8.1 (at most two decimals).
err-tariff-weight_invalid = Give the weight in whole grams above 0, such as 100.
err-tariff-invalid = The table is refused: at least one weight step, each heavier than the one before; every price between 0 and 1,000,000; VAT at most 100 %; a carrier name of 1 to 80 characters.
err-tariff-changed = Someone saved another version of this tariff meanwhile; reload it and save again.
err-search-order_invalid = The order is newest first or best match first.
err-mail-unscannable-non_paper = The item contains something that is not paper.
err-mail-unscannable-pin_code = The item contains a PIN code.
err-mail-unscannable-money = The item contains money.
err-mail-unscannable-ticket = The item contains a ticket.
err-mail-unscannable-voucher = The item contains a voucher.
err-mail-unscannable-cheque = The item contains a cheque.
err-mail-unscannable-object = The item contains a physical object.
err-mail-unscannable-parcel = Parcels are not opened for scanning.
err-mail-unscannable-too_large = The item is larger than A3.
err-mail-unscannable-too_small = The item is smaller than A6.
err-mail-already_scanned = The item is already scanned.
err-mail-not_scanned = The letter was not scanned, so the paper is the only copy: forward it instead.
err-mail-original_expired = The paper original is no longer kept.
err-mail-items_invalid = Choose 1 to 200 different items.
err-mailbox-suspended = The mailbox is suspended until its new address is verified.
err-mail-forward_address_missing = A forward needs an address.
err-item-paper_original_posted = The paper original of this item was posted already; it is printed and billed once.
err-signup-plan_running = A plan already runs at this location.
err-plan-confirm_required = Tick the box to confirm that the mailbox closes at the end of the plan.
err-plan-action_invalid = Choose to cancel or to keep the plan.
err-plan-already_cancelled = This plan is already cancelled.
err-plan-not_cancelled = This plan is not cancelled.
err-plan-ended = This plan has ended and its mailbox is closed.
err-plan-changed = The plan changed meanwhile; look at it again.
err-signup-terms_required = Accept the terms of service to sign up.
err-signup-location_closed = This location does not take sign-ups.
err-signup-name_invalid = Give a name of 1 to 200 characters.
err-signup-plan_invalid = Choose the monthly or the yearly plan.
err-signup-price_invalid = Give a price like 19.90, between 0 and 100000.
err-signup-document_kind_invalid = A person uploads an identity card, passport or residence permit; a company a commercial-register extract; both may add another document.
err-signup-document_side_invalid = Choose the front or back of a card; other documents are one whole file.
err-signup-document_type = Upload a PDF, JPEG or PNG file.
err-signup-document_too_large = An identity document has at most 10 MB.
err-signup-document_empty = Choose a file.
err-member-documents_missing = Upload at least one identity document before submitting.
err-member-review_closed = The review of this member is over; no more documents are taken.
err-mail-count_invalid = Give the number of pieces from the carrier (0 to 100,000).
err-mail-retention_invalid = Give a whole number of days from 1 to 3,650, or leave it empty to keep scans.
err-mail-notify_invalid = Choose how new mail is announced.

## Codes whose English text is the error's own message: it is precise (which
## field, which limit), so English pages show it as it is, and French pages
## show the translation below. `$message` is the error's English message.

err-auth-2fa_already_enabled =
    { $doc ->
        [yes] Two-step verification is already on.
       *[other] { $message }
    }
err-auth-2fa_not_enabled =
    { $doc ->
        [yes] Two-step verification is not on.
       *[other] { $message }
    }
err-auth-required =
    { $doc ->
        [yes] Sign in, or send an API key in the header 'Authorization: Bearer cour_…'.
       *[other] { $message }
    }
err-country-invalid =
    { $doc ->
        [yes] Give the country as its two-letter code, for example CH or FR.
       *[other] { $message }
    }
err-country-unknown =
    { $doc ->
        [yes] This country code does not exist in ISO 3166-1.
       *[other] { $message }
    }
err-currency-invalid =
    { $doc ->
        [yes] Give the currency as its three-letter code, for example CHF or EUR.
       *[other] { $message }
    }
err-date-out_of_range =
    { $doc ->
        [yes] This date is too far away: no business day can be counted beyond it.
       *[other] { $message }
    }
err-delivery-recipient_invalid =
    { $doc ->
        [yes] The recipient given is not a known organisation.
       *[other] { $message }
    }
err-delivery-recipient_missing =
    { $doc ->
        [yes] Give the recipient: an organisation or an address.
       *[other] { $message }
    }
err-id-invalid =
    { $doc ->
        [yes] This identifier is not valid.
       *[other] { $message }
    }
err-idempotency-answer_lost =
    { $doc ->
        [yes] The request with this Idempotency-Key was carried out, but the server stopped before answering: look at the result instead of sending it again.
       *[other] { $message }
    }
err-idempotency-in_progress =
    { $doc ->
        [yes] A request with this Idempotency-Key is still running; try again in a moment.
       *[other] { $message }
    }
err-idempotency-key_invalid =
    { $doc ->
        [yes] An Idempotency-Key has 1 to 255 characters.
       *[other] { $message }
    }
err-idempotency-key_reused =
    { $doc ->
        [yes] This Idempotency-Key was used for another request; use a new key.
       *[other] { $message }
    }
err-input-invalid =
    { $doc ->
        [yes] The input was refused.
       *[other] { $message }
    }
err-internal =
    { $doc ->
        [yes] Something failed on our side; try again, and if it persists, give us the request's identifier (x-request-id).
       *[other] { $message }
    }
err-letter-colour_unknown =
    { $doc ->
        [yes] Choose black and white or colour printing.
       *[other] { $message }
    }
err-letter-empty =
    { $doc ->
        [yes] The letter has no page to print.
       *[other] { $message }
    }
err-letter-envelope_unknown =
    { $doc ->
        [yes] Choose a C5, C4 or DL window envelope.
       *[other] { $message }
    }
err-letter-no_carrier =
    { $doc ->
        [yes] No carrier serves senders of this country; ask the platform's operator.
       *[other] { $message }
    }
err-letter-paper_colour_mismatch =
    { $doc ->
        [yes] Colour printing needs 90 g paper; choose 90 g or black and white.
       *[other] { $message }
    }
err-letter-paper_unknown =
    { $doc ->
        [yes] Choose 80 g or 90 g paper.
       *[other] { $message }
    }
err-letter-product_unknown =
    { $doc ->
        [yes] Choose priority, standard or international priority mail.
       *[other] { $message }
    }
err-letter-refused =
    { $doc ->
        [yes] The letter was refused.
       *[other] { $message }
    }
err-letter-registered_unknown =
    { $doc ->
        [yes] Choose not registered, registered, or registered with acknowledgement of receipt.
       *[other] { $message }
    }
err-letter-sides_unknown =
    { $doc ->
        [yes] Choose single-sided or double-sided printing.
       *[other] { $message }
    }
err-letter-status_unknown =
    { $doc ->
        [yes] This letter status does not exist.
       *[other] { $message }
    }
err-mail-action_pending =
    { $doc ->
        [yes] Another request is under way for this item; wait until it is done.
       *[other] { $message }
    }
err-mail-action_unknown =
    { $doc ->
        [yes] This action does not exist for mail.
       *[other] { $message }
    }
err-mail-activation_too_early =
    { $doc ->
        [yes] The mailbox cannot be activated yet: the time after sign-up has not passed.
       *[other] { $message }
    }
err-mail-already_digital =
    { $doc ->
        [yes] This item was delivered digitally: there is nothing to scan.
       *[other] { $message }
    }
err-mail-code_digest_invalid =
    { $doc ->
        [yes] The code's digest has 64 hexadecimal digits.
       *[other] { $message }
    }
err-mail-code_expired =
    { $doc ->
        [yes] This code is no longer valid; ask for a new letter.
       *[other] { $message }
    }
err-mail-code_locked =
    { $doc ->
        [yes] Too many wrong codes; try again later.
       *[other] { $message }
    }
err-mail-code_malformed =
    { $doc ->
        [yes] The code is made of letters and digits, like 7K3M-Q9TX.
       *[other] { $message }
    }
err-mail-code_used =
    { $doc ->
        [yes] This code was used already.
       *[other] { $message }
    }
err-mail-code_wrong =
    { $doc ->
        [yes] This is not the letter's code; check it and try again.
       *[other] { $message }
    }
err-mail-content_unknown =
    { $doc ->
        [yes] This content declaration does not exist.
       *[other] { $message }
    }
err-mail-dimensions_invalid =
    { $doc ->
        [yes] These dimensions do not fit a postal item.
       *[other] { $message }
    }
err-mail-format_unknown =
    { $doc ->
        [yes] This item format does not exist.
       *[other] { $message }
    }
err-mail-forward_address_invalid =
    { $doc ->
        [yes] The forwarding address is not valid; check it.
       *[other] { $message }
    }
err-mail-illegal_transition =
    { $doc ->
        [yes] This item cannot move to that state.
       *[other] { $message }
    }
err-mail-item_gone =
    { $doc ->
        [yes] This item is no longer here: nothing more can be done with it.
       *[other] { $message }
    }
err-mail-item_kind_unknown =
    { $doc ->
        [yes] Choose a letter, a large envelope or a parcel.
       *[other] { $message }
    }
err-mail-item_state_unknown =
    { $doc ->
        [yes] This item state does not exist.
       *[other] { $message }
    }
err-mail-location_invalid =
    { $doc ->
        [yes] The mail center's details are not valid.
       *[other] { $message }
    }
err-mail-mailbox_closed =
    { $doc ->
        [yes] The mailbox is closed.
       *[other] { $message }
    }
err-mail-mailbox_illegal_transition =
    { $doc ->
        [yes] The mailbox cannot move to that state.
       *[other] { $message }
    }
err-mail-mailbox_state_unknown =
    { $doc ->
        [yes] This mailbox state does not exist.
       *[other] { $message }
    }
err-mail-markup_above_cap =
    { $doc ->
        [yes] The markup is above the allowed cap.
       *[other] { $message }
    }
err-mail-no_mailbox =
    { $doc ->
        [yes] Your organisation has no mailbox yet.
       *[other] { $message }
    }
err-mail-not_physical =
    { $doc ->
        [yes] This item was delivered digitally: there is no paper original.
       *[other] { $message }
    }
err-mail-note_missing =
    { $doc ->
        [yes] Every review decision needs a note giving its reason.
       *[other] { $message }
    }
err-mail-note_too_long =
    { $doc ->
        [yes] The note is too long.
       *[other] { $message }
    }
err-mail-origin_unknown =
    { $doc ->
        [yes] This origin of mail does not exist.
       *[other] { $message }
    }
err-mail-price_invalid =
    { $doc ->
        [yes] This amount is outside the allowed range.
       *[other] { $message }
    }
err-mail-review_illegal_transition =
    { $doc ->
        [yes] The review cannot move to that state.
       *[other] { $message }
    }
err-mail-review_invalid =
    { $doc ->
        [yes] Choose to approve or to refuse.
       *[other] { $message }
    }
err-mail-review_state_unknown =
    { $doc ->
        [yes] This review state does not exist.
       *[other] { $message }
    }
err-mail-review_wrong_party =
    { $doc ->
        [yes] At this stage of the review, this decision belongs to another party.
       *[other] { $message }
    }
err-mail-rule_pattern_empty =
    { $doc ->
        [yes] Give the text to look for in the sender.
       *[other] { $message }
    }
err-mail-rule_pattern_too_long =
    { $doc ->
        [yes] The text to look for in the sender is too long.
       *[other] { $message }
    }
err-mail-sla_rules_invalid =
    { $doc ->
        [yes] The cut-off time falls after the end of the day; correct the hours.
       *[other] { $message }
    }
err-mail-weight_invalid =
    { $doc ->
        [yes] This weight is outside the range allowed for an item.
       *[other] { $message }
    }
err-mailbox-changed =
    { $doc ->
        [yes] The mailbox changed meanwhile; reload the page and try again.
       *[other] { $message }
    }
err-mailbox-exists =
    { $doc ->
        [yes] Your organisation has a mailbox already.
       *[other] { $message }
    }
err-mailbox-no_platform =
    { $doc ->
        [yes] No platform is set up to send the verification letter; ask the operator.
       *[other] { $message }
    }
err-mailbox-not_awaiting_code =
    { $doc ->
        [yes] The mailbox is not waiting for a verification code.
       *[other] { $message }
    }
err-mailbox-not_verified_by_post =
    { $doc ->
        [yes] This mailbox is not verified by a letter by post.
       *[other] { $message }
    }
err-merge-field_missing =
    { $doc ->
        [yes] A value the template needs is missing for one of its fields.
       *[other] { $message }
    }
err-merge-field_unmapped =
    { $doc ->
        [yes] No column is matched to a field the template needs.
       *[other] { $message }
    }
err-merge-template_error =
    { $doc ->
        [yes] Layout stopped while rendering the template: simplify the template.
       *[other] { $message }
    }
err-merge-template_too_large =
    { $doc ->
        [yes] The template is too large.
       *[other] { $message }
    }
err-merge-unknown_column =
    { $doc ->
        [yes] The file has no column of this name.
       *[other] { $message }
    }
err-merge-unknown_field =
    { $doc ->
        [yes] The template has no field of this name.
       *[other] { $message }
    }
err-ocr-unavailable =
    { $doc ->
        [yes] Text recognition is not installed on this server; the scan is kept, search by its text is off.
       *[other] { $message }
    }
err-org-time_zone_unknown =
    { $doc ->
        [yes] This time zone does not exist: give a name like Europe/Zurich.
       *[other] { $message }
    }
err-ocr-unreadable =
    { $doc ->
        [yes] The text of this document could not be recognised.
       *[other] { $message }
    }
err-org-kind_invalid =
    { $doc ->
        [yes] This kind of organisation does not exist.
       *[other] { $message }
    }
err-password-too_long =
    { $doc ->
        [yes] The password is too long.
       *[other] { $message }
    }
err-pdf-page_missing =
    { $doc ->
        [yes] A page of the file could not be read.
       *[other] { $message }
    }
err-pdf-too_large =
    { $doc ->
        [yes] The file is too large: split it into several files.
       *[other] { $message }
    }
err-permission-unknown =
    { $doc ->
        [yes] This permission does not exist.
       *[other] { $message }
    }
err-request-body_unreadable =
    { $doc ->
        [yes] The request's body could not be read.
       *[other] { $message }
    }
err-request-malformed =
    { $doc ->
        [yes] The request's JSON body is not valid.
       *[other] { $message }
    }
err-request-not_json =
    { $doc ->
        [yes] Send the body as JSON with the header 'Content-Type: application/json'.
       *[other] { $message }
    }
err-request-query_invalid =
    { $doc ->
        [yes] The address's query parameters are not valid.
       *[other] { $message }
    }
err-request-too_large =
    { $doc ->
        [yes] The request's body is too large.
       *[other] { $message }
    }
err-request-unsupported_media_type =
    { $doc ->
        [yes] Send the file as 'multipart/form-data' with a 'file' part, or as a PDF ('application/pdf') with the options in the address.
       *[other] { $message }
    }
err-role-unknown =
    { $doc ->
        [yes] This role does not exist.
       *[other] { $message }
    }
err-rows-cell_error =
    { $doc ->
        [yes] A cell of the file could not be read.
       *[other] { $message }
    }
err-rows-duplicate_column =
    { $doc ->
        [yes] A column name appears twice in the header.
       *[other] { $message }
    }
err-rows-empty =
    { $doc ->
        [yes] The file has no header row with the columns' names.
       *[other] { $message }
    }
err-rows-encoding =
    { $doc ->
        [yes] The header row is not valid UTF-8 text.
       *[other] { $message }
    }
err-rows-field_count =
    { $doc ->
        [yes] A row has values beyond the header's columns.
       *[other] { $message }
    }
err-rows-format_unsupported =
    { $doc ->
        [yes] This file format is not accepted: save the table as XLSX, ODS or CSV.
       *[other] { $message }
    }
err-rows-too_large =
    { $doc ->
        [yes] The file is too large.
       *[other] { $message }
    }
err-rows-too_many =
    { $doc ->
        [yes] The file has too many rows: split it into several files.
       *[other] { $message }
    }
err-rows-too_many_columns =
    { $doc ->
        [yes] The file has too many columns.
       *[other] { $message }
    }
err-rows-unreadable =
    { $doc ->
        [yes] The header row cannot be read.
       *[other] { $message }
    }
err-run-kind_invalid =
    { $doc ->
        [yes] Choose a bulk run that splits a file or one that merges rows.
       *[other] { $message }
    }
err-run-no_letter_start =
    { $doc ->
        [yes] Some pages belong to no letter: no start of a letter comes before them.
       *[other] { $message }
    }
err-signup-person_required =
    { $doc ->
        [yes] A signed-in person must do this, not an API key.
       *[other] { $message }
    }
err-task-not_open =
    { $doc ->
        [yes] This task is no longer open.
       *[other] { $message }
    }
err-upload-scan_failed =
    { $doc ->
        [yes] The virus scanner could not check this file, so it was not accepted; try a smaller file.
       *[other] { $message }
    }
err-upload-scanner_unavailable =
    { $doc ->
        [yes] The virus scanner cannot be reached, so the file was not accepted; try again in a few minutes.
       *[other] { $message }
    }
err-webhook-data_invalid =
    { $doc ->
        [yes] The event's data must be one JSON value.
       *[other] { $message }
    }

## Codes of the registry added with it (courrier_domain::codes).

err-apikey-prefix_taken = An API key with this prefix exists already; create the key again.
err-bench-database_name = The benchmark only runs on a database whose name says it is one for benchmarks.
err-csrf-invalid = The form is stale or was not sent by Courrier; reload the page and try again.
err-cursor-invalid = This page cursor is not valid; start again from the first page.
err-digest-sent = Today's digest for this mailbox was sent already.
err-idempotency-lease_lost = Another request with the same Idempotency-Key took over while this one ran; nothing was changed by this one.
err-intake-count_invalid = Give the number of items the carrier brought (0 to 100,000).
err-intake-day_invalid = This day is not valid for an intake count.
err-item-picked_up = This item was picked up already.
err-item-state_changed = The item changed meanwhile; reload the page and try again.
err-job-already_queued = This job is queued already.
err-letter-background_pages_ignored =
    { $doc ->
        [yes] Pages for a letterhead were chosen, but they do not apply to this letter.
       *[other] { $message }
    }
err-letter-compose_failed =
    { $doc ->
        [yes] The letterhead or the attachments could not be combined with the letter.
       *[other] { $message }
    }
err-mail-address_invalid =
    { $doc ->
        [yes] The address is not valid; check it.
       *[other] { $message }
    }
err-mail-completion_mismatch =
    { $doc ->
        [yes] What was done does not match the task; check the task and try again.
       *[other] { $message }
    }
err-mail-envelope_invalid =
    { $doc ->
        [yes] The envelope's picture or details are not valid.
       *[other] { $message }
    }
err-mail-member_invalid =
    { $doc ->
        [yes] Choose a recipient among the mailbox's members.
       *[other] { $message }
    }
err-mail-pdf_invalid =
    { $doc ->
        [yes] The PDF was refused: it must be a readable PDF with at least one page.
       *[other] { $message }
    }
err-mail-pickup_invalid =
    { $doc ->
        [yes] The pickup's details are not valid.
       *[other] { $message }
    }
err-mail-received_on_invalid =
    { $doc ->
        [yes] The day of receipt is not valid: it cannot be in the future or too long ago.
       *[other] { $message }
    }
err-mail-rule_invalid =
    { $doc ->
        [yes] The rule is not valid; check its condition and action.
       *[other] { $message }
    }
err-mail-scan_file_invalid =
    { $doc ->
        [yes] A scanned file was refused: send PDF, JPEG or PNG files.
       *[other] { $message }
    }
err-mail-scan_invalid =
    { $doc ->
        [yes] The scan was refused: it must be a readable PDF with at least one page.
       *[other] { $message }
    }
err-mail-scan_too_large =
    { $doc ->
        [yes] The scan is too large: send fewer or smaller files.
       *[other] { $message }
    }
err-mail-sender_invalid =
    { $doc ->
        [yes] The sender is not valid; check it.
       *[other] { $message }
    }
err-mail-tags_invalid =
    { $doc ->
        [yes] The tags are not valid: at most a few short words.
       *[other] { $message }
    }
err-mailbox-not_a_customer = Only a customer organisation can do this.
err-mailbox-not_a_mail_center = Only a mail center can do this.
err-member-review_changed = The member's review changed meanwhile; reload the page and try again.
err-org-exists = An organisation with this name exists already.
err-pdf-font_not_embedded =
    { $doc ->
        [yes] A font is not embedded in the PDF; another font will be used when printing.
       *[other] { $message }
    }
err-pdf-owner_password =
    { $doc ->
        [yes] The PDF has restrictions set by its author; it can be printed all the same.
       *[other] { $message }
    }
err-pdf-page_reused =
    { $doc ->
        [yes] The PDF names the same page twice in its page tree: it was refused.
       *[other] { $message }
    }
err-pdf-page_tree_invalid =
    { $doc ->
        [yes] The PDF's page tree is broken: it was refused.
       *[other] { $message }
    }
err-pdf-repaired =
    { $doc ->
        [yes] The PDF was damaged and had to be repaired; check the preview before sending.
       *[other] { $message }
    }
err-pdf-too_much_data =
    { $doc ->
        [yes] The PDF holds too much data to be checked: make it smaller.
       *[other] { $message }
    }
err-pdf-too_slow =
    { $doc ->
        [yes] The PDF took too long to check: make it simpler or smaller.
       *[other] { $message }
    }
err-pdf-window_rotated_page =
    { $doc ->
        [yes] The address page is rotated, so the address window cannot be read.
       *[other] { $message }
    }
err-pdf-xfa =
    { $doc ->
        [yes] The PDF is an XFA form, which cannot be printed: save it as an ordinary PDF.
       *[other] { $message }
    }
err-plan-already_billed = This plan period was billed already.
err-platform-only = Only the platform can do this.
err-report-exists = This report exists already.
err-report-no_schedule = This report has no schedule.
err-report_schedule-exists = A schedule for this report exists already.
err-run-item_recorded = This letter of the run was recorded already.
err-signup-currency_mismatch = The plan's currency differs from the location's currency.
err-signup-document_invalid =
    { $doc ->
        [yes] The identity document was refused: send a readable PDF, JPEG or PNG.
       *[other] { $message }
    }
err-signup-exists = A sign-up with this e-mail address exists already.
err-signup-scope_mismatch = This sign-up belongs to another organisation.
err-tariff-currency_fixed = A carrier's tariff keeps its currency.
err-usage-already_billed = This usage was billed already.
err-webhook-exists = A webhook endpoint with this address exists already.
err-webhook-signature_expired = The signature's timestamp is outside the tolerance: a replay or a wrong clock.
err-webhook-signature_malformed = The signature header is malformed.
err-webhook-signature_mismatch = No signature matches the body with this secret.
