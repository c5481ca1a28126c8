// The podman side of `mcp exec` (port: execSession): an attached `podman
// exec` under a subreaper, with backpressure both ways and a real end (the
// processes and how they are ended: _exec-procs.ts).
import type { Logger } from "../../lib/log.ts";
import type { ExecSession, ExecSessionOptions } from "../runtime/exec-session.ts";
import { execSessionArgs } from "./args.ts";
import { endSession, podmanPidsUnder, signalOwn } from "./_exec-procs.ts";
import type { Attacher, AttachedProcess } from "./_attach.ts";
import type { Runner } from "./runner.ts";

export { findSubreaper, reapOrphanedExecs } from "./_exec-procs.ts";

/** What an exec session needs of the node. */
export interface ExecDeps {
  attacher: Attacher;
  /** Runs `podman unshare kill` (rootless). */
  runner: Runner;
  /** Rootless podman: the command's processes run as subordinate ids, signalled from inside podman's user namespace. */
  rootless: boolean;
  /** argv prefix of a subreaper (`catatonit --`); null when the node has none (a cancelled command may then keep running; logged). */
  subreaper: readonly string[] | null;
  log: Logger;
}

/** Terminal output handed to the caller but not yet taken, past which podman is paused (SIGSTOP) until it drops under LOW. */
const HIGH = 1 << 20;
const LOW = 256 << 10;

/** Starts `podman exec` attached to the caller; see ExecSession (port). */
export function startExecSession(deps: ExecDeps, name: string, o: ExecSessionOptions): ExecSession {
  const argv = execSessionArgs(name, o.argv, { stdin: o.stdin, tty: o.tty !== null });
  const via = deps.subreaper !== null;
  let pending = 0;
  let paused = false;
  let output = Promise.resolve();
  let running = true;
  // The terminal's output is pushed at us: past HIGH bytes the caller has not taken yet, podman is stopped.
  const pause = (on: boolean) => {
    paused = on;
    signalOwn(podmanPidsUnder(proc.pid, via), on ? "SIGSTOP" : "SIGCONT");
  };
  const hand = (stream: "stdout" | "stderr", data: Uint8Array) =>
    o.onOutput(stream, data).catch(() => {
      // The caller is gone; its signal ends the session.
    });
  const proc: AttachedProcess = deps.attacher.attach(argv, {
    via: deps.subreaper ?? [],
    stdin: o.stdin,
    tty: o.tty,
    onTerminalData: (d) => {
      pending += d.length;
      output = output.then(() => hand("stdout", d)).then(() => {
        pending -= d.length;
        if (paused && pending < LOW && running) pause(false);
      });
      if (!paused && pending > HIGH) pause(true);
    },
  });
  void proc.exited.then(() => (running = false), () => (running = false));

  let terminated: Promise<void> = Promise.resolve();
  const onAbort = () => {
    if (paused) pause(false);
    if (!via) deps.log.warn("exec cancelled without a subreaper (catatonit or tini): the command may keep running in the container", { container: name });
    terminated = endSession(deps, proc.pid, via, () => !running, proc.exited);
  };
  o.signal.addEventListener("abort", onAbort, { once: true });
  if (o.signal.aborted) onAbort();

  const pump = async (stream: ReadableStream<Uint8Array> | null, which: "stdout" | "stderr") => {
    if (!stream) return;
    for await (const chunk of stream) await hand(which, chunk);
  };
  const exited = (async () => {
    try {
      const [code] = await Promise.all([proc.exited, pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr")]);
      await output;
      await terminated;
      return code;
    } finally {
      o.signal.removeEventListener("abort", onAbort);
    }
  })();

  return {
    write: (data) => (o.stdin ? proc.write(data) : Promise.resolve()),
    endInput: () => {
      if (o.stdin) proc.endInput();
    },
    resize: (s) => proc.resize(s.cols, s.rows),
    exited,
  };
}
