// Option parsing shared by the subcommands: node:util parseArgs, with its errors
// turned into a UsageError that carries the command's usage text, and --help.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import type { CliIo } from './types.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Strict<O extends Options> = { args: string[]; options: O; strict: true; allowPositionals: false };
type Values<O extends Options> = ReturnType<typeof parseArgs<Strict<O>>>['values'];

/**
 * The parsed option values, or undefined when --help was given (the usage is
 * then printed on stdout). `options` must declare `help`.
 */
export function parseCliArgs<O extends Options>(args: string[], options: O, usage: string, io: CliIo): Values<O> | undefined {
  let values: Values<O>;
  try {
    ({ values } = parseArgs<Strict<O>>({ args, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  if ((values as Record<string, unknown>)['help'] === true) {
    io.stdout.write(usage + '\n');
    return undefined;
  }
  return values;
}
