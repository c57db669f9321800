/**
 * A local HTTP receiver that takes alerts the way Falcosidekick's `POST /` does
 * (falcosecurity/falcosidekick handlers.go mainHandler + types/types.go): a POST
 * with a body that decodes into FalcoPayload — output, rule, source, hostname,
 * uuid strings; priority a string; time an RFC 3339 time; output_fields an object;
 * tags an array of strings — and passes FalcoPayload.Check(): a known priority
 * (case-insensitive, "info" too), a non-empty rule, a non-zero time, a non-empty
 * output_fields. Anything else gets 400, as Falcosidekick answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** types/priority.go: the names Priority() maps to a non-default value. */
const PRIORITIES = new Set(['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'info', 'debug']);
/** Go's time.Time UnmarshalJSON takes RFC 3339 (with an optional fraction of up to 9 digits). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export interface SidekickPayload {
  uuid?: string;
  output: string;
  priority: string;
  rule: string;
  time: string;
  output_fields: Record<string, unknown>;
  source: string;
  tags?: string[];
  hostname?: string;
}

/** Why Falcosidekick would refuse `body` (400), or undefined when it accepts it. */
export function sidekickRefusal(body: string): string | undefined {
  let p: Record<string, unknown>;
  try { p = JSON.parse(body) as Record<string, unknown>; } catch (e) { return `not JSON: ${(e as Error).message}`; }
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'not a JSON object';
  for (const k of ['uuid', 'output', 'rule', 'source', 'hostname', 'priority', 'time'] as const) {
    if (p[k] !== undefined && p[k] !== null && typeof p[k] !== 'string') return `${k} is not a string`;
  }
  if (p.tags !== undefined && p.tags !== null && !(Array.isArray(p.tags) && p.tags.every((t) => typeof t === 'string'))) return 'tags is not an array of strings';
  if (p.output_fields !== undefined && p.output_fields !== null && (typeof p.output_fields !== 'object' || Array.isArray(p.output_fields))) return 'output_fields is not an object';
  // Check()
  if (!PRIORITIES.has(String(p.priority ?? '').toLowerCase())) return `unknown priority ${String(p.priority)}`;
  if (!p.rule) return 'empty rule';
  const t = RFC3339.exec(String(p.time ?? ''));
  if (!t) return `time is not RFC 3339: ${String(p.time)}`;
  if (t[1] === '0001' && t[2] === '01' && t[3] === '01' && t[4] === '00' && t[5] === '00' && t[6] === '00' && !/[1-9]/.test(t[7] ?? '')) return 'zero time';
  if (!p.output_fields || Object.keys(p.output_fields).length === 0) return 'empty output_fields';
  return undefined;
}

/** A running receiver: what it accepted (raw bodies, parsed) and refused. */
export interface Sidekick {
  url: string;
  port: number;
  accepted: { raw: string; payload: SidekickPayload }[];
  refused: { raw: string; why: string }[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (`port` 0: any free port). */
export async function startSidekick(port = 0): Promise<Sidekick> {
  const accepted: Sidekick['accepted'] = [];
  const refused: Sidekick['refused'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const why = req.method !== 'POST' ? 'Please send with post http method' : sidekickRefusal(raw);
      if (why) {
        refused.push({ raw, why });
        res.writeHead(400).end('Please send a valid request body\n');
        return;
      }
      accepted.push({ raw, payload: JSON.parse(raw) as SidekickPayload });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    port: bound,
    accepted,
    refused,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
