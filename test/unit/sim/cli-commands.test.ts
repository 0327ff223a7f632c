import t from 'tap';
import { isBlacklisted, runCli } from '../../../src/sim/cli-commands.js';
import { SimPbx } from '../../../src/sim/pbx.js';
import { DEFAULT_USERS } from '../../../src/sim/users.js';
import type { SimEvent } from '../../../src/sim/events.js';

function pbx(): { pbx: SimPbx; events: SimEvent[] } {
  const p = new SimPbx({ systemName: 'amiref', legacyCommand: false, authTimeoutMs: 30000, authLimit: 50, loginFailureDelayMs: 1000, amiVersion: '11.0.0' }, DEFAULT_USERS);
  const events: SimEvent[] = [];
  p.sessions.add({ username: 'x', authenticated: true, offer: (e) => events.push(e), closeAfterFlush() {}, destroy() {}, pause() {}, resume() {} });
  return { pbx: p, events };
}

t.test('captured outputs', async (t) => {
  const { pbx: p } = pbx();
  t.same(runCli(p, 'core show version'), { ok: true, output: 'Asterisk GIT-22-22.0.0-pre1-541-g69535d4837 built by root @ vm on a x86_64 running Linux on 2026-11-22 05:43:32 UTC\n' });
  t.equal(runCli(p, 'core show channels').output,
    'Channel                                                          Location                         State   Application(Data)             \n' +
    '0 active channels\n0 active calls\n0 calls processed\n');
  t.same(runCli(p, 'no such cli command'), { ok: false, output: "No such command 'no such cli command' (type 'core show help no such' for other possible commands)\n" });
  t.equal(runCli(p, 'core show foo').output, "No such command 'core show foo' (type 'core show help core show foo' for other possible commands)\n");
  t.same(runCli(p, 'dialplan reload'), { ok: true, output: 'Dialplan reloaded.\n' });
  t.same(runCli(p, 'CORE  Show   Version').ok, true, 'words are case-insensitive and blank-separated');
});

t.test('uptime wording', async (t) => {
  const { pbx: p } = pbx();
  p.startTime = Date.now() - 70_500;
  p.lastReload = Date.now() - 14_200;
  t.equal(runCli(p, 'core show uptime').output, 'System uptime: 1 minute, 10 seconds\nLast reload: 14 seconds\n');
  p.startTime = Date.now() - (2 * 86400 + 3600) * 1000;
  p.lastReload = Date.now();
  t.equal(runCli(p, 'core show uptime').output, 'System uptime: 2 days, 1 hour\nLast reload: 0 seconds\n');
  t.match(runCli(p, 'core show uptime seconds').output, /^System uptime: 176400\nLast reload: 0\n$/);
});

t.test('reloads: only ast_module_reload() paths publish Reload (capture 13)', async (t) => {
  const { pbx: p, events } = pbx();
  runCli(p, 'core reload');
  runCli(p, 'manager reload');
  t.same(runCli(p, 'module reload app_queue.so'), { ok: true, output: "Module 'app_queue.so' reloaded successfully.\n" });
  runCli(p, 'dialplan reload');
  t.equal(runCli(p, 'module reload nosuch.so').output, "No such module 'nosuch.so'\n");
  t.same(events.map((e) => e.text), [
    'Event: Reload\r\nPrivilege: system,all\r\nSystemName: amiref\r\nModule: All\r\nStatus: 0\r\n\r\n',
    'Event: Reload\r\nPrivilege: system,all\r\nSystemName: amiref\r\nModule: app_queue.so\r\nStatus: 0\r\n\r\n',
  ]);
});

t.test('the Command blacklist', async (t) => {
  for (const c of ['module load foo.so', 'Module  Unload x', 'restart gracefully']) t.ok(isBlacklisted(c), c);
  for (const c of ['module reload x', 'core restart now', 'module']) t.notOk(isBlacklisted(c), c);
});
