import { describe, expect, it } from 'vitest'
import { redactUrl } from './log-redaction.ts'

describe('redactUrl', () => {
  it('keeps the path and non-personal parameters, and redacts every other value', () => {
    expect(redactUrl('/api/user?email=jane%40example.com')).toBe('/api/user?email=[redacted]')
    expect(redactUrl('/api/user?cookie=abc&consent_history=1')).toBe('/api/user?cookie=[redacted]&consent_history=1')
    expect(redactUrl('/api/raw?status=rejected&limit=10&after_id=5&reason=bad_email')).toBe('/api/raw?status=rejected&limit=10&after_id=5&reason=[redacted]')
    expect(redactUrl('/api/user?phone=%2B14155550134&user_id=u1&device_id=d&identifier=x&anonymous_id=a&raw_value=bob%40')).toBe(
      '/api/user?phone=[redacted]&user_id=[redacted]&device_id=[redacted]&identifier=[redacted]&anonymous_id=[redacted]&raw_value=[redacted]',
    )
  })

  it('redacts a parameter whose name is not a plain name, and leaves URLs without a query alone', () => {
    expect(redactUrl('/api/user?jane%40example.com')).toBe('/api/user?[redacted]')
    expect(redactUrl('/api/user?%E0%A4%A=1')).toBe('/api/user?[redacted]')
    expect(redactUrl('/api/segments/seg_1/users')).toBe('/api/segments/seg_1/users')
    expect(redactUrl('/api/user?')).toBe('/api/user?')
  })
})
