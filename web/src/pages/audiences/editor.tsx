// The visual editor of a segment definition: nested all / any / not groups over leaves (fields, traits,
// interests, cohorts with a score, events with counts, windows and property filters, consent, other
// segments). Every control is a native input, select or button, so Tab reaches each and Enter / Space
// operate it; each has a label for screen readers.
import {
  COUNT_OPERATORS,
  DEFAULT_CONSENT_PURPOSES,
  FIELDS,
  fieldOperators,
  INTEREST_OPERATORS,
  isNode,
  type Json,
  LEAF_KINDS,
  moveAt,
  newLeaf,
  type Node,
  NUMBER_FIELDS,
  nodeKind,
  type NodeKind,
  OPERATOR_LABELS,
  type Path,
  PROPERTY_OPERATORS,
  parseTyped,
  setAt,
  valueForOperator,
  valueType,
  type ValueType,
  WINDOW_UNITS,
} from './definition.ts'

export interface EditorContext {
  cohorts: readonly string[]
  segments: ReadonlyArray<{ id: string; name: string }>
  /** The segment being edited, which may not refer to itself. */
  selfId: string | null
}

interface EditorProps {
  root: Json
  onChange(next: Json): void
  context: EditorContext
}

export function ConditionEditor({ root, onChange, context }: EditorProps) {
  const node = isNode(root) ? root : { all: [] }
  const kind = nodeKind(node)
  return (
    <div class="cond-editor">
      <NodeView node={node} path={[]} root={root} onChange={onChange} context={context} />
      {kind !== 'all' && kind !== 'any' ? (
        <button type="button" onClick={() => onChange({ all: [node] })}>
          Put in a group
        </button>
      ) : null}
    </div>
  )
}

interface NodeProps extends EditorProps {
  node: Node
  path: Path
}

function NodeView(props: NodeProps) {
  const kind = nodeKind(props.node)
  if (kind === 'all' || kind === 'any') return <GroupView {...props} kind={kind} />
  if (kind === 'not') return <NotView {...props} />
  return <LeafView {...props} kind={kind} />
}

const pathLabel = (path: Path) => (path.length === 0 ? 'root' : path.join('.'))

function GroupView(props: NodeProps & { kind: 'all' | 'any' }) {
  const { node, path, root, onChange, context, kind } = props
  const children = (node[kind] as Json[]) ?? []
  const set = (next: Json) => onChange(setAt(root, path, next))
  const childContext = { cohorts: context.cohorts, segments: context.segments.map((s) => s.id) }
  const add = (leafKind: NodeKind) => set({ ...node, [kind]: [...children, newLeaf(leafKind, childContext)] })
  return (
    <fieldset class={`cond-group cond-${kind}`} data-path={pathLabel(path)}>
      <legend>
        <label>
          Match{' '}
          <select
            aria-label={`group ${pathLabel(path)}: match`}
            value={kind}
            onChange={(e) => {
              const to = e.currentTarget.value as 'all' | 'any'
              const rest = { ...node }
              delete rest[kind]
              set({ ...rest, [to]: children })
            }}
          >
            <option value="all">all of (AND)</option>
            <option value="any">any of (OR)</option>
          </select>
        </label>
      </legend>
      {children.length === 0 ? <p class="muted">No conditions yet: everyone matches an empty “all”, no one an empty “any”.</p> : null}
      <ol class="cond-children">
        {children.map((child, i) => {
          const childPath = [...path, kind, i]
          return (
            <li key={i}>
              <div class="cond-row">
                {isNode(child) ? <NodeView node={child} path={childPath} root={root} onChange={onChange} context={context} /> : <span>?</span>}
                <RowTools
                  label={`condition ${pathLabel(childPath)}`}
                  canUp={i > 0}
                  canDown={i < children.length - 1}
                  onUp={() => onChange(moveAt(root, [...path, kind], i, -1))}
                  onDown={() => onChange(moveAt(root, [...path, kind], i, 1))}
                  onNot={() => onChange(setAt(root, childPath, { not: child }))}
                  onRemove={() => onChange(setAt(root, childPath, undefined))}
                />
              </div>
            </li>
          )
        })}
      </ol>
      <AddBar label={pathLabel(path)} onAdd={add} />
    </fieldset>
  )
}

function AddBar({ label, onAdd }: { label: string; onAdd(kind: NodeKind): void }) {
  return (
    <div class="cond-add">
      {LEAF_KINDS.map(({ kind, label: text }) => (
        <button key={kind} type="button" aria-label={`add ${text.toLowerCase()} to group ${label}`} onClick={() => onAdd(kind)}>
          + {text}
        </button>
      ))}
      <button type="button" aria-label={`add an any-of group to group ${label}`} onClick={() => onAdd('any')}>
        + Group
      </button>
    </div>
  )
}

function RowTools(props: { label: string; canUp: boolean; canDown: boolean; onUp(): void; onDown(): void; onNot(): void; onRemove(): void }) {
  return (
    <span class="row-tools">
      <button type="button" aria-label={`move ${props.label} up`} disabled={!props.canUp} onClick={props.onUp}>
        ↑
      </button>
      <button type="button" aria-label={`move ${props.label} down`} disabled={!props.canDown} onClick={props.onDown}>
        ↓
      </button>
      <button type="button" aria-label={`negate ${props.label}`} onClick={props.onNot}>
        NOT
      </button>
      <button type="button" class="danger" aria-label={`remove ${props.label}`} onClick={props.onRemove}>
        ✕
      </button>
    </span>
  )
}

function NotView({ node, path, root, onChange, context }: NodeProps) {
  const inner = node.not
  return (
    <div class="cond-not" data-path={pathLabel(path)}>
      <strong>NOT</strong>{' '}
      <button type="button" aria-label={`remove the NOT at ${pathLabel(path)}`} onClick={() => onChange(setAt(root, path, inner ?? {}))}>
        un-negate
      </button>
      {isNode(inner) ? <NodeView node={inner} path={[...path, 'not']} root={root} onChange={onChange} context={context} /> : null}
    </div>
  )
}

function LeafView(props: NodeProps & { kind: NodeKind }) {
  const { node, path, root, onChange, context, kind } = props
  const set = (next: Node) => onChange(setAt(root, path, next))
  const label = pathLabel(path)
  switch (kind) {
    case 'field':
    case 'trait':
      return <FieldLeaf node={node} set={set} label={label} isTrait={kind === 'trait'} />
    case 'interest':
      return (
        <span class="leaf" data-kind="interest">
          <span class="leaf-kind">Interest</span>
          <Select label={`${label} interest operator`} value={String(node.interest)} options={INTEREST_OPERATORS} onChange={(op) => set({ ...node, interest: op })} />
          <TextInput label={`${label} interest text`} value={String(node.value ?? '')} onChange={(value) => set({ ...node, value })} />
        </span>
      )
    case 'cohort':
      return (
        <span class="leaf" data-kind="cohort">
          <span class="leaf-kind">Cohort</span>
          <Select label={`${label} cohort`} value={String(node.cohort)} options={context.cohorts.includes(String(node.cohort)) ? context.cohorts : [String(node.cohort), ...context.cohorts]} onChange={(cohort) => set({ ...node, cohort })} />
          <label class="inline">
            score ≥{' '}
            <input
              type="number"
              aria-label={`${label} minimum score`}
              min={0}
              max={1}
              step={0.05}
              placeholder="any"
              value={typeof node.min_score === 'number' ? node.min_score : ''}
              onInput={(e) => {
                const text = e.currentTarget.value
                const next = { ...node }
                if (text === '') delete next.min_score
                else next.min_score = Number(text)
                set(next)
              }}
            />
          </label>
        </span>
      )
    case 'segment': {
      const others = context.segments.filter((s) => s.id !== context.selfId)
      return (
        <span class="leaf" data-kind="segment">
          <span class="leaf-kind">In segment</span>
          <select aria-label={`${label} segment`} value={String(node.segment)} onChange={(e) => set({ ...node, segment: e.currentTarget.value })}>
            {others.some((s) => s.id === node.segment) ? null : <option value={String(node.segment)}>{String(node.segment) || '(choose)'}</option>}
            {others.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </span>
      )
    }
    case 'event':
      return <EventLeaf node={node} set={set} label={label} />
    case 'consent':
      return (
        <span class="leaf" data-kind="consent">
          <span class="leaf-kind">Consent</span>
          <TextInput label={`${label} consent purpose`} value={String(node.consent ?? '')} list="consent-purposes" onChange={(consent) => set({ ...node, consent })} />
          <select aria-label={`${label} consent state`} value={node.granted === false ? 'false' : 'true'} onChange={(e) => set({ ...node, granted: e.currentTarget.value === 'true' })}>
            <option value="true">granted</option>
            <option value="false">not granted (withdrawn or never given)</option>
          </select>
          <datalist id="consent-purposes">
            {DEFAULT_CONSENT_PURPOSES.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </span>
      )
    default:
      return (
        <span class="leaf" data-kind="unknown">
          <span class="leaf-kind">JSON</span> <code>{JSON.stringify(node)}</code> <span class="muted">(edit it in the JSON view)</span>
        </span>
      )
  }
}

function FieldLeaf({ node, set, label, isTrait }: { node: Node; set(next: Node): void; label: string; isTrait: boolean }) {
  const field = String(node.field)
  const op = String(node.op ?? 'eq')
  const operators = fieldOperators(field)
  const type: ValueType = isTrait ? valueType(node.value) : NUMBER_FIELDS.includes(field) ? 'number' : 'text'
  return (
    <span class="leaf" data-kind={isTrait ? 'trait' : 'field'}>
      <span class="leaf-kind">{isTrait ? 'Trait' : 'Field'}</span>
      {isTrait ? (
        <TextInput label={`${label} trait name`} value={field.slice('trait.'.length)} onChange={(name) => set({ ...node, field: `trait.${name}` })} />
      ) : (
        <Select
          label={`${label} field`}
          value={field}
          options={FIELDS}
          onChange={(next) => {
            const ops = fieldOperators(next)
            const nextOp = ops.includes(op) ? op : (ops[0] ?? 'eq')
            const nextType: ValueType = NUMBER_FIELDS.includes(next) ? 'number' : 'text'
            set({ ...node, field: next, op: nextOp, value: valueForOperator(nextOp, nextType === type ? node.value : undefined, nextType) })
          }}
        />
      )}
      <Select label={`${label} operator`} value={op} options={operators} labels={OPERATOR_LABELS} onChange={(next) => set({ ...node, op: next, value: valueForOperator(next, node.value, type) })} />
      <ValueEditor label={label} op={op} value={node.value} type={type} allowTypeChoice={isTrait} onChange={(value) => set({ ...node, value })} />
    </span>
  )
}

function EventLeaf({ node, set, label }: { node: Node; set(next: Node): void; label: string }) {
  const where = Array.isArray(node.where) ? node.where : []
  const count = isNode(node.count) ? node.count : null
  const window = isNode(node.within_last) ? node.within_last : null
  const without = (key: string) => {
    const next = { ...node }
    delete next[key]
    return next
  }
  return (
    <span class="leaf leaf-event" data-kind="event">
      <span class="leaf-kind">Event</span>
      <TextInput label={`${label} event name`} value={String(node.event ?? '')} list="event-names" onChange={(event) => set({ ...node, event })} />
      <datalist id="event-names">
        {['Page Viewed', 'Product Viewed', 'Add to Cart', 'Order Completed', 'Signed In', 'Screen Viewed'].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <label class="inline">
        <input type="checkbox" aria-label={`${label} limit to a window`} checked={window !== null} onChange={(e) => set(e.currentTarget.checked ? { ...node, within_last: { days: 7 } } : without('within_last'))} /> in the last
      </label>
      {window ? <WindowInput label={`${label} window`} value={window} onChange={(within_last) => set({ ...node, within_last })} /> : null}
      <label class="inline">
        <input type="checkbox" aria-label={`${label} count occurrences`} checked={count !== null} onChange={(e) => set(e.currentTarget.checked ? { ...node, count: { op: 'gte', value: 1 } } : without('count'))} /> count
      </label>
      {count ? (
        <>
          <Select label={`${label} count operator`} value={String(count.op)} options={COUNT_OPERATORS} labels={OPERATOR_LABELS} onChange={(op) => set({ ...node, count: { op, value: valueForOperator(op, count.value, 'number') } })} />
          <ValueEditor label={`${label} count`} op={String(count.op)} value={count.value} type="number" allowTypeChoice={false} onChange={(value) => set({ ...node, count: { ...count, value } })} />
          <span>times</span>
        </>
      ) : (
        <span class="muted">{window ? 'at least once' : 'at least once, ever'}</span>
      )}
      <div class="event-where">
        {where.map((filter, i) => {
          const f = isNode(filter) ? filter : {}
          const fop = String(f.op ?? 'eq')
          const setFilter = (next: Node) => set({ ...node, where: where.map((w, j) => (j === i ? next : w)) })
          return (
            <div class="where-row" key={i}>
              <span>where</span>
              <TextInput label={`${label} property ${i + 1} name`} value={String(f.property ?? '')} onChange={(property) => setFilter({ ...f, property })} />
              <Select label={`${label} property ${i + 1} operator`} value={fop} options={PROPERTY_OPERATORS} labels={OPERATOR_LABELS} onChange={(op) => setFilter({ ...f, op, value: valueForOperator(op, f.value, valueType(f.value)) })} />
              <ValueEditor label={`${label} property ${i + 1}`} op={fop} value={f.value} type={valueType(f.value)} allowTypeChoice onChange={(value) => setFilter({ ...f, value })} />
              <button
                type="button"
                class="danger"
                aria-label={`remove property filter ${i + 1} of ${label}`}
                onClick={() => {
                  const rest = where.filter((_, j) => j !== i)
                  set(rest.length === 0 ? without('where') : { ...node, where: rest })
                }}
              >
                ✕
              </button>
            </div>
          )
        })}
        <button type="button" aria-label={`add a property filter to ${label}`} onClick={() => set({ ...node, where: [...where, { property: 'category', op: 'eq', value: '' }] })}>
          + property filter
        </button>
      </div>
    </span>
  )
}

/** The value box(es) an operator needs: one, two (between), a list (in), yes/no (exists) or a window. */
function ValueEditor(props: { label: string; op: string; value: Json | undefined; type: ValueType; allowTypeChoice: boolean; onChange(value: Json): void }) {
  const { label, op, value, type, allowTypeChoice, onChange } = props
  const typeChoice = allowTypeChoice && op !== 'exists' && op !== 'within_last' && op !== 'before_last' ? (
    <select
      aria-label={`${label} value type`}
      value={type}
      onChange={(e) => {
        const to = e.currentTarget.value as ValueType
        const convert = (v: Json) => parseTyped(String(v), to)
        onChange(Array.isArray(value) ? value.map(convert) : convert(value ?? ''))
      }}
    >
      <option value="text">text</option>
      <option value="number">number</option>
      <option value="boolean">true/false</option>
    </select>
  ) : null
  if (op === 'exists') {
    return (
      <select aria-label={`${label} exists`} value={value === false ? 'false' : 'true'} onChange={(e) => onChange(e.currentTarget.value === 'true')}>
        <option value="true">yes</option>
        <option value="false">no</option>
      </select>
    )
  }
  if (op === 'within_last' || op === 'before_last') {
    return <WindowInput label={`${label} window`} value={isNode(value) ? value : { days: 30 }} onChange={onChange} />
  }
  if (op === 'between') {
    const pair = Array.isArray(value) ? value : [value ?? '', value ?? '']
    return (
      <>
        <ScalarInput label={`${label} low`} value={pair[0]} type={type} onChange={(low) => onChange([low, pair[1] ?? low])} />
        <span>and</span>
        <ScalarInput label={`${label} high`} value={pair[1]} type={type} onChange={(high) => onChange([pair[0] ?? high, high])} />
        {typeChoice}
      </>
    )
  }
  if (op === 'in' || op === 'not_in') {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
    return (
      <>
        <TextInput
          label={`${label} values (comma-separated)`}
          value={list.map(String).join(', ')}
          onChange={(text) =>
            onChange(
              text
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '')
                .map((s) => parseTyped(s, type)),
            )
          }
        />
        {typeChoice}
      </>
    )
  }
  return (
    <>
      <ScalarInput label={`${label} value`} value={value} type={type} onChange={onChange} />
      {typeChoice}
    </>
  )
}

function ScalarInput({ label, value, type, onChange }: { label: string; value: Json | undefined; type: ValueType; onChange(value: Json): void }) {
  if (type === 'boolean') {
    return (
      <select aria-label={label} value={String(value === true)} onChange={(e) => onChange(e.currentTarget.value === 'true')}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    )
  }
  return <TextInput label={label} value={value === undefined || value === null ? '' : String(value)} inputMode={type === 'number' ? 'decimal' : undefined} onChange={(text) => onChange(parseTyped(text, type))} />
}

function WindowInput({ label, value, onChange }: { label: string; value: Node; onChange(value: Node): void }) {
  const unit = WINDOW_UNITS.find((u) => u in value) ?? 'days'
  const amount = value[unit]
  return (
    <>
      <TextInput label={`${label} amount`} value={String(amount ?? '')} inputMode="decimal" size={4} onChange={(text) => onChange({ [unit]: parseTyped(text, 'number') })} />
      <select aria-label={`${label} unit`} value={unit} onChange={(e) => onChange({ [e.currentTarget.value]: amount ?? 1 })}>
        {WINDOW_UNITS.map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </>
  )
}

function Select(props: { label: string; value: string; options: readonly string[]; labels?: Record<string, string>; onChange(value: string): void }) {
  return (
    <select aria-label={props.label} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      {props.options.map((o) => (
        <option key={o} value={o}>
          {props.labels?.[o] ?? o}
        </option>
      ))}
    </select>
  )
}

function TextInput(props: { label: string; value: string; list?: string; size?: number; inputMode?: 'decimal' | 'text'; onChange(value: string): void }) {
  return (
    <input
      type="text"
      aria-label={props.label}
      value={props.value}
      list={props.list}
      size={props.size ?? (props.inputMode === 'decimal' ? 5 : Math.max(6, Math.min(24, props.value.length + 2)))}
      inputMode={props.inputMode}
      onInput={(e) => props.onChange(e.currentTarget.value)}
    />
  )
}

