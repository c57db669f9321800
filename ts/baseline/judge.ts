/**
 * The decoder side of `--baseline` (detect.ts makes the rule on the main thread): in every
 * decoder — this thread's or a parallel worker's — a {@link BaselineJudge} built from the
 * plan's profile reads each exec exit's facts (facts.ts), those of the batches other workers
 * own included (Decoder `stateExecs`), so that every replica names a binary's writer by the
 * same execs seen before it: the output with N workers is the output with one. Its verdict is
 * the value of drift.baseline.known / .profile / .reason while the alert renders.
 */
import type { EventView } from '../fields/event_view.js';
import { extractField, resolveField, type FieldRef } from '../fields/fields.js';
import type { Profile } from './profile.js';
import { BaselineMatcher } from './match.js';
import type { BaselineVerdict } from './verdict.js';
import { FACT_FIELDS, FactReader, type FactField } from './facts.js';

/** One decoder's judge: every exec exit it is shown, in stream order, and the verdict on each. */
export class BaselineJudge {
  private readonly matcher: BaselineMatcher;
  private readonly reader = new FactReader();
  private readonly refs = new Map<FactField, FieldRef>(FACT_FIELDS.map((f) => [f, resolveField(f)!]));

  constructor(profile: Profile) {
    this.matcher = new BaselineMatcher(profile);
  }

  /**
   * Reads the event's facts when it is a successful exec exit (remembering its executable as a
   * possible writer) and judges them: the verdict, or undefined for other events and for
   * workloads the profile does not know.
   */
  observe(v: EventView): BaselineVerdict | undefined {
    if (v.info?.direction !== '<' || (v.info.name !== 'execve' && v.info.name !== 'execveat')) return undefined;
    const facts = this.reader.read((f) => extractField(v, this.refs.get(f)!));
    return facts && this.matcher.judge(facts);
  }
}
