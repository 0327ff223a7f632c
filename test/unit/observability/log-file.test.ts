// LogFile (log.file): lines reach the file in order and in batches; a
// destination that stops taking writes (a FIFO nobody reads) never grows the
// buffer past its bound, the lines beyond it are dropped, counted and reported
// once writing works again; a full one (/dev/full) counts and keeps going;
// reopen() (SIGHUP, logrotate) and stop() (SIGTERM) lose nothing.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { LogFile } from '../../../src/observability/log-file.js';

const line = (i: number, pad = 0) => `{"n":${i}${pad > 0 ? `,"pad":"${'x'.repeat(pad)}"` : ''}}\n`;
const numbers = (text: string) => text.split('\n').filter((l) => l.startsWith('{"n"')).map((l) => (JSON.parse(l) as { n: number }).n);
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

t.test('lines arrive complete and in order, many per write', async (t) => {
  const path = join(t.testdir({}), 'sub', 'a.log');
  const f = new LogFile(path);
  for (let i = 0; i < 5000; i++) f.write(line(i));
  await f.drained();
  for (let i = 5000; i < 5010; i++) f.write(line(i));
  await f.stop();
  f.write(line(99999)); // after stop: ignored, not thrown
  t.same(numbers(readFileSync(path, 'latin1')), Array.from({ length: 5010 }, (_, i) => i));
  t.equal(f.written, 5010);
  t.ok(f.batches <= 10, `5,010 lines in ${f.batches} writes`);
  t.equal(f.dropped, 0);
});

t.test('a destination that stops taking writes: bounded buffer, dropped lines counted and reported', async (t) => {
  const dir = t.testdir({});
  const fifo = join(dir, 'slow.fifo');
  execFileSync('mkfifo', [fifo]);
  // A reader that exists (so the open succeeds) but does not read yet: the pipe fills, then write(2) blocks.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const reports: Array<[number, string]> = [];
  const max = 64 << 10;
  const f = new LogFile(fifo, { maxBufferBytes: max, batchBytes: 4096, onDropped: (n, why) => reports.push([n, why]) });
  let peak = 0;
  const total = 2000;
  for (let i = 0; i < total; i++) {
    f.write(line(i, 200)); // 2000 x ~215 bytes: far more than the pipe (64 KiB) and the buffer together
    peak = Math.max(peak, f.bufferedBytes);
    if (i % 100 === 0) await delay(1); // let the blocked write be attempted
  }
  t.ok(peak <= max, `buffer peaked at ${peak} bytes, bound ${max}`);
  t.ok(f.dropped > 0, `${f.dropped} lines dropped while the reader was stalled`);
  // The reader catches up: everything not dropped arrives, then one report.
  let text = '';
  const buf = Buffer.alloc(1 << 16);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (f.bufferedBytes > 0 || reports.length === 0)) {
    try {
      const n = readSync(reader, buf, 0, buf.length, null);
      if (n > 0) { text += buf.toString('latin1', 0, n); continue; }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
    await delay(5);
    if (reports.length === 0 && f.bufferedBytes === 0) f.write(line(-1)); // a write after recovery triggers the report
  }
  // Keep reading while the last batch drains: a write in flight may be blocked
  // on the full pipe, and only this reader can unblock it.
  let drained = false;
  const done = f.drained().then(() => { drained = true; });
  const readAvailable = () => {
    for (let n = 1; n > 0;) {
      try { n = readSync(reader, buf, 0, buf.length, null); text += buf.toString('latin1', 0, n); } catch { n = 0; }
    }
  };
  for (let i = 0; i < 4000 && !drained; i++) { readAvailable(); await delay(5); }
  await done;
  readAvailable();
  closeSync(reader);
  await f.stop();
  const got = numbers(text).filter((n) => n >= 0);
  t.equal(got.length + f.dropped, total, `${got.length} written + ${f.dropped} dropped = ${total}`);
  t.same(got, [...got].sort((a, b) => a - b), 'in order');
  // Usually one report; on a loaded machine a batch may get through between two episodes of drops.
  t.equal(reports.reduce((n, [k]) => n + k, 0), f.dropped, 'the reports add up to every dropped line');
  t.ok(reports.length >= 1 && reports.every(([, why]) => why === 'buffer-full'), 'with the reason');
});

t.test('a full destination: every failed batch is counted, nothing thrown, the process goes on', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async (t) => {
  const errors: string[] = [];
  const f = new LogFile('/dev/full', { onError: (e) => errors.push(e.code ?? '?') });
  for (let i = 0; i < 100; i++) f.write(line(i));
  await f.drained();
  for (let i = 0; i < 50; i++) f.write(line(i));
  await f.stop();
  t.equal(f.dropped, 150);
  t.equal(f.written, 0);
  t.same(errors, ['ENOSPC'], 'told once per episode');
});

t.test('reopen() (logrotate) and stop() lose no line', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'amigate.log');
  const f = new LogFile(path);
  for (let i = 0; i < 1000; i++) f.write(line(i));
  renameSync(path, join(dir, 'amigate.log.1')); // logrotate moves the file, then SIGHUP
  f.reopen();
  for (let i = 1000; i < 2000; i++) f.write(line(i));
  await f.stop();
  const all = [...numbers(readFileSync(join(dir, 'amigate.log.1'), 'latin1')), ...numbers(readFileSync(path, 'latin1'))];
  t.same(all, Array.from({ length: 2000 }, (_, i) => i), 'every line once, in order, across both files');
  t.ok(numbers(readFileSync(path, 'latin1')).includes(1999), 'new lines go to the new file');
});
