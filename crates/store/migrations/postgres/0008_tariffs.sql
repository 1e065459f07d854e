-- Carrier tariffs, editable by the platform admin. `tariffs` holds the
-- current table of each carrier (one per carrier country): its fees, VAT rate
-- and a `version` for compare-and-set edits. Every version ever saved is kept
-- in `tariff_versions` with who saved it and when, and its weight steps in
-- `tariff_steps`; both are append-only (triggers refuse UPDATE and DELETE),
-- so the steps of a version never change and can be read without a lock.
-- Letters keep their own price: an edit never touches them. The seed tables
-- (Swiss Post, bpost, La Poste) are written by the store once, after
-- migrating (`Store::ensure_seed_tariffs`); from then on these rows are the
-- only source of prices. Money is BIGINT minor units of `currency`, the VAT
-- rate basis points (810 = 8.1 %).

CREATE TABLE tariffs (
    -- ISO 3166 alpha-2 code of the carrier's country: domestic products go only there.
    country TEXT PRIMARY KEY,
    carrier TEXT NOT NULL,
    -- ISO 4217; fixed for a carrier.
    currency TEXT NOT NULL,
    per_letter BIGINT NOT NULL CHECK (per_letter >= 0),
    per_sheet_bw BIGINT NOT NULL CHECK (per_sheet_bw >= 0),
    per_sheet_colour BIGINT NOT NULL CHECK (per_sheet_colour >= 0),
    registered BIGINT NOT NULL CHECK (registered >= 0),
    acknowledgement_of_receipt BIGINT NOT NULL CHECK (acknowledgement_of_receipt >= 0),
    vat_rate_bp BIGINT NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    version BIGINT NOT NULL CHECK (version >= 1),
    -- `user:<id>`, `apikey:<id>` or `system:seed`.
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE tariff_versions (
    country TEXT NOT NULL REFERENCES tariffs(country),
    version BIGINT NOT NULL CHECK (version >= 1),
    carrier TEXT NOT NULL,
    currency TEXT NOT NULL,
    per_letter BIGINT NOT NULL,
    per_sheet_bw BIGINT NOT NULL,
    per_sheet_colour BIGINT NOT NULL,
    registered BIGINT NOT NULL,
    acknowledgement_of_receipt BIGINT NOT NULL,
    vat_rate_bp BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (country, version)
);

CREATE TABLE tariff_steps (
    country TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- Postage for letters up to this weight, per product.
    up_to_grams BIGINT NOT NULL CHECK (up_to_grams > 0),
    priority BIGINT NOT NULL CHECK (priority >= 0),
    standard BIGINT NOT NULL CHECK (standard >= 0),
    international_europe BIGINT NOT NULL CHECK (international_europe >= 0),
    international_world BIGINT NOT NULL CHECK (international_world >= 0),
    PRIMARY KEY (country, version, up_to_grams),
    FOREIGN KEY (country, version) REFERENCES tariff_versions(country, version)
);

CREATE FUNCTION tariff_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER tariff_versions_no_change BEFORE UPDATE OR DELETE ON tariff_versions
    FOR EACH ROW EXECUTE FUNCTION tariff_history_append_only();
CREATE TRIGGER tariff_steps_no_change BEFORE UPDATE OR DELETE ON tariff_steps
    FOR EACH ROW EXECUTE FUNCTION tariff_history_append_only();
