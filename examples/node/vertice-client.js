#!/usr/bin/env node
'use strict';
// A small Vertice client in Node.js (see README.md next to this file).
//
//   register  register an instance with a lease and keep it alive until stopped (then deregister)
//   watch     watch services and print every pushed change, ACKing (or NACKing) each response
//   list      list the registered services
//
// The .proto files are loaded at run time from proto/ with @grpc/proto-loader; the well-known types
// (google.protobuf.Any, Duration) come with protobufjs.

const path = require('node:path');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTO_DIR = process.env.VERTICE_PROTO_DIR || path.resolve(__dirname, '..', '..', 'proto');
const FILES = ['vertice/registry/v1/registry.proto', 'vertice/discovery/v1/discovery.proto'];
const ENDPOINTS_TYPE = 'type.googleapis.com/vertice.discovery.v1.Endpoints';
const POLICY_TYPE = 'type.googleapis.com/vertice.discovery.v1.TrafficPolicy';
const INVALID_ARGUMENT = 3; // google.rpc.Code
const CALL_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 16 << 20; // as the Java WatchClient
// Status codes after which the same request is worth retrying (on a new stream, after a backoff).
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED,
  grpc.status.UNKNOWN, grpc.status.INTERNAL, grpc.status.RESOURCE_EXHAUSTED]);

// Field names as in the .proto (snake_case); enums as their names; int64 (Duration.seconds) as numbers.
const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  includeDirs: [PROTO_DIR] };
const definition = protoLoader.loadSync(FILES, LOADER_OPTIONS);
const api = grpc.loadPackageDefinition(definition);
const RegistryService = api.vertice.registry.v1.RegistryService;
const DiscoveryService = api.vertice.discovery.v1.DiscoveryService;

// The same files through protobufjs, to unpack google.protobuf.Any values ourselves: a resource that
// cannot be decoded must be NACKed, not make the whole response fail.
const root = new protobuf.Root();
root.resolvePath = (origin, target) => path.join(PROTO_DIR, target);
root.loadSync(FILES, { keepCase: true });
const MESSAGE_TYPES = {
  [ENDPOINTS_TYPE]: root.lookupType('vertice.discovery.v1.Endpoints'),
  [POLICY_TYPE]: root.lookupType('vertice.discovery.v1.TrafficPolicy'),
};

/** Prints events: one line of text each, or one JSON object per line with --json. */
class Output {
  constructor(json) {
    this.json = json;
  }

  event(name, text, fields = {}) {
    if (this.json) {
      process.stdout.write(JSON.stringify({ event: name, ...fields }) + '\n');
    } else if (text !== null) {
      process.stdout.write(text + '\n');
    }
  }
}

/** Exponential backoff with jitter: 100 ms doubling up to 5 s; reset after a success. */
class Backoff {
  constructor(first = 100, cap = 5000) {
    this.first = first;
    this.cap = cap;
    this.attempt = 0;
  }

  nextDelayMs() {
    const delay = Math.min(this.cap, this.first * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return delay / 2 + Math.random() * delay / 2;
  }

  reset() {
    this.attempt = 0;
  }
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => {
    clearTimeout(t);
    resolve();
  }, { once: true });
});

function parseDuration(text, option) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) {
    usage(`--${option} '${text}' is not a duration such as 500ms, 10s, 2m or 1h`);
  }
  const nanos = Math.round(Number(m[1]) * { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2]]);
  return { seconds: Math.floor(nanos / 1e9), nanos: nanos % 1e9 };
}

const durationMs = (d) => (d ? Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6) : 0);
const describe = (e) => `${grpc.status[e.code] ?? e.code}: ${e.details}`;
const healthName = (h) => String(h).replace('HEALTH_STATUS_', '');
const deadline = () => new Date(Date.now() + CALL_TIMEOUT_MS);

/** Calls a unary method once the channel is connected (or the wait gave up), with a deadline. */
async function unary(client, method, request) {
  await connected(client);
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline() }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

/** Waits (up to a few seconds) until the channel is connected, so that a new stream does not fail fast. */
function connected(client) {
  return new Promise((resolve) => client.waitForReady(new Date(Date.now() + 5000), () => resolve()));
}

// --- register ------------------------------------------------------------------------------------

/**
 * Registers one instance and keeps its lease alive on a KeepAlive stream. A ping answered with
 * expired = true (the lease expired, or the instance was deregistered from elsewhere) registers the
 * instance again and pings the new lease on the same stream. A broken stream is reopened after a
 * backoff. On stop, the instance is deregistered.
 */
async function register(client, request, out, stop) {
  const backoff = new Backoff();
  let lease = null;

  async function doRegister(again) {
    while (!stop.aborted) {
      try {
        const r = await unary(client, 'Register', request);
        // Later registrations reuse the canonical name and the instance id the control plane confirmed.
        request.instance.instance_id = r.instance_id;
        request.instance.service = r.service;
        lease = r.lease;
        const name = again ? 'reregistered' : 'registered';
        out.event(name, `${name} ${r.service}/${r.instance_id} lease ${r.lease.lease_id.slice(0, 8)}… ttl `
          + `${durationMs(r.lease.ttl) / 1000}s keepalive ${durationMs(r.lease.keepalive_interval) / 1000}s `
          + `(endpoints version ${r.resource_version})`, {
          service: r.service, instance_id: r.instance_id, lease_id: r.lease.lease_id,
          ttl_ms: durationMs(r.lease.ttl), keepalive_ms: durationMs(r.lease.keepalive_interval),
          resource_version: r.resource_version,
        });
        return true;
      } catch (e) {
        if (!RETRYABLE.has(e.code)) {
          throw e;
        }
        out.event('retrying', `register failed (${describe(e)}); retrying`, { error: describe(e) });
        await sleep(backoff.nextDelayMs(), stop);
      }
    }
    return false;
  }

  if (!(await doRegister(false))) {
    return;
  }
  while (!stop.aborted) {
    await connected(client);
    const ended = await new Promise((resolve, reject) => {
      const call = client.KeepAlive();
      let timer = null;
      let reregistering = Promise.resolve();
      const ping = () => {
        if (stop.aborted) {
          return;
        }
        call.write({ lease_id: lease.lease_id });
        timer = setTimeout(ping, durationMs(lease.keepalive_interval));
      };
      const onStop = () => call.cancel();
      stop.addEventListener('abort', onStop, { once: true });
      call.on('data', (answer) => {
        backoff.reset();
        if (answer.expired) {
          if (answer.lease_id !== lease.lease_id) {
            return; // an answer about a lease already replaced
          }
          out.event('expired', `lease ${answer.lease_id.slice(0, 8)}… expired; registering again`,
            { lease_id: answer.lease_id });
          reregistering = reregistering.then(() => doRegister(true)).catch((e) => {
            call.cancel();
            reject(e);
          });
        } else {
          // One line per ping is too chatty for people, fine for scripts.
          out.event('renewed', null, { lease_id: answer.lease_id, remaining_ms: durationMs(answer.remaining_ttl) });
        }
      });
      const finish = (result) => {
        clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
        resolve(result);
      };
      call.on('error', (e) => {
        if (stop.aborted || RETRYABLE.has(e.code)) {
          finish(describe(e));
        } else {
          clearTimeout(timer);
          stop.removeEventListener('abort', onStop);
          reject(e);
        }
      });
      call.on('end', () => finish('the control plane ended the KeepAlive stream'));
      ping();
    });
    if (stop.aborted) {
      break;
    }
    out.event('disconnected', `KeepAlive stream ended (${ended}); reconnecting`, { error: ended });
    await sleep(backoff.nextDelayMs(), stop);
  }
  const { service, instance_id } = request.instance;
  await unary(client, 'Deregister', { service, instance_id });
  out.event('deregistered', `deregistered ${service}/${instance_id}`, { service, instance_id });
}

// --- watch ---------------------------------------------------------------------------------------

/**
 * Watches Endpoints (and with --policies TrafficPolicy) resources and keeps the versions it holds.
 * Every response is either applied and ACKed, or NACKed with the reason when a resource cannot be
 * decoded or is refused (--reject); what was held is then kept. After a broken stream it resumes:
 * the first request per type carries the held versions (initial_resource_versions), so only what
 * differs is sent, and the first answer per type means "in sync".
 */
async function watch(client, names, node, reject, policies, out, stop) {
  const types = policies ? [ENDPOINTS_TYPE, POLICY_TYPE] : [ENDPOINTS_TYPE];
  const held = new Map(types.map((t) => [t, new Map()])); // type_url -> name -> { version, value }
  const backoff = new Backoff();
  const heldCount = () => [...held.values()].reduce((n, m) => n + m.size, 0);

  function decode(response) {
    const type = MESSAGE_TYPES[response.type_url];
    if (!held.has(response.type_url) || !type) {
      throw new Error(`unexpected type_url '${response.type_url}'`);
    }
    return response.resources.map((r) => {
      if (!r.resource || r.resource.type_url !== response.type_url) {
        throw new Error(`resource '${r.name}' is a ${r.resource && r.resource.type_url}, not a ${type.fullName.slice(1)}`);
      }
      let value;
      try {
        // A plain Reader over a copy, not the BufferReader protobufjs picks for a Node Buffer: that one
        // silently cuts a string that runs past the end of the bytes instead of failing.
        const reader = new protobuf.Reader(new Uint8Array(r.resource.value));
        value = type.toObject(type.decode(reader), { enums: String, longs: Number, defaults: true });
      } catch (e) {
        throw new Error(`resource '${r.name}' cannot be decoded: ${e.message}`);
      }
      if (value.service !== r.name) {
        throw new Error(`resource '${r.name}' holds a value of service '${value.service}'`);
      }
      if (reject.has(r.name)) {
        throw new Error(`resource '${r.name}' refused by this client (--reject)`);
      }
      return { name: r.name, version: r.version, value };
    });
  }

  function printEndpoints(name, version, endpoints) {
    const instances = endpoints.instances.map((i) => ({
      instance_id: i.instance_id, address: i.address, port: i.port, health: healthName(i.health),
      version: i.version, zone: i.zone, weight: i.weight, metadata: i.metadata,
    }));
    const lines = [`${name} version ${version}: ${instances.length} instance(s)`, ...instances.map((i) =>
      `  ${i.instance_id} ${i.address}:${i.port} ${i.health} ${i.version}${i.zone ? ` zone ${i.zone}` : ''} weight ${i.weight}`)];
    out.event('update', lines.join('\n'), { service: name, version, instances });
  }

  function printPolicy(name, version, policy) {
    const subsets = policy.subsets.map((s) => ({ version: s.version, weight: s.weight }));
    const split = subsets.map((s) => `${s.version} ${s.weight}`).join(', ') || 'no split';
    out.event('policy', `${name} traffic policy version ${version}: ${split}`
      + (policy.rollout_id ? ` (rollout ${policy.rollout_id})` : ''),
    { service: name, version, rollout_id: policy.rollout_id, subsets });
  }

  function onResponse(call, response, synced) {
    const typeUrl = response.type_url;
    let decoded;
    try {
      decoded = decode(response);
    } catch (e) {
      // NACK: keep what we hold; the control plane resends the resource when its version changes.
      call.write({ type_url: typeUrl, response_nonce: response.nonce,
        error_detail: { code: INVALID_ARGUMENT, message: e.message } });
      out.event('nack', `NACK nonce ${response.nonce}: ${e.message}`, { nonce: response.nonce, reason: e.message });
      return;
    }
    const mine = held.get(typeUrl);
    for (const { name, version, value } of decoded) {
      mine.set(name, { version, value });
      (typeUrl === ENDPOINTS_TYPE ? printEndpoints : printPolicy)(name, version, value);
    }
    for (const name of response.removed_resources) {
      const wasHeld = mine.delete(name);
      if (typeUrl === ENDPOINTS_TYPE) {
        out.event('removed', `${name} ${wasHeld ? 'removed' : 'has no instances'}`, { service: name, was_held: wasHeld });
      } else {
        out.event('policy_removed', `${name} has no traffic policy${wasHeld ? ' any more' : ''}: route by instance weight`,
          { service: name, was_held: wasHeld });
      }
    }
    call.write({ type_url: typeUrl, response_nonce: response.nonce });
    if (!synced.has(typeUrl)) {
      synced.add(typeUrl);
      const kind = typeUrl === ENDPOINTS_TYPE ? 'service(s)' : 'traffic policy(ies)';
      out.event('synced', `in sync (${mine.size} ${kind} held)`, { type: typeUrl, services: [...mine.keys()].sort() });
    }
  }

  while (!stop.aborted) {
    await connected(client);
    const ended = await new Promise((resolve, fail) => {
      const call = client.Watch();
      const synced = new Set(); // the types answered on this stream
      const onStop = () => call.cancel();
      stop.addEventListener('abort', onStop, { once: true });
      const finish = (result) => {
        stop.removeEventListener('abort', onStop);
        resolve(result);
      };
      call.on('data', (response) => {
        backoff.reset();
        onResponse(call, response, synced);
      });
      call.on('error', (e) => {
        if (stop.aborted || RETRYABLE.has(e.code)) {
          finish(describe(e));
        } else {
          stop.removeEventListener('abort', onStop);
          fail(e);
        }
      });
      call.on('end', () => finish('the control plane ended the Watch stream'));
      types.forEach((typeUrl, i) => {
        const initial = {};
        for (const [name, { version }] of held.get(typeUrl)) {
          initial[name] = version;
        }
        // node is read from the stream's first request only.
        call.write({ type_url: typeUrl, subscribe: names, initial_resource_versions: initial, ...(i === 0 ? { node } : {}) });
      });
    });
    if (stop.aborted) {
      break;
    }
    out.event('disconnected', `Watch stream ended (${ended}); resuming with ${heldCount()} held version(s)`,
      { error: ended, held: heldCount() });
    await sleep(backoff.nextDelayMs(), stop);
  }
}

// --- list ----------------------------------------------------------------------------------------

async function list(client, out) {
  const r = await unary(client, 'ListServices', {});
  if (out.json) {
    out.event('services', null, { system_version: r.system_version, services: r.services.map((s) => ({
      service: s.service, instances: s.instance_count, serving: s.serving_count, resource_version: s.resource_version,
    })) });
    return;
  }
  const row = (a, b, c, d) => `${a.padEnd(40)} ${String(b).padStart(9)} ${String(c).padStart(7)}  ${d}`;
  console.log(row('SERVICE', 'INSTANCES', 'SERVING', 'VERSION'));
  for (const s of r.services) {
    console.log(row(s.service, s.instance_count, s.serving_count, s.resource_version));
  }
  console.log(`(registry version ${r.system_version})`);
}

// --- main ----------------------------------------------------------------------------------------

const USAGE = `usage: vertice-client.js [--target HOST:PORT] [--json] COMMAND ...

  register SERVICE --address A --port P [--instance-id ID] [--protocol http|grpc] [--version v1]
           [--zone Z] [--weight 1-10000] [--metadata KEY=VALUE]... [--ttl 30s] [--keepalive 10s]
      register an instance and keep its lease alive until SIGINT/SIGTERM (then deregister)
  watch NAME... [--node-id ID] [--reject NAME]... [--policies]
      print every pushed change of the named services ('*' for all), ACK each response;
      --reject NACKs every response carrying NAME, as a client that cannot apply it would;
      --policies also watches their TrafficPolicy (version split) on the same stream
  list
      list the registered services

  --target   control plane address (default $VERTICE_TARGET or 127.0.0.1:7700)
  --json     one JSON object per event and line`;

function usage(message) {
  process.stderr.write(`vertice-client.js: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        target: { type: 'string', default: process.env.VERTICE_TARGET || '127.0.0.1:7700' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        address: { type: 'string' },
        port: { type: 'string' },
        'instance-id': { type: 'string', default: '' },
        protocol: { type: 'string', default: 'http' },
        version: { type: 'string', default: '' },
        zone: { type: 'string', default: '' },
        weight: { type: 'string', default: '0' },
        metadata: { type: 'string', multiple: true, default: [] },
        ttl: { type: 'string' },
        keepalive: { type: 'string' },
        'node-id': { type: 'string' },
        reject: { type: 'string', multiple: true, default: [] },
        policies: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    usage(e.message);
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const [command, ...rest] = positionals;
  const out = new Output(o.json);
  // Reconnect quickly after a control plane restarts (gRPC's default backoff grows to 2 minutes), and
  // accept large responses: one Endpoints resource of a big service may exceed gRPC's default 4 MiB.
  const options = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 2000,
    'grpc.max_receive_message_length': MAX_RESPONSE_BYTES };
  const credentials = grpc.credentials.createInsecure();
  const stopper = new AbortController();
  for (const s of ['SIGINT', 'SIGTERM']) {
    process.on(s, () => stopper.abort());
  }
  try {
    if (command === 'register') {
      if (rest.length !== 1 || !o.address || !o.port) {
        usage('register needs SERVICE, --address and --port');
      }
      if (!['http', 'grpc'].includes(o.protocol)) {
        usage(`--protocol '${o.protocol}' is not http or grpc`);
      }
      const metadata = {};
      for (const kv of o.metadata) {
        const eq = kv.indexOf('=');
        if (eq < 0) {
          usage(`--metadata '${kv}' is not KEY=VALUE`);
        }
        metadata[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      const request = {
        instance: { service: rest[0], instance_id: o['instance-id'], address: o.address, port: Number(o.port),
          protocol: o.protocol === 'grpc' ? 'PROTOCOL_GRPC' : 'PROTOCOL_HTTP', version: o.version, zone: o.zone,
          weight: Number(o.weight), metadata },
      };
      if (o.ttl) {
        request.ttl = parseDuration(o.ttl, 'ttl');
      }
      if (o.keepalive) {
        request.keepalive_interval = parseDuration(o.keepalive, 'keepalive');
      }
      await register(new RegistryService(o.target, credentials, options), request, out, stopper.signal);
    } else if (command === 'watch') {
      if (rest.length === 0) {
        usage('watch needs at least one service name (or \'*\')');
      }
      const node = { id: o['node-id'] || `node-${process.pid}`, kind: 'node-example' };
      await watch(new DiscoveryService(o.target, credentials, options), rest, node, new Set(o.reject), o.policies,
        out, stopper.signal);
    } else if (command === 'list') {
      await list(new RegistryService(o.target, credentials, options), out);
    } else {
      usage(command ? `unknown command '${command}'` : 'a command is required');
    }
  } catch (e) {
    if (e.code === undefined) {
      throw e;
    }
    out.event('error', `${command} failed: ${describe(e)}`, { error: describe(e) });
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`vertice-client.js: ${e.stack || e}\n`);
  process.exit(1);
});
