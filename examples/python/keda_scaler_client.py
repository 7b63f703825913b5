#!/usr/bin/python3
"""Asks Vertice's control plane what KEDA would ask it, on KEDA's external scaler API
(externalscaler.ExternalScaler, generated from proto/externalscaler/externalscaler.proto).

Commands:
  is-active  IsActive: whether the service has traffic
  spec       GetMetricSpec: the metric name and its target per replica
  metrics    GetMetrics: the metric's current value
  stream     StreamIsActive: print the activity now and at each change, until stopped

Metadata as a ScaledObject's trigger gives it: --metadata service=orders --metadata metric=rps
--metadata target=100 (see docs/autoscaling.md). Run with Debian's /usr/bin/python3 and
python3-grpcio / python3-protobuf, after ./generate.sh. Errors print the gRPC status and its
message (which names each bad metadata key) and exit 1.
"""

import argparse
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("VERTICE_PYTHON_GEN", os.path.join(HERE, "gen")))

try:
    import grpc
    from externalscaler import externalscaler_pb2, externalscaler_pb2_grpc
except ImportError as e:  # pragma: no cover - setup problem, explained to the user
    sys.exit("keda_scaler_client: %s\n  run ./generate.sh first, with /usr/bin/python3 and Debian's "
             "python3-grpcio and python3-protobuf installed" % e)

CALL_TIMEOUT_S = 10.0


def emit(as_json, name, text, **fields):
    if as_json:
        print(json.dumps(dict(event=name, **fields), sort_keys=True), flush=True)
    else:
        print(text, flush=True)


def metadata(pairs):
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError("--metadata '%s' is not key=value" % pair)
        out[key] = value
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="keda_scaler_client.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--target", default=os.environ.get("VERTICE_TARGET", "127.0.0.1:7700"),
                   help="the control plane's gRPC address (default 127.0.0.1:7700)")
    p.add_argument("--json", action="store_true", help="one JSON object per event and line")
    p.add_argument("--name", default="scaled-object", help="ScaledObjectRef.name")
    p.add_argument("--namespace", default="default", help="ScaledObjectRef.namespace")
    p.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                   help="one trigger metadata entry (repeat)")
    p.add_argument("command", choices=["is-active", "spec", "metrics", "stream"])
    args = p.parse_args(argv)
    try:
        md = metadata(args.metadata)
    except argparse.ArgumentTypeError as e:
        p.error(str(e))
    ref = externalscaler_pb2.ScaledObjectRef(name=args.name, namespace=args.namespace, scalerMetadata=md)
    channel = grpc.insecure_channel(args.target)
    stub = externalscaler_pb2_grpc.ExternalScalerStub(channel)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.command == "is-active":
            r = stub.IsActive(ref, timeout=CALL_TIMEOUT_S, wait_for_ready=True)
            emit(args.json, "active", "active: %s" % r.result, result=r.result)
        elif args.command == "spec":
            r = stub.GetMetricSpec(ref, timeout=CALL_TIMEOUT_S, wait_for_ready=True)
            for s in r.metricSpecs:
                emit(args.json, "spec", "%s target %g per replica" % (s.metricName, s.targetSizeFloat),
                     metric=s.metricName, target=s.targetSizeFloat)
        elif args.command == "metrics":
            spec = stub.GetMetricSpec(ref, timeout=CALL_TIMEOUT_S, wait_for_ready=True)
            name = spec.metricSpecs[0].metricName
            r = stub.GetMetrics(externalscaler_pb2.GetMetricsRequest(scaledObjectRef=ref, metricName=name),
                                timeout=CALL_TIMEOUT_S, wait_for_ready=True)
            for v in r.metricValues:
                emit(args.json, "metric", "%s = %g" % (v.metricName, v.metricValueFloat),
                     metric=v.metricName, value=v.metricValueFloat)
        else:
            # No deadline: the stream lasts until the process is stopped (as KEDA keeps it).
            for r in stub.StreamIsActive(ref, wait_for_ready=True):
                emit(args.json, "active", "active: %s" % r.result, result=r.result)
    except grpc.RpcError as e:
        emit(args.json, "error", "%s: %s" % (e.code().name, e.details()),
             error="%s: %s" % (e.code().name, e.details()))
        return 1
    finally:
        channel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
