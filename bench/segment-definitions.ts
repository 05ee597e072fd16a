// The 50 segment definitions of the segment benchmark.
/** 50 definitions of the kinds marketers write: demographics, places, cohorts, interests, money, recency, nesting. */
export function fiftySegments(): Array<{ name: string; conditions: unknown }> {
  const out: Array<{ name: string; conditions: unknown }> = []
  const cohorts = ['Sports', 'Fashion', 'Technology', 'Finance', 'Entertainment', 'Travel', 'Food & Drink', 'Health & Fitness', 'Automotive', 'Gaming']
  const states = ['New York', 'TX', 'England', 'Ontario', 'Tokyo']
  for (let i = 0; i < 10; i++) {
    const lo = 18 + i * 5
    out.push({ name: `${cohorts[i]} ${lo}-${lo + 9}`, conditions: { all: [{ cohort: cohorts[i] }, { field: 'age', op: 'between', value: [lo, lo + 9] }] } })
  }
  for (let i = 0; i < 10; i++) {
    out.push({ name: `women in ${states[i % 5]} ${i}`, conditions: { all: [{ field: 'gender', op: 'in', value: ['female', 'f'] }, { field: 'state', op: 'eq', value: states[i % 5] }, { field: 'age', op: 'gte', value: 20 + i }] } })
  }
  for (let i = 0; i < 10; i++) {
    out.push({ name: `${cohorts[i]} with income ${50 + i * 10}k+`, conditions: { all: [{ cohort: cohorts[i], min_score: 0.5 }, { field: 'income', op: 'gte', value: `$${50 + i * 10}k` }] } })
  }
  const interests = ['shoe', 'tom', 'pizza', 'bitcoin', 'trip', 'yoga', 'tesla', 'garden', 'course', 'chess']
  for (let i = 0; i < 10; i++) {
    out.push({ name: `interest ${interests[i]} with email`, conditions: { all: [{ interest: 'contains', value: interests[i] }, { field: 'email', op: 'exists', value: true }] } })
  }
  for (let i = 0; i < 10; i++) {
    out.push({
      name: `mixed ${i}`,
      conditions: {
        any: [
          { all: [{ cohort: cohorts[i] }, { cohort: cohorts[(i + 3) % 10] }] },
          { all: [{ field: 'country_code', op: 'in', value: ['GB', 'DE', 'FR'] }, { not: { field: 'education', op: 'eq', value: 'PhD' } }, { field: 'last_seen', op: 'within_last', value: { days: 30 + i } }] },
        ],
      },
    })
  }
  return out
}
