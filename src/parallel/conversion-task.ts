/** The worker side of {@link parallelConversions}: one range of a streaming run. */
import { runConversions, type ConversionRun, type RunConversionsOptions } from '../stream/index.js';

/** Runs conversions [job.first, job.first + job.count) of the ramp on this worker's own Wasm instance. */
export function conversionJob(job: RunConversionsOptions): ConversionRun {
  return runConversions(job);
}
