import t from 'tap';
import { readFile, readdir } from 'node:fs/promises';
import * as audit from '../../../src/observability/audit.js';
import { Audit, type AuditType } from '../../../src/observability/audit.js';
import { AmiMessage } from '../../../src/protocol/message.js';
import { captureLogger, type LogLine } from '../../helpers/log-capture.js';

const base = { session: 7, remote: '127.0.0.1:50412', listener: 'tls' };

/** Write one record of every type; returns the parsed lines. */
function everyRecord(a: Audit): void {
  a.connectionOpened(base);
  a.connectionRejected({ remote: '192.0.2.9:40001', listener: 'tls', reason: 'maxconnectionsperip' });
  a.tlsHandshake({ ...base, tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', subject: 'CN=crm,O=Example', fingerprint256: 'AB:CD', authorized: true } });
  a.loginSucceeded({ ...base, user: 'crm', authType: 'md5' });
  a.loginFailed({ ...base, user: 'crm', reason: 'bad-secret' });
  a.action({
    ...base, user: 'crm', action: 'Originate', result: 'success', upstream: 'pbx1', latencyMs: 12.3456, upstreamMs: 11.9,
    headers: AmiMessage.from([['Action', 'Originate'], ['ActionID', 'crm-42'], ['Channel', 'Local/100@test'], ['Context', 'test'], ['Exten', '200'], ['Priority', '1']]).entries(),
  });
  a.action({ ...base, user: 'crm', action: 'Command', result: 'denied', rule: 'commands.allow', latencyMs: 0.2, headers: [['Action', 'Command'], ['Command', 'core restart now']] });
  a.slowConsumerDropped({ ...base, user: 'crm', queuedBytes: 1048576, reason: 'queue-full' });
  a.sessionClosed({ ...base, user: 'crm', cause: 'logoff', durationMs: 60012.4 });
  a.upstreamUp({ upstream: 'pbx1' });
  a.upstreamDown({ upstream: 'pbx1', reason: 'connection reset' });
  a.eventDelivered({ ...base, user: 'crm', event: 'Newchannel', privilege: 'call,all' });
}

const TYPES: AuditType[] = [
  'connectionOpened', 'connectionRejected', 'tlsHandshake', 'loginSucceeded', 'loginFailed',
  'action', 'slowConsumerDropped', 'sessionClosed', 'upstreamUp', 'upstreamDown', 'eventDelivered',
];

t.test('every record type is a parsed object with its fixed fields, on the audit stream', async (t) => {
  const cap = captureLogger();
  everyRecord(new Audit(cap.logger));
  const lines = cap.lines();
  t.same(lines.map((l) => l['audit']), [...TYPES.slice(0, 5), 'action', 'action', 'slowConsumerDropped', 'sessionClosed', 'upstreamUp', 'upstreamDown', 'eventDelivered']);
  for (const l of lines) {
    t.equal(l['stream'], 'audit');
    t.type(l['time'], 'string');
    t.type(l['msg'], 'string');
  }
  const by = (type: string, i = 0): LogLine => lines.filter((l) => l['audit'] === type)[i]!;
  t.match(by('connectionOpened'), { level: 'info', session: 7, remote: '127.0.0.1:50412', listener: 'tls' });
  t.notOk('user' in by('connectionOpened'), 'no user before login');
  t.match(by('connectionRejected'), { level: 'warn', remote: '192.0.2.9:40001', listener: 'tls', reason: 'maxconnectionsperip' });
  t.same(by('tlsHandshake')['tls'], { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', subject: 'CN=crm,O=Example', fingerprint256: 'AB:CD', authorized: true });
  t.match(by('loginSucceeded'), { level: 'info', user: 'crm', authType: 'md5', result: 'success' });
  t.match(by('loginFailed'), { level: 'warn', user: 'crm', result: 'denied', reason: 'bad-secret' });
  t.match(by('action'), {
    level: 'info', user: 'crm', action: 'Originate', actionId: 'crm-42', upstream: 'pbx1', result: 'success', latencyMs: 12.346, upstreamMs: 11.9,
  });
  t.same(by('action')['headers'], { Channel: 'Local/100@test', Context: 'test', Exten: '200', Priority: '1' }, 'Action and ActionID have their own fields');
  t.match(by('action', 1), { level: 'warn', result: 'denied', rule: 'commands.allow', headers: { Command: 'core restart now' } });
  t.notOk('upstream' in by('action', 1), 'a denied action never had an upstream');
  t.match(by('slowConsumerDropped'), { level: 'warn', queuedBytes: 1048576, reason: 'queue-full' });
  t.match(by('sessionClosed'), { cause: 'logoff', durationMs: 60012 });
  t.same(Object.keys(by('upstreamUp')).filter((k) => !['level', 'time', 'pid', 'hostname', 'name', 'stream', 'msg'].includes(k)), ['audit', 'upstream']);
  t.match(by('upstreamDown'), { level: 'warn', upstream: 'pbx1', reason: 'connection reset' });
  t.match(by('eventDelivered'), { level: 'info', session: 7, user: 'crm', event: 'Newchannel', privilege: 'call,all' });
  // Field order is fixed: the record's identity first.
  t.same(Object.keys(audit.action({ ...base, user: 'u', action: 'Ping', result: 'success', latencyMs: 1 })).slice(0, 6), ['audit', 'session', 'user', 'remote', 'listener', 'action']);
});

t.test('tls fields are null, not missing, when absent', async (t) => {
  const r = audit.tlsHandshake({ ...base, tls: { protocol: null, cipher: undefined } });
  t.same(r['tls'], { protocol: null, cipher: null, subject: null });
});

t.test('a record whose headers contain Secret or Key never contains the secret text', async (t) => {
  const cap = captureLogger();
  const a = new Audit(cap.logger, { sensitive: [/^Variable:\s*\w*(PASS|SECRET|TOKEN)/i] });
  const secrets = ['pl41n-s3cret', '0123456789abcdef0123456789abcdef', 'v4r-s3cret', 'upd4te-s3cret'];
  a.action({
    ...base, user: 'crm', action: 'Login', result: 'success', latencyMs: 1,
    headers: [['Action', 'Login'], ['Username', 'crm'], ['Secret', secrets[0]!], ['key', secrets[1]!], ['SECRET', secrets[0]!]],
  });
  a.action({
    ...base, user: 'crm', action: 'Originate', result: 'success', latencyMs: 1,
    headers: [['Action', 'Originate'], ['Variable', 'DB_PASSWORD=' + secrets[2]], ['Variable', 'X=1']],
  });
  // Fields, not headers: the logger's redact paths catch these.
  cap.logger.child({ stream: 'audit' }).info({ headers: { Secret: secrets[3] }, secret: secrets[3] }, 'raw record');
  const raw = cap.raw();
  for (const s of secrets) t.notOk(raw.includes(s), `${s.slice(0, 6)}… never in the output`);
  const [login, orig] = cap.lines();
  t.same(login!['headers'], { Username: 'crm', Secret: '[REDACTED]', key: '[REDACTED]', SECRET: '[REDACTED]' });
  t.same(orig!['headers'], { Variable: ['[REDACTED]', 'X=1'] });
});

t.test('header selection, length bounds and action logging modes', async (t) => {
  const long = 'x'.repeat(1000);
  const many = Array.from({ length: 40 }, (_, i) => [`H${i}`, 'v'] as [string, string]);
  let r = audit.action({ ...base, action: 'UserEvent', result: 'success', latencyMs: 1, headers: [['ActionID', long], ['Body', long], ...many] }, {});
  t.equal((r['actionId'] as string).length, 128 + '…[+872]'.length);
  t.match(r['actionId'], /…\[\+872\]$/);
  t.equal((r['headers'] as Record<string, string>)['Body'], 'x'.repeat(256) + '…[+744]');
  t.equal(Object.keys(r['headers'] as object).length, 32);
  t.equal(r['headersOmitted'], 9);
  r = audit.action({ ...base, action: 'UserEvent', result: 'success', latencyMs: 1, headers: [['Body', 'a'], ['channel', 'b'], ['Other', 'c']] }, { headers: ['CHANNEL', 'body'] });
  t.same({ ...(r['headers'] as object) }, { Body: 'a', channel: 'b' }, 'allow-list, case-insensitive');
  r = audit.action({ ...base, action: 'Ping', actionId: 'explicit', result: 'success', latencyMs: 1, headers: [['ActionID', 'from-headers']] });
  t.equal(r['actionId'], 'explicit');
  r = audit.loginFailed({ ...base, user: 'u'.repeat(500), reason: 'unknown-user' });
  t.ok((r['user'] as string).length < 140, 'a client-chosen username is bounded');

  const cap = captureLogger();
  const denied = new Audit(cap.logger, { actions: 'denied' });
  denied.action({ ...base, action: 'Ping', result: 'success', latencyMs: 1 });
  denied.action({ ...base, action: 'Command', result: 'denied', rule: 'r', latencyMs: 1 });
  new Audit(cap.logger, { actions: 'none' }).action({ ...base, action: 'Command', result: 'denied', latencyMs: 1 });
  t.same(cap.lines().map((l) => l['result']), ['denied']);
});

t.test('docs/audit.md documents every record type and every field', async (t) => {
  const doc = await readFile(new URL('../../../docs/audit.md', import.meta.url), 'utf8');
  const cap = captureLogger();
  everyRecord(new Audit(cap.logger));
  cap.logger.child({ stream: 'audit' }).info(audit.action({ ...base, action: 'X', result: 'error', reason: 'r', latencyMs: 1, headers: Array.from({ length: 40 }, (_, i) => [`H${i}`, 'v'] as [string, string]) }), 'x');
  for (const type of TYPES) t.match(doc, new RegExp(`^## \`${type}\``, 'm'), `section for ${type}`);
  const fields = new Set<string>();
  for (const l of cap.lines()) {
    for (const [k, v] of Object.entries(l)) {
      fields.add(k);
      if (k === 'tls') for (const sub of Object.keys(v as object)) fields.add(`tls.${sub}`);
    }
  }
  for (const f of fields) t.match(doc, `\`${f}\``, `field ${f} documented`);
  // Every example line in the doc is valid JSON with a documented type.
  const examples = [...doc.matchAll(/^(\{"level".*\})$/gm)].map((m) => JSON.parse(m[1]!) as LogLine);
  t.ok(examples.length >= TYPES.length, 'an example per record');
  for (const e of examples) t.ok(TYPES.includes(e['audit'] as AuditType), `example ${String(e['audit'])}`);
});

t.test('docs/audit.md and docs/metrics.md list exactly the reason and cause values the code writes', async (t) => {
  const { REJECT_REASONS, DROP_REASONS, LOGIN_RESULTS } = await import('../../../src/observability/metrics.js');
  const root = new URL('../../../', import.meta.url);
  const doc = await readFile(new URL('docs/audit.md', root), 'utf8');
  const metricsDoc = await readFile(new URL('docs/metrics.md', root), 'utf8');
  const section = (type: string) => doc.split(new RegExp(`^## \`${type}\`$`, 'm'))[1]!.split(/^## /m)[0]!;
  /** The backticked values in the first column of a section's `| \`name\` |` table. */
  const tableValues = (text: string, column: string) => {
    const table = text.split(`| \`${column}\` |`)[1]!.split(/\n\n/)[0]!;
    return [...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!)).sort();
  };
  const ticks = (s: string) => [...new Set([...s.matchAll(/`([a-z-]+)`/g)].map((m) => m[1]!))].sort();

  const rejected = section('connectionRejected').split('`reason`:')[1]!.split(/\n\n/)[0]!;
  t.same(ticks(rejected), [...REJECT_REASONS].sort(), 'connectionRejected reasons');
  t.same(tableValues(section('loginFailed'), 'reason'), [...audit.LOGIN_FAILURE_REASONS].sort(), 'loginFailed reasons');
  t.same(tableValues(section('slowConsumerDropped'), 'reason'), DROP_REASONS.filter((r) => r !== 'session-closed').sort(), 'slowConsumerDropped reasons');

  // Every close cause written in the source, and nothing else.
  const causes = new Set<string>();
  // Everything that can close a session: the core, its local actions, its transports, and proxy.ts.
  const sessionFiles = async (dir: string): Promise<string[]> =>
    (await readdir(new URL(dir, root), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);
  for (const file of [...await sessionFiles('src/session'), ...await sessionFiles('src/downstream'), 'src/proxy.ts']) {
    const src = await readFile(new URL(file, root), 'utf8');
    for (const m of src.matchAll(/\.(?:end|destroy)\('([a-z-]+)'\)|shutdown\([^)]*, '([a-z-]+)'\)/g)) causes.add((m[1] ?? m[2])!);
  }
  t.ok(causes.size >= 10, `causes found in the source: ${[...causes].join(', ')}`);
  t.same(tableValues(section('sessionClosed'), 'cause'), [...causes].sort(), 'sessionClosed causes');

  // docs/metrics.md: the label values of the reason/result labels.
  const row = (metric: string) => metricsDoc.split('\n').find((l) => l.startsWith(`| \`${metric}\``))!;
  const after = (line: string, label: string) => ticks(line.split(`\`${label}\`:`).slice(-1)[0]!).filter((v) => v !== 'other');
  t.same(after(row('amigate_downstream_connections_rejected_total'), 'reason'), [...REJECT_REASONS].sort(), 'rejected_total reasons');
  t.same(after(row('amigate_logins_total'), 'result'), [...LOGIN_RESULTS].sort(), 'logins_total results');
  const dropped = row('amigate_events_dropped_total').split('`reason`:')[1]!;
  t.same(ticks(dropped).filter((v) => (DROP_REASONS as readonly string[]).includes(v) || v === 'sessionclosed').sort(), [...DROP_REASONS].sort(), 'events_dropped_total reasons');
  t.notMatch(metricsDoc + doc, /`sessionClosed`, `other`|`tlsHandshake` \(/, 'no camelCase label values');
});

t.test('behind a load balancer: the balancer in `proxy` of connectionOpened and connectionRejected, documented', async (t) => {
  const opened = audit.connectionOpened({ ...base, proxy: '10.0.0.5:40418' });
  t.same(Object.keys(opened), ['audit', 'session', 'remote', 'listener', 'proxy']);
  t.equal(opened['proxy'], '10.0.0.5:40418');
  t.notOk('proxy' in audit.connectionOpened(base), 'absent without a balancer');
  t.same(audit.connectionRejected({ remote: '192.0.2.9', listener: 'lb', reason: 'maxconnectionsperip', proxy: '10.0.0.5:1' }),
    { audit: 'connectionRejected', remote: '192.0.2.9', listener: 'lb', reason: 'maxconnectionsperip', proxy: '10.0.0.5:1' });
  const doc = await readFile(new URL('../../../docs/audit.md', import.meta.url), 'utf8');
  for (const type of ['connectionOpened', 'connectionRejected']) {
    const section = doc.split(new RegExp(`^## \`${type}\`$`, 'm'))[1]!.split(/^## /m)[0]!;
    t.match(section, '`proxy`', `${type}: proxy documented`);
    t.match(section, /"proxy":"10\.0\.0\.5:\d+"|"reason":"proxy-untrusted"/, `${type}: an example`);
  }
});
