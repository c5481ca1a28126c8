/**
 * The shape of a service definition file (SPEC §2) as written in TOML.
 * Strict: unknown keys are errors, so typos never pass silently. Messages of
 * the checks are written for operators; paths and lines are added by parse.ts.
 */
import * as v from "valibot";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { NAME_RULE, NAME_RULE_TEXT } from "../lib/names.ts";
import { controlName, ENV_KEY, envProblem, hasControl, LIMITS, NETWORK_RULE, parsePort, parseVolume, USER_RULE } from "./fields.ts";
import {
  canonicalSignal, capabilityProblem, containerPathProblem, hostnameProblem, httpProbeProblem, labelKeyProblem, memoryProblem,
  parseDevice, secretFileProblem, secretNameProblem, tcpProbeProblem, tmpfsProblem,
} from "./keys.ts";

const quote = (x: unknown) => JSON.stringify(x);

const name = v.pipe(
  v.string(),
  v.regex(NAME_RULE, (i) => `${quote(i.input)} is not a valid name (${NAME_RULE_TEXT})`),
);

/** The service name `mcp` is the agent's own directory under the srv root (SPEC §7.1). */
export const RESERVED_SERVICE_NAMES: readonly string[] = ["mcp"];

const serviceName = v.pipe(
  name,
  v.check((s) => !RESERVED_SERVICE_NAMES.includes(s), (i) => `${quote(i.input)} is reserved (it is the agent's own directory); choose another name`),
);

/** A string without control characters, at most `max` long (`text` allows tab and newline). */
const plain = (max: number, o: { text?: boolean } = {}) =>
  v.pipe(
    v.string(),
    v.maxLength(max, `must be at most ${max} characters`),
    v.check((s) => !hasControl(s, o), (i) => `contains a control character (${controlName(i.input as string, o)})`),
  );

const image = v.pipe(
  plain(LIMITS.short),
  v.minLength(1, "must not be empty"),
  v.regex(/^\S*$/, (i) => `${quote(i.input)} must not contain whitespace`),
);

/** Restart policies podman accepts for --restart. */
export const RESTART_POLICY = /^(no|always|on-failure|on-failure:[1-9]\d{0,5}|unless-stopped)$/;

const restart = v.pipe(
  v.string(),
  v.regex(RESTART_POLICY, (i) => `${quote(i.input)} is not a restart policy (no, always, on-failure, on-failure:N, unless-stopped)`),
);

const port = v.pipe(
  v.string(),
  v.check((s) => typeof parsePort(s) !== "string", (i) => `${quote(i.input)}: ${parsePort(i.input as string) as string}`),
);

const volume = v.pipe(
  v.string(),
  v.check((s) => typeof parseVolume(s) !== "string", (i) => `${quote(String(i.input).slice(0, 200))}: ${parseVolume(i.input as string) as string}`),
);

// The message names the key at most: an env value is never shown (SPEC §7.1).
const envEntry = v.pipe(
  v.string(),
  v.check((s) => envProblem(s) === null, (i) => envProblem(i.input as string)!),
);

const network = v.pipe(
  v.string(),
  v.regex(NETWORK_RULE, (i) => `${quote(String(i.input).slice(0, 200))} is not a network name or mode`),
);

const user = v.pipe(
  v.string(),
  v.regex(USER_RULE, (i) => `${quote(String(i.input).slice(0, 200))} is not user[:group] (names or numbers)`),
);

const list = <T extends v.GenericSchema>(item: T, max: number) => v.pipe(v.array(item), v.maxLength(max, `must have at most ${max} entries`));
const argv = list(plain(LIMITS.text, { text: true }), LIMITS.args);

const duration = v.pipe(
  v.string(),
  v.check(isDuration, (i) => `${quote(i.input)} is not a duration (write it as 500ms, 2s, 15m, 24h, 30d)`),
  v.check((s) => !isDuration(s) || parseDuration(s) > 0, "must be longer than 0"),
  v.check((s) => !isDuration(s) || parseDuration(s) <= MAX_TIMER_MS, "must be at most 24d"),
);

/** A string field checked by one of the grammar functions (a problem sentence, or null). */
const checked = (problem: (s: string) => string | null) =>
  v.pipe(v.string(), v.check((s) => problem(s) === null, (i) => problem(i.input as string) ?? ""));

/** A duration that may be 0 (`0s`), at most `max` ms. */
const durationOrZero = (max: number, maxText: string) => v.pipe(
  v.string(),
  v.check(isDuration, (i) => `${quote(i.input)} is not a duration (write it as 500ms, 2s, 15m, 24h, 30d)`),
  v.check((s) => !isDuration(s) || parseDuration(s) <= max, `must be at most ${maxText}`),
);

/** `[components.health]` as written: exactly one probe (cmd, http or tcp; checked by the rules, which can say where). */
export const HealthSchema = v.strictObject({
  cmd: v.optional(v.pipe(argv, v.minLength(1, "must name a command to run"))),
  http: v.optional(checked(httpProbeProblem)),
  tcp: v.optional(checked(tcpProbeProblem)),
  interval: v.optional(duration),
  timeout: v.optional(duration),
  retries: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(10_000, "must be at most 10000"))),
  start_period: v.optional(durationOrZero(MAX_TIMER_MS, "24d")),
});

/** One `[[components.secrets]]` entry (SPEC §7.3): exactly one of env, file (checked by the rules). */
export const SecretRefSchema = v.strictObject({
  name: checked(secretNameProblem),
  env: v.optional(v.pipe(v.string(), v.regex(ENV_KEY, (i) => `${quote(String(i.input).slice(0, 64))} is not an env variable name (letters, digits, _ . -; not starting with a digit)`))),
  file: v.optional(checked(secretFileProblem)),
});

const LIST_MAX = 64;

/** `[components.labels]`: names checked (mcp.* reserved), values plain text. */
const labelValue = v.pipe(
  v.unknown(),
  // A dotted name unquoted (org.example.x = "…") is a table in TOML: say how to write it.
  v.check((x) => typeof x === "string", "must be a string (quote a label name that has dots: \"org.example.team\" = \"…\")"),
  v.transform((x) => x as string),
  plain(LIMITS.short),
);
const labels = v.pipe(
  v.record(checked(labelKeyProblem), labelValue),
  v.check((o) => Object.keys(o).length <= 256, "must have at most 256 labels"),
);

/** The keys of SPEC §7.2 (all optional; absent keys leave the spec as before). */
const CONTAINER_KEYS = {
  entrypoint: v.optional(argv),
  init: v.optional(v.boolean()),
  stop_signal: v.optional(v.pipe(v.string(), v.check((s) => canonicalSignal(s) !== null, (i) => `${quote(String(i.input).slice(0, 64))} is not a signal name (e.g. SIGINT, SIGTERM, SIGQUIT)`))),
  stop_timeout: v.optional(v.pipe(
    durationOrZero(3_600_000, "1h"),
    v.check((s) => !isDuration(s) || parseDuration(s) % 1000 === 0, "must be whole seconds (podman counts seconds)"),
  )),
  memory: v.optional(checked(memoryProblem)),
  cpus: v.optional(v.pipe(v.number(), v.check((n) => Number.isFinite(n) && n > 0 && n <= 1024, "must be more than 0 and at most 1024"))),
  pids_limit: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.check((n) => n === -1 || (n >= 1 && n <= 4_194_304), "must be -1 (no limit) or 1 to 4194304"))),
  read_only: v.optional(v.boolean()),
  tmpfs: v.optional(list(checked(tmpfsProblem), LIST_MAX)),
  cap_drop: v.optional(list(checked(capabilityProblem), LIST_MAX)),
  cap_add: v.optional(list(checked(capabilityProblem), LIST_MAX)),
  hostname: v.optional(checked(hostnameProblem)),
  workdir: v.optional(checked(containerPathProblem)),
  devices: v.optional(list(checked((s) => { const d = parseDevice(s); return typeof d === "string" ? `${quote(s.slice(0, 200))}: ${d}` : null; }), LIST_MAX)),
  after: v.optional(list(name, LIMITS.components)),
  labels: v.optional(labels),
  secrets: v.optional(list(SecretRefSchema, LIST_MAX)),
};

/** One `[[components]]` entry as written. */
export const ComponentSchema = v.strictObject({
  name,
  image,
  network: v.optional(network),
  user: v.optional(user),
  restart: v.optional(restart),
  ports: v.optional(list(port, LIMITS.ports)),
  volumes: v.optional(list(volume, LIMITS.volumes)),
  cmd: v.optional(argv),
  env: v.optional(list(envEntry, LIMITS.env)),
  health: v.optional(HealthSchema),
  ...CONTAINER_KEYS,
});

/** A service definition file as written. */
export const ServiceDefSchema = v.strictObject({
  name: serviceName,
  node: name,
  active: v.optional(v.boolean()),
  components: v.pipe(list(ComponentSchema, LIMITS.components), v.minLength(1, "at least one [[components]] entry is needed")),
  /** Services `mcp deploy --all` deploys first (SPEC §7.6). */
  after: v.optional(list(serviceName, 256)),
});

/** A service definition file as written, after schema validation. */
export type RawServiceDef = v.InferOutput<typeof ServiceDefSchema>;

/** Health check defaults (SPEC §2). */
export const HEALTH_DEFAULTS = { interval: "2s", timeout: "2s", retries: 15 } as const;
