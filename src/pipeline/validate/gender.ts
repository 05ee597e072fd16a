// A small gender vocabulary so segments can count reliably; anything else is kept as the person wrote it.

const CANONICAL_GENDER = new Map<string, string>([
  ['male', 'male'], ['m', 'male'], ['man', 'male'], ['boy', 'male'], ['masculine', 'male'],
  ['female', 'female'], ['f', 'female'], ['woman', 'female'], ['girl', 'female'], ['feminine', 'female'],
  ['non-binary', 'non-binary'], ['nonbinary', 'non-binary'], ['non binary', 'non-binary'], ['nb', 'non-binary'],
  ['enby', 'non-binary'], ['genderqueer', 'non-binary'],
  ['other', 'other'], ['o', 'other'],
  ['unknown', 'unknown'], ['u', 'unknown'], ['prefer not to say', 'unknown'], ['undisclosed', 'unknown'],
  ['not specified', 'unknown'], ['unspecified', 'unknown'],
])

/** `text` is already whitespace-collapsed. */
export function normalizeGender(text: string): string {
  return CANONICAL_GENDER.get(text.toLowerCase()) ?? text
}
