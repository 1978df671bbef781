"""A minimal CRI client for the real-runtime tests: the few RuntimeService
calls they need, over containerd's gRPC socket, with the protobuf messages
encoded and decoded by hand (no generated code, no protoc; only grpcio).

    cri_client.py SOCKET METHOD [ARG]   (prints one JSON object)

METHOD: version | run (ARG: the pod as JSON) | status ID | stop ID | remove ID | list
"""

import json
import sys

import grpc

SERVICE = "/runtime.v1.RuntimeService/"
TIMEOUT_S = 120


# --------------------------------------------------------------- encoding

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int32/int64 are ten-byte two's complement
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, n):
    return varint(num << 3) + varint(n) if n else b""


def field_bytes(num, data):
    return varint((num << 3) | 2) + varint(len(data)) + data


def field_str(num, s):
    return field_bytes(num, s.encode()) if s else b""


def field_map(num, mapping):
    return b"".join(
        field_bytes(num, field_str(1, k) + field_str(2, v)) for k, v in sorted(mapping.items())
    )


PROTOCOLS = {"TCP": 0, "UDP": 1, "SCTP": 2}


def pod_sandbox_config(pod):
    """PodSandboxConfig from {name, uid, namespace, attempt, hostname,
    log_directory, cgroup_parent, port_mappings, labels, annotations}."""
    metadata = (
        field_str(1, pod["name"])
        + field_str(2, pod["uid"])
        + field_str(3, pod["namespace"])
        + field_varint(4, pod.get("attempt", 0))
    )
    ports = b"".join(
        field_bytes(
            5,
            field_varint(1, PROTOCOLS[p.get("protocol", "TCP")])
            + field_varint(2, p["container_port"])
            + field_varint(3, p.get("host_port", 0))
            + field_str(4, p.get("host_ip", "")),
        )
        for p in pod.get("port_mappings", [])
    )
    linux = field_str(1, pod.get("cgroup_parent", ""))
    return (
        field_bytes(1, metadata)
        + field_str(2, pod.get("hostname", ""))
        + field_str(3, pod.get("log_directory", ""))
        + ports
        + field_map(6, pod.get("labels", {}))
        + field_map(7, pod.get("annotations", {}))
        + field_bytes(8, linux)
    )


# --------------------------------------------------------------- decoding

def fields(data):
    """{field number: [values]}: ints for varints, bytes for length-delimited."""
    out = {}
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            size, i = read_varint(data, i)
            value, i = data[i:i + size], i + size
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.setdefault(num, []).append(value)
    return out


def read_varint(data, i):
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def one(f, num, default=b""):
    return f.get(num, [default])[0]


def text(f, num):
    return one(f, num).decode()


def string_map(f, num):
    out = {}
    for entry in f.get(num, []):
        e = fields(entry)
        out[text(e, 1)] = text(e, 2)
    return out


def metadata(data):
    m = fields(data)
    return {"name": text(m, 1), "uid": text(m, 2), "namespace": text(m, 3), "attempt": one(m, 4, 0)}


def sandbox_status(data):
    s = fields(data)
    net = fields(one(s, 5))
    ips = [net_ip for net_ip in [text(net, 1)] if net_ip]
    ips += [text(fields(extra), 1) for extra in net.get(2, [])]
    return {
        "id": text(s, 1),
        "metadata": metadata(one(s, 2)),
        "state": "SANDBOX_NOTREADY" if one(s, 3, 0) else "SANDBOX_READY",
        "ips": ips,
        "labels": string_map(s, 7),
        "annotations": string_map(s, 8),
    }


# --------------------------------------------------------------- calls

def call(channel, method, request):
    rpc = channel.unary_unary(SERVICE + method)
    return rpc(request, timeout=TIMEOUT_S, wait_for_ready=True)


def main(argv):
    socket, method = argv[1], argv[2]
    arg = argv[3] if len(argv) > 3 else ""
    with grpc.insecure_channel("unix://" + socket) as channel:
        if method == "version":
            v = fields(call(channel, "Version", b""))
            out = {"runtime_name": text(v, 2), "runtime_version": text(v, 3), "api_version": text(v, 4)}
        elif method == "run":
            pod = json.loads(arg)
            request = field_bytes(1, pod_sandbox_config(pod)) + field_str(2, pod.get("runtime_handler", ""))
            out = {"id": text(fields(call(channel, "RunPodSandbox", request)), 1)}
        elif method == "status":
            r = fields(call(channel, "PodSandboxStatus", field_str(1, arg) + field_varint(2, 1)))
            out = sandbox_status(one(r, 1))
            info = string_map(r, 2)
            out["info"] = json.loads(info["info"]) if "info" in info else None
        elif method == "stop":
            call(channel, "StopPodSandbox", field_str(1, arg))
            out = {}
        elif method == "remove":
            call(channel, "RemovePodSandbox", field_str(1, arg))
            out = {}
        elif method == "list":
            r = fields(call(channel, "ListPodSandbox", b""))
            out = {"items": [{"id": text(fields(i), 1), "metadata": metadata(one(fields(i), 2))} for i in r.get(1, [])]}
        else:
            raise SystemExit(f"unknown method {method}")
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    try:
        main(sys.argv)
    except grpc.RpcError as e:
        print(f"cri_client: {sys.argv[2]}: {e.code()}: {e.details()}", file=sys.stderr)
        sys.exit(1)
