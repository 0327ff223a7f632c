// AMI over HTTP, response bodies: the AMI text an action produced, written as
// /rawman (as is), /mxml (XML) or /manager (HTML), byte for byte as Asterisk 22
// writes them (main/manager.c generic_http_callback(), auth_http_callback(),
// process_output(), xml_translate(), xml_copy_escape()).
//
//   rawman   the AMI text
//   mxml     <ajax-response>\n  one <response type='object' id='unknown'><generic k='v' ... /></response>\n
//            per message  </ajax-response>\n
//   manager  a fixed "Manager Tester" page, one <tr><td>Key</td><td>Value</td></tr>\n per line,
//            <tr><td colspan="2"><hr></td></tr>\r\n after each message
//
// Inside a message a repeated key gets `-2`, `-3`, ... (`output-2`); XML keys
// are lower-cased with every non-alphanumeric byte as `_`; values escape
// < > " ' & (`'` is `&apos;`); trailing blanks of every line are trimmed; a line
// without `:` starts "Opaque-data" that runs to the next blank line.

import type { AmiMessage } from '../protocol/message.js';
import type { HttpParam } from './params.js';
import type { OutputFormat } from './routes.js';

export type { OutputFormat } from './routes.js';

/** Content-type of each format (contenttype[] in manager.c). */
export const CONTENT_TYPE: Readonly<Record<OutputFormat, string>> = {
  rawman: 'text/plain',
  mxml: 'text/xml',
  manager: 'text/html',
};

const ROW = (s: string): string => `<tr><td colspan="2" bgcolor="#f1f1ff">${s}</td></tr>\r\n`;
const TEST_STRING = '<form action="manager" method="post">\n' +
  '\tAction: <select name="action">\n' +
  '\t\t<option value="">-----&gt;</option>\n' +
  '\t\t<option value="login">login</option>\n' +
  '\t\t<option value="command">Command</option>\n' +
  '\t\t<option value="waitevent">waitevent</option>\n' +
  '\t\t<option value="listcommands">listcommands</option>\n' +
  '\t</select>\n' +
  '\tor <input name="action"><br/>\n' +
  '\tCLI Command <input name="command"><br>\n' +
  '\tuser <input name="username"> pass <input type="password" name="secret"><br>\n' +
  '\t<input type="submit">\n</form>\n';

/** generic_http_callback(): the page around /manager output. */
const MANAGER_HEAD = '<title>Asterisk&trade; Manager Interface</title>' +
  '<body bgcolor="#ffffff"><table align=center bgcolor="#f1f1f1" width="500">\r\n' +
  ROW('<h1>Manager Tester</h1>') + ROW(TEST_STRING);
const MANAGER_TAIL = '</table></body>\r\n';

/** auth_http_callback(): the page around /amanager output. */
const AMANAGER_HEAD = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n' +
  '<html><head>\r\n' +
  '<title>Asterisk&trade; Manager Interface</title>\r\n' +
  '</head><body style="background-color: #ffffff;">\r\n' +
  '<form method="POST">\r\n' +
  '<table align="center" style="background-color: #f1f1f1;" width="500">\r\n' +
  '<tr><th colspan="2" style="background-color: #f1f1ff;"><h1>Manager Tester</h1></th></tr>\r\n' +
  '<tr><th colspan="2" style="background-color: #f1f1ff;">Action: <input name="action" /> Cmd: <input name="command" /><br>' +
  '<input type="submit" value="Send request" /></th></tr>\r\n';
const AMANAGER_TAIL = '</table></form></body></html>\r\n';

export interface RenderOptions {
  /** The digest routes (/amanager) use a different HTML page. @default false */
  readonly digest?: boolean;
  /**
   * Escape the `ajaxdest` / `ajaxobjtype` parameters before writing them into
   * the XML. Asterisk writes them raw (a reflected-XSS hole); amigate escapes
   * them, which changes nothing for ordinary values. The simulator passes false
   * to stay faithful. @default true
   */
  readonly escapeAjaxParams?: boolean;
}

/** The whole body for `format`, from the AMI text of everything the action wrote. */
export function renderBody(format: OutputFormat, amiText: string, params: readonly HttpParam[], opts: RenderOptions = {}): string {
  switch (format) {
    case 'rawman':
      return amiText;
    case 'mxml':
      return '<ajax-response>\n' + xmlTranslate(amiText, params, 'mxml', opts.escapeAjaxParams ?? true) + '</ajax-response>\n';
    case 'manager':
      return opts.digest
        ? AMANAGER_HEAD + xmlTranslate(amiText, params, 'manager', true) + AMANAGER_TAIL
        : MANAGER_HEAD + xmlTranslate(amiText, params, 'manager', true) + MANAGER_TAIL;
  }
}

/** renderBody() of messages (responses, list items, events) in the order they were written. */
export function renderMessages(format: OutputFormat, messages: Iterable<AmiMessage | string>, params: readonly HttpParam[], opts: RenderOptions = {}): string {
  let text = '';
  for (const m of messages) text += typeof m === 'string' ? m : m.toString();
  return renderBody(format, text, params, opts);
}

/**
 * xml_translate(): AMI text to the <response> elements (mxml) or table rows
 * (manager). Follows the C loop step by step, quirks included (an LF right
 * after a line's terminator is swallowed; unterminated Opaque-data at the end).
 */
export function xmlTranslate(input: string, params: readonly HttpParam[], format: 'mxml' | 'manager', escapeAjax = true): string {
  const xml = format === 'mxml';
  let dest = '';
  let objtype = '';
  if (xml) {
    // The loop has no break: the last ajaxdest / ajaxobjtype wins.
    for (const p of params) {
      const n = p.name.toLowerCase();
      if (n === 'ajaxdest') dest = p.value;
      else if (n === 'ajaxobjtype') objtype = p.value;
    }
    if (dest === '') dest = 'unknown';
    if (objtype === '') objtype = 'generic';
    if (escapeAjax) {
      dest = xmlEscape(dest, 0);
      objtype = xmlEscape(objtype, 0);
    }
  }
  let out = '';
  let inData = false;
  let inObj = false;
  let counts = new Map<string, number>();
  let pos = 0;
  const n = input.length;
  while (pos < n && input.charCodeAt(pos) !== 0) {
    // val = strsep(&in, "\r\n"); if (in && *in == '\n') in++;
    let end = pos;
    while (end < n && input.charCodeAt(end) !== 13 && input.charCodeAt(end) !== 10 && input.charCodeAt(end) !== 0) end++;
    let val = input.slice(pos, end);
    let atEnd: boolean;
    if (end >= n || input.charCodeAt(end) === 0) {
      pos = n;
      atEnd = true;
    } else {
      pos = end + 1;
      if (pos < n && input.charCodeAt(pos) === 10) pos++;
      atEnd = pos >= n || input.charCodeAt(pos) === 0;
    }
    val = trimBlanks(val);
    if (val.length === 0) {
      if (inData) {
        out += xml ? "'" : '</td></tr>\n';
        inData = false;
      }
      if (inObj) {
        out += xml ? ' /></response>\n' : '<tr><td colspan="2"><hr></td></tr>\r\n';
        inObj = false;
        counts = new Map();
      }
      continue;
    }
    if (!inObj) {
      if (xml) out += `<response type='object' id='${dest}'><${objtype}`;
      inObj = true;
    }
    if (inData) {
      out += (xml ? '\n' : '<br>\n') + xmlEscape(val, 0);
      continue;
    }
    let key: string;
    let value: string;
    const colon = val.indexOf(':');
    if (colon >= 0) {
      key = trimBlanks(val.slice(0, colon));
      value = skipBlanks(val.slice(colon + 1));
    } else {
      key = 'Opaque-data';
      value = val;
      inData = true;
    }
    out += xml ? ' ' : '<tr><td>';
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    out += xmlEscape(key, xml ? 3 : 0);
    if (count > 1) out += '-' + count;
    out += xml ? "='" : '</td><td>';
    out += xmlEscape(value, 0);
    if (!inData || atEnd) out += xml ? "'" : '</td></tr>\n';
  }
  if (inObj) out += xml ? ' /></response>\n' : '<tr><td colspan="2"><hr></td></tr>\r\n';
  return out;
}

/**
 * xml_copy_escape(): mode & 1 lower-cases, mode & 2 turns every byte that is
 * not an ASCII letter or digit into `_`; otherwise < > " ' & become entities.
 */
export function xmlEscape(src: string, mode: number): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if ((mode & 2) !== 0 && !alnum) {
      out += '_';
      continue;
    }
    switch (c) {
      case 60: out += '&lt;'; break;
      case 62: out += '&gt;'; break;
      case 34: out += '&quot;'; break;
      case 39: out += '&apos;'; break;
      case 38: out += '&amp;'; break;
      default: out += mode !== 0 && c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : src[i];
    }
  }
  return out;
}

/** ast_trim_blanks(): drop trailing bytes below 33. */
function trimBlanks(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) < 33) e--;
  return e === s.length ? s : s.slice(0, e);
}

/** ast_skip_blanks(): drop leading bytes below 33. */
function skipBlanks(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 33) i++;
  return i === 0 ? s : s.slice(i);
}
