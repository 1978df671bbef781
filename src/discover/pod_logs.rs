//! Parses kubelet's `/var/log/pods/<namespace>_<name>_<uid>` directory names. No I/O.

use crate::model::{Claim, ClaimKey, SourceKind};

/// A pod named by its log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLogDir {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// Parses one directory name; `None` when it is not `<ns>_<name>_<uid>`.
/// Namespaces and pod names are DNS labels/subdomains, so they hold no `_`.
pub fn parse(dir_name: &str) -> Option<PodLogDir> {
    let mut parts = dir_name.split('_');
    let (namespace, name, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || namespace.is_empty() || name.is_empty() {
        return None;
    }
    crate::discover::cgroup::is_uid(uid).then(|| PodLogDir {
        namespace: namespace.to_string(),
        name: name.to_string(),
        uid: uid.to_string(),
    })
}

impl PodLogDir {
    /// The claim, keyed by pod UID; `root` is the log directory's parent.
    pub fn to_claim(&self, root: &str) -> Claim {
        let mut c = Claim::new(
            SourceKind::PodLogs,
            format!("{root}/{}_{}_{}", self.namespace, self.name, self.uid),
        );
        c.keys.push(ClaimKey::PodUid(self.uid.clone()));
        c.namespace = Some(self.namespace.clone());
        c.name = Some(self.name.clone());
        c.uid = Some(self.uid.clone());
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubelet_log_dirs() {
        let d = parse("kube-system_coredns-5d78c9869d-x2x4z_6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b")
            .unwrap();
        assert_eq!(d.namespace, "kube-system");
        assert_eq!(d.name, "coredns-5d78c9869d-x2x4z");
        assert_eq!(d.uid, "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b");
        let c = d.to_claim("/var/log/pods");
        assert_eq!(c.keys, vec![ClaimKey::PodUid(d.uid.clone())]);
    }

    #[test]
    fn rejects_other_names() {
        for bad in [
            "",
            "default_web",
            "default_web_notauid",
            "a_b_c_6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b",
            "_web_6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b",
            "README",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
