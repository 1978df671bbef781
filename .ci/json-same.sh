#!/usr/bin/env bash
# Does a reshaped podnet print the same JSON as before? Runs every
# read-only command of two builds, OLD and NEW, against one lab on a
# private node (mount + PID + network namespace, tmpfs over the runtime
# directories) and diffs their JSON byte for byte. Only timings (rtt,
# latency, ms since start) are masked; a field that changes between two
# runs of OLD itself (a counter that moved) is reported as volatile, not
# as a difference.
#
#   bash .ci/json-same.sh OLD_PODNET NEW_PODNET
#
# Exit 0 when every command prints the same JSON, 1 otherwise. As root.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 OLD_PODNET NEW_PODNET" >&2
    exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")

if [[ "${PODNET_JSON_SAME_NODE:-}" != 1 ]]; then
    exec unshare --mount --pid --fork --mount-proc --net --propagation private --kill-child -- \
        env PODNET_JSON_SAME_NODE=1 bash "$0" "$old" "$new"
fi

for d in /run /var/lib/cni /var/log/pods /var/lib/containers /etc/cni/net.d; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=755 podnet-json-same "$d"
done
mkdir -p /run/netns
ip link set lo up

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$new" lab up --name js --nodes 2 --pods 2 >/dev/null
# let IPv6 router solicitation and DAD settle, so counters stop moving
sleep 3

# timings (fields, and durations in text: "0.3 s apart", "reply 0.04 ms"),
# and the packet counters trace quotes ("tx 36 pkts")
mask='walk(if type == "object" then del(.rtt, .rtt_ms, .rtt_us, .latency_ms, .ms, .elapsed_ms, .duration_ms, .icmp_id)
          elif type == "string" then gsub("[0-9]+\\.[0-9]+ (?<u>m?s)\\b"; "N \(.u)") | gsub("(?<d>[tr]x) [0-9]+ pkts"; "\(.d) N pkts")
          else . end)'

status=0
same() {
    local name=$1
    shift
    local a="$work/$name.old" b="$work/$name.new" c="$work/$name.again"
    "$old" "$@" -o json 2>/dev/null | jq -S "$mask" >"$a" || true
    "$new" "$@" -o json 2>/dev/null | jq -S "$mask" >"$b" || true
    if [[ ! -s "$a" || ! -s "$b" ]]; then
        echo "NO JSON   $* (old: $(wc -c <"$a") bytes, new: $(wc -c <"$b") bytes)"
        status=1
        return
    fi
    if cmp -s "$a" "$b"; then
        echo "same      $*"
        return
    fi
    "$old" "$@" -o json 2>/dev/null | jq -S "$mask" >"$c" || true
    if ! cmp -s "$a" "$c"; then
        echo "volatile  $* (two runs of OLD differ)"
        diff -u "$a" "$c" | head -"${PODNET_JSON_SAME_CONTEXT:-0}" || true
        return
    fi
    echo "DIFFERENT $*"
    diff -u "$a" "$b" | head -40 || true
    status=1
}

pod=default/web-1-1
peer_ip=$(jq -r '.pods[] | select(.name == "web-2-1") | .ip' /run/podnet/lab/js/state.json)

same ns-list ns list
same ns-pids ns pids "$pod"
same veth-list veth list
same veth-pair veth pair "$pod"
same ethtool ethtool "$pod"
same doctor doctor --lab js --sample 0
same trace trace "$pod" "$peer_ip"
same trace-tcp trace "$pod" "$peer_ip:80"
same probe probe "$pod" "$peer_ip" -c 1
same lab-status lab status --name js --no-probe
same lab-matrix lab status --name js
same cni-ls cni ls
same cni-gc cni gc --dry-run

"$new" lab down --name js >/dev/null
exit $status
