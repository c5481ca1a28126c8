/** Files under a service's directory: confined paths, atomic pushes, streamed pulls (SPEC §5.7). */
export { checkRelativePath, isKeyMaterial, modeFor } from "./paths.ts";
export { receiveFile, sendFile, writeChunks, type ReceiveOptions } from "./files.ts";
