import { describe, expect, it } from 'vitest'
import { classifyAddress, createTargetGuard, DEFAULT_TARGET_POLICY, parseAllowedTargets, type WebhookTargetPolicy } from './target.ts'

const strict = createTargetGuard(DEFAULT_TARGET_POLICY)
const verdictOf = (text: string, guard = strict) => guard.checkUrl(new URL(text))
const reasonOf = (text: string, guard = strict) => {
  const verdict = verdictOf(text, guard)
  return verdict.kind === 'refused' ? verdict.reason : undefined
}
const policy = (allow: string, allowPrivate = false): WebhookTargetPolicy => {
  const { hosts, networks } = parseAllowedTargets(allow)
  return { allowHosts: hosts, allowNetworks: networks, allowPrivate }
}

describe('classifyAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:0ec2:0000:0000:0000:0000:0000:0254', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700::1111', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0a00:0001::1', 'private'],
  ])('an IPv6 address carrying an IPv4 one is classified by it: %s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })
})

describe('checkUrl with the default policy', () => {
  it.each([
    'https://crm.example.com/hooks/cdp',
    'http://8.8.8.8/in',
    'http://[2606:4700::1111]:8080/in',
    'https://metadata.example.com/',
    'https://localhost.example.com/',
  ])('allows %s', (url) => {
    expect(verdictOf(url)).toEqual({ kind: 'allowed' })
  })

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata service'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'metadata.google.internal is a cloud metadata service'],
    ['http://metadata.google.internal./computeMetadata/v1/', 'metadata.google.internal is a cloud metadata service'],
    ['http://metadata/computeMetadata/v1/', 'metadata is a cloud metadata service'],
    ['http://instance-data/latest/', 'instance-data is a cloud metadata service'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is a cloud metadata service'],
    ['http://127.0.0.1:8080/', '127.0.0.1 is a loopback address'],
    ['http://127.1.2.3/', '127.1.2.3 is a loopback address'],
    ['http://localhost:8080/', 'localhost is a loopback address'],
    ['http://LOCALHOST./', 'localhost is a loopback address'],
    ['http://api.localhost/', 'api.localhost is a loopback address'],
    ['http://[::1]/', '::1 is a loopback address'],
    ['http://0.0.0.0/', '0.0.0.0 is an unspecified address'],
    ['http://0/', '0.0.0.0 is an unspecified address'],
    ['http://[::]/', ':: is an unspecified address'],
    // The URL parser reads decimal, hex and octal IPv4 forms; the check sees 127.0.0.1.
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://127.1/', '127.0.0.1 is a loopback address'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254 is a cloud metadata service'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe is a cloud metadata service'],
    ['http://10.0.0.5:8080/in', '10.0.0.5 is a private-network address'],
    ['http://172.16.3.4/', '172.16.3.4 is a private-network address'],
    ['http://192.168.0.10/', '192.168.0.10 is a private-network address'],
    ['http://100.64.1.1/', '100.64.1.1 is a private-network address'],
    ['http://[fc00::1]/', 'fc00::1 is a private-network address'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['http://169.254.10.10/', '169.254.10.10 is a link-local address'],
    ['http://224.0.0.251/', '224.0.0.251 is a multicast address'],
    ['http://[ff02::1]/', 'ff02::1 is a multicast address'],
    ['http://255.255.255.255/', '255.255.255.255 is a reserved address'],
  ])('refuses %s', (url, start) => {
    expect(reasonOf(url)).toMatch(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  })

  it('names the setting that allows the host, and the private-network one only for private addresses', () => {
    expect(reasonOf('http://127.0.0.1:8080/')).toContain('set CDP_WEBHOOK_ALLOW_HOSTS=127.0.0.1 to allow this receiver')
    expect(reasonOf('http://127.0.0.1:8080/')).not.toContain('CDP_WEBHOOK_ALLOW_PRIVATE')
    expect(reasonOf('http://10.0.0.5/')).toContain('set CDP_WEBHOOK_ALLOW_HOSTS=10.0.0.5 to allow this receiver, or CDP_WEBHOOK_ALLOW_PRIVATE=true for every private network')
  })

  it('refuses other schemes and credentials in the URL', () => {
    expect(reasonOf('ftp://example.com/x')).toBe('must use http or https (got "ftp")')
    expect(reasonOf('file:///etc/passwd')).toBe('must use http or https (got "file")')
    expect(reasonOf('gopher://example.com/')).toBe('must use http or https (got "gopher")')
    expect(reasonOf('https://user:pass@example.com/')).toMatch(/^must not contain a user name or password/)
    expect(reasonOf('https://user@example.com/')).toMatch(/^must not contain a user name or password/)
  })
})

describe('checkUrl with allowances', () => {
  it('allows listed names, wildcard subdomains, addresses and networks', () => {
    const guard = createTargetGuard(policy('receiver.internal, *.svc.cluster.local, 127.0.0.1, 10.0.0.0/8, fd00::/8'))
    expect(verdictOf('http://receiver.internal/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://RECEIVER.internal./in', guard).kind).toBe('allowed')
    expect(verdictOf('http://hooks.team.svc.cluster.local/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://127.0.0.1:9000/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://2130706433:9000/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://[::ffff:127.0.0.1]/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://10.20.30.40/in', guard).kind).toBe('allowed')
    expect(verdictOf('http://[fd12::1]/in', guard).kind).toBe('allowed')
    // Only what is listed: the bare parent of a wildcard, other loopback addresses and other ranges stay refused.
    expect(verdictOf('http://svc.cluster.local/in', guard).kind).toBe('allowed') // not refused as written: no special name
    expect(verdictOf('http://127.0.0.2/in', guard).kind).toBe('refused')
    expect(verdictOf('http://192.168.1.1/in', guard).kind).toBe('refused')
    expect(verdictOf('http://localhost/in', guard).kind).toBe('refused')
    expect(verdictOf('http://169.254.169.254/in', guard).kind).toBe('refused')
  })

  it('allows private networks with allowPrivate, but not loopback, link-local or metadata', () => {
    const guard = createTargetGuard(policy('', true))
    for (const url of ['http://10.0.0.5/', 'http://172.20.1.1/', 'http://192.168.1.1/', 'http://100.64.0.9/', 'http://[fd12::1]/']) {
      expect(verdictOf(url, guard).kind).toBe('allowed')
    }
    for (const url of ['http://127.0.0.1/', 'http://169.254.1.1/', 'http://169.254.169.254/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/', 'http://0.0.0.0/']) {
      expect(verdictOf(url, guard).kind).toBe('refused')
    }
  })

  it('reaches a metadata address only when it is listed explicitly', () => {
    expect(verdictOf('http://169.254.169.254/', createTargetGuard(policy('169.254.169.254'))).kind).toBe('allowed')
    expect(verdictOf('http://metadata.google.internal/', createTargetGuard(policy('metadata.google.internal'))).kind).toBe('allowed')
  })

  it('never allows another scheme, whatever is listed', () => {
    expect(verdictOf('ftp://receiver.internal/', createTargetGuard(policy('receiver.internal'))).kind).toBe('refused')
  })
})

describe('checkResolved', () => {
  it('refuses a name that resolves to a blocked address, naming both', () => {
    expect(strict.checkResolved('hooks.example.com', '127.0.0.1')).toEqual({
      kind: 'refused',
      reason:
        'hooks.example.com resolves to 127.0.0.1, a loopback address (this machine): webhooks may not reach local, private or cloud-metadata addresses unless allowed; ' +
        'set CDP_WEBHOOK_ALLOW_HOSTS=hooks.example.com to allow this receiver',
    })
    expect(strict.checkResolved('rebind.example.com', '169.254.169.254').kind).toBe('refused')
    expect(strict.checkResolved('rebind.example.com', '::ffff:10.0.0.1').kind).toBe('refused')
    expect(strict.checkResolved('hooks.example.com', '93.184.215.14')).toEqual({ kind: 'allowed' })
  })

  it('allows whatever a listed name resolves to, and listed networks for any name', () => {
    const guard = createTargetGuard(policy('receiver.internal,10.0.0.0/8'))
    expect(guard.checkResolved('receiver.internal', '127.0.0.1').kind).toBe('allowed')
    expect(guard.checkResolved('other.internal', '10.9.9.9').kind).toBe('allowed')
    expect(guard.checkResolved('other.internal', '::ffff:10.9.9.9').kind).toBe('allowed')
    expect(guard.checkResolved('other.internal', '192.168.0.1').kind).toBe('refused')
  })
})

describe('parseAllowedTargets', () => {
  it('splits names from addresses and networks', () => {
    expect(parseAllowedTargets(' receiver.internal ,10.0.0.0/8,,::1, *.svc.local, Hooks.Example.com. ')).toEqual({
      hosts: ['receiver.internal', '*.svc.local', 'hooks.example.com'],
      networks: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ],
    })
  })

  it.each(['10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', 'http://receiver', 'a b', '*.', 'receiver..internal'])('refuses "%s" with an example of what to write', (entry) => {
    expect(() => parseAllowedTargets(entry)).toThrow(/is neither a host name, an IP address nor a network: write e\.g\./)
  })
})
