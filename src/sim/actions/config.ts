// GetConfig and GetConfigJSON over the simulator's three config files:
// manager.conf (built from its users, as in capture 10), extensions.conf
// ([test], the captured dialplan) and http.conf (main/manager.c
// action_getconfig(), action_getconfigjson()).

import { TEST_CONTEXT_LINES } from '../dialplan.js';
import type { SimPbx } from '../pbx.js';
import { error, startAck, type ActionContext } from '../reply.js';
import { managerConfLines } from '../users.js';

type ConfigFile = Array<[string, string[]]>;

function configFile(pbx: SimPbx, filename: string): ConfigFile | undefined {
  switch (filename) {
    case 'manager.conf':
      return [
        ['general', ['enabled=yes', 'webenabled=yes', `port=${pbx.port}`, 'bindaddr=127.0.0.1', 'displayconnects=yes',
          'timestampevents=no', 'allowmultiplelogin=yes']],
        ...pbx.userList.map((u): [string, string[]] => [u.name, managerConfLines(u)]),
      ];
    case 'extensions.conf':
      return [['test', [...TEST_CONTEXT_LINES]]];
    case 'http.conf':
      return [['general', ['enabled=yes', 'bindaddr=127.0.0.1', 'bindport=18088']]];
    default:
      return undefined;
  }
}

function lookup(ctx: ActionContext): ConfigFile | undefined {
  const filename = ctx.msg.get('Filename') ?? '';
  if (filename === '') {
    error(ctx, 'Filename not specified');
    return undefined;
  }
  const file = configFile(ctx.pbx, filename);
  if (file === undefined) error(ctx, 'Config file not found');
  return file;
}

const n6 = (n: number): string => String(n).padStart(6, '0');

export function getConfig(ctx: ActionContext): void {
  const file = lookup(ctx);
  if (file === undefined) return;
  const category = ctx.msg.get('Category') ?? '';
  startAck(ctx);
  let cat = 0;
  for (const [name, lines] of file) {
    if (category !== '' && category !== name) continue;
    ctx.out += `Category-${n6(cat)}: ${name}\r\n`;
    lines.forEach((l, i) => { ctx.out += `Line-${n6(cat)}-${n6(i)}: ${l}\r\n`; });
    cat++;
  }
  if (category !== '' && cat === 0) ctx.out += 'No categories found\r\n';
  ctx.out += '\r\n';
}

function jsonString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

export function getConfigJson(ctx: ActionContext): void {
  const file = lookup(ctx);
  if (file === undefined) return;
  startAck(ctx);
  const cats = file.map(([name, lines]) => jsonString(name) + ':{' + lines.map((l) => {
    const eq = l.indexOf('=');
    return jsonString(l.slice(0, eq)) + ':' + jsonString(l.slice(eq + 1));
  }).join(',') + '}');
  ctx.out += `JSON: {${cats.join(',')}}\r\n\r\n`;
}
