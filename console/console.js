// amigate web console: AMI over a WebSocket in the ami-json framing
// (docs/websocket.md). Every value that comes from Asterisk or the user is put
// in the page with textContent, never as HTML: an event whose value is
// `<img src=x onerror=...>` shows those characters. The page's
// Content-Security-Policy forbids inline script as a second line of defence.
'use strict';

(function () {
  const MAX_EVENTS = 500; // rows kept on screen; older ones go
  const MAX_PAUSED = 5000; // events kept while paused; beyond that the oldest go

  const $ = (id) => document.getElementById(id);
  const wsPath = document.querySelector('meta[name="amigate-websocket-path"]').getAttribute('content') || '/ws';

  let ws = null;
  let nextId = 1;
  let loggedIn = false;
  let paused = false;
  let pausedQueue = [];
  let pausedDropped = 0;
  let eventCount = 0;
  /** ActionID -> the element that collects that action's answer. */
  const replies = new Map();
  /** ActionID -> a function that takes that action's response instead (ListCommands). */
  const special = new Map();

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  function setStatus(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status ' + (cls || '');
  }

  /** One packet as a list of key/value pairs; a repeated header shows each value. */
  function renderPacket(kind, packet) {
    const li = el('li', 'packet');
    const h = packet.headers || {};
    li.appendChild(el('span', 'kind', kind));
    li.appendChild(el('span', 'name', h.Event || h.Response || ''));
    const dl = el('dl');
    for (const key of Object.keys(h)) {
      const values = Array.isArray(h[key]) ? h[key] : [h[key]];
      for (const v of values) {
        dl.appendChild(el('dt', '', key));
        dl.appendChild(el('dd', '', v));
      }
    }
    if (typeof packet.body === 'string') {
      dl.appendChild(el('dt', '', '(output)'));
      dl.appendChild(el('dd', '', packet.body));
    }
    li.appendChild(dl);
    return li;
  }

  function send(headers) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return undefined;
    const id = 'console-' + nextId++;
    const all = Object.assign({}, headers, { ActionID: id });
    ws.send(JSON.stringify({ type: 'action', headers: all }));
    return id;
  }

  // --- connection and login -----------------------------------------------------

  function connect(username, secret) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(scheme + '//' + location.host + wsPath, 'ami-json');
    setStatus('connecting...');
    ws.addEventListener('open', () => setStatus('connected, logging in...'));
    ws.addEventListener('message', (m) => {
      let packet;
      try { packet = JSON.parse(m.data); } catch (e) { return; }
      onPacket(packet, username, secret);
    });
    ws.addEventListener('close', (e) => {
      setStatus('disconnected' + (e.code ? ' (' + e.code + (e.reason ? ' ' + e.reason : '') + ')' : ''), 'closed');
      loggedIn = false;
      $('logout').hidden = true;
      $('login-panel').hidden = false;
      $('login-button').disabled = false;
    });
  }

  function onPacket(packet, username, secret) {
    switch (packet.type) {
      case 'banner':
        send({ Action: 'Login', Username: username, Secret: secret });
        return;
      case 'event':
        if (loggedIn) onEvent(packet);
        return;
      case 'error':
        showReplyError(packet.message || packet.error);
        return;
      case 'response':
      case 'listitem':
        onReply(packet);
        return;
      default:
    }
  }

  function onReply(packet) {
    const h = packet.headers || {};
    if (!loggedIn && packet.type === 'response') {
      if (h.Response === 'Success') {
        loggedIn = true;
        setStatus('logged in', 'connected');
        $('login-panel').hidden = true;
        $('main').hidden = false;
        $('logout').hidden = false;
        $('login-error').textContent = '';
        $('login-secret').value = '';
        listCommands();
      } else {
        $('login-error').textContent = h.Message || 'Login failed';
      }
      return;
    }
    const id = h.ActionID;
    const handler = special.get(id);
    if (handler !== undefined) {
      special.delete(id);
      handler(h);
      return;
    }
    const box = replies.get(id);
    if (box === undefined) return; // an answer to a box that was removed
    if (h.Response === 'Error') box.classList.add('failed');
    box.querySelector('ol').appendChild(renderPacket(packet.type, packet));
  }

  function showReplyError(text) {
    const box = el('div', 'reply failed');
    box.appendChild(el('strong', '', 'error: '));
    box.appendChild(el('span', '', text));
    $('replies').prepend(box);
  }

  // --- events -------------------------------------------------------------------

  function passesFilter(packet) {
    const f = $('event-filter').value.trim().toLowerCase();
    if (f === '') return true;
    const name = String((packet.headers || {}).Event || '').toLowerCase();
    return name.indexOf(f) >= 0;
  }

  function onEvent(packet) {
    if (paused) {
      pausedQueue.push(packet);
      if (pausedQueue.length > MAX_PAUSED) { pausedQueue.shift(); pausedDropped++; }
      const note = $('paused-note');
      note.hidden = false;
      note.textContent = pausedQueue.length + ' waiting' + (pausedDropped ? ', ' + pausedDropped + ' dropped' : '');
      return;
    }
    showEvent(packet);
  }

  function showEvent(packet) {
    if (!passesFilter(packet)) return;
    const list = $('events');
    list.prepend(renderPacket('event', packet));
    while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
    eventCount++;
    $('event-count').textContent = String(eventCount);
  }

  // --- actions ------------------------------------------------------------------

  function addRow(key, value) {
    const row = el('div', 'row');
    const k = el('input', 'key');
    k.placeholder = 'Header';
    k.value = key || '';
    const v = el('input', 'value');
    v.placeholder = 'Value';
    v.value = value || '';
    const rm = el('button', '', 'remove');
    rm.type = 'button';
    rm.addEventListener('click', () => row.remove());
    row.append(k, v, rm);
    $('action-rows').appendChild(row);
  }

  function sendAction(ev) {
    ev.preventDefault();
    const name = $('action-name').value.trim();
    if (name === '') return;
    const headers = { Action: name };
    for (const row of $('action-rows').querySelectorAll('.row')) {
      const k = row.querySelector('.key').value.trim();
      if (k === '' || k.toLowerCase() === 'action' || k.toLowerCase() === 'actionid') continue;
      const v = row.querySelector('.value').value;
      // A repeated header (Variable) becomes an array, in the order of the rows.
      if (Object.prototype.hasOwnProperty.call(headers, k)) headers[k] = [].concat(headers[k], v);
      else headers[k] = v;
    }
    const id = send(headers);
    if (id === undefined) return;
    const box = el('div', 'reply');
    box.appendChild(el('strong', '', 'Action: ' + name));
    box.appendChild(el('span', 'note', ' (' + id + ')'));
    box.appendChild(el('ol', 'packets'));
    replies.set(id, box);
    $('replies').prepend(box);
    while ($('replies').childElementCount > 50) {
      const old = $('replies').lastElementChild;
      for (const [k, b] of replies) if (b === old) replies.delete(k);
      old.remove();
    }
  }

  function listCommands() {
    const id = send({ Action: 'ListCommands' });
    // Its answer fills the commands panel instead of a reply box.
    if (id !== undefined) special.set(id, showCommands);
  }

  function showCommands(h) {
    const list = $('commands');
    const names = $('action-names');
    list.replaceChildren();
    names.replaceChildren();
    for (const key of Object.keys(h)) {
      if (key === 'Response' || key === 'ActionID') continue;
      const li = el('li', '', key);
      li.title = String(h[key]);
      li.addEventListener('click', () => { $('action-name').value = key; });
      list.appendChild(li);
      const opt = el('option');
      opt.value = key;
      names.appendChild(opt);
    }
  }

  // --- wiring -------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      $('login-button').disabled = true;
      $('login-error').textContent = '';
      if (ws) ws.close();
      connect($('login-user').value, $('login-secret').value);
    });
    $('logout').addEventListener('click', () => { send({ Action: 'Logoff' }); });
    $('action-form').addEventListener('submit', sendAction);
    $('add-row').addEventListener('click', () => addRow());
    $('pause').addEventListener('click', () => {
      paused = !paused;
      $('pause').setAttribute('aria-pressed', String(paused));
      $('pause').textContent = paused ? 'Resume' : 'Pause';
      if (!paused) {
        const q = pausedQueue;
        pausedQueue = [];
        pausedDropped = 0;
        $('paused-note').hidden = true;
        for (const p of q) showEvent(p);
      }
    });
    $('clear').addEventListener('click', () => {
      $('events').replaceChildren();
      eventCount = 0;
      $('event-count').textContent = '0';
    });
    addRow();
  });

})();
