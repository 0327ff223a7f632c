// The console's files over HTTP (downstream/console-front.ts): served only
// with `console: true`, from memory, with a strict Content-Security-Policy,
// the listener's WebSocket path in the page, and nothing else under /console.

import t from 'tap';
import http from 'node:http';
import { startProxy } from '../../helpers/start-proxy.js';
import { CONSOLE_CSP } from '../../../src/downstream/console-front.js';

interface Got { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(port: number, path: string, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('console: true serves the page, its script and its style with a strict CSP', async (t) => {
  const h = await startProxy(t, {
    users: {},
    listeners: [
      { name: 'web', protocol: 'http', console: true, websocket: { path: '/amigate/ws' } },
      { name: 'web2', protocol: 'http' },
    ],
  });
  const port = h.portOf('web');
  for (const [path, type] of [['/console', 'text/html'], ['/console/', 'text/html'], ['/console/index.html', 'text/html'], ['/console/console.js?v=1', 'text/javascript'], ['/console/console.css', 'text/css']] as const) {
    const r = await request(port, path);
    t.equal(r.status, 200, path);
    t.match(r.headers['content-type'], type, path);
    t.equal(r.headers['content-security-policy'], CONSOLE_CSP, path);
    t.equal(r.headers['x-content-type-options'], 'nosniff', path);
    t.equal(r.headers['x-frame-options'], 'DENY', path);
  }
  t.match(CONSOLE_CSP, /script-src 'self'/);
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  const page = await request(port, '/console');
  t.match(page.body, '<meta name="amigate-websocket-path" content="/amigate/ws">', 'the listener\'s WebSocket path');
  t.notMatch(page.body, /<script>|<script [^>]*>[^<]+<\/script>|\son[a-z]+=/i, 'no inline script or handler in the page');
  t.match(page.body, '<script src="/console/console.js" defer></script>');
  const js = await request(port, '/console/console.js');
  t.notMatch(js.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, 'the script never builds HTML from text');
  const head = await request(port, '/console', 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal((await request(port, '/console', 'POST')).status, 405);
  t.equal((await request(port, '/console/../package.json')).status, 404);
  t.equal((await request(port, '/console/secret.txt')).status, 404);
  t.equal((await request(h.portOf('web2'), '/console')).status, 404, 'off unless console: true');
});
