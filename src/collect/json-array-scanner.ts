// Cuts a top-level JSON array into the texts of its elements as chunks arrive, so a file of any
// size can be read at constant memory. It only tracks strings, escapes and bracket depth; each
// element is then parsed on its own, so one bad element fails alone.

export interface ArrayElementText {
  /** The element's text; '' for an empty slot (`[1,,2]` or a trailing comma). */
  text: string
  /** 1-based line and column (in characters) where the element starts. */
  line: number
  column: number
  /** True when the element was longer than the limit; `text` then holds only its start. */
  oversized: boolean
}

export interface JsonArrayScanner {
  /** Feeds the next chunk; returns the elements it completed. Throws when the text is not an array. */
  push(chunk: string): ArrayElementText[]
  /** Throws when the input ended before the array did. */
  end(): void
}

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d])
const KEPT_OF_OVERSIZED = 1000

export function createJsonArrayScanner(options: { maxElementChars: number }): JsonArrayScanner {
  let state: 'before' | 'inside' | 'after' = 'before'
  let line = 1
  let column = 0
  let depth = 0
  let inString = false
  let escaped = false
  let sawComma = false
  // The element being read: started once its first non-space character is seen.
  let started = false
  let startLine = 0
  let startColumn = 0
  let parts: string[] = []
  let length = 0
  let oversized = false

  function append(piece: string) {
    if (oversized) return
    length += piece.length
    parts.push(piece)
    if (length > options.maxElementChars) {
      oversized = true
      parts = [parts.join('').slice(0, KEPT_OF_OVERSIZED)]
    }
  }

  function take(): ArrayElementText {
    const element = { text: parts.join('').trimEnd(), line: startLine, column: startColumn, oversized }
    started = false
    parts = []
    length = 0
    oversized = false
    return element
  }

  return {
    push(chunk) {
      const completed: ArrayElementText[] = []
      let sliceFrom = 0
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i)
        if (c === 0x0a) {
          line++
          column = 0
        } else if (c < 0xdc00 || c > 0xdfff) {
          column++ // a low surrogate completes a character already counted
        }
        if (state === 'before') {
          if (c === 0x5b) state = 'inside'
          else if (!SPACE.has(c) && c !== 0xfeff) throw new Error(`expected "[" at line ${line}, column ${column}`)
          continue
        }
        if (state === 'after') {
          if (!SPACE.has(c)) throw new Error(`unexpected text after the array's closing "]" at line ${line}, column ${column}`)
          continue
        }
        if (inString) {
          if (escaped) escaped = false
          else if (c === 0x5c) escaped = true
          else if (c === 0x22) inString = false
          continue
        }
        if (depth === 0 && (c === 0x2c || c === 0x5d)) {
          // "," or "]" at the top level ends an element.
          if (started) {
            append(chunk.slice(sliceFrom, i))
            completed.push(take())
          } else if (c === 0x2c || sawComma) {
            completed.push({ text: '', line, column, oversized: false })
          }
          if (c === 0x2c) sawComma = true
          else state = 'after'
          continue
        }
        if (!started) {
          if (SPACE.has(c)) continue
          started = true
          startLine = line
          startColumn = column
          sliceFrom = i
        }
        if (c === 0x22) inString = true
        else if (c === 0x7b || c === 0x5b) depth++
        else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--
      }
      if (started) append(chunk.slice(sliceFrom))
      return completed
    },

    end() {
      if (state === 'before') throw new Error('no JSON array found: the file is empty')
      if (state === 'inside') {
        throw new Error('the file ends inside its JSON array: it is truncated (missing "]") or has unbalanced brackets or quotes')
      }
    },
  }
}
