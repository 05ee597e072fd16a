// `cdp start`: the server.
import { appDependencies, buildApp } from '../api/app.ts'
import { ensureBootstrapKey } from '../api/auth.ts'
import type { Config } from '../config.ts'
import { openRuntime } from '../compose.ts'

export async function startServer(config: Config): Promise<void> {
  const runtime = await openRuntime(config, { retrain: true, background: true, log: (message) => process.stdout.write(`${message}\n`) })
  // CDP_ADMIN_KEY is the operator's own: storing it early is harmless, and it must work from the
  // first request. A generated key is shown only once, so it is made only after the server listens:
  // a start that fails (port taken, bad config) must leave none behind, or the next start would
  // print nothing and leave the operator without any key.
  if (config.adminKey) await ensureBootstrapKey(runtime.store, config.adminKey)
  const app = await buildApp(appDependencies(runtime))
  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    try {
      // close() waits for in-flight requests, so every acknowledged batch is committed before exit.
      await app.close()
      await runtime.close()
    } catch (error) {
      app.log.error({ err: error }, 'shutting down failed')
      process.exit(1)
    }
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  // PORT=0 picks a free port; the line below names the one in use.
  let address: string
  try {
    address = await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await app.close()
    await runtime.close()
    throw error
  }
  const generated = config.adminKey ? undefined : await ensureBootstrapKey(runtime.store, undefined)
  if (generated) {
    // To the terminal (stderr), not into the JSON log on stdout, which log collectors keep and ship.
    process.stderr.write(
      `\nCreated the first API key (all scopes). It is shown only this once; keep it safe:\n\n    ${generated}\n\n` +
        'Set CDP_ADMIN_KEY to choose your own, or create more with `cdp keys create --scopes read`.\n\n',
    )
  }
  // Statistics may be missing (a restored database, PostgreSQL without autovacuum); refreshing them
  // runs in the background and never delays start.
  runtime.store.optimize().catch((error: unknown) => app.log.warn({ err: error }, 'refreshing planner statistics failed'))
  const storage = config.storage.kind === 'sqlite' ? `SQLite at ${config.storage.file}` : 'PostgreSQL'
  process.stdout.write(`CDP listening on ${address} (${storage}); API docs at /docs\n`)
}
