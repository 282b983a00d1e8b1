// podglow live preview: draws every output's displayed LEDs from /api/state and /api/events.
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
  blinkstick: 'BlinkStick',
  terminal: 'terminal',
  web: 'web',
};

const $ = (id) => document.getElementById(id);

/** Creates an element with a class and text; text is never interpreted as markup. */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const page = {
  state: null,
  /** name → { fig, info, down, leds: HTMLElement[], key } */
  outputs: new Map(),
  legendColors: {},
  source: null,
  everOpened: false,
  lost: false,
};

// ---- outputs ---------------------------------------------------------------

function boardClass(o) {
  if (o.type === 'unicornhat' || o.type === 'unicornphat' || o.type === 'blinkstick') return 'board-' + o.type;
  if (o.height === 1 && o.width > 8) return 'board-strip';
  if (o.height === 1 && o.width <= 8) return 'board-blinkstick';
  return 'board-' + o.type;
}

function buildOutput(o) {
  const fig = el('figure', 'output');
  fig.dataset.output = o.name;
  const cap = el('figcaption');
  const name = el('span', 'name', o.name);
  const info = el('span', 'info');
  const down = el('span', 'down', 'device down');
  cap.append(name, info, down);
  const board = el('div', 'board ' + boardClass(o));
  board.style.setProperty('--cols', String(o.width));
  board.setAttribute('role', 'img');
  const leds = [];
  for (let i = 0; i < o.width * o.height; i++) {
    const led = el('div', 'led');
    led.dataset.index = String(i);
    leds.push(led);
    board.append(led);
  }
  fig.append(cap, board);
  return { fig, info, down, board, leds, key: geometryKey(o) };
}

function geometryKey(o) {
  return [o.type, o.width, o.height].join('/');
}

/** Glow grows with how bright the LED is, so brightness shows like on the real device. */
function paintLed(led, hex, blink, index, width) {
  if (led.dataset.color !== hex) {
    led.dataset.color = hex;
    led.style.backgroundColor = hex;
    const n = parseInt(hex.slice(1), 16);
    const level = Math.max((n >> 16) & 255, (n >> 8) & 255, n & 255) / 255;
    led.style.boxShadow = level > 0.02 ? `0 0 ${Math.round(4 + 14 * level)}px ${Math.round(1 + 3 * level)}px ${hex}` : '';
  }
  led.classList.toggle('blink', !!blink);
  led.title = `x ${index % width}, y ${Math.floor(index / width)}: ${hex}${blink ? ' (blinking)' : ''}`;
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
  const pages = o.pages > 1 ? ` · page ${o.page + 1}/${o.pages}` : '';
  entry.info.textContent = `${BOARD_NAMES[o.type] || o.type} · ${o.width}×${o.height} · brightness ${Math.round(o.brightness * 100)}%${pages}`;
  entry.down.hidden = o.up !== false;
  entry.board.setAttribute('aria-label', `${o.name}: ${o.width} by ${o.height} LEDs`);
  for (let i = 0; i < entry.leds.length; i++) {
    paintLed(entry.leds[i], o.leds[i] || '#000000', o.blink && o.blink[i], i, o.width);
  }
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

// ---- legend and node table -------------------------------------------------

function renderLegend(legend) {
  const ul = $('legend');
  ul.replaceChildren();
  page.legendColors = {};
  const order = (k) => (STATES.includes(k) ? STATES.indexOf(k) : STATES.length);
  const items = [...(legend || [])].sort((a, b) => order(a.key) - order(b.key));
  for (const item of items) {
    page.legendColors[item.key] = item.color;
    const li = el('li');
    li.dataset.key = item.key;
    const sw = el('span', 'swatch');
    sw.style.backgroundColor = item.color;
    li.append(sw, el('span', 'label', item.key));
    const note = item.blink ? 'blinks' : LEGEND_NOTES[item.key];
    if (note) li.append(el('span', 'note', note));
    ul.append(li);
  }
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
    head.append(el('th', '', 'total'));
  }
  for (const th of head.querySelectorAll('th[data-state]')) {
    const sw = th.querySelector('.swatch');
    sw.style.backgroundColor = page.legendColors[th.dataset.state] || '#000000';
  }
  const body = $('nodes-body');
  body.replaceChildren();
  if (!snapshot) {
    const tr = el('tr');
    const td = el('td', 'muted', 'no data yet');
    td.colSpan = STATES.length + 2;
    tr.append(td);
    body.append(tr);
    $('snapshot-time').textContent = '';
    return;
  }
  for (const n of snapshot.nodes) {
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
    body.append(tr);
  }
  const un = snapshot.unscheduled;
  if (un && STATES.some((s) => un[s] > 0)) {
    const tr = el('tr', 'unscheduled');
    tr.append(el('td', '', '(unscheduled)'));
    appendCounts(tr, un);
    body.append(tr);
  }
  $('snapshot-time').textContent = `${snapshot.nodes.length} node${snapshot.nodes.length === 1 ? '' : 's'} · snapshot ${formatTime(snapshot.time)}`;
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

function renderStatus(s) {
  const pill = $('status');
  const banner = $('banner');
  if (s.ready) {
    pill.textContent = 'live';
    pill.className = 'pill pill-live';
    banner.hidden = true;
  } else {
    const first = !s.lastGoodPoll;
    pill.textContent = first ? 'waiting' : 'stale';
    pill.className = 'pill ' + (first ? 'pill-wait' : 'pill-stale');
    $('banner-title').textContent = first ? 'No data yet.' : 'Stale data.';
    $('banner-text').textContent = s.reason || (first ? 'waiting for the first successful poll' : 'no recent successful poll');
    banner.hidden = false;
  }
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
}

function tickAgo() {
  const s = page.state;
  const ago = $('ago');
  if (!s || !s.lastGoodPoll) {
    ago.textContent = '';
    return;
  }
  const secs = Math.max(0, Math.round((Date.now() - Date.parse(s.lastGoodPoll)) / 1000));
  ago.textContent = ` (${secs < 120 ? secs + ' s' : Math.round(secs / 60) + ' min'} ago)`;
}

function applyState(s) {
  page.state = s;
  renderLegend(s.legend);
  renderStatus(s);
  renderOutputs(s.outputs || []);
  renderNodes(s.snapshot);
  document.body.dataset.ready = String(!!s.ready);
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
  page.source = es;
  es.addEventListener('open', () => {
    // After a reconnect the server may have restarted: take a full state again.
    if (page.everOpened) refetch();
    page.everOpened = true;
    setLost(false);
  });
  es.addEventListener('state', (ev) => {
    applyState(JSON.parse(ev.data));
  });
  es.addEventListener('frame', (ev) => {
    const o = JSON.parse(ev.data);
    if (page.state) {
      const list = page.state.outputs;
      const i = list.findIndex((x) => x.name === o.name);
      if (i >= 0) list[i] = o;
      else list.push(o);
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
