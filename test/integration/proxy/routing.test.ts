// ActionID routing under load: 50 clients all use the ActionIDs 1, 2, 3... at
// once while events flow; every response, list item and Complete reaches its
// own client with its own ActionID, counted exactly per (client, ActionID); no
// proxy ID ever leaks.
//
// Colliding IDs alone cannot show a swap (every client expects "2"), so each
// client also writes and reads back its own global variable: a Getvar reply or
// a Status item (Variables: ROUTE_<i>) that reached the wrong client carries
// another client's name and value. The sim preloads long-lived channels so the
// lists have items (the generator's calls are never listed), and writes each
// list's items a few ms after its ack so broadcast events arrive at the proxy
// while lists are open (S26).

import t from 'tap';
import { startProxy } from '../../helpers/start-proxy.js';
import { TestClient } from '../../helpers/ami-test-client.js';
import type { AmiMessage } from '../../../src/protocol/message.js';

const N = 50;
const ROUNDS = 3;
const CHANNELS = 3;
/** Actions with an ActionID per round; a CoreStatus without one ends the round. */
const PER_ROUND = 6;

const isComplete = (m: AmiMessage) => m.isEvent && m.get('EventList')?.toLowerCase() === 'complete';

t.test('50 clients with colliding ActionIDs while events flow', async (t) => {
  const h = await startProxy(t, {
    users: { app: { secret: 'apppw', read: 'all', write: 'all' } },
    sim: { eventsPerSecond: 500, seed: 7, preloadChannels: CHANNELS, listWriteDelayMs: 5 },
    // All 50 log in at once from 127.0.0.1: more than the per-address pre-auth default (10).
    general: { authlimitperip: 50 },
  });
  const clients = await Promise.all(Array.from({ length: N }, async () => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login('app', 'apppw');
    return c;
  }));
  const afterLogin = clients.map((c) => c.received.length);
  const coreStatusBefore = h.sim.received.filter((x) => x.action.toLowerCase() === 'corestatus').length;

  await Promise.all(clients.map(async (c, i) => {
    for (let r = 0; r < ROUNDS; r++) {
      const base = r * PER_ROUND;
      const mine = `c${i}r${r}`;
      const from = c.received.length;
      // Pipelined in one write; the last action is forwarded (not answered by
      // the proxy like Ping) and carries no ActionID.
      c.write(
        `Action: Ping\r\nActionID: ${base + 1}\r\n\r\n` +
        `Action: CoreShowChannels\r\nActionID: ${base + 2}\r\n\r\n` +
        `Action: Setvar\r\nActionID: ${base + 3}\r\nVariable: ROUTE_${i}\r\nValue: ${mine}\r\n\r\n` +
        `Action: Status\r\nActionID: ${base + 4}\r\nVariables: ROUTE_${i}\r\n\r\n` +
        `Action: Getvar\r\nActionID: ${base + 5}\r\nVariable: ROUTE_${i}\r\n\r\n` +
        `Action: Command\r\nActionID: ${base + 6}\r\nCommand: core show version\r\n\r\n` +
        'Action: CoreStatus\r\n\r\n');
      const last = await c.waitFor((m) => m.isResponse && m.has('CoreCurrentCalls'), 15000, from);
      t.notOk(last.has('ActionID'), 'a forwarded action without ActionID gets a reply without one');
      const got = c.received.slice(from);
      const responses = got.filter((m) => m.isResponse);
      t.same(responses.map((m) => m.get('ActionID') ?? '-'), [...Array.from({ length: PER_ROUND }, (_, k) => `${base + k + 1}`), '-'],
        `client ${i} round ${r}: responses in request order`);
      t.equal(responses[4]?.get('Value'), mine, 'Getvar answers this client\'s own value');
      const statusItems = got.filter((m) => m.isEvent && m.get('Event') === 'Status' && m.get('ActionID') === `${base + 4}`);
      t.equal(statusItems.length, CHANNELS);
      t.ok(statusItems.every((m) => m.get('Variable') === `ROUTE_${i}=${mine}`), 'Status items carry this client\'s variable');
    }
  }));

  // Every packet after login, counted per ActionID against what this client asked for.
  for (const [i, c] of clients.entries()) {
    const counts = new Map<string, { responses: number; items: number; completes: number; listItems: number[] }>();
    let lists = 0;
    let listItemsSeen = 0;
    let openList: string | undefined;
    let interleaved = 0;
    for (const m of c.received.slice(afterLogin[i])) {
      const id = m.get('ActionID');
      if (m.isEvent && id === undefined) {
        if (openList !== undefined) interleaved++;
        continue;
      }
      const key = id ?? '-';
      const n = counts.get(key) ?? { responses: 0, items: 0, completes: 0, listItems: [] };
      counts.set(key, n);
      if (m.isResponse) {
        n.responses++;
        if (m.get('EventList')?.toLowerCase() === 'start') openList = key;
      } else if (isComplete(m)) {
        n.completes++;
        n.listItems.push(Number(m.get('ListItems')));
        if (openList === key) openList = undefined;
        lists++;
      } else {
        n.items++;
        listItemsSeen++;
      }
      for (const [k, v] of m.lines.entries()) {
        // Another client's variable in a reply to this one is a swapped reply.
        const other = /ROUTE_(\d+)/.exec(v)?.[1];
        if (other !== undefined && Number(other) !== i) t.fail(`client ${i} got client ${other}'s reply (line ${k}: ${v})`);
      }
    }
    const expected = new Map<string, { responses: number; items: number; completes: number; listItems: number[] }>();
    for (let r = 0; r < ROUNDS; r++) {
      const base = r * PER_ROUND;
      for (let k = 1; k <= PER_ROUND; k++) {
        const list = k === 2 || k === 4;
        expected.set(`${base + k}`, { responses: 1, items: list ? CHANNELS : 0, completes: list ? 1 : 0, listItems: list ? [CHANNELS] : [] });
      }
    }
    expected.set('-', { responses: ROUNDS, items: 0, completes: 0, listItems: [] });
    t.same(Object.fromEntries(counts), Object.fromEntries(expected), `client ${i}: every response, list item and Complete, counted per ActionID`);
    t.equal(lists, ROUNDS * 2);
    t.equal(listItemsSeen, ROUNDS * 2 * CHANNELS, 'list items were routed (ListItems > 0)');
    t.equal(interleaved, 0, `client ${i}: no broadcast event between EventList: start and its Complete (S26)`);
    if (/amg\./.test(c.received.map((m) => m.toString()).join(''))) t.fail('a proxy ActionID leaked to a client');
  }
  const coreStatus = h.sim.received.filter((x) => x.action.toLowerCase() === 'corestatus').length - coreStatusBefore;
  t.equal(coreStatus, N * ROUNDS, 'CoreStatus without ActionID was forwarded upstream, not answered locally');
  const events = clients.map((c, i) => c.received.slice(afterLogin[i]).filter((m) => m.isEvent && !m.has('ActionID')).length);
  t.ok(events.every((n) => n > 0), 'every client received broadcast events meanwhile');
});

t.test('no broadcast event between a list\'s EventList: start and its Complete (S26)', async (t) => {
  // The sim writes each list's ack, then the items 30 ms later. A list
  // answered on the proxy's action connection is then open while broadcast
  // events keep arriving on its event connection; the session must hold them
  // back until the Complete. Three clients at once, so lists land on both
  // upstream connections (the pool picks the one with fewer pending actions).
  const LIST = 5;
  const h = await startProxy(t, {
    users: { app: { secret: 'apppw', read: 'all', write: 'all' } },
    sim: { eventsPerSecond: 1000, seed: 3, preloadChannels: LIST, listWriteDelayMs: 30 },
  });
  const clients = await Promise.all(Array.from({ length: 3 }, async () => {
    const c = await TestClient.connect({ port: h.port });
    t.teardown(() => c.close());
    await c.login('app', 'apppw');
    return c;
  }));
  await Promise.all(clients.map(async (c, i) => {
    for (let r = 0; r < 5; r++) {
      for (const action of ['CoreShowChannels', 'Status']) {
        const { response, items, complete } = await c.list([['Action', action]], `${r}`, 10000);
        t.equal(response.get('EventList'), 'start');
        t.equal(items.length, LIST);
        t.equal(complete.get('ListItems'), String(LIST));
        const inside = c.received.slice(c.received.indexOf(response), c.received.indexOf(complete)).filter((m) => m.isEvent && !m.has('ActionID'));
        t.equal(inside.length, 0, `client ${i} ${action} ${r}: no broadcast event inside the list`);
      }
    }
  }));
  t.ok(clients.every((c) => c.events('Newchannel').length > 0), 'events flowed meanwhile');
});
