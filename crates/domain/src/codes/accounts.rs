//! Accounts: sign-in, people, roles, keys, organisations.

use super::Code;

/// An API key with this prefix exists already; create the key again.
pub const APIKEY_PREFIX_TAKEN: Code = Code("apikey.prefix_taken");

pub const AUTH_2FA_ALREADY_ENABLED: Code = Code("auth.2fa_already_enabled");

pub const AUTH_2FA_NOT_ENABLED: Code = Code("auth.2fa_not_enabled");

/// Your organisation requires two-step verification.
pub const AUTH_2FA_REQUIRED_BY_ORG: Code = Code("auth.2fa_required_by_org");

/// Wrong e-mail or password.
pub const AUTH_BAD_CREDENTIALS: Code = Code("auth.bad_credentials");

/// The password is wrong.
pub const AUTH_BAD_PASSWORD: Code = Code("auth.bad_password");

/// The code is wrong or has expired.
pub const AUTH_CODE_INVALID: Code = Code("auth.code_invalid");

/// You do not have the permission for this. Ask an administrator.
pub const AUTH_FORBIDDEN: Code = Code("auth.forbidden");

pub const AUTH_REQUIRED: Code = Code("auth.required");

/// This link was used, has expired or is wrong. Ask for a new one.
pub const AUTH_RESET_LINK_INVALID: Code = Code("auth.reset_link_invalid");

/// Too many attempts. Wait 15 minutes and try again.
pub const AUTH_THROTTLED: Code = Code("auth.throttled");

/// The form is stale or was not sent by Courrier; reload the page and try again.
pub const CSRF_INVALID: Code = Code("csrf.invalid");

/// This e-mail address is not valid.
pub const EMAIL_INVALID: Code = Code("email.invalid");

pub const ID_INVALID: Code = Code("id.invalid");

/// Give a name.
pub const NAME_INVALID: Code = Code("name.invalid");

/// An organisation with this name exists already.
pub const ORG_EXISTS: Code = Code("org.exists");
pub const ORG_TIME_ZONE_UNKNOWN: Code = Code("org.time_zone_unknown");

pub const ORG_KIND_INVALID: Code = Code("org.kind_invalid");

pub const PASSWORD_TOO_LONG: Code = Code("password.too_long");

/// A password needs at least 10 characters.
pub const PASSWORD_TOO_SHORT: Code = Code("password.too_short");

/// Choose at least one permission.
pub const PERMISSION_NONE: Code = Code("permission.none");

/// You cannot give a key a permission you do not hold.
pub const PERMISSION_NOT_HELD: Code = Code("permission.not_held");

pub const PERMISSION_UNKNOWN: Code = Code("permission.unknown");

/// This role holds permissions you do not hold; only someone who holds them can give it.
pub const ROLE_ABOVE_ACTOR: Code = Code("role.above_actor");

/// This role does not exist in your kind of organisation.
pub const ROLE_NOT_FOR_ORG_KIND: Code = Code("role.not_for_org_kind");

pub const ROLE_UNKNOWN: Code = Code("role.unknown");

/// This person holds permissions you do not hold; only someone who holds them can change or remove them.
pub const USER_ABOVE_ACTOR: Code = Code("user.above_actor");

/// Someone already uses this e-mail address.
pub const USER_EMAIL_TAKEN: Code = Code("user.email_taken");

/// The organisation needs at least one person who manages users. Give that role to someone else first.
pub const USER_LAST_MANAGER: Code = Code("user.last_manager");

/// This person's role changed meanwhile. Reload the page and try again.
pub const USER_ROLE_CHANGED: Code = Code("user.role_changed");
