-- Reports: an organisation schedules a CSV of its sent letters (daily, weekly
-- or monthly) e-mailed as a link, or makes one on demand. The CSV itself is a
-- document (encrypted like every document); a report row says which period it
-- covers. A scheduled report exists at most once per schedule and period, so
-- a retried job can never make (or e-mail) it twice.

CREATE TABLE report_schedules (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    recipient_email TEXT NOT NULL,
    -- When the next report is due: the end of the period it will cover.
    next_run_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX report_schedules_org ON report_schedules (org_id, created_at, id);
CREATE INDEX report_schedules_due ON report_schedules (next_run_at) WHERE disabled_at IS NULL;

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- NULL for a report made on demand.
    schedule_id TEXT REFERENCES report_schedules(id),
    -- The period covered: letters submitted in [period_from, period_to).
    period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    rows INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX reports_org ON reports (org_id, created_at, id);
-- NULLs are distinct in both databases: reports on demand never collide.
CREATE UNIQUE INDEX reports_schedule_period ON reports (schedule_id, period_from);

-- Letters by submission time, for the reports' period queries.
CREATE INDEX letters_org_submitted ON letters (org_id, submitted_at, id);
