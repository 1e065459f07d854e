-- The organisation's time zone (IANA name, e.g. Europe/Zurich): the zone its
-- people read times in and its reports are scheduled in. Existing
-- organisations take the zone of their country (a mail center the zone of
-- its first location, if it has one); new ones are given it at creation and
-- their admins may change it.
ALTER TABLE orgs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

UPDATE orgs SET time_zone = CASE upper(country)
    WHEN 'CH' THEN 'Europe/Zurich'
    WHEN 'LI' THEN 'Europe/Zurich'
    WHEN 'BE' THEN 'Europe/Brussels'
    WHEN 'FR' THEN 'Europe/Paris'
    WHEN 'DE' THEN 'Europe/Berlin'
    WHEN 'LU' THEN 'Europe/Luxembourg'
    WHEN 'IT' THEN 'Europe/Rome'
    WHEN 'AT' THEN 'Europe/Vienna'
    WHEN 'NL' THEN 'Europe/Amsterdam'
    ELSE 'UTC'
END;

UPDATE orgs SET time_zone = (
    SELECT l.time_zone FROM locations l
    WHERE l.org_id = orgs.id
    ORDER BY l.created_at, l.id
    LIMIT 1
)
WHERE kind = 'mail_center'
  AND EXISTS (SELECT 1 FROM locations l WHERE l.org_id = orgs.id);
