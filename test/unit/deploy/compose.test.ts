// docker-compose.yml cannot be started here (no Docker engine), so this test
// checks that its parts agree with each other: the Dockerfile builds with npm ci
// and runs the config and certificate paths compose mounts, the amigate config loads and
// points at the Asterisk service with the account manager.conf defines, the
// published ports are the config's listener and admin ports, Prometheus
// scrapes the admin port, every mounted file exists, and every metric the
// Grafana dashboard queries exists in amigate's registry. The `ha` profile
// (two amigates, HAProxy, Redis) agrees too, and haproxy -c accepts its config.

import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { HAPROXY } from '../../helpers/haproxy.js';
import { parseAsteriskConf, findCategory } from '../../../src/config/manager-conf/conf-parser.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { DEV_PKI_FILES } from '../../../src/tls/certs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p: string) => readFile(join(root, p), 'utf8');

interface Service { image?: string; build?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[]; expose?: string[]; depends_on?: string[] }

/** `${NAME:-default}` as compose resolves it with NAME unset. */
const composeDefault = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

t.test('docker-compose.yml, its configs and the dashboard agree', async (t) => {
  const compose = parse(await read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const s = compose.services;
  t.same(Object.keys(s).sort(), ['amigate', 'amigate-a', 'amigate-b', 'asterisk', 'grafana', 'haproxy', 'prometheus', 'redis']);
  t.match(s['asterisk']!.image, /asterisk/, 'a public Asterisk image');
  t.equal(s['amigate']!.build, '.', 'amigate is built from this repo');
  t.ok(existsSync(join(root, 'Dockerfile')), 'with its Dockerfile');
  t.notOk((s['asterisk']!.ports ?? []).length, "Asterisk's AMI is not published on the host");

  // Every bind-mounted host path exists; named volumes are declared.
  for (const [name, svc] of Object.entries(s)) {
    for (const v of svc.volumes ?? []) {
      const [src] = v.split(':');
      if (src!.startsWith('./')) t.ok(existsSync(join(root, src!)), `${name}: ${src} exists`);
      else t.ok(compose.volumes && src! in compose.volumes, `${name}: volume ${src} is declared`);
    }
  }

  // The amigate config the container runs.
  const env = Object.fromEntries(Object.entries(s['amigate']!.environment ?? {}).map(([k, v]) => [k, composeDefault(v)]));
  const mount = s['amigate']!.volumes!.find((v) => v.endsWith(':/etc/amigate/amigate.yaml:ro') || v.includes(':/etc/amigate/amigate.yaml'))!;
  t.ok(mount, 'the config is mounted where AMIGATE_CONFIG points');
  t.equal(env['AMIGATE_CONFIG'], '/etc/amigate/amigate.yaml');
  const cfgPath = mount.split(':')[0]!;
  const { config } = await parseConfig(await read(cfgPath), join(root, cfgPath), env);

  // Published ports = the TLS listener and the admin port, on host loopback only.
  const published = (s['amigate']!.ports ?? []).map((p) => { const [host, hp, cp] = p.split(':'); return { host, hp: Number(hp), cp: Number(cp) }; });
  const tls = config.listeners.find((l) => l.tls)!;
  t.ok(published.some((p) => p.cp === tls.port), `TLS listener ${tls.port} is published`);
  t.ok(published.some((p) => p.cp === config.admin!.port), `admin ${config.admin!.port} is published`);
  t.ok(published.every((p) => p.host === '127.0.0.1'), 'published on host loopback only');
  t.ok(config.listeners.filter((l) => !l.tls).every((l) => l.bindaddr.startsWith('127.')), 'plaintext only on loopback');
  t.equal(tls.tls!.certfile, '/certs/server.crt', 'certificates come from the certs volume');

  // The Dockerfile agrees with the config it runs: it builds with `npm ci` and
  // the build script, runs the built entry point with the config path compose
  // mounts, makes the certificates the TLS listener reads into the volume they
  // are read from, and exposes the TLS listener and admin ports.
  const docker = await read('Dockerfile');
  const runs = [...docker.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]!);
  t.ok(runs.some((r) => /^npm ci\b/.test(r)), 'the build stage runs npm ci (the lockfile, not a fresh resolve)');
  const pkg = JSON.parse(await read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };
  t.ok(runs.some((r) => /\bnpm run build\b/.test(r)) && pkg.scripts['build'], 'and builds with the package build script');
  const entry = pkg.bin['amigate']!;
  for (const m of docker.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1]!.split(/\s+/)) t.ok(existsSync(join(root, src)), `COPY ${src} exists`);
  }
  t.match(docker, new RegExp(`COPY --from=build /app/${entry.split('/')[0]} `), 'the runtime stage gets the built output');
  const cmd = JSON.parse(docker.match(/^CMD (\[.*\])$/m)![1]!) as string[];
  const line = cmd.join(' ');
  t.match(line, `node --max-semi-space-size=64 ${entry} --config \${AMIGATE_CONFIG:-${env['AMIGATE_CONFIG']}}`, 'CMD runs the package entry point with the documented node flags (docs/operations.md) and the config compose mounts');
  const certsDir = tls.tls!.certfile.replace(/\/[^/]+$/, '');
  t.match(line, `node ${entry} certs --out ${certsDir}`, `CMD makes dev certificates into ${certsDir}`);
  t.match(line, `[ -f ${tls.tls!.certfile} ]`, 'only when the configured certificate is missing');
  for (const f of [tls.tls!.certfile, tls.tls!.privatekey, tls.tls!.cafile!]) {
    t.equal(dirname(f), certsDir, `${f} is in the certificates volume`);
    t.ok((DEV_PKI_FILES as readonly string[]).includes(f.slice(certsDir.length + 1)), `${f} is a file amigate certs writes`);
  }
  t.ok((s['amigate']!.volumes ?? []).some((v) => v.split(':')[1] === certsDir), `compose mounts a volume on ${certsDir}`);
  t.match(docker, new RegExp(`mkdir -p ${certsDir} && chown node:node ${certsDir}`), 'writable by the unprivileged user');
  const exposed = (docker.match(/^EXPOSE (.+)$/m)?.[1] ?? '').split(/\s+/).map(Number);
  t.ok(exposed.includes(tls.port), `EXPOSE the TLS listener ${tls.port}`);
  t.ok(exposed.includes(config.admin!.port), `EXPOSE the admin port ${config.admin!.port}`);
  t.match(docker, `http://127.0.0.1:${config.admin!.port}/healthz`, 'the HEALTHCHECK asks the admin port');
  t.equal(config.admin!.bindaddr === '0.0.0.0' || config.admin!.bindaddr.startsWith('127.'), true, 'the admin port is reachable by the HEALTHCHECK inside the container');

  // Upstream = the asterisk service, with the account manager.conf defines.
  const up = config.upstreams[0]!;
  t.equal(up.host, 'asterisk');
  const mgrMount = s['asterisk']!.volumes!.find((v) => v.includes('/etc/asterisk/manager.conf'))!;
  const mgr = parseAsteriskConf(await read(mgrMount.split(':')[0]!));
  const general = findCategory(mgr.categories, 'general', false)!;
  const v = (cat: typeof general, name: string) => cat.variables.filter((x) => x.name === name).map((x) => x.value);
  t.equal(Number(v(general, 'port')[0]), up.port, 'upstream port = manager.conf port');
  t.ok((s['asterisk']!.expose ?? []).includes(String(up.port)), 'and the Asterisk service exposes it');
  const account = findCategory(mgr.categories, up.username, false);
  t.ok(account, `manager.conf has [${up.username}]`);
  t.equal(v(account!, 'secret')[0], up.secret, 'its secret = the compose default of AMI_UPSTREAM_SECRET');
  t.equal(v(account!, 'read')[0], 'all');
  t.equal(v(account!, 'write')[0], 'all');

  // Prometheus scrapes amigate's admin port.
  const prom = parse(await read(s['prometheus']!.volumes![0]!.split(':')[0]!)) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
  const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((x) => x.targets));
  t.ok(targets.includes(`amigate:${config.admin!.port}`), `Prometheus scrapes amigate:${config.admin!.port}`);

  // Every metric the dashboard queries exists.
  const dash = JSON.parse(await read('config/compose/grafana/dashboards/amigate.json')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  const exposition = await new Metrics({ listeners: ['tls'], upstreams: ['asterisk'] }).text();
  const known = new Set([...exposition.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  const used = new Set(dash.panels.flatMap((p) => p.targets.flatMap((x) => [...x.expr.matchAll(/amigate_[a-z_]+/g)].map((m) => m[0]))));
  t.ok(used.size >= 8, `the dashboard uses ${used.size} metrics`);
  for (const name of used) t.ok(known.has(name.replace(/_(bucket|count|sum)$/, '')), `${name} exists`);
  const titles = dash.panels.map((p) => p.title.toLowerCase()).join(' | ');
  for (const topic of ['connections', 'logins', 'actions', 'latency', 'events', 'dropped', 'upstream']) t.match(titles, topic, `a panel on ${topic}`);
});

// --- profile ha (docs/scale-out.md): two amigates behind HAProxy, Redis beside ---

interface HaService extends Omit<Service, 'depends_on'> {
  profiles?: string[];
  command?: string[];
  stop_grace_period?: string;
  depends_on?: string[] | Record<string, { condition: string }>;
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
}

/** Keys of `schema`'s object (the config keys this build knows). */
const seconds = (v: string) => Number(/^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v)![1]) / (v.endsWith('ms') ? 1000 : 1);

t.test('the ha profile: two amigates, HAProxy with PROXY v2 and /readyz checks, Redis; all consistent', async (t) => {
  const compose = parse(await read('docker-compose.yml')) as { services: Record<string, HaService>; networks?: Record<string, { ipam: { config: Array<{ subnet: string }> } }> };
  const s = compose.services;
  const ha = ['amigate-a', 'amigate-b', 'haproxy', 'redis'];
  for (const name of ha) t.same(s[name]?.profiles, ['ha'], `${name} is in the ha profile`);
  for (const name of ['amigate', 'asterisk', 'grafana', 'prometheus']) t.notOk(s[name]!.profiles, `${name} starts without a profile`);
  t.equal(s['redis']!.image, 'redis:7-alpine');
  t.equal(s['haproxy']!.image, 'haproxy:2.8');
  t.equal(s['amigate-a']!.build, '.');
  t.equal(s['amigate-b']!.build, '.');

  // Nothing published beyond host loopback, and only HAProxy of the ha services publishes.
  for (const [name, svc] of Object.entries(s)) {
    for (const p of svc.ports ?? []) t.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${p} is on host loopback`);
  }
  for (const name of ['amigate-a', 'amigate-b', 'redis']) t.notOk(s[name]!.ports, `${name} publishes no port`);
  const hostPorts = Object.values(s).flatMap((svc) => (svc.ports ?? []).map((p) => p.split(':')[1]));
  t.equal(new Set(hostPorts).size, hostPorts.length, 'no host port is published twice (both profiles can run together)');

  // HAProxy's address on the ha network, inside its subnet.
  const subnet = compose.networks!['ha']!.ipam.config[0]!.subnet;
  const haproxyNet = (s['haproxy']!.networks as Record<string, { ipv4_address?: string }>)['ha']!;
  const haproxyAddr = haproxyNet.ipv4_address!;
  t.ok(haproxyAddr.startsWith(subnet.split('.').slice(0, 3).join('.') + '.') && subnet.endsWith('/24'), `${haproxyAddr} is in ${subnet}`);
  t.same(s['redis']!.networks, ['ha'], 'Redis is only on the ha network');

  // haproxy.cfg: haproxy -c accepts it (server names that do not resolve here are allowed by init-addr).
  const cfgMount = s['haproxy']!.volumes!.find((v) => v.includes('/usr/local/etc/haproxy/haproxy.cfg'))!;
  const cfgPath = cfgMount.split(':')[0]!;
  const check = spawnSync(HAPROXY, ['-c', '-f', join(root, cfgPath)], { encoding: 'utf8' });
  t.equal(check.status, 0, `haproxy -c ${cfgPath}: ${check.stderr}${check.stdout}`);
  const cfg = await read(cfgPath);
  const backend = /^backend amigate\n((?:[ \t]+.*\n|\n)+)/m.exec(cfg)![1]!;
  t.match(backend, /^\s+option httpchk GET \/readyz$/m, 'checks ask /readyz');
  t.match(backend, /^\s+http-check expect status 200$/m);
  const defaults = /^\s+default-server (.+)$/m.exec(backend)![1]!.split(/\s+/);
  t.ok(defaults.includes('send-proxy-v2'), 'traffic to amigate starts with a PROXY v2 header');
  t.notOk(defaults.includes('check-send-proxy'), 'the checks do not (the admin port does not read one)');
  t.match(defaults.join(' '), /init-addr last,libc,none/);
  const opt = (k: string) => defaults[defaults.indexOf(k) + 1]!;
  const inter = seconds(opt('inter')), fall = Number(opt('fall'));
  const servers = [...backend.matchAll(/^\s+server (\S+) (\S+):(\d+)/gm)].map((m) => ({ name: m[1]!, host: m[2]!, port: Number(m[3]) }));
  t.same(servers.map((x) => x.host), ['amigate-a', 'amigate-b'], 'HAProxy balances to both instances');
  t.match(cfg, /^\s+mode tcp$/m, 'TCP mode');
  const bind = Number(/^frontend ami_tls\n\s+bind :(\d+)$/m.exec(cfg)![1]);
  const stats = Number(/^listen stats\n(?:\s+.*\n)*?\s+bind :(\d+)$/m.exec(cfg)![1]);
  const published = (s['haproxy']!.ports ?? []).map((p) => Number(p.split(':')[2]));
  t.same(published.sort(), [bind, stats].sort(), 'HAProxy publishes its AMI frontend and stats page');

  // Each instance's config: loads whole, and agrees with HAProxy and Redis.
  const redisPassword = s['redis']!.command![s['redis']!.command!.indexOf('--requirepass') + 1]!;
  const instances: string[] = [];
  for (const [i, name] of ['amigate-a', 'amigate-b'].entries()) {
    const svc = s[name]!;
    const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, composeDefault(v)]));
    const mount = svc.volumes!.find((v) => v.includes(':/etc/amigate/amigate.yaml'))!;
    const path = mount.split(':')[0]!;
    const doc = parse(await read(path)) as Record<string, unknown> & { listeners: Array<Record<string, unknown>>; cluster: Record<string, unknown>; general: Record<string, number> };
    const tlsListener = doc.listeners.find((l) => l['tls'])!;
    const tlsName = String(tlsListener['name']);
    t.equal(tlsListener['proxyprotocol'], 'v2', `${name}: the listener expects PROXY v2`);
    t.same(tlsListener['trustedproxies'], [haproxyAddr], `${name}: from HAProxy's address only`);
    t.equal(tlsListener['port'], servers[i]!.port, `${name}: HAProxy sends to its listener port`);
    t.match(String(doc.cluster['redis']), /^redis:\/\/redis:6379\//, `${name}: Redis is the compose service`);
    t.same(doc.cluster['password'], { env: 'AMIGATE_REDIS_PASSWORD' });
    t.equal(env['AMIGATE_REDIS_PASSWORD'], composeDefault(redisPassword), `${name}: the password Redis requires`);
    instances.push(String(doc.cluster['instance']));
    const { config } = await parseConfig(await read(path), join(root, path), env);
    t.equal(config.cluster?.instance, instances[i], `${name}: the cluster section loads`);
    const loaded = config.listeners.find((l) => l.name === tlsName)!;
    t.equal(loaded.proxyprotocol, "v2", `${name}: proxyprotocol loads`);
    t.equal(config.upstreams[0]!.host, 'asterisk');
    t.equal(config.admin!.bindaddr, '0.0.0.0', `${name}: HAProxy reaches the admin port`);
    t.equal(Number(opt('port')), config.admin!.port, `${name}: HAProxy checks its admin port`);
    // The drain (docs/scale-out.md): not ready for longer than HAProxy takes to notice; Docker waits for all of it.
    t.ok(config.general.drainreadydelay >= inter * fall, `${name}: drainreadydelay ${config.general.drainreadydelay} s >= inter ${inter} s x fall ${fall}`);
    t.ok(seconds(svc.stop_grace_period!) > config.general.drainreadydelay + config.general.draintimeout / 1000,
      `${name}: stop_grace_period ${svc.stop_grace_period} > drainreadydelay + draintimeout`);
    t.ok(svc.volumes!.includes('amigate-ha-certs:/certs'), `${name}: the shared certificate volume`);
  }
  t.equal(new Set(instances).size, 2, 'each instance has its own cluster.instance name');
  const bDeps = s['amigate-b']!.depends_on as Record<string, { condition: string }>;
  t.equal(bDeps['amigate-a']?.condition, 'service_healthy', 'b starts once a has made the shared certificates (no race on first start)');
});
