// The config file as YAML with source positions: parses the text (duplicate
// keys refused), reports syntax errors as problems with their line, and finds
// the line of any key path (or its nearest existing parent) for messages.

import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import type { Path } from './key-path.js';
import { errText } from './section-context.js';

export class YamlSource {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(text: string, private readonly file: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: true });
  }

  /** YAML syntax errors, one problem each (the first line of the parser's message). */
  syntaxProblems(): ConfigProblem[] {
    return this.doc.errors.map((e) => {
      const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { file: this.file, line: e.linePos?.[0].line, key: '(yaml)', message: first };
    });
  }

  /** The document as plain data; a problem (e.g. too many aliases) instead when it cannot be built. */
  toData(): { data: unknown } | { problem: ConfigProblem } {
    try {
      return { data: this.doc.toJS({ maxAliasCount: 1000 }) };
    } catch (err) {
      return { problem: { file: this.file, line: undefined, key: '(yaml)', message: errText(err) } };
    }
  }

  /**
   * Line of the key that introduces `path` (or of the list item), falling back
   * to the nearest ancestor that exists (a missing required key points at its parent).
   */
  lineOf(path: Path, keyOf?: string): number | undefined {
    const full = keyOf === undefined ? path : [...path, keyOf];
    for (let n = full.length; n > 0; n--) {
      const parent = n === 1 ? this.doc.contents : this.doc.getIn(full.slice(0, n - 1), true);
      const last = full[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
        if (pair && isNode(pair.key)) return this.linePos(pair.key as Node);
      } else if (isSeq(parent) && typeof last === 'number') {
        const item = parent.items[last];
        if (isNode(item)) return this.linePos(item as Node);
      }
    }
    return isNode(this.doc.contents) ? this.linePos(this.doc.contents as Node) : undefined;
  }

  private linePos(node: Node): number | undefined {
    return node.range ? this.lines.linePos(node.range[0]).line : undefined;
  }
}
