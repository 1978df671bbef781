//! Builders for a node made of namespaces: pods plumbed with iproute2, with the reference CNI plugins, or bind-mount only.
