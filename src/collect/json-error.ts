// Finds where a JSON text goes wrong. Node 20's JSON.parse often says only "Unexpected token" with
// no position; this scanner, run only after a parse has failed, gives the offset and the reason.

export interface JsonSyntaxError {
  offset: number
  reason: string
}

export function locateJsonError(text: string): JsonSyntaxError | null {
  let i = 0
  const fail = (reason: string): never => {
    throw { offset: i, reason } satisfies JsonSyntaxError
  }
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++
  }
  const describe = () => (i >= text.length ? 'end of input' : `"${text[i]}"`)
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length
    else fail(`unexpected ${describe()}: expected a value`)
  }
  const string = () => {
    i++ // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 34) {
        i++
        return
      }
      if (c === 92) {
        const next = text[i + 1]
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in string')
          i += 6
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2
        else fail('bad escape in string')
      } else if (c < 32) fail('unescaped control character (e.g. a raw newline) in string')
      else i++
    }
    fail('unterminated string')
  }
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m || m[0] === '' || m[0] === '-') fail(`unexpected ${describe()}: expected a value`)
    i += (m as RegExpExecArray)[0].length
  }
  const value = (depth: number): void => {
    if (depth > 512) fail('nesting too deep')
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail(`unexpected ${describe()}: expected a property name in double quotes`)
        string()
        ws()
        if (text[i] !== ':') fail(`unexpected ${describe()}: expected ":" after the property name`)
        i++
        value(depth + 1)
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return
        }
        fail(`unexpected ${describe()}: expected "," or "}"`)
      }
    } else if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      for (;;) {
        value(depth + 1)
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return
        }
        fail(`unexpected ${describe()}: expected "," or "]"`)
      }
    } else if (c === '"') string()
    else if (c === 't') literal('true')
    else if (c === 'f') literal('false')
    else if (c === 'n') literal('null')
    else number()
  }
  try {
    value(0)
    ws()
    if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`)
    return null
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'offset' in error) return error as JsonSyntaxError
    throw error
  }
}
