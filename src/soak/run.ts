// `npm run soak -- --minutes N [--seconds S] [--clients C] [--restart-every S] [--events-per-second E] [--seed N]`
// Prints the soak report; exits 1 when anything was misrouted or hung.

import { parseArgs } from 'node:util';
import { formatReport, runSoak } from './soak.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' }, seconds: { type: 'string' }, clients: { type: 'string', default: '200' },
    'restart-every': { type: 'string', default: '60' }, 'events-per-second': { type: 'string', default: '200' }, seed: { type: 'string', default: '1' },
  },
});
const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? '1') * 60;
const report = await runSoak({
  seconds, clients: Number(values.clients), restartEvery: Number(values['restart-every']),
  eventsPerSecond: Number(values['events-per-second']), seed: Number(values.seed),
  log: (l) => process.stdout.write(l + '\n'),
});
process.stdout.write(formatReport(report) + '\n');
process.exit(report.misrouted === 0 && report.hung === 0 ? 0 : 1);
