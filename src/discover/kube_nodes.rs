//! The pod CIDRs the Kubernetes API assigns to each node
//! (`spec.podCIDRs`, else `spec.podCIDR`). Pure.

use ipnet::IpNet;
use k8s_openapi::api::core::v1::Node;

/// One node's name and pod CIDRs; unparsable CIDRs are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeCidrs {
    pub name: String,
    pub pod_cidrs: Vec<IpNet>,
}

/// Every node with at least one pod CIDR.
pub fn pod_cidrs(nodes: &[Node]) -> Vec<NodeCidrs> {
    nodes
        .iter()
        .filter_map(|n| {
            let name = n.metadata.name.clone()?;
            let spec = n.spec.as_ref()?;
            let texts: Vec<&String> = match &spec.pod_cidrs {
                Some(list) if !list.is_empty() => list.iter().collect(),
                _ => spec.pod_cidr.iter().collect(),
            };
            let pod_cidrs: Vec<IpNet> = texts
                .into_iter()
                .filter_map(|t| t.trim().parse::<IpNet>().ok())
                .map(|c| c.trunc())
                .collect();
            (!pod_cidrs.is_empty()).then_some(NodeCidrs { name, pod_cidrs })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(v: serde_json::Value) -> Node {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn pod_cidrs_prefers_the_list_and_skips_garbage() {
        let nodes = vec![
            node(serde_json::json!({"metadata": {"name": "n1"},
                "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24", "fd00:10:244::/64"]}})),
            node(
                serde_json::json!({"metadata": {"name": "n2"}, "spec": {"podCIDR": "10.244.1.7/24"}}),
            ),
            node(
                serde_json::json!({"metadata": {"name": "n3"}, "spec": {"podCIDR": "not a cidr"}}),
            ),
            node(serde_json::json!({"metadata": {"name": "n4"}, "spec": {}})),
        ];
        let got = pod_cidrs(&nodes);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "n1");
        assert_eq!(got[0].pod_cidrs.len(), 2);
        assert_eq!(
            got[1].pod_cidrs,
            vec!["10.244.1.0/24".parse::<IpNet>().unwrap()]
        );
    }
}
