// Dialplan expressions in action headers (users.<name>.expressions), stricter
// than Asterisk on purpose. Asterisk's own guards (asterisk-guards.ts, S13) are
// substring checks for SHELL/EVAL (Getvar, Status) and a few function names in
// Originate Data, so `${SH${X}ELL(id)}` (the name is built at evaluation time),
// `CallerID: ${SHELL(id)}` or `Variable: X=${SHELL(id)}` pass them, and Getvar,
// Setvar and Status call FILE(), DB(), CURL()... by name for a `call` user.
//
// For a user without `system` (who could run SHELL anyway) and without
// `expressions: allow`, the actions below are refused when any header value
// other than Action and ActionID holds `${` or `$[` (the only ways into
// pbx_substitute_variables()), or when a header that names variables or
// functions calls one of the functions manager.c itself reserves for `system`
// in originate_app_permissions[] (CURL, DB, EVAL, FILE, ODBC, REALTIME, SHELL,
// and the functions whose names start with them: DB_DELETE, FILE_COUNT_LINE,
// ODBC_<query>, REALTIME_STORE, EVAL_EXTEN...). How the list was derived:
// docs/security.md#expressions.

import type { AmiMessage } from '../protocol/message.js';
import { valueAt } from '../protocol/message.js';

const SYSTEM = 1 << 0;

/**
 * Actions whose header values reach the dialplan evaluator or a dialplan
 * function (main/manager.c, branch 22):
 *  - Originate: Application/Data run an application (Exec and friends evaluate
 *    their argument), Variable is set with pbx_builtin_setvar_helper() (a name
 *    ending in `)` is a function write), PreDialGoSub runs a subroutine, and
 *    Channel/Exten/Context/CallerID/Account become the new call's state that
 *    its dialplan reads.
 *  - Setvar: pbx_builtin_setvar_helper(Variable, Value): a function write.
 *  - Getvar: ast_func_read(Variable) when it ends in `)`.
 *  - Status: ast_func_read() for each Variables item ending in `)`.
 */
export const EVALUATING_ACTIONS: ReadonlySet<string> = new Set(['originate', 'setvar', 'getvar', 'status']);

/** Per action (lower-case), the headers (lower-case) that name variables or functions. */
const FUNCTION_HEADERS: Readonly<Record<string, ReadonlySet<string>>> = {
  originate: new Set(['variable']),
  setvar: new Set(['variable']),
  getvar: new Set(['variable']),
  status: new Set(['variables']),
};

/**
 * A call of one of originate_app_permissions[]'s appdata functions: the name
 * (any case, any suffix) right before `(`. Linear: no nested quantifiers.
 */
const SYSTEM_FUNCTION_CALL = /(?:^|[^A-Za-z0-9_])(?:CURL|DB|EVAL|FILE|ODBC|REALTIME|SHELL)[A-Za-z0-9_]*\s*\(/i;

/**
 * The header that makes this request evaluate an expression the user may not,
 * or undefined. `action` is the lower-case action name.
 */
export function expressionHeader(write: number, allowExpressions: boolean, action: string, msg: AmiMessage): string | undefined {
  if (allowExpressions || (write & SYSTEM) !== 0 || !EVALUATING_ACTIONS.has(action)) return undefined;
  const named = FUNCTION_HEADERS[action];
  for (const line of msg.lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const key = name.toLowerCase();
    if (key === 'action' || key === 'actionid') continue;
    const value = colon < 0 ? line : valueAt(line, colon);
    if (value.includes('${') || value.includes('$[')) return name;
    if (named?.has(key) && SYSTEM_FUNCTION_CALL.test(value)) return name;
  }
  return undefined;
}
