/**
 * `capture --enforce audit|enforce [--enforce-policy FILE]`: the policy file
 * (ts/enforce/policy.ts, default rules/scapdrift_enforce.yaml) sent to the loader,
 * which loads it into the driver's maps; SIGHUP reads it again and swaps it in
 * while the capture runs (a bad file leaves the previous policy in force); SIGUSR1
 * throws the kill switch (no more kills, decisions still reported), as does the
 * policy's kill_switch_file once it exists.
 */
import { fileURLToPath } from 'node:url';
import { ScapdriftError, ErrorCode, isScapdriftError } from '../errors.js';
import { loadPolicy } from '../enforce/policy.js';
import { warnLine } from '../warn.js';
import type { LoaderOptions, RunningLoader } from './loader.js';

/** The policy used when --enforce comes without --enforce-policy. */
export const DEFAULT_ENFORCE_POLICY = fileURLToPath(new URL('../../../rules/scapdrift_enforce.yaml', import.meta.url));

export interface EnforceOptions {
  /** 'audit' (decide and report) or 'enforce' (also kill). */
  enforce?: string;
  /** The policy file; default {@link DEFAULT_ENFORCE_POLICY}. */
  enforcePolicy?: string;
}

export interface Enforcement {
  mode: 'audit' | 'enforce';
  loaderOptions: Pick<LoaderOptions, 'enforce' | 'killSwitchFile'>;
  /** Sends the policy and starts listening for SIGHUP (reload) and SIGUSR1 (kill switch). */
  attach(loader: RunningLoader): void;
  detach(): void;
}

/** Undefined without --enforce. Throws E_OPTION for a bad mode or policy, E_IO for an unreadable file. */
export function startEnforcement(opts: EnforceOptions): Enforcement | undefined {
  if (opts.enforce === undefined) {
    if (opts.enforcePolicy !== undefined) throw new ScapdriftError(ErrorCode.OPTION, '--enforce-policy needs --enforce audit or --enforce enforce');
    return undefined;
  }
  const mode = opts.enforce;
  if (mode !== 'audit' && mode !== 'enforce') throw new ScapdriftError(ErrorCode.OPTION, `--enforce must be audit or enforce, got ${mode}`);
  const file = opts.enforcePolicy ?? DEFAULT_ENFORCE_POLICY;
  const first = loadPolicy(file);
  for (const w of first.warnings) warnLine(w);
  let loader: RunningLoader | undefined;
  const reload = (): void => {
    try {
      const next = loadPolicy(file);
      for (const w of next.warnings) warnLine(w);
      if (next.policy.killSwitchFile !== first.policy.killSwitchFile) warnLine(`enforcement policy ${file}: kill_switch_file is read at start only`);
      loader?.control(next.control);
      process.stderr.write(`scapdrift: enforcement policy ${file} reloaded\n`);
    } catch (e) {
      warnLine(`enforcement policy not reloaded (the previous one stays): ${isScapdriftError(e) ? e.message : String(e)}`);
    }
  };
  const killSwitch = (): void => {
    loader?.killSwitch();
    process.stderr.write('scapdrift: enforcement: kill switch thrown (SIGUSR1): no more kills\n');
  };
  return {
    mode,
    loaderOptions: { enforce: mode, ...(first.policy.killSwitchFile ? { killSwitchFile: first.policy.killSwitchFile } : {}) },
    attach(l) {
      loader = l;
      l.control(first.control);
      process.on('SIGHUP', reload);
      process.on('SIGUSR1', killSwitch);
    },
    detach() {
      process.off('SIGHUP', reload);
      process.off('SIGUSR1', killSwitch);
    },
  };
}
