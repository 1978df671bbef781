//! The pod-to-pod reachability matrix: its JSON shape, and the analysis
//! that turns failed pairs into findings a person reads (a pod cut off,
//! two nodes that cannot talk, big packets lost from one pod). No I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analyze::words::plural;

/// One pod of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodRef {
    /// `namespace/name`.
    pub pod: String,
    pub node: String,
    pub ip: String,
}

/// One probe of one pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub ok: bool,
    /// Bytes of the IP packet sent.
    pub size: usize,
    /// Don't-fragment bit set.
    pub df: bool,
    /// Round-trip time of the best reply, in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Why it failed (timeout, unreachable, message too long…).
    pub error: Option<String>,
}

/// Both probes of one ordered pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub from: String,
    pub to: String,
    pub from_node: String,
    pub to_node: String,
    /// An ordinary ping (56 data bytes).
    pub small: Cell,
    /// A don't-fragment ping as big as the source's eth0 MTU.
    pub big: Cell,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    pub pods: Vec<PodRef>,
    /// Every ordered pair was probed (else every pod with the first pod of each node).
    pub full: bool,
    pub pairs: Vec<Pair>,
    /// Every pair passed both probes.
    pub ok: bool,
    pub failed_small: usize,
    pub failed_big: usize,
    pub findings: Vec<String>,
    pub elapsed_ms: f64,
}

impl Matrix {
    pub fn new(pods: Vec<PodRef>, pairs: Vec<Pair>, full: bool, elapsed_ms: f64) -> Matrix {
        let failed_small = pairs.iter().filter(|p| !p.small.ok).count();
        let failed_big = pairs.iter().filter(|p| !p.big.ok).count();
        let findings = findings(&pods, &pairs);
        Matrix {
            ok: failed_small == 0 && failed_big == 0,
            full,
            pods,
            pairs,
            failed_small,
            failed_big,
            findings,
            elapsed_ms,
        }
    }

    pub fn pair(&self, from: &str, to: &str) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.from == from && p.to == to)
    }
}

/// Which ordered pairs to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairPlan {
    /// Every ordered pair (else: every pod with the first pod of each node, both ways).
    pub full: bool,
    /// `(from, to)` indexes into the pod list.
    pub pairs: Vec<(usize, usize)>,
}

/// The IPv4 neighbour entries a full mesh needs, roughly: in bridge mode a
/// pod resolves every pod of its node and its gateway, and each node every
/// pod of its own; in ptp mode a node resolves its pods and pods resolve
/// nothing (their gateway entry is permanent).
pub fn full_mesh_neighbours(pods: &[PodRef], bridged: bool) -> usize {
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for p in pods {
        *per_node.entry(p.node.as_str()).or_default() += 1;
    }
    let node_side = pods.len();
    if bridged {
        per_node.values().map(|n| n * n).sum::<usize>() + node_side
    } else {
        node_side
    }
}

/// The pairs to probe. The kernel's neighbour table is one for the whole
/// machine (`gc_thresh3`, 1024 by default, across every namespace), so a
/// full mesh whose entries would exceed `budget` is replaced by a sample
/// that still shows every fault the lab injects: every pod to and from
/// the first pod of each node.
pub fn plan_pairs(pods: &[PodRef], bridged: bool, budget: usize) -> PairPlan {
    let n = pods.len();
    if full_mesh_neighbours(pods, bridged) <= budget {
        let pairs = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .collect();
        return PairPlan { full: true, pairs };
    }
    let mut reps: Vec<usize> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (i, p) in pods.iter().enumerate() {
        if seen.insert(p.node.as_str()) {
            reps.push(i);
        }
    }
    let mut set: BTreeSet<(usize, usize)> = BTreeSet::new();
    for &r in &reps {
        for i in 0..n {
            if i != r {
                set.insert((i, r));
                set.insert((r, i));
            }
        }
    }
    PairPlan {
        full: false,
        pairs: set.into_iter().collect(),
    }
}

/// One character per cell of a grid: `.` ok, `X` small fails, `m` only
/// the big DF probe fails, ` ` on the diagonal.
pub fn symbol(p: Option<&Pair>) -> char {
    match p {
        None => ' ',
        Some(p) if !p.small.ok => 'X',
        Some(p) if !p.big.ok => 'm',
        Some(_) => '.',
    }
}

/// What the failures say, most telling first.
pub fn findings(pods: &[PodRef], pairs: &[Pair]) -> Vec<String> {
    let mut out = Vec::new();
    if pairs.is_empty() {
        return out;
    }
    let isolated = isolated_pods(pods, pairs);
    isolation_findings(pods, &isolated, &mut out);
    node_pair_findings(pairs, &isolated, &mut out);
    let big_only = big_only_findings(pairs, &mut out);
    let failed = pairs.iter().filter(|p| !p.small.ok).count();
    if failed == 0 && big_only == 0 {
        out.push(format!(
            "all {} reachable, big don't-fragment packets included",
            plural(pairs.len(), "pod pair", "pod pairs")
        ));
    }
    out
}

/// Pods cut off: every pair that involves them fails, in both directions
/// (only said of a lab with more than two pods).
fn isolated_pods<'a>(pods: &'a [PodRef], pairs: &[Pair]) -> BTreeSet<&'a str> {
    let mut isolated: BTreeSet<&str> = BTreeSet::new();
    for pod in pods {
        let involved: Vec<&Pair> = pairs
            .iter()
            .filter(|p| p.from == pod.pod || p.to == pod.pod)
            .collect();
        if !involved.is_empty() && involved.iter().all(|p| !p.small.ok) && pods.len() > 2 {
            isolated.insert(pod.pod.as_str());
        }
    }
    isolated
}

/// The cut-off pods: a node whose pods are all cut off is one finding,
/// not one per pod.
fn isolation_findings(pods: &[PodRef], isolated: &BTreeSet<&str>, out: &mut Vec<String>) {
    let mut by_node: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for pod in pods {
        let e = by_node.entry(pod.node.as_str()).or_default();
        e.1 += 1;
        if isolated.contains(pod.pod.as_str()) {
            e.0 += 1;
        }
    }
    let all_cut = |node: &str| {
        by_node
            .get(node)
            .is_some_and(|(cut, total)| *total >= 2 && cut == total)
    };
    for node in by_node.keys().filter(|n| all_cut(n)) {
        out.push(format!(
            "every pod on {node} is cut off, even from the pods beside it: something on {node} drops what it forwards"
        ));
    }
    for pod in pods.iter().filter(|p| isolated.contains(p.pod.as_str())) {
        if all_cut(pod.node.as_str()) {
            continue;
        }
        out.push(format!(
            "{} is cut off: it reaches no pod and no pod reaches it (its veth? its eth0?)",
            pod.pod
        ));
    }
}

/// The failures not explained by a cut-off pod, by node pair.
fn node_pair_findings(pairs: &[Pair], isolated: &BTreeSet<&str>, out: &mut Vec<String>) {
    let mut groups: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for p in pairs {
        if isolated.contains(p.from.as_str()) || isolated.contains(p.to.as_str()) {
            continue;
        }
        let key = if p.from_node <= p.to_node {
            (p.from_node.clone(), p.to_node.clone())
        } else {
            (p.to_node.clone(), p.from_node.clone())
        };
        let g = groups.entry(key).or_default();
        g.1 += 1;
        if !p.small.ok {
            g.0 += 1;
        }
    }
    for ((a, b), (bad, total)) in &groups {
        if *bad == 0 {
            continue;
        }
        let what = if a == b {
            format!("within {a}")
        } else {
            format!("{a} <-> {b}")
        };
        if bad == total {
            out.push(format!(
                "{what}: all {} fail",
                plural(*total, "pod pair", "pod pairs")
            ));
        } else {
            out.push(format!("{what}: {bad} of {total} pod pairs fail"));
        }
    }
}

/// Pairs that lose only the big DF packets: by source pod when all of a
/// source's do, then the rest. Returns how many pairs lose only those.
fn big_only_findings(pairs: &[Pair], out: &mut Vec<String>) -> usize {
    let big_only = pairs.iter().filter(|p| p.small.ok && !p.big.ok).count();
    let mut by_source: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in pairs.iter().filter(|p| p.small.ok) {
        let e = by_source.entry(p.from.as_str()).or_default();
        e.1 += 1;
        if !p.big.ok {
            e.0 += 1;
        }
    }
    let mut explained = 0;
    for (src, (bad, total)) in &by_source {
        if *bad > 0 && bad == total {
            explained += bad;
            out.push(format!(
                "big don't-fragment packets from {src} are lost while small ones pass: its MTU is above what its path carries"
            ));
        }
    }
    if big_only > explained {
        out.push(format!(
            "{} lose big don't-fragment packets while small ones pass (an MTU mismatch on the path)",
            plural(big_only - explained, "more pair", "more pairs")
        ));
    }
    big_only
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(ok: bool) -> Cell {
        Cell {
            ok,
            size: 84,
            df: false,
            rtt_ms: ok.then_some(0.1),
            error: (!ok).then(|| "timeout".into()),
        }
    }

    /// 2 nodes × 2 pods; `bad(from, to) -> (small ok, big ok)`.
    fn lab(bad: impl Fn(&str, &str) -> (bool, bool)) -> (Vec<PodRef>, Vec<Pair>) {
        let pods: Vec<PodRef> = ["1-1", "1-2", "2-1", "2-2"]
            .iter()
            .map(|s| PodRef {
                pod: format!("default/web-{s}"),
                node: format!("node{}", &s[..1]),
                ip: String::new(),
            })
            .collect();
        let mut pairs = Vec::new();
        for a in &pods {
            for b in &pods {
                if a.pod != b.pod {
                    let (s, g) = bad(&a.pod, &b.pod);
                    pairs.push(Pair {
                        from: a.pod.clone(),
                        to: b.pod.clone(),
                        from_node: a.node.clone(),
                        to_node: b.node.clone(),
                        small: cell(s),
                        big: cell(s && g),
                    });
                }
            }
        }
        (pods, pairs)
    }

    #[test]
    fn a_healthy_matrix_says_so() {
        let (pods, pairs) = lab(|_, _| (true, true));
        let m = Matrix::new(pods, pairs, true, 1.0);
        assert!(m.ok);
        assert_eq!(
            m.findings,
            vec!["all 12 pod pairs reachable, big don't-fragment packets included"]
        );
    }

    #[test]
    fn node_pairs_and_cut_off_pods_are_named() {
        let (pods, pairs) = lab(|a, b| (a[12..13] == b[12..13], true));
        let m = Matrix::new(pods, pairs, true, 1.0);
        assert_eq!(m.failed_small, 8);
        assert_eq!(m.findings, vec!["node1 <-> node2: all 8 pod pairs fail"]);
        let (pods, pairs) = lab(|a, b| (a != "default/web-2-2" && b != "default/web-2-2", true));
        let f = findings(&pods, &pairs);
        assert_eq!(f.len(), 1);
        assert!(f[0].starts_with("default/web-2-2 is cut off"), "{f:?}");
    }

    #[test]
    fn big_only_losses_point_at_the_mtu_of_their_source() {
        let (pods, pairs) = lab(|a, _| (true, a != "default/web-1-2"));
        let m = Matrix::new(pods, pairs, true, 1.0);
        assert!(!m.ok);
        assert_eq!(m.failed_small, 0);
        assert_eq!(m.failed_big, 3);
        assert_eq!(m.findings.len(), 1);
        assert!(m.findings[0].contains("from default/web-1-2"));
        assert_eq!(symbol(m.pair("default/web-1-2", "default/web-2-1")), 'm');
        assert_eq!(symbol(m.pair("default/web-2-1", "default/web-1-2")), '.');
        assert_eq!(symbol(None), ' ');
    }

    #[test]
    fn a_node_whose_pods_are_all_cut_off_is_one_finding() {
        let (pods, pairs) = lab(|a, b| (!a.contains("web-2") && !b.contains("web-2"), true));
        assert_eq!(
            findings(&pods, &pairs),
            vec![
                "every pod on node2 is cut off, even from the pods beside it: something on node2 drops what it forwards"
            ]
        );
    }

    #[test]
    fn partial_failures_are_counted() {
        let (pods, pairs) = lab(|a, b| (!(a == "default/web-1-1" && b == "default/web-2-1"), true));
        let f = findings(&pods, &pairs);
        assert_eq!(f, vec!["node1 <-> node2: 1 of 8 pod pairs fail"]);
    }

    #[test]
    fn big_bridged_labs_get_a_sampled_matrix() {
        let pods: Vec<PodRef> = (0..100)
            .map(|i| PodRef {
                pod: format!("p{i}"),
                node: format!("node{}", i / 50 + 1),
                ip: String::new(),
            })
            .collect();
        assert_eq!(full_mesh_neighbours(&pods, true), 2 * 2500 + 100);
        assert_eq!(full_mesh_neighbours(&pods, false), 100);
        let p = plan_pairs(&pods, true, 256);
        assert!(!p.full);
        // every pod with both representatives, both ways, minus the reps themselves
        assert_eq!(p.pairs.len(), 2 * (2 * 99) - 2);
        assert!(p.pairs.contains(&(37, 0)) && p.pairs.contains(&(50, 37)));
        assert!(!p.pairs.contains(&(37, 38)));
        let small = &pods[..12];
        let q = plan_pairs(small, true, 256);
        assert!(q.full);
        assert_eq!(q.pairs.len(), 12 * 11);
        assert!(plan_pairs(&pods, false, 256).full);
    }
}
