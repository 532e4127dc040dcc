// The query page: pick an example, run the query against /sparql with fetch,
// show the results as a table (IRIs linked to their pages) or the error
// message, and offer the result in every format. No library, no network
// beyond this server.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('kg-config').textContent);
  const form = document.getElementById('query').form;
  const editor = document.getElementById('query');
  const picker = document.getElementById('example');
  const comment = document.getElementById('example-comment');
  const runButton = document.getElementById('run');
  const statusLine = document.getElementById('status');
  const errorBox = document.getElementById('error');
  const results = document.getElementById('results');
  const downloads = document.getElementById('downloads');
  const endpoint = form.getAttribute('action');
  const MAX_ROWS = 2000;  // rows drawn; the downloads have them all
  const XSD = 'http://www.w3.org/2001/XMLSchema#';
  // datatypes whose values read well alone (the full IRI is in the tooltip)
  const PLAIN = new Set(['string', 'integer', 'decimal', 'double', 'boolean'].map(function (t) { return XSD + t; }));
  const EXTENSIONS = {json: 'srj', xml: 'srx', csv: 'csv', tsv: 'tsv', turtle: 'ttl', ntriples: 'nt',
                      nquads: 'nq', trig: 'trig', rdfxml: 'rdf', jsonld: 'jsonld'};

  function byName(name) {
    return config.examples.find(function (e) { return e.name === name; });
  }

  picker.addEventListener('change', function () {
    const example = byName(picker.value);
    if (!example) { comment.textContent = ''; return; }
    editor.value = example.query;
    comment.textContent = example.comment;
  });

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    run();
  });
  editor.addEventListener('keydown', function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
      event.preventDefault();
      run();
    }
  });

  // -- terms ------------------------------------------------------------------
  function pageOf(iri) {
    for (const base of config.bases) {
      if (iri.startsWith(base)) return '/' + iri.slice(base.length);
    }
    return iri;
  }
  function shorten(iri) {
    for (const [prefix, ns] of Object.entries(config.prefixes)) {
      if (iri.startsWith(ns) && iri.length > ns.length) return prefix + ':' + iri.slice(ns.length);
    }
    return iri;
  }
  function termNode(term) {
    if (!term) return document.createTextNode('');
    if (term.type === 'uri') {
      const a = document.createElement('a');
      a.href = pageOf(term.value);
      a.title = term.value;
      a.textContent = shorten(term.value);
      return a;
    }
    if (term.type === 'bnode') return document.createTextNode('_:' + term.value);
    if (term.type === 'triple') {
      const span = document.createElement('span');
      span.append('<< ', termNode(term.value.subject), ' ', termNode(term.value.predicate), ' ',
                  termNode(term.value.object), ' >>');
      return span;
    }
    const span = document.createElement('span');
    span.textContent = term.value;
    const lang = term['xml:lang'];
    const datatype = term.datatype;
    if (datatype) span.title = datatype;
    if (lang || (datatype && !PLAIN.has(datatype))) {
      const small = document.createElement('small');
      small.className = 'muted';
      small.textContent = lang ? ' @' + lang : ' ' + shorten(datatype);
      span.appendChild(small);
    }
    return span;
  }

  // -- N-Triples (CONSTRUCT and DESCRIBE results) -------------------------------
  const TOKEN = /\s*(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^<[^>]*>)?)/y;
  function unescape(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, function (_, u4, u8, c) {
      if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
      return {t: '\t', b: '\b', n: '\n', r: '\r', f: '\f'}[c] || c;
    });
  }
  function ntTerm(token) {
    if (token[0] === '<') return {type: 'uri', value: unescape(token.slice(1, -1))};
    if (token[0] === '_') return {type: 'bnode', value: token.slice(2)};
    const end = token.lastIndexOf('"');
    const term = {type: 'literal', value: unescape(token.slice(1, end))};
    const rest = token.slice(end + 1);
    if (rest.startsWith('@')) term['xml:lang'] = rest.slice(1);
    else if (rest.startsWith('^^<')) term.datatype = rest.slice(3, -1);
    return term;
  }
  function parseNTriples(text) {
    const rows = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line[0] === '#') continue;
      TOKEN.lastIndex = 0;
      const terms = [];
      for (let i = 0; i < 3; i++) {
        const m = TOKEN.exec(line);
        if (!m) break;
        terms.push(ntTerm(m[1]));
      }
      if (terms.length === 3) rows.push({subject: terms[0], predicate: terms[1], object: terms[2]});
    }
    return rows;
  }

  // -- drawing ------------------------------------------------------------------
  function table(vars, rows) {
    const t = document.createElement('table');
    t.id = 'result-table';
    const head = t.createTHead().insertRow();
    for (const v of vars) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = v;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const row of rows.slice(0, MAX_ROWS)) {
      const tr = body.insertRow();
      for (const v of vars) tr.insertCell().appendChild(termNode(row[v]));
    }
    return t;
  }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  function showDownloads(query, formats) {
    downloads.textContent = 'Download: ';
    for (const [format, label] of formats) {
      const a = document.createElement('a');
      a.href = endpoint + '?' + new URLSearchParams({query: query, format: format}).toString();
      a.textContent = label;
      a.setAttribute('download', 'results.' + EXTENSIONS[format]);
      a.dataset.format = format;
      downloads.appendChild(a);
    }
    downloads.hidden = false;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  async function run() {
    const query = editor.value;
    errorBox.hidden = true;
    downloads.hidden = true;
    results.replaceChildren();
    runButton.disabled = true;
    statusLine.textContent = 'Running…';
    const started = performance.now();
    try {
      let response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: {'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
                    'Accept': 'application/sparql-results+json, application/n-triples;q=0.9'},
          body: new URLSearchParams({query: query}),
        });
      } catch (err) {
        showError('The endpoint could not be reached: ' + err.message);
        statusLine.textContent = '';
        return;
      }
      const text = await response.text();
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        showError(text.trim() || response.status + ' ' + response.statusText);
        statusLine.textContent = 'Error ' + response.status + ' after ' + ms + ' ms';
        return;
      }
      const type = (response.headers.get('Content-Type') || '').split(';')[0].trim();
      let count;
      if (type === 'application/sparql-results+json') {
        const data = JSON.parse(text);
        if (typeof data.boolean === 'boolean') {
          const p = document.createElement('p');
          p.id = 'boolean-result';
          p.textContent = data.boolean ? 'true' : 'false';
          results.appendChild(p);
          count = 'ASK: ' + p.textContent;
        } else {
          const rows = data.results.bindings;
          results.appendChild(table(data.head.vars, rows));
          count = plural(rows.length, 'row');
          if (rows.length > MAX_ROWS) count += ' (the first ' + MAX_ROWS + ' shown)';
        }
        showDownloads(query, config.solutionFormats);
      } else {
        const triples = parseNTriples(text);
        results.appendChild(table(['subject', 'predicate', 'object'], triples));
        count = plural(triples.length, 'triple');
        showDownloads(query, config.graphFormats);
      }
      statusLine.textContent = count + ' in ' + ms + ' ms';
      history.replaceState(null, '', '?' + new URLSearchParams({q: query}).toString());
    } finally {
      runButton.disabled = false;
    }
  }

  // ?example=NAME picks an example (the server fills in ?q= itself).
  const initial = byName(new URLSearchParams(location.search).get('example') || '');
  if (initial) { picker.value = initial.name; editor.value = initial.query; comment.textContent = initial.comment; }
  // Once edited, the text is no longer the example shown in the picker.
  editor.addEventListener('input', function () {
    const example = byName(picker.value);
    if (example && editor.value !== example.query) { picker.value = ''; comment.textContent = ''; }
  });
})();
