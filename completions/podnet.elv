
use builtin;
use str;

set edit:completion:arg-completer[podnet] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'podnet'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'podnet'= {
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ns 'Network namespaces on this node: their pause PIDs, interfaces and pods'
            cand veth 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters'
            cand ethtool 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns'
            cand doctor 'Judge the node''s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only'
            cand trace 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)'
            cand probe 'Probe a target from inside a pod''s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod''s image; --pmtu finds the path MTU'
            cand drops 'The node''s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each'
            cand exec 'Run a host program inside a pod''s network namespace only (like `nsenter -t <pause> -n`)'
            cand completions 'Print a shell completion script to stdout'
            cand cni 'Plumb pod networks by hand with CNI plugins (podnet''s own or the reference ones), and find what leaked'
            cand lab 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces'
            cand man 'Print the man page (roff) to stdout, or write one page per command into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;ns'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
            cand ls 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
            cand pids 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;ns;list'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --deep 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;ns;ls'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --deep 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;ns;pids'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --deep 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;ns;help'= {
            cand list 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
            cand pids 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;ns;help;list'= {
        }
        &'podnet;ns;help;pids'= {
        }
        &'podnet;ns;help;help'= {
        }
        &'podnet;veth'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand pair 'One pod''s interfaces and their host veths, with how the pairing was proven'
            cand list 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
            cand ls 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
            cand top 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;veth;pair'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --stats 'Add IFLA_STATS64 and ethtool -S counters of both sides'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;veth;list'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --stats 'Add IFLA_STATS64 and ethtool -S counters of both sides'
            cand --deep 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;veth;ls'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --stats 'Add IFLA_STATS64 and ethtool -S counters of both sides'
            cand --deep 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;veth;top'= {
            cand --interval 'Seconds between samples'
            cand --count 'Stop after this many samples (default: until Ctrl-C)'
            cand --sort 'Sort order'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;veth;help'= {
            cand pair 'One pod''s interfaces and their host veths, with how the pairing was proven'
            cand list 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
            cand top 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;veth;help;pair'= {
        }
        &'podnet;veth;help;list'= {
        }
        &'podnet;veth;help;top'= {
        }
        &'podnet;veth;help;help'= {
        }
        &'podnet;ethtool'= {
            cand -n 'The pod or netns (any pod reference, or a netns path) the interface is in'
            cand --netns 'The pod or netns (any pod reference, or a netns path) the interface is in'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;doctor'= {
            cand --node-netns 'Judge this network namespace as the node (a netns path, name or inode, or any PID in it) instead of the host''s; how a lab node is checked'
            cand --lab 'Judge every node of a `podnet lab` at once, one section per node (NAME may be left out when one lab is up)'
            cand --check 'Run only these checks (repeatable)'
            cand --sample 'Seconds between the two reads of the counters whose growth is judged'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;trace'= {
            cand --proto 'The protocol traced (default icmp; tcp when DESTINATION has a port)'
            cand --port 'Destination port (tcp/udp)'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --verify 'Then send real packets along the flow (3 echoes, connects or datagrams) while watching the kernel''s drops (eBPF), and say whether the kernel agrees with the blocked hop: the same direction and namespace'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;probe'= {
            cand -c 'Attempts per source'
            cand --count 'Attempts per source'
            cand --interval 'Seconds between attempts'
            cand --timeout 'Seconds each attempt waits for its answer'
            cand --size 'ICMP: bytes of each IP packet (like ping -s, plus the 28 header bytes)'
            cand --tcp 'TCP connect to this port'
            cand --udp 'UDP datagram to this port'
            cand --http 'HTTP GET of this path (port 80, or --port)'
            cand --dns 'DNS lookup of this name, the target being the server (port 53, or --port)'
            cand --port 'The port for --http or --dns'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --from-all 'Probe from every pod on this machine instead of one'
            cand --pmtu 'Find the largest don''t-fragment ICMP packet that reaches the target'
            cand --why 'Watch the kernel''s drops while probing and say, for the probe''s own lost packets, the reason, the kernel function and where they died, request or reply (needs eBPF)'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;drops'= {
            cand --duration 'Stop after this many seconds (default: at Ctrl-C)'
            cand --pod 'Only drops of this pod: in its namespace, or of a packet from or to it (repeatable)'
            cand --node-netns 'Only drops in this network namespace (a netns path, name or inode, or any PID in it)'
            cand --reason 'Only drops with this reason, as the kernel names it (repeatable)'
            cand --proto 'Only drops of packets of this protocol'
            cand --rate 'Lines per second for each kind of drop (reason, location, pod); the rest are counted'
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --summary 'At the end, counts by reason × location × pod instead of a line per drop'
            cand --no-bpf 'Read the tracepoint through tracefs alone (no eBPF: reasons and locations only)'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;exec'= {
            cand --kubeconfig 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)'
            cand --node-name 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --kube 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
            cand --no-kube 'Never contact the Kubernetes API; name pods from the node alone'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;completions'= {
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni'= {
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Create a pod sandbox (netns + pause process) and ADD it to a network'
            cand del 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
            cand check 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)'
            cand ls 'List the attachments in libcni''s result cache and whether their sandbox is alive'
            cand list 'List the attachments in libcni''s result cache and whether their sandbox is alive'
            cand gc 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;cni;add'= {
            cand --net 'The network: a name in --conf-dir, or a .conflist/.conf file'
            cand --ifname 'The interface name inside the pod'
            cand --ip 'Ask for this address (CNI_ARGS IP=…; host-local honours it)'
            cand -p 'Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability'
            cand --publish 'Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability'
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;del'= {
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;check'= {
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;ls'= {
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;list'= {
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;gc'= {
            cand --min-age 'Leave reservations, cache entries and netns younger than this many seconds alone (an ADD may be running)'
            cand --conf-dir 'Network configurations (.conflist, .conf, .json) looked up by name'
            cand --bin-dir 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)'
            cand --cache-dir 'libcni''s cache directory (results in <DIR>/results)'
            cand --netns-dir 'Where pod network namespaces are bind-mounted'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --dry-run 'Only report what would be removed'
            cand --include-uncached-networks 'Also judge the host-local stores of networks with no entry in the CNI cache (by default they are left alone: another runtime, a Multus delegate or a hand-run plugin may be using them)'
            cand --explain 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;cni;help'= {
            cand add 'Create a pod sandbox (netns + pause process) and ADD it to a network'
            cand del 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
            cand check 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)'
            cand ls 'List the attachments in libcni''s result cache and whether their sandbox is alive'
            cand gc 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;cni;help;add'= {
        }
        &'podnet;cni;help;del'= {
        }
        &'podnet;cni;help;check'= {
        }
        &'podnet;cni;help;ls'= {
        }
        &'podnet;cni;help;gc'= {
        }
        &'podnet;cni;help;help'= {
        }
        &'podnet;lab'= {
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand up 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes'
            cand down 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
            cand status 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
            cand break 'Inject a fault into a running lab, to find it with podnet (and fix it)'
            cand fix 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
            cand exec 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;lab;up'= {
            cand --nodes 'Number of nodes'
            cand --pods 'Pods per node'
            cand --overlay 'How pod traffic crosses between nodes'
            cand --mode 'How pods attach to their node (podnet''s CNI plugin mode)'
            cand --cidr 'The cluster''s pod CIDR; node k gets its k-th /24'
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;down'= {
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;status'= {
            cand --timeout 'How long each ping waits for its reply'
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --no-probe 'Skip the reachability matrix'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;break'= {
            cand --node 'The node (node2 or 2)'
            cand --pod 'The pod (mtu, veth-down)'
            cand --peer 'The other node (fdb, rp-filter, route)'
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --random 'Pick a fault (and, unless given, its target) at random, without saying which'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;fix'= {
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand --all 'Reconcile everything (the default)'
            cand --dry-run 'Only report what differs from the desired state'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;exec'= {
            cand --name 'The lab''s name (its directory is /run/podnet/lab/<NAME>)'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;lab;help'= {
            cand up 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes'
            cand down 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
            cand status 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
            cand break 'Inject a fault into a running lab, to find it with podnet (and fix it)'
            cand fix 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
            cand exec 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;lab;help;up'= {
        }
        &'podnet;lab;help;down'= {
        }
        &'podnet;lab;help;status'= {
        }
        &'podnet;lab;help;break'= {
        }
        &'podnet;lab;help;fix'= {
        }
        &'podnet;lab;help;exec'= {
        }
        &'podnet;lab;help;help'= {
        }
        &'podnet;man'= {
            cand --out-dir 'Write podnet.1 and podnet-<command>.1 pages into this directory instead'
            cand -o 'Output format: a table, a wider table with every column, or JSON'
            cand --output 'Output format: a table, a wider table with every column, or JSON'
            cand --color 'When to colour the output (NO_COLOR in the environment means never for `auto`)'
            cand --host-root 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests'
            cand -v 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand --verbose 'Say where each fact came from (file, netlink attribute); repeat for more'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'podnet;help'= {
            cand ns 'Network namespaces on this node: their pause PIDs, interfaces and pods'
            cand veth 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters'
            cand ethtool 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns'
            cand doctor 'Judge the node''s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only'
            cand trace 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)'
            cand probe 'Probe a target from inside a pod''s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod''s image; --pmtu finds the path MTU'
            cand drops 'The node''s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each'
            cand exec 'Run a host program inside a pod''s network namespace only (like `nsenter -t <pause> -n`)'
            cand completions 'Print a shell completion script to stdout'
            cand cni 'Plumb pod networks by hand with CNI plugins (podnet''s own or the reference ones), and find what leaked'
            cand lab 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces'
            cand man 'Print the man page (roff) to stdout, or write one page per command into a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'podnet;help;ns'= {
            cand list 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
            cand pids 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)'
        }
        &'podnet;help;ns;list'= {
        }
        &'podnet;help;ns;pids'= {
        }
        &'podnet;help;veth'= {
            cand pair 'One pod''s interfaces and their host veths, with how the pairing was proven'
            cand list 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
            cand top 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
        }
        &'podnet;help;veth;pair'= {
        }
        &'podnet;help;veth;list'= {
        }
        &'podnet;help;veth;top'= {
        }
        &'podnet;help;ethtool'= {
        }
        &'podnet;help;doctor'= {
        }
        &'podnet;help;trace'= {
        }
        &'podnet;help;probe'= {
        }
        &'podnet;help;drops'= {
        }
        &'podnet;help;exec'= {
        }
        &'podnet;help;completions'= {
        }
        &'podnet;help;cni'= {
            cand add 'Create a pod sandbox (netns + pause process) and ADD it to a network'
            cand del 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
            cand check 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)'
            cand ls 'List the attachments in libcni''s result cache and whether their sandbox is alive'
            cand gc 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
        }
        &'podnet;help;cni;add'= {
        }
        &'podnet;help;cni;del'= {
        }
        &'podnet;help;cni;check'= {
        }
        &'podnet;help;cni;ls'= {
        }
        &'podnet;help;cni;gc'= {
        }
        &'podnet;help;lab'= {
            cand up 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes'
            cand down 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
            cand status 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
            cand break 'Inject a fault into a running lab, to find it with podnet (and fix it)'
            cand fix 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
            cand exec 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
        }
        &'podnet;help;lab;up'= {
        }
        &'podnet;help;lab;down'= {
        }
        &'podnet;help;lab;status'= {
        }
        &'podnet;help;lab;break'= {
        }
        &'podnet;help;lab;fix'= {
        }
        &'podnet;help;lab;exec'= {
        }
        &'podnet;help;man'= {
        }
        &'podnet;help;help'= {
        }
    ]
    $completions[$command]
}
