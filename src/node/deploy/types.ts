/** The results of the node's operations: the shared vocabulary in src/model/, re-exported for the node's code. */
export type { ComponentResult, DeployOutcome, Progress, ResultStatus, SyncChange } from "../../model/index.ts";
