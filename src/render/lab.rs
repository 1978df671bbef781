//! The lab's tables and lines: a lab's headline, its node table and its
//! pod table. Writes to a `&mut dyn Write`; no other I/O.

use std::io::{self, Write};

use crate::lab::plan;
use crate::lab::state::LabState;

use super::Style;

/// A summary line of a lab.
pub fn headline(state: &LabState) -> String {
    format!(
        "lab {}: {} node{}, {} pod{}, {} overlay, {} pods (MTU {}), cluster CIDR {}",
        state.name,
        state.nodes.len(),
        if state.nodes.len() == 1 { "" } else { "s" },
        state.pods.len(),
        if state.pods.len() == 1 { "" } else { "s" },
        state.overlay.as_str(),
        state.mode.as_str(),
        state.pod_mtu,
        state.cidr
    )
}

/// The node table.
pub fn nodes_table(out: &mut dyn Write, state: &LabState, style: &Style) -> io::Result<()> {
    let vxlan = state.overlay == plan::Overlay::Vxlan;
    let mut headers = vec!["NODE", "UNDERLAY", "POD CIDR", "PODS"];
    if vxlan {
        headers.extend(["VTEP", "VTEP MAC"]);
    }
    if style.wide {
        headers.push("NETNS");
    }
    let mut t = super::table(&headers, style);
    for n in &state.nodes {
        let mut row = vec![
            n.name.clone(),
            format!("{}/{}", n.underlay_ip, n.underlay_prefix),
            n.pod_cidr.to_string(),
            state.pods_of(&n.name).count().to_string(),
        ];
        if vxlan {
            row.push(format!("{} {}", plan::VXLAN_DEV, n.vtep_ip));
            row.push(n.vtep_mac.clone());
        }
        if style.wide {
            row.push(n.netns.clone());
        }
        t.add_row(row);
    }
    super::write_table(out, &t)
}

/// The pod table; `extra` adds a column per pod (status's liveness).
pub fn pods_table(
    out: &mut dyn Write,
    state: &LabState,
    style: &Style,
    extra: Option<(&str, &dyn Fn(usize) -> String)>,
) -> io::Result<()> {
    let mut headers = vec!["POD", "NODE", "IP", "PAUSE", "HOST VETH"];
    if let Some((h, _)) = extra {
        headers.push(h);
    }
    if style.wide {
        headers.extend(["SANDBOX", "NETNS"]);
    }
    let mut t = super::table(&headers, style);
    for (i, p) in state.pods.iter().enumerate() {
        let mut row = vec![
            p.full(),
            p.node.clone(),
            p.ip.to_string(),
            p.pause_pid.to_string(),
            p.host_veth.clone(),
        ];
        if let Some((_, f)) = extra {
            row.push(f(i));
        }
        if style.wide {
            row.push(p.container_id.chars().take(12).collect());
            row.push(p.netns.clone());
        }
        t.add_row(row);
    }
    super::write_table(out, &t)
}
