/**
 * The port's attached exec (`mcp exec`, SPEC §7.4): a command run inside a
 * running container with its stdin, stdout and stderr (or one terminal)
 * joined to the caller, as `podman exec [-i] [-t]` does on the node.
 */

/** A terminal's size in character cells. */
export interface TermSize {
  cols: number;
  rows: number;
}

/** What to run and how its streams are joined. */
export interface ExecSessionOptions {
  /** The command and its arguments (no shell is added). */
  argv: string[];
  /** Keep the command's stdin open: `write` and `endInput` reach it. Without it the command's stdin is empty. */
  stdin: boolean;
  /** A terminal of this size for the command; its output then comes as one stream, "stdout". null: pipes. */
  tty: TermSize | null;
  /**
   * Each piece of output, in order per stream. The session reads no more
   * of that stream until the promise resolves: a slow caller holds the
   * command back instead of filling memory.
   */
  onOutput(stream: "stdout" | "stderr", data: Uint8Array): Promise<void>;
  /** Aborting ends the session: the command, and every process it started that is still its own, are killed. */
  signal: AbortSignal;
}

/** A running attached exec. */
export interface ExecSession {
  /** Writes to the command's stdin; resolves once the runtime took it (backpressure). A no-op without `stdin` or after the end. */
  write(data: Uint8Array): Promise<void>;
  /** Ends the command's stdin (with a terminal: an end-of-file character, as Ctrl-D). Idempotent. */
  endInput(): void;
  /** Gives the terminal a new size (the command sees SIGWINCH); ignored without a terminal. */
  resize(size: TermSize): void;
  /**
   * The exit status, as `podman exec` gives it: the command's own, 128 +
   * signal when it was killed; when the runtime could not run it, its own
   * status with the reason in the output (podman: 125 for a missing
   * container, 255 for a stopped one, 126/127 for a command that cannot run). Resolves after the last output was handed over; after
   * an abort, once nothing of the command runs. Rejects only when the
   * runtime itself cannot be started (`unavailable`).
   */
  exited: Promise<number>;
}
