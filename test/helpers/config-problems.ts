// problemsOf(yaml): what parseConfig() refuses in a config text, as the list
// of problems (file, line, key, message) of its ConfigInvalidError; fails the
// test when the text loads. UPSTREAM_YAML: the smallest valid upstreams section.

import { parseConfig } from '../../src/config/load.js';
import { ConfigInvalidError, type ConfigProblem } from '../../src/errors.js';

export const UPSTREAM_YAML = `upstreams:
  - { name: pbx1, host: 127.0.0.1, username: amigate, secret: s3cret }
`;

export async function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigProblem[]> {
  try {
    await parseConfig(yaml, 'amigate.yaml', env);
  } catch (err) {
    if (err instanceof ConfigInvalidError) return [...err.problems];
    throw err;
  }
  throw new Error('expected ConfigInvalidError');
}
