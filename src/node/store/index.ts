export { openDb, type Db } from "./db.ts";
export * from "./services.ts";
export * from "./deployments.ts";
export * from "./events.ts";
export * from "./tokens.ts";
export * from "./backup.ts";
export { integrityCheck, vacuumInto } from "./sqlite-files.ts";
export * from "./audit.ts";
export * from "./secrets.ts";
