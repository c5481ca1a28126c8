/**
 * `mcp import compose` (SPEC §7.9): a compose file → an mcp service
 * definition. Pure mapping (map.ts and its parts) beside the bounded,
 * confined reads of the files it names (read.ts) and the text it writes
 * (render.ts).
 */
export { importCompose, type ComposeImport } from "./map.ts";
export { renderImport } from "./render.ts";
export { COMPOSE_MAX_BYTES, createEnvFileReader, readBounded, readComposeFile, readDotenvVars } from "./read.ts";
export type { DataToCopy, ImportItem, ImportOptions } from "./_context.ts";
export { YAML_LIMITS } from "./_yaml.ts";
export { COMPOSE_HEALTH_DEFAULTS } from "./_health.ts";
export { splitShellWords, parseDotenv, interpolate } from "./_text.ts";
export { composeDurationMs, composeBytes, podmanSize } from "./_units.ts";
