/**
 * The shape of the agent config file (SPEC §3.2) as written in TOML. Strict:
 * unknown keys are errors. Defaults, environment overrides and path
 * resolution happen in agent-parse.ts; the environment override types are
 * read from this schema, so a new key is overridable without more code.
 */
import * as v from "valibot";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { isSize, parseSize } from "../lib/size.ts";
import { NAME_RULE, NAME_RULE_TEXT } from "../lib/names.ts";
import { hostPortProblem, isServerUrl, splitHostPort } from "./_paths.ts";
import { MetricsSchema, NotifySchema, PruneSchema } from "./_agent-ops.ts";

const nonEmpty = v.pipe(v.string(), v.minLength(1, "must not be empty"));
const duration = v.pipe(
  v.string(),
  v.check(isDuration, (i) => `${JSON.stringify(i.input)} is not a duration (write it as 500ms, 2s, 15m, 24h, 30d)`),
);
const size = v.pipe(
  v.string(),
  v.check(isSize, (i) => `${JSON.stringify(i.input)} is not a size (write it as 512MiB, 4GiB or plain bytes)`),
  v.check((s) => !isSize(s) || parseSize(s) > 0, "must be larger than 0"),
);
/** A duration mcp waits on with a timer: at most 24 days (longer timers fire at once). */
const timer = v.pipe(
  duration,
  v.check((s) => !isDuration(s) || parseDuration(s) <= MAX_TIMER_MS, "must be at most 24d (it is waited on with a timer)"),
);
const positiveTimer = v.pipe(
  timer,
  v.check((s) => !isDuration(s) || parseDuration(s) > 0, "must be longer than 0"),
);
const positiveDuration = v.pipe(
  duration,
  v.check((s) => !isDuration(s) || parseDuration(s) > 0, "must be longer than 0"),
);
const name = v.pipe(
  v.string(),
  v.regex(NAME_RULE, (i) => `${JSON.stringify(i.input)} is not a valid name (${NAME_RULE_TEXT})`),
);
const listen = v.pipe(
  v.string(),
  v.check((s) => splitHostPort(s, { allowZero: true }) !== null, (i) => hostPortProblem(i.input as string)),
);
const serverUrl = v.pipe(
  v.string(),
  v.check(isServerUrl, (i) => `${JSON.stringify(i.input)} is not an https:// URL (http:// only for localhost)`),
);

/** The agent config file as written. `server`, `agent` and `database` are required. */
export const AgentConfigSchema = v.strictObject({
  server: v.strictObject({
    listen,
    tls_cert: nonEmpty,
    tls_key: nonEmpty,
    client_ca: v.optional(v.string()),
  }),
  agent: v.strictObject({
    node_name: name,
    srv_root: v.optional(nonEmpty),
    runtime: v.optional(v.picklist(["podman"])),
    // An extension of SPEC §3.2: the podman binary, a name looked up in PATH or a path.
    podman: v.optional(nonEmpty),
    stop_timeout: v.optional(timer),
    podman_timeout: v.optional(positiveTimer),
    pull_timeout: v.optional(positiveTimer),
    lock_wait: v.optional(timer),
    max_transfer: v.optional(size),
  }),
  database: v.strictObject({ path: nonEmpty }),
  auth: v.optional(v.strictObject({ mode: v.optional(v.picklist(["local", "mcias"])) })),
  mcias: v.optional(
    v.strictObject({
      server_url: serverUrl,
      ca_cert: v.optional(v.string()),
      cache_ttl: v.optional(duration),
    }),
  ),
  monitor: v.optional(
    v.strictObject({
      resync: v.optional(positiveTimer),
      alert_command: v.optional(v.array(v.string())),
      cooldown: v.optional(timer),
      flap_threshold: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(1_000_000, "must be at most 1000000"))),
      flap_window: v.optional(positiveDuration),
      retention: v.optional(positiveDuration),
      reconcile: v.optional(v.boolean()),
      drift_grace: v.optional(timer),
      on_boot: v.optional(v.picklist(["start", "alert"])),
      min_probe_interval: v.optional(timer),
    }),
  ),
  registries: v.optional(
    v.array(v.strictObject({ host: nonEmpty, username: nonEmpty, password_file: nonEmpty, ca_cert: v.optional(nonEmpty) })),
  ),
  policy: v.optional(
    v.strictObject({
      host_paths: v.optional(v.array(v.pipe(v.string(), v.regex(/^\//, (i) => `${JSON.stringify(i.input)} is not an absolute path`)))),
      host_network: v.optional(v.boolean()),
      devices: v.optional(v.array(v.pipe(v.string(), v.regex(/^\/dev\//, (i) => `${JSON.stringify(i.input)} is not a device path (/dev/…)`)))),
      capabilities: v.optional(v.array(v.pipe(v.string(), v.regex(/^(CAP_)?[A-Za-z_]{2,32}$/, (i) => `${JSON.stringify(String(i.input).slice(0, 64))} is not a capability name (e.g. NET_ADMIN, or ALL)`)))),
      max_archive_bytes: v.optional(size),
    }),
  ),
  log: v.optional(v.strictObject({ level: v.optional(v.picklist(["debug", "info", "warn", "error"])) })),
  prune: v.optional(PruneSchema),
  metrics: v.optional(MetricsSchema),
  notify: v.optional(v.array(NotifySchema)),
});

/** The agent config file as written, after schema validation. */
export type RawAgentConfig = v.InferOutput<typeof AgentConfigSchema>;

/** The sections every agent config must have (they hold required keys). */
export const REQUIRED_SECTIONS = ["server", "agent", "database"] as const;
