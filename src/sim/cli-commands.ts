// The few Asterisk CLI commands the simulator answers through the Command
// action, with the captured output (05, 12a, 13). Output is CLI text with
// '\n' line ends; action_command() turns it into Output: headers.

import type { SimPbx } from './pbx.js';
import { VERSION_LINE } from './version.js';

export interface CliResult {
  /** RESULT_SUCCESS: the action answers `Response: Success`, otherwise `Error`. */
  ok: boolean;
  output: string;
}

type Handler = (pbx: SimPbx, args: string[]) => CliResult;

/** Known commands as word lists (the last entry of each is what follows the prefix). */
const COMMANDS: Array<[string[], Handler]> = [
  [['core', 'show', 'version'], () => ok(VERSION_LINE + '\n')],
  [['core', 'show', 'channels'], (pbx) => ok(showChannels(pbx))],
  [['core', 'show', 'calls'], (pbx) => ok(calls(pbx))],
  [['core', 'show', 'uptime'], (pbx, a) => ok(uptime(pbx, a[3] === 'seconds'))],
  // Reloads through ast_module_reload() publish the Reload event; these two do not (capture 13).
  [['core', 'reload'], (pbx) => { pbx.reload(undefined); return ok(''); }],
  [['manager', 'reload'], () => ok('')],
  [['dialplan', 'reload'], () => ok('Dialplan reloaded.\n')],
  [['module', 'reload'], (pbx, a) => {
    const mods = a.slice(2);
    if (mods.length === 0) { pbx.reload(undefined); return ok(''); }
    let out = '';
    for (const m of mods) out += pbx.reload(m) ? `Module '${m}' reloaded successfully.\n` : `No such module '${m}'\n`;
    return ok(out);
  }],
];

function ok(output: string): CliResult { return { ok: true, output }; }

/** ast_cli_command(): run `line`, or say there is no such command. */
export function runCli(pbx: SimPbx, line: string): CliResult {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  for (const [cmd, handler] of COMMANDS) {
    if (cmd.length <= words.length && cmd.every((w, i) => w === words[i]!.toLowerCase())) {
      // Only core show uptime and module reload take arguments.
      if (cmd.length === words.length || cmd[1] === 'reload' || cmd[2] === 'uptime') return handler(pbx, words);
    }
  }
  return { ok: false, output: `No such command '${line}' (type 'core show help ${findBest(words)}' for other possible commands)\n` };
}

/**
 * cli.c find_best(): words are kept while some command of exactly that many
 * words matches all but the last of them; a single-word command always exists,
 * so the first word is always kept ("no such cli command" -> "no such").
 */
function findBest(words: string[]): string {
  let n = 1;
  while (n < words.length) {
    const k = n + 1;
    const found = COMMANDS.some(([cmd]) => cmd.length === k && cmd.slice(0, k - 1).every((w, i) => w === words[i]));
    n = k;
    if (!found) break;
  }
  return words.slice(0, n).join(' ');
}

/** check_blacklist() in main/manager.c: these are refused before running (S13). */
const BLACKLIST = [['module', 'load'], ['module', 'unload'], ['restart', 'gracefully']];

export function isBlacklisted(line: string): boolean {
  const words = line.trim().toLowerCase().split(/\s+/);
  return BLACKLIST.some((b) => b.every((w, i) => words[i] === w));
}

function plural(n: number, word: string): string { return `${n} ${word}${n === 1 ? '' : 's'}`; }

function pad(s: string, n: number): string { return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length); }

/** handle_chanlist(): "%-64.64s %-32.32s %-7.7s %-30.30s\n". */
function showChannels(pbx: SimPbx): string {
  const row = (a: string, b: string, c: string, d: string): string => `${pad(a, 64)} ${pad(b, 32)} ${pad(c, 7)} ${pad(d, 30)}\n`;
  let out = row('Channel', 'Location', 'State', 'Application(Data)');
  const chans = pbx.channels.list();
  const desc: Record<number, string> = { 0: 'Down', 4: 'Ring', 5: 'Ringing', 6: 'Up' };
  for (const ch of chans) {
    out += row(ch.name, `${ch.exten}@${ch.context}:${ch.priority}`, desc[ch.state] ?? 'Unknown', ch.appl ? `${ch.appl}(${ch.data})` : '(None)');
  }
  return out + calls(pbx, chans.length);
}

function calls(pbx: SimPbx, channels?: number): string {
  const active = pbx.channels.list().filter((c) => c.name.endsWith(';1')).length;
  return (channels === undefined ? '' : plural(channels, 'active channel') + '\n') +
    plural(active, 'active call') + '\n' + plural(pbx.channels.processed, 'call') + ' processed\n';
}

/** print_uptimestr(): "1 minute, 10 seconds". */
function uptime(pbx: SimPbx, seconds: boolean): string {
  const now = Date.now();
  const up = Math.floor((now - pbx.startTime) / 1000);
  const rl = Math.floor((now - pbx.lastReload) / 1000);
  if (seconds) return `System uptime: ${up}\nLast reload: ${rl}\n`;
  return `System uptime: ${duration(up)}\nLast reload: ${duration(rl)}\n`;
}

function duration(total: number): string {
  const units: Array<[number, string]> = [[31536000, 'year'], [604800, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute']];
  const parts: string[] = [];
  let x = total;
  for (const [size, name] of units) {
    const n = Math.floor(x / size);
    x -= n * size;
    if (n > 0) parts.push(plural(n, name));
  }
  if (x > 0 || parts.length === 0) parts.push(plural(x, 'second'));
  return parts.join(', ');
}
