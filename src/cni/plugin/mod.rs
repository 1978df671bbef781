//! podnet as a CNI plugin (plugin mode, entered when CNI_COMMAND is set):
//! ADD, DEL, CHECK, VERSION, STATUS and GC for the configuration on stdin,
//! the result or error JSON on stdout, exit 0 or 1: the protocol and its dispatch. The
//! wing's kernel adapter for plugin mode: `cni`'s pure modules decide
//! (config, IPAM allocation, the plan, CHECK), the submodules here do them
//! through `sys` (netlink on helper threads in each namespace, the IPAM
//! store, the firewall, delegated plugins). Reads stdin, writes stdout.
//!
//! `PODNET_CNI_EXPLAIN=1` prints each step as the equivalent command on
//! stderr. Failure injection exists only in builds with the `test-hooks`
//! feature (what `cargo test` builds; never a release):
//! `PODNET_CNI_FAIL_AT_STEP=N` makes ADD fail before step N (the rollback
//! runs); `PODNET_CNI_STOP_AT_STEP=N` makes ADD stop after step N (to be
//! killed, as in a crash) for at most `PODNET_CNI_STOP_SECONDS` (default
//! 300), then go on.

mod add;
mod check;
mod del;
mod delegate;
mod hooks;
mod ipam;
mod kernel;
mod netns;
mod status;

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::cni::config::{self, MasqBackend, PluginConf};
use crate::cni::env::{self, Command, Invocation};
use crate::cni::error::{CniError, codes};
use crate::cni::masq;
use crate::cni::names;
use crate::cni::observe::{self, NsView};
use crate::cni::plan::{Action, ExplainCtx, Owner};
use crate::cni::version::{self, Version};
use crate::sys::files;
use crate::sys::rtnl::NetnsWorker;

/// Runs one plugin invocation from the process environment and stdin;
/// returns the exit status.
pub fn main() -> u8 {
    let stdin = match files::read_stream_capped(io::stdin().lock(), config::MAX_STDIN_BYTES) {
        Ok(b) => b,
        Err(e) => {
            return emit_error(
                &CniError::new(
                    codes::IO_FAILURE,
                    "cannot read the network configuration from stdin",
                )
                .with_details(e.to_string()),
                &version::CURRENT.to_string(),
            );
        }
    };
    let decoded = config::decode(&stdin);
    let err_version = config::error_version_of(decoded.as_ref().ok());
    let inv = match env::from_env(|k| std::env::var(k).ok()) {
        Ok(i) => i,
        Err(e) => return emit_error(&e, &err_version),
    };
    match run(&inv, &stdin, decoded) {
        Ok(Some(out)) => {
            let mut o = io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut o, &out);
            let _ = writeln!(o);
            0
        }
        Ok(None) => 0,
        Err(e) => emit_error(&e, &err_version),
    }
}

fn emit_error(e: &CniError, version: &str) -> u8 {
    let mut o = io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut o, &e.to_json(version));
    let _ = writeln!(o);
    eprintln!(
        "podnet: CNI error {}: {}{}",
        e.code,
        e.msg,
        if e.details.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.details)
        }
    );
    1
}

/// Dispatches one command on stdin (its bytes, and their one decoding);
/// `Ok(None)` means success with no output.
pub fn run(
    inv: &Invocation,
    stdin: &[u8],
    decoded: Result<Value, CniError>,
) -> Result<Option<Value>, CniError> {
    if inv.command == Command::Version {
        let asked = decoded
            .ok()
            .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_string))
            .filter(|s| Version::parse(s).is_some())
            .unwrap_or_else(|| version::CURRENT.to_string());
        return Ok(Some(
            json!({"cniVersion": asked, "supportedVersions": version::SUPPORTED}),
        ));
    }
    let conf = config::parse_value(decoded?, inv.arg("IP"))?;
    let p = Plugin {
        inv,
        conf: &conf,
        stdin,
        explain: flag("PODNET_CNI_EXPLAIN"),
    };
    match inv.command {
        Command::Add => p.add().map(|r| Some(r.to_json(conf.version))),
        Command::Del => p.del().map(|()| None),
        Command::Check => p.check().map(|()| None),
        Command::Status => p.status().map(|()| None),
        Command::Gc => p.gc().map(|()| None),
        Command::Version => Ok(None),
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v == "true")
}

fn kernel(what: impl std::fmt::Display, e: impl std::fmt::Display) -> CniError {
    CniError::kernel(format!("{what}: {e}"))
}

fn ipam_err(what: impl std::fmt::Display, e: impl std::fmt::Display) -> CniError {
    CniError::new(codes::IPAM_STORE, format!("{what}: {e}"))
}

struct Plugin<'a> {
    inv: &'a Invocation,
    conf: &'a PluginConf,
    stdin: &'a [u8],
    explain: bool,
}

fn action_words(a: &Action) -> String {
    a.explain(&ExplainCtx {
        container_netns: "<pod>".into(),
    })
    .join("; ")
}

fn host_view(w: &NetnsWorker) -> Result<NsView, CniError> {
    let (l, a, r) = w.dump().map_err(|e| kernel("dump the node's links", e))?;
    Ok(observe::ns_view(&l, &a, &r))
}

impl Plugin<'_> {
    fn owner(&self) -> Owner {
        Owner {
            network: self.conf.name.clone(),
            container_id: self.inv.container_id.clone(),
            ifname: self.inv.ifname.clone(),
        }
    }

    fn host_veth_name(&self) -> String {
        names::host_veth_name(
            &self.conf.veth_prefix,
            self.inv.pod(),
            &self.inv.container_id,
            &self.inv.ifname,
        )
    }

    fn backend(&self) -> MasqBackend {
        self.conf.masq_backend.unwrap_or_else(masq::default_backend)
    }
}
