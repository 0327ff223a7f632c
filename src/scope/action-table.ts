// How a scoped user's action is checked, per action. Derived from the
// <syntax> parameters of each action's <manager> documentation in Asterisk's
// sources (main/manager.c, main/manager_bridges.c, apps/app_queue.c,
// apps/app_mixmonitor.c, res/res_parking/parking_manager.c, res/res_agi.c,
// main/features.c, ...), for every action of the Asterisk 22 build captured in
// ListCommands (src/sim/actions/list-commands-data.ts, 97 actions) plus Park,
// ParkedCalls and Parkinglots (res_parking, not in that build).
// test/unit/scope/action-table.test.ts keeps the table covering every captured
// action. docs/tenants.md lists the rules and how the table was made.
//
// kinds:
//   session     answered by amigate or only about the client's own session
//   global      reveals nothing about any tenant (build settings)
//   channel     `channels` name channels; each one present must be an owned, live channel;
//               `required`: without it the action works on globals or on every channel, so it is refused
//   queue       `queue` names one queue, which must be in scope (required: absent = every queue)
//   context     `contexts` name dialplan contexts that must be in scope
//   list        output is a list whose items are filtered (list-filter.ts); may also have channel/queue/context headers
//   originate   Originate's own rules (action-scope.ts)
//   unscopeable output or effect crosses tenants: refused unless scope.unscopedactions names it
// Any action not in the table is unscopeable (fail closed).

export type ActionScopeKind = 'session' | 'global' | 'channel' | 'queue' | 'context' | 'list' | 'originate' | 'unscopeable';

export interface ActionScopeRule {
  readonly kind: ActionScopeKind;
  /** Headers holding channel names (or unique ids, which Asterisk also accepts). */
  readonly channels?: readonly string[];
  /** The first `channels` header must be present. */
  readonly required?: boolean;
  /** Header holding a queue name; `queueRequired` when its absence means every queue. */
  readonly queue?: string;
  readonly queueRequired?: boolean;
  /** Headers holding dialplan contexts (the destination of a transfer). */
  readonly contexts?: readonly string[];
  /** Header whose value is a channel unique id (QueueLog UniqueId). */
  readonly uniqueids?: readonly string[];
  /** Headers that cannot be checked and are refused when present (AOCMessage ChannelPrefix). */
  readonly refuse?: readonly string[];
  /** Where the parameters come from. */
  readonly source: string;
}

const M = 'main/manager.c';
const ch = (channels: string[], source: string, extra: Partial<ActionScopeRule> = {}): ActionScopeRule =>
  ({ kind: 'channel', channels, required: true, source, ...extra });
const un = (source: string): ActionScopeRule => ({ kind: 'unscopeable', source });
const q = (source: string, extra: Partial<ActionScopeRule> = {}): ActionScopeRule =>
  ({ kind: 'queue', queue: 'Queue', queueRequired: true, source, ...extra });

const RULES: Readonly<Record<string, ActionScopeRule>> = {
  // Session actions (answered locally or harmless for the session itself).
  Ping: { kind: 'session', source: M }, Events: { kind: 'session', source: M }, Logoff: { kind: 'session', source: M },
  Login: { kind: 'session', source: M }, Challenge: { kind: 'session', source: M }, ListCommands: { kind: 'session', source: M },
  WaitEvent: { kind: 'session', source: M }, Filter: { kind: 'session', source: M },
  CoreSettings: { kind: 'global', source: M },

  // Actions that name channels (<parameter name="Channel"> and friends).
  AbsoluteTimeout: ch(['Channel'], M),
  AGI: ch(['Channel'], 'res/res_agi.c'),
  AOCMessage: ch(['Channel'], M, { refuse: ['ChannelPrefix'] }),
  Atxfer: ch(['Channel'], M, { contexts: ['Context'] }),
  BlindTransfer: ch(['Channel'], M, { contexts: ['Context'] }),
  Bridge: ch(['Channel1', 'Channel2'], 'main/features.c'),
  BridgeKick: ch(['Channel'], 'main/manager_bridges.c'),
  CancelAtxfer: ch(['Channel'], M),
  ControlPlayback: ch(['Channel'], 'main/app.c'),
  Getvar: ch(['Channel'], M),
  Hangup: ch(['Channel'], M),
  LocalOptimizeAway: ch(['Channel'], 'main/core_local.c'),
  MixMonitor: ch(['Channel'], 'apps/app_mixmonitor.c'),
  MixMonitorMute: ch(['Channel'], 'apps/app_mixmonitor.c'),
  StopMixMonitor: ch(['Channel'], 'apps/app_mixmonitor.c'),
  MuteAudio: ch(['Channel'], 'res/res_mutestream.c'),
  Park: ch(['Channel', 'TimeoutChannel', 'AnnounceChannel', 'Channel2'], 'res/res_parking/parking_manager.c'),
  PlayDTMF: ch(['Channel'], M),
  PlayMF: ch(['Channel'], M),
  Redirect: ch(['Channel', 'ExtraChannel'], M, { contexts: ['Context', 'ExtraContext'] }),
  SendFlash: ch(['Channel'], M),
  SendText: ch(['Channel'], M),
  Setvar: ch(['Channel'], M),

  // Lists, filtered item by item; a Channel header, when given, must be owned.
  CoreShowChannels: { kind: 'list', source: M },
  CoreShowChannelMap: { kind: 'list', channels: ['Channel'], required: true, source: M },
  Status: { kind: 'list', channels: ['Channel'], source: M },
  DeviceStateList: { kind: 'list', source: M },
  ExtensionStateList: { kind: 'list', source: M },
  BridgeList: { kind: 'list', source: 'main/manager_bridges.c' },
  BridgeInfo: { kind: 'list', source: 'main/manager_bridges.c' },
  FAXSessions: { kind: 'list', source: 'res/res_fax.c' },
  ParkedCalls: { kind: 'list', source: 'res/res_parking/parking_manager.c' },
  QueueStatus: { kind: 'list', queue: 'Queue', source: 'apps/app_queue.c' },
  QueueSummary: { kind: 'list', queue: 'Queue', source: 'apps/app_queue.c' },
  ShowDialPlan: { kind: 'list', contexts: ['Context'], required: true, source: 'main/pbx.c' },

  // Queue actions (app_queue: Queue / Interface parameters).
  QueueAdd: q('apps/app_queue.c'),
  QueueRemove: q('apps/app_queue.c'),
  QueuePause: q('apps/app_queue.c'),
  QueuePenalty: q('apps/app_queue.c'),
  QueueMemberRingInUse: q('apps/app_queue.c'),
  QueueLog: q('apps/app_queue.c', { uniqueids: ['UniqueId'] }),
  QueueReset: q('apps/app_queue.c'),
  QueueReload: q('apps/app_queue.c'),
  QueueWithdrawCaller: q('apps/app_queue.c', { channels: ['Caller'], required: true }),
  QueueChangePriorityCaller: q('apps/app_queue.c', { channels: ['Caller'], required: true }),

  // Contexts.
  ExtensionState: { kind: 'context', contexts: ['Context'], source: M },

  Originate: { kind: 'originate', source: M },

  // Output or effect that crosses tenants.
  Command: un(M), GetConfig: un(M), GetConfigJSON: un(M), UpdateConfig: un(M), CreateConfig: un(M), ListCategories: un(M),
  Reload: un(M), ModuleLoad: un(M), ModuleCheck: un(M), LoggerRotate: un('main/logger.c'), CoreStatus: un(M),
  UserEvent: un(M), MailboxStatus: un(M), MailboxCount: un(M), PresenceState: un(M), PresenceStateList: un('main/presencestate.c'),
  DBGet: un('main/db.c'), DBGetTree: un('main/db.c'), DBPut: un('main/db.c'), DBDel: un('main/db.c'), DBDelTree: un('main/db.c'),
  DialplanExtensionAdd: un('pbx/pbx_config.c'), DialplanExtensionRemove: un('pbx/pbx_config.c'),
  BridgeDestroy: un('main/manager_bridges.c'), BridgeTechnologyList: un('main/bridge.c'),
  BridgeTechnologySuspend: un('main/bridge.c'), BridgeTechnologyUnsuspend: un('main/bridge.c'),
  FAXSession: un('res/res_fax.c'), FAXStats: un('res/res_fax.c'), MessageSend: un('main/message.c'), QueueRule: un('apps/app_queue.c'),
  Parkinglots: un('res/res_parking/parking_manager.c'),
  SorceryMemoryCacheExpire: un('res/res_sorcery_memory_cache.c'), SorceryMemoryCacheExpireObject: un('res/res_sorcery_memory_cache.c'),
  SorceryMemoryCachePopulate: un('res/res_sorcery_memory_cache.c'), SorceryMemoryCacheStale: un('res/res_sorcery_memory_cache.c'),
  SorceryMemoryCacheStaleObject: un('res/res_sorcery_memory_cache.c'),
  VoicemailBoxSummary: un('apps/app_voicemail.c'), VoicemailForward: un('apps/app_voicemail.c'), VoicemailMove: un('apps/app_voicemail.c'),
  VoicemailRefresh: un('apps/app_voicemail.c'), VoicemailRemove: un('apps/app_voicemail.c'), VoicemailUsersList: un('apps/app_voicemail.c'),
  VoicemailUserStatus: un('apps/app_voicemail.c'),
};

/** Lower-case action name -> rule. */
export const ACTION_SCOPE: ReadonlyMap<string, ActionScopeRule> = new Map(Object.entries(RULES).map(([k, v]) => [k.toLowerCase(), v]));

/** The action names as Asterisk spells them (docs and tests). */
export const SCOPED_ACTION_NAMES: readonly string[] = Object.keys(RULES);

const UNKNOWN: ActionScopeRule = Object.freeze({ kind: 'unscopeable', source: 'not in the table (fail closed)' });

export function actionScopeRule(action: string): ActionScopeRule {
  return ACTION_SCOPE.get(action.toLowerCase()) ?? UNKNOWN;
}
