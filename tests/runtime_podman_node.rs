//! Privileged tests against real podman 4 pods (Debian's podman, runc,
//! conmon, catatonit), run inside the private node: podnet must name every
//! pod from its infra container's bundle, find its infra PID and pair its
//! veth, as `podman inspect` and `ip -j` report them — with the netavark
//! backend (no CNI cache: the bundle is the only file that names the pod)
//! and with the CNI backend (the bundle and libcni's cache must agree).

mod common;

use common::node::unique_prefix;
use common::podman::{NetworkBackend, Podman, PodmanPod};
use common::sandbox_oracle::{Sandbox, assert_no_pods_left, assert_podnet_sees, pod_addresses};

/// Where podman keeps a container's config.json (the storage root; its
/// pidfile is in the run root, /run/containers/storage/…).
const STORAGE: &str = "/var/lib/containers/storage/overlay-containers";

fn expected(p: &PodmanPod) -> Sandbox {
    Sandbox {
        reference: p.name.clone(),
        namespace: None,
        name: p.name.clone(),
        uid: None,
        sandbox_id: p.infra_id.clone(),
        runtime: "podman",
        bundle_config: format!("{STORAGE}/{}/userdata/config.json", p.infra_id),
        pause_pid: p.infra_pid,
        other_pids: vec![p.app_pid],
        netns_path: p.netns_path.clone(),
        ips: p.ips.clone(),
    }
}

fn podman_pods_are_named_and_paired(backend: NetworkBackend) {
    let podman = Podman::new(backend);
    podman.import_app_image();
    let prefix = unique_prefix();
    let names = [format!("{prefix}web"), format!("{prefix}db")];
    let pods: Vec<PodmanPod> = names.iter().map(|n| podman.pod_with_app(n)).collect();
    for p in &pods {
        // the ground truth agrees with itself: podman's address is on eth0
        assert_eq!(pod_addresses(&p.netns_path), p.ips, "{p:?}");
        // and the two stores are really split, as on a real node
        assert!(
            std::path::Path::new(&format!("{STORAGE}/{}/userdata/config.json", p.infra_id))
                .exists()
        );
        assert!(
            std::path::Path::new(&format!(
                "/run/containers/storage/overlay-containers/{}/userdata/pidfile",
                p.infra_id
            ))
            .exists()
        );
    }
    let sandboxes: Vec<Sandbox> = pods.iter().map(expected).collect();
    assert_podnet_sees(&sandboxes);
    for n in &names {
        podman.remove_pod(n);
    }
    assert_no_pods_left();
}

node_test! {
    /// With netavark nothing but the infra container's config.json (in the
    /// storage root) and its pidfile (in the run root) names the pod.
    fn podman_netavark_pods_are_named_by_their_infra_bundle() {
        podman_pods_are_named_and_paired(NetworkBackend::Netavark);
    }
}

node_test! {
    /// With the CNI backend libcni's cache names the pod too; both agree.
    fn podman_cni_pods_are_named_by_their_infra_bundle_and_the_cni_cache() {
        podman_pods_are_named_and_paired(NetworkBackend::Cni);
    }
}
