/**
 * The shape of a service definition file (SPEC §2) as written in TOML.
 * Strict: unknown keys are errors, so typos never pass silently. Messages of
 * the checks are written for operators; paths and lines are added by parse.ts.
 */
import * as v from "valibot";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../lib/duration.ts";
import { NAME_RULE, NAME_RULE_TEXT } from "../lib/names.ts";

const quote = (x: unknown) => JSON.stringify(x);

const name = v.pipe(
  v.string(),
  v.regex(NAME_RULE, (i) => `${quote(i.input)} is not a valid name (${NAME_RULE_TEXT})`),
);

const image = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.regex(/^\S*$/, (i) => `${quote(i.input)} must not contain whitespace`),
);

/** Restart policies podman accepts for --restart. */
export const RESTART_POLICY = /^(no|always|on-failure|on-failure:[1-9]\d*|unless-stopped)$/;

const restart = v.pipe(
  v.string(),
  v.regex(RESTART_POLICY, (i) => `${quote(i.input)} is not a restart policy (no, always, on-failure, on-failure:N, unless-stopped)`),
);

const port = v.pipe(
  v.string(),
  v.regex(/^\S+$/, (i) => `${quote(i.input)} is not a port mapping (e.g. "127.0.0.1:8080:80")`),
);

const volume = v.pipe(v.string(), v.minLength(1, "must not be empty"));

const envEntry = v.pipe(
  v.string(),
  v.regex(/^[^=\s]+=/, (i) => `${quote(i.input)} is not KEY=VALUE`),
);

const duration = v.pipe(
  v.string(),
  v.check(isDuration, (i) => `${quote(i.input)} is not a duration (write it as 500ms, 2s, 15m, 24h, 30d)`),
  v.check((s) => !isDuration(s) || parseDuration(s) > 0, "must be longer than 0"),
  v.check((s) => !isDuration(s) || parseDuration(s) <= MAX_TIMER_MS, "must be at most 24d"),
);

/** `[components.health]` as written. */
export const HealthSchema = v.strictObject({
  cmd: v.pipe(v.array(v.string()), v.minLength(1, "must name a command to run")),
  interval: v.optional(duration),
  timeout: v.optional(duration),
  retries: v.optional(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(1, "must be at least 1"), v.maxValue(10_000, "must be at most 10000"))),
});

/** One `[[components]]` entry as written. */
export const ComponentSchema = v.strictObject({
  name,
  image,
  network: v.optional(v.string()),
  user: v.optional(v.string()),
  restart: v.optional(restart),
  ports: v.optional(v.array(port)),
  volumes: v.optional(v.array(volume)),
  cmd: v.optional(v.array(v.string())),
  env: v.optional(v.array(envEntry)),
  health: v.optional(HealthSchema),
});

/** A service definition file as written. */
export const ServiceDefSchema = v.strictObject({
  name,
  node: name,
  active: v.optional(v.boolean()),
  components: v.pipe(v.array(ComponentSchema), v.minLength(1, "at least one [[components]] entry is needed")),
});

/** A service definition file as written, after schema validation. */
export type RawServiceDef = v.InferOutput<typeof ServiceDefSchema>;

/** Health check defaults (SPEC §2). */
export const HEALTH_DEFAULTS = { interval: "2s", timeout: "2s", retries: 15 } as const;
