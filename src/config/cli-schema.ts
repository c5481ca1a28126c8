/**
 * The shape of the CLI config file (SPEC §3.1) as written in TOML. Strict:
 * unknown keys are errors. Defaults and path resolution happen in cli-parse.ts.
 */
import * as v from "valibot";
import { NAME_RULE, NAME_RULE_TEXT } from "../lib/names.ts";
import { hostPortProblem, isServerUrl, splitHostPort } from "./_paths.ts";

const name = v.pipe(
  v.string(),
  v.regex(NAME_RULE, (i) => `${JSON.stringify(i.input)} is not a valid name (${NAME_RULE_TEXT})`),
);
const path = v.string();
const address = v.pipe(
  v.string(),
  v.check((s) => splitHostPort(s) !== null, (i) => hostPortProblem(i.input as string)),
);
const httpUrl = v.pipe(
  v.string(),
  v.check(isServerUrl, (i) => `${JSON.stringify(i.input)} is not an https:// URL (http:// only for localhost)`),
);

/** One `[[nodes]]` entry as written. */
export const NodeEntrySchema = v.strictObject({
  name,
  address,
  server_name: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty; leave it out to use the node name"))),
  ca_cert: v.optional(path),
  token_path: v.optional(path),
});

/** The CLI config file as written. */
export const CliConfigSchema = v.strictObject({
  services: v.optional(v.strictObject({ dir: v.optional(path) })),
  auth: v.optional(v.strictObject({ token_path: v.optional(path) })),
  mcias: v.optional(
    v.strictObject({
      server_url: httpUrl,
      service_name: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"))),
      ca_cert: v.optional(path),
    }),
  ),
  tls: v.optional(v.strictObject({ ca_cert: v.optional(path), client_cert: v.optional(path), client_key: v.optional(path) })),
  nodes: v.optional(v.array(NodeEntrySchema)),
});

/** The CLI config file as written, after schema validation. */
export type RawCliConfig = v.InferOutput<typeof CliConfigSchema>;
