-- The last TOTP time step a person used, so a code cannot be used twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
