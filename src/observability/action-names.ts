// The action names a metric label may carry. Anything else is counted as
// `other`, so a client inventing action names cannot create series without
// bound. The core list is what Asterisk 22 answered to ListCommands in
// ../shared/ami-transcripts/10-events-vars-config-listcommands.jsonl (a build
// without PJSIP); the module list adds the channel drivers and applications
// most deployments load (res_pjsip, chan_iax2, app_confbridge, res_parking…).

export const ASTERISK_CORE_ACTIONS: readonly string[] = [
  'AbsoluteTimeout', 'AGI', 'AOCMessage', 'Atxfer', 'BlindTransfer', 'Bridge', 'BridgeDestroy', 'BridgeInfo',
  'BridgeKick', 'BridgeList', 'BridgeTechnologyList', 'BridgeTechnologySuspend', 'BridgeTechnologyUnsuspend',
  'CancelAtxfer', 'Challenge', 'Command', 'ControlPlayback', 'CoreSettings', 'CoreShowChannelMap',
  'CoreShowChannels', 'CoreStatus', 'CreateConfig', 'DBDel', 'DBDelTree', 'DBGet', 'DBGetTree', 'DBPut',
  'DeviceStateList', 'DialplanExtensionAdd', 'DialplanExtensionRemove', 'Events', 'ExtensionState',
  'ExtensionStateList', 'FAXSession', 'FAXSessions', 'FAXStats', 'Filter', 'GetConfig', 'GetConfigJSON', 'Getvar',
  'Hangup', 'ListCategories', 'ListCommands', 'LocalOptimizeAway', 'LoggerRotate', 'Login', 'Logoff',
  'MailboxCount', 'MailboxStatus', 'MessageSend', 'MixMonitor', 'MixMonitorMute', 'ModuleCheck', 'ModuleLoad',
  'MuteAudio', 'Originate', 'Ping', 'PlayDTMF', 'PlayMF', 'PresenceState', 'PresenceStateList', 'QueueAdd',
  'QueueChangePriorityCaller', 'QueueLog', 'QueueMemberRingInUse', 'QueuePause', 'QueuePenalty', 'QueueReload',
  'QueueRemove', 'QueueReset', 'QueueRule', 'QueueStatus', 'QueueSummary', 'QueueWithdrawCaller', 'Redirect',
  'Reload', 'SendFlash', 'SendText', 'Setvar', 'ShowDialPlan', 'SorceryMemoryCacheExpire',
  'SorceryMemoryCacheExpireObject', 'SorceryMemoryCachePopulate', 'SorceryMemoryCacheStale',
  'SorceryMemoryCacheStaleObject', 'Status', 'StopMixMonitor', 'UpdateConfig', 'UserEvent',
  'VoicemailBoxSummary', 'VoicemailForward', 'VoicemailMove', 'VoicemailRefresh', 'VoicemailRemove',
  'VoicemailUsersList', 'VoicemailUserStatus', 'WaitEvent',
];

export const ASTERISK_MODULE_ACTIONS: readonly string[] = [
  // res_pjsip*
  'PJSIPShowEndpoints', 'PJSIPShowEndpoint', 'PJSIPShowContacts', 'PJSIPShowAors', 'PJSIPShowAuths',
  'PJSIPShowRegistrationsInbound', 'PJSIPShowRegistrationsOutbound', 'PJSIPShowRegistrationInboundContactStatuses',
  'PJSIPShowSubscriptionsInbound', 'PJSIPShowSubscriptionsOutbound', 'PJSIPShowResourceLists', 'PJSIPQualify',
  'PJSIPRegister', 'PJSIPUnregister', 'PJSIPNotify', 'PJSIPHangup',
  // chan_iax2, chan_dahdi
  'IAXpeers', 'IAXpeerlist', 'IAXnetstats', 'IAXregistry',
  'DAHDIShowChannels', 'DAHDIHangup', 'DAHDIDialOffhook', 'DAHDIDNDon', 'DAHDIDNDoff', 'DAHDITransfer', 'DAHDIRestart', 'PRIShowSpans',
  // app_confbridge, res_parking, app_agent_pool, app_queue extras, app_mixmonitor/res_monitor
  'ConfbridgeList', 'ConfbridgeListRooms', 'ConfbridgeKick', 'ConfbridgeMute', 'ConfbridgeUnmute', 'ConfbridgeLock',
  'ConfbridgeUnlock', 'ConfbridgeStartRecord', 'ConfbridgeStopRecord', 'ConfbridgeSetSingleVideoSrc',
  'Park', 'Parkinglots', 'ParkedCalls', 'Agents', 'AgentLogoff', 'Queues',
  'Monitor', 'StopMonitor', 'ChangeMonitor', 'PauseMonitor', 'UnpauseMonitor',
  // res_xmpp
  'JabberSend',
];

export const DEFAULT_KNOWN_ACTIONS: readonly string[] = [...new Set([...ASTERISK_CORE_ACTIONS, ...ASTERISK_MODULE_ACTIONS])];
