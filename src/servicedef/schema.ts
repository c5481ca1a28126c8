/**
 * The shape of a service definition file (SPEC §2) as written in TOML.
 * Strict: unknown keys are errors, so typos never pass silently. Messages of
 * the checks are written for operators; paths and lines are added by parse.ts.
 */
import * as v from "valibot";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { NAME_RULE, NAME_RULE_TEXT } from "../lib/names.ts";
import { controlName, envProblem, hasControl, LIMITS, NETWORK_RULE, parsePort, parseVolume, USER_RULE } from "./fields.ts";

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

/** `[components.health]` as written. */
export const HealthSchema = v.strictObject({
  cmd: v.pipe(argv, v.minLength(1, "must name a command to run")),
  interval: v.optional(duration),
  timeout: v.optional(duration),
  retries: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(10_000, "must be at most 10000"))),
});

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
});

/** A service definition file as written. */
export const ServiceDefSchema = v.strictObject({
  name: serviceName,
  node: name,
  active: v.optional(v.boolean()),
  components: v.pipe(list(ComponentSchema, LIMITS.components), v.minLength(1, "at least one [[components]] entry is needed")),
});

/** A service definition file as written, after schema validation. */
export type RawServiceDef = v.InferOutput<typeof ServiceDefSchema>;

/** Health check defaults (SPEC §2). */
export const HEALTH_DEFAULTS = { interval: "2s", timeout: "2s", retries: 15 } as const;
