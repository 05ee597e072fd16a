// The snippet's budget and language level: it ships to every visitor as-is, with no build step, so
// its size and the browsers it runs in are settled here. Its behaviour is tested in headless
// Chromium (test/integration/browser-snippet.test.ts).
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const source = readFileSync(new URL('./cdp.js', import.meta.url), 'utf8')

/** Syntax newer than ES2017, found by walking TypeScript's parse of the file. */
function syntaxAfterEs2017(text: string): string[] {
  const file = ts.createSourceFile('cdp.js', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const found: string[] = []
  const at = (node: ts.Node) => `line ${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`
  const visit = (node: ts.Node): void => {
    if (ts.isSpreadAssignment(node)) found.push(`object spread (ES2018), ${at(node)}`)
    if (ts.isCatchClause(node) && !node.variableDeclaration) found.push(`catch without a binding (ES2019), ${at(node)}`)
    if (ts.isPropertyAccessExpression(node) || ts.isCallExpression(node) || ts.isElementAccessExpression(node)) {
      if (node.questionDotToken) found.push(`optional chaining (ES2020), ${at(node)}`)
    }
    if (ts.isBinaryExpression(node)) {
      const operator = node.operatorToken.kind
      if (operator === ts.SyntaxKind.QuestionQuestionToken) found.push(`?? (ES2020), ${at(node)}`)
      if (
        operator === ts.SyntaxKind.QuestionQuestionEqualsToken ||
        operator === ts.SyntaxKind.BarBarEqualsToken ||
        operator === ts.SyntaxKind.AmpersandAmpersandEqualsToken
      ) {
        found.push(`logical assignment (ES2021), ${at(node)}`)
      }
    }
    if (ts.isForOfStatement(node) && node.awaitModifier) found.push(`for await (ES2018), ${at(node)}`)
    if (ts.isBigIntLiteral(node)) found.push(`BigInt literal (ES2020), ${at(node)}`)
    if (ts.isPropertyDeclaration(node) || ts.isPrivateIdentifier(node)) found.push(`class field (ES2022), ${at(node)}`)
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

describe('cdp.js', () => {
  it('stays under 5 KB gzipped', () => {
    const gzipped = gzipSync(Buffer.from(source), { level: 9 }).length
    expect(gzipped).toBeLessThan(5 * 1024)
  })

  it('uses no syntax newer than ES2017', () => {
    expect(syntaxAfterEs2017(source)).toEqual([])
  })

  it('finds newer syntax when there is some', () => {
    expect(syntaxAfterEs2017('const a = { ...b }; try { c() } catch { }; d?.e; f ?? g')).toHaveLength(4)
  })

  it('has no imports or requires (no dependencies)', () => {
    expect(source).not.toMatch(/\bimport\s*[({'"\w]|\brequire\s*\(/)
  })
})
