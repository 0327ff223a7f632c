import t from 'tap';
import { compileUser, DEFAULT_USERS, managerConfLines } from '../../../src/sim/users.js';
import { parseUsersFile } from '../../../src/sim/users-file.js';
import { ConfigInvalidError } from '../../../src/errors.js';

t.test('the captured users', async (t) => {
  const [admin, reader, limited] = DEFAULT_USERS.map(compileUser);
  t.equal(admin!.readperm, 0x7fffffff);
  t.equal(reader!.readperm, 3, 'call,system');
  t.equal(reader!.writeperm, 0, 'write = (empty)');
  t.equal(limited!.writeperm, 2 | (1 << 12), 'call,originate');
  t.equal(admin!.allowMultipleLogin, true);
  t.equal(admin!.writeTimeoutMs, 100);
  t.same(managerConfLines(DEFAULT_USERS[1]!), ['secret=readerpw', 'read=call,system', 'write='], 'as GetConfig showed them');
});

t.test('manager.conf quirks come from parsePermString', async (t) => {
  t.equal(compileUser({ name: 'x', secret: '', read: 'Call,SYSTEM' }).readperm, 0, 'case-sensitive');
  t.equal(compileUser({ name: 'x', secret: '', read: 'call,,system' }).readperm, 0x7fffffff, 'an empty token grants everything');
  t.equal(compileUser({ name: 'x', secret: '', writetimeout: 10 }).writeTimeoutMs, 100, 'at least 100 ms');
  t.same(compileUser({ name: 'x', secret: '', setvar: ['A=1', 'B = two', 'bad'] }).setvar, [['A', '1'], ['B', 'two']]);
});

t.test('ACLs: deny first, then permit; last match wins', async (t) => {
  const u = compileUser({ name: 'x', secret: '', deny: '0.0.0.0/0.0.0.0', permit: ['10.0.0.0/8', '::1/128'] });
  t.ok(u.allows('10.1.2.3'));
  t.ok(u.allows('::ffff:10.1.2.3'), 'IPv4-mapped');
  t.notOk(u.allows('127.0.0.1'));
  t.ok(u.allows('::1'));
  t.ok(compileUser({ name: 'y', secret: '' }).allows('192.0.2.1'), 'no rules: anyone');
  t.throws(() => compileUser({ name: 'z', secret: '', permit: 'nonsense' }), { code: 'AMIGATE_ERR_USAGE' });
  t.throws(() => compileUser({ name: 'z', secret: '', eventfilter: 'Event: (' }), { code: 'AMIGATE_ERR_FILTER_SYNTAX' });
});

t.test('users file', async (t) => {
  const users = parseUsersFile([
    'users:',
    '  admin: { secret: adminpw, read: all, write: all }',
    '  mon:',
    '    secret: 1234',
    '    read: call',
    '    write:',
    '    permit: 127.0.0.1/32',
    '    eventfilter: ["!Event: VarSet", { matchcriteria: "name(Hangup)" }]',
    '    allowmultiplelogin: no',
    '    writetimeout: 250',
  ].join('\n'), 'u.yaml');
  t.same(users[1], {
    name: 'mon', secret: '1234', read: 'call', write: '', permit: ['127.0.0.1/32'],
    eventfilter: ['!Event: VarSet', { matchcriteria: 'name(Hangup)', filter: '' }], allowmultiplelogin: false, writetimeout: 250,
  });
  t.same(managerConfLines(users[1]!), ['secret=1234', 'read=call', 'write=', 'permit=127.0.0.1/32', 'eventfilter=!Event: VarSet',
    'eventfilter(name(Hangup))=', 'allowmultiplelogin=no', 'writetimeout=250']);
  const err = t.throws(() => parseUsersFile('users:\n  a: { read: 3, bogus: 1, eventfilter: "(", writetimeout: 5 }\n', 'bad.yaml')) as ConfigInvalidError;
  t.type(err, ConfigInvalidError);
  t.same(err.problems.map((p) => p.key).sort(), ['users.a.bogus', 'users.a.eventfilter[0]', 'users.a.read', 'users.a.secret', 'users.a.writetimeout']);
  t.throws(() => parseUsersFile('nousers: 1\n', 'x.yaml'), ConfigInvalidError);
  t.throws(() => parseUsersFile('users: [\n', 'x.yaml'), ConfigInvalidError);
});
