//! flannel's `/run/flannel/subnet.env`: the cluster's pod network
//! (`FLANNEL_NETWORK`) and this node's subnet (`FLANNEL_SUBNET`). Pure.

use ipnet::IpNet;

/// What subnet.env says; a value that does not parse is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlannelEnv {
    pub network: Option<IpNet>,
    pub subnet: Option<IpNet>,
}

/// Parses `KEY=VALUE` lines (blank lines, comments and other keys ignored).
pub fn parse(text: &str) -> FlannelEnv {
    let mut env = FlannelEnv::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        let net = value.parse::<IpNet>().ok().map(|n| n.trunc());
        match key.trim() {
            "FLANNEL_NETWORK" => env.network = net,
            "FLANNEL_SUBNET" => env.subnet = net,
            _ => {}
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_and_subnet_are_read_and_garbage_is_left_out() {
        let env = parse(
            "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n",
        );
        assert_eq!(env.network, Some("10.244.0.0/16".parse().unwrap()));
        assert_eq!(env.subnet, Some("10.244.1.0/24".parse().unwrap()));
        let bad = parse("FLANNEL_NETWORK=ten\n\u{0}\nFLANNEL_SUBNET\n");
        assert_eq!(bad, FlannelEnv::default());
    }
}
