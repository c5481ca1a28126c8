/**
 * Secrets of services (SPEC §7.3): values kept as podman secrets of the
 * agent's (rootless) podman, named so one service never reaches another's;
 * their facts and versions in the registry; what a deploy needs of them.
 */
export { podmanSecretName, runtimeSecrets, SECRET_LABEL_NAME, SECRET_LABEL_SERVICE } from "./naming.ts";
export { assertSecretName, listSecrets, removeSecret, setSecret, type SecretDeps, type SecretFacts } from "./secrets.ts";
export { assertSecretsReady, deployHash } from "./deploy.ts";
