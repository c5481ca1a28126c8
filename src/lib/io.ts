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
}
