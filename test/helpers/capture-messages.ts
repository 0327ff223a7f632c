// The AMI packets of one direction of a wire capture, parsed (for policy and
// auth tests that need Asterisk's exact replies, e.g. ListCommands in 10).

import { AmiParser } from '../../src/protocol/parser.js';
import type { AmiMessage } from '../../src/protocol/message.js';
import { loadTranscript, stream } from './transcripts.js';

export function captureMessages(name: string, dir: 'c2s' | 's2c' = 's2c'): AmiMessage[] {
  const out: AmiMessage[] = [];
  const parser = new AmiParser({ onMessage: (m) => out.push(m) },
    dir === 's2c' ? { banner: true, maxLineBytes: 1 << 20, maxLines: 1e5, emitEmpty: false } : {});
  parser.write(Buffer.from(stream(loadTranscript(name), dir), 'latin1'));
  return out;
}
