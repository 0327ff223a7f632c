// Action: Filter (S20). main/manager.c manager_add_filter() for this session
// only: forwarding it would filter the shared upstream. Operation: Add with a
// Filter (or MatchCriteria + Filter); the answers are Asterisk's, word for word.

import type { FilterSpec } from '../services.js';
import type { LocalAction } from '../context.js';

const FORMAT = 'Filter was formatted incorrectly.  Check the syntax of the filter given.';
const COMPILE = 'Filter did not compile.  Check the syntax of the filter given.';

export const filter: LocalAction = {
  name: 'Filter',
  beforeLogin: false,
  checked: true,
  run(ctx, msg, action, started) {
    const op = msg.get('Operation');
    let result: 'success' | 'error' = 'error';
    if (op === undefined || op.toLowerCase() !== 'add') {
      ctx.reply(msg, 'Error', 'Unknown operation');
    } else {
      const criteria = msg.get('MatchCriteria');
      const text = msg.get('Filter');
      const spec: FilterSpec | undefined = criteria !== undefined && criteria.length > 0 ? { matchcriteria: criteria, filter: text ?? '' } : text;
      if (spec === undefined) {
        ctx.reply(msg, 'Error', FORMAT);
      } else {
        try {
          ctx.services.checkFilter(spec);
          ctx.addFilter(spec);
          ctx.reply(msg, 'Success', 'Success');
          result = 'success';
        } catch (err) {
          ctx.reply(msg, 'Error', (err as { kind?: string }).kind === 'compile' ? COMPILE : FORMAT);
        }
      }
    }
    ctx.observe(msg, action, result, started);
  },
};
