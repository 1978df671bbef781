//! Lists this node's pods, and the cluster's nodes, from the Kubernetes API
//! (network I/O to the API server only), on a private tokio current-thread
//! runtime. Optional: every caller must work without it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
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
    run(req, list_pods(req))
}

/// Every node of the cluster (their `spec.podCIDRs`), with the API server's URL.
pub fn list_nodes(req: &KubeRequest) -> Result<(String, Vec<Node>), String> {
    run(req, list_all_nodes(req))
}

/// Runs one exchange on a private runtime, bounded by the request's timeout.
fn run<T>(
    req: &KubeRequest,
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        match tokio::time::timeout(req.timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {:?}", req.timeout)),
        }
    })
}

/// A client for the configured API server, and its URL.
async fn client(req: &KubeRequest) -> Result<(String, kube::Client), String> {
    let mut config = match &req.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| {
                format!(
                    "cannot read kubeconfig {}: {}",
                    path.display(),
                    first_line(&e)
                )
            })?;
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .map_err(|e| format!("bad kubeconfig {}: {}", path.display(), first_line(&e)))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| format!("no usable kubeconfig: {}", first_line(&e)))?,
    };
    config.connect_timeout = Some(req.timeout);
    config.read_timeout = Some(req.timeout);
    let url = config.cluster_url.to_string();
    let client =
        kube::Client::try_from(config).map_err(|e| format!("API client for {url}: {e}"))?;
    Ok((url, client))
}

async fn list_pods(req: &KubeRequest) -> Result<(String, Vec<Pod>), String> {
    let (url, client) = client(req).await?;
    let pods: Api<Pod> = Api::all(client);
    let params = ListParams::default().fields(&format!("spec.nodeName={}", req.node_name));
    let list = pods
        .list(&params)
        .await
        .map_err(|e| format!("listing pods on node {} from {url}: {e}", req.node_name))?;
    Ok((url, list.items))
}

async fn list_all_nodes(req: &KubeRequest) -> Result<(String, Vec<Node>), String> {
    let (url, client) = client(req).await?;
    let nodes: Api<Node> = Api::all(client);
    let list = nodes
        .list(&ListParams::default())
        .await
        .map_err(|e| format!("listing nodes from {url}: {e}"))?;
    Ok((url, list.items))
}

/// An error's first line: a YAML parser's message quotes the lines of the
/// file it read (a kubeconfig that is really `/etc/shadow` must not end up
/// in a warning), and its position is on the first line.
fn first_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(|c: char| c == ':' || c.is_whitespace())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn an_error_quoting_the_file_is_cut_to_its_first_line() {
        let e = "failed to parse kubeconfig YAML: error: line 1 column 1: expected mapping start\n --> <input>:1:1\n  |\n1 | root:x:0:0:root:/root:/bin/bash";
        assert_eq!(
            first_line(&e),
            "failed to parse kubeconfig YAML: error: line 1 column 1: expected mapping start"
        );
        assert!(!first_line(&e).contains("root:x"));
    }
}
