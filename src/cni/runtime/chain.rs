//! Plugin chains run like libcni: ADD in order (each plugin getting the
//! result so far), CHECK, DEL in reverse with the cached result, a failed
//! ADD rolled back by a DEL of every plugin that ran, and the result
//! cached. Runs plugin processes in the node's netns; writes the cache.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::cni::cache::CacheEntry;
use crate::cni::cache_store;
use crate::cni::conflist::{self, NetConfList};
use crate::cni::error::CniError;
use crate::error::{Error, Result};
use crate::sys::cni_exec::{self, PluginRun};

use super::exec::outcome;
use super::{Cached, Params, Runtime, other, plugin_error, warn_line};

/// An ADD of a chain that failed: the error, how many plugins ran (the
/// failed one included when it ran), and the result before the failure.
pub(super) struct FailedAdd {
    pub(super) error: Error,
    pub(super) ran: usize,
    pub(super) result: Option<Value>,
}

impl Runtime {
    /// The binary of a plugin type.
    pub(super) fn plugin_binary(&self, ty: &str) -> Result<PathBuf> {
        if let Some(p) = self.plugins.find(ty, &self.cfg.bin_dirs) {
            return Ok(p);
        }
        if ty == "podnet" {
            return Ok(self.cfg.podnet_exe.clone());
        }
        Err(Error::with_hint(
            format!(
                "plugin {ty:?} not found in {}",
                cni_exec::path_string(&self.cfg.bin_dirs)
            ),
            "install it there, or pass --bin-dir",
        ))
    }

    /// Runs one plugin; `Ok(Err(e))` is the plugin's own CNI error.
    pub(super) fn exec(
        &self,
        ty: &str,
        command: &str,
        at: &Params<'_>,
        request: &Value,
    ) -> Result<std::result::Result<Option<Value>, CniError>> {
        let binary = self.plugin_binary(ty)?;
        let run = PluginRun {
            binary: binary.clone(),
            command: command.into(),
            container_id: at.container_id.into(),
            netns: at.netns.into(),
            ifname: at.ifname.into(),
            args: at.args.into(),
            path: cni_exec::path_string(&self.cfg.bin_dirs),
            stdin: serde_json::to_vec(request).unwrap_or_default(),
            extra_env: if self.cfg.explain {
                vec![("PODNET_CNI_EXPLAIN".into(), "1".into())]
            } else {
                Vec::new()
            },
            inherit_stderr: self.cfg.explain,
        };
        let plugins = Arc::clone(&self.plugins);
        let out = self
            .in_node(move || plugins.run(&run))?
            .map_err(|e| Error::io(format!("run {}", binary.display()), e))?;
        Ok(outcome(&out))
    }

    pub(super) fn announce(&self, list: &NetConfList, command: &str, i: usize) {
        let ty = list.plugin_type(i);
        self.say(format!(
            "# CNI {command} {ty} (plugin {} of {} in network {})",
            i + 1,
            list.plugins.len(),
            list.name
        ));
        if self.cfg.explain && ty != "podnet" {
            self.say(format!(
                "#   ({ty} does not explain its steps; see its result)"
            ));
        }
    }

    /// Runs CHECK through the chain with the cached result, stopping at
    /// the first failure, as libcni does.
    pub(super) fn check_chain(
        &self,
        list: &NetConfList,
        at: &Params<'_>,
        caps: &Map<String, Value>,
        cached: Option<&Value>,
    ) -> Result<()> {
        for i in 0..list.plugins.len() {
            self.announce(list, "CHECK", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, cached, caps);
            if let Err(e) = self.exec(ty, "CHECK", at, &request)? {
                return Err(plugin_error(&list.name, ty, "CHECK", &e));
            }
        }
        Ok(())
    }

    /// Runs ADD through the chain, each plugin getting the result so far;
    /// returns the final result, or what ran before the failure.
    pub(super) fn add_chain(
        &self,
        list: &NetConfList,
        at: &Params<'_>,
        caps: &Map<String, Value>,
    ) -> std::result::Result<Option<Value>, FailedAdd> {
        let mut prev: Option<Value> = None;
        for i in 0..list.plugins.len() {
            self.announce(list, "ADD", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, prev.as_ref(), caps);
            match self.exec(ty, "ADD", at, &request) {
                Ok(Ok(out)) => prev = out,
                // it ran and failed: it may have done part of its work
                Ok(Err(e)) => {
                    return Err(FailedAdd {
                        error: plugin_error(&list.name, ty, "ADD", &e),
                        ran: i + 1,
                        result: prev,
                    });
                }
                // it never ran (not installed, could not be started)
                Err(e) => {
                    return Err(FailedAdd {
                        error: e,
                        ran: i,
                        result: prev,
                    });
                }
            }
        }
        Ok(prev)
    }

    /// Undoes an ADD (a failed one, or a recorded attachment): a DEL of
    /// every plugin that ran, the last first, going on past failures.
    /// Returns each failure.
    pub(super) fn roll_back(
        &self,
        list: &NetConfList,
        ran: usize,
        at: &Params<'_>,
        caps: &Map<String, Value>,
        result: Option<&Value>,
    ) -> Vec<String> {
        let mut failures = Vec::new();
        for i in (0..ran.min(list.plugins.len())).rev() {
            self.announce(list, "DEL", i);
            let ty = list.plugin_type(i);
            let request = conflist::plugin_request(list, i, result, caps);
            match self.exec(ty, "DEL", at, &request) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => failures.push(plugin_error(&list.name, ty, "DEL", &e).to_string()),
                Err(e) => failures.push(format!("plugin {ty} DEL: {e}")),
            }
        }
        failures
    }

    /// ADDs the attachment `entry` describes through the chain and caches
    /// its result; a failure is rolled back (and what could not be undone
    /// recorded in the cache).
    pub(super) fn plumb(
        &self,
        list: &NetConfList,
        full: &str,
        mut entry: CacheEntry,
    ) -> Result<(PathBuf, CacheEntry)> {
        let netns = entry.netns.clone().unwrap_or_default();
        let args = entry.cni_args_string();
        let params = Params {
            container_id: &entry.container_id,
            netns: &netns,
            ifname: &entry.if_name,
            args: &args,
        };
        let caps = &entry.capability_args;
        let result = match self.add_chain(list, &params, caps) {
            Ok(r) => r,
            Err(failed) => {
                // as containerd: tear the attempt down with DEL, but of every
                // plugin that ran, past failures
                let failures =
                    self.roll_back(list, failed.ran, &params, caps, failed.result.as_ref());
                if !failures.is_empty() {
                    let left = CacheEntry {
                        config: conflist::truncated(list, failed.ran),
                        result: failed.result,
                        ..entry.clone()
                    };
                    self.keep_unfinished(full, &left, &failures);
                }
                return Err(failed.error);
            }
        };
        self.say(format!(
            "# cache the result in {}",
            cache_store::results_dir(&self.cfg.cache_dir)
                .join(CacheEntry::file_name(
                    &entry.network_name,
                    &entry.container_id,
                    &entry.if_name
                ))
                .display()
        ));
        let written = CacheEntry {
            result: result.clone(),
            ..entry.clone()
        };
        match cache_store::write(&self.cfg.cache_dir, &written) {
            Ok(path) => {
                entry.result = result;
                Ok((path, entry))
            }
            Err(e) => {
                let n = list.plugins.len();
                for f in self.roll_back(list, n, &params, caps, result.as_ref()) {
                    warn_line(&format!("undoing the ADD: {f}"));
                }
                Err(Error::io("write the CNI cache", e))
            }
        }
    }

    /// After a rollback that failed: warns of each failure and records the
    /// attachment (the plugins that ran, the result so far) in the cache,
    /// so that `cni del` or `cni gc` can finish the job later.
    pub(super) fn keep_unfinished(&self, pod: &str, entry: &CacheEntry, failures: &[String]) {
        for f in failures {
            warn_line(&format!("undoing the failed ADD: {f}"));
        }
        match cache_store::write(&self.cfg.cache_dir, entry) {
            Ok(path) => warn_line(&format!(
                "the failed ADD was not fully undone; {} records what is left, for `podnet cni del {pod}` or `podnet cni gc`",
                path.display()
            )),
            Err(e) => warn_line(&format!(
                "the failed ADD was not fully undone, and recording it failed too: {e}"
            )),
        }
    }

    pub(super) fn del_attachment(&self, c: &Cached) -> Result<()> {
        let e = &c.entry;
        let list = conflist::parse(&e.config).map_err(|err| {
            other(format!(
                "{}: the cached config is unreadable: {err}",
                c.path.display()
            ))
        })?;
        let netns = e.netns_path().unwrap_or_default();
        let at = Params {
            container_id: &e.container_id,
            netns: &netns,
            ifname: &e.if_name,
            args: &e.cni_args_string(),
        };
        // every plugin's DEL runs, last first, past a failing or missing
        // one (libcni stops at the first): the cache entry stays until all
        // succeed, so a retry finishes the job
        let failures = self.roll_back(
            &list,
            list.plugins.len(),
            &at,
            &e.capability_args,
            e.result.as_ref(),
        );
        if !failures.is_empty() {
            return Err(other(format!(
                "{} (the cache entry {} is kept for a retry)",
                failures.join("; "),
                c.path.display()
            )));
        }
        self.say(format!("rm {}", c.path.display()));
        cache_store::remove(&c.path).map_err(|err| Error::io("remove the cache entry", err))
    }
}
