/** A logger that drops everything (the suites assert on outcomes, not on log lines). */
import type { Logger } from '@orrery/server';

export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
