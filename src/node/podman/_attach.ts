// An attached process (mcp exec): the types of runner.ts's createAttacher,
// and the I/O around the process it spawns — stdin written with
// backpressure (pipe or terminal), the terminal's end, the exit status.
// The spawn itself stays in runner.ts, the one seam to processes.
import { signalNumber } from "../../lib/signals.ts";
import type { FileSink, Subprocess, Terminal } from "bun";

/** How an attached process is joined to its caller (Attacher.attach). */
export interface AttachOptions {
  /** Run `<via…> <bin> …argv` (e.g. a subreaper: `catatonit --`); empty or absent: `<bin> …argv`. */
  via?: readonly string[];
  /** A pipe to its stdin (else /dev/null). Ignored with a terminal, which is its stdin. */
  stdin: boolean;
  /** A pseudo-terminal of this size as its stdin, stdout and stderr, its output handed to onTerminalData. null: pipes. */
  tty: { cols: number; rows: number } | null;
  /** The terminal's output (with `tty`); called as it comes, in order. */
  onTerminalData?: (data: Uint8Array) => void;
}

/** A process attached to its caller: its pipes (or terminal), and its end. */
export interface AttachedProcess {
  readonly pid: number;
  /** Its stdout and stderr (pipes only; null with a terminal). */
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Writes to its stdin (pipe or terminal); resolves once the bytes are flushed, so a writer waits for a slow reader. */
  write(data: Uint8Array): Promise<void>;
  /** Closes its stdin pipe (idempotent); with a terminal, types end-of-file (Ctrl-D). */
  endInput(): void;
  /** Resizes its terminal (its foreground process group gets SIGWINCH); ignored without one. */
  resize(cols: number, rows: number): void;
  /** Its exit status (128 + signal when a signal ended it), once the terminal's last output was delivered too. */
  readonly exited: Promise<number>;
  /** Sends a signal to the process itself (not its children). Ignored once it ended. */
  kill(signal: NodeJS.Signals): void;
}

/** Starts processes joined to their caller. */
export interface Attacher {
  /** Starts `<via…> <bin> …argv`. Throws `unavailable` at once when a binary is missing. */
  attach(argv: string[], o: AttachOptions): AttachedProcess;
}

/** How long the terminal's last output may lag behind the process's exit (a child that kept the terminal open must not hold the session). */
const TERMINAL_DRAIN_MS = 2_000;

/**
 * The I/O of one attached process: `terminalEvents` go into the spawn's
 * terminal options, then `attached` wraps the spawned process.
 */
export function createAttachIO() {
  let eof!: () => void;
  const drained = new Promise<void>((r) => (eof = r));
  let onDrain: (() => void) | null = null;
  return {
    terminalEvents: { exit: () => eof(), drain: () => onDrain?.() },
    attached(proc: Subprocess, onEnd: (status: number, ms: number) => void): AttachedProcess {
      const started = performance.now();
      const terminal: Terminal | null = proc.terminal ?? null;
      if (!terminal) eof();
      const sink = !terminal && proc.stdin && typeof proc.stdin === "object" ? (proc.stdin as FileSink) : null;
      let inputOpen = true;
      const ended = () => proc.exitCode !== null || proc.signalCode !== null;
      // One write at a time: each waits for the pipe (or the terminal) to take the previous one.
      let queue = Promise.resolve();
      const exited = (async () => {
        const code = await proc.exited;
        await Promise.race([drained, new Promise((r) => setTimeout(r, TERMINAL_DRAIN_MS))]);
        terminal?.close();
        const sig = proc.signalCode;
        const status = sig ? 128 + (typeof sig === "number" ? sig : signalNumber(sig)) : code;
        onEnd(status, Math.round(performance.now() - started));
        return status;
      })();
      const writeNow = async (data: Uint8Array) => {
        if (!inputOpen || ended()) return;
        if (terminal) {
          if (terminal.closed) return;
          // The terminal buffers whatever it is given and says `drain` once that is flushed.
          const flushed = new Promise<void>((r) => (onDrain = r));
          terminal.write(data);
          await Promise.race([flushed, proc.exited]);
          onDrain = null;
          return;
        }
        try {
          sink?.write(data);
          const f = sink?.flush();
          if (f instanceof Promise) await Promise.race([f, proc.exited]);
        } catch {
          // It closed its stdin or ended: nobody reads what is left.
          inputOpen = false;
        }
      };
      return {
        pid: proc.pid,
        stdout: terminal ? null : (proc.stdout as ReadableStream<Uint8Array>),
        stderr: terminal ? null : (proc.stderr as ReadableStream<Uint8Array>),
        write: (data) => (queue = queue.then(() => writeNow(data))),
        endInput() {
          queue = queue.then(() => {
            if (!inputOpen) return;
            if (terminal) {
              if (!terminal.closed && !ended()) terminal.write("\x04");
              return;
            }
            inputOpen = false;
            try {
              void sink?.end();
            } catch {
              // already closed
            }
          });
        },
        resize(cols, rows) {
          if (terminal && !terminal.closed) terminal.resize(cols, rows);
        },
        exited,
        kill(signal) {
          if (!ended()) proc.kill(signal);
        },
      };
    },
  };
}
