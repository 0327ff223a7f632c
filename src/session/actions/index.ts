// The actions a session answers (or shapes) itself, by lower-case name: one
// file each, so `Action: X` is found in one guess. Everything else goes
// policy -> router. Asterisk matches action names case-insensitively.

import type { LocalAction } from '../context.js';
import { challenge } from './challenge.js';
import { events } from './events.js';
import { filter } from './filter.js';
import { listCommands } from './list-commands.js';
import { login } from './login.js';
import { logoff } from './logoff.js';
import { ping } from './ping.js';
import { waitEvent } from './wait-event.js';

export const LOCAL_ACTIONS: ReadonlyMap<string, LocalAction> = new Map(
  [login, challenge, logoff, ping, events, filter, waitEvent, listCommands].map((a) => [a.name.toLowerCase(), a]),
);
