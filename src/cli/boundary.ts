import { renderUsage, runCommand, type CommandDef } from "citty";
import { McpError, type ErrorCode } from "../lib/errors.ts";
import type { CliIO } from "../lib/io.ts";
import { printError } from "../lib/output.ts";

/** Exit statuses (SPEC §5.1). */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, unreachable: 4 } as const;

/** The exit status for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case "invalid_argument":
      return EXIT.usage;
    case "unauthenticated":
    case "permission_denied":
      return EXIT.auth;
    case "unavailable":
      return EXIT.unreachable;
    default:
      return EXIT.failed;
  }
}

type AnyCommand = CommandDef<any>;

/** citty colours its usage text whatever the terminal; we honour NO_COLOR and pipes. */
function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

async function resolve<T>(v: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

/**
 * Walks the leading words of argv down the subcommand tree (following a
 * command's `default` subcommand when the next word is not one of its own).
 * Returns the leaf, its parent and the arguments left for the leaf.
 */
async function resolveCommand(
  root: AnyCommand,
  rawArgs: string[],
  followDefault = true,
): Promise<{ cmd: AnyCommand; parent?: AnyCommand; rest: string[] }> {
  let cmd = root;
  let parent: AnyCommand | undefined;
  let i = 0;
  for (;;) {
    const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
    if (!subs) break;
    const word = rawArgs[i];
    const isWord = word !== undefined && !word.startsWith("-");
    let next = isWord ? subs[word] : undefined;
    if (next) i++;
    // A group's default runs only when no other word was given (`mcp agent --config x`, not `mcp agent bogus`).
    else if (!isWord && cmd.default && followDefault) next = subs[(await resolve(cmd.default)) as string];
    if (!next) break;
    parent = cmd;
    cmd = await resolve(next as AnyCommand);
  }
  return { cmd, parent, rest: rawArgs.slice(i) };
}

/**
 * Runs a citty command tree as the one error boundary of a face: help goes
 * to stdout; usage errors, McpErrors and anything else become one line of
 * what went wrong and one of what to do next on stderr — never a stack —
 * and an exit status. A command's `run` may return an exit status.
 */
export async function runCli(root: AnyCommand, rawArgs: string[], io: CliIO): Promise<number> {
  try {
    // Words after `--` are another program's (mcp exec svc -- ls --help).
    const own = rawArgs.includes("--") ? rawArgs.slice(0, rawArgs.indexOf("--")) : rawArgs;
    if (own.includes("--help") || own.includes("-h") || rawArgs.length === 0) {
      // Help of a group shows the group (its subcommands), not its default subcommand.
      const { cmd, parent } = await resolveCommand(root, rawArgs, false);
      const usage = await renderUsage(cmd, parent);
      io.out((io.color ? usage : stripAnsi(usage)).replace(/[ \t]+$/gm, "") + "\n");
      return rawArgs.length === 0 ? EXIT.usage : EXIT.ok;
    }
    const { cmd, rest } = await resolveCommand(root, rawArgs);
    if (cmd.subCommands) {
      const word = rest.find((w) => !w.startsWith("-"));
      const name = (await resolve(cmd.meta))?.name ?? "mcp";
      throw new McpError("invalid_argument", word ? `unknown command "${word}"` : `${name}: which command?`, `see: ${name === "mcp" ? "mcp" : "mcp " + name} --help`);
    }
    // citty runs only the leaf: it would drop a subcommand's result and run a parent's `run` after it.
    const { result } = await runCommand(cmd, { rawArgs: rest });
    return typeof result === "number" ? result : EXIT.ok;
  } catch (err) {
    if (err instanceof McpError) {
      printError(io, err.message, err.hint);
      return exitCodeFor(err.code);
    }
    if (err instanceof Error && err.name === "CLIError") {
      const { cmd } = await resolveCommand(root, rawArgs).catch(() => ({ cmd: root }));
      const name = (await resolve(cmd.meta))?.name ?? "mcp";
      printError(io, err.message.replace(/`/g, ""), `see: mcp ${name === "mcp" ? "" : name + " "}--help`.replace("  ", " "));
      return EXIT.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    printError(io, `internal error: ${message}`, "this is a bug in mcp; run again with MCP_DEBUG=1 for details and report it");
    if (io.env.MCP_DEBUG && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return EXIT.failed;
  }
}
