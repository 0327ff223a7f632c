// The whole error catalogue: AmigateError with a stable `code`, one subclass per
// failure. Codes are documented in docs/errors.md (test/unit/errors.test.ts keeps
// the two in step). Never throw strings or bare Errors across module boundaries.

export class AmigateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A header key or value would break AMI framing (CR/LF, or ':' in a key). */
export class HeaderInjectionError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_HEADER_INJECTION', message); }
}

/** The configuration file is invalid; `problems` lists every finding with file, line and key. */
export class ConfigInvalidError extends AmigateError {
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('AMIGATE_ERR_CONFIG_INVALID',
      `invalid configuration ${file}:\n` + problems.map((p) => `  ${p.file}:${p.line ?? '?'}: ${p.key}: ${p.message}`).join('\n'));
    this.problems = problems;
  }
}
export interface ConfigProblem { file: string; line: number | undefined; key: string; message: string }

/** An upstream connection closed while actions were in flight on it. */
export class UpstreamClosedError extends AmigateError {
  constructor(message = 'Upstream connection lost', options?: { cause?: unknown }) { super('AMIGATE_ERR_UPSTREAM_CLOSED', message, options); }
}

/** No upstream connection is ready to take an action. */
export class UpstreamUnavailableError extends AmigateError {
  constructor(message = 'No upstream available') { super('AMIGATE_ERR_UPSTREAM_UNAVAILABLE', message); }
}

/** Too many actions are pending on an upstream or a session (circuit breaker). */
export class UpstreamOverloadedError extends AmigateError {
  constructor(message = 'Too many pending actions') { super('AMIGATE_ERR_UPSTREAM_OVERLOADED', message); }
}

/** An action got no response within actionTimeoutMs. */
export class ActionTimeoutError extends AmigateError {
  constructor(message = 'Action timed out') { super('AMIGATE_ERR_ACTION_TIMEOUT', message); }
}

/** The upstream refused our login. */
export class UpstreamAuthError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_UPSTREAM_AUTH', message); }
}

/** The upstream sent something that is not AMI. */
export class UpstreamProtocolError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_UPSTREAM_PROTOCOL', message); }
}

/** A slow downstream client did not drain its output queue within writetimeout. */
export class SlowConsumerError extends AmigateError {
  constructor(message = 'Slow consumer dropped') { super('AMIGATE_ERR_SLOW_CONSUMER', message); }
}

/** A TLS certificate or key could not be made or loaded. */
export class TlsError extends AmigateError {
  /** The config key at fault (`listeners[1].tls.certfile`), when a listener's files were being loaded. */
  readonly key: string | undefined;
  constructor(message: string, options?: { cause?: unknown; key?: string }) {
    super('AMIGATE_ERR_TLS', message, options);
    this.key = options?.key;
  }
}

/** A file amigate ships (the web console's console/ folder) is missing from the installation. */
export class PackageFileMissingError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_PACKAGE_FILE_MISSING', message); }
}

/** A command-line usage error. */
export class UsageError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_USAGE', message); }
}

/** An event filter (manager.conf eventfilter or the Filter action) does not compile or is malformed (S20). */
export class FilterSyntaxError extends AmigateError {
  /** 'compile': the regex does not compile (FILTER_COMPILE_FAIL); 'format': bad criteria (FILTER_FORMAT_ERROR). */
  readonly kind: 'compile' | 'format';
  constructor(kind: 'compile' | 'format', message: string) {
    super('AMIGATE_ERR_FILTER_SYNTAX', message);
    this.kind = kind;
  }
}

/**
 * An HTTP request amigate answers with an HTTP error status (4xx/5xx), not with
 * an AMI `Response: Error`: malformed HTTP, a request over a limit, an unknown
 * route, a method the route does not take (src/http/limits.ts lists them).
 */
export class HttpRequestError extends AmigateError {
  readonly status: number;
  readonly title: string;
  readonly text: string;
  constructor(status: number, title: string, text: string) {
    super('AMIGATE_ERR_HTTP_REQUEST', `HTTP ${status} ${title}: ${text}`);
    this.status = status;
    this.title = title;
    this.text = text;
  }
}

/** A config regex (commands.allow/deny, log.sensitive) does not compile on the linear-time engine (policy/linear-regex.ts). */
export class RegexSyntaxError extends AmigateError {
  constructor(message: string) { super('AMIGATE_ERR_REGEX_SYNTAX', message); }
}
