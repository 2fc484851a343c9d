// Types for eslint.size.js (plain JavaScript, loaded by eslint.config.js), for test/function-length.test.ts.
import type { Linter } from 'eslint';

export declare const MAX_FUNCTION_LINES: number;
/** The globs the rule applies to. */
export declare const SIZED_FILES: string[];
/** Functions still over the bound: capped at today's length, with why they were not cut yet. */
export declare const OVER_BOUND: Array<{ file: string; max: number; why: string }>;
declare const config: Linter.Config[];
export default config;
