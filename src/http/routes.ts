// The six AMI-over-HTTP routes of main/manager.c (ast_http_uri entries) and how
// main/http.c handle_uri() matches a request path against them: an optional
// prefix, then the route name compared case-insensitively, then nothing or a
// single `/` (no subtree). The path is matched before any percent-decoding.
//
//   /rawman  /mxml  /manager      mansession_id cookie sessions
//   /arawman /amxml /amanager     HTTP Digest authentication

export type OutputFormat = 'rawman' | 'mxml' | 'manager';

export interface Route {
  /** Which serializer writes the body (format.ts). */
  readonly format: OutputFormat;
  /** The `a*` variants: HTTP Digest instead of a session cookie. */
  readonly digest: boolean;
}

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['rawman', { format: 'rawman', digest: false }],
  ['mxml', { format: 'mxml', digest: false }],
  ['manager', { format: 'manager', digest: false }],
  ['arawman', { format: 'rawman', digest: true }],
  ['amxml', { format: 'mxml', digest: true }],
  ['amanager', { format: 'manager', digest: true }],
]);

/**
 * The route a request path names, or undefined (404). `prefix` is http.conf's
 * `prefix` without slashes ('' = none): with prefix `asterisk`, `/asterisk/rawman`.
 */
export function matchRoute(path: string, prefix = ''): Route | undefined {
  let rest = path;
  if (prefix !== '') {
    const head = '/' + prefix;
    if (rest.length <= head.length || rest.slice(0, head.length).toLowerCase() !== head.toLowerCase()) return undefined;
    rest = rest.slice(head.length);
  }
  if (!rest.startsWith('/')) return undefined;
  rest = rest.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  return ROUTES.get(rest.toLowerCase());
}
