import { createInterface } from "node:readline";
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { runCli } from "../cli/boundary.ts";
import type { CliIO } from "../lib/io.ts";
import { createRawStdio } from "./_raw-stdio.ts";

/** One line of standard input (without its newline); null at its end. */
function readLine(): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    const finish = (line: string | null) => {
      if (done) return;
      done = true;
      rl.close();
      resolve(line);
    };
    rl.once("line", (l) => finish(l));
    rl.once("close", () => finish(null));
  });
}

/**
 * Reads a secret in raw mode: nothing is echoed; Enter ends it, Backspace
 * erases, Ctrl-C gives up (exit status 130 through the error boundary),
 * Ctrl-D on an empty line is end of input.
 */
function readSecretFromTerminal(prompt: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let secret = "";
    const done = (value: string | null, err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done(secret);
        if (ch === "\u0003") return done(null, new Error("cancelled"));
        if (ch === "\u0004") {
          if (secret === "") return done(null);
          continue;
        }
        if (ch === "\u007f" || ch === "\b") secret = secret.slice(0, -1);
        else if (ch >= " ") secret += ch;
      }
    };
    // Raw mode before the prompt: whatever is typed once the prompt shows is never echoed.
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
    process.stderr.write(prompt);
  });
}

/** The process's side of the CLI: streams, environment, terminal. */
function processIO(): CliIO {
  const isTTY = !!process.stdout.isTTY;
  return {
    env: { ...process.env },
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readStdin: () => Bun.stdin.text(),
    readStdinBytes: async () => new Uint8Array(await Bun.stdin.arrayBuffer()),
    stdinIsTTY: !!process.stdin.isTTY,
    errIsTTY: !!process.stderr.isTTY,
    readLine,
    ask: (prompt) => {
      process.stderr.write(prompt);
      return readLine();
    },
    readSecret: (prompt) => {
      if (!process.stdin.isTTY) {
        process.stderr.write(prompt);
        return readLine();
      }
      return readSecretFromTerminal(prompt);
    },
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
    cwd: process.cwd(),
    uid: process.getuid?.() ?? 0,
    rawStdio: createRawStdio,
  };
}

/** The citty root; every subcommand is loaded lazily from a literal path (the compiled binary needs literals). */
export function createRoot(io: CliIO) {
  return defineCommand({
    meta: { name: "mcp", version: pkg.version, description: "Control plane for containers on a small fleet of rootless podman nodes" },
    subCommands: {
      deploy: () => import("../cli/commands/deploy.ts").then((m) => m.default(io)),
      stop: () => import("../cli/commands/stop.ts").then((m) => m.default(io)),
      start: () => import("../cli/commands/start.ts").then((m) => m.default(io)),
      restart: () => import("../cli/commands/restart.ts").then((m) => m.default(io)),
      list: () => import("../cli/commands/list.ts").then((m) => m.default(io)),
      ps: () => import("../cli/commands/ps.ts").then((m) => m.default(io)),
      status: () => import("../cli/commands/status.ts").then((m) => m.default(io)),
      events: () => import("../cli/commands/events.ts").then((m) => m.default(io)),
      audit: () => import("../cli/commands/audit.ts").then((m) => m.default(io)),
      diff: () => import("../cli/commands/diff.ts").then((m) => m.default(io)),
      rollback: () => import("../cli/commands/rollback.ts").then((m) => m.default(io)),
      sync: () => import("../cli/commands/sync.ts").then((m) => m.default(io)),
      logs: () => import("../cli/commands/logs.ts").then((m) => m.default(io)),
      snapshot: () => import("../cli/commands/snapshot.ts").then((m) => m.default(io)),
      restore: () => import("../cli/commands/restore.ts").then((m) => m.default(io)),
      push: () => import("../cli/commands/push.ts").then((m) => m.default(io)),
      pull: () => import("../cli/commands/pull.ts").then((m) => m.default(io)),
      adopt: () => import("../cli/commands/adopt.ts").then((m) => m.default(io)),
      exec: () => import("../cli/commands/exec.ts").then((m) => m.default(io)),
      import: () => import("../cli/commands/import.ts").then((m) => m.default(io)),
      service: () => import("../cli/commands/service/index.ts").then((m) => m.default(io)),
      secret: () => import("../cli/commands/secret/index.ts").then((m) => m.default(io)),
      login: () => import("../cli/commands/login.ts").then((m) => m.default(io)),
      node: () => import("../cli/commands/node/index.ts").then((m) => m.default(io)),
      agent: () => import("./agent.ts").then((m) => m.agentCommand(io)),
      version: () => import("../cli/commands/version.ts").then((m) => m.default(io)),
    },
  });
}

/** Runs the CLI on argv; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const io = processIO();
  return runCli(createRoot(io), argv, io);
}
