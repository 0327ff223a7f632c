// The contract between src/main.ts and each subcommand module in src/cli/.

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** A running service: main.ts stops it on SIGINT/SIGTERM and reloads it on SIGHUP. */
export interface Service {
  close(reason: string): Promise<void>;
  reload?(): Promise<void>;
  /** A second SIGINT/SIGTERM while close() runs: cut short what may be cut short. */
  hurry?(reason: string): void;
  /** Resolves with an exit code if the service ends by itself. */
  closed?: Promise<number>;
}

/** An exit code for one-shot commands, or a Service for long-running ones. */
export type CliResult = number | Service;
