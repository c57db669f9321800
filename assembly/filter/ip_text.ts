// IP addresses as text, as libsinsp prints them (inet_ntop: dotted IPv4; IPv6 in
// lowercase hex groups, the longest run of two or more zero groups as "::", and
// ::ffff:a.b.c.d / ::a.b.c.d with the last 32 bits dotted).

/** Longest text written: an IPv6 address with an embedded IPv4 one, with room to spare (bytes). */
export const IP_TEXT_BYTES: u32 = 64;

function decimal(out: usize, at: u32, v: u32): u32 {
  if (v >= 100) { store<u8>(out + at++, <u8>(0x30 + v / 100)); v %= 100; store<u8>(out + at++, <u8>(0x30 + v / 10)); v %= 10; }
  else if (v >= 10) { store<u8>(out + at++, <u8>(0x30 + v / 10)); v %= 10; }
  store<u8>(out + at++, <u8>(0x30 + v));
  return at;
}

function dotted(out: usize, at: u32, p: usize): u32 {
  for (let i: u32 = 0; i < 4; i++) {
    if (i > 0) store<u8>(out + at++, 0x2e);
    at = decimal(out, at, <u32>load<u8>(p + i));
  }
  return at;
}

const HEX = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

function hexGroup(out: usize, at: u32, v: u32): u32 {
  let started = false;
  for (let s: i32 = 12; s >= 0; s -= 4) {
    const d = (v >> <u32>s) & 15;
    if (d != 0 || started || s == 0) { store<u8>(out + at++, load<u8>(HEX + d)); started = true; }
  }
  return at;
}

/**
 * Writes the address at `p` (4 bytes, or 16 when `v6`; network order) as text into
 * `out` (IP_TEXT_BYTES) and returns its length.
 */
export function ipText(out: usize, p: usize, v6: bool): u32 {
  if (!v6) return dotted(out, 0, p);
  // 16-bit groups, big endian.
  let bestBase: i32 = -1;
  let bestLen: i32 = 0;
  let curBase: i32 = -1;
  let curLen: i32 = 0;
  for (let i: i32 = 0; i < 8; i++) {
    const w = (<u32>load<u8>(p + (i << 1)) << 8) | <u32>load<u8>(p + (i << 1) + 1);
    if (w == 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase >= 0) {
      if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase >= 0 && curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
  if (bestLen < 2) bestBase = -1;
  let at: u32 = 0;
  for (let i: i32 = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i == bestBase) store<u8>(out + at++, 0x3a);
      continue;
    }
    if (i != 0) store<u8>(out + at++, 0x3a);
    const w5 = (<u32>load<u8>(p + 10) << 8) | <u32>load<u8>(p + 11);
    if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w5 == 0xffff))) {
      return dotted(out, at, p + 12);
    }
    at = hexGroup(out, at, (<u32>load<u8>(p + (i << 1)) << 8) | <u32>load<u8>(p + (i << 1) + 1));
  }
  if (bestBase >= 0 && bestBase + bestLen == 8) store<u8>(out + at++, 0x3a);
  return at;
}
