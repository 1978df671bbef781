//! Unit tests of `cni::plan`. No I/O.

use super::*;

/// Records applied actions; fails the action at `fail_on` (0-based).
struct Fake {
    log: Vec<Action>,
    fail_on: Option<usize>,
    unchanged: Vec<usize>,
    calls: usize,
    fail_undo: bool,
}

impl Fake {
    fn new(fail_on: Option<usize>) -> Fake {
        Fake {
            log: Vec::new(),
            fail_on,
            unchanged: Vec::new(),
            calls: 0,
            fail_undo: false,
        }
    }
}

impl Executor for Fake {
    fn apply(&mut self, action: &Action) -> Result<bool, StepError> {
        let i = self.calls;
        self.calls += 1;
        if self.fail_on == Some(i) {
            return Err(StepError::new("boom"));
        }
        if self.fail_undo && matches!(action, Action::DeleteLink { .. }) {
            return Err(StepError::new("busy"));
        }
        self.log.push(action.clone());
        Ok(!self.unchanged.contains(&i))
    }
}

fn steps() -> Vec<Step> {
    vec![
        Step::new(
            Action::EnsureBridge {
                name: "cni0".into(),
                mtu: None,
                promisc: false,
            },
            Some(Action::DeleteBridgeIfUnused {
                name: "cni0".into(),
            }),
        ),
        Step::new(
            Action::CreateVeth {
                ifname: "eth0".into(),
                host_ifname: "pnetx".into(),
                mtu: None,
                host_mac: None,
            },
            Some(Action::DeleteLink {
                side: Side::Container,
                name: "eth0".into(),
            }),
        ),
        Step::plain(Action::SetLinkUp {
            side: Side::Host,
            name: "pnetx".into(),
        }),
        Step::new(
            Action::EnsureBridgeAddress {
                bridge: "cni0".into(),
                addr: "10.0.0.1/24".parse().unwrap(),
                force: false,
            },
            Some(Action::DelBridgeAddressIfUnused {
                bridge: "cni0".into(),
                addr: "10.0.0.1/24".parse().unwrap(),
            }),
        ),
    ]
}

#[test]
fn a_failure_undoes_applied_steps_in_reverse() {
    let mut fake = Fake::new(Some(3));
    let mut j = Journal::new();
    let err = j.run_all(&steps(), &mut fake, &mut Quiet).unwrap_err();
    assert_eq!(err.step, 4);
    assert_eq!(j.steps_run(), 3);
    let errors = j.rollback(&mut fake);
    assert!(errors.is_empty());
    assert_eq!(
        &fake.log[3..],
        &[
            Action::DeleteLink {
                side: Side::Container,
                name: "eth0".into()
            },
            Action::DeleteBridgeIfUnused {
                name: "cni0".into()
            },
        ]
    );
}

#[test]
fn unchanged_steps_are_not_undone() {
    let mut fake = Fake::new(Some(3));
    fake.unchanged = vec![0]; // the bridge was there already
    let mut j = Journal::new();
    assert!(j.run_all(&steps(), &mut fake, &mut Quiet).is_err());
    j.rollback(&mut fake);
    assert_eq!(
        fake.log.last(),
        Some(&Action::DeleteLink {
            side: Side::Container,
            name: "eth0".into()
        })
    );
    assert!(!fake.log.contains(&Action::DeleteBridgeIfUnused {
        name: "cni0".into()
    }));
}

#[test]
fn rollback_continues_past_undo_failures() {
    let mut fake = Fake::new(Some(3));
    let mut j = Journal::new();
    assert!(j.run_all(&steps(), &mut fake, &mut Quiet).is_err());
    fake.fail_undo = true;
    let errors = j.rollback(&mut fake);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        fake.log.last(),
        Some(&Action::DeleteBridgeIfUnused {
            name: "cni0".into()
        })
    );
}

#[test]
fn observers_can_stop_a_plan_before_any_step() {
    struct FailAt(usize);
    impl Observer for FailAt {
        fn before(&mut self, n: usize, _: &Step) -> Result<(), StepError> {
            if n == self.0 {
                Err("injected".into())
            } else {
                Ok(())
            }
        }
    }
    for k in 1..=4 {
        let mut fake = Fake::new(None);
        let mut j = Journal::new();
        let err = j.run_all(&steps(), &mut fake, &mut FailAt(k)).unwrap_err();
        assert_eq!(err.step, k);
        assert_eq!(fake.log.len(), k - 1);
        j.rollback(&mut fake);
        // every create was undone
        let created_veth = fake
            .log
            .iter()
            .any(|a| matches!(a, Action::CreateVeth { .. }));
        let deleted_veth = fake
            .log
            .iter()
            .any(|a| matches!(a, Action::DeleteLink { .. }));
        assert_eq!(created_veth, deleted_veth, "step {k}");
    }
    let mut j = Journal::new();
    let mut fake = Fake::new(None);
    j.run_all(&steps(), &mut fake, &mut Quiet).unwrap();
    j.commit();
    assert!(j.rollback(&mut fake).is_empty());
    assert_eq!(fake.log.len(), 4);
}

#[test]
fn explains_actions_as_commands() {
    let ctx = ExplainCtx {
        container_netns: "/run/netns/cni-1234".into(),
    };
    let s = &steps();
    assert_eq!(
        s[1].action.explain(&ctx),
        vec!["ip link add pnetx type veth peer name eth0 netns cni-1234".to_string()]
    );
    let r = Action::AddRoute {
        side: Side::Container,
        route: RouteSpec {
            scope: Scope::Link,
            src: Some("10.0.0.2".parse().unwrap()),
            ..RouteSpec::new("10.0.0.1/32".parse().unwrap(), None, "eth0")
        },
    };
    assert_eq!(
        r.explain(&ctx),
        vec!["ip -n cni-1234 route add 10.0.0.1 dev eth0 scope link src 10.0.0.2".to_string()]
    );
    let other = ExplainCtx {
        container_netns: "/proc/42/ns/net".into(),
    };
    assert!(r.explain(&other)[0].starts_with("nsenter --net=/proc/42/ns/net ip route add"));
    let sys = Action::Sysctl {
        side: Side::Container,
        key: "net/ipv4/conf/eth0.5/arp_notify".into(),
        value: "1".into(),
    };
    assert_eq!(
        sys.explain(&ctx),
        vec!["ip netns exec cni-1234 sysctl -w net.ipv4.conf.eth0/5.arp_notify=1".to_string()]
    );
    let d = Action::AddRoute {
        side: Side::Host,
        route: RouteSpec::new(
            "0.0.0.0/0".parse().unwrap(),
            Some("10.0.0.1".parse().unwrap()),
            "eth0",
        ),
    };
    assert_eq!(
        d.explain(&ctx),
        vec!["ip route add default via 10.0.0.1 dev eth0".to_string()]
    );
}
