// The web console (/console, docs/websocket.md) in a real headless Chromium
// (Debian's `chromium`, driven by puppeteer-core): log in over ami-json, see
// what the user may do, receive a generated event, filter and pause events,
// send Ping and see Pong, send an action with headers and see its list items,
// and the XSS case: an event value `<img src=x onerror=...>` shows as text.
// Off CI a missing browser skips this file; under CI=true it fails it
// (.ci/run installs chromium).

import t, { type Test } from 'tap';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startProxy, type ProxyHarness } from '../../helpers/start-proxy.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const XSS = '<img src=x onerror="window.__xss=1">';

async function launch(t: Test): Promise<Browser | undefined> {
  try {
    await access(CHROMIUM);
    // A fresh profile of our own, removed only after the browser is gone (tap's
    // fixture dir is removed at teardown, possibly under a running browser).
    const profile = await mkdtemp(join(tmpdir(), 'amigate-chromium-'));
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // DevTools over a pipe: the browser exits when this process does, even if it is killed.
      pipe: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
      timeout: 60000,
    });
    t.teardown(async () => {
      const proc = browser.process();
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
      // Never leave a browser behind, whatever close() did.
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await rm(profile, { recursive: true, force: true });
    });
    return browser;
  } catch (err) {
    if (process.env['CI'] === 'true') throw new Error(`no browser could start under CI (${CHROMIUM}): ${(err as Error).message}`);
    t.plan(0, `skip: no browser (${CHROMIUM}): ${(err as Error).message}`);
    return undefined;
  }
}

async function openConsole(t: Test, h: ProxyHarness, browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Chromium asks for /favicon.ico by itself (404: not the console's).
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.location().url ?? '')) errors.push(m.text()); });
  const res = await page.goto(`http://127.0.0.1:${h.portOf('web')}/console`, { waitUntil: 'load' });
  t.equal(res?.status(), 200);
  t.match(res?.headers()['content-security-policy'], /script-src 'self'/);
  return { page, errors };
}

async function login(page: Page, user: string, secret: string): Promise<void> {
  await page.type('#login-user', user);
  await page.type('#login-secret', secret);
  await page.click('#login-button');
}

// Functions run in the page are strings here: the test build has no DOM types.
const textOf = (page: Page, sel: string): Promise<string> => page.evaluate(`document.querySelector(${JSON.stringify(sel)})?.textContent ?? ''`) as Promise<string>;
const waitJs = (page: Page, js: string) => page.waitForFunction(js, { timeout: 10000 });
const waitText = (page: Page, sel: string, text: string) => waitJs(page, `(document.querySelector(${JSON.stringify(sel)})?.textContent ?? '').includes(${JSON.stringify(text)})`);
const setValue = (page: Page, sel: string, v: string) => page.evaluate(`document.querySelector(${JSON.stringify(sel)}).value = ${JSON.stringify(v)}`);

t.test('log in, see what the user may do, events with filter and pause, Ping, a list, and no XSS', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const h = await startProxy(t, {
    users: { ops: { secret: 'ops-secret', read: 'all', write: 'system,reporting' } },
    listeners: [{ name: 'web', protocol: 'http', console: true }],
  });
  const { page, errors } = await openConsole(t, h, browser);
  await login(page, 'ops', 'ops-secret');
  await page.waitForSelector('#main:not([hidden])', { timeout: 10000 });
  t.equal(await textOf(page, '#status'), 'logged in');

  // ListCommands, filtered to this user's write classes.
  await waitJs(page, "document.querySelectorAll('#commands li').length > 0");
  const commands = await page.evaluate("[...document.querySelectorAll('#commands li')].map((l) => l.textContent)") as string[];
  t.ok(commands.includes('Ping') && commands.includes('CoreShowChannels'), 'the actions this user may send');
  t.notOk(commands.includes('Originate'), 'not Originate (no originate class)');

  // A generated event, whose value is markup: shown as text, never as an element.
  h.sim.emitEvent('UserEvent', 'user', [['UserEvent', 'Hello'], ['Payload', XSS]]);
  await waitText(page, '#events', 'UserEvent');
  const events = await textOf(page, '#events');
  t.ok(events.includes(XSS), 'the markup is shown as its characters');
  t.equal(await page.evaluate("document.querySelectorAll('#events img').length"), 0, 'no <img> element was made');
  t.equal(await page.evaluate('typeof window.__xss'), 'undefined', 'no handler ran');

  // The name filter, then pause and resume.
  await page.type('#event-filter', 'hangup');
  h.sim.emitEvent('Newchannel', 'call', [['Channel', 'PJSIP/1-1']]);
  h.sim.emitEvent('Hangup', 'call', [['Channel', 'PJSIP/1-1']]);
  await waitText(page, '#events', 'Hangup');
  t.notOk((await textOf(page, '#events')).includes('Newchannel'), 'filtered out by name');
  await page.click('#pause');
  h.sim.emitEvent('Hangup', 'call', [['Channel', 'PJSIP/2-2']]);
  await waitJs(page, "!document.querySelector('#paused-note').hidden");
  t.notOk((await textOf(page, '#events')).includes('PJSIP/2-2'), 'paused: not shown yet');
  await page.click('#pause');
  await waitText(page, '#events', 'PJSIP/2-2');
  t.pass('shown on resume');

  // Ping -> Pong.
  await page.type('#action-name', 'Ping');
  await page.click('#send-action');
  await waitText(page, '#replies', 'Pong');
  t.match(await textOf(page, '#replies .reply'), /Action: Ping.*response.*Success.*Pong/s);

  // An action with a header row, answered with a list: response and list items under it.
  await setValue(page, '#action-name', '');
  await page.type('#action-name', 'CoreShowChannels');
  await page.type('#action-rows .key', 'X-Note');
  await page.type('#action-rows .value', XSS);
  await page.click('#send-action');
  await waitText(page, '#replies', 'CoreShowChannelsComplete');
  const reply = await textOf(page, '#replies .reply');
  t.match(reply, /Action: CoreShowChannels.*response.*Success.*listitem.*CoreShowChannelsComplete/s);
  t.same(errors, [], 'no script errors and no CSP violations');
  const sent = h.sim.received.find((a) => a.action === 'CoreShowChannels');
  t.equal(sent?.msg.get('X-Note'), XSS, 'the header row went upstream as typed');
});

t.test('a wrong secret shows the error and the page stays usable', async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const h = await startProxy(t, {
    users: { ops: { secret: 'ops-secret', read: 'all', write: 'system' } },
    listeners: [{ name: 'web', protocol: 'http', console: true }],
  });
  const { page } = await openConsole(t, h, browser);
  await login(page, 'ops', 'wrong');
  await waitJs(page, "(document.querySelector('#login-error')?.textContent ?? '') !== ''");
  t.equal(await textOf(page, '#login-error'), 'Authentication failed');
  await waitJs(page, "!document.querySelector('#login-button').disabled");
  await setValue(page, '#login-secret', '');
  await setValue(page, '#login-user', '');
  await login(page, 'ops', 'ops-secret');
  await page.waitForSelector('#main:not([hidden])', { timeout: 10000 });
  t.pass('logged in on the second try');
});
