//! A small client of Courrier's JSON API for the commands that work through
//! a server (`send-bulk`, `merge`): the server's address and an API key,
//! JSON answers, and the API's errors (`{code, message, errors}`) printed
//! the way people read them.

use anyhow::{Context, bail};
use std::time::Duration;

/// Where the server is and how to authenticate.
#[derive(clap::Args, Debug, Clone)]
pub struct ServerArgs {
    /// The Courrier server.
    #[arg(long, env = "COURRIER_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An API key with letters.send and letters.read.
    #[arg(long, env = "COURRIER_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

/// A member of a JSON object, or null.
fn at<'a>(v: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    v.get(key).unwrap_or(&serde_json::Value::Null)
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("")
}

impl Client {
    pub fn new(args: &ServerArgs) -> anyhow::Result<Client> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()?;
        Ok(Client {
            http,
            base: format!("{}/api/v1", args.server.trim_end_matches('/')),
            key: args.api_key.trim().to_string(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET a JSON document.
    pub async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let url = self.url(path);
        let res = self
            .http
            .get(&url)
            .bearer_auth(&self.key)
            .send()
            .await
            .with_context(|| format!("asking {url}"))?;
        answer(res).await
    }

    /// POST a multipart form.
    pub async fn post_form(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<serde_json::Value> {
        let url = self.url(path);
        let mut req = self.http.post(&url).bearer_auth(&self.key).multipart(form);
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("sending to {url}"))?;
        answer(res).await
    }
}

/// The JSON of a successful answer; an error answer is printed (every
/// problem, with its code) and becomes the error.
async fn answer(res: reqwest::Response) -> anyhow::Result<serde_json::Value> {
    let status = res.status();
    let body = res.text().await.context("reading the server's answer")?;
    let json: serde_json::Value = serde_json::from_str(&body).with_context(|| {
        format!(
            "the server answered {status} with something other than JSON: {}",
            body.chars().take(200).collect::<String>()
        )
    })?;
    if status.is_success() {
        return Ok(json);
    }
    let errors = at(&json, "errors").as_array().cloned().unwrap_or_default();
    if errors.is_empty() {
        eprintln!(
            "{}: {}",
            text(at(&json, "code")),
            text(at(&json, "message"))
        );
    } else {
        for e in &errors {
            eprintln!("{}: {}", text(at(e, "code")), text(at(e, "message")));
        }
    }
    bail!("refused by the server ({status})")
}
