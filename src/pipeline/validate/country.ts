// Country names and codes → ISO 3166-1 alpha-2, via i18n-iso-countries plus the spellings people use.
// The lookup table is built once at module load, so each record costs one Map lookup.
import countries from 'i18n-iso-countries'

// Informal names and abbreviations the library does not list (keys are folded, see foldCountryKey).
const ALIASES: Record<string, string> = {
  usa: 'US',
  us: 'US',
  america: 'US',
  'united states': 'US',
  'united states of america': 'US',
  'the united states': 'US',
  uk: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  uae: 'AE',
  emirates: 'AE',
  'south korea': 'KR',
  korea: 'KR',
  'north korea': 'KP',
  russia: 'RU',
  holland: 'NL',
  czechia: 'CZ',
  turkey: 'TR',
  vietnam: 'VN',
  'viet nam': 'VN',
  laos: 'LA',
  syria: 'SY',
  moldova: 'MD',
  macedonia: 'MK',
  burma: 'MM',
  swaziland: 'SZ',
  'ivory coast': 'CI',
  'cape verde': 'CV',
  brunei: 'BN',
  vatican: 'VA',
  'vatican city': 'VA',
  palestine: 'PS',
  'hong kong sar': 'HK',
}

// The library's first English name is often the formal one ("United States of America",
// "Russian Federation"); profiles show the name people use.
const DISPLAY_NAMES: Record<string, string> = {
  US: 'United States',
  RU: 'Russia',
  IR: 'Iran',
  TW: 'Taiwan',
  LA: 'Laos',
  MD: 'Moldova',
  SY: 'Syria',
  TZ: 'Tanzania',
  MK: 'North Macedonia',
  FM: 'Micronesia',
  VA: 'Vatican City',
  BN: 'Brunei',
  GM: 'Gambia',
  PS: 'Palestine',
  CZ: 'Czechia',
  TR: 'Turkey',
}

// English first: a name in a later language never overrides an English one.
const NAME_LANGUAGES = ['en', 'es', 'fr', 'de', 'pt', 'it']

/** Case-, accent-, dot- and spacing-insensitive key: "U.S.A." and "usa", "México" and "mexico" meet. */
function foldCountryKey(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\./g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

function buildLookup(): Map<string, string> {
  const lookup = new Map<string, string>()
  // A name two countries share in one language ("Congo") resolves to neither, unless an earlier
  // source (an alias, a code, an English name) already settled it.
  const ambiguous = new Set<string>()
  const add = (key: string, code: string): void => {
    if (!lookup.has(key) && !ambiguous.has(key)) lookup.set(key, code)
  }
  for (const [alias, code] of Object.entries(ALIASES)) add(foldCountryKey(alias), code)
  for (const [alpha3, alpha2] of Object.entries(countries.getAlpha3Codes())) {
    add(alpha3.toLowerCase(), alpha2)
    add(alpha2.toLowerCase(), alpha2)
  }
  for (const language of NAME_LANGUAGES) {
    const codeByName = new Map<string, string | null>()
    for (const [code, names] of Object.entries(countries.getNames(language, { select: 'all' }))) {
      for (const name of names) {
        const key = foldCountryKey(name)
        const known = codeByName.get(key)
        codeByName.set(key, known === undefined || known === code ? code : null)
      }
    }
    for (const [key, code] of codeByName) {
      if (code !== null) add(key, code)
      else if (!lookup.has(key)) ambiguous.add(key)
    }
  }
  return lookup
}

const COUNTRY_BY_KEY = buildLookup()

/** ISO 3166-1 alpha-2 code for a country name, alpha-2 or alpha-3 code; null when unknown. */
export function toCountryCode(text: string): string | null {
  return COUNTRY_BY_KEY.get(foldCountryKey(text)) ?? null
}

/** The English name a profile shows for an alpha-2 code. */
export function countryDisplayName(code: string): string {
  return DISPLAY_NAMES[code] ?? countries.getName(code, 'en') ?? code
}
