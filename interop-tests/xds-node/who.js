#!/usr/bin/env node
// A proxyless gRPC client in Node: @grpc/grpc-js with @grpc/grpc-js-xds, pointed at the Vertice
// control plane by an xDS bootstrap file (GRPC_XDS_BOOTSTRAP=/path/to/bootstrap.json).
//
//   node who.js <service>
//
// Calls vertice.interop.Who/Name (google.protobuf.Empty in, google.protobuf.StringValue out) on
// xds:///<service>. Reads commands on stdin, one per line, and answers each with one JSON line:
//   call <n>   makes n calls (50 at a time); answers {"counts": {"<instance id>": k, "error:<code>": k}}
//   quit       exits
'use strict';

const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');
const readline = require('readline');

const MAX_CALLS = 100000;
const CONCURRENCY = 50;

const service = process.argv[2];
if (!service) {
  process.stderr.write('usage: node who.js <service>\n');
  process.exit(2);
}
if (!process.env.GRPC_XDS_BOOTSTRAP && !process.env.GRPC_XDS_BOOTSTRAP_CONFIG) {
  process.stderr.write('who.js: set GRPC_XDS_BOOTSTRAP to the path of an xDS bootstrap file\n');
  process.exit(2);
}

xds.register();
const client = new grpc.Client(`xds:///${service}`, grpc.credentials.createInsecure());

// google.protobuf.StringValue: field 1 (tag 0x0a), varint length, UTF-8 bytes.
function decodeStringValue(buf) {
  if (buf.length === 0) {
    return '';
  }
  if (buf[0] !== 0x0a) {
    throw new Error('unexpected StringValue encoding');
  }
  let len = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = buf[i++];
    len |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      break;
    }
    shift += 7;
  }
  return buf.subarray(i, i + len).toString('utf8');
}

function callOnce() {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/vertice.interop.Who/Name', () => Buffer.alloc(0), decodeStringValue,
        {}, { deadline: Date.now() + 5000 }, (err, value) => resolve(err ? `error:${err.code}` : value));
  });
}

async function calls(n) {
  const counts = {};
  let started = 0;
  async function worker() {
    while (started < n) {
      started++;
      const who = await callOnce();
      counts[who] = (counts[who] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
  return counts;
}

const rl = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;

async function pump() {
  if (busy) {
    return;
  }
  busy = true;
  while (queue.length > 0) {
    const [cmd, arg] = queue.shift().trim().split(/\s+/);
    if (cmd === 'quit') {
      client.close();
      process.exit(0);
    } else if (cmd === 'call') {
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1 || n > MAX_CALLS) {
        process.stdout.write(JSON.stringify({ error: `call takes a count of 1-${MAX_CALLS}, got '${arg}'` }) + '\n');
      } else {
        process.stdout.write(JSON.stringify({ counts: await calls(n) }) + '\n');
      }
    } else if (cmd) {
      process.stdout.write(JSON.stringify({ error: `unknown command '${cmd}'` }) + '\n');
    }
  }
  busy = false;
}

rl.on('line', (line) => {
  queue.push(line);
  pump();
});
rl.on('close', () => {
  client.close();
  process.exit(0);
});
