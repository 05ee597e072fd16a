import { describe, expect, it } from 'vitest'
import os from 'node:os'
import path from 'node:path'
import { loadConfig, loadDemoConfig } from './config.ts'

describe('CDP_QUALITY_POLICY', () => {
  it('defaults to reject for every source', () => {
    expect(loadConfig({}).qualityPolicies).toEqual({ default: 'reject', bySource: {} })
  })

  it('reads a policy per source', () => {
    expect(loadConfig({ CDP_QUALITY_POLICY: 'crm:drop_field,web:reject' }).qualityPolicies).toEqual({ default: 'reject', bySource: { crm: 'drop_field', web: 'reject' } })
  })

  it('names the variable and what to write when the value is wrong', () => {
    expect(() => loadConfig({ CDP_QUALITY_POLICY: 'crm:keep' })).toThrow(/CDP_QUALITY_POLICY: "crm:keep": the policy must be reject or drop_field/)
  })
})

describe('CDP_INGEST_WORKERS', () => {
  it('defaults to one worker per core but one, and at least one', () => {
    expect(loadConfig({}).ingestWorkers).toBe(Math.max(1, os.availableParallelism() - 1))
  })

  it('takes 0 to prepare every batch on the main thread, and refuses a negative count', () => {
    expect(loadConfig({ CDP_INGEST_WORKERS: '0' }).ingestWorkers).toBe(0)
    expect(() => loadConfig({ CDP_INGEST_WORKERS: '-1' })).toThrow(/CDP_INGEST_WORKERS/)
  })
})

describe('the demo configuration', () => {
  it("uses ./data/demo and allows the demo's local webhook receiver, and only there", () => {
    const demo = loadDemoConfig({})
    expect(demo.dataDir).toBe(path.resolve('./data/demo'))
    expect(demo.webhookTargets.allowNetworks).toEqual([{ address: '127.0.0.1', prefix: 32, family: 'ipv4' }])
    expect(loadConfig({}).webhookTargets).toEqual({ allowHosts: [], allowNetworks: [], allowPrivate: false })
  })

  it("keeps the operator's data dir and webhook targets", () => {
    const demo = loadDemoConfig({ CDP_DATA_DIR: '/tmp/elsewhere', CDP_WEBHOOK_ALLOW_HOSTS: 'receiver.internal' })
    expect(demo.dataDir).toBe('/tmp/elsewhere')
    expect(demo.webhookTargets.allowHosts).toEqual(['receiver.internal'])
    expect(demo.webhookTargets.allowNetworks.map((n) => n.address)).toEqual(['127.0.0.1'])
  })
})
