// `amigate sim`: the CLI starts the simulator with a YAML users file and stops it as a Service.
import t from 'tap';
import { PassThrough } from 'node:stream';
import { run } from '../../../src/cli/sim.js';
import type { CliIo, Service } from '../../../src/cli/types.js';
import { loginRaw } from '../../helpers/sim-control.js';

function io(): { io: CliIo; out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => { text += d.toString(); });
  return { io: { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} }, out: () => text };
}

t.test('starts with a users file, prints the port, stops on close()', async (t) => {
  const dir = t.testdir({ 'users.yaml': 'users:\n  ops: { secret: opspw, read: "call,system", write: all }\n' });
  const { io: cli, out } = io();
  const service = await run(['--port', '0', '--config', `${dir}/users.yaml`, '--system-name', 'lab', '--events-per-second', '50', '--seed', '3'], cli) as Service;
  t.teardown(() => service.close('test'));
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out())?.[1]);
  t.ok(port > 0, out());
  t.match(out(), /users: ops\n/);
  const c = await loginRaw(t, port, 'ops', 'opspw');
  await c.waitFor(/Event: Newchannel\r\nPrivilege: call,all\r\nSystemName: lab\r\n/);
  t.pass('generated events with the system name');
  await service.close('SIGTERM');
  await c.waitEnd();
  t.match(c.text(), /Event: Shutdown\r\n/);
});

t.test('usage errors', async (t) => {
  await t.rejects(run(['--port', 'x'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  await t.rejects(run(['--port', '70000'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  await t.rejects(run(['--bogus'], io().io), { code: 'AMIGATE_ERR_USAGE' });
  const dir = t.testdir({ 'bad.yaml': 'users:\n  a: { secret: x, read: [1] }\n' });
  await t.rejects(run(['--port', '0', '--config', `${dir}/bad.yaml`], io().io), { code: 'AMIGATE_ERR_CONFIG_INVALID' });
  const h = io();
  t.equal(await run(['--help'], h.io), 0);
  t.match(h.out(), /^usage: amigate sim --port N/);
});
