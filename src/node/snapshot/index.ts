/**
 * Service data snapshots and restores (SPEC §5.8, §7.1): tar.zst via one spawned `tar --zstd`, databases copied with
 * VACUUM INTO, every member of a restored archive checked before extraction, symlinks never followed.
 */
export { applyArchive, DEFAULT_MAX_ARCHIVE_BYTES, restoreService, type ApplyOptions, type RestoreOptions } from "./restore.ts";
export { snapshotService, type SnapshotResult } from "./snapshot.ts";
export { DEFAULT_MAX_ENTRIES, findDatabases } from "./_walk.ts";
export { copyDatabase } from "./_dbcopy.ts";
export { recoverWorkDirs } from "./recover.ts";
