// Where a webhook may send data. A webhook URL is chosen by whoever holds an admin key, but the
// request leaves from the server, inside its network: without a check, a webhook can read a cloud
// metadata service (credentials), the server's own loopback ports, or hosts on a private network
// (server-side request forgery). So by default only public addresses are reached; operators with
// receivers inside their network allow them by name or range (CDP_WEBHOOK_ALLOW_HOSTS,
// CDP_WEBHOOK_ALLOW_PRIVATE).
//
// The URL is checked when a webhook is registered, and each address its host resolves to is checked
// again when the dispatcher connects (dispatcher.ts), so DNS cannot answer one address to the check and
// another to the connection. Pure: no I/O here.
import net from 'node:net'

export type AddressKind = 'public' | 'unspecified' | 'loopback' | 'link-local' | 'private' | 'metadata' | 'multicast' | 'reserved'

export type TargetVerdict = { kind: 'allowed' } | { kind: 'refused'; reason: string }

export interface AllowedNetwork {
  readonly address: string
  readonly prefix: number
  readonly family: 'ipv4' | 'ipv6'
}

export interface WebhookTargetPolicy {
  /** Host names trusted whatever they resolve to; "*.example.internal" matches every subdomain. */
  readonly allowHosts: readonly string[]
  /** Addresses and ranges reached even though they are local, private, reserved or metadata. */
  readonly allowNetworks: readonly AllowedNetwork[]
  /** Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7); not loopback, link-local or metadata. */
  readonly allowPrivate: boolean
}

export const DEFAULT_TARGET_POLICY: WebhookTargetPolicy = Object.freeze({ allowHosts: [], allowNetworks: [], allowPrivate: false })

export const ALLOW_HOSTS_SETTING = 'CDP_WEBHOOK_ALLOW_HOSTS'
export const ALLOW_PRIVATE_SETTING = 'CDP_WEBHOOK_ALLOW_PRIVATE'

// Names that reach this machine or a cloud provider's instance metadata without any DNS record of
// ours: refused as written, before any lookup (their addresses are refused again at connect time).
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'])
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'])

// Metadata endpoints, refused even where their range is allowed (100.100.100.200 sits in CGNAT space,
// fd00:ec2::254 in the IPv6 private range): only an explicit CDP_WEBHOOK_ALLOW_HOSTS entry reaches them.
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
  '169.254.170.2', // AWS ECS task metadata
  '169.254.170.23', // AWS EKS pod identity
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure platform (wire server)
  '192.0.0.192', // Oracle Cloud
  canonicalIpv6('fd00:ec2::254'), // AWS over IPv6
  canonicalIpv6('fd00:ec2::23'), // AWS EKS pod identity over IPv6
])

// Special-purpose ranges (IANA registries), by the kind reported. The first kind that matches wins,
// in this order; an address in none of them is public.
const RANGES: ReadonlyArray<{ kind: Exclude<AddressKind, 'public' | 'metadata'>; family: 'ipv4' | 'ipv6'; networks: readonly string[] }> = [
  { kind: 'unspecified', family: 'ipv4', networks: ['0.0.0.0/8'] },
  { kind: 'unspecified', family: 'ipv6', networks: ['::/128'] },
  { kind: 'loopback', family: 'ipv4', networks: ['127.0.0.0/8'] },
  { kind: 'loopback', family: 'ipv6', networks: ['::1/128'] },
  { kind: 'link-local', family: 'ipv4', networks: ['169.254.0.0/16'] },
  { kind: 'link-local', family: 'ipv6', networks: ['fe80::/10'] },
  { kind: 'private', family: 'ipv4', networks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] },
  // Unique local, the deprecated site-local, and the local-use NAT64 prefix.
  { kind: 'private', family: 'ipv6', networks: ['fc00::/7', 'fec0::/10', '64:ff9b:1::/48'] },
  { kind: 'multicast', family: 'ipv4', networks: ['224.0.0.0/4'] },
  { kind: 'multicast', family: 'ipv6', networks: ['ff00::/8'] },
  // Protocol assignments, documentation, benchmarking, the old 6to4 relay, class E and broadcast.
  {
    kind: 'reserved',
    family: 'ipv4',
    networks: ['192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4'],
  },
  // IPv4-compatible (deprecated), discard, protocol assignments (Teredo among them), documentation.
  { kind: 'reserved', family: 'ipv6', networks: ['::/96', '100::/64', '2001::/23', '2001:db8::/32', '3fff::/20'] },
]

const RANGE_LISTS = RANGES.map((range) => ({ kind: range.kind, family: range.family, list: blockListOf(range.networks.map((n) => parseNetwork(n) as AllowedNetwork)) }))

function blockListOf(networks: readonly AllowedNetwork[]): net.BlockList {
  const list = new net.BlockList()
  for (const n of networks) list.addSubnet(n.address, n.prefix, n.family)
  return list
}

/** "10.0.0.0/8", "fd00::/8" or a single address (a /32 or /128); undefined when it is neither. */
function parseNetwork(text: string): AllowedNetwork | undefined {
  const [address = '', prefixText, ...rest] = text.split('/')
  const version = net.isIP(address)
  if (version === 0 || rest.length > 0) return undefined
  const family = version === 4 ? 'ipv4' : 'ipv6'
  const max = version === 4 ? 32 : 128
  if (prefixText === undefined) return { address, prefix: max, family }
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined
  return { address, prefix: Number(prefixText), family }
}

/** The eight 16-bit groups of a valid IPv6 address, including forms ending in a dotted IPv4. */
function ipv6Groups(address: string): number[] {
  let text = address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const start = head === '' ? [] : head.split(':')
  const end = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? 0 : 8 - start.length - end.length
  return [...start, ...Array<string>(zeros).fill('0'), ...end].map((group) => parseInt(group, 16))
}

function canonicalIpv6(address: string): string {
  return ipv6Groups(address)
    .map((group) => group.toString(16))
    .join(':')
}

/**
 * The IPv4 address an IPv6 one carries and is delivered to: IPv4-mapped (::ffff:a.b.c.d, which a
 * dual-stack socket connects to over IPv4), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address)
  const quad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  const isZero = (from: number, to: number) => g.slice(from, to).every((group) => group === 0)
  if (isZero(0, 5) && g[5] === 0xffff) return quad(g[6] as number, g[7] as number)
  if (g[0] === 0x64 && g[1] === 0xff9b && isZero(2, 6)) return quad(g[6] as number, g[7] as number)
  if (g[0] === 0x2002) return quad(g[1] as number, g[2] as number)
  return undefined
}

/** What kind of destination an IP address is. `address` must be a valid IPv4 or IPv6 address. */
export function classifyAddress(address: string): AddressKind {
  const version = net.isIP(address)
  if (version === 0) throw new Error(`not an IP address: "${address}"`)
  if (version === 6) {
    const inner = embeddedIpv4(address)
    if (inner !== undefined) return classifyAddress(inner)
  }
  if (METADATA_ADDRESSES.has(version === 4 ? address : canonicalIpv6(address))) return 'metadata'
  const family = version === 4 ? 'ipv4' : 'ipv6'
  for (const range of RANGE_LISTS) {
    if (range.family === family && range.list.check(address, family)) return range.kind
  }
  return 'public'
}

const DESCRIPTIONS: Record<AddressKind, string> = {
  public: 'a public address',
  unspecified: 'an unspecified address (it reaches this machine)',
  loopback: 'a loopback address (this machine)',
  'link-local': 'a link-local address',
  private: 'a private-network address',
  metadata: 'a cloud metadata service',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
}

/** A host name as compared: lower case, without the trailing dot of a fully qualified name. */
function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '')
}

/** "receiver.internal,*.svc.cluster.local,10.1.2.3,10.0.0.0/8" → names and networks; throws on a bad entry. */
export function parseAllowedTargets(text: string): { hosts: string[]; networks: AllowedNetwork[] } {
  const hosts: string[] = []
  const networks: AllowedNetwork[] = []
  for (const part of text.split(',')) {
    const entry = part.trim()
    if (entry === '') continue
    const unbracketed = entry.replace(/^\[(.*)\]$/, '$1')
    const network = parseNetwork(unbracketed)
    if (network) {
      networks.push(network)
    } else if (/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(entry)) {
      hosts.push(normalizeHost(entry))
    } else {
      throw new Error(`"${entry}" is neither a host name, an IP address nor a network: write e.g. "receiver.internal", "*.svc.cluster.local", "10.1.2.3" or "10.0.0.0/8", comma-separated`)
    }
  }
  return { hosts, networks }
}

export interface WebhookTargetGuard {
  /** The URL as written: its scheme, credentials, and a host that is an address or a well-known local or metadata name. */
  checkUrl(url: URL): TargetVerdict
  /** One address that `hostname` resolved to, just before connecting to it. */
  checkResolved(hostname: string, address: string): TargetVerdict
}

export function createTargetGuard(policy: WebhookTargetPolicy = DEFAULT_TARGET_POLICY): WebhookTargetGuard {
  const allowedNetworks = blockListOf(policy.allowNetworks)
  const allowedHosts = policy.allowHosts.map(normalizeHost)

  const isAllowedHost = (host: string) => {
    const name = normalizeHost(host)
    return allowedHosts.some((allowed) => (allowed.startsWith('*.') ? name.endsWith(allowed.slice(1)) : name === allowed))
  }

  const isAllowedAddress = (address: string, kind: AddressKind) => {
    if (kind === 'public' || (kind === 'private' && policy.allowPrivate)) return true
    const family = net.isIP(address) === 4 ? 'ipv4' : 'ipv6'
    if (allowedNetworks.check(address, family)) return true
    const inner = family === 'ipv6' ? embeddedIpv4(address) : undefined
    return inner !== undefined && allowedNetworks.check(inner, 'ipv4')
  }

  const refusal = (what: string, kind: AddressKind, allowAs: string): TargetVerdict => {
    const privateHint = kind === 'private' ? `, or ${ALLOW_PRIVATE_SETTING}=true for every private network` : ''
    return {
      kind: 'refused',
      reason:
        `${what} ${DESCRIPTIONS[kind]}: webhooks may not reach local, private or cloud-metadata addresses unless allowed; ` +
        `set ${ALLOW_HOSTS_SETTING}=${allowAs} to allow this receiver${privateHint}`,
    }
  }

  return {
    checkUrl(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return { kind: 'refused', reason: `must use http or https (got "${url.protocol.slice(0, -1)}")` }
      }
      // Credentials in the URL would be shown to anyone who lists webhooks; deliveries are signed instead.
      if (url.username !== '' || url.password !== '') {
        return { kind: 'refused', reason: 'must not contain a user name or password: receivers authenticate deliveries by their x-cdp-signature header' }
      }
      // The WHATWG parser has already turned 2130706433, 0x7f000001 and 0177.0.0.1 into 127.0.0.1.
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      if (isAllowedHost(host)) return { kind: 'allowed' }
      if (net.isIP(host) !== 0) {
        const kind = classifyAddress(host)
        return isAllowedAddress(host, kind) ? { kind: 'allowed' } : refusal(`${host} is`, kind, host)
      }
      const name = normalizeHost(host)
      if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return refusal(`${name} is`, 'loopback', name)
      if (METADATA_NAMES.has(name)) return refusal(`${name} is`, 'metadata', name)
      return { kind: 'allowed' }
    },

    checkResolved(hostname, address) {
      if (isAllowedHost(hostname)) return { kind: 'allowed' }
      const kind = classifyAddress(address)
      if (isAllowedAddress(address, kind)) return { kind: 'allowed' }
      return refusal(`${normalizeHost(hostname)} resolves to ${address},`, kind, normalizeHost(hostname))
    },
  }
}
