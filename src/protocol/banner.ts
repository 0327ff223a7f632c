// The one-line AMI greeting (S1). Clients check its prefix (goami2 requires
// "Asterisk Call Manager/", PAMI requires "Asterisk"), so we only relay banners
// of that exact shape and fall back to Asterisk 22's otherwise.

export const BANNER_PREFIX = 'Asterisk Call Manager/';
/** AMI_VERSION of Asterisk 22 (include/asterisk/manager.h). */
export const DEFAULT_AMI_VERSION = '11.0.0';
export const DEFAULT_BANNER = BANNER_PREFIX + DEFAULT_AMI_VERSION;

const VERSION = /^[0-9]+(\.[0-9]+)*$/;

/** The AMI version in a banner line, or undefined when it is not an Asterisk banner. */
export function parseBanner(line: string): string | undefined {
  if (!line.startsWith(BANNER_PREFIX)) return undefined;
  const v = line.slice(BANNER_PREFIX.length).trim();
  return VERSION.test(v) ? v : undefined;
}

export function formatBanner(version: string = DEFAULT_AMI_VERSION): string {
  return BANNER_PREFIX + version + '\r\n';
}
