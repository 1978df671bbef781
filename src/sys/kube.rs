//! Lists this node's pods from the Kubernetes API (network I/O to the API
//! server only), on a private tokio current-thread runtime. Optional: every
//! caller must work without it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// What to ask the API server.
#[derive(Debug, Clone)]
pub struct KubeRequest {
    /// An explicit kubeconfig; `None` infers ($KUBECONFIG, ~/.kube/config, in-cluster).
    pub kubeconfig: Option<PathBuf>,
    pub node_name: String,
    /// Upper bound for the whole exchange.
    pub timeout: Duration,
}

/// Whether any API configuration is present without being asked for one:
/// $KUBECONFIG, ~/.kube/config, or an in-cluster service account.
pub fn config_present() -> bool {
    if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return true;
    }
    std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".kube/config").is_file())
        .unwrap_or(false)
}

/// The pods bound to `node_name` (`fieldSelector=spec.nodeName=…`), with
/// the API server's URL. Errors are worded for a warning line.
pub fn list_node_pods(req: &KubeRequest) -> Result<(String, Vec<Pod>), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        match tokio::time::timeout(req.timeout, list(req)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {:?}", req.timeout)),
        }
    })
}

async fn list(req: &KubeRequest) -> Result<(String, Vec<Pod>), String> {
    let mut config = match &req.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .map_err(|e| format!("bad kubeconfig {}: {e}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| format!("no usable kubeconfig: {e}"))?,
    };
    config.connect_timeout = Some(req.timeout);
    config.read_timeout = Some(req.timeout);
    let url = config.cluster_url.to_string();
    let client =
        kube::Client::try_from(config).map_err(|e| format!("API client for {url}: {e}"))?;
    let pods: Api<Pod> = Api::all(client);
    let params = ListParams::default().fields(&format!("spec.nodeName={}", req.node_name));
    let list = pods
        .list(&params)
        .await
        .map_err(|e| format!("listing pods on node {} from {url}: {e}", req.node_name))?;
    Ok((url, list.items))
}
