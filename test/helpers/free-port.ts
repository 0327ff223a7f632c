// A free TCP port on 127.0.0.1 for programs that cannot be told to pick one
// themselves (redis-server, haproxy): bound once, closed, then handed out.
// Another process could take it in between; the callers retry on that.

import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (or throws after `ms`). */
export async function waitForPort(port: number, ms: number, what = `port ${port}`): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what}: nothing listening after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
