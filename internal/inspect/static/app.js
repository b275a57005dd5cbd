// comethook inspector: the list of deliveries (paged, kept live by server-sent events) and
// the detail of one. Every value that comes from a delivery is inserted as text (append of
// a string, textContent): never as HTML.
'use strict';

const PAGE = 100;       // rows per request
const MAX_ROWS = 1000;  // rows kept in the page while new ones arrive; older ones reload on scroll
const OUTCOMES = new Set(['delivered', 'injected', 'dropped', 'failed', 'rejected']);

const state = {
  info: { forwardTo: '', replay: false },
  trigger: '', outcome: '',
  rows: new Map(),      // seq → <li>
  oldest: 0, more: false,
  gen: 0, loadingFirst: true, loadingMore: false,
  pending: [], frame: 0, stale: false,
  selected: 0, total: 0,
  triggers: new Set(),
  stopped: false,       // listen said it stopped: nothing can be fetched until it is back
};

const $ = (id) => document.getElementById(id);

// el makes an element; string children become text nodes.
function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) if (c != null && c !== '') e.append(c);
  return e;
}

function button(label, cls, onclick, action) {
  const b = el('button', 'btn ' + cls, label);
  b.type = 'button';
  if (action) b.dataset.action = action;
  b.addEventListener('click', onclick);
  return b;
}

// BigNum is an integer too big for a JS number, kept as it was written.
class BigNum { constructor(src) { this.src = src; } }

function parseJSON(text) {
  return JSON.parse(text, (k, v, ctx) =>
    typeof v === 'number' && !Number.isSafeInteger(v) && ctx && /^-?\d+$/.test(ctx.source) ? new BigNum(ctx.source) : v);
}

async function api(path, opts) {
  const r = await fetch(path, opts);
  const text = await r.text();
  let body;
  try { body = parseJSON(text); } catch { body = { error: text.trim() || r.statusText }; }
  if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
  return body;
}

// ---- formatting ----

function fmtTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleTimeString([], { hour12: false });
}

function fmtMs(ms) {
  if (ms < 10) return ms.toFixed(1) + ' ms';
  if (ms < 1000) return Math.round(ms) + ' ms';
  return (ms / 1000).toFixed(1) + ' s';
}

const who = (r) => (r.from && r.to ? `${r.from} → ${r.to}` : r.from || r.to || '');

function what(r) {
  const parts = [];
  if (r.gist) parts.push(r.gist);
  if (r.text) parts.push(`"${r.text}"`);
  if (r.by) parts.push('by ' + r.by);
  if (r.error) parts.push(r.error);
  return parts.join('  ');
}

const outcomeEl = (o) => el('span', 'outcome' + (OUTCOMES.has(o) ? ' o-' + o : ''), o);
const statusEl = (s) => el('span', 'status s-' + Math.floor(s / 100), String(s));

// ---- the list ----

function rowEl(r) {
  const li = el('li', 'row');
  li.dataset.seq = r.seq;
  li.tabIndex = 0;
  const text = what(r);
  const w = el('span', 'what');
  if (r.duplicateOf) w.append(el('span', 'dup', `↻ dup of #${r.duplicateOf}`));
  w.append(text);
  w.title = text;
  li.append(
    el('span', 'time', fmtTime(r.receivedAt)),
    el('span', 'seq', '#' + r.seq),
    el('span', 'trigger', r.trigger || `${r.method} ${r.path}`),
    el('span', 'sub', el('span', 'who', who(r)), w), // one line under the trigger when the list is narrow
    statusEl(r.status),
    outcomeEl(r.outcome),
    el('span', 'dur', fmtMs(r.durationMs)),
  );
  if (r.seq === state.selected) li.classList.add('sel');
  return li;
}

const matches = (r) => (!state.trigger || r.trigger === state.trigger) && (!state.outcome || r.outcome === state.outcome);

function query(before) {
  const p = new URLSearchParams({ limit: PAGE });
  if (before) p.set('before', before);
  if (state.trigger) p.set('trigger', state.trigger);
  if (state.outcome) p.set('outcome', state.outcome);
  return '/api/deliveries?' + p;
}

// loadFirst (re)loads the newest page; live rows wait until it is in.
async function loadFirst() {
  const gen = ++state.gen;
  state.loadingFirst = true;
  try {
    const page = await api(query(0));
    if (gen !== state.gen) return;
    $('list').replaceChildren();
    state.rows.clear();
    appendPage(page);
  } catch (e) {
    if (gen === state.gen) showListError(e);
  } finally {
    if (gen === state.gen) {
      state.loadingFirst = false;
      flush();
    }
  }
}

async function loadMore() {
  if (state.loadingFirst || state.loadingMore || !state.more) return;
  state.loadingMore = true;
  const gen = state.gen;
  try {
    const page = await api(query(state.oldest));
    if (gen === state.gen) appendPage(page);
  } catch (e) {
    showListError(e);
  } finally {
    state.loadingMore = false;
  }
}

function appendPage(page) {
  const list = $('list');
  const frag = document.createDocumentFragment();
  for (const r of page.items) {
    if (state.rows.has(r.seq)) continue;
    const li = rowEl(r);
    state.rows.set(r.seq, li);
    frag.append(li);
  }
  list.append(frag);
  state.more = page.more;
  state.total = page.total;
  page.triggers.forEach(addTrigger);
  listChanged();
  // A short page may leave the "more" line in view, where the observer will not fire again.
  requestAnimationFrame(() => { if (state.more && inView($('more'))) loadMore(); });
}

function inView(e) {
  const r = e.getBoundingClientRect();
  return !e.hidden && r.top < innerHeight && r.bottom > 0;
}

function listChanged() {
  const list = $('list');
  const last = list.lastElementChild;
  state.oldest = last ? +last.dataset.seq : 0;
  $('more').hidden = !state.more;
  const filtered = state.trigger || state.outcome;
  $('empty').hidden = list.firstElementChild || filtered;
  $('nomatch').hidden = list.firstElementChild || !filtered;
  $('count').textContent = `${state.total.toLocaleString()} ${state.total === 1 ? 'delivery' : 'deliveries'}`;
}

function showListError(e) {
  $('more').hidden = false;
  $('more').textContent = 'could not load deliveries: ' + e.message;
}

function addTrigger(t) {
  if (!t || state.triggers.has(t)) return;
  state.triggers.add(t);
  const sel = $('f-trigger');
  const opt = el('option', '', t);
  opt.value = t;
  let next = sel.options[1];
  while (next && next.value < t) next = next.nextElementSibling;
  sel.insertBefore(opt, next);
}

// ---- live updates: queued, then drawn once per animation frame ----

function onDelivery(r) {
  state.pending.push(r);
  if (state.pending.length > MAX_ROWS) { // a hidden tab draws nothing: reload when shown
    state.pending = [];
    state.stale = true;
  }
  if (!state.frame) state.frame = requestAnimationFrame(flush);
}

function flush() {
  state.frame = 0;
  if (state.loadingFirst) return; // loadFirst flushes when its page is in
  if (state.stale) {
    state.stale = false;
    loadFirst();
    return;
  }
  const batch = state.pending;
  state.pending = [];
  for (const r of batch) {
    addTrigger(r.trigger);
    if (matches(r)) insertRow(r);
  }
  if (batch.length) trim();
  listChanged();
}

function insertRow(r) {
  if (state.rows.has(r.seq)) return;
  const li = rowEl(r);
  li.classList.add('new');
  const list = $('list');
  let next = list.firstElementChild; // usually the new row goes first
  while (next && +next.dataset.seq > r.seq) next = next.nextElementSibling;
  list.insertBefore(li, next);
  state.rows.set(r.seq, li);
}

// trim keeps the page light while deliveries pour in, unless the user is reading further down.
function trim() {
  const list = $('list');
  // The list pane scrolls on a desktop, main on a phone.
  if ([list.parentElement, list.closest('main'), document.scrollingElement].some((e) => e.scrollTop > 200)) return;
  while (list.children.length > MAX_ROWS) {
    const last = list.lastElementChild;
    state.rows.delete(+last.dataset.seq);
    last.remove();
    state.more = true;
  }
}

function connect() {
  const es = new EventSource('/api/stream');
  let broken = false;
  es.onopen = () => {
    setLive(true);
    if (broken) { broken = false; loadFirst(); } // fill what was missed while away
  };
  es.onerror = () => { setLive(false); broken = true; };
  // listen stopped: say so, and where its deliveries are. EventSource keeps trying, so the
  // page comes back by itself when a listen serves this address again.
  es.addEventListener('stopped', () => { state.stopped = true; setLive(false); });
  es.addEventListener('delivery', (e) => {
    const m = parseJSON(e.data);
    state.total = m.total;
    onDelivery(m.row);
  });
  es.addEventListener('reset', () => loadFirst());
}

function setLive(on) {
  if (on) state.stopped = false;
  const l = $('live');
  l.classList.toggle('off', !on);
  l.textContent = on ? 'live' : state.stopped ? 'listen stopped' : 'reconnecting…';
  $('stopped').hidden = !state.stopped;
}

// fetchFailed says what a failed request means for the user: when listen is not running, where
// the delivery can still be seen.
function fetchFailed(e, seq) {
  if (state.stopped || e instanceof TypeError) { // TypeError: the request never got an answer
    return `listen is not running, so #${seq} cannot be fetched: comethook events show ${seq} prints it from the capture.`;
  }
  return e.message;
}

// ---- the detail view ----

async function openDetail(seq) {
  state.selected = seq;
  for (const li of document.querySelectorAll('.row.sel')) li.classList.remove('sel');
  state.rows.get(seq)?.classList.add('sel');
  document.body.classList.add('show-detail');
  history.replaceState(null, '', '#' + seq);
  const pane = $('detail');
  pane.replaceChildren(el('p', 'hint', `loading #${seq}…`));
  try {
    const d = await api('/api/deliveries/' + seq);
    if (state.selected === seq) renderDetail(d);
  } catch (e) {
    if (state.selected === seq) pane.replaceChildren(closeBar(), el('p', 'error', fetchFailed(e, seq)));
  }
}

function closeDetail() {
  state.selected = 0;
  document.body.classList.remove('show-detail');
  for (const li of document.querySelectorAll('.row.sel')) li.classList.remove('sel');
  history.replaceState(null, '', location.pathname);
  $('detail').replaceChildren(el('p', 'hint', 'Select a delivery to see its headers, payload and answer.'));
}

function closeBar() {
  const b = button('✕', 'close', closeDetail, 'close');
  b.title = 'close';
  b.setAttribute('aria-label', 'close');
  return b;
}

function section(title, open, ...content) {
  const d = el('details', 'section', el('summary', '', ...[].concat(title)), ...content);
  d.open = open;
  return d;
}

function renderDetail(d) {
  const r = d.row, rec = d.record;
  const head = el('div', 'd-head', el('h2', '', `#${r.seq} `, r.trigger || rec.method), closeBar());
  const tags = el('p', 'd-tags', outcomeEl(r.outcome), statusEl(r.status), el('span', 'faint', fmtMs(r.durationMs)));
  const meta = [new Date(rec.receivedAt).toLocaleString(), `${rec.method} ${r.path}`,
    rec.webhook && 'webhook ' + rec.webhook, rec.appId && 'app ' + rec.appId,
    answeredBy(rec.response).replace(/^from/, 'answered by')];
  const sum = el('p', 'd-summary');
  if (r.duplicateOf) sum.append(el('span', 'dup', `↻ duplicate of #${r.duplicateOf}`));
  sum.append([who(r), what(r)].filter(Boolean).join('  '));

  const out = el('p', 'result');
  const actions = el('div', 'actions');
  let editor = null;
  if (state.info.replay) {
    actions.append(button('Replay to listener', '', () => replay(r.seq, 'listener', '', out), 'replay-listener'));
    if (state.info.forwardTo) actions.append(button('Replay to your app', '', () => replay(r.seq, 'forward', '', out), 'replay-forward'));
  }
  if (d.fixture) {
    const a = el('a', 'btn fixture', 'Download as fixture');
    a.href = d.fixture;
    a.download = '';
    actions.append(a);
  }
  if (state.info.replay && d.payloadText) {
    editor = makeEditor(r.seq, d.payloadText, out);
    actions.append(button('Replay with changes…', '', () => {
      editor.hidden = !editor.hidden;
      if (!editor.hidden) showText(editor.querySelector('textarea'));
    }, 'edit'));
  }
  const copyText = d.payloadText || rec.body;
  if (copyText) { // the payload as text: copying from the tree would lose its commas and quotes
    const copy = button('Copy payload', '', async () => {
      copy.textContent = await copyToClipboard(copyText) ? 'Copied' : 'Copy failed: select the text in the editor';
      setTimeout(() => { copy.textContent = 'Copy payload'; }, 2000);
    }, 'copy');
    actions.append(copy);
  }

  const parts = [head, tags, el('p', 'd-meta', meta.filter(Boolean).join('  ·  ')), sum, actions, out];
  if (editor) parts.push(editor);
  if (rec.error) parts.push(el('p', 'error', rec.error));
  if (rec.warnings?.length) parts.push(el('ul', 'notes warn', ...rec.warnings.map((w) => el('li', '', w))));
  if (d.verdict) parts.push(verdictSection(d.verdict));
  parts.push(section('Payload', true, payloadView(rec)));
  parts.push(section(['Answer ', el('span', 'faint', `${rec.response.status} · ${fmtMs(rec.response.durationMs)} · ${answeredBy(rec.response)}`)],
    true, bodyView(rec.response.body)));
  parts.push(section(['Headers ', el('span', 'faint', '(credentials masked)')], false, headersView(rec.headers)));
  $('detail').replaceChildren(...parts);
  $('detail').scrollTop = 0;
}

function payloadView(rec) {
  if (rec.payload !== null) return jsonTree(rec.payload);
  if (rec.body != null) return el('pre', 'text', rec.body);
  return el('p', 'faint', '(no payload)');
}

function bodyView(b) {
  if (b === null || b === undefined) return el('p', 'faint', '(empty)');
  if (typeof b === 'object') return jsonTree(b);
  return el('pre', 'text', String(b));
}

function headersView(h) {
  const dl = el('dl', 'kv');
  for (const k of Object.keys(h || {}).sort()) dl.append(el('dt', '', k), el('dd', '', h[k]));
  return dl;
}

function verdictSection(v) {
  const lines = [];
  const where = `data.metadata["@injected"].webhooks["${v.webhook}"]`;
  const say = {
    delivered: 'CometChat delivers the message unchanged.',
    injected: `CometChat stores the answer in the message, under ${where}.`,
    dropped: 'CometChat drops the message: nobody receives it.',
    failed: v.drop ? 'The answer is unusable, and CometChat drops the message.' : 'The answer is unusable; CometChat delivers the message unchanged.',
  }[v.outcome] || '';
  lines.push(el('p', '', outcomeEl(v.outcome), ' ', say));
  if (v.assumptions.length) lines.push(el('ul', 'notes faint', ...v.assumptions.map((a) => el('li', '', a))));
  if (v.messageWarning) lines.push(el('p', 'warn', v.messageWarning));
  if (v.message) {
    lines.push(el('p', 'faint', 'The message as CometChat delivers it:'));
    lines.push(jsonTree(v.message));
  }
  return section('before_message verdict', true, ...lines);
}

// ---- collapsible JSON ----

function jsonTree(v) {
  return el('div', 'json', jsonNode(null, v, 0, false));
}

// jsonNode opens objects down to depth 4, and everything under "@injected": the part of a
// message the developer's answer made.
function jsonNode(key, v, depth, injected) {
  injected ||= key === '@injected';
  const k = key === null ? null : el('span', 'jk' + (key === '@injected' ? ' mark' : ''), JSON.stringify(key) + ': ');
  if (v === null || typeof v !== 'object' || v instanceof BigNum) return el('div', 'jl', k, scalar(v));
  const arr = Array.isArray(v);
  const entries = arr ? v.map((x, i) => [null, x]) : Object.entries(v);
  const [open, shut] = arr ? ['[', ']'] : ['{', '}'];
  if (!entries.length) return el('div', 'jl', k, el('span', 'jp', open + shut));
  const d = el('details', '',
    el('summary', '', k, el('span', 'jp', open), el('span', 'jp jc', ` ${entries.length} ${arr ? 'item' : 'key'}${entries.length === 1 ? '' : 's'} ${shut}`)));
  d.open = injected || (depth < 4 && entries.length <= 50) || hasInjected(v);
  for (const [ck, x] of entries) d.append(jsonNode(ck, x, depth + 1, injected));
  d.append(el('div', 'jp jend', shut));
  return d;
}

function hasInjected(v) {
  if (v === null || typeof v !== 'object' || v instanceof BigNum) return false;
  return Object.entries(v).some(([k, x]) => k === '@injected' || hasInjected(x));
}

function scalar(v) {
  if (v instanceof BigNum) return el('span', 'jn', v.src);
  switch (typeof v) {
    case 'string': return el('span', 'js', JSON.stringify(v));
    case 'number': return el('span', 'jn', String(v));
    default: return el('span', 'jb', String(v));
  }
}

// answeredBy says who gave an answer, and whether the caller was still there for it.
function answeredBy(r) {
  const who = r.source === 'forward' ? 'from your app'
    : r.source === 'comethook' ? 'from comethook, for your app' : 'from comethook';
  return r.callerGone ? who + ' · the caller had hung up' : who;
}

// ---- replay ----

async function replay(seq, target, body, out) {
  out.replaceChildren(el('span', 'faint', 'replaying…'));
  try {
    const res = await api(`/api/deliveries/${seq}/replay?target=${encodeURIComponent(target)}`,
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    // replaceChildren, unlike el(), would write a null as the text "null".
    out.replaceChildren(`replayed to ${target === 'forward' ? 'your app' : 'the listener'}: `,
      statusEl(res.status), ' ', outcomeEl(res.outcome), ' ', el('span', 'faint', fmtMs(res.durationMs)),
      ...(res.error ? [el('span', 'error', '  ' + res.error)] : []));
  } catch (e) {
    out.replaceChildren(el('span', 'error', state.stopped || e instanceof TypeError
      ? `listen is not running: comethook replay ${seq} sends it again from the capture.`
      : 'replay failed: ' + e.message));
  }
}

// showText opens the editor at the top of the payload with the message's text in view and
// the caret on it (the end of a long payload is seldom what one came to change).
function showText(ta) {
  const m = /"text": "/.exec(ta.value);
  const at = m ? m.index + m[0].length : 0;
  ta.focus({ preventScroll: true });
  ta.setSelectionRange(at, at);
  const line = ta.value.slice(0, at).split('\n').length - 1;
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 16;
  ta.scrollTop = Math.max(0, (line - 3) * lh);
  ta.scrollIntoView({ block: 'nearest' });
}

async function copyToClipboard(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function makeEditor(seq, text, out) {
  const ta = el('textarea');
  ta.value = text;
  ta.spellcheck = false;
  ta.setAttribute('aria-label', 'payload to replay');
  const err = el('p', 'error');
  const target = el('select');
  for (const [v, label] of [['listener', 'to the listener'], ['forward', 'to your app']]) {
    if (v === 'forward' && !state.info.forwardTo) continue;
    const o = el('option', '', label);
    o.value = v;
    target.append(o);
  }
  const send = button('Send', 'primary', () => {
    try {
      JSON.parse(ta.value);
    } catch (e) {
      err.textContent = 'Not valid JSON, nothing sent: ' + e.message;
      return;
    }
    err.textContent = '';
    replay(seq, target.value, ta.value, out);
  }, 'send');
  const box = el('div', 'editor', ta, el('div', 'row2', send, target, err));
  box.hidden = true;
  return box;
}

// ---- start ----

function start() {
  const list = $('list');
  list.addEventListener('click', (e) => {
    const li = e.target.closest('.row');
    if (li) openDetail(+li.dataset.seq);
  });
  list.addEventListener('keydown', (e) => {
    const li = e.target.closest('.row');
    if (!li) return;
    const to = { ArrowDown: li.nextElementSibling, ArrowUp: li.previousElementSibling }[e.key];
    if (e.key === 'Enter' || e.key === ' ') openDetail(+li.dataset.seq);
    else if (to) { to.focus(); openDetail(+to.dataset.seq); }
    else return;
    e.preventDefault();
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.selected) closeDetail(); });
  for (const [id, key] of [['f-trigger', 'trigger'], ['f-outcome', 'outcome']]) {
    $(id).addEventListener('change', (e) => { state[key] = e.target.value; loadFirst(); });
  }
  new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) loadMore(); }).observe($('more'));

  connect(); // before the first page, so nothing added meanwhile is missed
  api('/api/info').then((info) => {
    state.info = info;
    if (info.forwardTo) {
      $('forward').hidden = false;
      $('forward').textContent = 'forwarding to ' + info.forwardTo;
    }
  }).catch(() => {}).finally(async () => {
    await loadFirst();
    const seq = parseInt(location.hash.slice(1), 10);
    if (seq > 0) openDetail(seq);
  });
}

start();
