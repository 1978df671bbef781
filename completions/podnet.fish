# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_podnet_global_optspecs
    string join \n o/output= color= host-root= v/verbose kube no-kube kubeconfig= node-name= h/help V/version
end

function __fish_podnet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_podnet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_podnet_using_subcommand
    set -l cmd (__fish_podnet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c podnet -n "__fish_podnet_needs_command" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_needs_command" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_needs_command" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_needs_command" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_needs_command" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_needs_command" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_needs_command" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_needs_command" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_needs_command" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "ns" -d 'Network namespaces on this node: their pause PIDs, interfaces and pods'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "veth" -d 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "ethtool" -d 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "doctor" -d 'Judge the node\'s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "trace" -d 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "probe" -d 'Probe a target from inside a pod\'s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod\'s image; --pmtu finds the path MTU'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "drops" -d 'The node\'s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "exec" -d 'Run a host program inside a pod\'s network namespace only (like `nsenter -t <pause> -n`)'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "cni" -d 'Plumb pod networks by hand with CNI plugins (podnet\'s own or the reference ones), and find what leaked'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "lab" -d 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "man" -d 'Print the man page (roff) to stdout, or write one page per command into a directory'
complete -c podnet -n "__fish_podnet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -f -a "list" -d 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -f -a "ls" -d 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -f -a "pids" -d 'Print the PIDs in a pod\'s network namespace, pause PID first (like `lsns -p`)'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and not __fish_seen_subcommand_from list ls pids help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l deep -d 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l deep -d 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l deep -d 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from pids" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from help" -f -a "pids" -d 'Print the PIDs in a pod\'s network namespace, pause PID first (like `lsns -p`)'
complete -c podnet -n "__fish_podnet_using_subcommand ns; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -f -a "pair" -d 'One pod\'s interfaces and their host veths, with how the pairing was proven'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -f -a "list" -d 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -f -a "ls" -d 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -f -a "top" -d 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and not __fish_seen_subcommand_from pair list ls top help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l stats -d 'Add IFLA_STATS64 and ethtool -S counters of both sides'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from pair" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l stats -d 'Add IFLA_STATS64 and ethtool -S counters of both sides'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l deep -d 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l stats -d 'Add IFLA_STATS64 and ethtool -S counters of both sides'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l deep -d 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l interval -d 'Seconds between samples' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l count -d 'Stop after this many samples (default: until Ctrl-C)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l sort -d 'Sort order' -r -f -a "rate\t'Bytes per second, received plus sent'
drops\t'New drops and errors'
name\t'Pod name'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from top" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from help" -f -a "pair" -d 'One pod\'s interfaces and their host veths, with how the pairing was proven'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from help" -f -a "top" -d 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
complete -c podnet -n "__fish_podnet_using_subcommand veth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -s n -l netns -d 'The pod or netns (any pod reference, or a netns path) the interface is in' -r
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand ethtool" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l node-netns -d 'Judge this network namespace as the node (a netns path, name or inode, or any PID in it) instead of the host\'s; how a lab node is checked' -r
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l lab -d 'Judge every node of a `podnet lab` at once, one section per node (NAME may be left out when one lab is up)' -r
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l check -d 'Run only these checks (repeatable)' -r
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l sample -d 'Seconds between the two reads of the counters whose growth is judged' -r
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l proto -d 'The protocol traced (default icmp; tcp when DESTINATION has a port)' -r -f -a "icmp\t''
tcp\t''
udp\t''"
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l port -d 'Destination port (tcp/udp)' -r
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand trace" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l verify -d 'Then send real packets along the flow (3 echoes, connects or datagrams) while watching the kernel\'s drops (eBPF), and say whether the kernel agrees with the blocked hop: the same direction and namespace'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand trace" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -s c -l count -d 'Attempts per source' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l interval -d 'Seconds between attempts' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l timeout -d 'Seconds each attempt waits for its answer' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l size -d 'ICMP: bytes of each IP packet (like ping -s, plus the 28 header bytes)' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l tcp -d 'TCP connect to this port' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l udp -d 'UDP datagram to this port' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l http -d 'HTTP GET of this path (port 80, or --port)' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l dns -d 'DNS lookup of this name, the target being the server (port 53, or --port)' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l port -d 'The port for --http or --dns' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand probe" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l from-all -d 'Probe from every pod on this machine instead of one'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l pmtu -d 'Find the largest don\'t-fragment ICMP packet that reaches the target'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l why -d 'Watch the kernel\'s drops while probing and say, for the probe\'s own lost packets, the reason, the kernel function and where they died, request or reply (needs eBPF)'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand probe" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l duration -d 'Stop after this many seconds (default: at Ctrl-C)' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l pod -d 'Only drops of this pod: in its namespace, or of a packet from or to it (repeatable)' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l node-netns -d 'Only drops in this network namespace (a netns path, name or inode, or any PID in it)' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l reason -d 'Only drops with this reason, as the kernel names it (repeatable)' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l proto -d 'Only drops of packets of this protocol' -r -f -a "icmp\t''
tcp\t''
udp\t''"
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l rate -d 'Lines per second for each kind of drop (reason, location, pod); the rest are counted' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand drops" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l summary -d 'At the end, counts by reason × location × pod instead of a line per drop'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l no-bpf -d 'Read the tracepoint through tracefs alone (no eBPF: reasons and locations only)'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand drops" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l kubeconfig -d 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l node-name -d 'This node\'s name, as the API knows it (default: $NODE_NAME, then the hostname)' -r
complete -c podnet -n "__fish_podnet_using_subcommand exec" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l kube -d 'Ask the Kubernetes API for this node\'s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning'
complete -c podnet -n "__fish_podnet_using_subcommand exec" -l no-kube -d 'Never contact the Kubernetes API; name pods from the node alone'
complete -c podnet -n "__fish_podnet_using_subcommand exec" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand exec" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand completions" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand completions" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand completions" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand completions" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand completions" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "add" -d 'Create a pod sandbox (netns + pause process) and ADD it to a network'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "del" -d 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "check" -d 'Re-run CHECK for a pod\'s attachments against their cached results (exit 1 if one fails)'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "ls" -d 'List the attachments in libcni\'s result cache and whether their sandbox is alive'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "list" -d 'List the attachments in libcni\'s result cache and whether their sandbox is alive'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "gc" -d 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and not __fish_seen_subcommand_from add del check ls list gc help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l net -d 'The network: a name in --conf-dir, or a .conflist/.conf file' -r
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l ifname -d 'The interface name inside the pod' -r
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l ip -d 'Ask for this address (CNI_ARGS IP=…; host-local honours it)' -r
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -s p -l publish -d 'Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability' -r
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from del" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l min-age -d 'Leave reservations, cache entries and netns younger than this many seconds alone (an ADD may be running)' -r
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l conf-dir -d 'Network configurations (.conflist, .conf, .json) looked up by name' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l bin-dir -d 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l cache-dir -d 'libcni\'s cache directory (results in <DIR>/results)' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l netns-dir -d 'Where pod network namespaces are bind-mounted' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l dry-run -d 'Only report what would be removed'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l include-uncached-networks -d 'Also judge the host-local stores of networks with no entry in the CNI cache (by default they are left alone: another runtime, a Multus delegate or a hand-run plugin may be using them)'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -l explain -d 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from gc" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "add" -d 'Create a pod sandbox (netns + pause process) and ADD it to a network'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "del" -d 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "check" -d 'Re-run CHECK for a pod\'s attachments against their cached results (exit 1 if one fails)'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List the attachments in libcni\'s result cache and whether their sandbox is alive'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "gc" -d 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
complete -c podnet -n "__fish_podnet_using_subcommand cni; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "up" -d 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet\'s CNI plugin), and the overlay between the nodes'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "down" -d 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "status" -d 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don\'t-fragment ping as big as the source\'s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "break" -d 'Inject a fault into a running lab, to find it with podnet (and fix it)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "fix" -d 'Restore the lab to its desired state: one fault\'s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "exec" -d 'Run a command in a node\'s or pod\'s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and not __fish_seen_subcommand_from up down status break fix exec help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l nodes -d 'Number of nodes' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l pods -d 'Pods per node' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l overlay -d 'How pod traffic crosses between nodes' -r -f -a "vxlan\t'flannel-style VXLAN (flannel.1, VNI 1, UDP 8472; pod MTU 1450)'
routed\t'Plain routes via each node\'s underlay address (pod MTU 1500)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l mode -d 'How pods attach to their node (podnet\'s CNI plugin mode)' -r -f -a "bridge\t'Host veths on a cni0 bridge holding the pod gateway'
ptp\t'Routed cali* host veths with proxy ARP (Calico-style)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l cidr -d 'The cluster\'s pod CIDR; node k gets its k-th /24' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from up" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -l timeout -d 'How long each ping waits for its reply' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -l no-probe -d 'Skip the reachability matrix'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l node -d 'The node (node2 or 2)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l pod -d 'The pod (mtu, veth-down)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l peer -d 'The other node (fdb, rp-filter, route)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -l random -d 'Pick a fault (and, unless given, its target) at random, without saying which'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from break" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -l all -d 'Reconcile everything (the default)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -l dry-run -d 'Only report what differs from the desired state'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from fix" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -l name -d 'The lab\'s name (its directory is /run/podnet/lab/<NAME>)' -r
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from exec" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "up" -d 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet\'s CNI plugin), and the overlay between the nodes'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "down" -d 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "status" -d 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don\'t-fragment ping as big as the source\'s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "break" -d 'Inject a fault into a running lab, to find it with podnet (and fix it)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "fix" -d 'Restore the lab to its desired state: one fault\'s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "exec" -d 'Run a command in a node\'s or pod\'s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
complete -c podnet -n "__fish_podnet_using_subcommand lab; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand man" -l out-dir -d 'Write podnet.1 and podnet-<command>.1 pages into this directory instead' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand man" -s o -l output -d 'Output format: a table, a wider table with every column, or JSON' -r -f -a "table\t'Human-readable table'
wide\t'Table with every column'
json\t'Machine-readable JSON (a stable, documented contract)'"
complete -c podnet -n "__fish_podnet_using_subcommand man" -l color -d 'When to colour the output (NO_COLOR in the environment means never for `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c podnet -n "__fish_podnet_using_subcommand man" -l host-root -d 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests' -r -F
complete -c podnet -n "__fish_podnet_using_subcommand man" -s v -l verbose -d 'Say where each fact came from (file, netlink attribute); repeat for more'
complete -c podnet -n "__fish_podnet_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c podnet -n "__fish_podnet_using_subcommand man" -s V -l version -d 'Print version'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "ns" -d 'Network namespaces on this node: their pause PIDs, interfaces and pods'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "veth" -d 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "ethtool" -d 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "doctor" -d 'Judge the node\'s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "trace" -d 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "probe" -d 'Probe a target from inside a pod\'s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod\'s image; --pmtu finds the path MTU'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "drops" -d 'The node\'s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "exec" -d 'Run a host program inside a pod\'s network namespace only (like `nsenter -t <pause> -n`)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "cni" -d 'Plumb pod networks by hand with CNI plugins (podnet\'s own or the reference ones), and find what leaked'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "lab" -d 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "man" -d 'Print the man page (roff) to stdout, or write one page per command into a directory'
complete -c podnet -n "__fish_podnet_using_subcommand help; and not __fish_seen_subcommand_from ns veth ethtool doctor trace probe drops exec completions cni lab man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from ns" -f -a "list" -d 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from ns" -f -a "pids" -d 'Print the PIDs in a pod\'s network namespace, pause PID first (like `lsns -p`)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from veth" -f -a "pair" -d 'One pod\'s interfaces and their host veths, with how the pairing was proven'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from veth" -f -a "list" -d 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from veth" -f -a "top" -d 'Live per-pod rates and drop/error deltas, refreshed until interrupted'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "add" -d 'Create a pod sandbox (netns + pause process) and ADD it to a network'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "del" -d 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "check" -d 'Re-run CHECK for a pod\'s attachments against their cached results (exit 1 if one fails)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "ls" -d 'List the attachments in libcni\'s result cache and whether their sandbox is alive'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from cni" -f -a "gc" -d 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "up" -d 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet\'s CNI plugin), and the overlay between the nodes'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "down" -d 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "status" -d 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don\'t-fragment ping as big as the source\'s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "break" -d 'Inject a fault into a running lab, to find it with podnet (and fix it)'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "fix" -d 'Restore the lab to its desired state: one fault\'s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it'
complete -c podnet -n "__fish_podnet_using_subcommand help; and __fish_seen_subcommand_from lab" -f -a "exec" -d 'Run a command in a node\'s or pod\'s network namespace (only the network namespace is joined; the command is executed directly, no shell)'
