// reel studio's page: plain ES module, no dependencies, no network beyond this server.
// Everything from the server is escaped before it becomes HTML.

// reel's own cost formatting (src/plan/cost.ts, compiled), served by the studio: one implementation.
import { formatCost } from '/cost.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
const $ = (sel) => document.querySelector(sel);
const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const SYMBOLS = { create: '+', update: '~', metadata: '*', unchanged: '=', resume: '>', failed: '!', remove: '-' };
const ORDER = ['create', 'update', 'metadata', 'resume', 'failed', 'remove', 'unchanged'];
const PHRASES = { create: 'to create', update: 'to update', metadata: 'metadata only', resume: 'to resume', failed: 'failed', remove: 'to remove', unchanged: 'unchanged' };

const ui = { filter: '', action: 'changes', group: 'file', state: null, entry: null, review: null, audio: {} };

function seconds(n, measured) {
  if (measured) return `${n} s`;
  if (n < 120) return `~${n} s`;
  const m = Math.floor(n / 60);
  return n % 60 ? `~${m} min ${n % 60} s` : `~${m} min`;
}

/** An estimated cost in the plan's unit, as `reel plan` prints it: "~$0.80". */
function cost(amount) {
  return `~${formatCost(amount, ui.state.totals.costUnit)}`;
}

// Requests in flight, on the body as data-busy: the page is settled when it reads 0.
let busy = 0;
function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = String(busy);
}

async function api(path, body) {
  const init = { headers: { 'x-reel-token': token } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  setBusy(1);
  try {
    const res = await fetch(path, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error ?? `HTTP ${res.status}`), { data, status: res.status });
    return data;
  } finally {
    setBusy(-1);
  }
}

function toast(text, bad = false) {
  const t = $('#toast');
  t.textContent = text;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 4000);
}

// ---------- live updates ----------

function connect() {
  const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  // On (re)connect: fetch again only if the plan moved on while the stream was down.
  events.addEventListener('hello', (e) => {
    if (!ui.state || ui.state.version !== JSON.parse(e.data).version) refresh();
  });
  events.addEventListener('plan', () => refresh());
  events.addEventListener('build', (e) => onBuild(JSON.parse(e.data)));
  events.onerror = () => {
    $('#live').textContent = 'reconnecting…';
    $('#live').className = 'live off';
  };
}

let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = (async () => {
    try {
      ui.state = await api('/api/state');
      $('#live').textContent = `live · ${new Date().toLocaleTimeString()}`;
      $('#live').className = 'live';
      document.body.dataset.version = String(ui.state.version);
      render();
    } catch (error) {
      if (error.status !== 503) toast(error.message, true);
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) {
    again = false;
    await refresh();
  }
}

// ---------- routing ----------

function route() {
  const m = /^#\/entry\/(.+)$/.exec(location.hash);
  return m ? { page: 'entry', id: decodeURIComponent(m[1]) } : { page: 'overview' };
}

window.addEventListener('hashchange', () => {
  ui.entry = null;
  ui.review = null;
  render();
  window.scrollTo(0, 0);
});

// Every render bumps this; an entry page whose data arrives after a newer render (the person went
// back to the overview, or a later update re-rendered) is dropped instead of replacing the page.
let renderSeq = 0;

function render() {
  const s = ui.state;
  if (!s) return;
  const seq = ++renderSeq;
  $('#project').textContent = s.project;
  $('#api').textContent = s.api === 'emulator' ? 'emulator · free' : s.api;
  $('#api').className = `badge ${s.api === 'emulator' ? 'emu' : 'live-api'}`;
  $('#build').hidden = !s.build.allowed;
  const removals = s.confirm.removals.length;
  $('#build').disabled = s.build.running || (s.totals.renders === 0 && removals === 0);
  $('#build').textContent = s.build.running ? 'Building…' : s.totals.renders ? `Build ${s.totals.renders}…` : removals ? `Remove ${removals}…` : 'Nothing to build';
  const r = route();
  if (r.page === 'entry') renderEntry(r.id, seq);
  else renderOverview();
}

// ---------- overview ----------

function totalsHtml(t) {
  const chips = ORDER.filter((a) => t.counts[a] > 0)
    .map((a) => `<span class="chip a-${a}"><b>${t.counts[a]}</b> ${PHRASES[a]}</span>`)
    .join('');
  const render = t.renders
    ? `<span class="total"><b>${seconds(t.seconds)}</b> of video to render · ${t.renders} ${t.renders === 1 ? 'video' : 'videos'}${t.measured ? ` · ${t.measured} measured by text to speech` : ''} · estimated <b class="cost">${cost(t.cost)}</b></span>`
    : '<span class="total">nothing to render</span>';
  return `<section class="totals">${chips || '<span class="chip">no videos</span>'}${render}</section>`;
}

function problemsHtml(problems, stale) {
  if (!problems.length) return '';
  const rows = problems
    .map(
      (p) => `<li class="${p.severity}">
        <button class="loc" data-file="${esc(p.file)}" data-line="${p.line}" data-col="${p.col}" title="copy, or open in your editor">${esc(p.file)}:${p.line}:${p.col}</button>
        ${p.id ? `<code>${esc(p.id)}</code>` : ''} <span>${esc(p.message)}</span></li>`,
    )
    .join('');
  const note = stale.length ? `<p class="muted">The plan keeps the last good version of ${stale.map(esc).join(', ')} until ${stale.length === 1 ? 'it is' : 'they are'} fixed.</p>` : '';
  return `<section class="problems"><h2>${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}</h2><ul>${rows}</ul>${note}</section>`;
}

function matches(e) {
  if (ui.action === 'changes' && e.action === 'unchanged') return false;
  if (ui.action !== 'changes' && ui.action !== 'all' && e.action !== ui.action) return false;
  return !ui.filter || e.id.includes(ui.filter) || (e.title ?? '').toLowerCase().includes(ui.filter);
}

function rowHtml(e) {
  const note = e.review ? '<span class="tag review">awaiting review</span>' : '';
  return `<tr class="a-${e.action}" data-id="${esc(e.id)}">
    <td class="sym">${SYMBOLS[e.action]}</td>
    <td class="id"><a href="#/entry/${encodeURIComponent(e.id)}">${esc(e.id)}</a>${e.row ? `<span class="muted"> row ${e.row}</span>` : ''}</td>
    <td class="action">${e.action}${note}</td>
    <td class="title">${esc(e.title ?? '')}</td>
    <td class="mode">${e.mode ?? ''}</td>
    ${estimateCells(e)}
    <td class="changed">${esc(e.changed.join(', '))}</td>
  </tr>`;
}

// Seconds and cost of what the entry bills; a shared render names the entry it shares with (billed once).
function estimateCells(e) {
  if (e.sharedWith !== undefined) {
    const why = `same render as ${e.sharedWith}: rendered and billed once`;
    return `<td class="secs" title="${esc(why)}">= ${esc(e.sharedWith)}</td><td class="cost muted" title="${esc(why)}">same render</td>`;
  }
  if (!e.billed) return '<td class="secs"></td><td class="cost"></td>';
  return `<td class="secs">${seconds(e.seconds, e.measured)}${e.measured ? ' <span class="tag">measured</span>' : ''}</td><td class="cost">${cost(e.cost)}</td>`;
}

function groupNote(list) {
  const billed = list.filter((e) => e.billed);
  const secs = billed.reduce((n, e) => n + e.seconds, 0);
  const total = billed.reduce((n, e) => n + e.cost, 0);
  return `${list.length} ${list.length === 1 ? 'video' : 'videos'}${billed.length ? ` · ${seconds(secs)} to render · ${cost(total)}` : ''}`;
}

function groupsOf(entries) {
  const groups = new Map();
  for (const e of entries) {
    const key = ui.group === 'template' ? (e.template ? `each: ${e.template}` : (e.file ?? 'reel.lock (removed)')) : (e.file ?? 'reel.lock (removed)');
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(e);
  }
  return [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function listHtml() {
  const shown = ui.state.entries.filter(matches);
  if (!shown.length) {
    const hidden = ui.state.entries.length;
    return `<p class="empty">${hidden ? `No entry matches. ${ui.action === 'changes' ? 'Everything is up to date; choose “all” to list every video.' : ''}` : 'No videos yet: add a manifest under videos/.'}</p>`;
  }
  return groupsOf(shown)
    .map(
      ([name, list]) => `<section class="group"><h3><span>${esc(name)}</span><span class="muted">${groupNote(list)}</span></h3>
      <table><tbody>${list.map(rowHtml).join('')}</tbody></table></section>`,
    )
    .join('');
}

function renderOverview() {
  const s = ui.state;
  const main = $('#main');
  if (!main.querySelector('#overview')) {
    const actions = ['changes', 'all', ...ORDER].map((a) => `<option value="${a}">${a === 'changes' ? 'changes' : a === 'all' ? 'all videos' : a}</option>`).join('');
    main.innerHTML = `<div id="overview">
      <div id="summary"></div>
      <div class="filters">
        <input id="filter" type="search" placeholder="Filter by id or title" autocomplete="off">
        <label>Show <select id="action">${actions}</select></label>
        <label>Group by <select id="group"><option value="file">file</option><option value="template">each: template</option></select></label>
        <span id="count" class="muted"></span>
      </div>
      <div id="list"></div>
    </div>`;
    $('#filter').value = ui.filter;
    $('#action').value = ui.action;
    $('#group').value = ui.group;
    $('#filter').addEventListener('input', (e) => {
      ui.filter = e.target.value.trim().toLowerCase();
      renderList();
    });
    $('#action').addEventListener('change', (e) => {
      ui.action = e.target.value;
      renderList();
    });
    $('#group').addEventListener('change', (e) => {
      ui.group = e.target.value;
      renderList();
    });
  }
  $('#summary').innerHTML = totalsHtml(s.totals) + problemsHtml(s.problems, s.staleFiles);
  renderList();
}

function renderList() {
  const started = performance.now();
  $('#list').innerHTML = listHtml();
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  const shown = ui.state.entries.filter(matches).length;
  $('#count').textContent = `${shown} of ${ui.state.entries.length}`;
}

// Problems: click copies file:line:col, and opens it in the editor when one is configured.
document.addEventListener('click', async (event) => {
  const loc = event.target.closest?.('button.loc');
  if (!loc) return;
  const text = `${loc.dataset.file}:${loc.dataset.line}:${loc.dataset.col}`;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {}
  try {
    await api('/api/open', { file: loc.dataset.file, line: Number(loc.dataset.line), col: Number(loc.dataset.col) });
    toast(`Opened ${text} in your editor`);
  } catch (error) {
    toast(copied ? `Copied ${text}` : `${text} — ${error.message}`);
  }
});

// ---------- entry page ----------

async function renderEntry(id, seq) {
  const main = $('#main');
  let entry;
  try {
    entry = await api(`/api/entry?id=${encodeURIComponent(id)}`);
  } catch (error) {
    if (seq === renderSeq) main.innerHTML = `<p><a href="#/">← All videos</a></p><p class="empty">${esc(error.message)}</p>`;
    return;
  }
  if (seq !== renderSeq) return;
  ui.entry = entry;
  const e = ui.entry;
  // Keep a playing video playing across live updates: only re-render when something shown changed.
  const key = JSON.stringify(e);
  if (main.dataset.entryKey === key && main.querySelector('#entry')) return;
  main.dataset.entryKey = key;
  const media = mediaHtml(e);
  main.innerHTML = `<div id="entry">
    <p class="crumbs"><a href="#/">← All videos</a>${e.file ? ` · <button class="loc" data-file="${esc(e.file)}" data-line="${e.line}" data-col="${e.col}">${esc(e.file)}:${e.line}:${e.col}</button>` : ''}${e.row ? ` <span class="muted">row ${e.row}</span>` : ''}</p>
    <h1><span class="chip a-${e.action}">${SYMBOLS[e.action]} ${e.action}</span> ${esc(e.id)}</h1>
    <p class="reason">${esc(e.reason)}${entryEstimate(e)}</p>
    <div class="cols">
      <div class="col">
        ${media}
        ${listenHtml(e)}
        ${diffHtml(e)}
        ${e.mode === 'agent' ? '<section id="review" class="panel"><h2>Storyboard review</h2><p class="muted">Loading the session…</p></section>' : ''}
      </div>
      <div class="col">
        ${castHtml(e)}
        <section class="panel"><h2>Request <span class="muted">${esc(e.endpoint ?? '')}</span></h2><pre class="json">${esc(JSON.stringify(e.request, null, 2))}</pre></section>
        <section class="panel"><h2>Lock record ${e.lock ? `<span class="tag">${esc(e.lock.status)}</span>` : ''}</h2>${e.lock ? `<pre class="json">${esc(JSON.stringify(e.lock, null, 2))}</pre>` : '<p class="muted">Not in reel.lock yet: never rendered.</p>'}</section>
      </div>
    </div>
  </div>`;
  const video = main.querySelector('video');
  if (video) video.addEventListener('error', () => toast('The browser cannot play this file', true));
  if (e.mode === 'agent') loadReview(e);
}

function entryEstimate(e) {
  if (e.sharedWith !== undefined) return ` Same render as <a href="#/entry/${encodeURIComponent(e.sharedWith)}">${esc(e.sharedWith)}</a>: rendered and billed once.`;
  if (!e.billed) return '';
  const unitCost = `~${formatCost(e.cost, e.costUnit)}`;
  return ` <b>${seconds(e.seconds, e.measured)}</b>${e.measured ? ' (measured by text to speech)' : ' (estimated)'}, estimated <b class="cost">${unitCost}</b>.`;
}

function mediaUrl(e, kind) {
  return `/api/media?id=${encodeURIComponent(e.id)}&kind=${kind}&token=${encodeURIComponent(token)}`;
}

function mediaHtml(e) {
  if (!e.outputs.video) {
    const thumb = e.outputs.thumbnail ? `<img class="thumb" alt="thumbnail" src="${mediaUrl(e, 'thumbnail')}">` : '';
    return `<section class="panel player empty-player">${thumb}<p class="muted">${e.lock?.status === 'completed' ? 'The rendered file is not in the output folder.' : 'Not rendered yet.'}</p></section>`;
  }
  const poster = e.outputs.thumbnail ? ` poster="${mediaUrl(e, 'thumbnail')}"` : '';
  const track = e.outputs.captions ? `<track kind="captions" srclang="en" label="Captions" default src="${mediaUrl(e, 'captions')}">` : '';
  return `<section class="panel player"><video id="player" controls preload="auto" playsinline${poster} src="${mediaUrl(e, 'video')}">${track}</video>
    <p class="muted">${esc(e.lock.output.path)} · ${Math.round(e.lock.output.size / 1024)} KB${e.lock.duration ? ` · ${e.lock.duration} s` : ''}${e.outputs.captions ? ' · captions' : ''}</p></section>`;
}

function listenHtml(e) {
  if (e.mode !== 'direct') return '';
  if (!e.speech.key) return `<section class="panel listen"><h2>Listen</h2><p class="muted">${esc(e.speech.reason)}</p></section>`;
  const can = ui.state.listen.available;
  const have = e.speech.duration !== undefined;
  return `<section class="panel listen"><h2>Listen <span class="muted">text to speech, about 1/100 of a render</span></h2>
    <p>${have ? `Preview: <b>${e.speech.duration} s</b> — the plan uses this exact length.` : 'Hear the script before paying for the video.'}</p>
    <button id="listen" class="primary" ${can ? '' : 'disabled'}>${have ? 'Play preview' : 'Listen'}</button>
    ${can ? '' : `<span class="muted">${esc(ui.state.listen.reason)}</span>`}
    <audio id="audio" controls ${have ? `src="/api/speech?key=${e.speech.key}&token=${encodeURIComponent(token)}"` : 'hidden'}></audio>
    <p id="listen-msg" class="muted"></p></section>`;
}

document.addEventListener('click', async (event) => {
  if (event.target.id !== 'listen') return;
  const e = ui.entry;
  const button = event.target;
  // The elements of this page: a live update may replace them while the preview is made.
  const msg = $('#listen-msg');
  const audio = $('#audio');
  button.disabled = true;
  msg.textContent = 'Synthesising…';
  try {
    const out = await api('/api/listen', { id: e.id });
    audio.hidden = false;
    audio.src = `${out.url}&token=${encodeURIComponent(token)}`;
    msg.textContent = `${out.duration} s${out.cached ? ' (from the cache, nothing paid)' : ''}`;
    if (audio.isConnected) await audio.play().catch(() => {});
  } catch (error) {
    msg.textContent = error.message;
    msg.className = 'bad';
  } finally {
    button.disabled = false;
  }
});

function castHtml(e) {
  const cards = [];
  if (e.avatar) {
    const img = e.avatar.preview_image_url ? `<img alt="" src="${esc(e.avatar.preview_image_url)}">` : '<div class="ph">avatar</div>';
    cards.push(
      `<div class="card">${img}<div><b>${esc(e.avatar.name ?? 'Unknown avatar')}</b><code>${esc(e.avatar.id)}</code>${e.avatar.type ? `<span class="muted">${esc(e.avatar.type)}</span>` : ''}</div></div>`,
    );
  }
  if (e.voice) {
    cards.push(
      `<div class="card"><div class="ph">voice</div><div><b>${esc(e.voice.name ?? 'Unknown voice')}</b><code>${esc(e.voice.id)}</code>${e.voice.language ? `<span class="muted">${esc(e.voice.language)} · ${esc(e.voice.gender ?? '')}</span>` : ''}</div></div>`,
    );
  }
  return cards.length ? `<section class="panel cast">${cards.join('')}</section>` : '';
}

function diffHtml(e) {
  if (!e.lock) return '';
  if (e.diff === null) {
    return `<section class="panel"><h2>Since the last render</h2><p class="muted">${e.changed.length ? `Changed: ${esc(e.changed.join(', '))}. ` : ''}reel.lock has no text of the last render to compare with (rendered by an older reel).</p></section>`;
  }
  if (!e.diff.length) {
    return `<section class="panel"><h2>Since the last render</h2><p class="muted">${e.changed.length ? `No words changed; changed: ${esc(e.changed.join(', '))}.` : 'Nothing changed.'}</p></section>`;
  }
  const fields = e.diff
    .map(
      (d) =>
        `<h3>${esc(d.field)}</h3><p class="diff">${d.parts.map((p) => (p.op === 'same' ? esc(p.text) : `<${p.op === 'add' ? 'ins' : 'del'}>${esc(p.text)}</${p.op === 'add' ? 'ins' : 'del'}>`)).join('')}</p>`,
    )
    .join('');
  return `<section class="panel" id="diff"><h2>Since the last render</h2>${fields}</section>`;
}

// ---------- storyboard review ----------

async function loadReview(e) {
  // Written even if the page moved on meanwhile: a panel no longer in the page is simply not seen.
  const panel = $('#review');
  if (!e.agent?.session) {
    panel.innerHTML = `<h2>Storyboard review</h2><p class="muted">No agent session yet: build the entry${e.agent?.review ? ' and it stops at the storyboard for review' : ''}.</p>${e.agent?.review ? actionsHtml(e) : ''}`;
    return;
  }
  try {
    ui.review = await api(`/api/review?id=${encodeURIComponent(e.id)}`);
  } catch (error) {
    panel.innerHTML = `<h2>Storyboard review</h2><p class="bad">${esc(error.message)}</p>${e.agent?.review ? actionsHtml(e) : ''}`;
    return;
  }
  const v = ui.review;
  const images = v.resources
    .map((r) => {
      const src = r.thumbnail_url ?? r.preview_url ?? (r.resource_type === 'image' ? r.url : null);
      return src ? `<figure><img alt="" src="${esc(src)}"><figcaption>${esc(r.resource_type)}</figcaption></figure>` : `<figure class="ph-fig"><div class="ph">${esc(r.resource_type)}</div></figure>`;
    })
    .join('');
  const talk = v.conversation.map((m) => `<li class="${m.role === 'user' ? 'user' : 'model'} ${esc(m.type)}"><b>${m.role === 'user' ? 'You' : 'Agent'}</b> ${esc(m.content)}</li>`).join('');
  const revisions = v.revisions.map((r) => `<li>${esc(r.text)} <span class="tag">${r.sent ? 'sent' : 'next build sends it'}</span></li>`).join('');
  panel.innerHTML = `<h2>Storyboard review <span class="tag">${esc(v.status)}</span></h2>
    ${v.storyboard.length ? `<div class="storyboard">${v.storyboard.map((l) => `<p>${esc(l)}</p>`).join('')}</div>` : ''}
    ${images ? `<div class="scenes">${images}</div>` : ''}
    <details ${v.conversation.length < 8 ? 'open' : ''}><summary>Conversation (${v.conversation.length})</summary><ol class="talk">${talk}</ol></details>
    ${revisions ? `<h3>Revisions in the manifest</h3><ul class="revs">${revisions}</ul>` : ''}
    ${e.agent.review ? actionsHtml(e) : '<p class="muted">Set <code>review: true</code> to review storyboards.</p>'}
    <p class="muted">${esc(v.next)}</p>`;
}

function actionsHtml(e) {
  return `<div class="review-actions">
    <textarea id="revision" rows="2" placeholder="What should change? (added to revisions: in ${esc(e.file)})"></textarea>
    <div><button id="revise">Request changes</button>
    <button id="approve" class="primary" ${e.agent.approved ? 'disabled' : ''}>${e.agent.approved ? 'Approved' : 'Approve'}</button></div></div>`;
}

document.addEventListener('click', async (event) => {
  const id = event.target.id;
  if (id !== 'revise' && id !== 'approve') return;
  const e = ui.entry;
  const box = $('#revision');
  const body = id === 'approve' ? { id: e.id, kind: 'approve' } : { id: e.id, kind: 'revise', text: box.value };
  event.target.disabled = true;
  try {
    await api('/api/review-edit', body);
    toast(id === 'approve' ? `approved: true written to ${e.file}` : `Revision added to ${e.file}`);
    if (id === 'revise') box.value = '';
  } catch (error) {
    toast(error.message, true);
  } finally {
    event.target.disabled = false;
  }
});

// ---------- build ----------

$('#build').addEventListener('click', () => {
  const s = ui.state;
  const t = s.totals;
  const c = s.confirm;
  const list = s.entries.filter((e) => e.billed || e.sharedWith !== undefined);
  const where = s.api === 'emulator' ? ` on the built-in emulator — free (on HeyGen, estimated ${cost(t.cost)})` : ` on ${esc(s.api)} — estimated <b class="cost">${cost(t.cost)}</b>`;
  const item = (e) =>
    e.sharedWith !== undefined ? `<span class="muted">same render as ${esc(e.sharedWith)}, billed once</span>` : `<span class="muted">${seconds(e.seconds, e.measured)} · ${cost(e.cost)}</span>`;
  const renders = t.renders
    ? `<p>This renders <b>${t.renders} ${t.renders === 1 ? 'video' : 'videos'}</b>, <b>${seconds(t.seconds)}</b> of video${where}.</p>
    <ul class="confirm-list">${list
      .slice(0, 12)
      .map((e) => `<li><span class="chip a-${e.action}">${SYMBOLS[e.action]} ${e.action}</span> ${esc(e.id)} ${item(e)}</li>`)
      .join('')}${list.length > 12 ? `<li class="muted">and ${list.length - 12} more</li>` : ''}</ul>`
    : '<p>This renders nothing.</p>';
  $('#confirm-body').innerHTML = renders + removalsHtml(c);
  const allow = $('#allow-removals');
  $('#confirm-go').disabled = Boolean(allow);
  allow?.addEventListener('change', () => ($('#confirm-go').disabled = !allow.checked));
  $('#confirm').dataset.digest = c.digest;
  // Escape closes the dialog without a return value, which would leave the last one ("go") in place.
  $('#confirm').returnValue = '';
  $('#confirm').showModal();
});

// Removals and what they do (as `reel build` applies them; the studio never deletes on HeyGen).
// Past the removal guard, Render waits for an explicit allow, as `reel build --allow-removals`.
function removalsHtml(c) {
  if (!c.removals.length) return '';
  const n = c.removals.length;
  const items = c.removals
    .slice(0, 12)
    .map(
      (r) =>
        `<li><span class="chip a-remove">${SYMBOLS.remove} remove</span> ${esc(r.id)} <span class="muted">${r.files.length ? `deletes ${r.files.map(esc).join(', ')}` : 'no local files'}${r.videoId ? `; video ${esc(r.videoId)} is not deleted remotely` : ''}</span></li>`,
    )
    .join('');
  const guard = c.removalGuard
    ? `<p class="bad warning">${esc(c.removalGuard)}. If manifests were moved or renamed, fix <code>manifests</code> in reel.config.yaml instead.</p>
      <label class="allow"><input type="checkbox" id="allow-removals"> Allow ${n === 1 ? 'this removal' : `these ${n} removals`} (as <code>reel build --allow-removals</code>)</label>`
    : '';
  return `<div id="confirm-removals"><p>It removes <b>${n} ${n === 1 ? 'video' : 'videos'}</b> no manifest has any more: reel.lock forgets ${n === 1 ? 'it' : 'them'} and ${n === 1 ? 'its' : 'their'} local files are deleted. ${n === 1 ? 'It is' : 'They are'} rendered (and paid for) again if ${n === 1 ? 'it comes' : 'they come'} back.</p>
    <ul class="confirm-list">${items}${n > 12 ? `<li class="muted">and ${n - 12} more</li>` : ''}</ul>${guard}</div>`;
}

$('#confirm').addEventListener('close', async () => {
  const dialog = $('#confirm');
  if (dialog.returnValue !== 'go') return;
  const allow = $('#allow-removals');
  try {
    await api('/api/build', { confirm: { digest: dialog.dataset.digest }, ...(allow?.checked ? { allowRemovals: true } : {}) });
    showProgress();
  } catch (error) {
    toast(error.message, true);
  }
});

function showProgress() {
  let box = $('#progress');
  if (!box) {
    box = document.createElement('section');
    box.id = 'progress';
    box.className = 'progress';
    box.innerHTML = '<h2>Build <span class="spacer"></span><button class="close" title="hide">×</button></h2><ol></ol>';
    box.querySelector('.close').addEventListener('click', () => box.remove());
    document.body.append(box);
  }
  return box;
}

function onBuild(event) {
  const box = showProgress();
  const li = document.createElement('li');
  if (event.kind === 'progress') li.textContent = `${event.id}: ${event.state}${event.detail ? ` — ${event.detail}` : ''}`;
  else if (event.kind === 'start') {
    box.querySelector('ol').innerHTML = '';
    delete box.dataset.done;
    li.textContent = 'Build started';
  } else if (event.kind === 'done') {
    li.textContent = event.summary;
    li.className = event.ok ? 'ok' : 'bad';
    box.dataset.done = event.ok ? 'ok' : 'failed';
    refresh();
  } else li.textContent = event.message ?? JSON.stringify(event);
  box.querySelector('ol').append(li);
}

// Preview images from the catalog or the session may be unreachable offline: hide them quietly.
document.addEventListener(
  'error',
  (event) => {
    if (event.target instanceof HTMLImageElement && event.target.closest('.cast, .scenes')) event.target.closest('figure, img').remove();
  },
  true,
);

refresh();
connect();
