-- Signing up at a mail-center location (the iPostal1 model): the plans a
-- location sells, each customer's sign-up with its plan, the identity
-- documents of the people and companies who may receive mail there, the
-- e-mails sent to the customer about the sign-up (one history with the
-- review decisions of `member_reviews`), and the plan periods billed.

-- The monthly and yearly price of a mailbox at a location, set by the
-- mail center's owner. A location without a row takes no sign-ups.
CREATE TABLE location_plans (
    location_id TEXT PRIMARY KEY REFERENCES locations(id),
    monthly_minor BIGINT NOT NULL CHECK (monthly_minor >= 0),
    yearly_minor BIGINT NOT NULL CHECK (yearly_minor >= 0),
    currency TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A customer who signed up at a location: one row per location mailbox.
-- The price is the one shown when the customer signed up.
CREATE TABLE signups (
    mailbox_id TEXT PRIMARY KEY REFERENCES mailboxes(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    plan TEXT NOT NULL CHECK (plan IN ('monthly', 'yearly')),
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    locale TEXT NOT NULL,
    terms_accepted_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Start of the first billed period (the first approval), and of the
    -- next period to bill; NULL until a member is approved.
    plan_started_at BIGINT,
    plan_next_at BIGINT
);
CREATE INDEX signups_org ON signups (org_id);
CREATE INDEX signups_created ON signups (created_at);
CREATE INDEX signups_plan_next ON signups (plan_next_at) WHERE plan_next_at IS NOT NULL;

-- Each billed period of a plan, at most once: period 0 starts at the first
-- approval, period k k months (or years) later.
CREATE TABLE plan_periods (
    mailbox_id TEXT NOT NULL REFERENCES signups(mailbox_id),
    period INTEGER NOT NULL,
    starts_at BIGINT NOT NULL,
    usage_line_id TEXT NOT NULL REFERENCES usage_lines(id),
    PRIMARY KEY (mailbox_id, period)
);

-- Identity documents of a member: the file is an encrypted document of the
-- customer's organisation.
CREATE TABLE member_documents (
    id TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES mailbox_members(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL CHECK (kind IN ('id_card', 'passport', 'residence_permit', 'register_extract', 'other')),
    side TEXT NOT NULL CHECK (side IN ('front', 'back', 'single')),
    file_name TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX member_documents_member ON member_documents (member_id, created_at);

-- E-mails of the outbox sent to a customer about its sign-up: the
-- activation link, reminders and review decisions. A reminder is sent once
-- per round (the sign-up, or a send-back) and number.
CREATE TABLE signup_emails (
    email_id TEXT PRIMARY KEY REFERENCES emails(id),
    mailbox_id TEXT NOT NULL REFERENCES signups(mailbox_id),
    kind TEXT NOT NULL CHECK (kind IN ('activation', 'reminder', 'decision')),
    round_start BIGINT,
    reminder_no INTEGER,
    created_at BIGINT NOT NULL
);
CREATE INDEX signup_emails_mailbox ON signup_emails (mailbox_id, created_at);
CREATE UNIQUE INDEX signup_emails_reminder ON signup_emails (mailbox_id, round_start, reminder_no)
    WHERE kind = 'reminder';
