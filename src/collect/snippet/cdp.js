/*! cdp.js: the CDP browser snippet. Plain ES2017, no dependencies; served as-is at GET /cdp.js. */
// Gives each visitor a random first-party id (cookie, mirrored to localStorage), records page views,
// track and identify calls as Segment-spec messages, and posts them in batches to <host>/v1/batch.
// Messages wait in memory and localStorage until the server takes them, so they survive being
// offline and a reload; when the page is hidden they leave with sendBeacon.
// A tracking snippet must never break the page it runs on: the public calls catch and warn.
/* global window, document, navigator, location, localStorage, history, fetch, Blob, btoa, TextEncoder, setTimeout, clearTimeout */
;(function () {
  'use strict'
  if (window.cdp && window.cdp.VERSION) return // loaded twice

  const VERSION = '1.0.0'
  // Segment's limits: 32 KB per message, 500 KB per batch (we stay under it to leave room for the envelope).
  const MAX_MESSAGE_BYTES = 32 * 1024
  const MAX_BATCH_BYTES = 480 * 1024
  // Browsers refuse beacons once 64 KB of them are in flight for a page.
  const MAX_BEACON_BYTES = 60 * 1024
  // Offline for long, the oldest messages go first rather than filling localStorage.
  const MAX_QUEUED = 1000
  const script = document.currentScript

  let config = null
  let anonymousId = null
  let queue = []
  let sending = null // the promise of the batch in flight
  let timer = null
  let retryDelay = 0
  let lastPage = location.pathname + location.search
  let referrer = document.referrer
  const early = [] // calls made before init, replayed by it

  function warn(message) {
    if (window.console) console.warn('cdp.js: ' + message)
  }

  // localStorage throws when disabled or full; the snippet then keeps to the cookie and memory.
  let storageFailed = false
  function noStorage(error) {
    if (!storageFailed) warn('localStorage unavailable (' + error.name + '); the queue is kept in memory only')
    storageFailed = true
    return null
  }
  function load(key) {
    try {
      return localStorage.getItem(config.cookieName + key)
    } catch (error) {
      return noStorage(error)
    }
  }
  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(config.cookieName + key)
      else localStorage.setItem(config.cookieName + key, value)
    } catch (error) {
      noStorage(error)
    }
  }

  // Only ids we could have made are taken back, so a tampered cookie cannot inject into messages.
  function validId(value) {
    return value && /^[\w-]{8,64}$/.test(value) ? value : null
  }

  function readCookie(name) {
    const parts = document.cookie.split(';')
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i].trim()
      if (part.slice(0, name.length + 1) === name + '=') return part.slice(name.length + 1)
    }
    return null
  }

  function saveId() {
    // Set again on every load: the expiry slides, and a cookie the visitor cleared comes back
    // from the localStorage mirror.
    document.cookie =
      config.cookieName + '=' + anonymousId + '; path=/; max-age=' + Math.round(config.cookieDays * 86400) + '; SameSite=Lax' +
      (config.cookieDomain ? '; domain=' + config.cookieDomain : '') +
      (location.protocol === 'https:' ? '; Secure' : '')
    store('', anonymousId)
  }

  // crypto.randomUUID exists only in secure contexts (https, localhost); plain-http pages build a
  // version 4 UUID from getRandomValues.
  function uuid() {
    const crypto = window.crypto
    if (crypto.randomUUID) return crypto.randomUUID()
    const b = crypto.getRandomValues(new Uint8Array(16))
    b[6] = (b[6] & 15) | 64
    b[8] = (b[8] & 63) | 128
    let text = ''
    for (let i = 0; i < 16; i++) text += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b[i] + 256).toString(16).slice(1)
    return text
  }

  function bytes(text) {
    return new TextEncoder().encode(text).length
  }

  function pageProperties() {
    return { url: location.href, path: location.pathname, referrer: referrer, title: document.title, search: location.search }
  }

  function enqueue(message) {
    message.messageId = 'cdp-' + uuid() // the server drops a messageId it has seen, so retries are safe
    message.anonymousId = anonymousId
    message.timestamp = new Date().toISOString()
    message.context = {
      page: pageProperties(),
      userAgent: navigator.userAgent,
      locale: navigator.language,
      library: { name: 'cdp.js', version: VERSION },
    }
    const size = bytes(JSON.stringify(message))
    if (size > MAX_MESSAGE_BYTES) return warn(message.type + ' message of ' + size + ' bytes is over the 32 KB limit; dropped')
    queue.push(message)
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED)
    saveQueue()
    schedule(config.flushInterval)
  }

  function saveQueue() {
    store('_queue', queue.length ? JSON.stringify(queue) : null)
  }

  function schedule(delay) {
    if (!timer) timer = setTimeout(flush, delay)
  }

  // The first messages of the queue that fit in limit bytes (always at least one).
  function takeBatch(limit) {
    const batch = []
    let total = 0
    for (let i = 0; i < queue.length; i++) {
      total += bytes(JSON.stringify(queue[i])) + 1
      if (batch.length && total > limit) break
      batch.push(queue[i])
    }
    return batch
  }

  function remove(batch) {
    queue = queue.filter(function (message) {
      return batch.indexOf(message) < 0
    })
    saveQueue()
  }

  function flush() {
    clearTimeout(timer)
    timer = null
    if (sending) return sending
    if (!config || !queue.length) return Promise.resolve()
    if (navigator.onLine === false) return Promise.resolve() // the online event flushes
    const batch = takeBatch(MAX_BATCH_BYTES)
    sending = fetch(config.host + '/v1/batch', {
      method: 'POST',
      credentials: 'omit', // the visitor's cookie belongs to the site, not to the CDP's origin
      headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(config.writeKey + ':') },
      body: JSON.stringify({ batch: batch, sentAt: new Date().toISOString() }),
    }).then(
      function (response) {
        return response.status
      },
      function () {
        return 0 // network error, or offline
      },
    ).then(function (status) {
      sending = null
      if (status === 429 || status === 0 || status >= 500) {
        // Kept for a retry with exponential backoff and jitter; the server de-duplicates by messageId.
        retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, 60000)
        schedule(retryDelay / 2 + Math.random() * retryDelay / 2)
        return
      }
      if (status >= 300) warn('the server refused ' + batch.length + ' message(s) with HTTP ' + status + '; dropped')
      retryDelay = 0
      remove(batch)
      if (queue.length) return flush()
    })
    return sending
  }

  // The page is going away (or may be discarded while hidden): hand the queue to the browser.
  // sendBeacon cannot set headers, so the write key rides in the body, and a text/plain Blob
  // avoids a CORS preflight. A message in a fetch still in flight goes again; the server de-duplicates.
  function beacon() {
    if (!config || !queue.length || !navigator.sendBeacon || navigator.onLine === false) return
    while (queue.length) {
      const batch = takeBatch(MAX_BEACON_BYTES)
      const body = JSON.stringify({ batch: batch, sentAt: new Date().toISOString(), writeKey: String(config.writeKey) })
      if (!navigator.sendBeacon(config.host + '/v1/batch', new Blob([body], { type: 'text/plain' }))) break
      remove(batch)
    }
  }

  function pageChanged() {
    const current = location.pathname + location.search
    if (current === lastPage) return
    referrer = location.origin + lastPage
    lastPage = current
    api.page()
  }

  function init(options) {
    if (config) return warn('init was called twice; the second call is ignored')
    if (!options || !options.writeKey) return warn('init needs a writeKey')
    config = Object.assign(
      {
        host: script && script.src ? new URL(script.src).origin : location.origin,
        cookieName: 'cdp_id',
        cookieDays: 365,
        autoPage: true,
        spa: false,
        flushInterval: 1000,
      },
      options,
    )
    config.host = String(config.host).replace(/\/+$/, '')
    anonymousId = validId(readCookie(config.cookieName)) || validId(load('')) || uuid()
    saveId()
    const saved = load('_queue')
    if (saved) {
      try {
        queue = JSON.parse(saved).concat(queue)
      } catch (error) {
        warn('the saved queue was unreadable (' + error.message + '); it is dropped')
      }
    }
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') beacon()
    })
    window.addEventListener('pagehide', beacon)
    window.addEventListener('online', function () {
      retryDelay = 0
      flush()
    })
    if (config.spa) {
      const pushState = history.pushState
      history.pushState = function () {
        const result = pushState.apply(this, arguments)
        pageChanged()
        return result
      }
      window.addEventListener('popstate', pageChanged)
    }
    if (config.autoPage) api.page()
    early.splice(0).forEach(function (call) {
      api[call[0]].apply(null, call[1])
    })
    if (queue.length) schedule(0)
  }

  // Wraps a public call: queued until init, and never throws into the page.
  function publicCall(name, body) {
    return function () {
      if (!config) {
        if (early.length < 100) early.push([name, arguments])
        return
      }
      try {
        body.apply(null, arguments)
      } catch (error) {
        warn(name + ' failed: ' + error.message)
      }
    }
  }

  const api = {
    VERSION: VERSION,
    init: init,
    page: publicCall('page', function (name, properties) {
      if (typeof name === 'object' && name !== null) {
        properties = name
        name = undefined
      }
      const message = { type: 'page', properties: Object.assign(pageProperties(), properties) }
      if (typeof name === 'string') message.name = name
      enqueue(message)
    }),
    track: publicCall('track', function (event, properties) {
      if (typeof event !== 'string' || !event) return warn('track needs an event name')
      enqueue({ type: 'track', event: event, properties: Object.assign({}, properties) })
    }),
    // Links the visitor's cookie to the email (login, registration). The email is not kept in the
    // browser: later messages carry only the cookie id, which the server now knows belongs to it.
    identify: publicCall('identify', function (email, traits) {
      if (typeof email !== 'string' || !email.trim()) return warn('identify needs an email')
      email = email.trim()
      enqueue({ type: 'identify', userId: email, traits: Object.assign({}, traits, { email: email }) })
    }),
    // Logout on a shared device: the next visitor in this browser gets a new id.
    reset: publicCall('reset', function () {
      anonymousId = uuid()
      saveId()
    }),
    anonymousId: function () {
      return anonymousId
    },
    // Sends what is queued now; resolves when that send is done (it may have failed and be retried).
    flush: function () {
      return flush()
    },
  }
  window.cdp = api

  // <script src=".../cdp.js" data-write-key="..." data-host="..." data-spa="true"> configures itself;
  // every data- attribute is an init option (data-cookie-days="30" is cookieDays: 30).
  const data = script && script.dataset
  if (data && data.writeKey) {
    const options = {}
    Object.keys(data).forEach(function (key) {
      const value = data[key]
      options[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) && key !== 'writeKey' ? Number(value) : value
    })
    init(options)
  }
})()
