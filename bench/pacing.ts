// How close the pacer gets to the configured rate without ever exceeding it, against the fake Exotel, which admits
// at most `rate` connect.json requests in any sliding window and counts every request over it as a violation.
//
//   node --import tsx bench/pacing.ts                                 # 200 per 10 s window, 10 windows (~100 s)
//   node --import tsx bench/pacing.ts --window-ms 60000 --windows 3   # Exotel's real 200 per minute (~3 min)
//
// The pacer's and the fake's limits are both "at most N starts in any span of W ms", so 200 per 10 s exercises the
// same code and the same edge cases as 200 per 60 s, six times faster; only the guard (W / 200) scales with W.
//
// The run places rate × (windows + 1) calls: the first window is a start-up burst the limit allows, the rest is the
// steady state. Achieved rate, on the fake's arrival times t (sorted): for every request i after the first window,
// the gap t[i + rate] − t[i] is how long it took to get `rate` more calls through, which the limit says may not be
// under one window. achieved per window = rate × window ÷ mean gap; achieved ÷ configured = window ÷ mean gap.
// A perfect pacer scores 1.0; this one's design target is window ÷ (window + guard) = 0.995.
import { parseArgs } from 'node:util';
import { Pacer } from '../src/engine/pacer.js';
import { ExotelClient } from '../src/exotel/exotel-client.js';
import { startFakeExotel } from '../test/fakes/fake-exotel.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    'window-ms': { type: 'string', default: '10000' },
    windows: { type: 'string', default: '10' },
    'max-in-flight': { type: 'string', default: '10' },
    'latency-ms': { type: 'string', default: '5-60' },
    'guard-ms': { type: 'string' },
    'no-warmup': { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const windowMs = Number(values['window-ms']);
const windows = Number(values.windows);
const maxInFlight = Number(values['max-in-flight']);
const [latMin, latMax = latMin] = values['latency-ms'].split('-').map(Number) as [number, number?];

const fake = await startFakeExotel({ callsPerMinute: rate, windowMs, latencyMs: [latMin, latMax!], callbackDelayMs: [10, 50] });
const client = new ExotelClient({ baseUrl: fake.url, accountSid: fake.accountSid, apiKey: fake.apiKey, apiToken: fake.apiToken, maxConnections: maxInFlight });
const pacer = new Pacer({ callsPerMinute: rate, windowMs, maxInFlight, ...(values['guard-ms'] ? { guardMs: Number(values['guard-ms']) } : {}) });
const guardMs = values['guard-ms'] ? Number(values['guard-ms']) : windowMs / 200;

console.log(
  `pacing: ${rate} per ${windowMs} ms window (guard ${guardMs} ms), ${windows} windows after the first, max ${maxInFlight} in flight, ` +
    `fake latency ${latMin}-${latMax} ms, warm-up ${values['no-warmup'] ? 'off' : 'on'}`,
);
if (!values['no-warmup']) {
  // One call-details request (not rate limited): the first request of a process pays for loading undici's code
  // paths, tens of ms, which only the first request of the run ever pays (see BENCHMARKS.md).
  await client.getCall('warmup').catch(() => {});
}

// The engine's pattern (CampaignRun): wait for a permit, send without waiting for the answer, release on the answer.
const started = Date.now();
const total = rate * (windows + 1);
const inflight = new Set<Promise<void>>();
let errors = 0;
const grants = new Map<string, number>();
for (let n = 1; n <= total; n++) {
  const permit = await pacer.acquire();
  grants.set(`+9198${String(n).padStart(8, '0')}`, Date.now());
  const phone = `+9198${String(n).padStart(8, '0')}`;
  const call = client
    .placeCall({ from: phone, callerId: '08047112345', flowUrl: 'http://my.exotel.com/ACfake/exoml/start_voice/1' })
    .then(
      () => pacer.noteSuccess(),
      (error: unknown) => {
        errors += 1;
        if ((error as { status?: number }).status === 429) pacer.holdFor((error as { retryAfterMs?: number }).retryAfterMs);
      },
    )
    .finally(() => {
      permit.release();
      inflight.delete(call);
    });
  inflight.add(call);
}
await Promise.allSettled([...inflight]);
pacer.close();

// Arrival times at the fake, the clock its limit is enforced on. The limit says request i + rate may not arrive
// within one window of request i; a pacer that wastes nothing makes that gap exactly one window.
const connects = fake.requests.filter((r) => r.path.endsWith('/Calls/connect.json'));
const admitted = connects.filter((r) => r.outcome === 'placed').map((r) => r.at.getTime()).sort((a, b) => a - b);
const gaps: number[] = [];
for (let i = rate; i + rate < admitted.length; i++) gaps.push(admitted[i + rate]! - admitted[i]!);
const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
const perWindow = (rate * windowMs) / meanGap;

// The busiest span of one window anywhere in the run (must not exceed the rate).
let busiest = 0;
for (let i = 0, j = 0; i < admitted.length; i++) {
  while (admitted[i]! - admitted[j]! >= windowMs) j++;
  busiest = Math.max(busiest, i - j + 1);
}
// Where the limit was broken, and why: how late each request reached the fake after its permit was granted.
const admittedReqs = connects.filter((r) => r.outcome === 'placed');
const lateness = (r: (typeof connects)[number]) => r.at.getTime() - grants.get(r.form['From']!)!;
const brokenAt = connects
  .filter((r) => r.outcome === 'rate-limited')
  .map((r) => {
    const earlier = admittedReqs.filter((a) => a.at.getTime() > r.at.getTime() - windowMs && a.at.getTime() <= r.at.getTime())[0]!;
    return { at_ms: r.at.getTime() - admitted[0]!, late_ms: lateness(r), oldest_in_window_late_ms: lateness(earlier) };
  });
if (brokenAt.length > 0) console.log('violations (arrival after first request, lateness of the request and of the oldest in its window):', brokenAt);
const lateAll = admittedReqs.map(lateness).sort((a, b) => a - b);
const p = (q: number) => lateAll[Math.min(lateAll.length - 1, Math.floor(q * lateAll.length))]!;

const rejected = fake.requests.filter((r) => r.status === 429).length;

const result = {
  configured: `${rate} per ${windowMs} ms`,
  run_s: Number(((Date.now() - started) / 1000).toFixed(1)),
  requests: fake.requests.length,
  admitted: admitted.length,
  steady_state_gaps: gaps.length,
  mean_gap_ms: Number(meanGap.toFixed(1)),
  min_gap_ms: Math.min(...gaps),
  max_gap_ms: Math.max(...gaps),
  achieved_per_window: Number(perWindow.toFixed(2)),
  achieved_over_configured: Number((perWindow / rate).toFixed(4)),
  busiest_window: busiest,
  violations: fake.violations,
  http_429: rejected,
  client_errors: errors,
  max_in_flight_seen: fake.maxInFlight,
  grant_to_arrival_ms_p50_p99_max: `${p(0.5)} / ${p(0.99)} / ${lateAll[lateAll.length - 1]}`,
};
console.table(result);
console.log(JSON.stringify(result));
await client.close();
await fake.close();
process.exitCode = fake.violations === 0 && perWindow / rate >= 0.98 ? 0 : 1;
