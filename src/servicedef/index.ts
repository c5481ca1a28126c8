/**
 * Service definition files (SPEC §2): the operator's declared intent, one
 * TOML file per service. Pure parse (TOML → strict schema → normalize →
 * rules) beside thin readers; the names derived from a definition (container
 * names, versions, spec hashes); and the targeted edit behind `mcp stop|start`.
 */
export { setActive } from "./active.ts";
export { canonicalJson, specHash } from "./hash.ts";
export { containerName, isFloatingImage, versionOf } from "./identity.ts";
export { normalizeServiceDef } from "./normalize.ts";
export { parseServiceDef, type ParsedServiceDef } from "./parse.ts";
export { loadServiceDef, readServiceDef, readServiceDefs, serviceDefPath, setActiveInFile } from "./read.ts";
export { serviceDefToToml } from "./render.ts";
export { checkServiceDef, type Remark, type RuleOptions } from "./rules.ts";
export { HEALTH_DEFAULTS, RESERVED_SERVICE_NAMES, RESTART_POLICY, ServiceDefSchema, type RawServiceDef } from "./schema.ts";
export { assertServiceDefValid } from "./wire.ts";
export { envProblem, hasControl, isRedactedEnv, LIMITS, parsePort, parseVolume, redactEnv, type PortMapping, type VolumeMount } from "./fields.ts";
export { writeFileAtomic } from "../config/index.ts";
export { diffComponent, diffService, type SpecChange } from "./diff.ts";
export { componentOrder, findCycle, orderByAfter, serviceOrder } from "./order.ts";
export {
  canonicalCapability, canonicalSignal, CAPABILITIES, MAX_SECRET_BYTES, memoryBytes, parseDevice, SECRET_NAME, SECRET_NAME_TEXT, secretNameProblem,
  type DeviceMapping,
} from "./keys.ts";
