// listeners[].websocket and listeners[].console (config/websocket-schema.ts):
// defaults on an HTTP listener, refused on an AMI one, and every bad value
// reported with its line and key.

import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { problemsOf, UPSTREAM_YAML } from '../../helpers/config-problems.js';

const UP = UPSTREAM_YAML;


t.test('an HTTP listener serves WebSocket at /ws by default, the console only when asked', async (t) => {
  const { config } = await parseConfig(`listeners:
  - { name: web, protocol: http, port: 8088 }
  - { name: ops, protocol: http, port: 8089, console: true, websocket: { path: /ami, origins: ['https://ops.example.com', '*'], maxmessagebytes: 4096, pinginterval: 0 } }
  - { name: ami, port: 5038 }
${UP}`, 'amigate.yaml', {});
  const [web, ops, ami] = config.listeners;
  t.same(web!.websocket, { path: '/ws', origins: [], maxmessagebytes: 65536, pinginterval: 30 });
  t.equal(web!.console, false);
  t.same(ops!.websocket, { path: '/ami', origins: ['https://ops.example.com', '*'], maxmessagebytes: 4096, pinginterval: 0 });
  t.equal(ops!.console, true);
  t.equal(ami!.websocket, undefined);
  t.equal(ami!.console, false);
  const { config: off } = await parseConfig(`listeners:
  - { name: web, protocol: http, port: 8088, websocket: { enabled: false } }
${UP}`, 'amigate.yaml', {});
  t.equal(off.listeners[0]!.websocket, undefined);
});

t.test('bad values name their line and key', async (t) => {
  const problems = await problemsOf(`listeners:
  - name: ami
    port: 5038
    websocket: { path: /ws }
    console: true
  - name: web
    protocol: http
    port: 8088
    console: true
    websocket:
      enabled: false
  - name: web2
    protocol: http
    port: 8089
    websocket:
      path: /rawman
      origins: ['ops.example.com', 'https://ok.example.com', 'https://x.example.com/path']
      maxmessagebytes: 10
      pinginterval: -1
      compress: true
  - name: web3
    protocol: http
    port: 8090
    websocket: { path: /console/ws }
  - name: web4
    protocol: http
    port: 8091
    websocket: { path: 'ws' }
${UP}`);
  t.same(problems.map((p) => [p.line, p.key]).sort(), [
    [4, 'listeners[0].websocket'],
    [5, 'listeners[0].console'],
    [9, 'listeners[1].console'],
    [16, 'listeners[2].websocket.path'],
    [17, 'listeners[2].websocket.origins[0]'],
    [17, 'listeners[2].websocket.origins[2]'],
    [18, 'listeners[2].websocket.maxmessagebytes'],
    [19, 'listeners[2].websocket.pinginterval'],
    [20, 'listeners[2].websocket.compress'],
    [24, 'listeners[3].websocket.path'],
    [28, 'listeners[4].websocket.path'],
  ].sort());
});
