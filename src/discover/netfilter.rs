//! Parses firewall state into chains and rules podnet can evaluate:
//! `nft -j list ruleset` (nftables, which also holds iptables-nft's rules)
//! and `iptables-save` output (the legacy backend, invisible to nft). No I/O.

use serde_json::Value;

use crate::model::doctor::{FwChain, FwField, FwMatch, FwRule, FwVerdict};

/// Every chain of an `nft -j list ruleset` document.
pub fn nft_chains(json: &str) -> Result<Vec<FwChain>, String> {
    let v: Value =
        serde_json::from_str(json).map_err(|e| format!("nft output is not JSON: {e}"))?;
    let items = v["nftables"]
        .as_array()
        .ok_or("nft output has no \"nftables\" array")?;
    let mut chains: Vec<FwChain> = Vec::new();
    for item in items {
        if let Some(c) = item.get("chain") {
            chains.push(FwChain {
                backend: "nft".into(),
                family: str_of(&c["family"]),
                table: str_of(&c["table"]),
                name: str_of(&c["name"]),
                hook: c["hook"].as_str().map(String::from),
                policy: c["policy"].as_str().map(String::from),
                rules: Vec::new(),
            });
        } else if let Some(r) = item.get("rule") {
            let (family, table, chain) = (
                str_of(&r["family"]),
                str_of(&r["table"]),
                str_of(&r["chain"]),
            );
            let rule = nft_rule(r["expr"].as_array().map(Vec::as_slice).unwrap_or(&[]));
            if let Some(c) = chains
                .iter_mut()
                .find(|c| c.family == family && c.table == table && c.name == chain)
            {
                c.rules.push(rule);
            }
        }
    }
    Ok(chains)
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn nft_rule(exprs: &[Value]) -> FwRule {
    let mut matches = Vec::new();
    let mut verdict = FwVerdict::Continue;
    let mut text = Vec::new();
    for e in exprs {
        let Some((key, body)) = e.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        match key.as_str() {
            "match" => {
                let m = nft_match(body);
                text.push(m.1);
                matches.push(m.0);
            }
            "accept" => verdict = FwVerdict::Accept,
            "drop" => verdict = FwVerdict::Drop,
            "reject" => verdict = FwVerdict::Reject,
            "return" => verdict = FwVerdict::Return,
            "jump" => verdict = FwVerdict::Jump(str_of(&body["target"])),
            "goto" => verdict = FwVerdict::Goto(str_of(&body["target"])),
            "counter" | "log" | "comment" => {}
            other => {
                matches.push(FwMatch {
                    field: FwField::Other(other.into()),
                    negate: false,
                    values: vec![],
                });
                text.push(other.to_string());
            }
        }
    }
    text.push(verdict_text(&verdict));
    FwRule {
        text: text.join(" "),
        matches,
        verdict,
    }
}

fn verdict_text(v: &FwVerdict) -> String {
    match v {
        FwVerdict::Accept => "accept".into(),
        FwVerdict::Drop => "drop".into(),
        FwVerdict::Reject => "reject".into(),
        FwVerdict::Return => "return".into(),
        FwVerdict::Jump(t) => format!("jump {t}"),
        FwVerdict::Goto(t) => format!("goto {t}"),
        FwVerdict::Continue => "continue".into(),
    }
}

/// One nft `match` expression: the field it tests (when podnet understands
/// it) and its text.
fn nft_match(m: &Value) -> (FwMatch, String) {
    let op = m["op"].as_str().unwrap_or("==");
    let left = &m["left"];
    let right = &m["right"];
    let field = if let Some(p) = left.get("payload") {
        match (p["protocol"].as_str(), p["field"].as_str()) {
            (Some("ip") | Some("ip6"), Some("saddr")) => Some(FwField::Saddr),
            (Some("ip") | Some("ip6"), Some("daddr")) => Some(FwField::Daddr),
            _ => None,
        }
    } else if let Some(meta) = left.get("meta") {
        match meta["key"].as_str() {
            Some("iifname") => Some(FwField::Iif),
            Some("oifname") => Some(FwField::Oif),
            _ => None,
        }
    } else {
        None
    };
    let values = nft_values(right);
    let left_text = match left.as_object().and_then(|o| o.iter().next()) {
        Some((k, v)) if k == "payload" => {
            format!("{} {}", str_of(&v["protocol"]), str_of(&v["field"]))
        }
        Some((k, v)) if k == "meta" || k == "ct" => {
            format!("{} {}", k, str_of(&v["key"])).replace("meta ", "")
        }
        _ => left.to_string(),
    };
    let right_text = values
        .clone()
        .unwrap_or_else(|| vec![right.to_string()])
        .join(",");
    let text = format!("{left_text} {op} {right_text}");
    let negate = op == "!=";
    match (field, values) {
        (Some(field), Some(values)) if op == "==" || op == "!=" || op == "in" => (
            FwMatch {
                field,
                negate,
                values,
            },
            text,
        ),
        _ => (
            FwMatch {
                field: FwField::Other(text.clone()),
                negate: false,
                values: vec![],
            },
            text,
        ),
    }
}

/// Addresses, prefixes or names on the right of a match; `None` for shapes podnet does not read.
fn nft_values(right: &Value) -> Option<Vec<String>> {
    match right {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Object(o) => {
            if let Some(p) = o.get("prefix") {
                Some(vec![format!(
                    "{}/{}",
                    p["addr"].as_str()?,
                    p["len"].as_u64()?
                )])
            } else if let Some(set) = o.get("set").and_then(Value::as_array) {
                set.iter()
                    .map(|x| nft_values(x).and_then(|v| v.into_iter().next()))
                    .collect()
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Every chain of the filter table in `iptables-save` output.
pub fn iptables_save_chains(text: &str, backend: &str) -> Vec<FwChain> {
    let mut chains: Vec<FwChain> = Vec::new();
    let mut table = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(t) = line.strip_prefix('*') {
            table = t.to_string();
        } else if let Some(decl) = line.strip_prefix(':') {
            let mut parts = decl.split_whitespace();
            let name = parts.next().unwrap_or_default().to_string();
            let policy = parts
                .next()
                .filter(|p| *p != "-")
                .map(|p| p.to_ascii_lowercase());
            let hook = match name.as_str() {
                "INPUT" | "FORWARD" | "OUTPUT" | "PREROUTING" | "POSTROUTING" => {
                    Some(name.to_ascii_lowercase())
                }
                _ => None,
            };
            chains.push(FwChain {
                backend: backend.into(),
                family: "ip".into(),
                table: table.clone(),
                name,
                hook,
                policy,
                rules: vec![],
            });
        } else if let Some(rule) = line.strip_prefix("-A ") {
            let mut words = rule.split_whitespace();
            let chain = words.next().unwrap_or_default();
            let words: Vec<&str> = words.collect();
            let parsed = iptables_rule(&words, rule);
            if let Some(c) = chains
                .iter_mut()
                .find(|c| c.table == table && c.name == chain)
            {
                c.rules.push(parsed);
            }
        }
    }
    chains
}

fn iptables_rule(words: &[&str], text: &str) -> FwRule {
    let mut matches = Vec::new();
    let mut verdict = FwVerdict::Continue;
    let mut negate = false;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let arg = words.get(i + 1).map(|s| s.to_string()).unwrap_or_default();
        let field = match w {
            "!" => {
                negate = true;
                i += 1;
                continue;
            }
            "-s" | "--source" => Some(FwField::Saddr),
            "-d" | "--destination" => Some(FwField::Daddr),
            "-i" | "--in-interface" => Some(FwField::Iif),
            "-o" | "--out-interface" => Some(FwField::Oif),
            "-j" | "--jump" | "-g" | "--goto" => {
                verdict = match arg.as_str() {
                    "ACCEPT" => FwVerdict::Accept,
                    "DROP" => FwVerdict::Drop,
                    "REJECT" => FwVerdict::Reject,
                    "RETURN" => FwVerdict::Return,
                    "LOG" | "MARK" | "CONNMARK" | "NFLOG" => FwVerdict::Continue,
                    t if w == "-g" || w == "--goto" => FwVerdict::Goto(t.to_string()),
                    t => FwVerdict::Jump(t.to_string()),
                };
                i += 2;
                // target options (--reject-with …) follow; they do not change the verdict
                while i < words.len() && words[i].starts_with("--") {
                    i += 2;
                }
                continue;
            }
            "-m" => {
                i += 2; // the module name; its options are read as other conditions
                continue;
            }
            _ => None,
        };
        match field {
            Some(f) => {
                matches.push(FwMatch {
                    field: f,
                    negate,
                    values: arg.split(',').map(String::from).collect(),
                });
                i += 2;
            }
            None => {
                // an option podnet does not evaluate, with its value if it has one
                let mut cond = w.to_string();
                if let Some(v) = words
                    .get(i + 1)
                    .filter(|v| !v.starts_with('-') && **v != "!")
                {
                    cond = format!("{cond} {v}");
                    i += 1;
                }
                matches.push(FwMatch {
                    field: FwField::Other(cond),
                    negate,
                    values: vec![],
                });
                i += 1;
            }
        }
        negate = false;
    }
    FwRule {
        text: text.to_string(),
        matches,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NFT: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "ip", "name": "filter", "handle": 1}}, {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}}, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": {"prefix": {"addr": "10.244.0.0", "len": 16}}}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 3, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "cni0"}}, {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "cni0"}}, {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}}, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 4, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}, {"table": {"family": "inet", "name": "t", "handle": 2}}, {"chain": {"family": "inet", "table": "t", "name": "fw", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}}, {"rule": {"family": "inet", "table": "t", "chain": "fw", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "10.244.2.0", "len": 24}}}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}, {"rule": {"family": "inet", "table": "t", "chain": "fw", "handle": 3, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "cali*"}}, {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": "established"}}, {"jump": {"target": "pods"}}]}}]}"#;

    #[test]
    fn nft_ruleset() {
        let chains = nft_chains(NFT).unwrap();
        assert_eq!(chains.len(), 2);
        let fwd = &chains[0];
        assert_eq!(
            (
                fwd.label().as_str(),
                fwd.hook.as_deref(),
                fwd.policy.as_deref()
            ),
            ("nft ip filter FORWARD", Some("forward"), Some("drop"))
        );
        assert_eq!(fwd.rules.len(), 3);
        assert_eq!(
            fwd.rules[0].matches,
            vec![FwMatch {
                field: FwField::Saddr,
                negate: false,
                values: vec!["10.244.0.0/16".into()]
            }]
        );
        assert_eq!(fwd.rules[0].verdict, FwVerdict::Accept);
        assert_eq!(fwd.rules[0].text, "ip saddr == 10.244.0.0/16 accept");
        assert!(matches!(fwd.rules[2].matches[0].field, FwField::Other(_)));
        assert_eq!(fwd.rules[2].verdict, FwVerdict::Drop);
        let t = &chains[1];
        assert_eq!(t.rules[1].verdict, FwVerdict::Jump("pods".into()));
        assert_eq!(t.rules[1].matches[0].values, vec!["cali*"]);
        assert!(nft_chains("not json").is_err());
        assert!(nft_chains("{}").is_err());
    }

    #[test]
    fn legacy_iptables_save() {
        let text = "# Generated\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [3:180]\n:OUTPUT ACCEPT [0:0]\n:KUBE-FORWARD - [0:0]\n-A FORWARD -j KUBE-FORWARD\n-A FORWARD ! -s 10.244.0.0/16 -o cni0 -j ACCEPT\n-A FORWARD -p tcp -m tcp --dport 22 -j REJECT --reject-with icmp-port-unreachable\n-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n";
        let chains = iptables_save_chains(text, "iptables-legacy");
        let fwd = chains.iter().find(|c| c.name == "FORWARD").unwrap();
        assert_eq!(
            (fwd.policy.as_deref(), fwd.hook.as_deref()),
            (Some("drop"), Some("forward"))
        );
        assert_eq!(fwd.rules[0].verdict, FwVerdict::Jump("KUBE-FORWARD".into()));
        assert_eq!(
            fwd.rules[1].matches[0],
            FwMatch {
                field: FwField::Saddr,
                negate: true,
                values: vec!["10.244.0.0/16".into()]
            }
        );
        assert_eq!(fwd.rules[1].matches[1].field, FwField::Oif);
        assert_eq!(fwd.rules[2].verdict, FwVerdict::Reject);
        assert!(
            fwd.rules[2]
                .matches
                .iter()
                .all(|m| matches!(m.field, FwField::Other(_)))
        );
        let kf = chains.iter().find(|c| c.name == "KUBE-FORWARD").unwrap();
        assert_eq!((kf.hook.clone(), kf.policy.clone()), (None, None));
        assert_eq!(kf.rules[0].verdict, FwVerdict::Drop);
    }
}
