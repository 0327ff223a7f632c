// makeTestCerts(t): dev PKI files in the test's own t.testdir(). The PEMs are
// made once per process (RSA key generation is the slow part) and rewritten
// into each test's directory, so many tests share one CA.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { makeDevPki, writePki, type DevPki, type DevPkiPaths } from '../../src/tls/certs.js';

export interface TestCertPaths extends DevPkiPaths {
  clientOther: string; clientOtherKey: string;
  untrusted: string; untrustedKey: string;
}

export interface TestCerts {
  dir: string;
  paths: TestCertPaths;
  /** clientOther and untrusted are always present here. */
  pem: DevPki & Required<Pick<DevPki, 'clientOther' | 'untrusted'>>;
}

export const TEST_CLIENT_CN = 'test-client';
export const TEST_OTHER_CLIENT_CN = 'test-client-other';

let cached: Promise<TestCerts['pem']> | undefined;

export function testPki(): Promise<TestCerts['pem']> {
  cached ??= makeDevPki({ clientCn: TEST_CLIENT_CN, otherClientCn: TEST_OTHER_CLIENT_CN, untrustedClient: true })
    .then((p) => p as TestCerts['pem']);
  return cached;
}

export async function makeTestCerts(t: Test): Promise<TestCerts> {
  const pem = await testPki();
  const dir = t.testdir({});
  const base = await writePki(dir, pem, { force: true });
  const paths: TestCertPaths = {
    ...base,
    clientOther: join(dir, 'client-other.crt'), clientOtherKey: join(dir, 'client-other.key'),
    untrusted: join(dir, 'untrusted.crt'), untrustedKey: join(dir, 'untrusted.key'),
  };
  await writeFile(paths.clientOther, pem.clientOther.cert);
  await writeFile(paths.clientOtherKey, pem.clientOther.key, { mode: 0o600 });
  await writeFile(paths.untrusted, pem.untrusted.cert);
  await writeFile(paths.untrustedKey, pem.untrusted.key, { mode: 0o600 });
  return { dir, paths, pem };
}
