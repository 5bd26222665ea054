// PyKV web console: a key/value form over the /kv API, a response log, a key browser and a
// live panel polling /stats. Plain browser JavaScript, no dependencies, served from the
// server binary itself, so it must work offline and without a build step.
//
// SET is create-only, exactly like POST /kv/: when the key exists the server answers 409 and
// the console tells the user to use UPDATE instead of silently overwriting. Keeping each
// button equal to one API call makes the log a faithful record of what the API does.
'use strict';

(() => {
  const PASSWORD_KEY = 'pykv.password';
  const HISTORY_SECONDS = 60;
  const POLL_MS = 1000;
  const REQUEST_TIMEOUT_MS = 10000;
  const MAX_LOG_ENTRIES = 100;
  const PAGE_LIMIT = 50;
  // A SCAN-style page can be empty while the iteration goes on; follow a few such pages so
  // one click shows keys, but never loop without bound.
  const MAX_EMPTY_PAGES = 20;

  const $ = (id) => document.getElementById(id);
  const el = {
    conn: $('conn'),
    connText: $('conn-text'),
    signout: $('signout'),
    auth: $('auth'),
    authForm: $('auth-form'),
    authError: $('auth-error'),
    password: $('password'),
    form: $('kv-form'),
    key: $('key'),
    value: $('value'),
    ttl: $('ttl'),
    formMsg: $('form-msg'),
    output: $('output'),
    outputEmpty: $('output-empty'),
    clearOutput: $('clear-output'),
    liveUpdated: $('live-updated'),
    chart: $('ops-chart'),
    ops: $('stat-ops'),
    keys: $('stat-keys'),
    mem: $('stat-mem'),
    clients: $('stat-clients'),
    role: $('stat-role'),
    browseForm: $('browse-form'),
    prefix: $('prefix'),
    browseStatus: $('browse-status'),
    keyList: $('key-list'),
    more: $('more'),
  };

  const REASONS = {
    200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized',
    403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
    500: 'Internal Server Error', 503: 'Service Unavailable', 507: 'Insufficient Storage',
  };
  const numberFormat = new Intl.NumberFormat();

  // ---- Password (session storage may be unavailable, e.g. with storage disabled) ----

  function loadPassword() {
    try {
      return sessionStorage.getItem(PASSWORD_KEY) || '';
    } catch {
      return '';
    }
  }
  let password = loadPassword();

  function savePassword(pw) {
    password = pw;
    try {
      if (pw) sessionStorage.setItem(PASSWORD_KEY, pw);
      else sessionStorage.removeItem(PASSWORD_KEY);
    } catch {
      // Kept in memory only for this page.
    }
    el.signout.hidden = !pw;
  }

  let authShown = false;
  function showAuth() {
    el.authError.textContent = password ? 'The password was not accepted. Try again.' : '';
    setConn('warn', 'Password required');
    if (authShown) return;
    authShown = true;
    el.auth.hidden = false;
    el.password.value = '';
    el.password.focus();
  }

  function hideAuth() {
    authShown = false;
    el.auth.hidden = true;
    el.authError.textContent = '';
  }

  // ---- HTTP ----

  // Sends one request; never throws. Returns {status, data, text, ms, error}; status is 0
  // when no response arrived.
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (password) headers.Authorization = `Bearer ${password}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const started = performance.now();
    const result = { method, path, status: 0, data: undefined, text: '', ms: 0, error: '' };
    try {
      const res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: 'no-store',
      });
      result.status = res.status;
      result.text = await res.text();
      const type = res.headers.get('Content-Type') || '';
      if (type.includes('json') && result.text) {
        try {
          result.data = JSON.parse(result.text);
        } catch {
          result.data = undefined;
        }
      }
    } catch (err) {
      result.error = err && err.name === 'AbortError' ? 'Timed out' : 'Network error';
    } finally {
      clearTimeout(timer);
      result.ms = performance.now() - started;
    }
    if (result.status === 401) showAuth();
    return result;
  }

  const encodeKey = (key) => `/kv/${encodeURIComponent(key)}`;

  // ---- Response log ----

  function jsonNode(value, indent) {
    const frag = document.createDocumentFragment();
    const span = (cls, text) => {
      const s = document.createElement('span');
      s.className = cls;
      s.textContent = text;
      return s;
    };
    const pad = '  '.repeat(indent + 1);
    const closePad = '  '.repeat(indent);
    if (value === null || typeof value === 'boolean') {
      frag.append(span('j-lit', String(value)));
    } else if (typeof value === 'number') {
      frag.append(span('j-num', String(value)));
    } else if (typeof value === 'string') {
      frag.append(span('j-str', JSON.stringify(value)));
    } else if (Array.isArray(value)) {
      if (value.length === 0) {
        frag.append('[]');
      } else {
        frag.append('[\n');
        value.forEach((v, i) => {
          frag.append(pad, jsonNode(v, indent + 1), i < value.length - 1 ? ',\n' : '\n');
        });
        frag.append(`${closePad}]`);
      }
    } else {
      const entries = Object.entries(value);
      if (entries.length === 0) {
        frag.append('{}');
      } else {
        frag.append('{\n');
        entries.forEach(([k, v], i) => {
          frag.append(pad, span('j-key', JSON.stringify(k)), ': ', jsonNode(v, indent + 1));
          frag.append(i < entries.length - 1 ? ',\n' : '\n');
        });
        frag.append(`${closePad}}`);
      }
    }
    return frag;
  }

  function formatMs(ms) {
    return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
  }

  function logResponse(r) {
    const li = document.createElement('li');
    li.className = 'entry';

    const head = document.createElement('div');
    head.className = 'entry-head';
    const method = document.createElement('span');
    method.className = `method m-${r.method.toLowerCase()}`;
    method.textContent = r.method;
    const path = document.createElement('code');
    path.className = 'entry-path';
    path.textContent = r.path;
    const status = document.createElement('span');
    if (r.status) {
      status.className = `status status-${Math.floor(r.status / 100)}xx`;
      status.textContent = `${r.status} ${REASONS[r.status] || ''}`.trim();
    } else {
      status.className = 'status status-err';
      status.textContent = r.error;
    }
    const meta = document.createElement('span');
    meta.className = 'entry-meta';
    const clock = document.createElement('span');
    clock.className = 'entry-clock';
    clock.textContent = ` · ${new Date().toLocaleTimeString()}`;
    meta.append(formatMs(r.ms), clock);
    head.append(method, path, status, meta);

    const body = document.createElement('pre');
    body.className = 'entry-body';
    if (r.data !== undefined) body.append(jsonNode(r.data, 0));
    else body.textContent = r.text || (r.status ? '(empty body)' : 'No response from the server.');

    li.append(head, body);
    el.output.prepend(li);
    while (el.output.children.length > MAX_LOG_ENTRIES) el.output.lastElementChild.remove();
    el.output.scrollTop = 0;
    el.outputEmpty.hidden = true;
    el.clearOutput.hidden = false;
  }

  el.clearOutput.addEventListener('click', () => {
    el.output.replaceChildren();
    el.outputEmpty.hidden = false;
    el.clearOutput.hidden = true;
    el.key.focus();
  });

  // ---- Key/value form ----

  function setMessage(kind, text) {
    el.formMsg.className = `form-msg${kind ? ` is-${kind}` : ''}`;
    el.formMsg.textContent = text;
  }

  function describeError(r) {
    if (!r.status) return `${r.error}: the server did not answer.`;
    const detail = r.data && r.data.detail;
    if (Array.isArray(detail)) {
      return detail
        .map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.') || 'request'}: ${d.msg}`)
        .join('; ');
    }
    if (typeof detail === 'string') return detail;
    return `${r.status} ${REASONS[r.status] || 'error'}`;
  }

  function formatTtl(ms) {
    if (ms === null || ms === undefined) return 'no expiry';
    if (ms < 1000) return `expires in ${ms} ms`;
    if (ms < 120000) return `expires in ${(ms / 1000).toFixed(1)} s`;
    return `expires in ${Math.round(ms / 60000)} min`;
  }

  // Returns the key or null after telling the user what is missing.
  function readKey() {
    const key = el.key.value;
    if (key === '') {
      el.key.setAttribute('aria-invalid', 'true');
      setMessage('error', 'Enter a key.');
      el.key.focus();
      return null;
    }
    el.key.removeAttribute('aria-invalid');
    return key;
  }

  // Returns undefined for "no TTL", a positive integer, or null after reporting an error.
  function readTtl() {
    const text = el.ttl.value.trim();
    el.ttl.removeAttribute('aria-invalid');
    if (text === '') return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
      el.ttl.setAttribute('aria-invalid', 'true');
      setMessage('error', 'TTL must be a whole number of milliseconds, at least 1.');
      el.ttl.focus();
      return null;
    }
    return n;
  }

  function showItem(item) {
    el.value.value = item.value;
    const binary = item.encoding === 'base64' ? ' · binary value, shown base64-encoded' : '';
    setMessage('ok', `Loaded “${item.key}” · ${formatTtl(item.ttl_ms)}${binary}`);
  }

  async function doGet(key) {
    const r = await api('GET', encodeKey(key));
    logResponse(r);
    if (r.status === 200 && r.data) showItem(r.data);
    else if (r.status === 404) setMessage('warn', `“${key}” does not exist.`);
    else setMessage('error', describeError(r));
  }

  async function doSet(key, ttl) {
    const body = { key, value: el.value.value };
    if (ttl !== undefined) body.ttl_ms = ttl;
    const r = await api('POST', '/kv/', body);
    logResponse(r);
    if (r.status === 201) {
      setMessage('ok', `Created “${key}”.`);
      browser.noteCreated(key);
    } else if (r.status === 409 && r.data && r.data.detail === 'Key already exists') {
      setMessage('warn', `“${key}” already exists. SET only creates keys: use UPDATE to change its value.`);
    } else {
      setMessage('error', describeError(r));
    }
  }

  async function doUpdate(key, ttl) {
    const body = { value: el.value.value };
    if (ttl !== undefined) body.ttl_ms = ttl;
    const r = await api('PUT', encodeKey(key), body);
    logResponse(r);
    if (r.status === 200 && r.data) {
      setMessage('ok', `Updated “${key}” · ${formatTtl(r.data.ttl_ms)}.`);
    } else if (r.status === 404) {
      setMessage('warn', `“${key}” does not exist. Use SET to create it.`);
    } else {
      setMessage('error', describeError(r));
    }
  }

  async function doDelete(key) {
    const r = await api('DELETE', encodeKey(key));
    logResponse(r);
    if (r.status === 200) {
      setMessage('ok', `Deleted “${key}”.`);
      browser.noteDeleted(key);
    } else if (r.status === 404) {
      setMessage('warn', `“${key}” does not exist.`);
    } else {
      setMessage('error', describeError(r));
    }
  }

  async function runAction(action) {
    const key = readKey();
    if (key === null) return;
    el.form.setAttribute('aria-busy', 'true');
    try {
      if (action === 'get') {
        await doGet(key);
      } else if (action === 'delete') {
        await doDelete(key);
      } else {
        const ttl = readTtl();
        if (ttl === null) return;
        if (action === 'set') await doSet(key, ttl);
        else await doUpdate(key, ttl);
      }
    } finally {
      el.form.removeAttribute('aria-busy');
    }
  }

  el.form.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (button) runAction(button.dataset.action);
  });
  // Enter in the key field reads the key; other fields never submit the form.
  el.form.addEventListener('submit', (e) => e.preventDefault());
  el.key.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) {
      e.preventDefault();
      runAction('get');
    }
  });
  el.key.addEventListener('input', () => el.key.removeAttribute('aria-invalid'));
  el.ttl.addEventListener('input', () => el.ttl.removeAttribute('aria-invalid'));

  // ---- Key browser ----

  const browser = (() => {
    let prefix = '';
    let cursor = null; // null: iteration complete
    let shown = new Set();
    let generation = 0; // a newer search makes older page answers stale
    let loading = false;

    function setStatus(text) {
      el.browseStatus.textContent = text;
    }

    function summary() {
      const n = shown.size;
      const what = prefix ? ` starting with “${prefix}”` : '';
      if (n === 0) return cursor === null ? `No keys${what}.` : `No keys${what} yet; load more to keep scanning.`;
      const count = `${numberFormat.format(n)} key${n === 1 ? '' : 's'}${what}`;
      return cursor === null ? `${count}.` : `${count} so far; more available.`;
    }

    function markCurrent() {
      for (const b of el.keyList.querySelectorAll('.key-btn')) {
        if (b.dataset.key === el.key.value) b.setAttribute('aria-current', 'true');
        else b.removeAttribute('aria-current');
      }
    }

    function addKey(key) {
      if (shown.has(key)) return;
      shown.add(key);
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'key-btn';
      b.dataset.key = key;
      b.textContent = key;
      b.title = key;
      li.append(b);
      el.keyList.append(li);
    }

    async function loadPage() {
      if (loading || cursor === null) return;
      loading = true;
      const mine = generation;
      el.more.hidden = true;
      setStatus('Loading…');
      try {
        for (let empty = 0; ; ) {
          const query = new URLSearchParams({ prefix, cursor, limit: String(PAGE_LIMIT) });
          const r = await api('GET', `/kv/?${query}`);
          if (mine !== generation) return;
          if (r.status !== 200 || !r.data || !Array.isArray(r.data.keys)) {
            setStatus(r.status === 401 ? 'Password required.' : `Could not list keys: ${describeError(r)}`);
            el.more.hidden = false;
            return;
          }
          r.data.keys.forEach(addKey);
          cursor = r.data.next_cursor ?? null;
          if (r.data.keys.length > 0 || cursor === null || ++empty >= MAX_EMPTY_PAGES) break;
        }
        markCurrent();
        setStatus(summary());
        el.more.hidden = cursor === null;
      } finally {
        if (mine === generation) loading = false;
      }
    }

    function search() {
      generation++;
      loading = false;
      prefix = el.prefix.value;
      cursor = '0';
      shown = new Set();
      el.keyList.replaceChildren();
      return loadPage();
    }

    el.browseForm.addEventListener('submit', (e) => {
      e.preventDefault();
      search();
    });
    el.more.addEventListener('click', () => loadPage());
    el.keyList.addEventListener('click', (e) => {
      const b = e.target.closest('.key-btn');
      if (!b) return;
      el.key.value = b.dataset.key;
      el.key.removeAttribute('aria-invalid');
      el.ttl.value = '';
      markCurrent();
      runAction('get');
    });
    el.key.addEventListener('input', markCurrent);

    return {
      search,
      noteCreated(key) {
        if (key.startsWith(prefix) && !shown.has(key)) {
          addKey(key);
          markCurrent();
          setStatus(summary());
        }
      },
      noteDeleted(key) {
        if (!shown.delete(key)) return;
        for (const b of el.keyList.querySelectorAll('.key-btn')) {
          if (b.dataset.key === key) b.parentElement.remove();
        }
        setStatus(summary());
      },
    };
  })();

  // ---- Live panel ----

  function setConn(kind, text) {
    el.conn.className = `pill pill-${kind}`;
    el.connText.textContent = text;
  }

  const history = []; // ops/s samples, oldest first; null where a poll failed

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function niceCeiling(v) {
    if (v <= 5) return 5;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function drawChart() {
    const canvas = el.chart;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (!w || !h) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    const values = history.filter((v) => v !== null);
    const peak = values.length ? Math.max(...values) : 0;
    const top = niceCeiling(peak);
    const padTop = 16;
    const padBottom = 6;
    const plotH = h - padTop - padBottom;
    const y = (v) => padTop + plotH * (1 - v / top);
    const right = w - 2; // keeps the newest point's line inside the canvas
    const step = right / (HISTORY_SECONDS - 1);
    const x = (i) => right - (history.length - 1 - i) * step;

    ctx.strokeStyle = cssVar('--chart-grid');
    ctx.lineWidth = 1;
    ctx.fillStyle = cssVar('--muted');
    ctx.font = `11px ${cssVar('--font') || 'sans-serif'}`;
    ctx.textBaseline = 'bottom';
    for (const f of [0, 0.5, 1]) {
      const gy = Math.round(y(top * f)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(0, gy);
      ctx.lineTo(w, gy);
      ctx.stroke();
    }
    ctx.fillText(numberFormat.format(top), 6, padTop - 2);

    const accent = cssVar('--accent');
    let segment = [];
    const flush = () => {
      if (segment.length === 0) return;
      ctx.beginPath();
      segment.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
      ctx.strokeStyle = accent;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.stroke();
      ctx.lineTo(segment[segment.length - 1][0], y(0));
      ctx.lineTo(segment[0][0], y(0));
      ctx.closePath();
      ctx.globalAlpha = 0.14;
      ctx.fillStyle = accent;
      ctx.fill();
      ctx.globalAlpha = 1;
      segment = [];
    };
    history.forEach((v, i) => {
      if (v === null) flush();
      else segment.push([x(i), y(v)]);
    });
    if (segment.length === 1) segment.unshift([segment[0][0] - step, segment[0][1]]);
    flush();

    const last = history.length ? history[history.length - 1] : null;
    canvas.setAttribute(
      'aria-label',
      last === null
        ? 'Operations per second over the last 60 seconds: no data yet'
        : `Operations per second over the last 60 seconds: now ${numberFormat.format(last)}, peak ${numberFormat.format(peak)}`,
    );
  }

  function pushSample(v) {
    history.push(v);
    while (history.length > HISTORY_SECONDS) history.shift();
    drawChart();
  }

  function showStats(s) {
    const fmt = (v) => (typeof v === 'number' ? numberFormat.format(v) : '–');
    el.ops.textContent = fmt(s.ops_per_sec);
    el.keys.textContent = fmt(s.keys);
    el.mem.textContent = s.used_memory_human ?? '–';
    el.clients.textContent = fmt(s.connected_clients);
    el.role.textContent = s.role ?? '–';
    el.liveUpdated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  let pollTimer = 0;
  let polling = false;
  let browsedOnce = false;

  async function poll() {
    pollTimer = 0;
    polling = true;
    const r = await api('GET', '/stats');
    polling = false;
    if (r.status === 200 && r.data) {
      showStats(r.data);
      pushSample(typeof r.data.ops_per_sec === 'number' ? r.data.ops_per_sec : null);
      setConn('ok', r.data.role ? `Live · ${r.data.role}` : 'Live');
      if (!browsedOnce) {
        browsedOnce = true;
        browser.search();
      }
    } else if (r.status === 401) {
      // Polling resumes once a password is entered.
      return;
    } else {
      pushSample(null);
      setConn('err', r.status ? `Error ${r.status}` : 'Offline');
    }
    schedulePoll(POLL_MS);
  }

  function schedulePoll(ms) {
    if (pollTimer || polling) return;
    pollTimer = setTimeout(poll, ms);
  }

  if ('ResizeObserver' in window) new ResizeObserver(() => drawChart()).observe(el.chart);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawChart);

  // ---- Authentication form ----

  el.authForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const pw = el.password.value;
    if (!pw) {
      el.authError.textContent = 'Enter the password.';
      el.password.focus();
      return;
    }
    savePassword(pw);
    hideAuth();
    setConn('pending', 'Connecting…');
    el.key.focus();
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = 0;
    schedulePoll(0);
    if (browsedOnce) browser.search();
  });

  el.signout.addEventListener('click', () => {
    savePassword('');
    setConn('pending', 'Connecting…');
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = 0;
    schedulePoll(0);
  });

  el.signout.hidden = !password;
  drawChart();
  schedulePoll(0);
})();
