-- The organisation's retention of scans: days after scanning before a scan
-- is crypto-shredded and its recognised text cleared; no row, or NULL,
-- keeps scans for as long as the mailbox exists.
CREATE TABLE mailbox_settings (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    scan_retention_days INTEGER CHECK (scan_retention_days IS NULL OR (scan_retention_days >= 1 AND scan_retention_days <= 3650)),
    updated_at BIGINT NOT NULL
);
