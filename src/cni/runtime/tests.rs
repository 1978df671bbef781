//! The runtime's chains over a fake plugin executor: canned outputs per
//! plugin type and command, every run recorded. No root, no processes.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Mutex;

use serde_json::json;

use super::*;

/// One recorded run: the plugin type, the command and the request.
type Ran = (String, String, Value);

/// Plugins that answer from a table: `(type, command)` → (exit code,
/// stdout, stderr); anything not in it succeeds and prints nothing.
#[derive(Default)]
struct Canned {
    answers: HashMap<(String, String), (i32, String, String)>,
    ran: Mutex<Vec<Ran>>,
}

impl Canned {
    fn answer(mut self, ty: &str, cmd: &str, code: i32, stdout: Value) -> Canned {
        self.answers.insert(
            (ty.into(), cmd.into()),
            (code, stdout.to_string(), String::new()),
        );
        self
    }

    fn ran(&self) -> Vec<Ran> {
        self.ran.lock().unwrap().clone()
    }
}

impl PluginExec for Canned {
    fn find(&self, ty: &str, _dirs: &[PathBuf]) -> Option<PathBuf> {
        (ty != "missing").then(|| PathBuf::from("/fake").join(ty))
    }

    fn run(&self, run: &crate::sys::cni_exec::PluginRun) -> std::io::Result<std::process::Output> {
        let ty = run
            .binary
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let request: Value = serde_json::from_slice(&run.stdin).unwrap_or(Value::Null);
        self.ran
            .lock()
            .unwrap()
            .push((ty.clone(), run.command.clone(), request));
        let (code, stdout, stderr) = self
            .answers
            .get(&(ty, run.command.clone()))
            .cloned()
            .unwrap_or_default();
        Ok(output(code, &stdout, &stderr))
    }
}

fn output(code: i32, stdout: &str, stderr: &str) -> std::process::Output {
    std::process::Output {
        status: ExitStatus::from_raw(code << 8),
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
    }
}

fn runtime(c: Canned) -> (Runtime, Arc<Canned>) {
    let c = Arc::new(c);
    let cfg = RuntimeConfig {
        bin_dirs: Vec::new(),
        node_netns: None,
        ..RuntimeConfig::default()
    };
    let rt = Runtime::with_plugins(cfg, c.clone()).unwrap();
    (rt, c)
}

fn chain() -> NetConfList {
    conflist::parse(
        json!({"cniVersion": "1.0.0", "name": "pods", "plugins": [
            {"type": "bridge"}, {"type": "portmap", "capabilities": {"portMappings": true}}]})
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

const AT: Params<'static> = Params {
    container_id: "c1",
    netns: "/run/netns/x",
    ifname: "eth0",
    args: "",
};

fn result(ip: &str) -> Value {
    json!({"cniVersion": "1.0.0", "ips": [{"address": ip}]})
}

#[test]
fn add_gives_each_plugin_the_result_so_far_and_its_capabilities() {
    let (rt, c) = runtime(
        Canned::default()
            .answer("bridge", "ADD", 0, result("10.1.0.2/24"))
            .answer("portmap", "ADD", 0, result("10.1.0.2/24")),
    );
    let mut caps = Map::new();
    caps.insert("portMappings".into(), json!([{"hostPort": 80}]));
    let got = rt.add_chain(&chain(), &AT, &caps).ok().flatten();
    assert_eq!(got, Some(result("10.1.0.2/24")));
    let ran = c.ran();
    assert_eq!(ran.len(), 2);
    assert_eq!((ran[0].0.as_str(), ran[0].1.as_str()), ("bridge", "ADD"));
    assert!(ran[0].2.get("prevResult").is_none());
    assert!(ran[0].2.get("runtimeConfig").is_none());
    assert_eq!(ran[1].2["prevResult"], result("10.1.0.2/24"));
    assert_eq!(ran[1].2["runtimeConfig"]["portMappings"][0]["hostPort"], 80);
}

#[test]
fn a_failed_add_says_what_ran_and_the_rollback_deletes_it_last_first() {
    let (rt, c) = runtime(
        Canned::default()
            .answer("bridge", "ADD", 0, result("10.1.0.2/24"))
            .answer("portmap", "ADD", 1, json!({"code": 7, "msg": "bad"}))
            .answer("portmap", "DEL", 1, json!({"code": 11, "msg": "busy"})),
    );
    let list = chain();
    let Err(failed) = rt.add_chain(&list, &AT, &Map::new()) else {
        panic!("the ADD should fail");
    };
    assert_eq!(failed.ran, 2, "the failing plugin ran");
    assert_eq!(failed.result, Some(result("10.1.0.2/24")));
    let msg = failed.error.to_string();
    assert!(msg.contains("plugin portmap ADD failed: bad"), "{msg}");
    let failures = rt.roll_back(&list, failed.ran, &AT, &Map::new(), failed.result.as_ref());
    let dels: Vec<String> = c
        .ran()
        .iter()
        .filter(|r| r.1 == "DEL")
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(dels, ["portmap", "bridge"], "past portmap's failure");
    assert_eq!(failures.len(), 1);
    assert!(failures[0].contains("busy [CNI error 11]"), "{failures:?}");
}

#[test]
fn a_plugin_that_is_not_installed_never_ran() {
    let list = conflist::parse(
        json!({"cniVersion": "1.0.0", "name": "n", "plugins": [
            {"type": "bridge"}, {"type": "missing"}]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let (rt, _) = runtime(Canned::default());
    let Err(failed) = rt.add_chain(&list, &AT, &Map::new()) else {
        panic!("the ADD should fail");
    };
    assert_eq!(failed.ran, 1);
    assert!(
        failed
            .error
            .to_string()
            .contains("plugin \"missing\" not found")
    );
}

#[test]
fn check_stops_at_the_first_failure() {
    let (rt, c) = runtime(Canned::default().answer(
        "bridge",
        "CHECK",
        1,
        json!({"code": 104, "msg": "no address"}),
    ));
    let e = rt
        .check_chain(&chain(), &AT, &Map::new(), Some(&result("10.1.0.2/24")))
        .unwrap_err();
    assert!(e.to_string().contains("no address"));
    assert_eq!(c.ran().len(), 1, "portmap is not asked");
    assert_eq!(c.ran()[0].2["prevResult"], result("10.1.0.2/24"));
}

#[test]
fn an_outcome_is_the_result_the_error_object_or_how_it_exited() {
    assert_eq!(outcome(&output(0, "", "")), Ok(None));
    assert_eq!(
        outcome(&output(0, "{\"ips\": []}\n", "")),
        Ok(Some(json!({"ips": []})))
    );
    let e = outcome(&output(0, "hello", "")).unwrap_err();
    assert_eq!(
        (e.code, e.msg.as_str()),
        (codes::DECODE_FAILURE, "plugin printed no JSON: hello")
    );
    let e = outcome(&output(1, "{\"code\": 102, \"msg\": \"full\"}", "")).unwrap_err();
    assert_eq!((e.code, e.msg.as_str()), (codes::RANGE_EXHAUSTED, "full"));
    let e = outcome(&output(2, "", "it broke\n")).unwrap_err();
    assert_eq!(e.code, codes::NO_ERROR_OBJECT);
    assert_eq!(e.details, "it broke");
    assert!(e.msg.starts_with("exited with"), "{}", e.msg);
}

#[test]
fn plugin_errors_hint_by_their_code() {
    let hint = |code| {
        plugin_error("n", "t", "ADD", &CniError::new(code, "x"))
            .hint()
            .unwrap_or_default()
    };
    assert_eq!(hint(codes::UNKNOWN_CONTAINER), "the sandbox is gone");
    assert!(hint(codes::RANGE_EXHAUSTED).contains("podnet cni gc"));
    assert!(hint(codes::KERNEL).contains("--explain"));
}

fn cached(id: &str, ifname: &str, network: &str, pod: Option<(&str, &str)>) -> Cached {
    let mut cni_args = vec![["IgnoreUnknown".to_string(), "1".to_string()]];
    if let Some((ns, name)) = pod {
        cni_args.push(["K8S_POD_NAMESPACE".into(), ns.into()]);
        cni_args.push(["K8S_POD_NAME".into(), name.into()]);
    }
    Cached {
        path: PathBuf::from(format!("/c/results/{network}-{id}-{ifname}")),
        entry: CacheEntry {
            kind: "cniCacheV1".into(),
            container_id: id.into(),
            config: Vec::new(),
            if_name: ifname.into(),
            network_name: network.into(),
            netns: None,
            cni_args,
            capability_args: Map::new(),
            result: None,
        },
    }
}

#[test]
fn del_and_check_answer_with_the_pod_its_cache_entries_name() {
    let atts = [
        cached("abc", "eth0", "pods", Some(("prod", "api"))),
        cached("abc", "net1", "extra", Some(("prod", "api"))),
    ];
    let d = deleted(&atts, "api");
    assert_eq!(d.pod, "prod/api");
    assert_eq!(d.sandbox_id, "abc");
    assert_eq!(
        d.deleted,
        [
            DeletedAttachment {
                ifname: "eth0".into(),
                network: "pods".into()
            },
            DeletedAttachment {
                ifname: "net1".into(),
                network: "extra".into()
            }
        ]
    );
    // entries without K8S_POD_* args: the pod as asked
    let bare = [cached("def", "eth0", "pods", None)];
    assert_eq!(pod_of(&bare, "def0"), "def0");
    assert_eq!(deleted(&[], "x").sandbox_id, "");

    let outcome = |ok| CheckOutcome {
        network: "pods".into(),
        ifname: "eth0".into(),
        ok,
        problem: None,
        skipped: None,
    };
    let c = checked("prod/api".into(), vec![outcome(true), outcome(false)]);
    assert!(!c.ok);
    assert_eq!(c.attachments.len(), 2);
    assert!(checked("p".into(), vec![outcome(true)]).ok);
    assert!(checked("p".into(), Vec::new()).ok);
}

#[test]
fn gc_problems_are_failures_or_leaks_a_dry_run_left() {
    let leak = |error: Option<&str>| gc::Leak {
        kind: crate::cni::gc::Kind::Cache,
        object: "x".into(),
        pod: None,
        reason: "gone".into(),
        removed: error.is_none(),
        error: error.map(str::to_string),
    };
    let report = |dry_run, leaks| gc::GcReport {
        dry_run,
        leaks,
        kept: Vec::new(),
        gc_calls: Vec::new(),
        warnings: Vec::new(),
    };
    assert!(!gc::found_problems(&report(false, vec![leak(None)])));
    assert!(gc::found_problems(&report(
        false,
        vec![leak(Some("EBUSY"))]
    )));
    assert!(gc::found_problems(&report(true, vec![leak(None)])));
    assert!(!gc::found_problems(&report(true, Vec::new())));
    let mut call_failed = report(false, Vec::new());
    call_failed.gc_calls.push(gc::GcCall {
        network: "pods".into(),
        plugins: vec!["podnet".into()],
        valid_attachments: 0,
        error: Some("exit 1".into()),
        skipped: None,
    });
    assert!(gc::found_problems(&call_failed));
}
