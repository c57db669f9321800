/**
 * Conditions on fd.ip, fd.port, fd.net and fd.snet/cnet/lnet/rnet, as libsinsp compares them
 * (libs userspace/libsinsp/sinsp_filtercheck_fd.cpp compare_ip, compare_port, compare_net):
 * an address, a port or an IPv4 network (CIDR, "10.0.0.0/8"), matched against either side of
 * the socket — `=`/`in`: some side matches; `!=`: no side does — or, for the *net fields, the
 * one side they name. Compiled into range checks of the numeric side fields the Wasm gives
 * (assembly/filter/fd_fields.ts: IPv4 numbers, host order; FD_IP_V6 for an IPv6 socket, which
 * no IPv4 value matches).
 */
import type { CheckNode, Literal } from './ast.js';
import { filterError } from './filter_error.js';
import { Cmp } from './layout.js';

/** The compiler's emitting operations (ts/filter/compiler.ts). */
export interface NetEmitter {
  /** One check of VM field `field` against number `n` (none for EXISTS). */
  check(cmp: number, field: number, n?: bigint): void;
  not(): void;
  /** Each part emits one test; true when any is. */
  any(parts: (() => void)[]): void;
  /** True when all are. */
  all(parts: (() => void)[]): void;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): bigint | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return BigInt(((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!);
}

/** The inclusive range of numbers a value stands for: an address, a port, or a network. */
function range(kind: 'ip' | 'port' | 'cidr', v: Literal, field: string): [bigint, bigint] {
  if (kind === 'port') {
    const p = /^(["']?)(\d{1,5})\1$/.exec(v.text);
    if (!p || Number(p[2]) > 65535) throw filterError(`${field} takes a port number, found '${v.text}'`, v.pos);
    return [BigInt(p[2]!), BigInt(p[2]!)];
  }
  // A list item keeps its quotes ("10.0.0.0/8" in Falco's rfc_1918_addresses).
  const text = /^(["']).*\1$/.test(v.text) ? v.text.slice(1, -1) : v.text;
  const [addr, bits] = text.split('/');
  const n = ipv4(addr!);
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) && Number(bits) <= 32 ? Number(bits) : -1;
  if (n === undefined || prefix < 0 || (kind === 'ip' && bits !== undefined)) {
    throw filterError(`${field} takes an IPv4 ${kind === 'ip' ? 'address (1.2.3.4)' : 'network (10.0.0.0/8)'}, found '${v.text}' (IPv6 is not supported yet)`, v.pos);
  }
  const size = 1n << BigInt(32 - prefix);
  const lo = (n / size) * size;
  return [lo, lo + size - 1n];
}

/** Compiles check `c` of an fd network field whose sides are VM fields `sides`. */
export function fdNetCheck(e: NetEmitter, c: CheckNode, net: { value: 'ip' | 'port' | 'cidr'; sides: number[] }, values: Literal[]): void {
  const [first] = net.sides;
  if (c.op === 'exists') { e.check(Cmp.EXISTS, first!); return; }
  const ranges = values.map((v) => range(net.value, v, c.field));
  const inRange = (side: number) => (): void => e.any(ranges.map(([lo, hi]) => (): void => {
    if (lo === hi) e.check(Cmp.EQ, side, lo);
    else e.all([() => e.check(Cmp.GE, side, lo), () => e.check(Cmp.LE, side, hi)]);
  }));
  if (c.op === '=' || c.op === '==' || c.op === 'in') {
    e.any(net.sides.map(inRange));
    return;
  }
  if (c.op === '!=') {
    // The socket has the sides, and none of them matches.
    e.all([() => e.check(Cmp.EXISTS, first!), () => { e.any(net.sides.map(inRange)); e.not(); }]);
    return;
  }
  throw filterError(`${c.field} supports =, !=, in and exists, found '${c.op}'`, c.opPos);
}
