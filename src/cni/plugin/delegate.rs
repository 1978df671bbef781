//! A delegated IPAM plugin: found on CNI_PATH (never podnet itself), run
//! with this invocation's environment, its result or error read back.
//! Runs processes.

use serde_json::{Value, json};

use crate::cni::error::{CniError, codes};
use crate::sys::cni_exec::{self, PluginRun};

use super::Plugin;

/// Counts podnet processes that delegated IPAM to one another (set for
/// each delegate podnet runs).
pub(super) const DELEGATION_DEPTH_VAR: &str = "PODNET_CNI_DELEGATION_DEPTH";
/// The most delegations in a row podnet allows (a real chain has one).
pub(super) const MAX_DELEGATION_DEPTH: u32 = 4;

pub(super) fn delegation_depth() -> u32 {
    std::env::var(DELEGATION_DEPTH_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

impl Plugin<'_> {
    /// The delegated IPAM plugin's binary, unless it is podnet itself: a
    /// type that links to podnet (or a copy of it, found by the depth of
    /// delegations so far) would run podnet again on the same configuration,
    /// which delegates again, until fork fails.
    pub(super) fn delegate_binary(&self, plugin: &str) -> Result<std::path::PathBuf, CniError> {
        let bin = cni_exec::find(plugin, &self.inv.path).ok_or_else(|| {
            CniError::new(
                codes::DELEGATE_FAILED,
                format!(
                    "failed to find plugin {plugin:?} in path {:?}",
                    self.inv.path_raw
                ),
            )
        })?;
        let self_delegation = || {
            CniError::invalid_config(format!(
                "ipam type {plugin:?} ({}) is podnet itself: it would delegate to itself without end",
                bin.display()
            ))
            .with_details("use \"type\": \"host-local\" for podnet's built-in IPAM")
        };
        if cni_exec::is_this_program(&bin) {
            return Err(self_delegation());
        }
        if delegation_depth() >= MAX_DELEGATION_DEPTH {
            return Err(self_delegation().with_details(format!(
                "{MAX_DELEGATION_DEPTH} podnet processes already delegate to each other ({DELEGATION_DEPTH_VAR})"
            )));
        }
        Ok(bin)
    }

    /// Runs the delegated IPAM plugin with `command` and this invocation's environment.
    pub(super) fn delegate(&self, plugin: &str, command: &str) -> Result<Option<Value>, CniError> {
        let bin = self.delegate_binary(plugin)?;
        let out = cni_exec::run(&PluginRun {
            binary: bin,
            command: command.into(),
            container_id: self.inv.container_id.clone(),
            netns: self.inv.netns.clone(),
            ifname: self.inv.ifname.clone(),
            args: self
                .inv
                .args
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(";"),
            path: self.inv.path_raw.clone(),
            stdin: self.stdin.to_vec(),
            extra_env: vec![(
                DELEGATION_DEPTH_VAR.into(),
                (delegation_depth() + 1).to_string(),
            )],
            inherit_stderr: true,
        })
        .map_err(|e| {
            CniError::new(
                codes::DELEGATE_FAILED,
                format!("run IPAM plugin {plugin}: {e}"),
            )
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let parsed: Option<Value> = if text.trim().is_empty() {
            None
        } else {
            serde_json::from_str(&text).ok()
        };
        if !out.status.success() {
            return Err(parsed
                .as_ref()
                .and_then(CniError::from_json)
                .unwrap_or_else(|| {
                    CniError::new(
                        codes::DELEGATE_FAILED,
                        format!("IPAM plugin {plugin} {command} failed: {}", text.trim()),
                    )
                }));
        }
        if parsed.is_none() && !text.trim().is_empty() {
            return Err(CniError::new(
                codes::DECODE_FAILURE,
                format!("IPAM plugin {plugin} printed no JSON: {}", text.trim()),
            ));
        }
        Ok(parsed)
    }

    /// Whether a delegated plugin speaks 1.1.0 (has STATUS and GC).
    pub(super) fn delegate_has_gc(&self, plugin: &str) -> bool {
        let Ok(bin) = self.delegate_binary(plugin) else {
            return false;
        };
        let out = cni_exec::run(&PluginRun {
            binary: bin,
            command: "VERSION".into(),
            container_id: String::new(),
            netns: String::new(),
            ifname: String::new(),
            args: String::new(),
            path: self.inv.path_raw.clone(),
            stdin: json!({"cniVersion": self.conf.version.to_string()})
                .to_string()
                .into_bytes(),
            extra_env: Vec::new(),
            inherit_stderr: false,
        });
        out.ok()
            .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
            .and_then(|v| v.get("supportedVersions")?.as_array().cloned())
            .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some("1.1.0")))
    }
}
