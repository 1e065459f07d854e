//! Configuration: an optional TOML file, then `COURRIER_*` environment
//! variables, then command-line flags. Unknown keys are an error, so a typo
//! never silently falls back to a default. Secrets never appear in `Debug`.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub listen: Option<String>,
    /// Folder for the embedded defaults (SQLite file, blobs, master key).
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://user@host/db`.
    pub database_url: Option<String>,
    /// A local folder or `s3://bucket/prefix` (credentials from `AWS_*`).
    pub blob_store: Option<String>,
    /// Where people reach Courrier; used in links sent by e-mail.
    pub public_url: Option<String>,
    /// 32 bytes, base64 or hex; wraps every organisation key.
    pub master_key: Option<String>,
    /// `smtp://host:port`, `smtp://host:587?tls=required` or `smtps://user:pass@host:465`.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    /// clamd for virus scanning of uploads: `unix:/run/clamav/clamd.ctl` or `tcp:host:3310`.
    /// Unset: uploads are not scanned (a warning is logged at start).
    pub clamd: Option<String>,
    /// Job workers in this process.
    pub workers: Option<usize>,
    /// `text` or `json` logs.
    pub log_format: Option<String>,
    /// Memory of one template render worker, in MiB (default 1024).
    pub render_memory_mb: Option<u64>,
    /// CPU time of one template render, in seconds (default 20).
    pub render_cpu_secs: Option<u64>,
    /// Wall-clock time of one template render, in seconds (default 30).
    pub render_wall_secs: Option<u64>,
    /// Template render workers running at once (default 4).
    pub render_workers: Option<usize>,
    /// Accept webhook endpoints on this machine and private networks
    /// (development only). Default `false`.
    pub webhooks_allow_private: Option<bool>,
    /// Addresses or CIDRs of the proxies in front (`["10.0.0.0/8", "fd00::/8"]`;
    /// in the environment, comma-separated). Only their `X-Forwarded-For` /
    /// `Forwarded` headers name the client; unset, the peer is the client.
    pub trusted_proxies: Option<Vec<String>>,
    /// The bearer token `/metrics` requires; unset, `/metrics` answers 404.
    pub metrics_token: Option<String>,
    /// API requests per organisation and minute (default 600; 0: no limit).
    pub api_rate_limit: Option<u32>,
    /// API requests an organisation may send at once (default 300).
    pub api_rate_burst: Option<u32>,
    /// Documents worked on at once (reading PDFs, composing, splitting,
    /// combining scans); default: the machine's cores.
    pub document_threads: Option<usize>,
    /// Time budget of one document's work, in seconds, waiting for a place
    /// included (default 10); past it, `pdf.too_slow`.
    pub document_seconds: Option<u64>,
    /// The Tesseract program for OCR (default `tesseract` on `PATH`).
    pub ocr_tesseract: Option<String>,
}

/// Environment variables read as configuration, with their keys.
const ENV_KEYS: &[&str] = &[
    "LISTEN",
    "OCR_TESSERACT",
    "DATA_DIR",
    "DATABASE_URL",
    "BLOB_STORE",
    "PUBLIC_URL",
    "MASTER_KEY",
    "SMTP_URL",
    "MAIL_FROM",
    "CLAMD",
    "WORKERS",
    "LOG_FORMAT",
    "RENDER_MEMORY_MB",
    "RENDER_CPU_SECS",
    "RENDER_WALL_SECS",
    "RENDER_WORKERS",
    "WEBHOOKS_ALLOW_PRIVATE",
    "TRUSTED_PROXIES",
    "METRICS_TOKEN",
    "API_RATE_LIMIT",
    "API_RATE_BURST",
    "DOCUMENT_THREADS",
    "DOCUMENT_SECONDS",
];
/// `COURRIER_*` variables with other meanings.
/// `API_KEY` and `SERVER` are the API client's (`courrier send`).
const ENV_OTHER: &[&str] = &["CONFIG", "LOG", "TEST_POSTGRES", "API_KEY", "SERVER"];

fn redact_url(u: &str) -> String {
    match u.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://<redacted>@{host}"),
            None => u.to_string(),
        },
        None => u.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("blob_store", &self.blob_store)
            .field("public_url", &self.public_url)
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("clamd", &self.clamd)
            .field("workers", &self.workers)
            .field("log_format", &self.log_format)
            .field("render_memory_mb", &self.render_memory_mb)
            .field("render_cpu_secs", &self.render_cpu_secs)
            .field("render_wall_secs", &self.render_wall_secs)
            .field("render_workers", &self.render_workers)
            .field("webhooks_allow_private", &self.webhooks_allow_private)
            .field("trusted_proxies", &self.trusted_proxies)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("api_rate_limit", &self.api_rate_limit)
            .field("api_rate_burst", &self.api_rate_burst)
            .field("document_threads", &self.document_threads)
            .field("document_seconds", &self.document_seconds)
            .field("ocr_tesseract", &self.ocr_tesseract)
            .finish()
    }
}

impl Config {
    /// Reads the file (if any) and the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<Config>(&text).with_context(|| format!("in {}", path.display()))?
            }
            None => Config::default(),
        };
        for (name, value) in env {
            let Some(key) = name.strip_prefix("COURRIER_") else {
                continue;
            };
            if ENV_OTHER.contains(&key) {
                continue;
            }
            if !ENV_KEYS.contains(&key) {
                bail!(
                    "unknown configuration variable {name}; known: {}",
                    ENV_KEYS
                        .iter()
                        .map(|k| format!("COURRIER_{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let v = Some(value.clone());
            let number = |value: &str| -> anyhow::Result<u64> {
                value
                    .parse()
                    .with_context(|| format!("{name} must be a number"))
            };
            match key {
                "LISTEN" => cfg.listen = v,
                "DATA_DIR" => cfg.data_dir = Some(PathBuf::from(value)),
                "DATABASE_URL" => cfg.database_url = v,
                "BLOB_STORE" => cfg.blob_store = v,
                "PUBLIC_URL" => cfg.public_url = v,
                "MASTER_KEY" => cfg.master_key = v,
                "SMTP_URL" => cfg.smtp_url = v,
                "MAIL_FROM" => cfg.mail_from = v,
                "CLAMD" => cfg.clamd = v,
                "WORKERS" => {
                    cfg.workers = Some(
                        value
                            .parse()
                            .with_context(|| format!("{name} must be a number"))?,
                    )
                }
                "RENDER_MEMORY_MB" => cfg.render_memory_mb = Some(number(&value)?),
                "RENDER_CPU_SECS" => cfg.render_cpu_secs = Some(number(&value)?),
                "RENDER_WALL_SECS" => cfg.render_wall_secs = Some(number(&value)?),
                "RENDER_WORKERS" => {
                    cfg.render_workers = Some(
                        value
                            .parse()
                            .with_context(|| format!("{name} must be a number"))?,
                    )
                }
                "WEBHOOKS_ALLOW_PRIVATE" => {
                    cfg.webhooks_allow_private = Some(match value.as_str() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => bail!("{name} must be true or false"),
                    })
                }
                "TRUSTED_PROXIES" => {
                    cfg.trusted_proxies = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    )
                }
                "METRICS_TOKEN" => cfg.metrics_token = v,
                "API_RATE_LIMIT" => {
                    cfg.api_rate_limit = Some(
                        value
                            .parse()
                            .with_context(|| format!("{name} must be a number"))?,
                    )
                }
                "API_RATE_BURST" => {
                    cfg.api_rate_burst = Some(
                        value
                            .parse()
                            .with_context(|| format!("{name} must be a number"))?,
                    )
                }
                "DOCUMENT_THREADS" => {
                    cfg.document_threads = Some(
                        value
                            .parse()
                            .with_context(|| format!("{name} must be a number"))?,
                    )
                }
                "DOCUMENT_SECONDS" => cfg.document_seconds = Some(number(&value)?),
                "OCR_TESSERACT" => cfg.ocr_tesseract = v,
                _ => cfg.log_format = v,
            }
        }
        Ok(cfg)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("data"))
    }

    pub fn listen(&self) -> String {
        self.listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:8080".into())
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir().join("courrier.sqlite3").display()
            )
        })
    }

    pub fn blob_store(&self) -> String {
        self.blob_store
            .clone()
            .unwrap_or_else(|| self.data_dir().join("blobs").display().to_string())
    }

    /// The template render workers: this program's `render-worker`
    /// command, with the configured limits.
    pub fn render(&self) -> anyhow::Result<courrier_app::render::RenderSettings> {
        let defaults = courrier_app::render::RenderSettings::default();
        let program = std::env::current_exe()
            .context("finding this program, to start render workers with it")?;
        let positive = |value: Option<u64>, key: &str, default: u64| match value {
            Some(0) => bail!("{key} must be more than 0"),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        Ok(courrier_app::render::RenderSettings {
            worker: Some(courrier_app::render::WorkerCommand::new(
                program,
                &["render-worker"],
            )),
            memory_bytes: positive(
                self.render_memory_mb,
                "render_memory_mb",
                defaults.memory_bytes / (1024 * 1024),
            )?
            .saturating_mul(1024 * 1024),
            cpu_secs: positive(self.render_cpu_secs, "render_cpu_secs", defaults.cpu_secs)?,
            wall_secs: positive(
                self.render_wall_secs,
                "render_wall_secs",
                defaults.wall_secs,
            )?,
            max_workers: match self.render_workers {
                Some(0) => bail!("render_workers must be more than 0"),
                Some(n) => n,
                None => defaults.max_workers,
            },
        })
    }

    /// The use cases' settings: public address, webhooks, template renders
    /// and the document workers. A zero is an error.
    pub fn app_settings(&self) -> anyhow::Result<courrier_app::Settings> {
        let mut settings = courrier_app::Settings::new(&self.public_url());
        settings.webhooks_allow_private = self.webhooks_allow_private.unwrap_or(false);
        settings.render = self.render()?;
        match self.document_threads {
            Some(0) => bail!("document_threads must be more than 0"),
            Some(n) => settings.document_threads = n,
            None => {}
        }
        match self.document_seconds {
            Some(0) => bail!("document_seconds must be more than 0"),
            Some(n) => settings.document_seconds = n,
            None => {}
        }
        if let Some(program) = self
            .ocr_tesseract
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            settings.ocr_tesseract = program.trim().into();
        }
        Ok(settings)
    }

    /// The HTTP layer's settings; an unreadable proxy address is an error.
    pub fn web_settings(&self) -> anyhow::Result<courrier_web::WebSettings> {
        let trusted_proxies =
            courrier_web::parse_trusted_proxies(self.trusted_proxies.as_deref().unwrap_or(&[]))
                .map_err(|e| anyhow::anyhow!("trusted_proxies (COURRIER_TRUSTED_PROXIES): {e}"))?;
        let rate = self
            .api_rate_limit
            .unwrap_or(courrier_web::DEFAULT_API_RATE_PER_MINUTE);
        Ok(courrier_web::WebSettings {
            trusted_proxies,
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            api_rate_per_minute: (rate > 0).then_some(rate),
            api_rate_burst: self
                .api_rate_burst
                .unwrap_or(courrier_web::DEFAULT_API_RATE_BURST),
        })
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn env_overrides_and_unknown_keys_fail() {
        let c = Config::load(
            None,
            env(&[
                ("COURRIER_LISTEN", "0.0.0.0:9000"),
                ("PATH", "/bin"),
                ("COURRIER_LOG", "debug"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen(), "0.0.0.0:9000");
        let c = Config::load(
            None,
            env(&[
                ("COURRIER_RENDER_MEMORY_MB", "512"),
                ("COURRIER_RENDER_WALL_SECS", "5"),
            ]),
        )
        .unwrap();
        let render = c.render().unwrap();
        assert_eq!(render.memory_bytes, 512 * 1024 * 1024);
        assert_eq!(render.wall_secs, 5);
        assert_eq!(render.cpu_secs, 20);
        assert_eq!(
            render.worker.unwrap().args,
            vec!["render-worker".to_string()]
        );
        assert!(Config::load(None, env(&[("COURRIER_RENDER_CPU_SECS", "x")])).is_err());
        let zero = Config {
            render_workers: Some(0),
            ..Config::default()
        };
        assert!(zero.render().is_err());
        let err = Config::load(None, env(&[("COURRIER_LISTN", "x")])).unwrap_err();
        assert!(err.to_string().contains("COURRIER_LISTN"));
    }

    #[test]
    fn document_workers_from_file_and_environment() {
        let defaults = Config::default().app_settings().unwrap();
        assert_eq!(defaults.document_seconds, 10);
        assert_eq!(
            defaults.document_threads,
            courrier_app::workers::DocumentWorkers::default_threads()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "document_threads = 3\ndocument_seconds = 4\n").unwrap();
        let file = Config::load(Some(&path), env(&[])).unwrap();
        let s = file.app_settings().unwrap();
        assert_eq!((s.document_threads, s.document_seconds), (3, 4));
        let both = Config::load(
            Some(&path),
            env(&[
                ("COURRIER_DOCUMENT_THREADS", "5"),
                ("COURRIER_DOCUMENT_SECONDS", "30"),
            ]),
        )
        .unwrap();
        let s = both.app_settings().unwrap();
        assert_eq!((s.document_threads, s.document_seconds), (5, 30));
        assert!(Config::load(None, env(&[("COURRIER_DOCUMENT_SECONDS", "soon")])).is_err());
        for zero in ["COURRIER_DOCUMENT_THREADS", "COURRIER_DOCUMENT_SECONDS"] {
            let c = Config::load(None, env(&[(zero, "0")])).unwrap();
            assert!(c.app_settings().is_err(), "{zero}=0");
        }
    }

    #[test]
    fn webhooks_allow_private_is_off_unless_set() {
        assert_eq!(
            Config::load(None, env(&[])).unwrap().webhooks_allow_private,
            None
        );
        let on = Config::load(None, env(&[("COURRIER_WEBHOOKS_ALLOW_PRIVATE", "true")])).unwrap();
        assert_eq!(on.webhooks_allow_private, Some(true));
        let err =
            Config::load(None, env(&[("COURRIER_WEBHOOKS_ALLOW_PRIVATE", "yes")])).unwrap_err();
        assert!(err.to_string().contains("true or false"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "webhooks_allow_private = false\n").unwrap();
        let file = Config::load(Some(&path), env(&[])).unwrap();
        assert_eq!(file.webhooks_allow_private, Some(false));
    }

    #[test]
    fn web_settings_from_file_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "trusted_proxies = [\"10.0.0.0/8\", \"2001:db8::/32\"]\nmetrics_token = \"t\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), env(&[("COURRIER_API_RATE_LIMIT", "0")])).unwrap();
        let w = c.web_settings().unwrap();
        assert_eq!(w.trusted_proxies.len(), 2);
        assert_eq!(w.metrics_token.as_deref(), Some("t"));
        assert_eq!(w.api_rate_per_minute, None, "0 turns the limit off");
        let c = Config::load(
            None,
            env(&[
                ("COURRIER_TRUSTED_PROXIES", "192.0.2.1, 10.1.0.0/16"),
                ("COURRIER_API_RATE_BURST", "5"),
            ]),
        )
        .unwrap();
        let w = c.web_settings().unwrap();
        assert_eq!(w.trusted_proxies.len(), 2);
        assert_eq!(w.metrics_token, None);
        assert_eq!(w.api_rate_per_minute, Some(600));
        assert_eq!(w.api_rate_burst, 5);
        let c = Config::load(None, env(&[("COURRIER_TRUSTED_PROXIES", "10.0.0.0/40")])).unwrap();
        let e = format!("{:#}", c.web_settings().unwrap_err());
        assert!(
            e.contains("10.0.0.0/40") && e.contains("trusted_proxies"),
            "{e}"
        );
    }

    #[test]
    fn unknown_file_key_fails_and_secrets_stay_out_of_debug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
        let err = format!("{:#}", Config::load(Some(&path), env(&[])).unwrap_err());
        assert!(err.contains("listen_port"), "{err}");
        let c = Config {
            master_key: Some("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=".into()),
            smtp_url: Some("smtps://user:hunter2@mail.example:465".into()),
            database_url: Some("postgres://app:pw@db/courrier".into()),
            ..Config::default()
        };
        let c = Config {
            metrics_token: Some("m3tr1cs-t0ken".into()),
            ..c
        };
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("hunter2")
                && !dbg.contains("c2VjcmV0")
                && !dbg.contains(":pw@")
                && !dbg.contains("m3tr1cs"),
            "{dbg}"
        );
    }
}
