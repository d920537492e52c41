export declare const TEST_SERVER_VERSION: string
/** Returns the absolute path of an executable that runs the test server, provisioning it when needed; throws with advice. */
export declare function resolveTimeSkippingServer(options?: { log?: (message: string) => void }): Promise<string>
