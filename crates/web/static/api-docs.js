// Renders openapi.json on the API reference page (api-docs.html).
fetch('/api/v1/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('desc').textContent = doc.info.description || '';
  const ops = document.getElementById('ops');
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
  const schemaName = s => s && s.$ref ? s.$ref.split('/').pop() : (s ? JSON.stringify(s) : '');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [verb, op] of Object.entries(item)) {
      const d = el('details', 'op');
      const s = el('summary');
      s.append(el('span', 'verb ' + verb, verb.toUpperCase()), el('code', '', path), el('span', 'muted', op.summary || op.description || ''));
      d.append(s);
      const b = el('div', 'body');
      if (op.parameters) b.append(el('p', '', 'Parameters: ' + op.parameters.map(p => p.name + ' (' + p.in + ')').join(', ')));
      const rb = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
      if (rb) { b.append(el('p', '', 'Body:')); b.append(el('pre', '', JSON.stringify(doc.components.schemas[schemaName(rb.schema)] || rb.schema, null, 2))); }
      for (const [code, r] of Object.entries(op.responses || {})) {
        const c = r.content && r.content['application/json'];
        b.append(el('p', '', code + ' — ' + (r.description || '') + (c ? ' → ' + schemaName(c.schema) : '')));
      }
      d.append(b);
      ops.append(d);
    }
  }
});
