/** Service data snapshots and restores (SPEC §5.8): tar.zst via one spawned `tar --zstd`, databases copied with VACUUM INTO. */
export { findDatabases, restoreService, snapshotService, type SnapshotResult } from "./snapshot.ts";
