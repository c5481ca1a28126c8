/**
 * Support for the operations tests (test/ops/): systemd unit files read and
 * run the way systemd would run them (this machine has no systemd), the
 * fenced shell blocks of the documents, listings of owners, modes and
 * contents, and a root filesystem for a test image.
 */
import { $ } from "bun";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A unit file: its sections, each a list of `key=value` settings in file order. */
export type UnitFile = Map<string, Array<[key: string, value: string]>>;

/** Parses a systemd unit file (comments, sections, `key=value`, backslash continuations). */
export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section = "";
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      if (!unit.has(section)) unit.set(section, []);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`not key=value: ${line}`);
    unit.get(section)?.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** Every value of key in section, in order ([] when absent). */
export function unitValues(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
}

/** Splits a value into words the way systemd does for Exec and Environment lines (double and single quotes). */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of value.matchAll(re)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3]!));
  return words;
}

/** The environment that the unit's Environment= lines give its processes. */
export function unitEnvironment(unit: UnitFile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of unitValues(unit, "Service", "Environment")) {
    for (const word of splitWords(v)) {
      const eq = word.indexOf("=");
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

/** One Exec line: its argv and whether it runs with full privileges ("+": no User=, no NoNewPrivileges=). */
export interface ExecLine {
  privileged: boolean;
  argv: string[];
}

/** The ExecStartPre= or ExecStart= lines of a unit. */
export function unitExec(unit: UnitFile, key: "ExecStartPre" | "ExecStart"): ExecLine[] {
  return unitValues(unit, "Service", key).map((v) => {
    const m = /^([-+!@:]*)(.*)$/.exec(v)!;
    return { privileged: m[1]!.includes("+"), argv: splitWords(m[2]!) };
  });
}

/**
 * The argv that runs one Exec line as systemd would here: only the unit's
 * Environment= (env -i), as User= (runuser) unless privileged, with
 * NoNewPrivileges=true as setpriv --no-new-privs unless privileged. Run it
 * with cwd = WorkingDirectory=. What needs systemd itself (ProtectSystem=,
 * cgroups, KillMode=) is not reproduced.
 */
export function execArgv(unit: UnitFile, line: ExecLine): string[] {
  const env = Object.entries(unitEnvironment(unit)).map(([k, v]) => `${k}=${v}`);
  const base = ["env", "-i", ...env, ...line.argv];
  if (line.privileged) return base;
  const user = unitValues(unit, "Service", "User").at(-1);
  const nnp = unitValues(unit, "Service", "NoNewPrivileges").at(-1) === "true";
  const withNnp = nnp ? ["setpriv", "--no-new-privs", ...base] : base;
  return user ? ["runuser", "-u", user, "--", ...withNnp] : withNnp;
}

/** A fenced code block of a Markdown document and the `<!-- name -->` marker on the line before it, if any. */
export interface DocBlock {
  marker: string | null;
  info: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced code blocks of a Markdown text, in order. */
export function docBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    const prev = start > 0 ? /^<!--\s*(.+?)\s*-->\s*$/.exec(lines[start - 1]!) : null;
    blocks.push({ marker: prev ? prev[1]! : null, info: open[1]!, code: body.join("\n") + "\n", line: start + 1 });
  }
  return blocks;
}

/**
 * One line per file system entry under each path (directories recursively,
 * in name order): path, type, mode, owner and group names, and for files the
 * SHA-256 of the content, for links the target. Entries named in skip (at any
 * depth) are listed but not descended into. Missing paths are listed as such.
 */
export function listTree(paths: string[], skip: string[] = []): string {
  const out: string[] = [];
  const walk = (p: string): void => {
    out.push(describeEntry(p));
    if (!existsSync(p) || !lstatSync(p).isDirectory() || skip.some((s) => p.endsWith(`/${s}`))) return;
    for (const e of readdirSync(p).sort()) walk(join(p, e));
  };
  for (const p of paths) walk(p);
  return out.join("\n") + "\n";
}

/** One path as listTree lists it, without descending. */
export function describeEntry(p: string): string {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return `${p} missing`;
  }
  const names = idNames();
  const owner = `${names.users.get(st.uid) ?? st.uid}:${names.groups.get(st.gid) ?? st.gid}`;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
  if (st.isSymbolicLink()) return `${p} link ${mode} ${owner} -> ${readlinkSync(p)}`;
  if (st.isDirectory()) return `${p} dir ${mode} ${owner}`;
  if (st.isFile()) return `${p} file ${mode} ${owner} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`;
  return `${p} special ${mode} ${owner}`;
}

function idNames(): { users: Map<number, string>; groups: Map<number, string> } {
  const read = (file: string) =>
    new Map(readFileSync(file, "utf8").split("\n").filter((l) => l.includes(":")).map((l) => {
      const f = l.split(":");
      return [Number(f[2]), f[0]!] as [number, string];
    }));
  return { users: read("/etc/passwd"), groups: read("/etc/group") };
}

/**
 * Every descendant of a process (children first found through
 * /proc/<pid>/task/<tid>/children), deepest last. For ending what a shell
 * started: killing the shell alone leaves its children running.
 */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let kids: number[] = [];
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        continue;
      }
      for (const k of kids) {
        out.push(k);
        visit(k);
      }
    }
  };
  visit(pid);
  return out;
}

/** Sends SIGTERM to a process's descendants and then to it, and waits for it to end. */
export async function endProcessTree(proc: { pid: number; exited: Promise<number> }): Promise<void> {
  for (const p of descendantsOf(proc.pid).reverse()) {
    try {
      process.kill(p, "SIGTERM");
    } catch {}
  }
  try {
    process.kill(proc.pid, "SIGTERM");
  } catch {}
  await proc.exited;
}

/** The lines of a colon-separated file (/etc/passwd, /etc/subuid …) whose first field is name. */
export function entriesOf(file: string, name: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.startsWith(`${name}:`)) : [];
}

/**
 * Writes a busybox root filesystem as a tar (PATH-less: import it with
 * `--change 'ENV PATH=/bin'`) into dir, world-readable so that another user
 * can import it. Returns the tar's path. Same content as test/support/image.ts's v1.
 */
export async function writeBusyboxRootfs(dir: string): Promise<string> {
  const root = join(dir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  mkdirSync(join(root, "www"));
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  for (const a of (await $`/bin/busybox --list`.text()).split("\n")) {
    if (a !== "" && a !== "busybox") symlinkSync("busybox", join(root, "bin", a));
  }
  writeFileSync(join(root, "VERSION"), "v1\n");
  writeFileSync(join(root, "www/index.html"), "v1\n");
  const tar = join(dir, "rootfs.tar");
  await $`tar -C ${root} -cf ${tar} .`.quiet();
  chmodSync(dir, 0o755);
  chmodSync(tar, 0o644);
  return tar;
}
