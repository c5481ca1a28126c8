export * from "./types.ts";
export { createLocks, type Locks, type Release } from "./lock.ts";
export { deployService, selectComponents, type DeployDeps, type DeployRequest } from "./deploy.ts";
export { restartService, startService, stopService, type LifecycleTarget } from "./lifecycle.ts";
export { containerSpecFor, LABEL_COMPONENT, LABEL_NODE, LABEL_SERVICE, LABEL_SPEC } from "./containers.ts";
export { currentDeployment, planRollback, rollbackService, rollbackTarget, type RollbackRequest } from "./rollback.ts";
export { adoptService, specFromContainer } from "./adopt.ts";
export { ownerOf, type Owner } from "./ownership.ts";
export { syncServices, type SyncRequest } from "./sync.ts";
