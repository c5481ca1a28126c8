/**
 * The workstation's side of `mcp exec` (SPEC §7.4): this process's streams
 * and terminal joined to a command in a container. With -i and -t on a
 * terminal, keys go raw (Ctrl-C and Ctrl-D reach the command, as with
 * `podman exec -it`); the terminal's size follows this one; the terminal is
 * given back on every way out. A signal here (Ctrl-C without -t, SIGTERM,
 * SIGHUP) cancels the call, and the agent kills the command.
 */
import { constants } from "node:os";
import { isMcpError } from "../lib/errors.ts";
import type { RawStdio } from "../lib/io.ts";
import type { AgentClient, ExecInput, ExecStart } from "../rpc/index.ts";

/** Input for the call: items wait until the stream takes them (so stdin is read only as fast as it is sent). */
function createChannel<T>(): AsyncIterable<T> & { push(item: T): Promise<void>; close(): void } {
  const items: { item: T; taken: () => void }[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  return {
    push(item) {
      if (closed) return Promise.resolve();
      return new Promise<void>((taken) => {
        items.push({ item, taken });
        wake?.();
      });
    },
    close() {
      closed = true;
      for (const i of items.splice(0)) i.taken();
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = items.shift();
        if (next) {
          next.taken();
          yield next.item;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
  };
}

/** Runs the exec to its end; resolves with the command's exit status (128 + n when signal n here cancelled it). */
export async function runExecSession(client: AgentClient, start: ExecStart, stdio: RawStdio): Promise<number> {
  const input = createChannel<ExecInput>();
  const ac = new AbortController();
  let signalled: "SIGINT" | "SIGTERM" | "SIGHUP" | null = null;
  const offSignal = stdio.onSignal((sig) => {
    signalled = sig;
    ac.abort();
  });
  const restore = start.tty && start.stdin && stdio.stdinIsTTY ? stdio.raw() : () => {};
  const offResize = start.tty ? stdio.onResize((size) => void input.push({ resize: size })) : () => {};
  let running = true;
  if (start.stdin) {
    void (async () => {
      for await (const chunk of stdio.stdin()) {
        if (!running) return;
        await input.push({ stdin: chunk });
      }
      await input.push({ stdinEof: true });
    })().catch(() => input.push({ stdinEof: true }));
  }
  try {
    return await client.exec(start, input, (o) => ("stdout" in o ? stdio.write(1, o.stdout) : stdio.write(2, o.stderr)), ac.signal);
  } catch (err) {
    if (signalled && isMcpError(err, "aborted")) return 128 + constants.signals[signalled];
    throw err;
  } finally {
    running = false;
    input.close();
    offResize();
    restore();
    offSignal();
  }
}
