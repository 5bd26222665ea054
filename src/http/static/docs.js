// PyKV API docs page: fetches /openapi.json and renders its paths, parameters, request
// bodies, responses and schemas as HTML. No dependencies, no network access besides the
// server itself. Every text from the document is inserted as text, never as HTML.
'use strict';

(() => {
  const PASSWORD_KEY = 'pykv.password';
  const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

  const main = document.getElementById('docs-main');
  const nav = document.getElementById('docs-nav');
  const loading = document.getElementById('docs-loading');
  const authCard = document.getElementById('docs-auth');
  const authForm = document.getElementById('docs-auth-form');
  const authInput = document.getElementById('docs-password');
  const authError = document.getElementById('docs-auth-error');

  let spec = null;
  let memoryPassword = '';

  function getPassword() {
    try {
      return sessionStorage.getItem(PASSWORD_KEY) || memoryPassword;
    } catch {
      return memoryPassword;
    }
  }

  function setPassword(pw) {
    memoryPassword = pw;
    try {
      sessionStorage.setItem(PASSWORD_KEY, pw);
    } catch {
      // Kept in memory for this page only.
    }
  }

  const methodClass = (m) => `m-${['post', 'put', 'delete'].includes(m) ? m : 'get'}`;

  // Builds an element; children are nodes or strings (inserted as text).
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c);
    }
    return node;
  }

  // Descriptions use `backticks` for code; everything else is plain text.
  function prose(text) {
    const frag = document.createDocumentFragment();
    String(text || '')
      .split('`')
      .forEach((part, i) => frag.append(i % 2 ? h('code', null, part) : part));
    return frag;
  }

  function resolve(obj) {
    let cur = obj;
    for (let depth = 0; cur && cur.$ref && depth < 10; depth++) {
      const parts = cur.$ref.replace(/^#\//, '').split('/');
      cur = parts.reduce((o, p) => (o ? o[p.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), spec);
    }
    return cur || {};
  }

  const refName = (ref) => ref.split('/').pop();
  const schemaAnchor = (name) => `schema-${name}`;
  const opAnchor = (method, path, op) => `op-${op.operationId || `${method}-${path}`.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  function typeNode(schema) {
    if (!schema) return h('span', { class: 'type' }, 'any');
    if (schema.$ref) {
      const name = refName(schema.$ref);
      return h('a', { class: 'type', href: `#${schemaAnchor(name)}` }, name);
    }
    const alt = schema.anyOf || schema.oneOf;
    if (alt) return joinNodes(alt.map(typeNode), ' | ');
    if (schema.allOf) return joinNodes(schema.allOf.map(typeNode), ' & ');
    const parts = [];
    if (schema.type === 'array') parts.push(h('span', { class: 'type' }, 'array of '), typeNode(schema.items));
    else parts.push(h('span', { class: 'type' }, schema.format ? `${schema.type} (${schema.format})` : schema.type || 'any'));
    if (schema.nullable) parts.push(h('span', { class: 'type' }, ' | null'));
    return h('span', null, parts);
  }

  function joinNodes(nodes, sep) {
    const span = h('span');
    nodes.forEach((n, i) => span.append(i ? h('span', { class: 'type' }, sep) : '', n));
    return span;
  }

  function constraints(schema) {
    const out = [];
    if (!schema) return out;
    if (schema.enum) out.push(`one of: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
    if (schema.minimum !== undefined) out.push(`${schema.exclusiveMinimum ? '>' : '≥'} ${schema.minimum}`);
    if (schema.maximum !== undefined) out.push(`${schema.exclusiveMaximum ? '<' : '≤'} ${schema.maximum}`);
    if (schema.minLength !== undefined) out.push(`at least ${schema.minLength} character${schema.minLength === 1 ? '' : 's'}`);
    if (schema.maxLength !== undefined) out.push(`at most ${schema.maxLength} characters`);
    if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
    return out;
  }

  function describeCell(schema, description) {
    const cons = constraints(schema);
    return h(
      'td',
      null,
      description || schema?.description ? h('div', null, prose(description || schema.description)) : null,
      cons.length ? h('div', { class: 'constraint' }, cons.join(' · ')) : null,
    );
  }

  function propertiesTable(schema) {
    const s = resolve(schema);
    if (s.allOf) {
      return h('p', null, 'Same fields as ', joinNodes(s.allOf.map(typeNode), ' and '), '.');
    }
    if (!s.properties) return h('p', null, typeNode(schema));
    const required = new Set(s.required || []);
    const rows = Object.entries(s.properties).map(([name, prop]) =>
      h(
        'tr',
        null,
        h('td', null, h('code', { class: 'prop-name' }, name), required.has(name) ? h('span', { class: 'req' }, ' required') : null),
        h('td', null, typeNode(prop)),
        describeCell(resolve(prop), prop.description),
      ),
    );
    const table = h(
      'div',
      { class: 'table-wrap' },
      h('table', { class: 'docs-table' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))), h('tbody', null, rows)),
    );
    const notes = [];
    if (s.additionalProperties === false) notes.push('No other fields are accepted.');
    return h('div', null, table, notes.length ? h('p', { class: 'constraint' }, notes.join(' ')) : null);
  }

  // The media type's own example, else (when useSchema) the example of its schema; error
  // responses share one schema, so its example would mislead there.
  function exampleBlock(media, useSchema) {
    const example = media?.example ?? (useSchema ? resolve(media?.schema).example : undefined);
    if (example === undefined) return null;
    let text = example;
    if (typeof example !== 'string') {
      text = JSON.stringify(example, null, 1).replace(/\n\s*/g, ' ');
      if (text.length > 60) text = JSON.stringify(example, null, 2);
    }
    return h('pre', { class: 'docs-pre', 'aria-label': 'Example' }, text);
  }

  function renderParameters(params) {
    if (!params.length) return null;
    const rows = params.map((p) =>
      h(
        'tr',
        null,
        h('td', null, h('code', { class: 'prop-name' }, p.name), p.required ? h('span', { class: 'req' }, ' required') : null),
        h('td', null, p.in),
        h('td', null, typeNode(p.schema)),
        describeCell(resolve(p.schema), p.description),
      ),
    );
    return [
      h('h4', null, 'Parameters'),
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'docs-table' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'In'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))), h('tbody', null, rows)),
      ),
    ];
  }

  function renderRequestBody(body) {
    if (!body) return null;
    const b = resolve(body);
    const out = [h('h4', null, `Request body${b.required ? ' (required)' : ''}`)];
    if (b.description) out.push(h('p', null, prose(b.description)));
    for (const [type, media] of Object.entries(b.content || {})) {
      out.push(h('p', null, h('code', null, type), ' · ', typeNode(media.schema)));
      out.push(propertiesTable(media.schema));
      out.push(exampleBlock(media, true));
    }
    return out;
  }

  function renderResponses(responses) {
    const rows = Object.entries(responses || {}).map(([code, raw]) => {
      const r = resolve(raw);
      const body = [];
      for (const [type, media] of Object.entries(r.content || {})) {
        body.push(h('div', null, h('code', null, type), media.schema ? [' · ', typeNode(media.schema)] : null));
        const ex = exampleBlock(media, code.startsWith('2'));
        if (ex) body.push(ex);
      }
      const headers = Object.entries(r.headers || {}).map(([name, hd]) =>
        h('div', { class: 'constraint' }, 'Header ', h('code', null, name), hd.description ? [': ', prose(hd.description)] : null),
      );
      const cls = `status status-${code[0]}xx`;
      return h(
        'tr',
        null,
        h('td', null, h('span', { class: cls }, code)),
        h('td', null, h('div', null, prose(r.description)), headers),
        h('td', null, body.length ? body : h('span', { class: 'muted' }, 'No body')),
      );
    });
    return [
      h('h4', null, 'Responses'),
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'docs-table docs-responses' }, h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Body'))), h('tbody', null, rows)),
      ),
    ];
  }

  function securityNote(op) {
    const sec = op.security ?? spec.security ?? [];
    if (sec.length === 0) return h('p', { class: 'constraint' }, 'No password needed.');
    const names = sec.flatMap((req) => Object.keys(req));
    const schemes = spec.components?.securitySchemes || {};
    const text = names.map((n) => (schemes[n]?.scheme === 'bearer' ? 'bearer token' : n)).join(' or ');
    return h('p', { class: 'constraint' }, `Authentication: ${text} when the server has a password.`);
  }

  function operations() {
    const ops = [];
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const method of METHODS) {
        if (item[method]) ops.push({ path, method, op: item[method], shared: item.parameters || [] });
      }
    }
    return ops;
  }

  function renderOperation({ path, method, op, shared }) {
    const params = [...shared, ...(op.parameters || [])].map(resolve);
    return h(
      'section',
      { class: 'card op', id: opAnchor(method, path, op), 'aria-label': `${method.toUpperCase()} ${path}` },
      h(
        'div',
        { class: 'op-head' },
        h('span', { class: `method ${methodClass(method)}` }, method.toUpperCase()),
        h('h3', { class: 'op-path' }, path),
        op.summary ? h('span', { class: 'op-summary' }, op.summary) : null,
      ),
      op.description ? h('p', null, prose(op.description)) : null,
      securityNote(op),
      renderParameters(params),
      renderRequestBody(op.requestBody),
      renderResponses(op.responses),
    );
  }

  function renderSchema(name, schema) {
    return h(
      'section',
      { class: 'card op', id: schemaAnchor(name), 'aria-label': `Schema ${name}` },
      h('div', { class: 'op-head' }, h('h3', { class: 'op-path' }, name), schema.type ? h('span', { class: 'type' }, schema.type) : null),
      schema.description ? h('p', null, prose(schema.description)) : null,
      propertiesTable(schema),
      schema.example !== undefined ? h('pre', { class: 'docs-pre', 'aria-label': 'Example' }, JSON.stringify(schema.example, null, 2)) : null,
    );
  }

  function renderNav(ops, schemas) {
    const groups = new Map();
    for (const o of ops) {
      const tag = (o.op.tags && o.op.tags[0]) || 'Endpoints';
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(o);
    }
    const parts = [];
    for (const [tag, list] of groups) {
      parts.push(h('h2', null, tag));
      parts.push(
        h(
          'ul',
          null,
          list.map(({ path, method, op }) =>
            h(
              'li',
              null,
              h(
                'a',
                { href: `#${opAnchor(method, path, op)}` },
                h('span', { class: `method ${methodClass(method)}` }, method.toUpperCase()),
                h('span', null, path),
              ),
            ),
          ),
        ),
      );
    }
    if (schemas.length) {
      parts.push(h('h2', null, 'Schemas'));
      parts.push(h('ul', null, schemas.map((n) => h('li', null, h('a', { href: `#${schemaAnchor(n)}` }, n)))));
    }
    nav.replaceChildren(...parts);
  }

  function render() {
    const ops = operations();
    const schemas = Object.keys(spec.components?.schemas || {});
    document.title = `${spec.info?.title || 'API'} · docs`;
    renderNav(ops, schemas);

    const intro = h(
      'section',
      { class: 'card' },
      h('h1', { class: 'docs-title' }, spec.info?.title || 'API', spec.info?.version ? h('span', { class: 'version' }, `v${spec.info.version}`) : null, h('span', { class: 'version' }, `OpenAPI ${spec.openapi}`)),
      spec.info?.description ? h('p', { style: 'margin-top:10px' }, prose(spec.info.description)) : null,
      Object.entries(spec.components?.securitySchemes || {}).map(([name, s]) =>
        h('p', null, h('strong', null, 'Authentication: '), s.type === 'http' ? `HTTP ${s.scheme} (${name}). ` : `${name}. `, prose(s.description)),
      ),
    );

    const byTag = new Map();
    for (const o of ops) {
      const tag = (o.op.tags && o.op.tags[0]) || 'Endpoints';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(o);
    }
    const tagInfo = new Map((spec.tags || []).map((t) => [t.name, t]));
    const sections = [];
    for (const [tag, list] of byTag) {
      sections.push(h('h2', { class: 'docs-section-title' }, tag));
      if (tagInfo.get(tag)?.description) sections.push(h('p', { class: 'muted' }, prose(tagInfo.get(tag).description)));
      sections.push(...list.map(renderOperation));
    }
    if (schemas.length) {
      sections.push(h('h2', { class: 'docs-section-title' }, 'Schemas'));
      sections.push(...schemas.map((n) => renderSchema(n, spec.components.schemas[n])));
    }
    loading.remove();
    authCard.hidden = true;
    main.append(intro, ...sections);
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }

  async function load() {
    const headers = { Accept: 'application/json' };
    const pw = getPassword();
    if (pw) headers.Authorization = `Bearer ${pw}`;
    let res;
    try {
      res = await fetch('/openapi.json', { headers, cache: 'no-store' });
    } catch {
      loading.textContent = 'Could not reach the server.';
      loading.className = 'docs-error';
      return;
    }
    if (res.status === 401) {
      loading.textContent = '';
      authCard.hidden = false;
      authError.textContent = pw ? 'The password was not accepted. Try again.' : '';
      authInput.focus();
      return;
    }
    if (!res.ok) {
      loading.textContent = `Could not load the API description (HTTP ${res.status}).`;
      loading.className = 'docs-error';
      return;
    }
    try {
      spec = await res.json();
    } catch {
      loading.textContent = 'The API description is not valid JSON.';
      loading.className = 'docs-error';
      return;
    }
    render();
  }

  authForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!authInput.value) return;
    setPassword(authInput.value);
    load();
  });

  load();
})();
