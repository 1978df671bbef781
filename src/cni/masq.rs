//! ipMasq rules in the node's network namespace (process I/O: `nft` and
//! `iptables`/`ip6tables`, as the reference plugins drive iptables). Every
//! rule carries podnet's marker comment (`podnet <netkey> <attkey> …`), so
//! an attachment's rules are found again by key alone — no need to know
//! its addresses on DEL or GC. A lock file serialises podnet's changes.
//!
//! nftables: one table `inet podnet`, chain `postrouting` (nat hook), one
//! rule per pod address: `ip saddr P ip daddr != SUBNET ip daddr !=
//! 224.0.0.0/4 masquerade`; the table is removed with its last rule.
//! iptables: like the reference plugins, a chain `PODNET-<attkey>` per
//! attachment (ACCEPT to the subnet, MASQUERADE the rest but multicast)
//! jumped to from POSTROUTING for each pod address.
//!
//! Call these on a thread inside the node's namespace. The CNI wing's
//! kernel adapter for ipMasq, over `sys::firewall`'s tool runner.

use std::io;

use serde_json::Value;

use crate::cni::config::MasqBackend;
use crate::cni::names;
use crate::cni::plan::{MasqRule, Owner};
use crate::sys::firewall::{run, run_ok, split_rule, tool};
use crate::sys::lockfile;

const NFT_TABLE: &str = "podnet";
const NFT_CHAIN: &str = "postrouting";
/// nftables when `nft` is installed, else iptables.
pub fn default_backend() -> MasqBackend {
    if tool("nft").is_some() {
        MasqBackend::Nftables
    } else {
        MasqBackend::Iptables
    }
}

fn lock() -> io::Result<lockfile::Locked> {
    lockfile::named("firewall")
}

/// The comment on an attachment's rules (shell- and nft-safe characters).
pub fn comment(owner: &Owner) -> String {
    names::marker(&owner.network, &owner.container_id, &owner.ifname)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ./_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn att_key(owner: &Owner) -> String {
    names::attachment_key(&owner.network, &owner.container_id, &owner.ifname)
}

/// Installs the masquerade rules of an attachment.
pub fn add(backend: MasqBackend, owner: &Owner, rules: &[MasqRule]) -> io::Result<()> {
    let _l = lock()?;
    let c = comment(owner);
    match backend {
        MasqBackend::Nftables => {
            let mut script = format!(
                "table inet {NFT_TABLE} {{\n  chain {NFT_CHAIN} {{\n    type nat hook postrouting priority srcnat; policy accept;\n  }}\n}}\n"
            );
            for r in rules {
                let (fam, mcast) = if r.src.is_ipv4() {
                    ("ip", "224.0.0.0/4")
                } else {
                    ("ip6", "ff00::/8")
                };
                script.push_str(&format!(
                    "add rule inet {NFT_TABLE} {NFT_CHAIN} {fam} saddr {} {fam} daddr != {} {fam} daddr != {mcast} counter masquerade comment \"{c}\"\n",
                    r.src, r.subnet
                ));
            }
            run_ok("nft", &["-f", "-"], Some(&script))?;
        }
        MasqBackend::Iptables => {
            let chain = names::masq_chain(&owner.network, &owner.container_id, &owner.ifname);
            for r in rules {
                let (t, mcast) = if r.src.is_ipv4() {
                    ("iptables", "224.0.0.0/4")
                } else {
                    ("ip6tables", "ff00::/8")
                };
                let out = run(t, &["-w", "-t", "nat", "-N", &chain], None)?;
                if !out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("exists")
                {
                    return Err(io::Error::other(format!(
                        "{t} -t nat -N {chain}: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    )));
                }
                ipt_append(
                    t,
                    &chain,
                    &["-d", &r.subnet.to_string(), "-j", "ACCEPT"],
                    &c,
                )?;
                ipt_append(t, &chain, &["!", "-d", mcast, "-j", "MASQUERADE"], &c)?;
                ipt_append(
                    t,
                    "POSTROUTING",
                    &["-s", &r.src.to_string(), "-j", &chain],
                    &c,
                )?;
            }
        }
    }
    Ok(())
}

/// Appends `rule` to `chain` of `t`'s nat table, with podnet's comment.
fn ipt_append(t: &str, chain: &str, rule: &[&str], comment: &str) -> io::Result<()> {
    let mut args = vec!["-w", "-t", "nat", "-A", chain];
    args.extend_from_slice(rule);
    args.extend_from_slice(&["-m", "comment", "--comment", comment]);
    run_ok(t, &args, None).map(drop)
}

/// An nft rule of podnet's chain: its handle and comment.
fn nft_rules() -> io::Result<Vec<(u64, String)>> {
    let out = run(
        "nft",
        &["-j", "list", "chain", "inet", NFT_TABLE, NFT_CHAIN],
        None,
    )?;
    if !out.status.success() {
        // no table or chain: no rules
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("nft -j: {e}")))?;
    Ok(v["nftables"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    let r = i.get("rule")?;
                    Some((
                        r.get("handle")?.as_u64()?,
                        r.get("comment")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// POSTROUTING rules (as argument lists after `-A POSTROUTING`) jumping to a `PODNET-` chain.
fn ipt_jumps(t: &str) -> io::Result<Vec<Vec<String>>> {
    if tool(t).is_none() {
        return Ok(Vec::new());
    }
    let out = run(t, &["-w", "-t", "nat", "-S", "POSTROUTING"], None)?;
    if !out.status.success() {
        return Ok(Vec::new());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(split_rule)
        .filter(|a| a.len() > 2 && a[0] == "-A" && a[1] == "POSTROUTING")
        .filter(|a| {
            a.windows(2)
                .any(|w| w[0] == "-j" && w[1].starts_with(names::MASQ_CHAIN_PREFIX))
        })
        .map(|a| a[2..].to_vec())
        .collect())
}

fn jump_target(args: &[String]) -> Option<&str> {
    args.windows(2)
        .find(|w| w[0] == "-j")
        .map(|w| w[1].as_str())
}

fn comment_of(args: &[String]) -> Option<&str> {
    args.windows(2)
        .find(|w| w[0] == "--comment")
        .map(|w| w[1].as_str())
}

/// Removes an attachment's rules from both backends; `Ok(true)` if any
/// were found. Idempotent.
pub fn remove(owner: &Owner) -> io::Result<bool> {
    remove_keys(&[att_key(owner)])
}

/// Removes the rules of every attachment key in `keys`.
pub fn remove_keys(keys: &[String]) -> io::Result<bool> {
    let _l = lock()?;
    let mut found = false;
    if tool("nft").is_some() {
        let rules = nft_rules()?;
        let doomed: Vec<u64> = rules
            .iter()
            .filter(|(_, c)| {
                names::parse_marker(c).is_some_and(|(_, a)| keys.iter().any(|k| k == a))
            })
            .map(|(h, _)| *h)
            .collect();
        if !doomed.is_empty() {
            found = true;
            let script: String = doomed
                .iter()
                .map(|h| format!("delete rule inet {NFT_TABLE} {NFT_CHAIN} handle {h}\n"))
                .collect();
            run_ok("nft", &["-f", "-"], Some(&script))?;
        }
        if rules.len() == doomed.len() {
            // no podnet rule is left: drop the (possibly absent) table too
            let _ = run("nft", &["delete", "table", "inet", NFT_TABLE], None);
        }
    }
    for t in ["iptables", "ip6tables"] {
        let jumps = ipt_jumps(t)?;
        let mut chains = Vec::new();
        for args in &jumps {
            let Some(chain) = jump_target(args) else {
                continue;
            };
            if !keys.iter().any(|k| chain == names::masq_chain_of_key(k)) {
                continue;
            }
            found = true;
            let mut del: Vec<&str> = vec!["-w", "-t", "nat", "-D", "POSTROUTING"];
            del.extend(args.iter().map(String::as_str));
            run_ok(t, &del, None)?;
            chains.push(chain.to_string());
        }
        for k in keys {
            let chain = names::masq_chain_of_key(k);
            // the chain may exist without a jump (a crash between the two)
            let flushed = run(t, &["-w", "-t", "nat", "-F", &chain], None)
                .map(|o| o.status.success())
                .unwrap_or(false);
            if flushed {
                found = true;
                let _ = run(t, &["-w", "-t", "nat", "-X", &chain], None);
            }
        }
    }
    Ok(found)
}

/// Whether an attachment's rules are installed (for CHECK).
pub fn present(backend: MasqBackend, owner: &Owner) -> io::Result<bool> {
    let key = att_key(owner);
    match backend {
        MasqBackend::Nftables => Ok(nft_rules()?
            .iter()
            .any(|(_, c)| names::parse_marker(c).is_some_and(|(_, a)| a == key))),
        MasqBackend::Iptables => {
            let chain = names::masq_chain_of_key(&key);
            let mut any = false;
            for t in ["iptables", "ip6tables"] {
                any |= ipt_jumps(t)?
                    .iter()
                    .any(|a| jump_target(a) == Some(chain.as_str()));
            }
            Ok(any)
        }
    }
}

/// Every podnet rule's `(network key, attachment key)`, both backends, with
/// the rule's comment.
pub fn all_keys() -> io::Result<Vec<(String, String, String)>> {
    let mut keys = Vec::new();
    if tool("nft").is_some() {
        for (_, c) in nft_rules()? {
            if let Some((n, a)) = names::parse_marker(&c) {
                keys.push((n.to_string(), a.to_string(), c.clone()));
            }
        }
    }
    for t in ["iptables", "ip6tables"] {
        for args in ipt_jumps(t)? {
            if let Some(c) = comment_of(&args)
                && let Some((n, a)) = names::parse_marker(c)
            {
                keys.push((n.to_string(), a.to_string(), c.to_string()));
            }
        }
    }
    keys.sort();
    keys.dedup_by(|x, y| x.1 == y.1);
    Ok(keys)
}

/// The attachment keys with rules for network `network` (both backends).
pub fn attachments_of_network(network: &str) -> io::Result<Vec<String>> {
    let net = names::network_key(network);
    Ok(all_keys()?
        .into_iter()
        .filter(|(n, _, _)| *n == net)
        .map(|(_, a, _)| a)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_iptables_save_lines() {
        let a = split_rule(
            r#"-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "podnet 1234abcd 0123456789abcdef net1/abc/eth0" -j PODNET-0123456789abcdef"#,
        );
        assert_eq!(a[4], "-m");
        assert_eq!(
            comment_of(&a),
            Some("podnet 1234abcd 0123456789abcdef net1/abc/eth0")
        );
        assert_eq!(jump_target(&a), Some("PODNET-0123456789abcdef"));
        assert_eq!(split_rule(r#"a "b \" c" d"#), vec!["a", "b \" c", "d"]);
    }

    #[test]
    fn comments_are_safe() {
        let o = Owner {
            network: "net1".into(),
            container_id: "abc".into(),
            ifname: "e\"th0".into(),
        };
        assert!(!comment(&o).contains('"'));
        assert!(names::parse_marker(&comment(&o)).is_some());
    }
}
