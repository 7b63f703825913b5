#!/usr/bin/python3
"""A small Vertice client in Python, generated from proto/ (see README.md next to this file).

Commands:
  register  register an instance with a lease and keep it alive until stopped (then deregister)
  watch     watch services and print every pushed change, ACKing (or NACKing) each response
  list      list the registered services

Run with Debian's /usr/bin/python3 and python3-grpcio / python3-protobuf, after ./generate.sh.
"""

import argparse
import json
import os
import queue
import random
import re
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("VERTICE_PYTHON_GEN", os.path.join(HERE, "gen")))

try:
    import grpc
    from google.protobuf import duration_pb2
    from vertice.discovery.v1 import discovery_pb2, discovery_pb2_grpc
    from vertice.registry.v1 import registry_pb2, registry_pb2_grpc
except ImportError as e:  # pragma: no cover - setup problem, explained to the user
    sys.exit("vertice_client: %s\n  run ./generate.sh first, with /usr/bin/python3 and Debian's "
             "python3-grpcio and python3-protobuf installed" % e)

ENDPOINTS_TYPE = "type.googleapis.com/vertice.discovery.v1.Endpoints"
POLICY_TYPE = "type.googleapis.com/vertice.discovery.v1.TrafficPolicy"
TYPES = {ENDPOINTS_TYPE: discovery_pb2.Endpoints, POLICY_TYPE: discovery_pb2.TrafficPolicy}
INVALID_ARGUMENT = 3  # google.rpc.Code
# Status codes after which the same request is worth retrying (on a new stream, after a backoff).
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.RESOURCE_EXHAUSTED}
# Unary calls wait up to this long for a connection (wait_for_ready) and an answer.
CALL_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 16 << 20  # as the Java WatchClient


class Output:
    """Prints events: one line of text each, or one JSON object per line with --json. Thread-safe."""

    def __init__(self, as_json):
        self.as_json = as_json
        self.lock = threading.Lock()

    def event(self, name, text, **fields):
        with self.lock:
            if self.as_json:
                print(json.dumps(dict(event=name, **fields), sort_keys=True), flush=True)
            else:
                print(text, flush=True)


class Backoff:
    """Exponential backoff with full jitter: 100 ms doubling up to 5 s; reset after a success."""

    def __init__(self, first=0.1, cap=5.0):
        self.first, self.cap, self.attempt = first, cap, 0

    def next_delay(self):
        delay = min(self.cap, self.first * (2 ** self.attempt))
        self.attempt = min(self.attempt + 1, 16)
        return random.uniform(delay / 2, delay)

    def reset(self):
        self.attempt = 0


def parse_duration(text):
    """Parses '500ms', '10s', '2m' or '1h' into a google.protobuf.Duration."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError("'%s' is not a duration such as 500ms, 10s, 2m or 1h" % text)
    seconds = float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(round(seconds * 1e9)))
    return d


def describe_error(e):
    """Formats an RpcError: code and message. For INVALID_ARGUMENT the message already names every bad
    field; the same violations are in the google.rpc.BadRequest detail of grpc-status-details-bin."""
    return "%s: %s" % (e.code().name, e.details())


def health_name(value):
    return registry_pb2.HealthStatus.Name(value).replace("HEALTH_STATUS_", "")


def instance_fields(i):
    return dict(instance_id=i.instance_id, address=i.address, port=i.port, health=health_name(i.health),
                version=i.version, zone=i.zone, weight=i.weight, metadata=dict(i.metadata))


# --- register ----------------------------------------------------------------------------------

class Registrar:
    """Registers one instance and keeps its lease alive on a KeepAlive stream.

    A ping answered with expired = true (the control plane lost the lease: expired, or removed by a
    Deregister from elsewhere) registers the instance again and keeps pinging the new lease on the same
    stream. A broken stream is reopened after a backoff; if the lease expired meanwhile the first ping
    says so. On stop the instance is deregistered.
    """

    def __init__(self, channel, request, out):
        self.stub = registry_pb2_grpc.RegistryServiceStub(channel)
        self.request = request
        self.out = out
        self.stop = threading.Event()
        self.lease = None  # the current registry_pb2.Lease; read by the ping thread
        self.call = None
        self.backoff = Backoff()

    def register(self, again=False):
        while not self.stop.is_set():
            try:
                r = self.stub.Register(self.request, timeout=CALL_TIMEOUT_S, wait_for_ready=True)
            except grpc.RpcError as e:
                if e.code() not in RETRYABLE:
                    raise
                self.out.event("retrying", "register failed (%s); retrying" % describe_error(e),
                               error=describe_error(e))
                self.stop.wait(self.backoff.next_delay())
                continue
            # Later registrations reuse the instance id the control plane chose or confirmed.
            self.request.instance.instance_id = r.instance_id
            self.request.instance.service = r.service
            self.lease = r.lease
            name = "reregistered" if again else "registered"
            self.out.event(name, "%s %s/%s lease %s… ttl %.1fs keepalive %.1fs (endpoints version %s)" % (
                name, r.service, r.instance_id, r.lease.lease_id[:8], r.lease.ttl.ToNanoseconds() / 1e9,
                r.lease.keepalive_interval.ToNanoseconds() / 1e9, r.resource_version),
                service=r.service, instance_id=r.instance_id, lease_id=r.lease.lease_id,
                ttl_ms=r.lease.ttl.ToMilliseconds(), keepalive_ms=r.lease.keepalive_interval.ToMilliseconds(),
                resource_version=r.resource_version)
            return r
        return None

    def pings(self):
        """The KeepAlive request stream: a ping at once, then one per keepalive interval."""
        while not self.stop.is_set():
            lease = self.lease
            yield registry_pb2.KeepAliveRequest(lease_id=lease.lease_id)
            self.stop.wait(lease.keepalive_interval.ToNanoseconds() / 1e9)

    def keep_alive(self):
        while not self.stop.is_set():
            self.call = self.stub.KeepAlive(self.pings(), wait_for_ready=True)
            try:
                for answer in self.call:
                    self.backoff.reset()
                    if answer.expired:
                        if answer.lease_id != self.lease.lease_id:
                            continue  # an answer about a lease already replaced
                        self.out.event("expired", "lease %s… expired; registering again" % answer.lease_id[:8],
                                       lease_id=answer.lease_id)
                        self.register(again=True)
                    elif self.out.as_json:  # one line per ping is too chatty for people, fine for scripts
                        self.out.event("renewed", None, lease_id=answer.lease_id,
                                       remaining_ms=answer.remaining_ttl.ToMilliseconds())
                if not self.stop.is_set():
                    error = "the control plane ended the KeepAlive stream"
                    self.out.event("disconnected", error + "; reconnecting", error=error)
            except grpc.RpcError as e:
                if self.stop.is_set():
                    break
                if e.code() not in RETRYABLE:
                    raise
                self.out.event("disconnected", "KeepAlive stream ended (%s); reconnecting" % describe_error(e),
                               error=describe_error(e))
            self.stop.wait(self.backoff.next_delay())

    def shutdown(self):
        self.stop.set()
        if self.call is not None:
            self.call.cancel()


def cmd_register(args, channel, out):
    instance = registry_pb2.Instance(
        service=args.service, instance_id=args.instance_id or "", address=args.address, port=args.port,
        protocol=registry_pb2.PROTOCOL_GRPC if args.protocol == "grpc" else registry_pb2.PROTOCOL_HTTP,
        version=args.version or "", zone=args.zone or "", weight=args.weight or 0,
        metadata=dict(kv.split("=", 1) for kv in args.metadata))
    request = registry_pb2.RegisterRequest(instance=instance)
    if args.ttl:
        request.ttl.CopyFrom(args.ttl)
    if args.keepalive:
        request.keepalive_interval.CopyFrom(args.keepalive)
    registrar = Registrar(channel, request, out)
    on_signal(registrar.shutdown)
    try:
        if registrar.register() is None:
            return 0
    except grpc.RpcError as e:
        out.event("error", "register failed: " + describe_error(e), error=describe_error(e))
        return 1
    try:
        registrar.keep_alive()
    except grpc.RpcError as e:
        out.event("error", "KeepAlive failed: " + describe_error(e), error=describe_error(e))
        return 1
    try:
        registry_pb2_grpc.RegistryServiceStub(channel).Deregister(registry_pb2.DeregisterRequest(
            service=request.instance.service, instance_id=request.instance.instance_id), timeout=CALL_TIMEOUT_S,
            wait_for_ready=True)
        out.event("deregistered", "deregistered %s/%s" % (request.instance.service, request.instance.instance_id),
                  service=request.instance.service, instance_id=request.instance.instance_id)
    except grpc.RpcError as e:
        out.event("error", "deregister failed: " + describe_error(e), error=describe_error(e))
        return 1
    return 0


# --- watch -------------------------------------------------------------------------------------

class Watcher:
    """Watches Endpoints (and with --policies TrafficPolicy) resources and keeps the versions it holds.

    Every response is either applied and ACKed, or - when a resource cannot be decoded or is refused
    (--reject) - NACKed with the reason, keeping what was held before. After a broken stream it
    reconnects and resumes: the first request per type carries the held versions
    (initial_resource_versions), so the control plane sends only what differs, and its first answer
    per type means "in sync".
    """

    def __init__(self, channel, names, node, reject, policies, out):
        self.stub = discovery_pb2_grpc.DiscoveryServiceStub(channel)
        self.names = names
        self.node = node
        self.reject = set(reject)
        self.out = out
        self.types = [ENDPOINTS_TYPE] + ([POLICY_TYPE] if policies else [])
        self.held = {t: {} for t in self.types}  # type_url -> name -> (version, message)
        self.stop = threading.Event()
        self.call = None
        self.backoff = Backoff()

    def requests(self, outbox):
        for i, type_url in enumerate(self.types):
            first = discovery_pb2.WatchRequest(type_url=type_url, subscribe=self.names)
            if i == 0:
                first.node.CopyFrom(self.node)  # read from the stream's first request only
            for name, (version, _) in self.held[type_url].items():
                first.initial_resource_versions[name] = version
            yield first
        while True:
            request = outbox.get()
            if request is None:
                return
            yield request

    def decode(self, response):
        """Returns [(name, version, message)] or raises ValueError saying why the response is refused."""
        if response.type_url not in self.types:
            raise ValueError("unexpected type_url '%s'" % response.type_url)
        message_class = TYPES[response.type_url]
        decoded = []
        for r in response.resources:
            if not r.resource.Is(message_class.DESCRIPTOR):
                raise ValueError("resource '%s' is a %s, not a %s"
                                 % (r.name, r.resource.type_url, message_class.DESCRIPTOR.full_name))
            value = message_class()
            try:
                if not r.resource.Unpack(value):
                    raise ValueError("type mismatch")
            except Exception as e:  # DecodeError and friends: the bytes are not such a message
                raise ValueError("resource '%s' cannot be decoded: %s" % (r.name, e))
            if value.service != r.name:
                raise ValueError("resource '%s' holds a value of service '%s'" % (r.name, value.service))
            if r.name in self.reject:
                raise ValueError("resource '%s' refused by this client (--reject)" % r.name)
            decoded.append((r.name, r.version, value))
        return decoded

    def on_response(self, response, outbox, synced):
        type_url = response.type_url
        try:
            decoded = self.decode(response)
        except ValueError as e:
            # NACK: keep what we hold; the control plane resends the resource when its version changes.
            outbox.put(discovery_pb2.WatchRequest(
                type_url=type_url, response_nonce=response.nonce,
                error_detail=discovery_pb2.ErrorDetail(code=INVALID_ARGUMENT, message=str(e))))
            self.out.event("nack", "NACK nonce %s: %s" % (response.nonce, e), nonce=response.nonce, reason=str(e))
            return
        held = self.held[type_url]
        for name, version, value in decoded:
            held[name] = (version, value)
            if type_url == ENDPOINTS_TYPE:
                self.print_endpoints(name, version, value)
            else:
                self.print_policy(name, version, value)
        for name in response.removed_resources:
            was_held = held.pop(name, None) is not None
            if type_url == ENDPOINTS_TYPE:
                self.out.event("removed", "%s %s" % (name, "removed" if was_held else "has no instances"),
                               service=name, was_held=was_held)
            else:
                self.out.event("policy_removed", "%s has no traffic policy%s: route by instance weight"
                               % (name, " any more" if was_held else ""), service=name, was_held=was_held)
        outbox.put(discovery_pb2.WatchRequest(type_url=type_url, response_nonce=response.nonce))
        if type_url not in synced:
            synced.add(type_url)
            kind = "service(s)" if type_url == ENDPOINTS_TYPE else "traffic policy(ies)"
            self.out.event("synced", "in sync (%d %s held)" % (len(held), kind), type=type_url,
                           services=sorted(held))

    def print_endpoints(self, name, version, endpoints):
        instances = list(endpoints.instances)
        lines = ["%s version %s: %d instance(s)" % (name, version, len(instances))]
        lines += ["  %s %s:%d %s %s%s weight %d" % (i.instance_id, i.address, i.port, health_name(i.health),
                                                    i.version, " zone " + i.zone if i.zone else "", i.weight)
                  for i in instances]
        self.out.event("update", "\n".join(lines), service=name, version=version,
                       instances=[instance_fields(i) for i in instances])

    def print_policy(self, name, version, policy):
        split = ", ".join("%s %d" % (s.version, s.weight) for s in policy.subsets) or "no split"
        self.out.event("policy", "%s traffic policy version %s: %s%s" % (
            name, version, split, " (rollout %s)" % policy.rollout_id if policy.rollout_id else ""),
            service=name, version=version, rollout_id=policy.rollout_id,
            subsets=[dict(version=s.version, weight=s.weight) for s in policy.subsets])

    def run(self):
        while not self.stop.is_set():
            outbox = queue.Queue()
            self.call = self.stub.Watch(self.requests(outbox), wait_for_ready=True)
            synced = set()  # the types answered on this stream
            try:
                for response in self.call:
                    self.backoff.reset()
                    self.on_response(response, outbox, synced)
                error = "the control plane ended the Watch stream"
            except grpc.RpcError as e:
                if self.stop.is_set():
                    break
                if e.code() not in RETRYABLE:
                    outbox.put(None)
                    raise
                error = describe_error(e)
            finally:
                outbox.put(None)
            if self.stop.is_set():
                break
            held = sum(len(h) for h in self.held.values())
            self.out.event("disconnected", "Watch stream ended (%s); resuming with %d held version(s)"
                           % (error, held), error=error, held=held)
            self.stop.wait(self.backoff.next_delay())

    def shutdown(self):
        self.stop.set()
        if self.call is not None:
            self.call.cancel()


def cmd_watch(args, channel, out):
    node = discovery_pb2.Node(id=args.node_id or "python-%d" % os.getpid(), kind="python-example")
    watcher = Watcher(channel, args.services, node, args.reject, args.policies, out)
    on_signal(watcher.shutdown)
    try:
        watcher.run()
    except grpc.RpcError as e:
        out.event("error", "Watch failed: " + describe_error(e), error=describe_error(e))
        return 1
    return 0


# --- list --------------------------------------------------------------------------------------

def cmd_list(args, channel, out):
    try:
        r = registry_pb2_grpc.RegistryServiceStub(channel).ListServices(
            registry_pb2.ListServicesRequest(), timeout=CALL_TIMEOUT_S, wait_for_ready=True)
    except grpc.RpcError as e:
        out.event("error", "ListServices failed: " + describe_error(e), error=describe_error(e))
        return 1
    if out.as_json:
        out.event("services", None, system_version=r.system_version, services=[
            dict(service=s.service, instances=s.instance_count, serving=s.serving_count,
                 resource_version=s.resource_version) for s in r.services])
    else:
        print("%-40s %9s %7s  %s" % ("SERVICE", "INSTANCES", "SERVING", "VERSION"))
        for s in r.services:
            print("%-40s %9d %7d  %s" % (s.service, s.instance_count, s.serving_count, s.resource_version))
        print("(registry version %s)" % r.system_version, flush=True)
    return 0


# --- main --------------------------------------------------------------------------------------

def on_signal(stop):
    """SIGINT and SIGTERM stop the running command gracefully (a registration is then deregistered)."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: stop())


def main(argv=None):
    p = argparse.ArgumentParser(prog="vertice_client.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default=os.environ.get("VERTICE_TARGET", "127.0.0.1:7700"),
                   help="control plane host:port (default $VERTICE_TARGET or 127.0.0.1:7700)")
    p.add_argument("--json", action="store_true", help="print one JSON object per event and line")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("register", help="register an instance and keep its lease alive until stopped")
    r.add_argument("service")
    r.add_argument("--address", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--instance-id", help="default: generated by the control plane")
    r.add_argument("--protocol", choices=["http", "grpc"], default="http")
    r.add_argument("--version", help="version label (default v1)")
    r.add_argument("--zone")
    r.add_argument("--weight", type=int, help="1-10000 (default 100)")
    r.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--ttl", type=parse_duration, help="lease TTL, e.g. 30s (default: server's, 60s)")
    r.add_argument("--keepalive", type=parse_duration, help="ping interval, e.g. 10s (default: server's)")

    w = sub.add_parser("watch", help="print every pushed change of the named services ('*' for all)")
    w.add_argument("services", nargs="+")
    w.add_argument("--node-id", help="identity shown in the control plane's logs (default python-PID)")
    w.add_argument("--reject", action="append", default=[], metavar="SERVICE",
                   help="NACK every response carrying this service, as a client that cannot apply it would")
    w.add_argument("--policies", action="store_true",
                   help="also watch the services' TrafficPolicy (version split) on the same stream")

    sub.add_parser("list", help="list the registered services")

    args = p.parse_args(argv)
    for kv in getattr(args, "metadata", []):
        if "=" not in kv:
            p.error("--metadata '%s' is not KEY=VALUE" % kv)
    out = Output(args.json)
    # Reconnect quickly after a control plane restarts (gRPC's default waits up to 2 minutes), and
    # accept large responses: one Endpoints resource of a big service may exceed gRPC's default 4 MiB.
    options = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
               ("grpc.max_reconnect_backoff_ms", 2000), ("grpc.max_receive_message_length", MAX_RESPONSE_BYTES)]
    with grpc.insecure_channel(args.target, options=options) as channel:
        return {"register": cmd_register, "watch": cmd_watch, "list": cmd_list}[args.command](args, channel, out)


if __name__ == "__main__":
    sys.exit(main())
