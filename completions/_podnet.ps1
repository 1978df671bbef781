
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'podnet' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'podnet'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'podnet' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ns', 'ns', [CompletionResultType]::ParameterValue, 'Network namespaces on this node: their pause PIDs, interfaces and pods')
            [CompletionResult]::new('veth', 'veth', [CompletionResultType]::ParameterValue, 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters')
            [CompletionResult]::new('ethtool', 'ethtool', [CompletionResultType]::ParameterValue, 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Judge the node''s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe a target from inside a pod''s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod''s image; --pmtu finds the path MTU')
            [CompletionResult]::new('drops', 'drops', [CompletionResultType]::ParameterValue, 'The node''s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a host program inside a pod''s network namespace only (like `nsenter -t <pause> -n`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('cni', 'cni', [CompletionResultType]::ParameterValue, 'Plumb pod networks by hand with CNI plugins (podnet''s own or the reference ones), and find what leaked')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, or write one page per command into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;ns' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod')
            [CompletionResult]::new('pids', 'pids', [CompletionResultType]::ParameterValue, 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;ns;list' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;ns;ls' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;ns;pids' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;ns;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod')
            [CompletionResult]::new('pids', 'pids', [CompletionResultType]::ParameterValue, 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;ns;help;list' {
            break
        }
        'podnet;ns;help;pids' {
            break
        }
        'podnet;ns;help;help' {
            break
        }
        'podnet;veth' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('pair', 'pair', [CompletionResultType]::ParameterValue, 'One pod''s interfaces and their host veths, with how the pairing was proven')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live per-pod rates and drop/error deltas, refreshed until interrupted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;veth;pair' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Add IFLA_STATS64 and ethtool -S counters of both sides')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;veth;list' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Add IFLA_STATS64 and ethtool -S counters of both sides')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;veth;ls' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Add IFLA_STATS64 and ethtool -S counters of both sides')
            [CompletionResult]::new('--deep', '--deep', [CompletionResultType]::ParameterName, 'Also find namespaces held only by open file descriptors (/proc/<pid>/fd)')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;veth;top' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between samples')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after this many samples (default: until Ctrl-C)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Sort order')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;veth;help' {
            [CompletionResult]::new('pair', 'pair', [CompletionResultType]::ParameterValue, 'One pod''s interfaces and their host veths, with how the pairing was proven')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live per-pod rates and drop/error deltas, refreshed until interrupted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;veth;help;pair' {
            break
        }
        'podnet;veth;help;list' {
            break
        }
        'podnet;veth;help;top' {
            break
        }
        'podnet;veth;help;help' {
            break
        }
        'podnet;ethtool' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The pod or netns (any pod reference, or a netns path) the interface is in')
            [CompletionResult]::new('--netns', '--netns', [CompletionResultType]::ParameterName, 'The pod or netns (any pod reference, or a netns path) the interface is in')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;doctor' {
            [CompletionResult]::new('--node-netns', '--node-netns', [CompletionResultType]::ParameterName, 'Judge this network namespace as the node (a netns path, name or inode, or any PID in it) instead of the host''s; how a lab node is checked')
            [CompletionResult]::new('--lab', '--lab', [CompletionResultType]::ParameterName, 'Judge every node of a `podnet lab` at once, one section per node (NAME may be left out when one lab is up)')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Run only these checks (repeatable)')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Seconds between the two reads of the counters whose growth is judged')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;trace' {
            [CompletionResult]::new('--proto', '--proto', [CompletionResultType]::ParameterName, 'The protocol traced (default icmp; tcp when DESTINATION has a port)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Destination port (tcp/udp)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Then send real packets along the flow (3 echoes, connects or datagrams) while watching the kernel''s drops (eBPF), and say whether the kernel agrees with the blocked hop: the same direction and namespace')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;probe' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Attempts per source')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Attempts per source')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between attempts')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds each attempt waits for its answer')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'ICMP: bytes of each IP packet (like ping -s, plus the 28 header bytes)')
            [CompletionResult]::new('--tcp', '--tcp', [CompletionResultType]::ParameterName, 'TCP connect to this port')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'UDP datagram to this port')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'HTTP GET of this path (port 80, or --port)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'DNS lookup of this name, the target being the server (port 53, or --port)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port for --http or --dns')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--from-all', '--from-all', [CompletionResultType]::ParameterName, 'Probe from every pod on this machine instead of one')
            [CompletionResult]::new('--pmtu', '--pmtu', [CompletionResultType]::ParameterName, 'Find the largest don''t-fragment ICMP packet that reaches the target')
            [CompletionResult]::new('--why', '--why', [CompletionResultType]::ParameterName, 'Watch the kernel''s drops while probing and say, for the probe''s own lost packets, the reason, the kernel function and where they died, request or reply (needs eBPF)')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;drops' {
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Stop after this many seconds (default: at Ctrl-C)')
            [CompletionResult]::new('--pod', '--pod', [CompletionResultType]::ParameterName, 'Only drops of this pod: in its namespace, or of a packet from or to it (repeatable)')
            [CompletionResult]::new('--node-netns', '--node-netns', [CompletionResultType]::ParameterName, 'Only drops in this network namespace (a netns path, name or inode, or any PID in it)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Only drops with this reason, as the kernel names it (repeatable)')
            [CompletionResult]::new('--proto', '--proto', [CompletionResultType]::ParameterName, 'Only drops of packets of this protocol')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Lines per second for each kind of drop (reason, location, pod); the rest are counted')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'At the end, counts by reason × location × pod instead of a line per drop')
            [CompletionResult]::new('--no-bpf', '--no-bpf', [CompletionResultType]::ParameterName, 'Read the tracepoint through tracefs alone (no eBPF: reasons and locations only)')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;exec' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'This node''s name, as the API knows it (default: $NODE_NAME, then the hostname)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--kube', '--kube', [CompletionResultType]::ParameterName, 'Ask the Kubernetes API for this node''s pods (an error if unreachable). By default the API is asked only when a kubeconfig or an in-cluster service account is found, and a failure is a warning')
            [CompletionResult]::new('--no-kube', '--no-kube', [CompletionResultType]::ParameterName, 'Never contact the Kubernetes API; name pods from the node alone')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;completions' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a pod sandbox (netns + pause process) and ADD it to a network')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the attachments in libcni''s result cache and whether their sandbox is alive')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the attachments in libcni''s result cache and whether their sandbox is alive')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;cni;add' {
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'The network: a name in --conf-dir, or a .conflist/.conf file')
            [CompletionResult]::new('--ifname', '--ifname', [CompletionResultType]::ParameterName, 'The interface name inside the pod')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'Ask for this address (CNI_ARGS IP=…; host-local honours it)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;del' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;check' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;ls' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;list' {
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;gc' {
            [CompletionResult]::new('--min-age', '--min-age', [CompletionResultType]::ParameterName, 'Leave reservations, cache entries and netns younger than this many seconds alone (an ADD may be running)')
            [CompletionResult]::new('--conf-dir', '--conf-dir', [CompletionResultType]::ParameterName, 'Network configurations (.conflist, .conf, .json) looked up by name')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'CNI plugin directories, searched in order (a plugin of type podnet that is not there is this podnet binary)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'libcni''s cache directory (results in <DIR>/results)')
            [CompletionResult]::new('--netns-dir', '--netns-dir', [CompletionResultType]::ParameterName, 'Where pod network namespaces are bind-mounted')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only report what would be removed')
            [CompletionResult]::new('--include-uncached-networks', '--include-uncached-networks', [CompletionResultType]::ParameterName, 'Also judge the host-local stores of networks with no entry in the CNI cache (by default they are left alone: another runtime, a Multus delegate or a hand-run plugin may be using them)')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;cni;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a pod sandbox (netns + pause process) and ADD it to a network')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the attachments in libcni''s result cache and whether their sandbox is alive')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;cni;help;add' {
            break
        }
        'podnet;cni;help;del' {
            break
        }
        'podnet;cni;help;check' {
            break
        }
        'podnet;cni;help;ls' {
            break
        }
        'podnet;cni;help;gc' {
            break
        }
        'podnet;cni;help;help' {
            break
        }
        'podnet;lab' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone')
            [CompletionResult]::new('break', 'break', [CompletionResultType]::ParameterValue, 'Inject a fault into a running lab, to find it with podnet (and fix it)')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;lab;up' {
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'Number of nodes')
            [CompletionResult]::new('--pods', '--pods', [CompletionResultType]::ParameterName, 'Pods per node')
            [CompletionResult]::new('--overlay', '--overlay', [CompletionResultType]::ParameterName, 'How pod traffic crosses between nodes')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'How pods attach to their node (podnet''s CNI plugin mode)')
            [CompletionResult]::new('--cidr', '--cidr', [CompletionResultType]::ParameterName, 'The cluster''s pod CIDR; node k gets its k-th /24')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;down' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;status' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long each ping waits for its reply')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--no-probe', '--no-probe', [CompletionResultType]::ParameterName, 'Skip the reachability matrix')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;break' {
            [CompletionResult]::new('--node', '--node', [CompletionResultType]::ParameterName, 'The node (node2 or 2)')
            [CompletionResult]::new('--pod', '--pod', [CompletionResultType]::ParameterName, 'The pod (mtu, veth-down)')
            [CompletionResult]::new('--peer', '--peer', [CompletionResultType]::ParameterName, 'The other node (fdb, rp-filter, route)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--random', '--random', [CompletionResultType]::ParameterName, 'Pick a fault (and, unless given, its target) at random, without saying which')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;fix' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Reconcile everything (the default)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only report what differs from the desired state')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;exec' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The lab''s name (its directory is /run/podnet/lab/<NAME>)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;lab;help' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone')
            [CompletionResult]::new('break', 'break', [CompletionResultType]::ParameterValue, 'Inject a fault into a running lab, to find it with podnet (and fix it)')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;lab;help;up' {
            break
        }
        'podnet;lab;help;down' {
            break
        }
        'podnet;lab;help;status' {
            break
        }
        'podnet;lab;help;break' {
            break
        }
        'podnet;lab;help;fix' {
            break
        }
        'podnet;lab;help;exec' {
            break
        }
        'podnet;lab;help;help' {
            break
        }
        'podnet;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Write podnet.1 and podnet-<command>.1 pages into this directory instead')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: a table, a wider table with every column, or JSON')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output (NO_COLOR in the environment means never for `auto`)')
            [CompletionResult]::new('--host-root', '--host-root', [CompletionResultType]::ParameterName, 'Prefix for every host path podnet reads (/proc, /run, /var/lib/cni, /var/log/pods, …): `/host` in a DaemonSet that mounts the node there, or a fixture tree in tests')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say where each fact came from (file, netlink attribute); repeat for more')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'podnet;help' {
            [CompletionResult]::new('ns', 'ns', [CompletionResultType]::ParameterValue, 'Network namespaces on this node: their pause PIDs, interfaces and pods')
            [CompletionResult]::new('veth', 'veth', [CompletionResultType]::ParameterValue, 'Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters')
            [CompletionResult]::new('ethtool', 'ethtool', [CompletionResultType]::ParameterValue, 'Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Judge the node''s pod networking: forwarding, rp_filter, MTU, tunnels, routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine, kernel drop counters. Read-only')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent)')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Probe a target from inside a pod''s network namespace: ICMP echo, TCP, HTTP, UDP or DNS, with no tool in the pod''s image; --pmtu finds the path MTU')
            [CompletionResult]::new('drops', 'drops', [CompletionResultType]::ParameterValue, 'The node''s packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel function, the network namespace, pod, interface and flow of each')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a host program inside a pod''s network namespace only (like `nsenter -t <pause> -n`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('cni', 'cni', [CompletionResultType]::ParameterValue, 'Plumb pod networks by hand with CNI plugins (podnet''s own or the reference ones), and find what leaked')
            [CompletionResult]::new('lab', 'lab', [CompletionResultType]::ParameterValue, 'A simulated multi-node Kubernetes pod network on this machine, built from network namespaces')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, or write one page per command into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'podnet;help;ns' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List every network namespace: inode, host or pod, bind-mount paths, process count, pause PID, interfaces and the owning pod')
            [CompletionResult]::new('pids', 'pids', [CompletionResultType]::ParameterValue, 'Print the PIDs in a pod''s network namespace, pause PID first (like `lsns -p`)')
            break
        }
        'podnet;help;ns;list' {
            break
        }
        'podnet;help;ns;pids' {
            break
        }
        'podnet;help;veth' {
            [CompletionResult]::new('pair', 'pair', [CompletionResultType]::ParameterValue, 'One pod''s interfaces and their host veths, with how the pairing was proven')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Every pod interface on the node with its host veth; orphan host veths and non-veth attachments (ipvlan, macvlan, …) are listed as such')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live per-pod rates and drop/error deltas, refreshed until interrupted')
            break
        }
        'podnet;help;veth;pair' {
            break
        }
        'podnet;help;veth;list' {
            break
        }
        'podnet;help;veth;top' {
            break
        }
        'podnet;help;ethtool' {
            break
        }
        'podnet;help;doctor' {
            break
        }
        'podnet;help;trace' {
            break
        }
        'podnet;help;probe' {
            break
        }
        'podnet;help;drops' {
            break
        }
        'podnet;help;exec' {
            break
        }
        'podnet;help;completions' {
            break
        }
        'podnet;help;cni' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Create a pod sandbox (netns + pause process) and ADD it to a network')
            [CompletionResult]::new('del', 'del', [CompletionResultType]::ParameterValue, 'DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Re-run CHECK for a pod''s attachments against their cached results (exit 1 if one fails)')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the attachments in libcni''s result cache and whether their sandbox is alive')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive')
            break
        }
        'podnet;help;cni;add' {
            break
        }
        'podnet;help;cni;del' {
            break
        }
        'podnet;help;cni;check' {
            break
        }
        'podnet;help;cni;ls' {
            break
        }
        'podnet;help;cni;gc' {
            break
        }
        'podnet;help;lab' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Build a lab: nodes (network namespaces on an underlay switch), pods (namespaces held by pause processes, plumbed by podnet''s CNI plugin), and the overlay between the nodes')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Remove a lab: its pause processes (checked by PID, comm and netns), namespaces, mounts and files. Running it twice is fine')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Nodes, pods and a live pod-to-pod reachability matrix: for every pair, an ordinary ping and a don''t-fragment ping as big as the source''s MTU, sent in-process from inside each pod. Exit status 1 when a pair fails or a pod is gone')
            [CompletionResult]::new('break', 'break', [CompletionResultType]::ParameterValue, 'Inject a fault into a running lab, to find it with podnet (and fix it)')
            [CompletionResult]::new('fix', 'fix', [CompletionResultType]::ParameterValue, 'Restore the lab to its desired state: one fault''s aspect of it, or everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in both nftables and legacy iptables) whoever changed it')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command in a node''s or pod''s network namespace (only the network namespace is joined; the command is executed directly, no shell)')
            break
        }
        'podnet;help;lab;up' {
            break
        }
        'podnet;help;lab;down' {
            break
        }
        'podnet;help;lab;status' {
            break
        }
        'podnet;help;lab;break' {
            break
        }
        'podnet;help;lab;fix' {
            break
        }
        'podnet;help;lab;exec' {
            break
        }
        'podnet;help;man' {
            break
        }
        'podnet;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
