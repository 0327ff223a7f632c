// Asterisk's text config format (main/config.c config_text_file_load() and
// process_text_line()), as manager.conf is read: `;` comments, `;-- --;` block
// comments, `\;` escapes, `[name](!,tpl,+)` headers, `key = value`, `key => value`,
// `key += value`, `#include`/`#exec` directives. Pure: text in, categories out.
// Directives are recorded, never followed. Findings carry the 1-based line.

/** One `name = value` of a category, in file order (inherited ones first). */
export interface ConfVariable {
  name: string;
  value: string;
  line: number;
  /** Copied from a template or another category by `[name](base)`. */
  inherited: boolean;
}

export interface ConfCategory {
  name: string;
  line: number;
  /** `[name](!)`: a template; ast_category_browse() skips it, so it is never a user. */
  template: boolean;
  /** Bases named in `[name](a,b)`, in order. */
  inherits: string[];
  variables: ConfVariable[];
}

export interface ConfDirective {
  /** Lower-cased directive name: include, tryinclude, exec, or something Asterisk rejects. */
  name: string;
  argument: string;
  line: number;
}

export interface ConfProblem {
  /** 'error': Asterisk refuses the whole file (CONFIG_STATUS_FILEINVALID); 'warning': it logs and goes on. */
  level: 'error' | 'warning';
  line: number;
  message: string;
}

export interface ParsedConf {
  categories: ConfCategory[];
  directives: ConfDirective[];
  problems: ConfProblem[];
}

/** fgets(buf[8192]): longer lines are skipped with "Line %d too long". */
const MAX_LINE = 8190;
/** char name[80] in struct ast_category. */
const MAX_CATEGORY_NAME = 79;

/** ast_strip(): blanks are every byte below 33, CR and LF included. */
export function astStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) < 33) a++;
  while (b > a && s.charCodeAt(b - 1) < 33) b--;
  return s.slice(a, b);
}

export function parseAsteriskConf(text: string): ParsedConf {
  const out: ParsedConf = { categories: [], directives: [], problems: [] };
  const problem = (level: ConfProblem['level'], line: number, message: string) => out.problems.push({ level, line, message });
  let current: ConfCategory | undefined;
  let depth = 0;
  let depthStart = 0;
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const raw = lines[i]!;
    if (raw.length > MAX_LINE) {
      problem('warning', lineno, `line longer than ${MAX_LINE} characters: Asterisk skips it`);
      continue;
    }
    const wasInComment = depth > 0;
    const stripped = stripComments(raw, depth, lineno, problem);
    if (!wasInComment && stripped.depth > 0) depthStart = lineno;
    depth = stripped.depth;
    if (stripped.text === undefined) continue;
    const buf = astStrip(stripped.text);
    if (buf === '') continue;
    // After a header Asterisk rejects, its lines go nowhere rather than to the section above.
    if (buf[0] === '[') current = header(buf, lineno, out, problem) ?? { name: '', line: lineno, template: true, inherits: [], variables: [] };
    else if (buf[0] === '#') directive(buf, lineno, out, problem);
    else if (!current) problem('error', lineno, 'a setting before any [section]: Asterisk rejects the file ("No category context")');
    else assignment(buf, lineno, current, problem);
  }
  if (depth > 0) problem('warning', depthStart, 'unterminated ;-- block comment: the rest of the file is a comment');
  return out;
}

type ProblemFn = (level: ConfProblem['level'], line: number, message: string) => void;

/**
 * The comment loop of config_text_file_load(). Returns the text to process
 * (undefined while the whole line sits inside a block comment) and the new
 * block-comment depth.
 */
function stripComments(line: string, depth: number, lineno: number, problem: ProblemFn): { text: string | undefined; depth: number } {
  let text: string | undefined = depth > 0 ? undefined : '';
  let from = 0;
  for (;;) {
    const p = line.indexOf(';', from);
    if (p < 0) break;
    if (p > from && line[p - 1] === '\\') {
      // "Escaped semicolons aren't comments": the backslash goes, the ';' stays.
      if (depth === 0 && text !== undefined) text += line.slice(from, p - 1) + ';';
      from = p + 1;
    } else if (line[p + 1] === '-' && line[p + 2] === '-' && line[p + 3] !== '-') {
      if (depth === 0 && text !== undefined) text += line.slice(from, p);
      depth++;
      from = p + 3;
    } else if (p >= from + 2 && line[p - 1] === '-' && line[p - 2] === '-') {
      if (depth === 0) {
        // config.c would decrement to -1 here and then ignore the rest of the file.
        problem('warning', lineno, '"--;" closes a block comment that was never opened: Asterisk mis-parses the rest of the file; fix it there');
        if (text !== undefined) text += line.slice(from, p - 2);
        return { text, depth };
      }
      depth--;
      from = p + 1;
      if (depth === 0 && text === undefined) text = '';
    } else {
      if (depth === 0) {
        if (text !== undefined) text += line.slice(from, p);
        return { text, depth };
      }
      from = p + 1;
    }
  }
  if (depth === 0 && text !== undefined) text += line.slice(from);
  return { text, depth };
}

/** `[name]`, `[name](!)`, `[name](base1,base2)`, `[name](+)`. */
function header(buf: string, lineno: number, out: ParsedConf, problem: ProblemFn): ConfCategory | undefined {
  const close = buf.indexOf(']');
  if (close < 0) {
    problem('error', lineno, "no closing ']' in a section header: Asterisk rejects the file");
    return undefined;
  }
  let name = buf.slice(1, close);
  if (name.length > MAX_CATEGORY_NAME) {
    problem('warning', lineno, `section name longer than ${MAX_CATEGORY_NAME} characters: Asterisk truncates it`);
    name = name.slice(0, MAX_CATEGORY_NAME);
  }
  const cat: ConfCategory = { name, line: lineno, template: false, inherits: [], variables: [] };
  let target = cat;
  let appended = false;
  const rest = buf.slice(close + 1);
  if (rest.startsWith('(')) {
    const end = rest.indexOf(')');
    if (end < 0) {
      problem('error', lineno, "no closing ')' in a section header: Asterisk rejects the file");
      return undefined;
    }
    for (const opt of rest.slice(1, end).split(',')) {
      if (opt.toLowerCase() === '!') {
        target.template = true;
      } else if (opt.startsWith('+')) {
        // Append to the first non-template category of this name.
        const existing = findCategory(out.categories, name, false);
        if (!existing) {
          problem('error', lineno, `[${name}](+) appends to a section that does not exist: Asterisk rejects the file`);
          return undefined;
        }
        if (opt.length > 1) problem('warning', lineno, `[${name}](${opt}): the filter after '+' is not applied here; appending to the first [${name}]`);
        if (!appended) {
          existing.template ||= cat.template;
          existing.variables.push(...cat.variables);
          target = existing;
          appended = true;
        }
      } else {
        // ast_category_get(cfg, base, "TEMPLATES=include"): templates and plain sections alike.
        const base = findCategory(out.categories, opt, true);
        if (!base) {
          problem('error', lineno, `[${name}] inherits from [${opt}], which is not defined above it: Asterisk rejects the file`);
          return undefined;
        }
        target.inherits.push(base.name);
        for (const v of base.variables) target.variables.push({ ...v, inherited: true });
      }
    }
  } else if (astStrip(rest) !== '') {
    problem('warning', lineno, `text after [${name}] ignored (options must follow ']' directly, as in [${name}](!))`);
  }
  if (!appended) out.categories.push(cat);
  return target;
}

/** First category named `name` (strcasecmp), optionally including templates. */
export function findCategory(categories: readonly ConfCategory[], name: string, templates: boolean): ConfCategory | undefined {
  const lower = name.toLowerCase();
  return categories.find((c) => c.name.toLowerCase() === lower && (templates || !c.template));
}

function directive(buf: string, lineno: number, out: ParsedConf, problem: ProblemFn): void {
  let end = 1;
  while (end < buf.length && buf.charCodeAt(end) > 32) end++;
  const name = buf.slice(1, end).toLowerCase();
  let arg = astStrip(buf.slice(end));
  if ((arg.startsWith('"') && arg.endsWith('"') && arg.length > 1) || (arg.startsWith('<') && arg.endsWith('>'))) arg = arg.slice(1, -1);
  if (name !== 'include' && name !== 'tryinclude' && name !== 'exec') {
    problem('warning', lineno, `unknown directive #${name}: Asterisk ignores it`);
    return;
  }
  if (arg === '') {
    problem('warning', lineno, `#${name} without an argument: Asterisk ignores it`);
    return;
  }
  out.directives.push({ name, argument: arg, line: lineno });
}

/** `key = value`, `key => value`, `key += value`, `\key = value`. */
function assignment(buf: string, lineno: number, cat: ConfCategory, problem: ProblemFn): void {
  let cur = buf;
  const escaped = cur[0] === '\\';
  if (escaped) {
    cur = cur.slice(1);
    if (cur === '' || cur.charCodeAt(0) < 33) {
      problem('error', lineno, 'invalid escape at the start of the line: Asterisk rejects the file');
      return;
    }
  }
  const eq = cur.indexOf('=', escaped ? 1 : 0);
  if (eq < 0) {
    problem('warning', lineno, "no '=' in this line: Asterisk ignores it");
    return;
  }
  if (eq > (escaped ? 1 : 0) && cur[eq - 1] === '+') {
    const name = astStrip(cur.slice(0, eq - 1));
    const more = cur.slice(eq + 1);
    // The last variable of exactly this name (strcmp) grows; none: a new variable.
    const prev = [...cat.variables].reverse().find((v) => v.name === name);
    if (prev) {
      prev.value = astStrip(prev.value + more);
      return;
    }
    addVariable(cat, name, astStrip(more), lineno, problem);
    return;
  }
  let value = cur.slice(eq + 1);
  if (value[0] === '>') value = value.slice(1);
  addVariable(cat, astStrip(cur.slice(0, eq)), astStrip(value), lineno, problem);
}

function addVariable(cat: ConfCategory, name: string, value: string, line: number, problem: ProblemFn): void {
  if (name === '') {
    problem('warning', line, 'no setting name before \'=\': Asterisk ignores the line');
    return;
  }
  cat.variables.push({ name, value, line, inherited: false });
}
