/**
 * Everything a command may take from the process, handed in by src/modes/
 * (the only place that reads the process environment): variables, streams, terminal.
 */
export interface CliIO {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input. */
  readStdin(): Promise<string>;
  /** Reads all of standard input as bytes, exactly (a secret's value); absent: readStdin's text. */
  readStdinBytes?(): Promise<Uint8Array>;
  /** stderr is a terminal (progress is shown there). */
  errIsTTY: boolean;
  /** stdin is a terminal (someone can answer a question). */
  stdinIsTTY: boolean;
  /** Reads one line from standard input (without its newline); null at end of input. */
  readLine(): Promise<string | null>;
  /**
   * Asks for a secret on the terminal without echoing it (the prompt goes
   * to stderr); without a terminal, reads one line. null at end of input.
   */
  readSecret(prompt: string): Promise<string | null>;
  /** Asks a question on stderr and reads the answer line (echoed: for what is not secret). */
  ask(prompt: string): Promise<string | null>;
  /** stdout is a terminal. */
  isTTY: boolean;
  /** Colour allowed: a terminal and NO_COLOR unset. */
  color: boolean;
  cwd: string;
  uid: number;
  /** The raw streams and the terminal, for a command joined to a remote process (mcp exec). */
  rawStdio?: () => RawStdio;
}

/** A terminal's size in character cells. */
export interface TermSize {
  cols: number;
  rows: number;
}

/** The process's byte streams and terminal as mcp exec joins them to a command in a container. */
export interface RawStdio {
  /** Standard input, chunk by chunk as it comes (read only when asked, and as fast as it is consumed). */
  stdin(): AsyncIterable<Uint8Array>;
  /** Writes to stdout (1) or stderr (2); resolves once the stream took it (a slow reader holds the writer back). */
  write(fd: 1 | 2, data: Uint8Array): Promise<void>;
  /** stdin is a terminal. */
  stdinIsTTY: boolean;
  /** The terminal's size (from stdout when it is one), or null. */
  size(): TermSize | null;
  /** Puts the stdin terminal in raw mode (keys, Ctrl-C and Ctrl-D included, pass as bytes); returns the restore, which is idempotent. */
  raw(): () => void;
  /** Calls fn with the new size whenever the terminal is resized; returns the unsubscribe. */
  onResize(fn: (size: TermSize) => void): () => void;
  /** Calls fn (instead of dying) on SIGINT, SIGTERM and SIGHUP; returns the unsubscribe. */
  onSignal(fn: (signal: "SIGINT" | "SIGTERM" | "SIGHUP") => void): () => void;
}
