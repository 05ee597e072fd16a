// Change-log cursors: opaque to clients (base64url of the change id), so the log's numbering can
// change later without breaking them.

export function encodeChangeCursor(changeId: number): string {
  return Buffer.from(String(changeId), 'utf8').toString('base64url')
}

/** The change id a cursor stands for, or undefined when the text is not a cursor we issued. */
export function decodeChangeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!/^(0|[1-9][0-9]{0,14})$/.test(text)) return undefined
  const changeId = Number(text)
  // The base64url decoder skips characters it does not know; only exact round trips are ours.
  return encodeChangeCursor(changeId) === cursor ? changeId : undefined
}
