// podglow live preview: draws every output from /api/state and /api/events (SPEC §9).
// The server sends each output's base frame only when it changes; this page draws the effects
// itself (blinking, the stale dimming and status LED, the start-up walker) and ticks the ages.
// Every name that comes from the cluster is written with textContent, never parsed as HTML.
'use strict';

const STATES = ['running', 'pending', 'terminating', 'crashing', 'failed', 'unknown', 'succeeded'];
const LEGEND_NOTES = {
  overflow: 'more pods than LEDs',
  notReady: 'node not Ready',
  cordoned: 'node cordoned',
  status: 'podglow: starting / stale',
};
const BOARD_NAMES = {
  unicornhat: 'Unicorn HAT',
  unicornphat: 'Unicorn pHAT',
  ws281x: 'WS281x',
  wled: 'WLED',
  blinkt: 'Blinkt!',
  blinkstick: 'BlinkStick',
  terminal: 'terminal',
  web: 'web',
  wled: 'WLED',
};
const SEVERITIES = ['critical', 'warning', 'info'];
// The device's stale display (SPEC §6, src/effects): the last frame dimmed to this share,
// the last LED blinking in the status colour.
const STALE_DIM = 0.3;

const $ = (id) => document.getElementById(id);

/** Creates an element with a class and text; text is never interpreted as markup. */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const page = {
  /** The last status from the server, with `receivedAt` (performance.now()) for ticking ages. */
  status: null,
  snapshot: null,
  /** Global legend; each output has its own in `legends`. */
  legend: [],
  /** name → legend of that output's palette. */
  legends: new Map(),
  /** name → { fig, info, subject, down, board, leds, labels, key, frame } */
  outputs: new Map(),
  order: [],
  legendColors: {},
  everOpened: false,
  lost: false,
};

// ---- colours ---------------------------------------------------------------

function hexToRgb(hex) {
  const n = parseInt(String(hex || '#000000').slice(1), 16) || 0;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function rgbToHex(c) {
  return '#' + c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

function dim(hex, k) {
  return rgbToHex(hexToRgb(hex).map((v) => Math.round(v * k)));
}

function legendColour(name, key) {
  const legend = page.legends.get(name) || page.legend;
  const item = legend.find((l) => l.key === key);
  return item ? item.color : '#ff9900';
}

// ---- display state ---------------------------------------------------------

/** 'waiting' before the first good poll, 'stale', or 'live'. */
function displayState() {
  const s = page.status;
  if (!s || (!s.lastGoodPoll && !page.snapshot)) return 'waiting';
  return s.stale ? 'stale' : 'live';
}

/** Milliseconds since the last good poll on the server's clock, ticking in the page. */
function ageMs() {
  const s = page.status;
  if (!s || typeof s.lastGoodPollAgeMs !== 'number') return null;
  return Math.max(0, s.lastGoodPollAgeMs + (performance.now() - s.receivedAt));
}

/** Milliseconds since the newest kube-state-metrics sample (Prometheus' clock), ticking in the page; null when unknown. */
function dataAgeMs() {
  const s = page.status;
  if (!s || typeof s.dataAgeMs !== 'number') return null;
  return Math.max(0, s.dataAgeMs + (performance.now() - s.receivedAt));
}

/** "cluster as of 3 s ago · scraped every 5 s", or '' when the source does not say. */
function dataAgeText() {
  const age = dataAgeMs();
  if (age === null) return '';
  const every = page.status.dataEveryMs;
  return 'cluster as of ' + formatAge(age) + ' ago' + (typeof every === 'number' ? ' · scraped every ' + formatAge(every) : '');
}

function formatAge(ms) {
  const secs = Math.round(ms / 1000);
  if (secs < 120) return secs + ' s';
  if (secs < 7200) return Math.round(secs / 60) + ' min';
  return Math.round(secs / 3600) + ' h';
}

// ---- outputs ---------------------------------------------------------------

function boardClass(o) {
  if (o.type === 'unicornhat' || o.type === 'unicornphat' || o.type === 'blinkstick' || o.type === 'blinkt')
    return 'board-' + o.type;
  if (o.height === 1 && o.width > 8) return 'board-strip';
  if (o.height === 1 && o.width <= 8) return 'board-blinkstick';
  return 'board-' + o.type;
}

/** Grid rows: LED rows, with a label row under each for `nodes`, one under all for `matrix`. */
function buildOutput(o) {
  const fig = el('figure', 'output');
  fig.dataset.output = o.name;
  const cap = el('figcaption');
  const name = el('span', 'name', o.name);
  const info = el('span', 'info');
  const subject = el('span', 'subject');
  const down = el('span', 'down', 'device down');
  cap.append(name, info, subject, down);
  const board = el('div', 'board ' + boardClass(o));
  board.style.setProperty('--cols', String(o.width));
  board.setAttribute('role', 'img');
  const perLed = o.layout === 'nodes';
  const leds = [];
  for (let i = 0; i < o.width * o.height; i++) {
    const led = el('div', 'led');
    led.dataset.index = String(i);
    const x = i % o.width;
    const y = Math.floor(i / o.width);
    led.style.gridColumn = String(x + 1);
    led.style.gridRow = String(perLed ? 2 * y + 1 : y + 1);
    leds.push(led);
    board.append(led);
  }
  fig.append(cap, board);
  return { fig, info, subject, down, board, leds, labels: [], perLed, key: geometryKey(o), frame: null };
}

function geometryKey(o) {
  return [o.type, o.width, o.height, o.layout || ''].join('/');
}

/** Glow grows with how bright the LED is, so a dim colour looks dim like on the device. */
function paintLed(led, hex, blink, index, width, node) {
  if (led.dataset.color !== hex) {
    led.dataset.color = hex;
    led.style.backgroundColor = hex;
    const [r, g, b] = hexToRgb(hex);
    const level = Math.max(r, g, b) / 255;
    // The off LED's ring stays first, so a fade interpolates the glow instead of jumping to it.
    led.style.boxShadow =
      level > 0.02
        ? `inset 0 0 0 1px rgba(255, 255, 255, 0.09), 0 0 ${Math.round(4 + 14 * level)}px ${Math.round(1 + 3 * level)}px ${hex}`
        : '';
  }
  led.classList.toggle('blink', !!blink);
  const where = node ? `${node} · ` : '';
  led.title = `${where}x ${index % width}, y ${Math.floor(index / width)}: ${hex}${blink ? ' (blinking)' : ''}`;
}

/** Writes the node names under the bands (matrix) or under each LED (nodes). */
function renderLabels(entry, o) {
  for (const l of entry.labels) l.remove();
  entry.labels = [];
  const add = (text, col, span, row, vertical, extra) => {
    const l = el('div', 'band-label' + (vertical ? ' vertical' : '') + (extra ? ' ' + extra : ''), text);
    l.title = text;
    l.style.gridColumn = `${col + 1} / span ${span}`;
    l.style.gridRow = String(row);
    entry.board.append(l);
    entry.labels.push(l);
  };
  for (const b of o.bands || []) add(b.node, b.x, b.width, o.height + 1, b.width === 1);
  for (const n of o.ledNodes || []) add(n.node, n.index % o.width, 1, 2 * Math.floor(n.index / o.width) + 2, o.height === 1);
  // With clusters: one more row naming the cluster under its run of bands (or of LEDs on a strip).
  const runs = [];
  const cells = (o.bands || []).map((b) => ({ cluster: b.cluster, x: b.x, width: b.width }));
  if (o.height === 1 && o.layout === 'nodes')
    for (const n of o.ledNodes || []) cells.push({ cluster: n.cluster, x: n.index, width: 1 });
  for (const c of cells) {
    if (!c.cluster) continue;
    const last = runs[runs.length - 1];
    if (last && last.cluster === c.cluster && last.x + last.width === c.x) last.width += c.width;
    else runs.push({ ...c });
  }
  const row = o.layout === 'nodes' ? 3 : o.height + 2;
  for (const r of runs) add(clusterTitle(r.cluster), r.x, r.width, row, false, 'cluster-label');
}

/** A cluster's name as people see it: its display name from the snapshot, else its label value. */
function clusterTitle(name) {
  const c = ((page.snapshot && page.snapshot.clusters) || []).find((x) => x.name === name);
  return c && c.displayName ? c.displayName : name;
}

function nodeOfLed(o, i) {
  const x = i % o.width;
  const band = (o.bands || []).find((b) => x >= b.x && x < b.x + b.width);
  if (band) return band.node;
  const n = (o.ledNodes || []).find((l) => l.index === i);
  return n ? n.node : '';
}

/** Draws one output's LEDs from its base frame and the display state. */
function paintOutput(entry) {
  const o = entry.frame;
  const state = displayState();
  const n = entry.leds.length;
  const status = legendColour(o.name, 'status');
  for (let i = 0; i < n; i++) {
    let hex = (o.base && o.base[i]) || '#000000';
    let blink = !!(o.blink && o.blink[i]);
    if (state === 'waiting') {
      hex = '#000000';
      blink = false;
    } else if (state === 'stale') {
      hex = i === n - 1 ? status : dim(hex, STALE_DIM);
      blink = blink || i === n - 1;
    } else if (o.staleLeds && o.staleLeds[i]) {
      // A stale cluster's own LEDs dim (its status mark is already in the base frame).
      hex = dim(hex, STALE_DIM);
    }
    paintLed(entry.leds[i], hex, blink, i, o.width, nodeOfLed(o, i));
  }
  entry.board.classList.toggle('walking', state === 'waiting');
  if (state === 'waiting') walk();
}

function updateOutput(o) {
  let entry = page.outputs.get(o.name);
  if (!entry || entry.key !== geometryKey(o)) {
    const fresh = buildOutput(o);
    if (entry) entry.fig.replaceWith(fresh.fig);
    else $('outputs').append(fresh.fig);
    page.outputs.set(o.name, fresh);
    entry = fresh;
  }
  entry.frame = o;
  const pages = o.pages > 1 ? ` · page ${o.page + 1}/${o.pages}` : '';
  entry.info.textContent = `${BOARD_NAMES[o.type] || o.type} · ${o.width}×${o.height} · brightness ${Math.round(o.brightness * 100)}%${pages}`;
  entry.subject.textContent =
    o.layout === 'summary' ? (o.subject === '*' ? 'whole cluster' : o.subject ? 'node ' + o.subject : 'no node set') : '';
  entry.subject.hidden = !entry.subject.textContent;
  entry.down.hidden = o.up !== false;
  entry.board.setAttribute('aria-label', `${o.name}: ${o.width} by ${o.height} LEDs`);
  renderLabels(entry, o);
  paintOutput(entry);
}

function renderOutputs(outputs) {
  const names = new Set(outputs.map((o) => o.name));
  for (const [name, entry] of page.outputs) {
    if (!names.has(name)) {
      entry.fig.remove();
      page.outputs.delete(name);
    }
  }
  for (const o of outputs) updateOutput(o);
  // Keep the configured order.
  for (const o of outputs) $('outputs').append(page.outputs.get(o.name).fig);
  $('no-outputs').hidden = outputs.length > 0;
}

function repaintAll() {
  for (const entry of page.outputs.values()) if (entry.frame) paintOutput(entry);
}

// Before the first good poll one status-coloured LED walks across each output, as on the
// device: a lap in about 3 s, 60..500 ms a step (SPEC §6).
let walkTimer = null;
function walk() {
  if (walkTimer) return;
  const step = () => {
    walkTimer = null;
    if (displayState() !== 'waiting') return;
    const t = performance.now();
    for (const entry of page.outputs.values()) {
      if (!entry.frame) continue;
      const n = entry.leds.length;
      const ms = Math.min(500, Math.max(60, Math.round(3000 / Math.max(1, n))));
      const pos = Math.floor(t / ms) % n;
      entry.leds.forEach((led, i) =>
        paintLed(led, i === pos ? legendColour(entry.frame.name, 'status') : '#000000', false, i, entry.frame.width, ''),
      );
    }
    walkTimer = setTimeout(step, 60);
  };
  step();
}

// ---- legend and node table -------------------------------------------------

/** One legend per palette in use, titled with the outputs that use it. */
function renderLegend() {
  const box = $('legend');
  box.replaceChildren();
  const groups = new Map();
  const names = page.order.length ? page.order : [];
  for (const name of names) {
    const legend = page.legends.get(name) || page.legend;
    const key = JSON.stringify(legend);
    if (!groups.has(key)) groups.set(key, { legend, outputs: [] });
    groups.get(key).outputs.push(name);
  }
  if (!groups.size) groups.set('', { legend: page.legend, outputs: [] });
  const order = (k) => (STATES.includes(k) ? STATES.indexOf(k) : STATES.length);
  for (const { legend, outputs } of groups.values()) {
    const section = el('section', 'legend-group');
    section.dataset.outputs = outputs.join(',');
    if (groups.size > 1) section.append(el('h3', 'legend-for', outputs.join(', ')));
    const ul = el('ul', 'legend');
    for (const item of [...legend].sort((a, b) => order(a.key) - order(b.key))) {
      const li = el('li');
      li.dataset.key = item.key;
      const sw = el('span', 'swatch');
      sw.style.backgroundColor = item.color;
      li.append(sw, el('span', 'label', item.key));
      const note = item.blink ? 'blinks' : LEGEND_NOTES[item.key];
      if (note) li.append(el('span', 'note', note));
      ul.append(li);
    }
    section.append(ul);
    box.append(section);
  }
  page.legendColors = {};
  for (const item of page.legend) page.legendColors[item.key] = item.color;
}

function alertText(a) {
  if (!a) return '';
  return SEVERITIES.filter((s) => Number(a[s]) > 0)
    .map((s) => `${a[s]} ${s}`)
    .join(' · ');
}

function renderNodes(snapshot) {
  const head = $('nodes-head');
  if (!head.childElementCount) {
    head.append(el('th', '', 'node'));
    for (const s of STATES) {
      const th = el('th');
      th.dataset.state = s;
      const sw = el('span', 'swatch');
      th.append(sw, document.createTextNode(' ' + s));
      head.append(th);
    }
    head.append(el('th', '', 'total'), el('th', 'col-text', 'conditions'), el('th', 'col-text', 'alerts'));
  }
  for (const th of head.querySelectorAll('th[data-state]')) {
    const sw = th.querySelector('.swatch');
    sw.style.backgroundColor = page.legendColors[th.dataset.state] || '#000000';
  }
  const body = $('nodes-body');
  body.replaceChildren();
  renderClusterAlerts(snapshot);
  renderQueries(snapshot);
  if (!snapshot) {
    const tr = el('tr');
    const td = el('td', 'muted', 'no data yet');
    td.colSpan = STATES.length + 4;
    tr.append(td);
    body.append(tr);
    $('snapshot-time').textContent = '';
    return;
  }
  renderClusterBanners(snapshot);
  if (Array.isArray(snapshot.clusters)) {
    // One table section per cluster under a heading row with its name, data age and staleness.
    for (const c of snapshot.clusters) {
      const head = el('tr', 'cluster-head' + (c.stale ? ' stale' : ''));
      head.dataset.cluster = c.name;
      const th = el('th', '', c.displayName ? `${c.displayName} (${c.name})` : c.name);
      th.colSpan = STATES.length + 4;
      th.scope = 'rowgroup';
      const age = c.dataAgeSeconds === null || c.dataAgeSeconds === undefined ? 'no data' : `data ${c.dataAgeSeconds}s old`;
      th.append(el('span', 'flag' + (c.stale ? ' flag-stale' : ''), c.stale ? `stale · ${age}` : age));
      const alerts = alertText(c.alerts);
      if (alerts) th.append(el('span', 'flag flag-warning', 'cluster-wide: ' + alerts));
      head.append(th);
      body.append(head);
      appendNodeRows(body, c.nodes || [], c.unscheduled);
    }
    const count = snapshot.clusters.reduce((k, c) => k + (c.nodes || []).length, 0);
    $('snapshot-time').textContent = `${snapshot.clusters.length} clusters, ${count} node${count === 1 ? '' : 's'}`;
    return;
  }
  appendNodeRows(body, snapshot.nodes, snapshot.unscheduled);
  $('snapshot-time').textContent = `${snapshot.nodes.length} node${snapshot.nodes.length === 1 ? '' : 's'}`;
}

/** With clusters: one banner per stale cluster, naming it and the age of its newest data. */
function renderClusterBanners(snapshot) {
  const wrap = $('cluster-banners');
  if (!wrap) return;
  wrap.replaceChildren();
  for (const c of (snapshot && snapshot.clusters) || []) {
    if (!c.stale) continue;
    const b = el('div', 'banner');
    b.setAttribute('role', 'alert');
    b.dataset.cluster = c.name;
    const age =
      c.dataAgeSeconds === null || c.dataAgeSeconds === undefined
        ? 'no data from it'
        : `its newest data was ${c.dataAgeSeconds}s old at the last poll`;
    b.append(
      el('strong', '', `Cluster ${c.displayName || c.name}: stale data.`),
      document.createTextNode(` ${age}; its LEDs are dimmed and marked.`),
    );
    wrap.append(b);
  }
}

/** Rows of a node table: one per node, then the unscheduled pods when there are any. */
function appendNodeRows(body, nodes, un) {
  for (const n of nodes) {
    const tr = el('tr');
    tr.dataset.node = n.name;
    const name = el('td', 'node-name');
    name.append(el('span', '', n.name));
    if (n.ready !== true) {
      tr.classList.add('not-ready');
      name.append(el('span', 'flag', n.ready === false ? 'NotReady' : 'Ready?'));
    }
    if (n.unschedulable) {
      tr.classList.add('cordoned');
      name.append(el('span', 'flag', 'cordoned'));
    }
    tr.append(name);
    appendCounts(tr, n.pods);
    // Conditions and alerts exist once the source reports them (SPEC §4b); absent means none known.
    const conds = el('td', 'conditions col-text');
    for (const c of Array.isArray(n.conditions) ? n.conditions : []) conds.append(el('span', 'flag flag-cond', c));
    const alerts = el('td', 'alerts col-text');
    for (const s of SEVERITIES) {
      const v = n.alerts ? Number(n.alerts[s]) || 0 : 0;
      if (v > 0) alerts.append(el('span', 'flag flag-' + s, `${v} ${s}`));
    }
    tr.append(conds, alerts);
    body.append(tr);
  }
  if (un && STATES.some((s) => un[s] > 0)) {
    const tr = el('tr', 'unscheduled');
    tr.append(el('td', '', '(unscheduled)'));
    appendCounts(tr, un);
    tr.append(el('td'), el('td'));
    body.append(tr);
  }
}

function renderClusterAlerts(snapshot) {
  const p = $('cluster-alerts');
  const text = snapshot ? alertText(snapshot.alerts) : '';
  p.hidden = !text;
  p.textContent = text ? 'cluster-wide alerts: ' + text : '';
}

function renderQueries(snapshot) {
  const wrap = $('queries-wrap');
  const body = $('queries-body');
  body.replaceChildren();
  const q = snapshot && snapshot.queries && typeof snapshot.queries === 'object' ? snapshot.queries : {};
  const names = Object.keys(q).sort();
  wrap.hidden = names.length === 0;
  for (const name of names) {
    const v = q[name] || {};
    const tr = el('tr');
    tr.dataset.query = name;
    const sw = el('span', 'swatch');
    sw.style.backgroundColor = v.color || 'transparent';
    const nameTd = el('td', 'query-name');
    nameTd.append(sw, document.createTextNode(' ' + name));
    tr.append(
      nameTd,
      el('td', 'query-value', v.value === null || v.value === undefined ? '–' : v.value),
      el('td', 'error', v.error || ''),
    );
    body.append(tr);
  }
}

function appendCounts(tr, pods) {
  let total = 0;
  for (const s of STATES) {
    const v = Number(pods[s]) || 0;
    total += v;
    const td = el('td', v === 0 ? 'zero' : '', v);
    td.dataset.state = s;
    tr.append(td);
  }
  tr.append(el('td', 'total', total));
}

// ---- status ----------------------------------------------------------------

function formatTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

/** The banner's words, with the age computed here so it ticks without server events. */
function bannerText(s) {
  const err = s.lastError ? ` (last error: ${s.lastError})` : '';
  const state = displayState();
  if (state === 'waiting') return 'waiting for the first successful poll' + err;
  if (state === 'stale') {
    const age = ageMs();
    return (age === null ? 'no recent successful poll' : `no good poll for ${formatAge(age)}`) + err;
  }
  return s.reason || 'not ready';
}

function renderStatus() {
  const s = page.status;
  if (!s) return;
  const pill = $('status');
  const banner = $('banner');
  const state = displayState();
  if (s.ready) {
    pill.textContent = 'live';
    pill.className = 'pill pill-live';
    banner.hidden = true;
  } else {
    pill.textContent = state === 'waiting' ? 'waiting' : 'stale';
    pill.className = 'pill ' + (state === 'waiting' ? 'pill-wait' : 'pill-stale');
    $('banner-title').textContent = state === 'waiting' ? 'No data yet.' : 'Stale data.';
    $('banner-text').textContent = bannerText(s);
    banner.hidden = false;
  }
  if (page.lost) setLost(true);
  const t = $('last-poll');
  if (s.lastGoodPoll) {
    t.dateTime = s.lastGoodPoll;
    t.textContent = formatTime(s.lastGoodPoll);
  } else {
    t.removeAttribute('datetime');
    t.textContent = 'never';
  }
  tickAgo();
  const err = $('last-error');
  err.hidden = !s.lastError;
  err.textContent = s.lastError ? 'last error: ' + s.lastError : '';
  $('version').textContent = s.version ? 'podglow ' + s.version : 'podglow';
  document.body.dataset.ready = String(!!s.ready);
}

function tickAgo() {
  const ago = $('ago');
  const age = ageMs();
  ago.textContent = age === null ? '' : ` (${formatAge(age)} ago)`;
  const data = $('data-age');
  data.textContent = dataAgeText();
  data.hidden = data.textContent === '';
  const s = page.status;
  if (s && !s.ready && displayState() === 'stale') $('banner-text').textContent = bannerText(s);
}

function applyStatus(s) {
  const before = displayState();
  page.status = { ...s, receivedAt: performance.now() };
  renderStatus();
  if (displayState() !== before) repaintAll();
}

function applyState(s) {
  page.snapshot = s.snapshot;
  page.legend = s.legend || [];
  page.legends = new Map((s.outputs || []).map((o) => [o.name, o.legend || page.legend]));
  page.order = (s.outputs || []).map((o) => o.name);
  page.status = { ...s, receivedAt: performance.now() };
  renderLegend();
  renderStatus();
  renderOutputs(s.outputs || []);
  renderNodes(s.snapshot);
}

// ---- live updates ----------------------------------------------------------

async function refetch() {
  try {
    const res = await fetch('api/state', { cache: 'no-store' });
    if (res.ok) applyState(await res.json());
  } catch {
    // The event stream reports the outage; it retries by itself.
  }
}

function setLost(lost) {
  page.lost = lost;
  $('conn').hidden = !lost;
  if (lost) {
    const pill = $('status');
    pill.textContent = 'offline';
    pill.className = 'pill pill-off';
  }
}

function connect() {
  const es = new EventSource('api/events');
  es.addEventListener('open', () => {
    // After a reconnect the server may have restarted: take a full state again.
    if (page.everOpened) refetch();
    page.everOpened = true;
    setLost(false);
    renderStatus();
  });
  es.addEventListener('state', (ev) => applyState(JSON.parse(ev.data)));
  es.addEventListener('status', (ev) => applyStatus(JSON.parse(ev.data)));
  es.addEventListener('snapshot', (ev) => {
    const before = displayState();
    page.snapshot = JSON.parse(ev.data).snapshot;
    renderNodes(page.snapshot);
    if (displayState() !== before) repaintAll();
  });
  es.addEventListener('frame', (ev) => {
    const o = JSON.parse(ev.data);
    if (!page.order.includes(o.name)) {
      page.order.push(o.name);
      renderLegend();
    }
    updateOutput(o);
  });
  es.addEventListener('error', () => {
    setLost(true);
    // EventSource retries on network errors by itself, but gives up after an HTTP error
    // (e.g. 503 when too many clients): then start a fresh one.
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      setTimeout(connect, 3000);
    }
  });
}

refetch();
connect();
setInterval(tickAgo, 1000);
