// The KafkaIngestion web console: one script, no dependencies, no build step.
// Live figures arrive once a second as server-sent events on /console/stream; events are sent
// with the API key the person gives (kept in localStorage, never served by the API).
'use strict';

const HISTORY = 120; // seconds shown in each chart
const KEY_STORAGE = 'kafkaingestion.apiKey';
const $ = id => document.getElementById(id);
const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmt1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const sentIds = new Set(); // events sent from the form, highlighted when the consumer stores them

// ---------- API key: from the URL fragment (#key=…) or typed in, kept in this browser ----------

const keyInput = $('api-key');

function storeKey(key) {
  try { localStorage.setItem(KEY_STORAGE, key); } catch { /* storage disabled: keep it for this page only */ }
}

(function loadKey() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  let key = fragment.get('key');
  if (key) {
    storeKey(key);
    // The key has been kept: take it out of the address bar (and of screenshots and shared links).
    history.replaceState(null, '', location.pathname + location.search);
  } else {
    try { key = localStorage.getItem(KEY_STORAGE); } catch { key = null; }
  }
  keyInput.value = key ?? '';
})();

keyInput.addEventListener('change', () => storeKey(keyInput.value.trim()));
$('key-form').addEventListener('submit', e => { e.preventDefault(); storeKey(keyInput.value.trim()); });
$('api-key-show').addEventListener('click', e => {
  const hidden = keyInput.type === 'password';
  keyInput.type = hidden ? 'text' : 'password';
  e.target.textContent = hidden ? 'hide' : 'show';
});

function headers(contentType, contentEncoding) {
  const h = { 'Content-Type': contentType };
  if (contentEncoding) h['Content-Encoding'] = contentEncoding;
  const key = keyInput.value.trim();
  if (key) h['X-Api-Key'] = key;
  return h;
}

// ---------- Charts: a line per series over the last HISTORY seconds, drawn on a canvas ----------

class Chart {
  constructor(canvas, series) {
    this.canvas = canvas;
    this.series = series; // [{ color, dashed, fill }]
    this.points = []; // arrays of numbers (or null for "not known"), one per series
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  push(values) {
    this.points.push(values);
    if (this.points.length > HISTORY) this.points.shift();
    const max = Math.max(0, ...this.points.flat().filter(v => v != null));
    this.canvas.dataset.max = String(max); // what the chart shows, for tests
    this.canvas.dataset.points = String(this.points.length);
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const styles = getComputedStyle(document.documentElement);
    const line = styles.getPropertyValue('--line').trim();
    const muted = styles.getPropertyValue('--muted').trim();
    const top = niceCeiling(Math.max(0, ...this.points.flat().filter(v => v != null)));
    const plotTop = 12, plotBottom = height - 14;
    const x = i => (width * (i + HISTORY - this.points.length)) / (HISTORY - 1);
    const y = v => plotBottom - (v / top) * (plotBottom - plotTop);

    g.strokeStyle = line;
    g.lineWidth = 1;
    g.font = '10.5px system-ui, sans-serif';
    g.fillStyle = muted;
    for (const fraction of [0, 0.5, 1]) {
      const at = Math.round(y(top * fraction)) + 0.5;
      g.beginPath(); g.moveTo(0, at); g.lineTo(width, at); g.stroke();
    }
    g.textBaseline = 'top';
    g.fillText(fmt.format(top), 2, 0);
    g.textBaseline = 'bottom';
    g.fillText('−2 min', 2, height);
    g.textAlign = 'right';
    g.fillText('now', width - 2, height);

    this.series.forEach((s, index) => {
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.setLineDash(s.dashed ? [4, 3] : []);
      let path = [];
      const flush = () => {
        if (path.length === 0) return;
        g.beginPath();
        path.forEach(([px, py], k) => (k ? g.lineTo(px, py) : g.moveTo(px, py)));
        g.stroke();
        if (s.fill && path.length > 1) {
          g.lineTo(path[path.length - 1][0], plotBottom);
          g.lineTo(path[0][0], plotBottom);
          g.closePath();
          g.globalAlpha = 0.12;
          g.fillStyle = s.color;
          g.fill();
          g.globalAlpha = 1;
        }
        path = [];
      };
      this.points.forEach((values, i) => {
        const v = values[index];
        if (v == null) flush(); else path.push([x(i), y(v)]);
      });
      flush();
    });
    g.setLineDash([]);
  }
}

function niceCeiling(value) {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

const styles = getComputedStyle(document.documentElement);
const color = name => styles.getPropertyValue(name).trim();
const charts = {
  accepted: new Chart($('c-accepted'), [{ color: color('--accepted'), fill: true }]),
  rejected: new Chart($('c-rejected'), [{ color: color('--rejected'), fill: true }, { color: color('--failed'), dashed: true }]),
  processed: new Chart($('c-processed'), [{ color: color('--processed'), fill: true }]),
  lag: new Chart($('c-lag'), [{ color: color('--lag'), fill: true }]),
};

// ---------- The live feed ----------

let lastSnapshotAt = 0;

function setPill(id, state, text) {
  const pill = $(id);
  pill.dataset.state = state;
  pill.textContent = text;
}

function rate(value) {
  return value == null ? '—' : value < 10 ? fmt1.format(value) : fmt.format(value);
}

function render(s) {
  lastSnapshotAt = Date.now();
  setPill('pill-stream', 'ok', 'live');
  $('banner-stream').hidden = true;

  // Kafka: how it is provided, whether it answers, and the topic's partitions.
  const b = s.broker;
  const mode = b.mode ?? 'unknown';
  $('banner-embedded').hidden = b.mode !== 'embedded';
  $('k-mode').textContent = {
    embedded: 'embedded (in memory, inside the AppHost)',
    container: 'container (apache/kafka)',
    external: 'external cluster',
  }[b.mode] ?? 'unknown (the API runs without the AppHost)';
  const health = b.reachable == null ? 'checking…' : b.reachable ? `healthy · ${b.brokers} broker${b.brokers === 1 ? '' : 's'}` : `unreachable: ${b.error ?? 'no answer'}`;
  $('k-health').textContent = health;
  $('k-health').className = b.reachable ? 'good' : b.reachable === false ? 'bad' : '';
  $('k-topic').textContent = b.topic;
  $('k-partitions').textContent = b.partitions ?? '—';
  setPill('pill-broker', b.reachable ? 'ok' : b.reachable === false ? 'bad' : 'wait',
    `Kafka ${mode} · ${b.reachable == null ? 'checking' : b.reachable ? 'healthy' : 'unreachable'} · ${b.partitions ?? '?'} partitions`);

  // The API's own counters.
  const a = s.api;
  $('v-accepted').textContent = rate(a.acceptedPerSecond);
  $('s-accepted').textContent = `${fmt.format(a.accepted)} accepted · ${fmt.format(a.inFlight)} awaiting the broker`;
  $('v-rejected').textContent = rate(a.rejectedPerSecond);
  $('s-rejected').textContent = `${fmt.format(a.rejected)} rejected (4xx) · ${fmt.format(a.failed)} not stored (5xx, ${rate(a.failedPerSecond)}/s)`;
  charts.accepted.push([a.acceptedPerSecond]);
  charts.rejected.push([a.rejectedPerSecond, a.failedPerSecond]);

  // The consumer, as it answered the API's poll.
  const c = s.consumer;
  if (c.reachable) {
    setPill('pill-consumer', c.state === 'running' ? 'ok' : 'warn', `consumer ${c.state}`);
    $('k-consumer').textContent = `${c.state} · member ${c.member || '(joining)'}`;
    $('k-consumer').className = c.state === 'running' ? 'good' : '';
    $('v-processed').textContent = rate(c.processedPerSecond);
    $('s-processed').textContent = `${fmt.format(c.processed)} processed · ${fmt.format(c.duplicates)} duplicates · ${fmt.format(c.deadLettered)} dead-lettered`
      + (c.gapEvents ? ` · ${fmt.format(c.gapEvents)} lost to retention` : '');
    $('v-lag').textContent = c.lag == null ? '—' : fmt.format(c.lag);
    $('s-lag').textContent = `over ${c.partitions.length} assigned partition${c.partitions.length === 1 ? '' : 's'}`;
  } else {
    setPill('pill-consumer', 'bad', 'consumer unreachable');
    $('k-consumer').textContent = `unreachable: ${c.error}`;
    $('k-consumer').className = 'bad';
    $('v-processed').textContent = '—';
    $('s-processed').textContent = 'consumer unreachable';
    $('v-lag').textContent = '—';
    $('s-lag').textContent = 'consumer unreachable';
  }
  charts.processed.push([c.processedPerSecond]);
  charts.lag.push([c.lag]);
  renderPartitions(c);
  renderRecent(c);
}

function renderPartitions(c) {
  const box = $('partition-lag');
  box.replaceChildren();
  if (!c.reachable || c.partitions.length === 0) {
    box.append(note(c.reachable ? 'no partitions assigned yet' : 'consumer unreachable'));
    return;
  }
  const max = Math.max(1, ...c.partitions.map(p => p.lag ?? 0));
  for (const p of c.partitions) {
    const row = element('div', 'bar');
    const track = element('div', 'track');
    const fill = element('div', 'fill');
    fill.style.width = `${((p.lag ?? 0) / max) * 100}%`;
    track.append(fill);
    row.append(element('span', '', String(p.partition)), track, element('span', 'n', p.lag == null ? '—' : fmt.format(p.lag)));
    row.title = p.lag == null ? 'nothing read from this partition yet' : `${p.lag} events behind`;
    box.append(row);
  }
}

function renderRecent(c) {
  const body = $('recent-rows');
  body.classList.toggle('stale', !c.reachable);
  $('recent-note').textContent = c.reachable ? `newest first, by ${c.member || 'the consumer'}` : 'consumer unreachable: last known rows';
  if (!c.reachable) return;
  body.replaceChildren();
  if (c.recent.length === 0) {
    const row = element('tr', 'empty');
    const cell = element('td', '', 'No events processed yet: send one.');
    cell.colSpan = 7;
    row.append(cell);
    body.append(row);
    return;
  }
  for (const e of c.recent) {
    const row = element('tr', sentIds.has(e.id) ? 'mine' : '');
    const latency = Date.parse(e.storedAt) - Date.parse(e.time);
    row.append(
      element('td', 'mono', new Date(e.storedAt).toLocaleTimeString([], { hour12: false }) + '.' + String(new Date(e.storedAt).getMilliseconds()).padStart(3, '0')),
      element('td', 'mono', e.id),
      element('td', '', e.type),
      element('td', 'mono', e.key ?? '—'),
      element('td', 'mono', `${e.partition} · ${e.offset}`),
      element('td', '', Number.isFinite(latency) && latency >= 0 ? `${fmt.format(latency)} ms` : '—'),
      element('td', 'data', e.data));
    row.cells[6].title = e.data;
    body.append(row);
  }
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text; // never innerHTML: event content is untrusted
  return e;
}

function note(text) {
  return element('p', 'muted', text);
}

const stream = new EventSource('console/stream');
stream.addEventListener('snapshot', e => render(JSON.parse(e.data)));
stream.addEventListener('error', () => setPill('pill-stream', 'warn', 'reconnecting…'));
const pageOpenedAt = Date.now();
setInterval(() => {
  // EventSource reconnects by itself; say so when the feed has been quiet for a while.
  if (Date.now() - (lastSnapshotAt || pageOpenedAt) > 4000) {
    setPill('pill-stream', 'bad', lastSnapshotAt ? 'feed stopped' : 'connecting…');
    $('banner-stream').hidden = false;
  }
}, 1000);

// ---------- Send one event ----------

const form = $('send-form');

function requestFor(fields) {
  // The data box goes into the body exactly as typed, so invalid JSON gets the API's own answer.
  const data = fields.data.trim();
  const members = [];
  const add = (name, value) => members.push(`${JSON.stringify(name)}:${value}`);
  if (fields.format === 'cloudevents') {
    add('specversion', '"1.0"');
    if (fields.id) add('id', JSON.stringify(fields.id));
    add('source', JSON.stringify(fields.source || 'urn:kafkaingestion:console'));
    add('type', JSON.stringify(fields.type));
    if (fields.key) add('partitionkey', JSON.stringify(fields.key));
    if (data) { add('datacontenttype', '"application/json"'); add('data', data); }
    return { path: 'events', contentType: 'application/cloudevents+json', body: `{${members.join(',')}}` };
  }
  if (fields.id) add('id', JSON.stringify(fields.id));
  add('type', JSON.stringify(fields.type));
  if (fields.source) add('source', JSON.stringify(fields.source));
  if (fields.key) add('key', JSON.stringify(fields.key));
  if (data) add('data', data);
  return { path: 'register_event', contentType: 'application/json', body: `{${members.join(',')}}` };
}

function currentFields() {
  return Object.fromEntries(new FormData(form).entries());
}

function showRequest() {
  const request = requestFor(currentFields());
  $('send-request').textContent = `POST /${request.path}`;
}
form.addEventListener('input', showRequest);
showRequest();

form.addEventListener('submit', async e => {
  e.preventDefault();
  const request = requestFor(currentFields());
  const button = $('send-button');
  button.disabled = true;
  const started = performance.now();
  try {
    const response = await fetch(request.path, { method: 'POST', headers: headers(request.contentType), body: request.body });
    const text = await response.text();
    showAnswer(response, text, performance.now() - started);
  } catch (error) {
    showAnswer(null, String(error), performance.now() - started);
  } finally {
    button.disabled = false;
  }
});

const STATUS_TEXT = { 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 413: 'Content Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 503: 'Service Unavailable' };

function showAnswer(response, text, ms) {
  $('answer').hidden = false;
  const status = $('answer-status');
  status.textContent = response ? `${response.status} ${response.statusText || STATUS_TEXT[response.status] || ''}`.trim() : 'no answer';
  status.className = `status ${response?.ok ? 'ok' : 'bad'}`;
  status.dataset.status = response ? String(response.status) : '';
  $('answer-time').textContent = `${fmt.format(ms)} ms`;

  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: shown as text */ }
  $('answer-body').textContent = body ? JSON.stringify(body, null, 2) : text || '(empty)';

  const fields = $('answer-fields');
  fields.replaceChildren();
  const add = (name, value) => {
    if (value == null || value === '') return;
    const dd = element('dd', '', typeof value === 'string' ? value : JSON.stringify(value));
    dd.dataset.field = name;
    fields.append(element('dt', '', name), dd);
  };
  if (!body) return;
  if (response?.ok) {
    if (body.id) sentIds.add(body.id);
    add('id', body.id);
    add('topic', body.topic);
    add('partition', body.partition);
    add('offset', body.offset);
  } else {
    // RFC 9457 ProblemDetails: what went wrong, and for invalid events which field.
    add('title', body.title);
    add('detail', body.detail);
    for (const [field, messages] of Object.entries(body.errors ?? {})) add(field, [].concat(messages).join(' '));
    if (body.ids) add('ids', body.ids.join(', '));
  }
}

// ---------- Burst: N events at R per second, at most M requests in flight ----------

const MAX_BATCH = 1000;

let burst = null;

$('burst-form').addEventListener('submit', e => {
  e.preventDefault();
  if (burst) return;
  const count = Math.max(1, Number($('burst-count').value) | 0);
  const perSecond = Math.max(1, Number($('burst-rate').value));
  const maxInFlight = Math.max(1, Number($('burst-inflight').value) | 0);
  startBurst(count, perSecond, maxInFlight, $('burst-mode').value === 'batch', $('burst-gzip').checked);
});
$('burst-stop').addEventListener('click', () => burst && (burst.stopped = true));

function startBurst(count, perSecond, maxInFlight, batched, gzip) {
  const run = {
    id: Math.random().toString(36).slice(2, 8),
    count, perSecond, maxInFlight, batched, gzip,
    jsonBytes: 0, bodyBytes: 0,
    started: performance.now(),
    sent: 0, accepted: 0, failed: 0, inFlight: 0,
    codes: new Map(),
    stopped: false,
  };
  burst = run;
  $('burst-start').disabled = true;
  $('burst-stop').disabled = false;
  $('burst-state').textContent = `sending ${fmt.format(count)} events at ${fmt.format(perSecond)}/s${batched ? ' in batches' : ''}${gzip ? ', gzipped' : ''}…`;
  $('burst-progress').max = count;

  const tick = () => {
    if (!run.stopped) {
      // Each event is due at started + i / rate; late ones (in-flight limit reached) go as soon as they can.
      const due = Math.min(run.count, Math.floor(((performance.now() - run.started) / 1000) * run.perSecond) + 1);
      while (run.sent < due && run.inFlight < run.maxInFlight) {
        if (run.batched) {
          // Everything due goes in one request: the rate holds however long the answers take.
          const events = Math.min(due - run.sent, MAX_BATCH);
          sendBurstBatch(run, run.sent, events);
          run.sent += events;
        } else {
          sendBurstEvent(run, run.sent++);
        }
      }
    }
    showBurst(run);
    if ((run.stopped || run.sent >= run.count) && run.inFlight === 0) {
      finishBurst(run);
    } else {
      setTimeout(tick, 10);
    }
  };
  tick();
}

// The body as sent: the JSON text, or its gzip stream (the browser's own CompressionStream).
async function burstBody(run, json) {
  const text = new TextEncoder().encode(json);
  const body = run.gzip ? await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer() : text;
  run.jsonBytes += text.byteLength;
  run.bodyBytes += body.byteLength;
  return body;
}

async function sendBurstEvent(run, n) {
  run.inFlight++;
  let code;
  try {
    const body = await burstBody(run, JSON.stringify({ type: 'console.burst', key: `customer-${n % 50}`, data: { burst: run.id, n } }));
    const response = await fetch('register_event', { method: 'POST', headers: headers('application/json', run.gzip && 'gzip'), body });
    code = String(response.status);
    if (response.ok) run.accepted++; else run.failed++;
    await response.arrayBuffer();
  } catch {
    code = 'network error';
    run.failed++;
  } finally {
    run.inFlight--;
  }
  run.codes.set(code, (run.codes.get(code) ?? 0) + 1);
}

async function sendBurstBatch(run, first, events) {
  run.inFlight++;
  const batch = [];
  for (let n = first; n < first + events; n++) {
    batch.push({
      specversion: '1.0', source: 'urn:kafkaingestion:console', type: 'console.burst',
      partitionkey: `customer-${n % 50}`, datacontenttype: 'application/json', data: { burst: run.id, n },
    });
  }
  let code;
  try {
    const body = await burstBody(run, JSON.stringify(batch));
    const response = await fetch('events', { method: 'POST', headers: headers('application/cloudevents-batch+json', run.gzip && 'gzip'), body });
    code = String(response.status);
    // 202 and 207 answer with per-event results and their counts; a refusal (ProblemDetails) has none.
    const answer = await response.json().catch(() => null);
    const accepted = answer?.accepted ?? 0;
    run.accepted += accepted;
    run.failed += events - accepted;
  } catch {
    code = 'network error';
    run.failed += events;
  } finally {
    run.inFlight--;
  }
  run.codes.set(code, (run.codes.get(code) ?? 0) + 1);
}

function showBurst(run) {
  const seconds = (performance.now() - run.started) / 1000;
  $('burst-sent').textContent = fmt.format(run.sent);
  $('burst-accepted').textContent = fmt.format(run.accepted);
  $('burst-failed').textContent = fmt.format(run.failed);
  $('burst-inflight-now').textContent = fmt.format(run.inFlight);
  $('burst-achieved').textContent = seconds > 0.2 ? `${fmt.format((run.accepted + run.failed) / seconds)}/s` : '—';
  $('burst-progress').value = run.accepted + run.failed;
  // Compressed: the share of the JSON it took; the whole story is in the tooltip.
  const bytes = $('burst-bytes');
  bytes.textContent = run.bodyBytes === 0 ? '—' : run.gzip ? `${fmt.format((100 * run.bodyBytes) / run.jsonBytes)}% gzip` : fmt.format(run.bodyBytes);
  bytes.title = `${fmt.format(run.bodyBytes)} body bytes sent${run.gzip ? `, ${fmt.format(run.jsonBytes)} as JSON before gzip` : ''}`;
  const codes = $('burst-codes');
  codes.replaceChildren(...[...run.codes].sort().map(([code, n]) => element('span', code.startsWith('2') ? '' : 'bad', `${code} × ${fmt.format(n)}`)));
}

function finishBurst(run) {
  const seconds = (performance.now() - run.started) / 1000;
  const answered = run.accepted + run.failed;
  const behind = run.stopped ? 'stopped' : answered / seconds < run.perSecond * 0.9 && run.count > run.perSecond
    ? `slower than asked: the answers (or the in-flight limit of ${run.maxInFlight}) held it back`
    : 'done';
  $('burst-state').textContent = `${behind}: ${fmt.format(answered)} answered in ${fmt1.format(seconds)} s`;
  $('burst-start').disabled = false;
  $('burst-stop').disabled = true;
  burst = null;
}
