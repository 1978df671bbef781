//! `doctor`'s view of the labs on this machine: which lab `--lab` names,
//! its nodes' namespaces and pod CIDRs, the name the API knows a lab node
//! by, and the hint that a lab is up. Reads the labs' state files.

use crate::analyze::doctor::RemoteCidr;
use crate::analyze::doctor::node_pods::LabLayout;
use crate::error::{Error, Result};
use crate::lab::state::LabState;
use crate::model::Netns;
use crate::model::doctor::{DoctorReport, Status};

use super::ctx::Ctx;

/// Every lab on this machine with its state (unreadable ones left out).
pub(super) fn labs() -> Vec<(String, LabState)> {
    use crate::lab::store as lab_store;
    lab_store::list()
        .into_iter()
        .filter_map(|name| {
            let bytes = lab_store::read_state(&lab_store::lab_dir(&name)).ok()??;
            let state = serde_json::from_slice(&bytes).ok()?;
            Some((name, state))
        })
        .collect()
}

/// The lab `--lab [NAME]` names: the only one when no name is given.
pub(super) fn lab_named(name: Option<&str>) -> Result<(String, LabState)> {
    let mut all = labs();
    let names: Vec<String> = all.iter().map(|(n, _)| n.clone()).collect();
    match name {
        Some(n) => match all.iter().position(|(x, _)| x == n) {
            Some(i) => Ok(all.swap_remove(i)),
            None if names.is_empty() => Err(Error::Usage(format!(
                "no lab {n:?}: no lab is up on this machine (`podnet lab up`)"
            ))),
            None => Err(Error::Usage(format!(
                "no lab {n:?}; the labs are {}",
                names.join(", ")
            ))),
        },
        None => match all.len() {
            1 => Ok(all.remove(0)),
            0 => Err(Error::Usage(
                "no lab is up on this machine (`podnet lab up`)".into(),
            )),
            _ => Err(Error::Usage(format!(
                "{} labs are up ({}): name one, `--lab NAME`",
                names.len(),
                names.join(", ")
            ))),
        },
    }
}

/// The namespaces of a lab's nodes, in the lab's order.
pub(super) fn lab_node_indices(nss: &[Netns], name: &str, state: &LabState) -> Result<Vec<usize>> {
    state
        .nodes
        .iter()
        .map(|n| {
            nss.iter().position(|x| x.inode == n.inode).ok_or_else(|| {
                Error::other(format!(
                    "lab {name}: node {}'s network namespace ({}) is gone; `podnet lab status {name}`",
                    n.name, n.netns
                ))
            })
        })
        .collect()
}

/// On a machine with a lab, plain `doctor` judges the host, which plays no
/// node when it holds no pod: say so, and how to judge the lab.
pub(super) fn lab_hint(host: Option<&DoctorReport>) -> Option<String> {
    let names: Vec<String> = labs().into_iter().map(|(n, _)| n).collect();
    if names.is_empty() {
        return None;
    }
    let no_pods = host.is_none_or(|r| {
        r.checks
            .iter()
            .any(|c| c.id == "pods" && c.status == Status::Skip)
    });
    let what = if no_pods {
        "this judged the host, which holds no pod"
    } else {
        "this judged the host"
    };
    Some(format!(
        "lab {} is up on this machine; {what}: `podnet doctor --lab {}` judges every lab node, `--node-netns <node netns>` one of them",
        names.join(", "),
        names[0]
    ))
}

/// The name the API knows the judged node by: a lab node's own name, else
/// --node-name / $NODE_NAME, else the hostname.
pub(super) fn node_name_for_api(
    ctx: &Ctx,
    node: &Netns,
    lab: Option<&(String, LabState)>,
) -> Option<String> {
    if let Some((_, state)) = lab
        && let Some(n) = state.nodes.iter().find(|n| n.inode == node.inode)
    {
        return Some(n.name.clone());
    }
    ctx.kube
        .node_name
        .clone()
        .or_else(crate::sys::node::hostname)
}

/// The `podnet lab` this namespace is a node of, with its state.
pub(super) fn lab_of(inode: u64) -> Option<(String, LabState)> {
    labs()
        .into_iter()
        .find(|(_, state)| state.nodes.iter().any(|n| n.inode == inode))
}

/// Pod CIDRs of the other nodes of a lab.
pub(super) fn lab_cidrs(name: &str, state: &LabState, inode: u64) -> Vec<RemoteCidr> {
    state
        .nodes
        .iter()
        .filter(|n| n.inode != inode)
        .map(|n| RemoteCidr {
            cidr: n.pod_cidr.into(),
            source: format!("lab {name}: node {}", n.name),
            node_inode: Some(n.inode),
        })
        .collect()
}

/// What the checks need of a lab's layout, seen from its node `inode`.
pub(super) fn layout(state: &LabState, inode: u64) -> LabLayout {
    let me = state
        .nodes
        .iter()
        .find(|n| n.inode == inode)
        .map(|n| &n.name);
    LabLayout {
        nodes: state.nodes.iter().map(|n| n.inode).collect(),
        node_pods: state
            .pods
            .iter()
            .filter(|p| Some(&p.node) == me)
            .map(|p| p.inode)
            .collect(),
    }
}
