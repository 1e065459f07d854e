//! The authorization matrix: every route the server serves, called as every
//! kind of caller, against one table of expected answers
//! (`authz_matrix.txt`). The route list comes from `courrier_web::route_list`,
//! built by the same calls that build the router, so a new route without a
//! row fails the test, and so does a row for a route that is gone.
//!
//! Callers: anonymous; each role of each organisation kind, signed in (pages
//! and the API with the session and its CSRF token); an API key of the
//! organisation lacking the route's permission; and the same role in another
//! organisation of the same kind, calling with the first organisation's id.
//!
//! Answers are coarse: `ok` (2xx, a redirect elsewhere than the sign-in page,
//! or 400/409/413/415/422: the request got past authorization and was refused
//! for its empty body or the object's state), `no` (401/403, or a redirect to
//! the sign-in page), `nf` (404), `-` (not applicable). Anything else (500,
//! 429, 405) fails the test whatever the table says.
//!
//! Authorization comes before the body: every `no` or `nf` answer is asked
//! again with an empty body (JSON `[]`, a form holding only the CSRF token),
//! which must give the same answer, so a route that validates its body before
//! checking the caller fails. The table also keeps rules of its own
//! ([`check_rules`]): a caller holding none of a row's permissions is `no`,
//! and another organisation's id is `nf`.
//!
//! Seeded for the first customer: a letter, a report, a run, the demo
//! mailbox with its member, identity document and mail, an open scan task
//! of the first mail center on that mail, another item it scanned, a plan
//! (a second mailbox signed up for at that center), and a dead job for the
//! platform.
//!
//! `AUTHZ_MATRIX_PRINT=1` prints the observed table instead of failing, to
//! review a new route's row before writing it down (`=status`: the status
//! codes instead of the classes).
//!
//! SQLite only: authorization does not depend on the backend.

use crate::support::*;
use courrier_app::accounts::NewOrg;
use courrier_documents::sample::{SampleLetter, letters_pdf};
use courrier_domain::{
    Actor, Currency, EmailAddress, Locale, OrgId, OrgKind, OrgScope, Permission, Role, UserId,
};
use courrier_store::{MemberAccess, UserRecord};
use reqwest::Method;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

const TABLE: &str = include_str!("authz_matrix.txt");

/// The caller columns of the table, in order.
const CALLERS: [&str; 10] = [
    "anon", "admin", "approver", "member", "owner", "manager", "clerk", "platform", "key", "other",
];

/// The role columns and the role each stands for.
const ROLE_COLUMNS: [(&str, Role); 7] = [
    ("admin", Role::Admin),
    ("approver", Role::Approver),
    ("member", Role::Member),
    ("owner", Role::Owner),
    ("manager", Role::Manager),
    ("clerk", Role::Clerk),
    ("platform", Role::PlatformAdmin),
];

#[derive(Debug, Clone)]
struct Row {
    method: String,
    path: String,
    /// The permission the route needs, or `-`.
    perm: String,
    /// What `{…}` in the path stands for.
    id: String,
    /// `-` none, `f` form, `m` multipart, `j` JSON.
    body: String,
    expected: Vec<String>,
}

fn parse_table() -> Vec<Row> {
    let mut rows = Vec::new();
    for (n, line) in TABLE.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cells.len(),
            5 + CALLERS.len(),
            "authz_matrix.txt line {}: {} cells",
            n + 1,
            cells.len()
        );
        for c in &cells[5..] {
            assert!(
                ["ok", "no", "nf", "-"].contains(c),
                "authz_matrix.txt line {}: '{c}' is not ok, no, nf or -",
                n + 1
            );
        }
        rows.push(Row {
            method: cells[0].into(),
            path: cells[1].into(),
            perm: cells[2].into(),
            id: cells[3].into(),
            body: cells[4].into(),
            expected: cells[5..].iter().map(|c| c.to_string()).collect(),
        });
    }
    rows
}

/// The permissions of a row's `perm` cell: `-` none, else names joined by
/// `|`, any one of which lets a caller in.
fn perms_of(cell: &str) -> Vec<Permission> {
    if cell == "-" {
        return Vec::new();
    }
    cell.split('|')
        .map(|name| {
            *Permission::ALL
                .iter()
                .find(|p| p.as_str() == name)
                .unwrap_or_else(|| panic!("authz_matrix.txt: '{name}' is no permission"))
        })
        .collect()
}

/// Id kinds that belong to no organisation: anyone may name them.
const PUBLIC_IDS: [&str; 4] = ["token", "location", "country", "random"];

/// Rules every row keeps, whatever was observed: a caller without the
/// route's permission is refused (never let past it to a 404 or a
/// validation answer), and another organisation's id is not found.
fn check_rules(rows: &[Row]) -> Vec<String> {
    let mut broken = Vec::new();
    for row in rows {
        let perms = perms_of(&row.perm);
        let name = format!("{} {}", row.method, row.path);
        if !perms.is_empty() {
            if !["no", "-"].contains(&row.expected[8].as_str()) {
                broken.push(format!(
                    "{name}: a key without {} must be refused (no)",
                    row.perm
                ));
            }
            for (i, (col, role)) in ROLE_COLUMNS.iter().enumerate() {
                let cell = row.expected[i + 1].as_str();
                if !perms.iter().any(|p| role.permissions().contains(p))
                    && !["no", "-"].contains(&cell)
                {
                    broken.push(format!(
                        "{name}: {col} holds none of {} and must be refused (no), not {cell}",
                        row.perm
                    ));
                }
            }
        }
        let other = row.expected[9].as_str();
        if !["nf", "-"].contains(&other)
            && !PUBLIC_IDS.contains(&row.id.as_str())
            && row.expected[0] != "ok"
        {
            broken.push(format!(
                "{name}: another organisation's {} must be not found (nf), not {other}",
                row.id
            ));
        }
    }
    broken
}

fn classify(res: &Resp) -> String {
    match res.status {
        401 | 403 => "no".into(),
        404 => "nf".into(),
        300..=399 => {
            if res.location().is_some_and(|l| l.starts_with("/login")) {
                "no".into()
            } else {
                "ok".into()
            }
        }
        200..=299 | 400 | 409 | 413 | 415 | 422 => "ok".into(),
        other => format!("s{other}"),
    }
}

fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    multipart_form(fields, &[])
}

/// One caller: a cookie-keeping client, maybe a session's CSRF token, maybe a key.
struct Caller {
    client: reqwest::Client,
    csrf: String,
    key: Option<String>,
}

/// The organisations of one kind: the first (`a`) owns the ids the callers
/// use, the second (`b`) calls with them.
#[derive(Clone, Copy)]
struct Pair {
    a: OrgId,
    b: Option<OrgId>,
}

struct World {
    srv: Server,
    customer: Pair,
    center: Pair,
    platform: Pair,
    /// Signed-in callers by (role, in the first organisation).
    sessions: HashMap<(Role, bool), Caller>,
    /// Keys by (organisation, permission left out).
    keys: HashMap<(OrgId, String), String>,
    /// Ids that are created once: letter, report, mail item, member, ...
    fixed: HashMap<&'static str, String>,
    /// A full key of the first customer, for seeding over HTTP.
    seed_key: String,
}

fn kind_of(role: Role) -> OrgKind {
    match role {
        Role::Admin | Role::Approver | Role::Member => OrgKind::Customer,
        Role::Owner | Role::Manager | Role::Clerk => OrgKind::MailCenter,
        Role::PlatformAdmin => OrgKind::Platform,
    }
}

fn top_role(kind: OrgKind) -> Role {
    match kind {
        OrgKind::Customer => Role::Admin,
        OrgKind::MailCenter => Role::Owner,
        OrgKind::Platform => Role::PlatformAdmin,
    }
}

impl World {
    fn pair(&self, kind: OrgKind) -> Pair {
        match kind {
            OrgKind::Customer => self.customer,
            OrgKind::MailCenter => self.center,
            OrgKind::Platform => self.platform,
        }
    }

    async fn new() -> World {
        let srv = Server::start(Backend::Sqlite).await;
        let app = srv.app.clone();
        let dupont = srv.demo.dupont;
        let helvetia = srv.demo.helvetia;
        let lausanne = user(&app, "olivier.blanc@mc-lausanne.test").await.org;
        let platform = user(&app, "admin@courrier.test").await.org;
        let geneve = app
            .create_org(
                NewOrg {
                    name: "Centre courrier Genève".into(),
                    kind: OrgKind::MailCenter,
                    country: "CH".into(),
                    currency: Currency::CHF,
                },
                "system:test",
            )
            .await
            .unwrap();
        // Every role in every organisation that calls.
        let people: [(OrgId, &str, Role); 7] = [
            (dupont, "approver@dupont.test", Role::Approver),
            (dupont, "member@dupont.test", Role::Member),
            (geneve, "owner@mc-geneve.test", Role::Owner),
            (geneve, "manager@mc-geneve.test", Role::Manager),
            (geneve, "clerk@mc-geneve.test", Role::Clerk),
            (helvetia, "admin2@helvetia.test", Role::Admin),
            (lausanne, "owner2@mc-lausanne.test", Role::Owner),
        ];
        for (org, email, role) in people {
            app.add_user(
                &OrgScope::system(org, "system:test"),
                email,
                "Matrix Person",
                PASSWORD,
                role,
            )
            .await
            .unwrap();
        }
        let logins: [(Role, bool, &str); 13] = [
            (Role::Admin, true, MARIE),
            (Role::Approver, true, "approver@dupont.test"),
            (Role::Member, true, "member@dupont.test"),
            (Role::Owner, true, "olivier.blanc@mc-lausanne.test"),
            (Role::Manager, true, "nadia.keller@mc-lausanne.test"),
            (Role::Clerk, true, "tom.schmid@mc-lausanne.test"),
            (Role::PlatformAdmin, true, "admin@courrier.test"),
            (Role::Admin, false, "admin2@helvetia.test"),
            (Role::Approver, false, "luc.favre@helvetia.test"),
            (Role::Member, false, SARA),
            (Role::Owner, false, "owner@mc-geneve.test"),
            (Role::Manager, false, "manager@mc-geneve.test"),
            (Role::Clerk, false, "clerk@mc-geneve.test"),
        ];
        let mut sessions = HashMap::new();
        for (role, first, email) in logins {
            let b = srv.signed_in(email).await;
            let csrf = b.csrf().await;
            sessions.insert(
                (role, first),
                Caller {
                    client: b.client,
                    csrf,
                    key: None,
                },
            );
        }
        let marie = Actor::user(srv.demo.marie, dupont, OrgKind::Customer, Role::Admin, None);
        let seed_key = srv.key(&marie, Role::Admin.permissions()).await;
        let mut world = World {
            srv,
            customer: Pair {
                a: dupont,
                b: Some(helvetia),
            },
            center: Pair {
                a: lausanne,
                b: Some(geneve),
            },
            platform: Pair {
                a: platform,
                b: None,
            },
            sessions,
            keys: HashMap::new(),
            fixed: HashMap::new(),
            seed_key,
        };
        world.seed().await;
        world
    }

    /// The objects that are read, not used up: a letter, a report, the demo
    /// mailbox with its member, identity document and mail, a run, an open
    /// scan task, a scanned item, a plan; and a dead job, which the
    /// platform's requeue uses up.
    async fn seed(&mut self) {
        let api = self.srv.api(&self.seed_key);
        let pdf = letters_pdf(
            &[SampleLetter {
                address: vec![
                    "Helvetia Fiduciaire SA".into(),
                    "Avenue de la Gare 1".into(),
                    "1003 Lausanne".into(),
                ],
                pages: 1,
                reference: "M-1".into(),
            }],
            &["Boulangerie Dupont SàRL", "Rue de Bourg 12, 1003 Lausanne"],
        );
        let res = api
            .send(
                api.request(Method::POST, "/api/v1/letters")
                    .header("content-type", "application/pdf")
                    .body(pdf),
            )
            .await;
        assert_eq!(res.status, 201, "seed letter: {}", res.body);
        self.fixed
            .insert("letter", res.json()["id"].as_str().unwrap().into());
        let res = api
            .call(
                Method::POST,
                "/api/v1/reports",
                Some(json!({"from": "2025-12-01", "to": "2026-01-31"})),
            )
            .await;
        assert_eq!(res.status, 201, "seed report: {}", res.body);
        let report = res.json()["id"].as_str().unwrap().to_string();
        self.fixed.insert("file", format!("{report}.csv"));
        self.fixed.insert("report", report);
        let res = api.get("/api/v1/mail").await;
        assert_eq!(res.status, 200, "seed mail: {}", res.body);
        self.fixed.insert(
            "mail",
            res.json()["items"][0]["id"].as_str().unwrap().into(),
        );
        let store = &self.srv.app.store;
        let scope = OrgScope::system(self.customer.a, "system:test");
        let mailbox = store.list_mailboxes(&scope).await.unwrap()[0].id;
        self.fixed.insert("mailbox", mailbox.to_string());
        let member = store
            .list_members(&scope, MemberAccess::Tenant, Some(mailbox), None, None)
            .await
            .unwrap()[0]
            .id;
        self.fixed.insert("member", member.to_string());
        let doc = store
            .member_documents(&scope, MemberAccess::Tenant, member)
            .await
            .unwrap()[0]
            .id;
        self.fixed.insert("document", doc.to_string());
        let location = store.list_locations(Some(self.center.a)).await.unwrap()[0].id;
        self.fixed.insert("location", location.to_string());

        // A run of the letter above, split by address (queued: no worker runs here).
        let pdf = letters_pdf(
            &[SampleLetter {
                address: vec![
                    "Helvetia Fiduciaire SA".into(),
                    "Avenue de la Gare 1".into(),
                    "1003 Lausanne".into(),
                ],
                pages: 1,
                reference: "R-1".into(),
            }],
            &["Boulangerie Dupont SàRL", "Rue de Bourg 12, 1003 Lausanne"],
        );
        let res = api
            .send(
                api.request(Method::POST, "/api/v1/runs")
                    .header("content-type", "application/pdf")
                    .body(pdf),
            )
            .await;
        assert_eq!(res.status, 202, "seed run: {}", res.body);
        self.fixed
            .insert("run", res.json()["id"].as_str().unwrap().into());

        // An open scan task of the first mail center, on the customer's mail.
        let mail = self.fixed["mail"].clone();
        let res = api
            .call(
                Method::POST,
                "/api/v1/mail/actions",
                Some(json!({"items": [mail], "action": "scan"})),
            )
            .await;
        assert_eq!(res.status, 200, "seed task: {}", res.body);
        let customer = Actor::system("test", self.customer.a, OrgKind::Customer);
        let item: courrier_domain::MailItemId = mail.parse().unwrap();
        let view = self.srv.app.mail_item(&customer, item).await.unwrap();
        let task = view
            .tasks
            .iter()
            .find(|t| t.state == courrier_store::TaskState::Open)
            .unwrap_or_else(|| panic!("no open task on the seeded mail: {:?}", res.body));
        assert_eq!(task.location, location, "the task is the first center's");
        self.fixed.insert("task", task.id.to_string());

        // Another mail item of the customer, scanned by the first mail center.
        let res = api.get("/api/v1/mail").await;
        let scanned = res.json()["items"][1]["id"].as_str().unwrap().to_string();
        let res = api
            .call(
                Method::POST,
                "/api/v1/mail/actions",
                Some(json!({"items": [scanned], "action": "scan"})),
            )
            .await;
        assert_eq!(res.status, 200, "seed scan request: {}", res.body);
        let item: courrier_domain::MailItemId = scanned.parse().unwrap();
        let view = self.srv.app.mail_item(&customer, item).await.unwrap();
        let scan_task = view
            .tasks
            .iter()
            .find(|t| t.state == courrier_store::TaskState::Open)
            .unwrap_or_else(|| panic!("no open task on the second mail: {}", res.body))
            .id;
        let center = Actor::system("test", self.center.a, OrgKind::MailCenter);
        let scan = letters_pdf(
            &[SampleLetter {
                address: vec!["Boulangerie Dupont SàRL".into(), "1003 Lausanne".into()],
                pages: 1,
                reference: "S-1".into(),
            }],
            &[
                "Helvetia Fiduciaire SA",
                "Avenue de la Gare 1, 1003 Lausanne",
            ],
        );
        self.srv
            .app
            .complete_scan_task_files(
                &center,
                scan_task,
                vec![courrier_app::mailbox::ScanFile {
                    name: "scan.pdf".into(),
                    bytes: scan,
                }],
            )
            .await
            .unwrap();
        self.fixed.insert("scanned", scanned);

        // A plan of the customer at the first center's location (a second
        // mailbox, signed up for again), to cancel and keep.
        let marie = Actor::user(
            self.srv.demo.marie,
            self.customer.a,
            OrgKind::Customer,
            Role::Admin,
            None,
        );
        let plan = self
            .srv
            .app
            .sign_up_again(
                &marie,
                location,
                courrier_domain::mailbox::Plan::Monthly,
                true,
            )
            .await
            .unwrap();
        self.fixed.insert("plan", plan.mailbox.to_string());

        // A dead job, for the platform to requeue.
        let now = self.srv.app.now();
        let job = store
            .enqueue_job(
                &courrier_store::NewJob {
                    kind: "matrix.dead".into(),
                    payload: "{}".into(),
                    unique_key: None,
                    run_at: courrier_domain::Timestamp::from_millis(0),
                    max_attempts: 1,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
        let claimed = store
            .claim_job(
                "matrix",
                now,
                courrier_domain::Timestamp::from_millis(now.millis() + 60_000),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.id, job, "the seeded job is the most overdue");
        assert!(
            store
                .fail_job(job, "matrix", now, "matrix", None)
                .await
                .unwrap()
        );
        self.fixed.insert("job", job.to_string());
    }

    /// The value of a path's `{…}` for a caller in `org` (of kind `kind`).
    async fn id_for(&self, kind: &str, org: OrgId, org_kind: OrgKind) -> String {
        let app = &self.srv.app;
        let system = Actor::system("test", org, org_kind);
        match kind {
            // A fresh person with the organisation's lowest role.
            "user" => {
                let role = *Role::for_kind(org_kind).last().unwrap();
                let id = UserId::random();
                let rec = UserRecord {
                    id,
                    org,
                    email: EmailAddress::parse(&format!("victim-{id}@matrix.test")).unwrap(),
                    display_name: "Victim".into(),
                    password_hash: "not-a-hash".into(),
                    role,
                    locale: Locale::En.as_str().into(),
                    totp_secret: None,
                    totp_enabled: false,
                    created_at: app
                        .store
                        .user(self.srv.demo.marie)
                        .await
                        .unwrap()
                        .created_at,
                };
                app.store
                    .create_user(&OrgScope::system(org, "system:test"), &rec, rec.created_at)
                    .await
                    .unwrap();
                id.to_string()
            }
            "invitation" => {
                let role = *Role::for_kind(org_kind).last().unwrap();
                let email = format!("invitee-{}@matrix.test", UserId::random());
                app.invite(&system, &email, role.as_str())
                    .await
                    .unwrap()
                    .0
                    .to_string()
            }
            "apikey" => {
                let perm = top_role(org_kind).permissions()[0];
                app.create_api_key(&system, "victim", &[perm])
                    .await
                    .unwrap()
                    .0
                    .id
                    .to_string()
            }
            // Webhooks and schedules belong to customers here.
            "webhook" => {
                // An organisation has at most 16: disable the earlier ones.
                let owner = Actor::system("test", self.customer.a, OrgKind::Customer);
                for w in app.list_webhooks(&owner).await.unwrap() {
                    if w.disabled_at.is_none() {
                        app.disable_webhook(&owner, w.id).await.unwrap();
                    }
                }
                let res = self
                    .srv
                    .api(&self.seed_key)
                    .call(
                        Method::POST,
                        "/api/v1/webhooks",
                        Some(json!({"url": "https://erp.example.com/hook", "events": ["*"]})),
                    )
                    .await;
                assert_eq!(res.status, 201, "webhook: {}", res.body);
                res.json()["webhook"]["id"].as_str().unwrap().into()
            }
            "schedule" => {
                let res = self
                    .srv
                    .api(&self.seed_key)
                    .call(
                        Method::POST,
                        "/api/v1/report-schedules",
                        Some(json!({"frequency": "weekly", "email": "books@dupont.test"})),
                    )
                    .await;
                assert_eq!(res.status, 201, "schedule: {}", res.body);
                res.json()["id"].as_str().unwrap().into()
            }
            "country" => "CH".into(),
            // Kinds not seeded: a well-formed id that exists nowhere.
            "token" | "random" => uuid::Uuid::new_v4().to_string(),
            other => self
                .fixed
                .get(other)
                .unwrap_or_else(|| panic!("no id of kind '{other}'"))
                .clone(),
        }
    }

    async fn key_lacking(&mut self, org: OrgId, kind: OrgKind, perm: &str) -> String {
        if let Some(k) = self.keys.get(&(org, perm.to_string())) {
            return k.clone();
        }
        let lacking = perms_of(perm);
        let perms: Vec<Permission> = top_role(kind)
            .permissions()
            .iter()
            .copied()
            .filter(|p| !lacking.contains(p))
            .collect();
        let actor = Actor::system("test", org, kind);
        let key = self
            .srv
            .app
            .create_api_key(&actor, "matrix", &perms)
            .await
            .unwrap()
            .1;
        self.keys.insert((org, perm.to_string()), key.clone());
        key
    }

    /// Sends one request; `caller` None is anonymous (with a sign-in form's
    /// cookie and token, as a browser has).
    async fn call(&self, row: &Row, path: &str, caller: &Caller) -> Resp {
        self.send(row, path, caller, false).await
    }

    /// Sends one request; `stripped` sends the body's kind with nothing in
    /// it (JSON `[]`, a form or multipart form holding only the CSRF token),
    /// which no route accepts.
    async fn send(&self, row: &Row, path: &str, caller: &Caller, stripped: bool) -> Resp {
        let method = Method::from_bytes(row.method.as_bytes()).unwrap();
        let api = path.starts_with("/api/");
        let mut req = caller
            .client
            .request(method.clone(), format!("{}{path}", self.srv.base));
        if let Some(k) = &caller.key {
            req = req.bearer_auth(k);
        }
        if api && method != Method::GET {
            req = req.header("x-csrf-token", &caller.csrf);
        }
        // `j`, `f`, `m`, optionally followed by `:` and a JSON body or form fields.
        let (kind, given) = row.body.split_once(':').unwrap_or((row.body.as_str(), ""));
        let given = if stripped { "" } else { given };
        let mut fields: Vec<(String, String)> =
            serde_urlencoded::from_str(given).unwrap_or_default();
        fields.push(("csrf_token".into(), caller.csrf.clone()));
        req = match kind {
            "f" => req.form(&fields),
            "m" => {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let (ct, body) = multipart(&pairs);
                req.header("content-type", ct).body(body)
            }
            "j" => {
                let body: serde_json::Value = if stripped {
                    json!([])
                } else if given.is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(given).unwrap()
                };
                req.json(&body)
            }
            _ => req,
        };
        Resp::read(req.send().await.unwrap()).await
    }

    async fn anonymous(&self) -> Caller {
        let b = self.srv.browser();
        let page = b.get("/login").await;
        Caller {
            client: b.client,
            csrf: page.csrf(),
            key: None,
        }
    }

    /// A throwaway session for routes that end the caller's session.
    async fn fresh_session(&self, role: Role) -> Caller {
        let email = match role {
            Role::Admin => MARIE,
            Role::Approver => "approver@dupont.test",
            Role::Member => "member@dupont.test",
            Role::Owner => "olivier.blanc@mc-lausanne.test",
            Role::Manager => "nadia.keller@mc-lausanne.test",
            Role::Clerk => "tom.schmid@mc-lausanne.test",
            Role::PlatformAdmin => "admin@courrier.test",
        };
        let b = self.srv.signed_in(email).await;
        let csrf = b.csrf().await;
        Caller {
            client: b.client,
            csrf,
            key: None,
        }
    }
}

fn fill(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        out.push_str(id);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_as_every_caller() {
    let rows = parse_table();
    let broken = check_rules(&rows);
    assert!(
        broken.is_empty() || std::env::var("AUTHZ_MATRIX_PRINT").is_ok(),
        "authz_matrix.txt breaks its rules:\n{}",
        broken.join("\n")
    );

    // The table and the router list the same routes.
    let served: BTreeSet<(String, String)> = courrier_web::route_list()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let mut listed = BTreeSet::new();
    for r in &rows {
        assert!(
            listed.insert((r.method.clone(), r.path.clone())),
            "authz_matrix.txt lists {} {} twice",
            r.method,
            r.path
        );
    }
    let unlisted: Vec<_> = served.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&served).collect();
    let print = std::env::var("AUTHZ_MATRIX_PRINT").is_ok();
    // `AUTHZ_MATRIX_PRINT=status` prints the status codes instead of the classes.
    let status_cells = std::env::var("AUTHZ_MATRIX_PRINT").is_ok_and(|v| v == "status");
    assert!(
        print || (unlisted.is_empty() && gone.is_empty()),
        "routes served without a row in authz_matrix.txt: {unlisted:?}\nrows for routes not served: {gone:?}"
    );
    // Every API route is in the OpenAPI document too (but the document itself and its page).
    let mut world = World::new().await;
    let doc = world
        .srv
        .anonymous_api()
        .get("/api/v1/openapi.json")
        .await
        .json();
    let documented: BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    for (_, path) in &served {
        if path.starts_with("/api/v1/")
            && !path.ends_with("/openapi.json")
            && !path.ends_with("/docs")
        {
            assert!(
                documented.contains(path),
                "{path} is not in the OpenAPI document"
            );
        }
    }

    let mut failures = Vec::new();
    let mut observed: BTreeMap<(String, String), (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut requests = 0;
    for row in &rows {
        let mut got = vec!["-".to_string(); CALLERS.len()];
        let mut raw = vec!["-".to_string(); CALLERS.len()];
        // The first role allowed in, whose organisation owns the ids (as
        // the table says; when printing, as observed).
        let mut first_ok = ROLE_COLUMNS
            .iter()
            .enumerate()
            .find(|(i, _)| row.expected[i + 1] == "ok")
            .map(|(_, (_, r))| *r);
        // Roles first, then anonymous, the key and the other organisation.
        for col in [1, 2, 3, 4, 5, 6, 7, 0, 8, 9] {
            let name = &CALLERS[col];
            if print && col == 0 {
                first_ok = ROLE_COLUMNS
                    .iter()
                    .enumerate()
                    .find(|(i, _)| got[i + 1] == "ok")
                    .map(|(_, (_, r))| *r);
            }
            let want = &row.expected[col];
            if want == "-" && !print {
                continue;
            }
            let (caller, org, org_kind) = match *name {
                "anon" => {
                    let kind = first_ok.map(kind_of).unwrap_or(OrgKind::Customer);
                    (world.anonymous().await, world.pair(kind).a, kind)
                }
                "key" => {
                    let kind = first_ok.map(kind_of).unwrap_or(OrgKind::Customer);
                    let org = world.pair(kind).a;
                    let key = world.key_lacking(org, kind, &row.perm).await;
                    let mut c = world.anonymous().await;
                    c.key = Some(key);
                    (c, org, kind)
                }
                "other" => {
                    let Some(role) = first_ok else { continue };
                    let kind = kind_of(role);
                    let pair = world.pair(kind);
                    let (Some(_), true) = (pair.b, row.path.contains('{')) else {
                        continue;
                    };
                    let s = &world.sessions[&(role, false)];
                    let c = Caller {
                        client: s.client.clone(),
                        csrf: s.csrf.clone(),
                        key: None,
                    };
                    // The id belongs to the first organisation.
                    (c, pair.a, kind)
                }
                role_name => {
                    let role = ROLE_COLUMNS
                        .iter()
                        .find(|(n, _)| *n == role_name)
                        .unwrap()
                        .1;
                    let kind = kind_of(role);
                    let c = if row.path == "/logout" {
                        world.fresh_session(role).await
                    } else {
                        let s = &world.sessions[&(role, true)];
                        Caller {
                            client: s.client.clone(),
                            csrf: s.csrf.clone(),
                            key: None,
                        }
                    };
                    (c, world.pair(kind).a, kind)
                }
            };
            let id = if row.path.contains('{') {
                world.id_for(&row.id, org, org_kind).await
            } else {
                String::new()
            };
            let path = fill(&row.path, &id);
            let res = world.call(row, &path, &caller).await;
            requests += 1;
            let mut class = classify(&res);
            // A refusal or a 404 comes before the body is looked at: the
            // same caller sending a body no route accepts gets the same answer.
            if ["no", "nf"].contains(&class.as_str()) && row.body != "-" && row.path != "/logout" {
                let again = world.send(row, &path, &caller, true).await;
                requests += 1;
                let class2 = classify(&again);
                if class2 != class {
                    failures.push(format!(
                        "{} {} as {name}: {class} with its body, but {class2} with an empty one ({} {})",
                        row.method,
                        row.path,
                        again.status,
                        again.body.chars().take(160).collect::<String>().replace('\n', " ")
                    ));
                    class = class2;
                }
            }
            if !print && &class != want {
                failures.push(format!(
                    "{} {} as {name}: expected {want}, got {class} ({} {})",
                    row.method,
                    row.path,
                    res.status,
                    res.body
                        .chars()
                        .take(160)
                        .collect::<String>()
                        .replace('\n', " ")
                ));
            }
            got[col] = class;
            raw[col] = res.status.to_string();
        }
        observed.insert((row.method.clone(), row.path.clone()), (got, raw));
    }
    if print {
        for (method, path) in &served {
            let row = rows.iter().find(|r| &r.method == method && &r.path == path);
            let (got, raw) = observed
                .get(&(method.clone(), path.clone()))
                .cloned()
                .unwrap_or_else(|| {
                    (
                        vec!["?".into(); CALLERS.len()],
                        vec!["?".into(); CALLERS.len()],
                    )
                });
            let (perm, id, body) = row
                .map(|r| (r.perm.as_str(), r.id.as_str(), r.body.as_str()))
                .unwrap_or(("?", "?", "?"));
            // The permissions every allowed role holds and no refused role does.
            let roles = |class: &str| -> Vec<Role> {
                ROLE_COLUMNS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| got[i + 1] == class)
                    .map(|(_, (_, r))| *r)
                    .collect()
            };
            let (allowed, refused) = (roles("ok"), roles("no"));
            let fits: Vec<&str> = Permission::ALL
                .iter()
                .filter(|p| allowed.iter().all(|r| r.permissions().contains(p)))
                .filter(|p| !refused.iter().any(|r| r.permissions().contains(p)))
                .map(|p| p.as_str())
                .collect();
            println!(
                "{method:<7}{path:<48}{perm:<19}{id:<11}{body:<3} {}  # fits {}",
                if status_cells { &raw } else { &got }
                    .iter()
                    .map(|c| format!("{c:<4} "))
                    .collect::<String>(),
                if allowed.is_empty() || fits.len() > 3 {
                    "?".to_string()
                } else {
                    fits.join(",")
                }
            );
        }
    }
    assert!(requests > 300, "only {requests} requests");
    assert!(
        failures.is_empty(),
        "{} cells differ from authz_matrix.txt:\n{}",
        failures.len(),
        failures.join("\n")
    );
    world.srv.stop().await;
}

/// Item 6 over HTTP: a key holding only `users.manage` invites no admin (and
/// so never reads an admin's link); a manager does not make anyone owner;
/// removing or demoting a person stops the keys they created.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_escalation_over_http() {
    let srv = Server::start(Backend::Sqlite).await;
    let marie = Actor::user(
        srv.demo.marie,
        srv.demo.dupont,
        OrgKind::Customer,
        Role::Admin,
        None,
    );
    let key = srv.key(&marie, &[Permission::UsersManage]).await;
    let api = srv.api(&key);
    let res = api
        .call(
            Method::POST,
            "/api/v1/invitations",
            Some(json!({"email": "boss@dupont.test", "role": "admin"})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.code(), "role.above_actor");
    assert_eq!(res.json()["field"], "role");
    assert!(!res.body.contains("/invitations/"), "{}", res.body);

    // A manager promotes no one, themselves included, to owner.
    let nadia = srv.signed_in("nadia.keller@mc-lausanne.test").await;
    let csrf = nadia.csrf().await;
    let nadia_id = user(&srv.app, "nadia.keller@mc-lausanne.test").await.id;
    let tom_id = user(&srv.app, "tom.schmid@mc-lausanne.test").await.id;
    for id in [nadia_id, tom_id] {
        let res = nadia
            .api(
                Method::PATCH,
                &format!("/api/v1/users/{id}"),
                Some(&csrf),
                Some(json!({"role": "owner"})),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert_eq!(res.code(), "role.above_actor");
    }
    let res = nadia
        .api(
            Method::POST,
            "/api/v1/invitations",
            Some(&csrf),
            Some(json!({"email": "boss@mc-lausanne.test", "role": "owner"})),
        )
        .await;
    assert_eq!(res.code(), "role.above_actor", "{}", res.body);
    let olivier = user(&srv.app, "olivier.blanc@mc-lausanne.test").await.id;
    let res = nadia
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{olivier}"),
            Some(&csrf),
            None,
        )
        .await;
    assert_eq!(res.code(), "user.above_actor", "{}", res.body);
    // The users page offers her only the roles she may give.
    let page = nadia.get("/org/users").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(r#"value="owner""#),
        "owner offered to a manager"
    );
    assert!(page.body.contains(r#"value="clerk""#));
    assert!(
        !page.body.contains(&format!("/org/users/{olivier}/remove")),
        "no remove button for the owner above her"
    );
    assert!(page.body.contains(&format!("/org/users/{tom_id}/remove")));

    // Keys made by a person who is demoted, then one who is removed.
    for demote in [true, false] {
        let email = format!("keeper-{demote}@dupont.test");
        let id = srv
            .app
            .add_user(
                &srv.scope(srv.demo.dupont),
                &email,
                "Keeper",
                PASSWORD,
                Role::Admin,
            )
            .await
            .unwrap();
        let b = srv.signed_in(&email).await;
        let csrf = b.csrf().await;
        let res = b
            .api(
                Method::POST,
                "/api/v1/api-keys",
                Some(&csrf),
                Some(json!({"name": "erp", "permissions": ["audit.read", "letters.read"]})),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let key = res.json()["secret"].as_str().unwrap().to_string();
        assert_eq!(srv.api(&key).get("/api/v1/audit").await.status, 200);
        let marie_b = srv.signed_in(MARIE).await;
        let marie_csrf = marie_b.csrf().await;
        let res = if demote {
            marie_b
                .api(
                    Method::PATCH,
                    &format!("/api/v1/users/{id}"),
                    Some(&marie_csrf),
                    Some(json!({"role": "member"})),
                )
                .await
        } else {
            marie_b
                .api(
                    Method::DELETE,
                    &format!("/api/v1/users/{id}"),
                    Some(&marie_csrf),
                    None,
                )
                .await
        };
        assert!(res.status < 300, "{}", res.body);
        let res = srv.api(&key).get("/api/v1/audit").await;
        assert_eq!(res.status, 401, "demoted={demote}: {}", res.body);
    }
    srv.stop().await;
}

/// Every page form (a POST outside the API) refuses a forged form token
/// before anything else: sent by a caller the table lets in, with its body,
/// it answers 403. The routes come from `courrier_web::route_list`, so a new
/// page form without the check fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_page_form_refuses_a_forged_token() {
    let rows = parse_table();
    let world = World::new().await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for route in courrier_web::route_list() {
        if route.method != "POST" || route.path.starts_with("/api/") {
            continue;
        }
        let row = rows
            .iter()
            .find(|r| r.method == route.method && r.path == route.path)
            .unwrap_or_else(|| panic!("no row for POST {}", route.path));
        // The first role let in, else one told "not found" (past the
        // sign-in, so the token is what refuses it), else an anonymous
        // visitor.
        let first = |class: &str| {
            ROLE_COLUMNS
                .iter()
                .enumerate()
                .find(|(i, _)| row.expected[i + 1] == class)
                .map(|(_, (_, r))| *r)
        };
        let role = first("ok").or_else(|| first("nf"));
        let (mut caller, org, kind) = match role {
            Some(role) => {
                let kind = kind_of(role);
                let c = if row.path == "/logout" {
                    world.fresh_session(role).await
                } else {
                    let s = &world.sessions[&(role, true)];
                    Caller {
                        client: s.client.clone(),
                        csrf: s.csrf.clone(),
                        key: None,
                    }
                };
                (c, world.pair(kind).a, kind)
            }
            None => (
                world.anonymous().await,
                world.pair(OrgKind::Customer).a,
                OrgKind::Customer,
            ),
        };
        caller.csrf = "forged".into();
        let id = if row.path.contains('{') {
            world.id_for(&row.id, org, kind).await
        } else {
            String::new()
        };
        let path = fill(&row.path, &id);
        let res = world.call(row, &path, &caller).await;
        checked += 1;
        if res.status != 403 {
            failures.push(format!(
                "POST {} with a forged token: {} ({})",
                row.path,
                res.status,
                res.body
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ")
            ));
        }
    }
    assert!(checked > 40, "only {checked} page forms");
    assert!(
        failures.is_empty(),
        "page forms taking a forged token:\n{}",
        failures.join("\n")
    );
    world.srv.stop().await;
}

/// An upload form refuses a sender without its permission before the
/// upload arrives: the request announces 10 MB, sends its form token and
/// stops; the 403 must come back while the rest is still unsent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_its_sender_may_not_make_is_refused_before_its_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let world = World::new().await;
    let task = world
        .id_for("task", world.center.a, OrgKind::MailCenter)
        .await;
    let member = world
        .id_for("member", world.customer.a, OrgKind::Customer)
        .await;
    let cases = [
        ("/letters/new".to_string(), "olivier.blanc@mc-lausanne.test"),
        ("/runs/new".to_string(), "olivier.blanc@mc-lausanne.test"),
        ("/center/intake".to_string(), "member@dupont.test"),
        (
            format!("/center/tasks/{task}/complete"),
            "member@dupont.test",
        ),
        (
            format!("/mail/onboarding/members/{member}/documents"),
            "olivier.blanc@mc-lausanne.test",
        ),
    ];
    let app = &world.srv.app;
    let addr = world.srv.base.trim_start_matches("http://").to_string();
    for (path, email) in cases {
        let session = app.login(email, PASSWORD, None).await.unwrap();
        if session.needs_second_factor {
            let ctx = app.session(&session.token).await.unwrap().unwrap();
            let code = app.current_totp_code(ctx.user.id).await.unwrap();
            app.verify_second_factor(&ctx, &code).await.unwrap();
        }
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: courrier_session={}\r\n\
             Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n\
             --b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\n",
            session.token, session.csrf_token
        );
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("POST {path} by {email}: no answer before the body"))
            .unwrap();
        let line = String::from_utf8_lossy(&answer[..read]).to_string();
        assert!(
            line.starts_with("HTTP/1.1 403"),
            "POST {path} by {email}: {line}"
        );
    }
    world.srv.stop().await;
}
