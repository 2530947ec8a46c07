//! The two HTTP faces of a core node, on 127.0.0.1: the admin port (`info`,
//! `tx`, `upgrades`, `metrics`) and the query port (`getledgerentry`).

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Percent-encodes a query or form value. Core URL-decodes the whole request
/// before splitting parameters, and decodes `+` to a space, so base64's `+`,
/// `/` and `=` must be escaped.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build()
}

/// `GET url`, the body as text (core answers errors with text and a 4xx/5xx).
pub fn get(url: &str) -> Result<String> {
    match agent().get(url).call() {
        Ok(r) => Ok(r.into_string()?),
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            bail!("GET {url}: HTTP {code}: {}", body.trim())
        }
        Err(e) => Err(e).with_context(|| format!("GET {url}")),
    }
}

pub fn get_json(url: &str) -> Result<Value> {
    let body = get(url)?;
    serde_json::from_str(&body).with_context(|| format!("GET {url}: not JSON: {body}"))
}

/// `POST url` with a form body of `pairs` (repeated names allowed).
pub fn post_form(url: &str, pairs: &[(&str, String)]) -> Result<Value> {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let body = body.join("&");
    let resp = agent()
        .post(url)
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string(&body);
    let text = match resp {
        Ok(r) => r.into_string()?,
        Err(ureq::Error::Status(code, r)) => {
            let t = r.into_string().unwrap_or_default();
            bail!("POST {url}: HTTP {code}: {}", t.trim())
        }
        Err(e) => return Err(e).with_context(|| format!("POST {url}")),
    };
    serde_json::from_str(&text).with_context(|| format!("POST {url}: not JSON: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_survives_cores_url_decoding() {
        assert_eq!(encode("ab+/=="), "ab%2B%2F%3D%3D");
        assert_eq!(encode("AAAA-_.~"), "AAAA-_.~");
    }
}
