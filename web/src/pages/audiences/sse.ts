// Reading Server-Sent Events from a streamed response body (the change stream is read with fetch, not
// EventSource, because EventSource cannot send the Authorization header).

/** One Server-Sent Events block: its id, event name and data lines (comments and retry are skipped). */
export function parseEventBlock(block: string): { id?: string; event?: string; data?: string } | undefined {
  const out: { id?: string; event?: string; data?: string } = {}
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const name = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (name === 'id') out.id = value
    else if (name === 'event') out.event = value
    else if (name === 'data') out.data = out.data === undefined ? value : `${out.data}\n${value}`
  }
  return out.data === undefined && out.id === undefined ? undefined : out
}
