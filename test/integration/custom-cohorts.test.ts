// Custom cohorts and corrections through the API: they work at once, existing profiles are
// reclassified in the background, the model retrains with them and is swapped in, and a restart
// reuses the retrained model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appDependencies, buildApp } from '../../src/api/app.ts'
import { openRuntime } from '../../src/compose.ts'
import { createTestApp, type TestApp } from '../helpers/app.ts'

let t: TestApp

const PETS = {
  name: 'Pets',
  description: 'People who live with animals: dogs, cats, fish and birds, and their care.',
  terms: ['dog food', 'cat toys', 'puppy training', 'veterinarian', 'aquarium', 'dog grooming', 'kitten adoption', 'bird cage', 'pet insurance', 'dog walking'],
  examples: ['labrador', 'golden retriever', 'siamese cat'],
}

async function cohortsOf(cookie: string): Promise<string[]> {
  const r = await t.user({ cookie })
  return r.body.user_profile.cohorts
}

beforeAll(async () => {
  t = await createTestApp({}, { retrain: true })
  const r = await t.ingest([
    { cookie: 'pet-1', interests: ['golden retriever puppies'] },
    { cookie: 'pet-2', interests: ['dog grooming'] },
    { cookie: 'fan-1', interests: ['Tom Brady'] },
    { cookie: 'chain-1', interests: ['blockchain gaming'] },
  ])
  expect(r.body.records_failed).toBe(0)
})

afterAll(async () => {
  await t.close()
})

describe('custom cohorts', () => {
  it('rejects a cohort with too few seed terms, naming the field', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts', headers: t.auth('admin'), payload: { ...PETS, terms: PETS.terms.slice(0, 9) } })
    expect(r.statusCode).toBe(400)
    expect(r.json().error.message).toContain('terms')
  })

  it('needs the admin scope', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts', headers: t.auth('read'), payload: PETS })
    expect(r.statusCode).toBe(403)
  })

  it('classifies into a new cohort at once and backfills existing profiles', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts', headers: t.auth('admin'), payload: PETS })
    expect(r.statusCode).toBe(201)
    expect(r.json()).toMatchObject({ id: 'coh_pets', name: 'Pets' })
    expect(r.json().seeds).toContain('labrador')

    const classify = await t.app.inject({ method: 'POST', url: '/api/classify', headers: t.auth('read'), payload: { interests: ['dog food', 'tom brady'] } })
    const [dogFood, brady] = classify.json().results
    expect(dogFood.cohorts[0].name).toBe('Pets')
    expect(brady.cohorts[0].name).toBe('Sports')

    await t.runtime.cohorts.reclassifier.idle()
    expect(await cohortsOf('pet-2')).toContain('Pets')
    expect(await cohortsOf('fan-1')).toEqual(['Sports'])
    const members = await t.app.inject({ method: 'GET', url: '/api/cohort/users?cohort=pets', headers: t.auth('read') })
    expect(members.json().users.map((u: { cookie: string }) => u.cookie)).toContain('pet-2')

    // New data classifies into it too, on the request that brings it.
    await t.ingest({ cookie: 'pet-3', interests: ['kitten adoption'] })
    expect(await cohortsOf('pet-3')).toContain('Pets')
  })

  it('refuses a second cohort with the same name', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts', headers: t.auth('admin'), payload: { ...PETS, name: 'pets' } })
    expect(r.statusCode).toBe(409)
  })
})

describe('corrections', () => {
  it('moves an interest to the cohort an admin names, for existing and new profiles', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts/corrections', headers: t.auth('admin'), payload: { interest: 'Blockchain Gaming', cohorts: ['Gaming'] } })
    expect(r.statusCode).toBe(201)
    expect(r.json()).toMatchObject({ interest: 'Blockchain Gaming', cohorts: ['Gaming'] })
    await t.runtime.cohorts.reclassifier.idle()
    expect(await cohortsOf('chain-1')).toEqual(['Gaming'])
    const list = await t.app.inject({ method: 'GET', url: '/api/cohorts/corrections', headers: t.auth('read') })
    expect(list.json()).toEqual([expect.objectContaining({ interest: 'Blockchain Gaming', cohorts: ['Gaming'] })])
  })

  it('takes "no cohort" as an answer', async () => {
    await t.app.inject({ method: 'POST', url: '/api/cohorts/corrections', headers: t.auth('admin'), payload: { interest: 'bird cage', cohorts: [] } })
    await t.ingest({ cookie: 'cage-1', interests: ['bird cage'] })
    expect(await cohortsOf('cage-1')).toEqual([])
  })

  it('names an unknown cohort', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/cohorts/corrections', headers: t.auth('admin'), payload: { interest: 'x games', cohorts: ['Extreme'] } })
    expect(r.statusCode).toBe(400)
    expect(r.json().error.message).toContain('cohorts[0]: no cohort "Extreme"')
  })
})

describe('retraining', () => {
  it('retrains in the background with the custom cohort and corrections, swaps the model in, and a restart reuses it', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/model', headers: t.auth('read') })).json()
    await t.runtime.cohorts.settle()
    const after = (await t.app.inject({ method: 'GET', url: '/api/model', headers: t.auth('read') })).json()
    expect(after).toMatchObject({ up_to_date: true, training: 'idle', training_error: null })
    expect(after.model_version).not.toBe(before.model_version)
    expect(after.reclassify).toMatchObject({ state: 'done' })

    // The retrained model knows Pets from what it learned, not only from seed matching.
    const classify = await t.app.inject({ method: 'POST', url: '/api/classify', headers: t.auth('read'), payload: { interests: ['golden retriever puppies', 'nike shoes', 'blockchain gaming'] } })
    const [pets, nike, chain] = classify.json().results
    expect(pets.cohorts[0].name).toBe('Pets')
    expect(nike.cohorts[0].name).toBe('Fashion')
    expect(chain.cohorts.map((c: { name: string }) => c.name)).toEqual(['Gaming'])
    expect(await cohortsOf('pet-1')).toContain('Pets')

    const restarted = await openRuntime(t.database.config)
    try {
      expect(restarted.cohorts.status()).toMatchObject({ upToDate: true, modelVersion: after.model_version })
      const app = await buildApp(appDependencies(restarted))
      const r = await app.inject({ method: 'GET', url: '/api/user?cookie=pet-1', headers: t.auth('read') })
      expect(r.json().user_profile.cohorts).toContain('Pets')
      await app.close()
    } finally {
      await restarted.close()
    }
  }, 180_000)
})

describe('a new custom cohort before the model has learned it', () => {
  // The README's example, without entity examples: only the ten seed terms.
  const README_PETS = { name: 'Pets', description: 'People who live with animals', terms: PETS.terms }
  const UNRELATED = [
    'running shoes',
    'Tom Brady',
    'Nike shoes',
    'ethereum',
    'sushi',
    'yoga',
    'jazz',
    'mortgage rates',
    'walking shoes',
    'hiking boots',
    'fast food',
    'food delivery',
    'toy story',
    'personal training',
    'car insurance',
    'health insurance',
    'men grooming',
    'cage fighting',
  ]
  const PET_RELATED = ['dog food', 'cat toys', 'puppy training classes', 'dog treats', 'cat litter', 'pet supplies']

  it('takes in by similarity only interests strongly similar to its seed terms', async () => {
    // Retraining off (the default outside the server): the seed-matching classifier serves for as
    // long as the test runs, so nothing depends on when a retrained model would be swapped in.
    const fresh = await createTestApp()
    try {
      const before = await fresh.ingest([{ cookie: 'runner-1', interests: UNRELATED.slice(0, 9) }])
      expect(before.body.records_failed).toBe(0)
      const created = await fresh.app.inject({ method: 'POST', url: '/api/cohorts', headers: fresh.auth('admin'), payload: README_PETS })
      expect(created.statusCode, created.body).toBe(201)
      expect((await fresh.app.inject({ method: 'GET', url: '/api/model', headers: fresh.auth('read') })).json()).toMatchObject({ up_to_date: false })

      const classify = async (interests: string[]) => {
        const r = await fresh.app.inject({ method: 'POST', url: '/api/classify', headers: fresh.auth('read'), payload: { interests } })
        expect(r.statusCode, r.body).toBe(200)
        return (r.json().results as Array<{ cohorts: Array<{ name: string }> }>).map((result, i) => ({ interest: interests[i], cohorts: result.cohorts.map((c) => c.name) }))
      }
      expect((await classify(UNRELATED)).filter((r) => r.cohorts.includes('Pets'))).toEqual([])
      expect((await classify(PET_RELATED)).filter((r) => !r.cohorts.includes('Pets'))).toEqual([])

      // People: one already stored (reclassified in the background), one arriving now.
      await fresh.runtime.cohorts.reclassifier.idle()
      const after = await fresh.ingest([
        { cookie: 'runner-2', interests: UNRELATED.slice(9) },
        { cookie: 'owner-1', interests: ['dog food', 'cat toys'] },
      ])
      expect(after.body.records_failed).toBe(0)
      for (const cookie of ['runner-1', 'runner-2']) expect((await fresh.user({ cookie })).body.user_profile.cohorts).not.toContain('Pets')
      expect((await fresh.user({ cookie: 'owner-1' })).body.user_profile.cohorts).toContain('Pets')
    } finally {
      await fresh.close()
    }
  })
})
