// Byte-string matching for filter comparisons. Strings compare as raw bytes
// (as libsinsp does); icontains folds ASCII letters only. No allocation.

// @ts-ignore: decorator
@inline function lower(c: u32): u32 {
  return c - 65 < 26 ? c | 32 : c;
}

/** -1, 0 or 1: bytewise order of a[0,an) and b[0,bn) (a shorter prefix sorts first). */
export function compareBytes(a: usize, an: u32, b: usize, bn: u32): i32 {
  const n = an < bn ? an : bn;
  for (let i: u32 = 0; i < n; i++) {
    const x = <u32>load<u8>(a + i);
    const y = <u32>load<u8>(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  return an == bn ? 0 : an < bn ? -1 : 1;
}

export function bytesEqual(a: usize, an: u32, b: usize, bn: u32): bool {
  return an == bn && memory.compare(a, b, an) == 0;
}

export function startsWith(a: usize, an: u32, b: usize, bn: u32): bool {
  return bn <= an && memory.compare(a, b, bn) == 0;
}

export function endsWith(a: usize, an: u32, b: usize, bn: u32): bool {
  return bn <= an && memory.compare(a + an - bn, b, bn) == 0;
}

/** Whether needle b[0,bn) occurs in a[0,an); `fold` compares ASCII letters case-blind. */
export function containsBytes(a: usize, an: u32, b: usize, bn: u32, fold: bool): bool {
  if (bn > an) return false;
  for (let i: u32 = 0; i <= an - bn; i++) {
    let j: u32 = 0;
    while (j < bn) {
      const x = <u32>load<u8>(a + i + j);
      const y = <u32>load<u8>(b + j);
      if (x != y && (!fold || lower(x) != lower(y))) break;
      j++;
    }
    if (j == bn) return true;
  }
  return false;
}

/**
 * Matches one pattern element at p (not '*') against byte c. Returns the
 * length of the element (≥ 1) when it matches, 0 when it does not.
 */
function matchOne(p: usize, pend: usize, c: u32, fold: bool): u32 {
  if (fold) c = lower(c);
  const pc = fold ? lower(<u32>load<u8>(p)) : <u32>load<u8>(p);
  if (pc == 63 /* ? */) return 1;
  if (pc == 92 /* \ */ && p + 1 < pend) return (fold ? lower(<u32>load<u8>(p + 1)) : <u32>load<u8>(p + 1)) == c ? 2 : 0;
  if (pc != 91 /* [ */) return pc == c ? 1 : 0;
  // [set], [!set], [^set], ranges a-z; a ']' right after the opening is literal.
  let q = p + 1;
  let negate = false;
  if (q < pend && (load<u8>(q) == 33 || load<u8>(q) == 94)) { negate = true; q++; }
  const first = q;
  let hit = false;
  while (q < pend && (load<u8>(q) != 93 || q == first)) {
    const lo = <u32>load<u8>(q);
    if (q + 2 < pend && load<u8>(q + 1) == 45 && load<u8>(q + 2) != 93) {
      const hi = <u32>load<u8>(q + 2);
      if ((c >= lo && c <= hi) || (fold && c - 97 < 26 && (c ^ 32) >= lo && (c ^ 32) <= hi)) hit = true;
      q += 3;
    } else {
      if (c == lo || (fold && lower(lo) == c)) hit = true;
      q++;
    }
  }
  if (q >= pend) return pc == c ? 1 : 0; // no closing ']': a literal '['
  return hit != negate ? <u32>(q + 1 - p) : 0;
}

/**
 * Shell-style glob of pattern p[0,pn) over s[0,sn): '*' spans any bytes ('/' included);
 * `fold` compares ASCII letters case-blind (iglob).
 */
export function globMatch(s: usize, sn: u32, p: usize, pn: u32, fold: bool): bool {
  const pend = p + pn;
  let si: u32 = 0;
  let pi = p;
  let starP: usize = 0;
  let starS: u32 = 0;
  let haveStar = false;
  while (si < sn) {
    if (pi < pend && load<u8>(pi) == 42 /* * */) {
      haveStar = true;
      starP = ++pi;
      starS = si;
      continue;
    }
    if (pi < pend) {
      const n = matchOne(pi, pend, <u32>load<u8>(s + si), fold);
      if (n > 0) { pi += n; si++; continue; }
    }
    if (!haveStar) return false;
    pi = starP;
    si = ++starS;
  }
  while (pi < pend && load<u8>(pi) == 42) pi++;
  return pi == pend;
}

/** End of the path component starting at `i` (the next '/' or `n`). */
function componentEnd(p: usize, i: u32, n: u32): u32 {
  while (i < n && load<u8>(p + i) != 47) i++;
  return i;
}

/** Next component start at or after `i` (skips '/'). */
function skipSlashes(p: usize, i: u32, n: u32): u32 {
  while (i < n && load<u8>(p + i) == 47) i++;
  return i;
}

/**
 * pmatch: the path prefix p[0,pn) covers s[0,sn) when each of its components
 * glob-matches the component of s at the same depth ("/var/run" covers
 * "/var/run" and "/var/run/docker", not "/var/runner"; "/" covers every path).
 */
export function pathPrefixMatch(s: usize, sn: u32, p: usize, pn: u32): bool {
  let si = skipSlashes(s, 0, sn);
  let pi = skipSlashes(p, 0, pn);
  while (pi < pn) {
    if (si >= sn) return false;
    const pe = componentEnd(p, pi, pn);
    const se = componentEnd(s, si, sn);
    if (!globMatch(s + si, se - si, p + pi, pe - pi, false)) return false;
    pi = skipSlashes(p, pe, pn);
    si = skipSlashes(s, se, sn);
  }
  return true;
}
