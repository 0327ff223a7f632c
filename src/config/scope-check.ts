// Semantic checks of users.<name>.scope (docs/tenants.md), run by users.ts after
// the schema: patterns must be plain names with `*`/`?`, and settings that
// cannot do what they seem to are warned about.

import type { ScopeConfig } from './schema.js';
import { actionScopeRule } from '../scope/action-table.js';

type Path = ReadonlyArray<string | number>;

export interface ScopeCheckSink {
  problem(path: Path, message: string): void;
  warn(path: Path, message: string): void;
}

const LISTS = ['channels', 'contexts', 'accountcodes', 'queues', 'devices'] as const;

/** Check one user's scope (already schema-valid, defaults applied); returns it typed. */
export function checkScope(raw: Record<string, unknown>, at: Path, sink: ScopeCheckSink): ScopeConfig {
  const scope = raw as unknown as ScopeConfig;
  for (const key of LISTS) {
    scope[key].forEach((p, i) => {
      if (p === '' || /[\s,]/.test(p)) sink.problem([...at, key, i], `${JSON.stringify(p)} is not a pattern (a name with * and ?, no blanks or commas)`);
      else if (/^\*+$/.test(p)) sink.warn([...at, key, i], `${JSON.stringify(p)} matches everything: this user is not scoped by ${key}`);
    });
  }
  if (scope.channels.length + scope.contexts.length + scope.accountcodes.length === 0) {
    sink.warn(at, 'no channels, contexts or accountcodes: this user owns no calls and sees no channel events');
  }
  scope.unscopedactions.forEach((a, i) => {
    if (!/^[^\s:]+$/.test(a)) sink.problem([...at, 'unscopedactions', i], `${JSON.stringify(a)} is not an action name`);
    else if (actionScopeRule(a).kind !== 'unscopeable') sink.warn([...at, 'unscopedactions', i], `${a} is scoped already (docs/tenants.md); listing it changes nothing`);
  });
  return scope;
}
