/**
 * `mcp logs <service>[/<component>]… [--since D] [-n N] [-f]` (SPEC §7.6):
 * the logs of several targets, maybe on several nodes, merged by time
 * (merge.ts), each line prefixed with its `service/component` when more than
 * one container is shown. Every target is checked before anything is asked.
 */
import { findNode, type CliConfig } from "../../config/index.ts";
import { isDuration, parseDuration } from "../../lib/duration.ts";
import { isMcpError, McpError, messageOf } from "../../lib/errors.ts";
import type { CliIO } from "../../lib/io.ts";
import type { ServiceDef } from "../../model/index.ts";
import type { AgentClient } from "../../rpc/index.ts";
import { loadServiceDef } from "../../servicedef/index.ts";
import { EXIT } from "../boundary.ts";
import { connect, parseTarget, type NodeAnswer } from "../context.ts";
import { reportNodeFailures } from "../report.ts";
import { createReorderBuffer, mergeByTime, REORDER_WINDOW_MS, type MergeLine } from "./merge.ts";

/** What the command line asked for. */
export interface LogsOptions {
  targets: string[];
  /** Lines per component from the end; 0 = all. */
  tail: number;
  follow: boolean;
  /** Unix ms; 0 = no limit. */
  since: number;
}

/** One Logs call: a service (every component) or one component. */
interface LogTarget {
  def: ServiceDef;
  component: string;
}

/** --since: a duration back from now (`10m`), or a time (`2026-11-27T12:00:00Z`, `2026-11-27`); Unix ms. */
export function parseSince(text: string, now: number): number {
  if (isDuration(text)) return now - parseDuration(text, "--since");
  const t = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (!Number.isFinite(t)) {
    throw new McpError("invalid_argument", `--since: "${text}" is neither a duration nor a time`, "for example: --since 10m, --since 2h, --since 2026-11-27T12:00:00Z");
  }
  return t;
}

const COLORS = ["36", "35", "34", "32", "33", "96", "95", "94", "92", "93"];

/** The targets, each service's definition read once; `svc` covers `svc/api`, a target named twice counts once. */
async function resolveTargets(cfg: CliConfig, texts: string[]): Promise<LogTarget[]> {
  if (texts.length === 0) throw new McpError("invalid_argument", "name at least one service", "mcp logs <service>[/<component>] …");
  const parsed = texts.map(parseTarget);
  const defs = new Map<string, ServiceDef>();
  for (const t of parsed) if (!defs.has(t.service)) defs.set(t.service, (await loadServiceDef(cfg.services.dir, t.service)).def);
  const out: LogTarget[] = [];
  for (const t of parsed) {
    const def = defs.get(t.service)!;
    if (t.component && !def.components.some((c) => c.name === t.component)) {
      throw new McpError("invalid_argument", `service ${def.name} has no component "${t.component}"`, `its components: ${def.components.map((c) => c.name).join(", ")}`);
    }
    const whole = parsed.some((x) => x.service === t.service && !x.component);
    if (t.component && whole) continue;
    if (out.some((x) => x.def.name === t.service && x.component === t.component)) continue;
    out.push({ def, component: t.component });
  }
  for (const t of out) findNode(cfg, t.def.node);
  return out;
}

/** Streams the targets' logs to stdout, merged by time; returns the exit status (a target that failed is said on stderr). */
export async function showLogs(io: CliIO, cfg: CliConfig, o: LogsOptions): Promise<number> {
  const targets = await resolveTargets(cfg, o.targets);
  const sources = targets.flatMap((t) => (t.component ? [t.component] : t.def.components.map((c) => c.name)).map((c) => `${t.def.name}/${c}`));
  const width = Math.max(...sources.map((s) => s.length));
  const color = new Map(sources.map((s, i) => [s, COLORS[i % COLORS.length]!]));
  const prefixed = sources.length > 1;
  const print = (l: MergeLine) => {
    if (!prefixed) return io.out(l.data);
    const p = l.source.padEnd(width);
    io.out(`${io.color ? `\x1b[${color.get(l.source) ?? "0"}m${p}\x1b[0m` : p} | ${l.data}`);
  };

  const clients = new Map<string, AgentClient>();
  const clientFor = (node: string) => {
    let c = clients.get(node);
    if (!c) clients.set(node, (c = connect(cfg, findNode(cfg, node))));
    return c;
  };
  // One container alone needs no merge: its lines go out as they come. Without follow the others are gathered, then sorted.
  const buffer = !prefixed ? null : o.follow ? createFollowMerge(print) : { lines: [] as MergeLine[] };
  const take = (l: MergeLine) => {
    if (!buffer) print(l);
    else if ("lines" in buffer) buffer.lines.push(l);
    else buffer.push(l);
  };
  const answers: NodeAnswer<null>[] = [];
  try {
    await Promise.all(targets.map(async (t) => {
      const name = t.component ? `${t.def.name}/${t.component}` : t.def.name;
      try {
        await clientFor(t.def.node).logs({ service: t.def.name, component: t.component, tail: o.tail, follow: o.follow, since: o.since },
          (l) => take({ source: `${t.def.name}/${l.component}`, data: l.data, time: l.time ?? 0 }));
      } catch (err) {
        const e = isMcpError(err) ? err : new McpError("internal", messageOf(err));
        // Naming the node once and the target; the others go on.
        const message = e.message.startsWith("node ") ? `${e.message} (logs of ${name})` : `node ${t.def.node}: logs of ${name}: ${e.message}`;
        const failed: NodeAnswer<null> = { node: t.def.node, ok: false, error: new McpError(e.code, message, e.hint) };
        answers.push(failed);
        // While following, the others may never end: said at once.
        if (o.follow) reportNodeFailures(io, [failed]);
      }
    }));
  } finally {
    if (buffer && "lines" in buffer) for (const l of mergeByTime(buffer.lines)) print(l);
    else buffer?.end();
    for (const c of clients.values()) c.close();
  }
  if (answers.length === 0) return EXIT.ok;
  // Without follow, said after the lines; either way the exit status is the worst error's.
  return o.follow ? reportNodeFailures({ ...io, err: () => {} }, answers) : reportNodeFailures(io, answers);
}

/** The reorder buffer with its timer: lines leave REORDER_WINDOW_MS after they arrive, in time order. */
function createFollowMerge(print: (l: MergeLine) => void) {
  const buf = createReorderBuffer({ windowMs: REORDER_WINDOW_MS, now: () => performance.now(), emit: print });
  let timer: Timer | undefined;
  const arm = () => {
    const due = buf.due();
    if (due === null || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      buf.tick();
      arm();
    }, Math.max(0, due - performance.now()) + 1);
  };
  return {
    push(l: MergeLine) {
      buf.push(l);
      arm();
    },
    end() {
      clearTimeout(timer);
      buf.flush();
    },
  };
}
