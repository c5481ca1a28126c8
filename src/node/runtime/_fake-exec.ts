// The FakeRuntime's attached exec (port: execSession): a tiny interpreter of
// the commands the exec contract suite and the unit tests run, with podman's
// exit statuses (125 for a missing container, 255 for a stopped one, 127 for an unknown
// command, 137 for a killed one) and its refusals as output.
import type { ExecSession, ExecSessionOptions, TermSize } from "./exec-session.ts";
import type { FakeContainer } from "./_fake-types.ts";
export type { ExecSession, ExecSessionOptions } from "./exec-session.ts";

/** Exec'd commands still running, per container name (what the fake's `ps` shows), per fake (by its container map). */
type FakeExecTable = Map<string, Set<string>>;
const tables = new WeakMap<object, FakeExecTable>();

const enc = new TextEncoder();

/** Stdin as the fake's commands read it: lines, or everything until its end. */
class Input {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private wake: (() => void) | null = null;
  push(data: Uint8Array): void {
    this.chunks.push(data);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  /** The next chunk, or null at the end (or when `stop` resolves first). */
  async next(stop: Promise<void>): Promise<Uint8Array | null> {
    while (this.chunks.length === 0 && !this.ended) {
      const woken = new Promise<void>((r) => (this.wake = r));
      if ((await Promise.race([woken.then(() => "woken"), stop.then(() => "stop")])) === "stop") return null;
    }
    return this.chunks.shift() ?? null;
  }
  /** One line without its newline, or null at the end. */
  async line(stop: Promise<void>): Promise<string | null> {
    let text = "";
    for (;;) {
      const nl = text.indexOf("\n");
      if (nl >= 0) {
        if (nl + 1 < text.length) this.chunks.unshift(enc.encode(text.slice(nl + 1)));
        return text.slice(0, nl).replace(/\r$/, "");
      }
      const c = await this.next(stop);
      if (c === null) return text === "" ? null : text;
      text += new TextDecoder().decode(c);
    }
  }
}

/** Starts an attached exec in the fake's container (or fails the way podman does). */
export function fakeExecSession(containers: ReadonlyMap<string, FakeContainer>, name: string, o: ExecSessionOptions): ExecSession {
  const c = containers.get(name);
  const table = tables.get(containers) ?? new Map<string, Set<string>>();
  tables.set(containers, table);
  const input = new Input();
  if (!o.stdin) input.end();
  let size: TermSize | null = o.tty;
  const stop = new Promise<void>((r) => (o.signal.aborted ? r() : o.signal.addEventListener("abort", () => r(), { once: true })));
  const out = (s: string, stream: "stdout" | "stderr" = "stdout") =>
    o.onOutput(o.tty ? "stdout" : stream, enc.encode(o.tty ? s.replace(/\r?\n/g, "\r\n") : s));
  const running = table.get(name) ?? new Set<string>();
  const me = `${o.argv.join(" ")}#${Math.random()}`;

  async function command(argv: string[]): Promise<number | null> {
    const [cmd = "", ...args] = argv;
    if (cmd === "true") return 0;
    if (cmd === "false") return 1;
    if (cmd === "echo") {
      await out(`${args.join(" ")}\n`);
      return 0;
    }
    if (cmd === "cat") {
      for (let d = await input.next(stop); d !== null; d = await input.next(stop)) await o.onOutput("stdout", d);
      return o.signal.aborted ? 137 : 0;
    }
    if (cmd === "sleep") {
      await Promise.race([stop, new Promise((r) => setTimeout(r, Number(args[0] ?? 0) * 1000))]);
      return o.signal.aborted ? 137 : 0;
    }
    if (cmd === "stty" && args[0] === "size") {
      if (!size) {
        await out("stty: standard input: Not a tty\n", "stderr");
        return 1;
      }
      await out(`${size.rows} ${size.cols}\n`);
      return 0;
    }
    if (cmd === "ps") {
      await out(`PID   USER     COMMAND\n    1 1000     sleep 3600\n${[...running].map((r, i) => `${String(i + 2).padStart(5)} 1000     ${r.split("#")[0]}\n`).join("")}`);
      return 0;
    }
    if (cmd === "sh" && args[0] === "-c") return script(args[1] ?? "");
    await out(`Error: runc: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: OCI runtime attempt failed\n`, "stderr");
    return 127;
  }

  /** `;`-separated statements: exit N, echo X [>&2], kill -9 $$, read V, and the commands above. */
  async function script(text: string): Promise<number> {
    let last = 0;
    for (const stmt of text.split(";").map((s) => s.trim()).filter((s) => s !== "")) {
      if (o.signal.aborted) return 137;
      const exit = /^exit\s+(\d+)$/.exec(stmt);
      if (exit) return Number(exit[1]);
      if (stmt === "kill -9 $$") return 137;
      const err = /^echo\s+(.*?)\s*>&2$/.exec(stmt);
      if (err) {
        await out(`${err[1]}\n`, "stderr");
        continue;
      }
      if (/^read\s+\w+$/.test(stmt)) {
        last = (await input.line(stop)) === null ? 1 : 0;
        continue;
      }
      last = (await command(stmt.split(/\s+/))) ?? 0;
    }
    return last;
  }

  const exited = (async () => {
    await Promise.resolve();
    if (!c) {
      await out(`Error: no container with name or id "${name}" found: no such container\n`, "stderr");
      return 125;
    }
    if (c.state !== "running") {
      await out("Error: can only create exec sessions on running containers: container state improper\n", "stderr");
      return 255;
    }
    running.add(me);
    table.set(name, running);
    try {
      const code = (await command(o.argv)) ?? 0;
      return o.signal.aborted ? 137 : code;
    } finally {
      running.delete(me);
    }
  })();

  return {
    write: async (data) => {
      if (o.stdin) input.push(data);
    },
    endInput: () => input.end(),
    resize: (s) => {
      if (size) size = { ...s };
    },
    exited,
  };
}
