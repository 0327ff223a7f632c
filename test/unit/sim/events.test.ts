import t from 'tap';
import { channelState, eventTv, makeEvent, securityAddress, timestamp } from '../../../src/sim/events.js';
import { SimChannel } from '../../../src/sim/channels.js';

t.test('event header block', async (t) => {
  t.equal(makeEvent('Reload', 1, 'Module: All\r\nStatus: 0\r\n', 'amiref').text,
    'Event: Reload\r\nPrivilege: system,all\r\nSystemName: amiref\r\nModule: All\r\nStatus: 0\r\n\r\n');
  t.equal(makeEvent('X', 2 | (1 << 11), '', undefined).text, 'Event: X\r\nPrivilege: call,dialplan,all\r\n\r\n', 'no SystemName without a systemname');
});

t.test('channel snapshot block', async (t) => {
  const ch = new SimChannel('Local/100@test-00000001;1', 'amiref-1.2', 'amiref-1.2', 'test', '100', 'Local/100@test');
  ch.cidNum = '5551234';
  t.equal(channelState(ch, 'Dest'),
    'DestChannel: Local/100@test-00000001;1\r\nDestChannelState: 0\r\nDestChannelStateDesc: Down\r\nDestCallerIDNum: 5551234\r\n' +
    'DestCallerIDName: <unknown>\r\nDestConnectedLineNum: <unknown>\r\nDestConnectedLineName: <unknown>\r\nDestLanguage: en\r\n' +
    'DestAccountCode: \r\nDestContext: test\r\nDestExten: 100\r\nDestPriority: 1\r\nDestUniqueid: amiref-1.2\r\nDestLinkedid: amiref-1.2\r\n');
});

t.test('formats of volatile values', async (t) => {
  t.match(timestamp(), /^\d{10}\.\d{6}$/);
  t.equal(eventTv(Date.UTC(2026, 10, 22, 5, 55, 38, 291)), '2026-11-22T05:55:38.291+0000');
  t.equal(securityAddress('::ffff:127.0.0.1', 15038), 'IPV4/TCP/127.0.0.1/15038');
  t.equal(securityAddress('::1', 5038), 'IPV6/TCP/::1/5038');
});
