//! Small config-file readers: a kernel build option from /proc/config.gz's
//! text, and path lists from containerd / CRI-O TOML files. No I/O.

/// The value of `CONFIG_X` (`y`, `m`, or a string), `None` when unset.
pub fn value(config: &str, option: &str) -> Option<String> {
    config.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == option).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Paths assigned to `key` anywhere in a TOML file (`bin_dir = "/opt/cni/bin"`,
/// `plugin_dirs = ["/opt/cni/bin", "/usr/libexec/cni"]`); a light reader, not a TOML parser.
pub fn toml_paths(text: &str, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_array = false;
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let value = if in_array {
            line
        } else {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            if k.trim() != key {
                continue;
            }
            in_array = v.trim_start().starts_with('[');
            v
        };
        for part in value.split(['[', ']', ',']) {
            let p = part.trim().trim_matches('"').trim_matches('\'');
            if p.starts_with('/') {
                out.push(p.to_string());
            }
        }
        if value.contains(']') {
            in_array = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_options() {
        let c = "# comment\nCONFIG_VXLAN=y\nCONFIG_GENEVE=m\n# CONFIG_NET_IPIP is not set\nCONFIG_LOCALVERSION=\"-fc\"\n";
        assert_eq!(value(c, "CONFIG_VXLAN").as_deref(), Some("y"));
        assert_eq!(value(c, "CONFIG_GENEVE").as_deref(), Some("m"));
        assert_eq!(value(c, "CONFIG_NET_IPIP"), None);
        assert_eq!(value(c, "CONFIG_LOCALVERSION").as_deref(), Some("-fc"));
    }

    #[test]
    fn runtime_cni_dirs() {
        let containerd = "[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/opt/cni/bin\"\n  conf_dir = \"/etc/cni/net.d\"\n";
        assert_eq!(toml_paths(containerd, "bin_dir"), vec!["/opt/cni/bin"]);
        let crio = "[crio.network]\nplugin_dirs = [\n\"/opt/cni/bin/\", \"/usr/libexec/cni/\" ]\n# plugin_dirs = [\"/nope\"]\n";
        assert_eq!(
            toml_paths(crio, "plugin_dirs"),
            vec!["/opt/cni/bin/", "/usr/libexec/cni/"]
        );
    }
}
