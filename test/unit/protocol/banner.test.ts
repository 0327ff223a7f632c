// The AMI greeting (S1): relayed only when it has Asterisk's exact shape.

import t from 'tap';
import { BANNER_PREFIX, DEFAULT_AMI_VERSION, DEFAULT_BANNER, formatBanner, parseBanner } from '../../../src/protocol/banner.js';
import { loadTranscript } from '../../helpers/transcripts.js';

t.test('Asterisk 22 banner from capture 01', async (t) => {
  const first = loadTranscript('01-login-logoff.jsonl').find((r) => r.dir === 's2c')!.data;
  t.equal(first, 'Asterisk Call Manager/11.0.0\r\n');
  t.equal(parseBanner(first.slice(0, -2)), '11.0.0');
  t.equal(formatBanner(), first, 'default banner is byte-identical to Asterisk 22');
  t.equal(DEFAULT_BANNER + '\r\n', first);
  t.equal(DEFAULT_AMI_VERSION, '11.0.0');
  t.equal(BANNER_PREFIX, 'Asterisk Call Manager/');
});

t.test('parseBanner accepts dotted-numeric versions only', async (t) => {
  const ok: Array<[string, string]> = [
    ['Asterisk Call Manager/2.10.6', '2.10.6'],
    ['Asterisk Call Manager/13.0.0', '13.0.0'],
    ['Asterisk Call Manager/1.1', '1.1'],
    ['Asterisk Call Manager/9', '9'],
    ['Asterisk Call Manager/11.0.0 ', '11.0.0'],
  ];
  for (const [line, v] of ok) t.equal(parseBanner(line), v, line);
  const bad = [
    '', 'Asterisk Call Manager/', 'Asterisk Call Manager/x.y', 'Asterisk Call Manager/1..2', 'Asterisk Call Manager/1.0-rc1',
    'asterisk call manager/11.0.0', 'Asterisk Call Manager Proxy/1.0', 'Asterisk Manager Proxy/1.0', 'Response: Success', ' Asterisk Call Manager/11.0.0',
  ];
  for (const line of bad) t.equal(parseBanner(line), undefined, JSON.stringify(line));
});

t.test('formatBanner', async (t) => {
  t.equal(formatBanner('13.0.0'), 'Asterisk Call Manager/13.0.0\r\n');
  t.equal(parseBanner(formatBanner('2.10.6').trimEnd()), '2.10.6', 'round trip');
});
