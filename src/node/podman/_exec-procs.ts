// The processes of an attached `podman exec` (mcp exec), as /proc shows them,
// and how they are ended. Killing `podman exec` does not stop what it started
// (podman 4.3; docs/DECISIONS.md, "Exec (issue 16)"): conmon runs the command
// detached. So podman runs under a subreaper (catatonit, or tini -s): the
// exec's conmon, which double-forks, stays a child of the process the agent
// started, and its `-p` pid file names the command's host pid. To end a
// session the command and its descendants are frozen (SIGSTOP, until none is
// left to find) and killed — from inside the user namespace when podman is
// rootless, where the agent may signal the containers' subordinate ids —
// then podman, if it did not end by itself.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from "node:fs";
import type { Logger } from "../../lib/log.ts";
import { unshareKillArgs } from "./args.ts";
import type { Runner } from "./runner.ts";

/** How the processes of a session are signalled. */
export interface ProcDeps {
  /** Runs `podman unshare kill` (rootless). */
  runner: Runner;
  /** Rootless podman: the command's processes run as subordinate ids, signalled from inside podman's user namespace. */
  rootless: boolean;
  log: Logger;
}

const SUBREAPERS: readonly (readonly string[])[] = [
  ["/usr/libexec/podman/catatonit", "--"],
  ["/usr/bin/catatonit", "--"],
  ["/usr/libexec/catatonit/catatonit", "--"],
  ["/usr/bin/tini", "-s", "--"],
];

/** The first subreaper this node has (podman depends on catatonit or tini), as an argv prefix; null when none. */
export function findSubreaper(exists: (path: string) => boolean = existsSync): readonly string[] | null {
  return SUBREAPERS.find((s) => exists(s[0]!)) ?? null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once `done()` holds (checked every 50 ms), or after `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(50);
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/**
 * A pid file's text: opened without following a symlink and without
 * blocking (a FIFO planted in its place cannot hang the agent), read only
 * when it is a regular file, at most 64 bytes; null otherwise.
 */
export function readSmallRegularFile(path: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(64);
    return buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString("utf8");
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * True when a process shares the agent's own pid and mount namespaces: a
 * process inside a container (whose root may be the agent's uid, rootless,
 * and whose argv it chooses) never does.
 */
export function inAgentNamespaces(pid: number): boolean {
  try {
    return ["pid", "mnt"].every((ns) => readlinkSync(`/proc/${pid}/ns/${ns}`) === readlinkSync(`/proc/self/ns/${ns}`));
  } catch {
    return false;
  }
}

/** The children of a process (every thread's), from /proc. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((t) => (readProc(`/proc/${pid}/task/${t}/children`) ?? "").split(/\s+/).filter((x) => x !== "").map(Number));
}

export const cmdlineOf = (pid: number) => (readProc(`/proc/${pid}/cmdline`) ?? "").split("\0").slice(0, -1);
export const isConmon = (pid: number) => /(^|\/)conmon$/.test(cmdlineOf(pid)[0] ?? "");

/** The host pid of the command a conmon child of `root` runs (its `-p` pid file), or null while there is none yet. */
export function execPidUnder(root: number): number | null {
  for (const child of childrenOf(root)) {
    const argv = cmdlineOf(child);
    if (!/(^|\/)conmon$/.test(argv[0] ?? "")) continue;
    const i = argv.indexOf("-p");
    const file = i >= 0 ? argv[i + 1] : undefined;
    const pid = file ? Number((readSmallRegularFile(file) ?? "").trim()) : NaN;
    if (Number.isSafeInteger(pid) && pid > 1) return pid;
  }
  return null;
}

/** `pid` and every process descended from it, from the parent links of /proc/<pid>/stat ([] when it is gone). */
export function treeOf(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(`/proc/${name}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
  }
  if (!existsSync(`/proc/${pid}`)) return [];
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(kids.get(p) ?? []));
  }
  return out;
}

/** podman's own processes under a session's root (not conmon, not the command): what a pause stops and a last resort kills. */
export function podmanPidsUnder(root: number, viaSubreaper: boolean): number[] {
  const tops = viaSubreaper ? childrenOf(root).filter((p) => !isConmon(p)) : [root];
  return tops.flatMap(treeOf);
}

/** Sends a signal to processes this agent started (podman's): directly. */
export function signalOwn(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // ended meanwhile
    }
  }
}

/** Sends a signal to a command's processes (subordinate ids when rootless). */
async function signalCommand(deps: ProcDeps, sig: "STOP" | "KILL", pids: number[]): Promise<void> {
  if (pids.length === 0) return;
  if (!deps.rootless) return signalOwn(pids, `SIG${sig}`);
  await deps.runner.run(unshareKillArgs(sig, pids), { timeoutMs: 30_000 }).catch(() => {
    // Some ended meanwhile (kill says so and still signals the rest).
  });
}

/**
 * Ends the session rooted at `root` (the subreaper the agent started): waits
 * (up to 10 s) for its command to be there, freezes and kills it and its
 * descendants, waits (up to 5 s) for podman to end by itself, then kills
 * what of podman is left. `ended()` says when the root has exited.
 */
export async function endSession(deps: ProcDeps, root: number, viaSubreaper: boolean, ended: () => boolean, exited: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let found = false;
  while (viaSubreaper && !ended() && Date.now() < deadline) {
    const pid = execPidUnder(root);
    if (pid !== null) {
      // Frozen first, so nothing forks away between the listing and the kill.
      const frozen = new Set<number>();
      for (let round = 0; round < 5; round++) {
        const fresh = treeOf(pid).filter((p) => !frozen.has(p));
        if (fresh.length === 0) break;
        await signalCommand(deps, "STOP", fresh);
        for (const p of fresh) frozen.add(p);
      }
      await signalCommand(deps, "KILL", [...frozen]);
      found = true;
      break;
    }
    await sleep(25);
  }
  if (viaSubreaper && !found && !ended()) deps.log.warn("an exec's command was not found under its subreaper: ending podman only", { pid: root, children: childrenOf(root).map((c) => cmdlineOf(c)[0] ?? "").join(",") });
  await Promise.race([exited, sleep(5_000)]);
  if (!ended()) signalOwn([...podmanPidsUnder(root, viaSubreaper), root], "SIGKILL");
}

/**
 * Ends the sessions a dead agent left (its `<subreaper> <podman> exec …
 * --detach-keys ""` processes, still running as this user): called at the
 * agent's start, before it serves, when none can be its own. Returns how many.
 */
export async function reapOrphanedExecs(deps: ProcDeps & { uid: number; subreaper?: readonly string[] | null }): Promise<number> {
  const subreaper = deps.subreaper === undefined ? findSubreaper() : deps.subreaper;
  const uid = deps.uid;
  if (!subreaper) return 0;
  const orphans = readdirSync("/proc").filter((name) => {
    if (!/^\d+$/.test(name)) return false;
    const argv = cmdlineOf(Number(name));
    const exec = argv.indexOf("exec");
    const mine = (() => {
      try {
        return statSync(`/proc/${name}`).uid === uid;
      } catch {
        return false;
      }
    })();
    // Owner and argv are not enough: a container's process can have both (rootless, its root is this uid).
    return mine && argv[0] === subreaper[0] && exec > 0 && argv.includes("--detach-keys") && argv[argv.indexOf("--detach-keys") + 1] === "" &&
      inAgentNamespaces(Number(name));
  }).map(Number);
  await Promise.all(orphans.map(async (root) => {
    deps.log.warn("ending an exec a previous agent left running", { pid: root, argv: cmdlineOf(root).slice(subreaper.length).join(" ").slice(0, 200) });
    const gone = () => !existsSync(`/proc/${root}`);
    await endSession(deps, root, true, gone, until(gone, 5_000));
  }));
  return orphans.length;
}
