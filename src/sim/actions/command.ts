// The Command action (main/manager.c action_command(), S24): each CLI output
// line becomes an `Output:` header (final newline trimmed); with the
// legacyCommand option it answers like Asterisk <= 13 instead:
// `Response: Follows`, `Privilege: Command`, raw text, `--END COMMAND--`.

import { isBlacklisted, runCli } from '../cli-commands.js';
import { error, type ActionContext } from '../reply.js';

export function command(ctx: ActionContext): void {
  const cmd = ctx.msg.get('Command') ?? '';
  if (cmd.length === 0) return error(ctx, 'No command provided');
  if (isBlacklisted(cmd)) return error(ctx, 'Command blacklisted');
  const r = runCli(ctx.pbx, cmd);
  if (ctx.pbx.settings.legacyCommand) {
    ctx.out += `Response: Follows\r\nPrivilege: Command\r\n${ctx.idLine}${r.output}--END COMMAND--\r\n\r\n`;
    return;
  }
  ctx.out += `Response: ${r.ok ? 'Success' : 'Error'}\r\n${ctx.idLine}Message: Command output follows\r\n`;
  const text = r.output.endsWith('\n') ? r.output.slice(0, -1) : r.output;
  for (const line of text.split('\n')) ctx.out += `Output: ${line}\r\n`;
  ctx.out += '\r\n';
}
