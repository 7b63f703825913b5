// Vertice console: plain JavaScript, no framework, nothing fetched from elsewhere.
// Data comes from /ui/api/*; /ui/api/events (server-sent events, read with fetch so that a bearer
// token can go along) says when to read it again. Every value is put in the page as text, never as HTML.
'use strict';

const TOKEN_KEY = 'vertice.console.token';
const state = { who: null, route: [], previous: new Map(), events: null, refreshing: false, again: false };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.substring(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function headers(extra) {
  const h = Object.assign({ 'Accept': 'application/json' }, extra || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) h['Authorization'] = 'Bearer ' + token;
  return h;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status;
  }
}

async function api(path, options) {
  const res = await fetch('/ui/api/' + path, Object.assign({ credentials: 'same-origin', cache: 'no-store' },
    options || {}, { headers: headers((options || {}).headers) }));
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function ago(ms) {
  if (ms === null || ms === undefined) return 'before this replica started';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  return Math.round(s / 3600) + ' h ago';
}

function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 10000 ? (ms / 1000).toFixed(1) + ' s' : Math.round(ms / 1000) + ' s';
}

function tags(values) {
  return values.length ? values.map(v => el('span', { class: 'tag' }, v)) : [el('span', { class: 'muted' }, '—')];
}

// Rows that are new or changed since the last drawing flash once.
function row(key, signature, attrs, ...cells) {
  const tr = el('tr', attrs, ...cells);
  const before = state.previous.get(key);
  if (before !== undefined && before !== signature) tr.classList.add('flash');
  state.previous.set(key, signature);
  return tr;
}

function table(columns, rows, empty) {
  if (!rows.length) return el('p', { class: 'muted' }, empty);
  return el('table', {}, el('thead', {}, el('tr', {}, columns.map(c => el('th', {}, c)))), el('tbody', {}, rows));
}

// --- pages ---

async function servicesPage() {
  const data = await api('services');
  const rows = data.services.map(s => row('svc:' + s.name, JSON.stringify([s.instances, s.serving, s.versions, s.zones]),
    { 'data-service': s.name },
    el('td', {}, el('a', { href: '#/service/' + encodeURIComponent(s.name) }, s.name)),
    el('td', { class: 'instances' }, s.instances),
    el('td', { class: 'serving ' + (s.serving < s.instances ? 'health NOT_SERVING' : 'health SERVING') },
      s.serving + ' / ' + s.instances),
    el('td', { class: 'versions' }, tags(s.versions)),
    el('td', { class: 'zones' }, tags(s.zones)),
    el('td', { class: 'muted' }, ago(s.lastChange)),
    el('td', {}, s.policy ? 'yes' : '')));
  return [el('h1', {}, 'Services ', el('span', { class: 'muted' }, '(' + data.services.length + ', revision '
      + data.revision + ')')),
    table(['Service', 'Instances', 'Serving', 'Versions', 'Zones', 'Last change', 'Traffic policy'], rows,
      'No service is registered.')];
}

async function servicePage(name) {
  let data;
  try {
    data = await api('services/' + encodeURIComponent(name));
  } catch (e) {
    if (e.status === 404) return [el('h1', {}, name), el('p', { class: 'muted' }, 'No instance of ' + name
        + ' is registered (now).')];
    throw e;
  }
  const rows = data.instances.map(i => row('inst:' + name + '/' + i.id, JSON.stringify(i), { 'data-instance': i.id },
    el('td', {}, i.id), el('td', {}, i.address), el('td', {}, i.port), el('td', { class: 'version' }, i.version),
    el('td', {}, i.zone || '—'), el('td', {}, i.weight),
    el('td', { class: 'health ' + i.health }, i.health),
    el('td', { class: 'muted' }, i.leaseRemainingMs === null ? '—' : duration(i.leaseRemainingMs)),
    el('td', {}, Object.entries(i.metadata).map(([k, v]) => el('span', { class: 'tag' }, k + '=' + v)))));
  return [el('h1', {}, el('a', { href: '#/services' }, 'Services'), ' / ', name,
      el('span', { class: 'muted' }, ' (revision ' + data.revision + ', changed ' + ago(data.lastChange) + ')')),
    table(['Instance', 'Address', 'Port', 'Version', 'Zone', 'Weight', 'Health', 'Lease left', 'Metadata'], rows,
      'No instance.'),
    data.policy ? el('div', {}, el('h2', {}, 'Traffic policy'), el('pre', { class: 'card' },
      JSON.stringify(data.policy, null, 2))) : null];
}

function stats(w) {
  if (!w) return '—';
  const p99 = w.p99Seconds ? (w.p99Seconds * 1000).toFixed(1) + ' ms' : '—';
  return (w.requests || 0) + ' req, ' + ((w.errorRate || 0) * 100).toFixed(1) + ' % err, p99 ' + p99;
}

async function act(id, action) {
  const status = document.getElementById('status');
  try {
    await api('rollouts/' + encodeURIComponent(id) + '/' + action,
      { method: 'POST', headers: { 'X-Vertice-Console': '1' } });
    status.textContent = action + ' ' + id + ': done';
  } catch (e) {
    status.textContent = action + ' ' + id + ': ' + e.message;
  }
  refresh();
}

function rolloutCard(item, mayAct) {
  const r = item.rollout;
  const spec = r.spec || {};
  const weights = spec.stageWeights || [];
  const actions = mayAct && item.active ? ['promote', 'pause', 'resume', 'rollback', 'abort'].map(a =>
    el('button', { 'data-action': a, onclick: () => act(r.id, a) }, a)) : [];
  const decisions = (r.decisions || []).slice().reverse().map(d => el('tr', {},
    el('td', { class: 'muted' }, d.at ? new Date(d.at).toLocaleTimeString() : ''), el('td', {}, d.kind),
    el('td', {}, d.stage), el('td', {}, d.check || 'all passed'), el('td', {}, stats(d.stable)),
    el('td', {}, stats(d.candidate)), el('td', {}, d.reason)));
  return el('div', { class: 'card rollout', 'data-rollout': r.id, 'data-state': item.state },
    el('h2', {}, spec.service + ': ' + spec.stableVersion + ' → ' + spec.candidateVersion + ' ',
      el('span', { class: 'tag state' }, item.state)),
    el('p', { class: 'muted' }, 'Rollout ' + r.id + ', stage ' + (r.stage + 1) + ' of ' + weights.length + ' ('
      + weights.join(' → ') + ' %), ' + (r.message || '')),
    el('div', { class: 'bar', 'data-candidate-weight': item.candidateWeight,
      title: 'stable ' + item.stableWeight + ' %, candidate ' + item.candidateWeight + ' %' },
      el('div', { class: 'stable', style: 'width:' + item.stableWeight + '%' }),
      el('div', { class: 'candidate', style: 'width:' + item.candidateWeight + '%' })),
    el('p', {}, el('span', { class: 'weights' }, spec.stableVersion + ' ' + item.stableWeight + ' % / '
      + spec.candidateVersion + ' ' + item.candidateWeight + ' %')),
    el('div', { class: 'actions' }, actions),
    decisions.length ? el('table', {}, el('thead', {}, el('tr', {}, ['At', 'Decision', 'Stage', 'Check', 'Stable',
      'Candidate', 'Why'].map(c => el('th', {}, c)))), el('tbody', {}, decisions)) : null);
}

async function rolloutsPage() {
  const data = await api('rollouts');
  const mayAct = state.who && state.who.actions;
  const policies = data.policies.map(p => el('tr', {}, el('td', {}, p.service), el('td', {}, p.revision),
    el('td', {}, el('code', {}, JSON.stringify(p.policy)))));
  return [el('h1', {}, 'Rollouts ', el('span', { class: 'muted' }, '(' + data.total + ')')),
    data.rollouts.length ? data.rollouts.map(r => rolloutCard(r, mayAct)) : el('p', { class: 'muted' }, 'No rollout.'),
    el('h2', {}, 'Traffic policies'),
    table(['Service', 'Revision', 'Policy'], policies, 'No traffic policy.')];
}

async function nodesPage() {
  const data = await api('nodes');
  const rows = data.nodes.map(n => el('tr', { 'data-node': n.nodeId },
    el('td', {}, n.nodeId), el('td', {}, n.kind), el('td', {}, n.zone || '—'),
    el('td', {}, n.subscriptions ? n.subscriptions + ' names' : '', n.types.map(t => el('div', { class: 'muted' },
      t.replace('type.googleapis.com/', '')))),
    el('td', {}, n.held), el('td', {}, n.sentRevision), el('td', {}, n.ackedRevision),
    el('td', {}, n.pending), el('td', {}, n.outstanding), el('td', {}, n.acks),
    el('td', { class: n.nacks ? 'error' : '' }, n.nacks, n.lastNack ? el('div', { class: 'muted' }, n.lastNack) : null),
    el('td', { class: n.inSync ? 'health SERVING' : 'health DRAINING' }, n.inSync ? 'in sync' : duration(n.staleMs)),
    el('td', { class: 'muted' }, duration(n.connectedMs))));
  return [el('h1', {}, 'Gateways, sidecars and clients ', el('span', { class: 'muted' }, '(' + data.nodes.length
      + ' streams, registry revision ' + data.revision + ')')),
    table(['Node', 'Kind', 'Zone', 'Subscribed', 'Held', 'Sent rev.', 'ACKed rev.', 'Pending', 'Unanswered', 'ACKs',
      'NACKs', 'Staleness', 'Connected'], rows, 'No gateway, sidecar or client is watching.')];
}

function figure(label, value) {
  return el('div', { class: 'figure' }, el('div', { class: 'value' }, value), el('div', { class: 'label' }, label));
}

async function pushPage() {
  const p = await api('push');
  const c = p.convergence;
  return [el('h1', {}, 'Push engine'),
    el('div', { class: 'figures' },
      figure('open streams', p.streams), figure('pending values', p.pending),
      figure('changes awaiting ACKs', p.waitingChanges),
      figure('convergence p50', c ? c.p50Ms + ' ms' : '—'), figure('convergence p99', c ? c.p99Ms + ' ms' : '—'),
      figure('changes measured', c ? c.window + ' (of ' + c.total + ')' : '—'),
      figure('responses sent', p.batchesSent), figure('ACKs / NACKs', p.acks + ' / ' + p.nacks),
      figure('registry revision', p.revision), figure('instances', p.instances),
      figure('live console pages', p.liveConsolePages)),
    el('p', { class: 'muted' }, 'Convergence: from a change to the ACK of the last subscriber that needed it,'
      + ' over the last ' + (c ? c.window : 0) + ' changes.')];
}

// --- routing, refresh, live events ---

function route() {
  const parts = (location.hash || '#/services').substring(2).split('/').map(decodeURIComponent);
  return parts[0] ? parts : ['services'];
}

async function draw() {
  state.route = route();
  const [page, arg] = state.route;
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === page || (page === 'service' && a.dataset.nav === 'services'));
  }
  const pages = { services: servicesPage, service: () => servicePage(arg), rollouts: rolloutsPage, nodes: nodesPage,
    push: pushPage };
  const content = await (pages[page] || servicesPage)();
  const view = document.getElementById('view');
  view.replaceChildren(...[content].flat(Infinity).filter(x => x));
}

async function refresh() {
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = true;
  try {
    do {
      state.again = false;
      await draw();
    } while (state.again);
  } catch (e) {
    if (e.status === 401) showLogin(e.message);
    else document.getElementById('status').textContent = 'error: ' + e.message;
  } finally {
    state.refreshing = false;
  }
}

function concerns(kind, data) {
  const [page, arg] = state.route;
  if (kind === 'tick') return page === 'nodes' || page === 'push' || page === 'services';
  if (page === 'services' || page === 'push' || page === 'nodes') return true;
  if (page === 'service') return data.allServices || (data.services || []).includes(arg) || data.policies;
  if (page === 'rollouts') return data.rollouts || data.policies;
  return true;
}

async function listen() {
  const live = document.getElementById('live');
  for (;;) {
    try {
      const res = await fetch('/ui/api/events', { headers: headers({ 'Accept': 'text/event-stream' }), cache: 'no-store' });
      if (res.status === 401) { showLogin('authentication required'); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      live.textContent = 'live'; live.className = 'live on';
      refresh();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.substring(0, end);
          buffer = buffer.substring(end + 2);
          let kind = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) kind = line.substring(6).trim();
            else if (line.startsWith('data:')) data += line.substring(5).trim();
          }
          let parsed = {};
          try { parsed = data ? JSON.parse(data) : {}; } catch (e) { parsed = {}; }
          if ((kind === 'change' || kind === 'tick') && concerns(kind, parsed)) refresh();
        }
      }
    } catch (e) {
      // fall through: reconnect
    }
    live.textContent = 'reconnecting'; live.className = 'live off';
    await new Promise(r => setTimeout(r, 1000));
  }
}

function showLogin(message) {
  document.getElementById('login').hidden = false;
  document.getElementById('login-error').textContent = message || '';
}

async function start() {
  try {
    state.who = await api('whoami');
  } catch (e) {
    if (e.status === 401 || e.status === 403) { showLogin(e.message); return; }
    document.getElementById('status').textContent = 'error: ' + e.message;
    return;
  }
  document.getElementById('login').hidden = true;
  document.getElementById('who').textContent = state.who.who + (state.who.actions ? ' · actions allowed'
    : ' · read-only');
  window.addEventListener('hashchange', refresh);
  await refresh();
  listen();
}

document.getElementById('login-form').addEventListener('submit', ev => {
  ev.preventDefault();
  const token = document.getElementById('token').value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById('token').value = '';
  start();
});

start();
