//! A stellar-core process on loopback: its directory, `new-db`, `run`, stop,
//! and what it says about itself over its admin port.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use crate::config::NodeConfig;
use crate::http;

/// What `GET /info` reports of the last closed ledger and the node's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    pub ledger: u32,
    pub protocol: u32,
    pub hash: String,
    pub close_time: u64,
    pub base_reserve: u32,
    pub state: String,
}

/// One node: its configuration and, while it runs, its process.
pub struct Node {
    pub cfg: NodeConfig,
    bin: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// Writes the node's directory and configuration and creates its database
    /// (`stellar-core new-db`): a genesis ledger at protocol 0.
    pub fn init(bin: &Path, cfg: NodeConfig) -> Result<Node> {
        if cfg.dir.exists() {
            fs::remove_dir_all(&cfg.dir)
                .with_context(|| format!("clearing {}", cfg.dir.display()))?;
        }
        fs::create_dir_all(&cfg.dir)?;
        fs::write(cfg.config_path(), cfg.render())?;
        let node = Node {
            cfg,
            bin: bin.to_path_buf(),
            child: None,
        };
        node.core(&["new-db"])?;
        Ok(node)
    }

    /// Runs `stellar-core <args> --conf <cfg>` to completion (a one-shot command).
    pub fn core(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.bin)
            .args(args)
            .arg("--conf")
            .arg(self.cfg.config_path())
            .current_dir(&self.cfg.dir)
            .output()
            .with_context(|| format!("running {}", self.bin.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            bail!(
                "stellar-core {} ({}) failed: {}",
                args.join(" "),
                self.cfg.name,
                tail(&text, 20)
            );
        }
        Ok(text)
    }

    /// Starts `stellar-core run` (output in `core.log`) and waits until its admin
    /// port answers.
    pub fn start(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.cfg.dir.join("core.log"))?;
        let child = Command::new(&self.bin)
            .arg("run")
            .arg("--conf")
            .arg(self.cfg.config_path())
            .current_dir(&self.cfg.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(info) = self.info() {
                let _ = info;
                return Ok(());
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                bail!(
                    "{} exited ({status}) while starting: {}",
                    self.cfg.name,
                    tail(&self.log(), 30)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not answer on its admin port in 120 s",
                    self.cfg.name
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops the process (SIGTERM, then SIGKILL after 20 s) and waits for it.
    pub fn stop(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill()?;
        child.wait()?;
        Ok(())
    }

    /// Leaves the process running (its pid in `core.pid`) when this value is dropped.
    pub fn detach(mut self) {
        if let Some(child) = self.child.take() {
            let _ = fs::write(self.cfg.dir.join("core.pid"), child.id().to_string());
        }
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().ok().flatten().is_none(),
            None => false,
        }
    }

    pub fn admin_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.cfg.http_port)
    }

    pub fn query_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.cfg.query_port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.cfg.dir.join("core.log")).unwrap_or_default()
    }

    pub fn info(&self) -> Result<Info> {
        info(&self.admin_url())
    }

    /// Arms a protocol upgrade to `protocol` at the current time, with core's own
    /// command (`upgrades?mode=set&upgradetime=…&protocolversion=…`).
    pub fn arm_upgrade(&self, protocol: u32) -> Result<String> {
        arm_upgrade(&self.admin_url(), protocol)
    }

    /// Waits until the node has closed ledger `ledger` (or a later one).
    pub fn wait_for_ledger(&self, ledger: u32, timeout: Duration) -> Result<Info> {
        wait_for(&self.admin_url(), timeout, |i| i.ledger >= ledger)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Stops a detached node of `dir` (its `core.pid`), waiting at most 30 s.
pub fn stop_detached(dir: &Path) -> Result<bool> {
    let Ok(pid) = fs::read_to_string(dir.join("core.pid")) else {
        return Ok(false);
    };
    let pid = pid.trim().to_string();
    let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && Path::new(&format!("/proc/{pid}")).exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    if Path::new(&format!("/proc/{pid}")).exists() {
        let _ = Command::new("kill").arg("-KILL").arg(&pid).status();
    }
    let _ = fs::remove_file(dir.join("core.pid"));
    Ok(true)
}

/// `GET /info` of the node at `admin_url`.
pub fn info(admin_url: &str) -> Result<Info> {
    let v = http::get_json(&format!("{admin_url}/info"))?;
    let i = &v["info"];
    let l = &i["ledger"];
    let num = |x: &serde_json::Value| x.as_u64().context("a number in /info");
    Ok(Info {
        ledger: num(&l["num"])? as u32,
        protocol: num(&l["version"])? as u32,
        hash: l["hash"].as_str().unwrap_or_default().to_string(),
        close_time: num(&l["closeTime"])?,
        base_reserve: num(&l["baseReserve"])? as u32,
        state: i["state"].as_str().unwrap_or_default().to_string(),
    })
}

/// Polls `/info` until `done` holds, at most `timeout`.
pub fn wait_for(admin_url: &str, timeout: Duration, done: impl Fn(&Info) -> bool) -> Result<Info> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(i) = info(admin_url) {
            if done(&i) {
                return Ok(i);
            }
            last = Some(i);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("timed out after {timeout:?} waiting on {admin_url}; last /info: {last:?}")
}

/// Arms a protocol upgrade at the node (see [`Node::arm_upgrade`]).
pub fn arm_upgrade(admin_url: &str, protocol: u32) -> Result<String> {
    let url = format!(
        "{admin_url}/upgrades?mode=set&upgradetime={}&protocolversion={protocol}",
        utc_now_iso8601()
    );
    http::get(&url)
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (what `upgradetime` takes).
pub fn utc_now_iso8601() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    iso8601(secs)
}

fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn tail(text: &str, lines: usize) -> String {
    let v: Vec<&str> = text.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_times_are_utc_iso8601() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_796_307_545), "2026-12-03T14:19:05Z");
    }
}
