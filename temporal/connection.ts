/**
 * Connections to Temporal, configured the way every Temporal tool is: `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, `TEMPORAL_PROFILE` / `TEMPORAL_CONFIG_FILE`
 * (read by @temporalio/envconfig), so the same build runs against the local dev server, a self-hosted
 * cluster or Temporal Cloud.
 * @module
 */
import { loadClientConnectConfig } from '@temporalio/envconfig'
import { NativeConnection } from '@temporalio/worker'

export interface TemporalSettings {
  namespace: string
  connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions']
}

export function temporalSettings(): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig()
  return {
    connectionOptions: { ...connectionOptions, address: connectionOptions.address ?? 'localhost:7233' },
    namespace: namespace ?? 'default',
  }
}

export function connectWorker(settings: TemporalSettings = temporalSettings()): Promise<NativeConnection> {
  return NativeConnection.connect(settings.connectionOptions)
}
