// Phone numbers to E.164 with libphonenumber-js. National numbers need a country to be read.
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js'

/**
 * The E.164 form of `raw`, trying each candidate country for numbers written without "+";
 * null when no reading gives a possible number.
 *
 * isPossible, not isValid: isValid rejects unassigned and fictional ranges such as US 555
 * numbers, yet those are still what the visitor typed and still tell two records apart.
 */
export function toE164(raw: string, candidateCountries: readonly (string | null | undefined)[]): string | null {
  const tried = new Set<string>()
  for (const country of candidateCountries) {
    if (!country || tried.has(country) || !isSupportedCountry(country)) continue
    tried.add(country)
    const parsed = parsePhoneNumberFromString(raw, country as CountryCode)
    if (parsed?.isPossible()) return parsed.number
  }
  if (tried.size === 0) {
    const parsed = parsePhoneNumberFromString(raw)
    if (parsed?.isPossible()) return parsed.number
  }
  return null
}
